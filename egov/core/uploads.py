"""Uploaded files: checking (real type sniffing, size, page and pixel caps, safe names) and
storing them so that a transaction that rolls back leaves no file behind.

PDFs are read by `egov.core.pdfinspect` in a child process bounded in memory and time, and refused
when they carry active content (JavaScript, launch actions, embedded files...): a stored paper is
exactly what was sent (its hash is recorded), so it is refused rather than cleaned. Office files
(DOCX, XLSX, PPTX and the OpenDocument ODT/ODS/ODP) are ZIP packages checked for their parts, for a
bounded uncompressed size and for macros or ActiveX controls (refused like a PDF's active content:
a .docx that carries a macro project is a renamed .docm).

Each app states what it accepts in an `UploadRules` (dossier papers, document drafts...).
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import weakref
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models.fields.files import FieldFile

from .error_codes import UploadErrorCode
from .errors import DomainError
from .pdfinspect import PdfTooComplex, PdfUnreadable, inspect_pdf
from .text import strip_accents

logger = logging.getLogger(__name__)

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
ODP = "application/vnd.oasis.opendocument.presentation"
OFFICE_TYPES = (DOCX, XLSX, PPTX, ODT, ODS, ODP)
JPEG = "image/jpeg"
PNG = "image/png"

EXTENSIONS = {
    PDF: (".pdf",),
    DOCX: (".docx",),
    XLSX: (".xlsx",),
    PPTX: (".pptx",),
    ODT: (".odt",),
    ODS: (".ods",),
    ODP: (".odp",),
    JPEG: (".jpg", ".jpeg"),
    PNG: (".png",),
}
LABELS = {
    PDF: "PDF",
    DOCX: "DOCX",
    XLSX: "XLSX",
    PPTX: "PPTX",
    ODT: "ODT",
    ODS: "ODS",
    ODP: "ODP",
    JPEG: "JPEG",
    PNG: "PNG",
}
# An OpenDocument package names its type in its first entry, "mimetype" (ODF 1.2 part 3, 3.3).
ODF_MIMETYPES = {ODT.encode(): ODT, ODS.encode(): ODS, ODP.encode(): ODP}

MAX_PDF_PAGES: int = getattr(settings, "DOSSIER_MAX_PDF_PAGES", 100)
MAX_IMAGE_PIXELS: int = getattr(settings, "DOSSIER_MAX_IMAGE_PIXELS", 40_000_000)
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
DEFAULT_MAX_REQUEST_BYTES = 50 * 1024 * 1024


class UploadRejected(DomainError):
    code: str = UploadErrorCode.UPLOAD_REJECTED


@dataclass(frozen=True)
class UploadRules:
    """What one kind of upload accepts. `described` names the accepted types in the refusal
    (default "PDF, DOCX"); `names` how the mismatch refusal names the sniffed type."""

    allowed: tuple[str, ...]
    max_bytes: int
    described: str = ""
    names: Mapping[str, str] = field(default_factory=lambda: LABELS)
    # A PDF's page cap (None: DOSSIER_MAX_PDF_PAGES, the citizens' papers' cap).
    max_pages: int | None = None


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content: bytes
    content_type: str
    size: int
    sha256: str
    page_count: int | None = None


def safe_name(name: str) -> str:
    """Keep a readable name: no path, no control characters, ASCII-only, bounded length."""
    base = strip_accents(name.replace("\\", "/").rsplit("/", 1)[-1])
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._") or "tep"
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    return (stem[:80] + (f".{ext[:8]}" if ext else "")).lower()


# Parts that make an Office package run code: a VBA project (OOXML), ActiveX controls, an
# OpenDocument's Basic or script libraries.
MACRO_PARTS = re.compile(r"(^|/)(vbaProject\.bin|activeX/)|^(Basic|Scripts)/", re.IGNORECASE)


def _office_kind(content: bytes) -> str | None:
    """The Office type of a ZIP package; "too_large" for a zip bomb, "macro" for a package
    carrying macros or ActiveX controls; None for any other ZIP."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
            if sum(info.file_size for info in infos) > MAX_UNZIPPED_BYTES:
                return "too_large"
            kind: str | None = None
            if "[Content_Types].xml" in names:
                if "word/document.xml" in names:
                    kind = DOCX
                elif "xl/workbook.xml" in names:
                    kind = XLSX
                elif "ppt/presentation.xml" in names:
                    kind = PPTX
            elif (
                infos
                and infos[0].filename == "mimetype"
                and infos[0].file_size <= 100
                and "content.xml" in names
            ):
                kind = ODF_MIMETYPES.get(archive.read(infos[0]).strip())
            if kind is not None and any(MACRO_PARTS.search(name) for name in names):
                return "macro"
            return kind
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        return None


def sniff(content: bytes, allowed: Iterable[str] = EXTENSIONS) -> str | None:
    """The type the bytes really are (of `allowed`; "too_large" for an Office zip bomb)."""
    allowed = tuple(allowed)
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content.startswith(b"PK\x03\x04") and any(t in allowed for t in OFFICE_TYPES):
        return _office_kind(content)
    return None


def max_request_bytes() -> int:
    return int(getattr(settings, "UPLOAD_MAX_REQUEST_BYTES", DEFAULT_MAX_REQUEST_BYTES))


def check_total(uploads: Iterable[Any]) -> None:
    """Refuse files whose sum exceeds UPLOAD_MAX_REQUEST_BYTES (the middleware refuses most such
    requests before reading them; this holds for any caller of the services)."""
    limit = max_request_bytes()
    total = sum(int(u.size or 0) for u in uploads)
    if total > limit:
        raise UploadRejected(
            f"Tổng dung lượng các tệp ({total // (1024 * 1024)} MB) vượt quá "
            f"{limit // (1024 * 1024)} MB cho một lần gửi.",
            code=UploadErrorCode.REQUEST_TOO_LARGE,
        )


def _too_large(name: str, label: str, rules: UploadRules) -> UploadRejected:
    return UploadRejected(
        f"Tệp “{name}” ({label}) vượt quá dung lượng cho phép "
        f"{rules.max_bytes // (1024 * 1024)} MB.",
        code=UploadErrorCode.TOO_LARGE,
    )


def check_upload(upload: Any, *, rules: UploadRules, label: str = "tệp") -> CheckedFile:
    """Check a Django UploadedFile, reading at most one byte over the limit."""
    name = str(getattr(upload, "name", "") or "tep")
    size = getattr(upload, "size", None)
    if size is not None and size > rules.max_bytes:
        raise _too_large(name, label, rules)
    return check_bytes(upload.read(rules.max_bytes + 1), name, rules=rules, label=label)


def check_bytes(
    content: bytes, name: str, *, rules: UploadRules, label: str = "tệp"
) -> CheckedFile:
    """Return the checked file or raise UploadRejected with a message naming the paper."""
    name = name or "tep"
    if len(content) > rules.max_bytes:
        raise _too_large(name, label, rules)
    if not content:
        raise UploadRejected(f"Tệp “{name}” ({label}) rỗng.", code=UploadErrorCode.EMPTY)
    content_type = sniff(content, rules.allowed)
    if content_type == "too_large":
        raise UploadRejected(
            f"Tệp “{name}” ({label}) giải nén quá lớn.", code=UploadErrorCode.TOO_LARGE
        )
    if content_type == "macro":
        raise UploadRejected(
            f"Tệp “{name}” ({label}) chứa macro hoặc điều khiển ActiveX, không được chấp nhận; "
            "hãy lưu lại tài liệu dưới dạng không có macro (hoặc xuất ra PDF) rồi gửi lại.",
            code=UploadErrorCode.ACTIVE_CONTENT,
        )
    if content_type is None or content_type not in rules.allowed:
        described = rules.described or ", ".join(LABELS[t] for t in rules.allowed)
        raise UploadRejected(
            f"Tệp “{name}” ({label}) không phải {described} (nội dung tệp không đúng định dạng).",
            code=UploadErrorCode.BAD_TYPE,
        )
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in EXTENSIONS[content_type]:
        raise UploadRejected(
            f"Tên tệp “{name}” ({label}) không khớp với nội dung "
            f"({rules.names.get(content_type, content_type)}).",
            code=UploadErrorCode.EXTENSION_MISMATCH,
        )
    pages = None
    if content_type == PDF:
        pages = check_pdf(content, name, label, max_pages=rules.max_pages)
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


def check_pdf(content: bytes, name: str, label: str, *, max_pages: int | None = None) -> int:
    """The page count of a PDF that is readable, unencrypted, free of active content and within
    the page cap (`max_pages`, default MAX_PDF_PAGES); else UploadRejected."""
    cap = max_pages or MAX_PDF_PAGES
    try:
        report = inspect_pdf(content)
    except PdfUnreadable as exc:
        raise UploadRejected(
            f"Tệp “{name}” ({label}) là PDF hỏng.", code=UploadErrorCode.CORRUPT
        ) from exc
    except PdfTooComplex as exc:
        raise UploadRejected(
            f"Tệp PDF “{name}” ({label}) không hợp lệ hoặc quá phức tạp để kiểm tra; "
            "hãy in (xuất) lại tài liệu ra PDF rồi nộp lại.",
            code=UploadErrorCode.PDF_TOO_COMPLEX,
        ) from exc
    if report.encrypted:
        raise UploadRejected(
            f"Tệp “{name}” ({label}) được đặt mật khẩu; hãy nộp bản không mã hóa.",
            code=UploadErrorCode.ENCRYPTED,
        )
    if report.active:
        raise UploadRejected(
            f"Tệp PDF “{name}” ({label}) chứa nội dung chủ động không được chấp nhận "
            f"({', '.join(report.active)}); hãy in lại tài liệu ra PDF "
            "(In → Lưu dưới dạng PDF) rồi nộp lại.",
            code=UploadErrorCode.ACTIVE_CONTENT,
        )
    pages = report.pages
    if pages < 1:
        raise UploadRejected(
            f"Tệp “{name}” ({label}) không có trang nào.", code=UploadErrorCode.CORRUPT
        )
    if pages > cap:
        raise UploadRejected(
            f"Tệp “{name}” ({label}) có {pages} trang, vượt quá {cap} trang.",
            code=UploadErrorCode.TOO_MANY_PAGES,
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
                    code=UploadErrorCode.TOO_LARGE,
                )
            image.verify()
    except UploadRejected:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise UploadRejected(
            f"Ảnh “{name}” ({label}) bị hỏng.", code=UploadErrorCode.CORRUPT
        ) from exc


# --- storing inside a transaction ----------------------------------------------------------------
#
# A file is written to storage at once, but the row naming it only exists if the transaction
# commits. Django has no rollback hook, yet it already tracks which on-commit callbacks belong to
# which savepoint and drops them when that savepoint (or the whole transaction) rolls back. So each
# stored file puts a callback on that list: run at commit, it keeps the file; dropped by a
# rollback, its last reference goes and its finalizer deletes the file (reference counting frees it
# at once, inside the rollback). This works the same inside a caller's transaction, in nested
# atomic blocks (only the rolled-back savepoint's files go) and in tests' wrapping transaction.


class _KeepIfCommitted:
    __slots__ = ("__weakref__", "_finalizer")

    def __init__(self, storage: Storage, name: str) -> None:
        try:  # the very file written, even if the storage's root setting changes meanwhile
            path: Path | None = Path(storage.path(name))
        except NotImplementedError:  # a remote storage: delete by name
            path = None
        self._finalizer = weakref.finalize(self, _delete, storage, name, path)
        self._finalizer.atexit = False  # at exit the database decides, not us

    def __call__(self) -> None:
        self._finalizer.detach()


def _delete(storage: Storage, name: str, path: Path | None) -> None:
    try:
        if path is not None:
            path.unlink(missing_ok=True)
        else:
            storage.delete(name)
    except OSError:  # a leftover file is harmless; a failing rollback path is not
        logger.warning("could not remove %s after a rollback", name, exc_info=True)
    else:
        logger.info("removed %s: its transaction rolled back", name)


def delete_on_rollback(storage: Storage, name: str, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Delete the stored file `name` again if the current transaction (or savepoint) rolls back.
    Outside a transaction (autocommit) there is nothing to undo."""
    if transaction.get_connection(using).in_atomic_block:
        transaction.on_commit(_KeepIfCommitted(storage, name), using=using)


def save_file(
    field_file: FieldFile, name: str, content: bytes, *, using: str = DEFAULT_DB_ALIAS
) -> None:
    """Store `content` in a model's file field (the row is saved by the caller, in the same
    transaction); the stored file disappears again if that transaction rolls back."""
    field_file.save(name, ContentFile(content), save=False)
    delete_on_rollback(field_file.storage, str(field_file.name), using=using)
