"""A service's back-channel logout endpoint for the tests: a real HTTP server in a thread
(127.0.0.1, a free port) that records every logout token POSTed to it and answers
``status``. ``down()`` closes the port (connections are refused) and ``up()`` opens it again
on the same port, so a test can show a delivery surviving a service that was down.
``on_request`` (if set) runs in the server's thread before the answer."""

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

PATH = "/backchannel-logout"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LogoutReceiver:
    def __init__(self):
        self.port = free_port()
        self.uri = f"http://127.0.0.1:{self.port}{PATH}"
        self.requests: list[dict] = []
        self.status = 200
        self.on_request = None
        self._server = None
        self._lock = threading.Lock()

    @property
    def tokens(self) -> list[str]:
        return [request["form"]["logout_token"][0] for request in self.requests]

    def up(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                with receiver._lock:
                    receiver.requests.append(
                        {
                            "path": self.path,
                            "content_type": self.headers.get("Content-Type", ""),
                            "form": parse_qs(body),
                        }
                    )
                if receiver.on_request is not None:
                    receiver.on_request()
                self.send_response(receiver.status)
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        thread.start()

    def down(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
