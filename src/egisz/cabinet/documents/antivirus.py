"""Antivirus check of uploaded documents: the last check an upload passes before it is stored.

The scanner is an extension point chosen by the dotted path in settings.DOCUMENT_SCANNER
(EGISZ_DOCUMENT_SCANNER):

- ``ClamdScanner`` (the default outside the demo) streams the file to a ClamAV daemon with
  clamd's INSTREAM command, over TCP (``host:port``) or a unix socket (a path starting with
  "/"), settings.CLAMD_ADDRESS; every socket operation is bounded by
  settings.CLAMD_TIMEOUT_SECONDS.
- ``NoScanner`` accepts everything; for the demo only (the settings refuse it otherwise).

A scanner answers a ScanResult (clean, or the name of what was found) or raises
ScannerUnavailable when it cannot tell: the caller then refuses the upload (fail closed).

The INSTREAM client is written here rather than taken from PyPI: the protocol is a command,
length-prefixed chunks and one reply line, while the PyPI clients are either unmaintained
(``clamd`` 1.0.2 of 2014, ``pyclamd`` 0.4.0 of 2017) or bring far more than this needs.
"""

import logging
import socket
import struct
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

# clamd refuses a stream longer than its StreamMaxLength (25 MB by default) and closes the
# connection; each chunk must be shorter than that too. 64 KiB is far below any sane limit.
CHUNK_BYTES = 64 * 1024
MAX_REPLY_BYTES = 4096
DEFAULT_PORT = 3310


@dataclass(frozen=True)
class ScanResult:
    clean: bool
    signature: str = ""  # what the scanner found, when not clean

    @classmethod
    def ok(cls) -> "ScanResult":
        return cls(clean=True)


class ScannerUnavailable(Exception):
    """The scanner could not say whether the file is clean (unreachable, timed out, answered
    an error or something unexpected). The upload must be refused."""


class NoScanner:
    """Accepts every file unscanned. For the demo only (`make run` needs no clamd)."""

    name = "none"

    def scan(self, content: bytes) -> ScanResult:
        return ScanResult.ok()


class ClamdScanner:
    """Asks a ClamAV daemon about a file with the INSTREAM command."""

    name = "clamd"

    def __init__(self, address: str | None = None, timeout: float | None = None):
        self.address = address if address is not None else settings.CLAMD_ADDRESS
        self.timeout = float(timeout if timeout is not None else settings.CLAMD_TIMEOUT_SECONDS)

    def scan(self, content: bytes) -> ScanResult:
        reply = self._ask(b"zINSTREAM\0", content)
        return parse_reply(reply)

    def ping(self) -> bool:
        """Whether clamd answers PING with PONG (a health check)."""
        try:
            return self._ask(b"zPING\0") == "PONG"
        except ScannerUnavailable:
            return False

    def _connect(self) -> socket.socket:
        address = self.address.strip()
        if address.startswith("/"):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(self.timeout)
            try:
                sock.connect(address)
            except BaseException:
                sock.close()
                raise
            return sock
        host, _, port = address.rpartition(":")
        if not host:
            host, port = address, str(DEFAULT_PORT)
        return socket.create_connection((host.strip("[]"), int(port)), timeout=self.timeout)

    def _ask(self, command: bytes, content: bytes | None = None) -> str:
        try:
            with self._connect() as sock:
                sock.settimeout(self.timeout)
                sock.sendall(command)
                if content is not None:
                    try:
                        for start in range(0, len(content), CHUNK_BYTES):
                            chunk = content[start : start + CHUNK_BYTES]
                            sock.sendall(struct.pack("!L", len(chunk)) + chunk)
                        sock.sendall(struct.pack("!L", 0))
                    except (BrokenPipeError, ConnectionResetError):
                        # clamd stops reading past StreamMaxLength and says why: read it.
                        pass
                return _read_reply(sock)
        except (OSError, ValueError) as exc:  # refused, timed out, reset, a bad address
            raise ScannerUnavailable(f"clamd at {self.address!r}: {exc!r}") from exc


def _read_reply(sock: socket.socket) -> str:
    buffer = bytearray()
    while b"\0" not in buffer and len(buffer) < MAX_REPLY_BYTES:
        data = sock.recv(1024)
        if not data:
            break
        buffer += data
    reply = bytes(buffer).split(b"\0", 1)[0]
    return reply.decode("utf-8", "replace").strip()


def parse_reply(reply: str) -> ScanResult:
    """clamd's answer to INSTREAM: ``stream: OK``, ``stream: <Name> FOUND``, or anything
    ending in ERROR (say, ``INSTREAM size limit exceeded. ERROR``)."""
    if reply == "stream: OK":
        return ScanResult.ok()
    if reply.startswith("stream: ") and reply.endswith(" FOUND"):
        signature = reply[len("stream: ") : -len(" FOUND")].strip()
        return ScanResult(clean=False, signature=signature or "unknown")
    if reply.endswith("ERROR"):
        raise ScannerUnavailable(f"clamd answered an error: {reply!r}")
    raise ScannerUnavailable(f"clamd answered something unexpected: {reply[:200]!r}")


def get_scanner():
    """The scanner settings.DOCUMENT_SCANNER names."""
    return import_string(settings.DOCUMENT_SCANNER)()
