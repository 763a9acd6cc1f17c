"""Files of documents: type checks by content (PDF, DOCX, XLSX, JPEG, PNG), text extraction for
search, and DOCX → PDF conversion when LibreOffice is installed.

PDF and image checks are the dossier upload checks (egov.dossiers.uploads); DOCX/XLSX are ZIP
packages checked for their Office parts and for a bounded uncompressed size.
"""

from __future__ import annotations

import hashlib
import html
import io
import logging
import re
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from egov.catalog.services import normalize_vietnamese
from egov.core.pdfinspect import PdfInspectionError, inspect_pdf
from egov.dossiers.uploads import UploadRejected, check_image, check_pdf, safe_name

logger = logging.getLogger(__name__)

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JPEG = "image/jpeg"
PNG = "image/png"

EXTENSIONS = {
    PDF: (".pdf",),
    DOCX: (".docx",),
    XLSX: (".xlsx",),
    JPEG: (".jpg", ".jpeg"),
    PNG: (".png",),
}
LABELS = {PDF: "PDF", DOCX: "DOCX", XLSX: "XLSX", JPEG: "JPEG", PNG: "PNG"}
DRAFT_TYPES = (PDF, DOCX)
ATTACHMENT_TYPES = (PDF, DOCX, XLSX, JPEG, PNG)

MAX_BYTES: int = getattr(settings, "DOCUMENTS_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MAX_TEXT_CHARS = 200_000


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content: bytes
    content_type: str
    size: int
    sha256: str
    page_count: int | None = None


def _office_kind(content: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" not in names:
                return None
            if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED_BYTES:
                return "too_large"
            if "word/document.xml" in names:
                return DOCX
            if "xl/workbook.xml" in names:
                return XLSX
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    return None


def sniff(content: bytes) -> str | None:
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content.startswith(b"PK\x03\x04"):
        return _office_kind(content)
    return None


def check_bytes(
    content: bytes, name: str, *, allowed: tuple[str, ...], label: str = "tệp"
) -> CheckedFile:
    """Return the checked file or raise UploadRejected with a Vietnamese message."""
    name = name or "tep"
    if len(content) > MAX_BYTES:
        raise UploadRejected(
            f"Tệp “{name}” ({label}) vượt quá dung lượng cho phép {MAX_BYTES // (1024 * 1024)} MB.",
            code="too_large",
        )
    if not content:
        raise UploadRejected(f"Tệp “{name}” ({label}) rỗng.", code="empty")
    content_type = sniff(content)
    if content_type == "too_large":
        raise UploadRejected(f"Tệp “{name}” ({label}) giải nén quá lớn.", code="too_large")
    allowed_labels = ", ".join(LABELS[t] for t in allowed)
    if content_type is None or content_type not in allowed:
        raise UploadRejected(
            f"Tệp “{name}” ({label}) không phải {allowed_labels} "
            "(nội dung tệp không đúng định dạng).",
            code="bad_type",
        )
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in EXTENSIONS[content_type]:
        raise UploadRejected(
            f"Tên tệp “{name}” ({label}) không khớp với nội dung ({LABELS[content_type]}).",
            code="extension_mismatch",
        )
    pages = None
    if content_type == PDF:
        pages = check_pdf(content, name, label)
    elif content_type in (JPEG, PNG):
        check_image(content, name, label)
    return CheckedFile(
        name=safe_name(name),
        content=content,
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        page_count=pages,
    )


def check_upload(upload: object, *, allowed: tuple[str, ...], label: str = "tệp") -> CheckedFile:
    """Check a Django UploadedFile (read at most one byte over the limit)."""
    name = str(getattr(upload, "name", "") or "tep")
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise UploadRejected(
            f"Tệp “{name}” ({label}) vượt quá dung lượng cho phép {MAX_BYTES // (1024 * 1024)} MB.",
            code="too_large",
        )
    content = upload.read(MAX_BYTES + 1)  # type: ignore[attr-defined]
    return check_bytes(content, name, allowed=allowed, label=label)


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


def docx_to_pdf(content: bytes, *, timeout: int = 120) -> bytes:
    """Convert with LibreOffice in headless mode; raise ConversionFailed when it is missing or
    fails (the official then uploads the PDF)."""
    soffice = soffice_path()
    if soffice is None:
        raise ConversionFailed(
            "Máy chủ chưa cài LibreOffice nên không chuyển được DOCX sang PDF: "
            "vui lòng tải lên bản PDF của văn bản để ký số.",
            code="no_converter",
        )
    with tempfile.TemporaryDirectory(prefix="egov-docx-") as tmp:
        source = Path(tmp) / "van-ban.docx"
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
            raise ConversionFailed(
                "Không chuyển được DOCX sang PDF: vui lòng tải lên bản PDF của văn bản.",
            ) from exc
