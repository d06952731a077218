"""An SMS gateway for tests, configured through settings.SMS_GATEWAY like a real one."""

import os
import threading


class ScriptedSmsGateway:
    """Records every SMS it takes; raises ``outage`` for every message while it is set, and
    ``broken_for[phone]`` for one recipient. State is on the class because the outbox makes
    a new gateway instance per message."""

    sent: list[tuple[str, str]] = []
    outage: BaseException | None = None
    broken_for: dict[str, BaseException] = {}
    delivered = threading.Event()
    _lock = threading.Lock()

    @classmethod
    def reset(cls) -> None:
        cls.sent = []
        cls.outage = None
        cls.broken_for = {}
        cls.delivered = threading.Event()

    def send(self, *, phone: str, text: str) -> None:
        cls = type(self)
        if cls.outage is not None:
            raise cls.outage
        if phone in cls.broken_for:
            raise cls.broken_for[phone]
        with cls._lock:
            cls.sent.append((phone, text))
        cls.delivered.set()


class FileSmsGateway:
    """An SMS gateway for worker processes started by a test: appends each SMS it takes to
    the file named by EGISZ_TEST_SMS_LOG. With EGISZ_TEST_SMS_HANG_AFTER=n it hangs for
    good right after taking the n-th SMS (handed over, the outcome never recorded), after
    creating the file EGISZ_TEST_SMS_LOG + ".hung"."""

    def send(self, *, phone: str, text: str) -> None:
        log = os.environ["EGISZ_TEST_SMS_LOG"]
        with open(log, "a", encoding="utf-8") as file:
            file.write(f"{phone}\t{text}\n")
            file.flush()
            os.fsync(file.fileno())
        hang_after = int(os.environ.get("EGISZ_TEST_SMS_HANG_AFTER") or 0)
        if hang_after:
            with open(log, encoding="utf-8") as file:
                taken = sum(1 for _ in file)
            if taken >= hang_after:
                with open(log + ".hung", "w", encoding="utf-8"):
                    pass
                threading.Event().wait()
