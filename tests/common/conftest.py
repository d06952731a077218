"""Fixtures of the common apps' tests: a scripted SMS gateway and a real SMTP server."""

import socket

import pytest
from aiosmtpd.controller import Controller
from django.db import connection

from tests.common.gateways import ScriptedSmsGateway


@pytest.fixture
def sms_gateway(settings):
    """The outbox's SMS gateway, switched to one the test scripts and inspects."""
    ScriptedSmsGateway.reset()
    settings.SMS_GATEWAY = "tests.common.gateways.ScriptedSmsGateway"
    yield ScriptedSmsGateway
    ScriptedSmsGateway.reset()


@pytest.fixture
def postgres_only(db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set EGISZ_IDP_DATABASE_URL)")


class RecordingHandler:
    """aiosmtpd handler keeping every accepted message."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


class LocalSmtpServer:
    """A real SMTP server on 127.0.0.1 that can be stopped and started again on its port."""

    def __init__(self):
        self.handler = RecordingHandler()
        self.port = _free_port()
        self._controller = None

    @property
    def envelopes(self):
        return self.handler.envelopes

    def start(self) -> None:
        # A stopped controller closes its event loop, so each start gets a new one.
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp_server(settings):
    """Django's SMTP backend pointed at a running local SMTP server."""
    server = LocalSmtpServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.stop()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
