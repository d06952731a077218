"""An SMS gateway for tests, configured through settings.SMS_GATEWAY like a real one."""

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
