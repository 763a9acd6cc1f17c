"""Reading meeting materials in the browser: each page of a material drawn as a PNG image on
demand (poppler's pdftoppm, egov.documents.files.page_png) and kept on disk.

The cache is keyed by the version's SHA-256 (and the page and resolution), so it never goes
stale (a version's bytes never change) and fifty members opening the same 20 MB file draw each
page once: the first request draws it under a per-page file lock, the others wait for that
lock and then read the file. Office files (DOCX, XLSX, PPTX, ODT, ODS, ODP) are read through a
PDF made by LibreOffice, kept in the same cache; without LibreOffice they can only be downloaded.

The cache holds pages of confidential materials: it lives under VAR_DIR (like MEDIA_ROOT, never
served by the web server) and every image is handed out by a view that checked the reader's
access first. It may be deleted at any time (it is rebuilt on demand); each web machine keeps
its own (`MEETINGS_RENDER_CACHE`).
"""

from __future__ import annotations

import fcntl
import functools
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

from egov.core.pdfinspect import PdfInspectionError, inspect_pdf
from egov.core.uploads import EXTENSIONS, PDF
from egov.documents import files

if TYPE_CHECKING:
    from .models import MaterialVersion

logger = logging.getLogger(__name__)

# Dots per inch of a page image: an A4 page is 827 × 1169 pixels, readable on a laptop.
DEFAULT_DPI = 100


def cache_root() -> Path:
    configured = getattr(settings, "MEETINGS_RENDER_CACHE", "")
    return Path(configured) if configured else Path(settings.VAR_DIR) / "cache" / "meetings"


def page_dpi() -> int:
    return int(getattr(settings, "MEETINGS_PAGE_DPI", DEFAULT_DPI))


@functools.cache
def can_draw() -> bool:
    """poppler-utils installed (checked once per process: every page request asks)."""
    return shutil.which("pdftoppm") is not None


def can_convert() -> bool:
    return files.can_convert_docx()


def _folder(sha256: str) -> Path:
    return cache_root() / sha256[:2] / sha256


@contextmanager
def _locked(target: Path) -> Iterator[None]:
    """An exclusive lock for making `target` (across the processes of this machine)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{target}.lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_atomically(target: Path, content: bytes) -> None:
    """Readers see the whole file or none (a rename is atomic)."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def stored_path(version: MaterialVersion) -> Path | None:
    """The stored file on this machine's disk; a storage without paths (remote) is copied
    once into the cache."""
    try:
        return Path(version.file.path)
    except NotImplementedError:
        pass
    copy = _folder(version.sha256) / "tep"
    if not copy.exists():
        with _locked(copy):
            if not copy.exists():
                with version.file.open("rb") as source:
                    _write_atomically(copy, source.read())
    return copy


# --- office files: the PDF to read --------------------------------------------------------------


def _rendition(sha256: str) -> Path:
    return _folder(sha256) / "ban-doc.pdf"


def _suffix(content_type: str) -> str:
    return EXTENSIONS.get(content_type, (".docx",))[0]


def convert(content: bytes, sha256: str, content_type: str) -> Path | None:
    """The PDF made from an office file (made now if LibreOffice is installed); None without
    LibreOffice or when the conversion fails (the material is then downloaded only)."""
    target = _rendition(sha256)
    if target.exists():
        return target
    if not can_convert():
        return None
    failed = target.with_suffix(".failed")
    with _locked(target):
        if target.exists():
            return target
        if failed.exists():
            return None  # not tried again for every reader: delete the marker to retry
        try:
            pdf = files.docx_to_pdf(content, suffix=_suffix(content_type))
        except files.ConversionFailed:
            logger.warning("could not convert material %s to PDF", sha256)
            failed.touch()
            return None
        _write_atomically(target, pdf)
    return target


def source_pdf(version: MaterialVersion) -> Path | None:
    """The PDF whose pages are drawn: the file itself, or an office file's rendition."""
    if version.content_type == PDF:
        return stored_path(version)
    rendition = _rendition(version.sha256)
    if rendition.exists():
        return rendition
    if not can_convert():
        return None
    with version.file.open("rb") as handle:
        content = handle.read()
    return convert(content, version.sha256, version.content_type)


def count_pages(pdf: Path) -> int | None:
    """Pages of a PDF, read in the bounded inspector (egov.core.pdfinspect)."""
    try:
        return inspect_pdf(pdf.read_bytes()).pages
    except (PdfInspectionError, OSError):
        return None


def page_count(version: MaterialVersion) -> int | None:
    """Pages to show: recorded on the version (PDFs, and office files converted when they
    were added), else counted once on the rendition and kept beside it."""
    if version.page_count:
        return version.page_count
    if version.content_type == PDF:
        return None
    rendition = _rendition(version.sha256)
    if not rendition.exists():
        return None
    counted = rendition.with_suffix(".pages")
    if counted.exists():
        text = counted.read_text().strip()
        return int(text) if text.isdigit() else None
    pages = count_pages(rendition)
    if pages:
        _write_atomically(counted, str(pages).encode())
    return pages


def readable(version: MaterialVersion) -> bool:
    """Whether the pages can be shown in the browser now (no conversion started here)."""
    if not can_draw():
        return False
    if version.content_type == PDF:
        return True
    return _rendition(version.sha256).exists() or can_convert()


# --- page images ---------------------------------------------------------------------------------


def page_image(version: MaterialVersion, page: int) -> Path | None:
    """The PNG of page `page` (from 1) of the version, from the cache or drawn now; None when
    it cannot be drawn (no pdftoppm, no PDF to read, a page that is not there)."""
    dpi = page_dpi()
    target = _folder(version.sha256) / f"trang-{page:05d}-{dpi}.png"
    if target.exists():
        return target
    source = source_pdf(version)
    if source is None:
        return None
    with _locked(target):
        if target.exists():  # drawn by another request while this one waited
            return target
        image = files.page_png(source, page, dpi=dpi)
        if image is None:
            return None
        _write_atomically(target, image)
    return target
