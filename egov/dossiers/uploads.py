"""Checking uploaded papers: real type sniffing, size and page caps, safe names.

PDFs are read by `egov.core.pdfinspect` in a child process bounded in memory and time, and refused
when they carry active content (JavaScript, launch actions, embedded files...): a stored paper is
exactly what the applicant sent (its hash is recorded), so it is refused rather than cleaned.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from egov.core.errors import DomainError
from egov.core.pdfinspect import PdfTooComplex, PdfUnreadable, inspect_pdf

ALLOWED = {
    "application/pdf": (b"%PDF-", (".pdf",)),
    "image/jpeg": (b"\xff\xd8\xff", (".jpg", ".jpeg")),
    "image/png": (b"\x89PNG\r\n\x1a\n", (".png",)),
}
MAX_UPLOAD_BYTES: int = getattr(settings, "DOSSIER_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
MAX_PDF_PAGES: int = getattr(settings, "DOSSIER_MAX_PDF_PAGES", 100)
MAX_IMAGE_PIXELS: int = getattr(settings, "DOSSIER_MAX_IMAGE_PIXELS", 40_000_000)
DEFAULT_MAX_REQUEST_BYTES = 50 * 1024 * 1024


class UploadRejected(DomainError):
    code = "upload_rejected"


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content: bytes
    content_type: str
    size: int
    sha256: str
    page_count: int | None


def safe_name(name: str) -> str:
    """Keep a readable name: no path, no control characters, ASCII-only, bounded length."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFD", base).replace("đ", "d").replace("Đ", "D")
    base = "".join(c for c in base if not unicodedata.combining(c))
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._") or "tep"
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    return (stem[:80] + (f".{ext[:8]}" if ext else "")).lower()


def sniff(head: bytes) -> str | None:
    for content_type, (magic, _exts) in ALLOWED.items():
        if head.startswith(magic):
            return content_type
    return None


def max_request_bytes() -> int:
    return int(getattr(settings, "UPLOAD_MAX_REQUEST_BYTES", DEFAULT_MAX_REQUEST_BYTES))


def check_total(uploads: Iterable[UploadedFile]) -> None:
    """Refuse files whose sum exceeds UPLOAD_MAX_REQUEST_BYTES (the middleware refuses most such
    requests before reading them; this holds for any caller of the services)."""
    limit = max_request_bytes()
    total = sum(int(u.size or 0) for u in uploads)
    if total > limit:
        raise UploadRejected(
            f"Tổng dung lượng các tệp ({total // (1024 * 1024)} MB) vượt quá "
            f"{limit // (1024 * 1024)} MB cho một lần gửi.",
            code="request_too_large",
        )


def check_upload(upload: UploadedFile, *, label: str) -> CheckedFile:
    """Return the checked file or raise UploadRejected with a message naming the paper."""
    name = upload.name or "tep"
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        raise UploadRejected(
            f"Tệp “{name}” ({label}) vượt quá dung lượng cho phép "
            f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MB.",
            code="too_large",
        )
    content = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        raise UploadRejected(
            f"Tệp “{name}” ({label}) vượt quá dung lượng cho phép.", code="too_large"
        )
    if not content:
        raise UploadRejected(f"Tệp “{name}” ({label}) rỗng.", code="empty")
    content_type = sniff(content[:16])
    if content_type is None:
        raise UploadRejected(
            f"Tệp “{name}” ({label}) không phải PDF, JPEG hoặc PNG "
            "(nội dung tệp không đúng định dạng).",
            code="bad_type",
        )
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED[content_type][1]:
        raise UploadRejected(
            f"Tên tệp “{name}” ({label}) không khớp với nội dung ({content_type}).",
            code="extension_mismatch",
        )
    page_count = check_pdf(content, name, label) if content_type == "application/pdf" else None
    if content_type != "application/pdf":
        check_image(content, name, label)
    return CheckedFile(
        name=safe_name(name),
        content=content,
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        page_count=page_count,
    )


def check_pdf(content: bytes, name: str, label: str) -> int:
    """The page count of a PDF that is readable, unencrypted, free of active content and within
    the page cap; else UploadRejected."""
    try:
        report = inspect_pdf(content)
    except PdfUnreadable as exc:
        raise UploadRejected(f"Tệp “{name}” ({label}) là PDF hỏng.", code="corrupt") from exc
    except PdfTooComplex as exc:
        raise UploadRejected(
            f"Tệp PDF “{name}” ({label}) không hợp lệ hoặc quá phức tạp để kiểm tra; "
            "hãy in (xuất) lại tài liệu ra PDF rồi nộp lại.",
            code="pdf_too_complex",
        ) from exc
    if report.encrypted:
        raise UploadRejected(
            f"Tệp “{name}” ({label}) được đặt mật khẩu; hãy nộp bản không mã hóa.",
            code="encrypted",
        )
    if report.active:
        raise UploadRejected(
            f"Tệp PDF “{name}” ({label}) chứa nội dung chủ động không được chấp nhận "
            f"({', '.join(report.active)}); hãy in lại tài liệu ra PDF "
            "(In → Lưu dưới dạng PDF) rồi nộp lại.",
            code="active_content",
        )
    pages = report.pages
    if pages < 1:
        raise UploadRejected(f"Tệp “{name}” ({label}) không có trang nào.", code="corrupt")
    if pages > MAX_PDF_PAGES:
        raise UploadRejected(
            f"Tệp “{name}” ({label}) có {pages} trang, vượt quá {MAX_PDF_PAGES} trang.",
            code="too_many_pages",
        )
    return pages


def check_image(content: bytes, name: str, label: str) -> None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(content)) as image:
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise UploadRejected(
                    f"Ảnh “{name}” ({label}) quá lớn ({width}×{height} điểm ảnh).",
                    code="too_large",
                )
            image.verify()
    except UploadRejected:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise UploadRejected(f"Ảnh “{name}” ({label}) bị hỏng.", code="corrupt") from exc
