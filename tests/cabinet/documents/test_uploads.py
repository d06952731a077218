"""An upload is accepted by what it IS (magic bytes, a full decode), never by its name or
the browser's content type; every refusal is a Russian message for the field."""

import pytest
from django.core.exceptions import ValidationError

from egisz.cabinet.documents.uploads import check_upload, clean_file_name
from tests.cabinet.documents.files import bomb_png, jpeg_bytes, pdf_bytes, png_bytes, upload

WRONG_FORMAT = "Неверный формат файла"


def refusal(name, content, content_type="application/octet-stream") -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        check_upload(upload(name, content, content_type))
    return caught.value


@pytest.mark.parametrize(
    ("name", "build", "content_type", "pages"),
    [
        ("паспорт.pdf", lambda: pdf_bytes(pages=3), "application/pdf", 3),
        ("snils.JPG", jpeg_bytes, "image/jpeg", 1),
        ("scan.jpeg", jpeg_bytes, "image/jpeg", 1),
        ("scan.png", png_bytes, "image/png", 1),
        ("no-extension", png_bytes, "image/png", 1),
    ],
)
def test_valid_pdf_jpeg_png_are_accepted_by_content(name, build, content_type, pages):
    content = build()
    checked = check_upload(upload(name, content, "text/plain"))  # the browser's type is ignored
    assert checked.content_type == content_type
    assert checked.content == content
    assert checked.size == len(content)
    assert checked.pages == pages
    assert checked.original_name == name


def test_a_png_renamed_pdf_is_refused():
    error = refusal("passport.pdf", png_bytes(), "application/pdf")
    assert error.code == "extension"
    assert error.messages[0].startswith(WRONG_FORMAT)
    assert "PNG" in error.messages[0]


def test_a_text_file_named_jpg_is_refused():
    error = refusal("passport.jpg", b"just some text, not a scan\n" * 10, "image/jpeg")
    assert error.code == "format"
    assert error.messages == ["Неверный формат файла: загрузите PDF, JPG или PNG."]


def test_other_formats_are_refused_even_when_they_are_images():
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, format="GIF")
    assert refusal("scan.gif", buffer.getvalue(), "image/gif").code == "format"


def test_a_valid_image_with_a_foreign_extension_is_refused():
    assert refusal("scan.exe", png_bytes()).code == "extension"


def test_a_truncated_jpeg_is_refused_as_damaged():
    content = jpeg_bytes()
    error = refusal("scan.jpg", content[: len(content) // 2], "image/jpeg")
    assert error.code == "damaged"
    assert error.messages[0].startswith("Файл повреждён")


def test_a_png_with_a_broken_checksum_is_refused():
    content = png_bytes()
    broken = content[:40] + bytes([content[40] ^ 0xFF]) + content[41:]
    assert refusal("scan.png", broken, "image/png").code == "damaged"


def test_a_pdf_with_garbage_is_refused():
    garbage = b"%PDF-1.7\n" + bytes(range(256)) * 40
    error = refusal("scan.pdf", garbage, "application/pdf")
    assert error.code == "damaged"


def test_a_truncated_pdf_is_refused():
    content = pdf_bytes()
    assert refusal("scan.pdf", content[: len(content) // 2]).code == "damaged"


def test_an_encrypted_pdf_is_refused():
    error = refusal("scan.pdf", pdf_bytes(password="секрет"), "application/pdf")
    assert error.code == "encrypted"
    assert "паролем" in error.messages[0]


def test_an_oversize_file_is_refused(settings):
    settings.DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
    content = pdf_bytes() + b"\n" + b"%" * (10 * 1024 * 1024)
    error = refusal("scan.pdf", content, "application/pdf")
    assert error.code == "size"
    assert error.messages[0].startswith("Файл больше 10 МБ")


def test_a_file_of_exactly_the_limit_is_measured_not_trusted(settings):
    content = png_bytes()
    settings.DOCUMENT_MAX_BYTES = len(content)
    assert check_upload(upload("scan.png", content)).size == len(content)
    settings.DOCUMENT_MAX_BYTES = len(content) - 1
    assert refusal("scan.png", content).code == "size"


def test_an_empty_file_is_refused():
    error = refusal("scan.pdf", b"", "application/pdf")
    assert error.code == "empty"
    assert error.messages[0].startswith("Файл пустой")


@pytest.mark.parametrize("warnings_as", ["ignore", "error"])
@pytest.mark.parametrize("size", [(10_000, 10_000), (14_000, 14_000)])
def test_a_decompression_bomb_png_is_refused(size, warnings_as):
    """Above Pillow's limit (where it only warns) and above twice the limit (where it
    raises): refused either way, also when warnings are turned into errors."""
    import warnings

    from PIL import Image

    content = bomb_png(size)
    assert len(content) < 100_000  # tiny on disk, huge when decoded
    with warnings.catch_warnings():
        warnings.simplefilter(warnings_as, Image.DecompressionBombWarning)
        error = refusal("bomb.png", content, "image/png")
    assert error.code == "pixels"
    assert error.messages[0].startswith("Изображение слишком большое")


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_the_bomb_guard_stays_on_even_if_someone_switched_it_off(monkeypatch):
    from PIL import Image

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    assert refusal("bomb.png", bomb_png()).code == "pixels"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("C:\\Users\\Мария\\Desktop\\паспорт.pdf", "паспорт.pdf"),
        ("../../etc/passwd.png", "passwd.png"),
        ("скан\x00\x1f паспорта.png", "скан паспорта.png"),
        ("a" * 300 + ".pdf", "a" * 196 + ".pdf"),
    ],
)
def test_names_are_cleaned(raw, clean):
    assert clean_file_name(raw) == clean
