"""The HTTP answer that hands a stored document back exactly as it was uploaded."""

from pathlib import PurePosixPath

from django.http import HttpResponse
from django.utils.http import content_disposition_header

from egisz.cabinet.documents.models import StoredDocument
from egisz.cabinet.documents.uploads import BY_CONTENT_TYPE, clean_file_name

UNSAFE_IN_NAME = '"\\/:*?<>|;'


def download_name(document: StoredDocument) -> str:
    """The name the browser saves the file under: the uploaded name without path, quotes
    or control characters, with the extension of what the file really is."""
    name = clean_file_name(document.original_name)
    name = "".join("_" if ch in UNSAFE_IN_NAME else ch for ch in name)
    file_type = BY_CONTENT_TYPE.get(document.content_type)
    stem = PurePosixPath(name).stem.strip(". ") or "document"
    extension = file_type.extensions[0] if file_type else ".bin"
    return stem + extension


def attachment_response(document: StoredDocument, content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type=document.content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=download_name(document)
    )
    response["Content-Length"] = str(len(content))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
