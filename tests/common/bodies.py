"""Request bodies for the tests of body limits."""


class EndlessBody:
    """A request body that never ends and remembers how much of it was read."""

    def __init__(self):
        self.read_bytes = 0

    def read(self, size=-1):
        size = 65536 if size is None or size < 0 else min(size, 65536)
        self.read_bytes += size
        return b"a" * size

    def readline(self, size=-1):
        return self.read(size)


def post_declaring(client, path, length, **extra):
    """A multipart POST to ``path`` (Django's own form limit leaves files out) whose
    Content-Length claims ``length`` (None: no Content-Length); the response and the body."""
    body = EndlessBody()
    response = client.generic(
        "POST",
        path,
        CONTENT_TYPE="multipart/form-data; boundary=never-sent",
        **{"wsgi.input": body, **extra},
        **({"CONTENT_LENGTH": str(length)} if length is not None else {}),
    )
    return response, body
