"""Files and fixtures of the materials tests: real PDFs (WeasyPrint), minimal office packages,
and what an attacker renames to .pdf; media and the page cache in a temporary folder."""

from __future__ import annotations

import functools
import io
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from egov.core.uploads import DOCX, ODP, ODS, ODT, PDF, PPTX, XLSX


@pytest.fixture(autouse=True)
def media(tmp_path: Path, settings: Any) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEETINGS_RENDER_CACHE = str(tmp_path / "cache")
    return tmp_path


def stored_files(root: Path) -> list[Path]:
    """Every file kept under MEDIA_ROOT."""
    media = root / "media"
    return sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else []


@functools.cache
def make_pdf(text: str = "Báo cáo kinh tế - xã hội", pages: int = 1) -> bytes:
    from weasyprint import HTML

    body = "".join(
        f"<p style='page-break-after: always'>{text} — trang {n}</p>" for n in range(1, pages + 1)
    )
    return bytes(HTML(string=f"<html><body>{body}</body></html>").write_pdf())


def make_large_pdf(megabytes: int, pages: int = 2) -> bytes:
    """A PDF of about `megabytes` MB: pages of scanned-looking noise (JPEG, as a scanner makes)."""
    from PIL import Image

    # Noise at JPEG quality 95 takes about 1.2 bytes a pixel.
    side = int((megabytes * 1024 * 1024 / pages / 1.2) ** 0.5)
    images = [
        Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)) for _ in range(pages)
    ]
    buffer = io.BytesIO()
    images[0].save(
        buffer, "PDF", quality=95, resolution=300, save_all=True, append_images=images[1:]
    )
    return buffer.getvalue()


def _zip(entries: list[tuple[str, bytes]], *, stored_first: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, (name, content) in enumerate(entries):
            kind = zipfile.ZIP_STORED if stored_first and index == 0 else zipfile.ZIP_DEFLATED
            archive.writestr(name, content, compress_type=kind)
    return buffer.getvalue()


TYPES_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    b'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>'
)
OOXML_MAIN = {
    DOCX: ("word/document.xml", ".docx"),
    XLSX: ("xl/workbook.xml", ".xlsx"),
    PPTX: ("ppt/presentation.xml", ".pptx"),
}
ODF_EXT = {ODT: ".odt", ODS: ".ods", ODP: ".odp"}
EXTENSION = {PDF: ".pdf", **{k: v[1] for k, v in OOXML_MAIN.items()}, **ODF_EXT}


def make_office(content_type: str, *, macro: bool = False) -> bytes:
    """The smallest package each office type is recognised by (optionally with a macro)."""
    if content_type in OOXML_MAIN:
        main = OOXML_MAIN[content_type][0]
        entries = [("[Content_Types].xml", TYPES_XML), (main, b"<?xml version='1.0'?><doc/>")]
        if macro:
            entries.append((main.split("/")[0] + "/vbaProject.bin", b"\xd0\xcf\x11\xe0 macro"))
        return _zip(entries)
    entries = [
        ("mimetype", content_type.encode()),
        ("content.xml", b"<?xml version='1.0'?><office:document-content/>"),
        ("META-INF/manifest.xml", b"<?xml version='1.0'?><manifest/>"),
    ]
    if macro:
        entries.append(("Basic/Standard/Module1.xml", b"<script>Shell</script>"))
    return _zip(entries, stored_first=True)


# What an attacker renames to .pdf.
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
HTML_PAGE = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
ZIP = _zip([("hoa-don.txt", b"xin chao"), ("run.exe", EXE)])


def upload(name: str, content: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def pdf_upload(name: str = "bao-cao.pdf", text: str = "Báo cáo", pages: int = 1) -> Any:
    return upload(name, make_pdf(text, pages))
