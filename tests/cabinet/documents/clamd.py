"""A real ClamAV daemon for the antivirus tests, with a signature database of one entry.

The session fixture ``clamd`` starts Debian's /usr/sbin/clamd in the foreground with a
temporary configuration (TCP on 127.0.0.1 and a free port, plus a unix socket, both in a
temporary directory) and a database that only knows the EICAR test string, written here:
the official virus database is neither downloaded nor needed. Without clamd installed the
tests that use it are skipped, or fail when EGISZ_REQUIRE_CLAMAV=1 (CI).
"""

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from egisz.cabinet.documents.antivirus import ClamdScanner

# The standard antivirus test string (harmless; every scanner must detect it).
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
SIGNATURE = "Egisz.Test.EICAR"
START_SECONDS = 90


@dataclass(frozen=True)
class Clamd:
    address: str  # host:port
    socket_path: str
    log: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clamd_binary() -> str | None:
    found = shutil.which("clamd")
    if found:
        return found
    return "/usr/sbin/clamd" if os.access("/usr/sbin/clamd", os.X_OK) else None


def require_or_skip(message: str):
    if os.environ.get("EGISZ_REQUIRE_CLAMAV") == "1":
        pytest.fail(f"EGISZ_REQUIRE_CLAMAV=1 but {message}", pytrace=False)
    pytest.skip(message)


def write_config(base: Path, port: int) -> Path:
    database = base / "db"
    database.mkdir()
    # An extended (.ndb) signature: any file type (0), anywhere in the file (*), the bytes.
    (database / "egisz-test.ndb").write_text(f"{SIGNATURE}:0:*:{EICAR.hex()}\n")
    (base / "tmp").mkdir()
    lines = [
        "Foreground yes",
        f"TCPSocket {port}",
        "TCPAddr 127.0.0.1",
        f"LocalSocket {base / 'clamd.sock'}",
        f"DatabaseDirectory {database}",
        f"TemporaryDirectory {base / 'tmp'}",
        f"LogFile {base / 'clamd.log'}",
        "LogTime yes",
        f"PidFile {base / 'clamd.pid'}",
        "MaxThreads 4",
        "StreamMaxLength 25M",
        "Bytecode no",
    ]
    if os.geteuid() == 0:
        lines.append("User root")
    config = base / "clamd.conf"
    config.write_text("\n".join(lines) + "\n")
    return config


@pytest.fixture(scope="session")
def clamd(tmp_path_factory):
    binary = clamd_binary()
    if binary is None:
        require_or_skip(
            "clamd is not installed (Debian's clamav-daemon package; `make antivirus` "
            "installs it): antivirus tests against a real clamd are skipped"
        )
    # Short path: a unix socket path must stay under ~100 bytes.
    base = tmp_path_factory.mktemp("clamd")
    port = free_port()
    config = write_config(base, port)
    output = open(base / "clamd.out", "wb")  # noqa: SIM115 (closed at teardown)
    process = subprocess.Popen(
        [binary, "--config-file", str(config)],
        stdout=output,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    address = f"127.0.0.1:{port}"
    scanner = ClamdScanner(address=address, timeout=5)
    deadline = time.monotonic() + START_SECONDS
    try:
        while not scanner.ping():
            if process.poll() is not None or time.monotonic() > deadline:
                output.flush()
                log = (base / "clamd.out").read_text(errors="replace")[-2000:]
                pytest.fail(f"clamd did not start (exit {process.poll()}): {log}", pytrace=False)
            time.sleep(0.1)  # waiting for a real process to come up, not for a clock
        yield Clamd(address=address, socket_path=str(base / "clamd.sock"), log=base / "clamd.log")
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        output.close()
