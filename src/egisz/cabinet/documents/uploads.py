"""Checking an uploaded document before anything is stored.

The one place that decides whether a file is acceptable, so the documents vault can grow
from it (more kinds, an antivirus hook) without the forms knowing. A file is accepted when:

- the uploader (when known) has not sent more than settings.DOCUMENT_UPLOAD_RATE files
  lately (django-ratelimit's counters in the cache, per patient; every file counts, refused
  or not, since checking it is the work being limited);
- its CONTENT is a PDF, JPEG or PNG (magic bytes; the name and the browser's content type
  are not trusted);
- it decodes completely: images have at most settings.DOCUMENT_MAX_PIXELS pixels (read from
  the header before anything is decoded: decoding costs about 4 bytes of memory per pixel,
  and a one-colour PNG of 80 million pixels is a file of a few hundred KB), then they are
  verified and decoded in full in a fresh image (Pillow's decompression-bomb guard stays
  on), PDFs are parsed and their pages counted (encrypted PDFs are refused: nobody could
  read them later);
- it is not empty and not larger than settings.DOCUMENT_MAX_BYTES;
- the extension of its name, if any, does not contradict the content;
- last, the antivirus scanner (settings.DOCUMENT_SCANNER, see antivirus.py) finds nothing.
  A file it flags is refused and journalled (``cabinet.document_infected``: the signature
  and the SHA-256, never the file); when it cannot answer, the file is refused too (fail
  closed) and the error logged.

Every refusal is a django ValidationError with a Russian message meant for the field.
"""

import hashlib
import io
import logging
import unicodedata
import weakref
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_ratelimit.core import get_usage

from egisz.cabinet.audit_actions import CabinetAction
from egisz.cabinet.documents import antivirus
from egisz.common.audit.services import record_event
from egisz.common.request_meta import RequestMeta
from egisz.common.ui.widgets import FileInput
from egisz.common.waits import in_time

logger = logging.getLogger(__name__)

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"


@dataclass(frozen=True)
class FileType:
    content_type: str
    label: str
    extensions: tuple[str, ...]  # the first is the one a downloaded file gets
    magic: bytes
    pillow_format: str = ""  # empty for PDF


FILE_TYPES = (
    FileType(PDF, "PDF", (".pdf",), b"%PDF-"),
    FileType(JPEG, "JPG", (".jpg", ".jpeg", ".jpe", ".jfif"), b"\xff\xd8\xff", "JPEG"),
    FileType(PNG, "PNG", (".png",), b"\x89PNG\r\n\x1a\n", "PNG"),
)
BY_CONTENT_TYPE = {file_type.content_type: file_type for file_type in FILE_TYPES}
# What the file input offers in the browser's dialog (a convenience, not a check).
ACCEPT = ",".join(
    [ext for file_type in FILE_TYPES for ext in file_type.extensions]
    + [file_type.content_type for file_type in FILE_TYPES]
)
MAX_NAME_LENGTH = 200


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed every check, read into memory (at most DOCUMENT_MAX_BYTES)."""

    content: bytes
    content_type: str
    original_name: str
    sha256: str
    pages: int = 1

    @property
    def size(self) -> int:
        return len(self.content)


def wrong_format_message() -> str:
    return _("Неверный формат файла: загрузите PDF, JPG или PNG.")


def size_limit_mb() -> int:
    return max(1, settings.DOCUMENT_MAX_BYTES // (1024 * 1024))


def check_upload(upload, *, actor=None, meta: RequestMeta | None = None) -> CheckedUpload:
    """The checked contents of ``upload`` (a Django UploadedFile or any object with
    ``name``, ``size`` and ``chunks()``/``read()``), or ValidationError. ``actor`` (the
    uploading user, when known) and ``meta`` go into the journal if the file is infected.

    Call it outside any transaction: the scan is a network call, and the journal entry of
    an infected file must not be rolled back with the caller's work."""
    if actor is not None:
        _count_upload(actor)
    limit = settings.DOCUMENT_MAX_BYTES
    declared = getattr(upload, "size", None)
    if declared is not None and declared > limit:
        raise _too_large()
    content = _read_at_most(upload, limit + 1)
    if not content:
        raise ValidationError(
            _("Файл пустой. Выберите файл с отсканированным документом."), code="empty"
        )
    if len(content) > limit:
        raise _too_large()
    file_type = sniff(content)
    if file_type is None:
        raise ValidationError(wrong_format_message(), code="format")
    name = clean_file_name(getattr(upload, "name", "") or "")
    extension = PurePosixPath(name).suffix.lower()
    if extension and extension not in file_type.extensions:
        raise ValidationError(
            _(
                "Неверный формат файла: по содержимому это %(kind)s, а имя оканчивается на "
                "«%(ext)s». Загрузите PDF, JPG или PNG с правильным расширением."
            )
            % {"kind": file_type.label, "ext": extension},
            code="extension",
        )
    pages = (
        _check_pdf(content) if file_type.content_type == PDF else _check_image(content, file_type)
    )
    checked = CheckedUpload(
        content=content,
        content_type=file_type.content_type,
        original_name=name or _default_name(file_type),
        sha256=hashlib.sha256(content).hexdigest(),
        pages=pages,
    )
    _scan(checked, actor=actor, meta=meta)
    return checked


def infected_message() -> str:
    return _(
        "Файл не прошёл антивирусную проверку: обнаружена угроза. Такой файл загрузить нельзя."
    )


def scanner_unavailable_message() -> str:
    return _("Проверка файлов на вирусы временно недоступна. Попробуйте загрузить файл позже.")


def _scan(checked: CheckedUpload, *, actor, meta: RequestMeta | None) -> None:
    scanner = antivirus.get_scanner()
    try:
        result = scanner.scan(checked.content)
    except antivirus.ScannerUnavailable as exc:
        logger.error("antivirus check failed, upload %s refused: %s", checked.sha256, exc)
        raise ValidationError(scanner_unavailable_message(), code="scanner_unavailable") from exc
    except Exception as exc:  # a broken scanner must refuse the file, not accept it or 500
        logger.exception("antivirus scanner %r crashed, upload %s refused", scanner, checked.sha256)
        raise ValidationError(scanner_unavailable_message(), code="scanner_unavailable") from exc
    if result.clean:
        return
    logger.warning(
        "infected upload refused: %s (sha256 %s, actor %s)",
        result.signature,
        checked.sha256,
        getattr(actor, "pk", actor),
    )
    _record_infected(checked, result, actor=actor, meta=meta or RequestMeta())
    raise ValidationError(infected_message(), code="infected")


def _record_infected(checked: CheckedUpload, result, *, actor, meta: RequestMeta) -> None:
    """Journals a refused infected upload in a transaction of its own, so the refusal that
    follows cannot roll it back."""
    event = {
        "action": CabinetAction.DOCUMENT_INFECTED,
        "meta": meta,
        "actor": actor,
        "success": False,
        "signature": result.signature,
        "sha256": checked.sha256,
        "content_type": checked.content_type,
        "size": checked.size,
    }
    try:
        with transaction.atomic(durable=True):
            record_event(**event)
        return
    except RuntimeError:  # called inside someone's transaction (durable refuses nesting)
        pass
    # The caller's rollback may take this row along: the log keeps the event in any case.
    logger.error(
        "cabinet.document_infected recorded inside an outer transaction (check uploads "
        "before opening one): signature %s, sha256 %s, actor %s",
        result.signature,
        checked.sha256,
        getattr(actor, "pk", actor),
    )
    record_event(**event)


def sniff(content: bytes) -> FileType | None:
    """The type the first bytes say, whatever the name claims."""
    for file_type in FILE_TYPES:
        if content.startswith(file_type.magic):
            return file_type
    return None


def clean_file_name(raw: str) -> str:
    """The last part of a name as a browser sent it (a path on Windows, too), without
    control characters, trimmed to a sane length with its extension kept."""
    text = unicodedata.normalize("NFC", str(raw))
    text = PureWindowsPath(PurePosixPath(text).name).name
    text = "".join(ch for ch in text if not unicodedata.category(ch).startswith("C"))
    text = " ".join(text.split()).strip(". ")
    if len(text) > MAX_NAME_LENGTH:
        suffix = PurePosixPath(text).suffix[:10]
        text = text[: MAX_NAME_LENGTH - len(suffix)] + suffix
    return text


def _default_name(file_type: FileType) -> str:
    return "document" + file_type.extensions[0]


UPLOAD_RATE_GROUP = "cabinet-document-upload"


def _count_upload(actor) -> None:
    """Count one file against the uploader's DOCUMENT_UPLOAD_RATE; refuse it once over."""
    usage = get_usage(
        None,
        group=UPLOAD_RATE_GROUP,
        key=lambda _group, _request: f"user:{actor.pk}",
        rate=settings.DOCUMENT_UPLOAD_RATE,
        increment=True,
    )
    if usage is None or not usage["should_limit"]:
        return
    logger.warning("upload refused: user %s is over %s", actor.pk, settings.DOCUMENT_UPLOAD_RATE)
    raise ValidationError(
        _("Слишком много загрузок файлов. Попробуйте загрузить файл ещё раз через %(when)s.")
        % {"when": in_time(max(usage["time_left"], 1))},
        code="rate",
    )


def _too_large() -> ValidationError:
    return ValidationError(
        _(
            "Файл больше %(mb)d МБ. Уменьшите разрешение сканирования или сохраните "
            "документ в PDF с большим сжатием."
        )
        % {"mb": size_limit_mb()},
        code="size",
    )


def _damaged() -> ValidationError:
    return ValidationError(
        _(
            "Файл повреждён или загружен не полностью: его не удалось открыть. "
            "Сохраните документ заново и загрузите ещё раз."
        ),
        code="damaged",
    )


def _read_at_most(upload, limit: int) -> bytes:
    if hasattr(upload, "seek"):
        upload.seek(0)
    buffer = bytearray()
    chunks = upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(65536), b"")
    for chunk in chunks:
        buffer += chunk
        if len(buffer) >= limit:
            break
    return bytes(buffer[:limit])


def _check_image(content: bytes, file_type: FileType) -> int:
    from PIL import Image, UnidentifiedImageError

    # The project's cap, and never above Pillow's own guard even if someone turned it off.
    max_pixels = min(settings.DOCUMENT_MAX_PIXELS, Image.MAX_IMAGE_PIXELS or 89_478_485)
    try:
        # Opening reads the header only. Pillow refuses more than twice MAX_IMAGE_PIXELS
        # itself and only warns above it; the explicit check refuses everything above the
        # cap before a single pixel is decoded (thread-safe, unlike turning the warning into
        # an error with warnings.catch_warnings).
        with Image.open(io.BytesIO(content), formats=[file_type.pillow_format]) as image:
            width, height = image.size
            if width * height > max_pixels:
                raise Image.DecompressionBombError("too many pixels")
            image.verify()
        # verify() leaves the image unusable; decoding every pixel needs a fresh one.
        with Image.open(io.BytesIO(content), formats=[file_type.pillow_format]) as image:
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationError(
            _(
                "Изображение слишком большое: в нём больше %(limit)s млн точек. Отсканируйте "
                "документ с меньшим разрешением (для документов достаточно 300 dpi)."
            )
            % {"limit": _millions(max_pixels)},
            code="pixels",
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise _damaged() from exc
    except Exception as exc:  # a decoder bug must not become a 500 or an accepted file
        logger.warning("image decoder failed on an upload: %r", exc)
        raise _damaged() from exc
    return 1


def _millions(pixels: int) -> str:
    """40 000 000 → «40», 12 500 000 → «12,5»."""
    return f"{pixels / 1_000_000:.1f}".rstrip("0").rstrip(".").replace(".", ",")


def _check_pdf(content: bytes) -> int:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted:
            raise ValidationError(
                _("Файл PDF защищён паролем. Сохраните документ без пароля и загрузите ещё раз."),
                code="encrypted",
            )
        pages = len(reader.pages)
        for page in reader.pages:
            page.mediabox  # noqa: B018 (resolves the page object and its inherited box)
    except ValidationError:
        raise
    except Exception as exc:  # pypdf raises many kinds on broken input
        raise _damaged() from exc
    if pages < 1:
        raise _damaged()
    return pages


class DocumentFileField(forms.FileField):
    """A file field whose cleaned value is a CheckedUpload (or None when nothing was chosen).

    The journal entry of an infected file names the uploader when the form knows it: the
    form's ``patient`` (its ``user`` is the actor) and ``request_meta`` attributes, if any.
    """

    widget = FileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_empty_file", True)  # an empty file gets our own message
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("accept", ACCEPT)
        self._form = None

    def get_bound_field(self, form, field_name):
        # Each form instance works on its own deep copy of the field: remember the form.
        self._form = weakref.ref(form)
        return super().get_bound_field(form, field_name)

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if not upload or upload is initial:
            return None
        form = self._form() if self._form is not None else None
        patient = getattr(form, "patient", None)
        return check_upload(
            upload,
            actor=getattr(patient, "user", None),
            meta=getattr(form, "request_meta", None),
        )


DOCUMENT_HINT = gettext_lazy("PDF, JPG или PNG, не больше %(mb)d МБ.")


def document_hint() -> str:
    return str(DOCUMENT_HINT) % {"mb": size_limit_mb()}
