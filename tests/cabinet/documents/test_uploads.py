"""An upload is accepted by what it IS (magic bytes, a full decode), never by its name or
the browser's content type; every refusal is a Russian message for the field."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from egisz.cabinet.documents.uploads import check_upload, clean_file_name
from tests.cabinet.documents.files import (
    bomb_png,
    jpeg_bytes,
    jpeg_declaring,
    one_colour_png,
    pdf_bytes,
    png_bytes,
    upload,
)

ROOT = Path(__file__).resolve().parents[3]

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


def test_images_above_the_pixel_cap_are_refused_with_the_limit_named(settings):
    """Below Pillow's own guard (89 Mpx) but above the cap: refused from the header."""
    content = one_colour_png(9000, 9000)  # 81 Mpx in 260 KB
    error = refusal("scan.png", content, "image/png")
    assert error.code == "pixels"
    assert error.messages[0] == (
        "Изображение слишком большое: в нём больше 40 млн точек. Отсканируйте документ "
        "с меньшим разрешением (для документов достаточно 300 dpi)."
    )
    assert refusal("scan.jpg", jpeg_declaring(6400, 6400)).code == "pixels"  # 41 Mpx
    settings.DOCUMENT_MAX_PIXELS = 12_500_000
    assert "больше 12,5 млн точек" in refusal("scan.png", one_colour_png(4000, 4000)).messages[0]
    assert check_upload(upload("scan.png", one_colour_png(3000, 3000))).content_type == "image/png"


def run_memory_probe(tmp_path, files: dict[str, bytes]) -> dict:
    """The profile form sent with ``files`` by a cabinet process of its own (see
    memory_probe.py); what it reports."""
    paths = []
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
        paths.append(str(tmp_path / name))
    workdir = tmp_path / "probe"
    workdir.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    done = subprocess.run(
        [sys.executable, "-m", "tests.cabinet.documents.memory_probe", str(workdir), *paths],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_small_image_bombs_in_every_scan_field_leave_the_workers_memory_flat(tmp_path):
    """Three small files that would each decode into ~300 MB (one colour, 81 Mpx; a JPEG
    whose header claims 81 Mpx; a PNG just over the cap) sent on one profile form: each is
    refused from its header and the process's peak memory hardly moves."""
    bombs = {
        "passport.png": one_colour_png(9000, 9000),
        "snils.jpg": jpeg_declaring(9000, 9000),
        "record.png": one_colour_png(6400, 6400),
    }
    assert all(len(content) < 300_000 for content in bombs.values())

    report = run_memory_probe(tmp_path, bombs)

    assert report["status"] == 400
    for field, errors in report["errors"].items():
        assert errors and errors[0].startswith("Изображение слишком большое"), (field, errors)
    grown_mib = (report["after_kib"] - report["before_kib"]) / 1024
    assert grown_mib < 40, f"the request took {grown_mib:.0f} MiB more memory at its peak"


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
