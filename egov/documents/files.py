"""Files of documents: what drafts and attachments accept, text extraction for search, and
DOCX → PDF conversion when LibreOffice is installed.

The checks themselves (type sniffing, PDF inspection, Office zip bounds, image caps) are
egov.core.uploads; this module only states the documents' types and size cap.
"""

from __future__ import annotations

import html
import io
import logging
import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from django.conf import settings

from egov.core.pdfinspect import PdfInspectionError, inspect_pdf
from egov.core.text import normalize_vietnamese
from egov.core.uploads import (
    DOCX,
    JPEG,
    PDF,
    PNG,
    XLSX,
    CheckedFile,
    UploadRejected,
    UploadRules,
    safe_name,
)
from egov.core.uploads import check_bytes as _check_bytes
from egov.core.uploads import check_upload as _check_upload

__all__ = ["DOCX", "JPEG", "PDF", "PNG", "XLSX", "CheckedFile", "safe_name"]

logger = logging.getLogger(__name__)

DRAFT_TYPES = (PDF, DOCX)
ATTACHMENT_TYPES = (PDF, DOCX, XLSX, JPEG, PNG)

MAX_BYTES: int = getattr(settings, "DOCUMENTS_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
MAX_TEXT_CHARS = 200_000


def _rules(allowed: tuple[str, ...]) -> UploadRules:
    return UploadRules(allowed=allowed, max_bytes=MAX_BYTES)


def check_bytes(
    content: bytes, name: str, *, allowed: tuple[str, ...], label: str = "tệp"
) -> CheckedFile:
    """Return the checked file or raise UploadRejected with a Vietnamese message."""
    return _check_bytes(content, name, rules=_rules(allowed), label=label)


def check_upload(upload: Any, *, allowed: tuple[str, ...], label: str = "tệp") -> CheckedFile:
    """Check a Django UploadedFile (read at most one byte over the limit)."""
    return _check_upload(upload, rules=_rules(allowed), label=label)


def page_count(content: bytes) -> int | None:
    from pypdf import PdfReader

    try:
        return len(PdfReader(io.BytesIO(content), strict=False).pages)
    except Exception:  # a count is only shown, never trusted
        return None


# --- text for search ---------------------------------------------------------------------------


def pdf_text(content: bytes) -> str:
    """The text layer of a PDF (scans without OCR have none), read in the bounded inspector: the
    PDFs come from officials and other agencies, and extraction decodes every content stream."""
    try:
        return inspect_pdf(content, text=True).text[:MAX_TEXT_CHARS]
    except PdfInspectionError:  # extraction is best effort: a document is never refused for it
        logger.warning("could not extract text from a PDF", exc_info=True)
        return ""


_W_TEXT = re.compile(r"<w:t(?:\s[^>]*)?>([^<]*)</w:t>|</w:p>")


def docx_text(content: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            xml = archive.read("word/document.xml")[: 20 * 1024 * 1024].decode("utf-8", "replace")
    except (zipfile.BadZipFile, KeyError, OSError):
        return ""
    pieces = [
        html.unescape(m.group(1)) if m.group(1) is not None else "\n" for m in _W_TEXT.finditer(xml)
    ]
    return "".join(pieces)[:MAX_TEXT_CHARS]


def extract_text(content: bytes, content_type: str) -> str:
    if content_type == PDF:
        return pdf_text(content)
    if content_type == DOCX:
        return docx_text(content)
    return ""


def search_text(*parts: str) -> str:
    """Accent-free, lower-case text stored for search."""
    return normalize_vietnamese(" ".join(p for p in parts if p))[:MAX_TEXT_CHARS]


# --- DOCX → PDF --------------------------------------------------------------------------------


def soffice_path() -> str | None:
    configured = getattr(settings, "DOCUMENTS_SOFFICE", None)
    if configured:
        return str(configured) if Path(str(configured)).exists() else None
    return shutil.which("soffice") or shutil.which("libreoffice")


def can_convert_docx() -> bool:
    return soffice_path() is not None


class ConversionFailed(UploadRejected):
    code = "conversion_failed"


# What an official reads when a Word file cannot be turned into the PDF to sign.
NO_CONVERTER_MESSAGE = (
    "Chưa tự chuyển được tệp Word sang PDF để ký số. Hãy mở tệp bằng Word, chọn Tệp → Lưu "
    "thành → PDF, rồi tải bản PDF lên làm phiên bản mới."
)


def docx_to_pdf(content: bytes, *, timeout: int = 120, suffix: str = ".docx") -> bytes:
    """Convert with LibreOffice in headless mode; raise ConversionFailed when it is missing or
    fails (the official then uploads the PDF). `suffix`: the source's extension, which
    LibreOffice's import filter goes by (".xlsx", ".pptx", ".odt"... for meeting materials)."""
    soffice = soffice_path()
    if soffice is None:
        # The operator's side goes to the log and the system check (checks.py); the official
        # is told what they can do.
        logger.warning("DOCX conversion unavailable: LibreOffice (soffice) is not installed")
        raise ConversionFailed(NO_CONVERTER_MESSAGE, code="no_converter")
    with tempfile.TemporaryDirectory(prefix="egov-docx-") as tmp:
        source = Path(tmp) / f"van-ban{suffix}"
        source.write_bytes(content)
        profile = Path(tmp) / "profile"
        try:
            subprocess.run(  # noqa: S603 - fixed arguments, our own temporary files
                [
                    soffice,
                    f"-env:UserInstallation=file://{profile}",
                    "--headless",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                    tmp,
                    str(source),
                ],
                check=True,
                capture_output=True,
                timeout=timeout,
            )
            return (Path(tmp) / "van-ban.pdf").read_bytes()
        except (subprocess.SubprocessError, OSError) as exc:
            logger.warning("DOCX conversion failed: %s", exc)
            raise ConversionFailed(NO_CONVERTER_MESSAGE) from exc


# --- page images for the signing preview --------------------------------------------------------


def page_png(content: bytes | Path, page: int, *, dpi: int = 80, timeout: int = 30) -> bytes | None:
    """Page `page` (from 1) of a PDF as a PNG image, drawn by poppler's pdftoppm with form
    fields and signatures as a reader shows them; None when pdftoppm is missing or fails.
    `content` may be the PDF's path: a large stored file is then not read into memory."""
    exe = shutil.which("pdftoppm")
    if exe is None:
        logger.warning("signing preview unavailable: poppler-utils (pdftoppm) is not installed")
        return None
    source, stdin = (str(content), None) if isinstance(content, Path) else ("-", content)
    try:
        done = subprocess.run(  # noqa: S603 - fixed executable and arguments, PDF on stdin
            [exe, "-png", "-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile", source],
            input=stdin,
            capture_output=True,
            timeout=timeout,
            check=True,
        )
    except (subprocess.SubprocessError, OSError):
        logger.warning("pdftoppm could not draw page %s", page, exc_info=True)
        return None
    return done.stdout or None
