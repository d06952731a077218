"""Bounds on what a request may make the server read and keep.

- ``RequestBodyLimitMiddleware`` refuses a request whose ``Content-Length`` is above
  settings.REQUEST_MAX_BYTES with 413 and a page saying the limit, before a byte of the body
  is read; the reverse proxy sets the same limit (README, nginx ``client_max_body_size``).
  Django reads a body only up to its declared length, so nothing longer is ever read. A
  body sent in chunks without a length would be read as empty: it is answered 411 rather
  than handed to a form as if nothing had been typed.
- ``FileSizeLimitHandler`` stands first in FILE_UPLOAD_HANDLERS and passes each file on to
  Django's handlers (memory, or a temporary file past FILE_UPLOAD_MAX_MEMORY_SIZE) only up
  to settings.UPLOAD_MAX_FILE_BYTES: the rest of a larger file is read and dropped, so no
  more than that reaches the disk, and the file arrives as an empty ``TooLargeUpload`` whose
  size is what was sent, for the form to refuse next to its field.

REQUEST_MAX_BYTES is the form fields' allowance (DATA_UPLOAD_MAX_MEMORY_SIZE, which Django
applies to everything but files), plus on the cabinet UPLOAD_MAX_FILES files of
UPLOAD_MAX_FILE_BYTES: see each site's settings.
"""

import io

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.shortcuts import render

MIB = 1024 * 1024


def megabytes(size: int) -> str:
    """2 621 440 → «2,5», 34 078 720 → «32,5»."""
    return f"{size / MIB:.1f}".rstrip("0").rstrip(".").replace(".", ",")


class RequestBodyLimitMiddleware:
    """Answers 413 to a body declared larger than REQUEST_MAX_BYTES and 411 to one sent
    without a length, before anything reads it (place it before any middleware that reads
    request.POST; CSRF reads it only in process_view, after every middleware's call)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        declared = request.META.get("CONTENT_LENGTH") or ""
        if declared.strip():
            try:
                length = int(declared)
            except ValueError:
                length = 0  # Django reads no body with a malformed length
            if length > settings.REQUEST_MAX_BYTES:
                return render(
                    request,
                    "errors/413.html",
                    {"limit_mb": megabytes(settings.REQUEST_MAX_BYTES)},
                    status=413,
                )
        elif "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            return render(request, "errors/411.html", status=411)
        return self.get_response(request)


class TooLargeUpload(UploadedFile):
    """A file that was larger than UPLOAD_MAX_FILE_BYTES: no content, ``size`` is how much
    was sent."""

    def __init__(self, *, name, content_type, size, charset, content_type_extra):
        super().__init__(io.BytesIO(), name, content_type, size, charset, content_type_extra)


class FileSizeLimitHandler(FileUploadHandler):
    """Lets at most UPLOAD_MAX_FILE_BYTES of each uploaded file through to the handlers
    after it; a larger file ends as a TooLargeUpload."""

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.UPLOAD_MAX_FILE_BYTES:
            return None  # the handlers after this one never see it
        return raw_data

    def file_complete(self, file_size):
        if file_size <= settings.UPLOAD_MAX_FILE_BYTES:
            return None  # the next handler returns the file it kept
        return TooLargeUpload(
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )
