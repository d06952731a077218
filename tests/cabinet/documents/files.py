"""Test files built in code: real PDFs and images, and the broken ones an upload must refuse."""

import io
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfWriter


def png_bytes(size=(40, 30), color=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_bytes(size=(64, 48)) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", size)
    # Some detail, so the entropy-coded data is long enough to cut in the middle.
    for x in range(size[0]):
        for y in range(size[1]):
            image.putpixel((x, y), ((x * 7) % 256, (y * 11) % 256, (x * y) % 256))
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def pdf_bytes(pages: int = 2, password: str | None = None) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if password:
        writer.encrypt(password)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def bomb_png(size=(10_000, 10_000)) -> bytes:
    """A small file that decodes into more pixels than Pillow's guard allows (1-bit, so
    building it costs little memory)."""
    buffer = io.BytesIO()
    Image.new("1", size).save(buffer, format="PNG")
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def one_colour_png(width: int, height: int, colour=(255, 255, 255)) -> bytes:
    """A valid RGB PNG of one colour, written row by row (building it costs no memory): a
    few hundred KB on disk, about 4 bytes per pixel once decoded."""
    row = b"\x00" + bytes(colour) * width  # filter type 0, then the pixels
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8 bits, RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", data)
        + _chunk(b"IEND", b"")
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def jpeg_declaring(width: int, height: int) -> bytes:
    """A small real JPEG whose frame header (SOF) claims ``width`` × ``height``: its data
    ends long before such an image would."""
    content = bytearray(jpeg_bytes())
    at = 2
    while content[at] == 0xFF and content[at + 1] not in (0xC0, 0xC1, 0xC2):
        at += 2 + struct.unpack(">H", content[at + 2 : at + 4])[0]
    # SOF: marker, length (2), precision (1), height (2), width (2).
    content[at + 5 : at + 9] = struct.pack(">HH", height, width)
    return bytes(content)
