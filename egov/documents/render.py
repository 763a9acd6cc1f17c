"""The written content of a draft rendered as a PDF in the layout of Decree 30 (appendix I):
issuing agency and national motto side by side, number/symbol (left blank until the clerk
numbers: the agency signature then carries it), place and date, type name and subject, the
content, "Nơi nhận" and the signer's authority, title and name."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from egov.core.pdfrender import SIGNATURE_SLOT_ID, render_document, signature_box

from .models import OutgoingDocument, Recipient
from .numbering import placeholder_symbol

_PLACE_PREFIXES = re.compile(
    r"^(Tỉnh|Thành phố|TP\.?|Xã|Phường|Đặc khu|Huyện|Quận|Thị xã)\s+", re.I
)


def default_place(document: OutgoingDocument) -> str:
    """The place name printed before the date: the agency's administrative unit without its
    prefix ("Tỉnh Quảng Ninh" → "Quảng Ninh")."""
    unit = document.agency.admin_unit
    if unit is None:
        return ""
    return _PLACE_PREFIXES.sub("", unit.name).strip()


def title_lines(title: str) -> list[str]:
    return [line.strip() for line in re.split(r"[\n/]", title or "") if line.strip()]


def recipient_lines(document: OutgoingDocument) -> list[str]:
    lines = [r.name for r in document.recipients.all()]
    keep = "Lưu: VT"
    if document.drafting_unit and document.drafting_unit.abbreviation:
        keep += f", {document.drafting_unit.abbreviation}"
    lines.append(keep)
    return lines


def render_context(document: OutgoingDocument) -> dict[str, Any]:
    agency = document.agency
    unit_abbr = document.drafting_unit.abbreviation if document.drafting_unit else ""
    doc_type = document.doc_type
    year = timezone.localdate().year
    addressees = [
        r.name for r in document.recipients.all() if r.kind != Recipient.Kind.INTERNAL
    ] or [r.name for r in document.recipients.all()]
    paragraphs = [
        p.strip() for p in re.split(r"\n\s*\n|\r?\n", document.content or "") if p.strip()
    ]
    return {
        "doc": document,
        "parent_name": agency.parent.name if agency.parent_id and agency.parent else "",
        "agency_name": agency.name,
        "symbol": document.symbol
        or placeholder_symbol(
            doc_type=doc_type,
            agency_abbreviation=agency.abbreviation,
            unit_abbreviation=unit_abbr,
            year=year,
        ),
        "is_letter": doc_type.is_official_letter,
        "type_name": doc_type.name,
        "place": document.place or default_place(document) or "……",
        "date_text": f"ngày\u2003\u2003tháng\u2003\u2003năm {year}",
        "addressees": addressees,
        "paragraphs": paragraphs,
        "recipient_lines": recipient_lines(document),
        "signer_title_lines": title_lines(document.signer_title),
        "signer_name": document.signer_name,
    }


@dataclass(frozen=True)
class RenderedPdf:
    content: bytes
    # Where the leader's signature goes (x1, y1, x2, y2 in PDF points), for a signing copy.
    signature_box: tuple[float, float, float, float] | None = None


def render_pdf(document: OutgoingDocument, *, for_signing: bool = False) -> RenderedPdf:
    """The document laid out as a PDF. A draft shows the signer's title and name; the copy made
    for signing leaves their place empty (an anchored slot) for the personal signature, whose
    appearance carries the title, the signature image and the name."""
    context = render_context(document)
    context["for_signing"] = for_signing
    context["slot_id"] = SIGNATURE_SLOT_ID
    rendered = render_document("documents/pdf/document.html", context)
    box = signature_box(rendered) if for_signing else None
    return RenderedPdf(content=bytes(rendered.write_pdf()), signature_box=box)
