"""The written content of a draft rendered as a PDF in the layout of Decree 30 (appendix I):
issuing agency and national motto side by side, number/symbol and place and date (blanks in a
draft; in the copy for signing, form fields the clerk's numbering fills: pdffields.py), type
name and subject, "Kính gửi" (once), the content, "Nơi nhận" and the signer's authority, title
and name (authority.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from egov.core.pdfrender import CSS_PX_TO_PT, SIGNATURE_SLOT_ID, render_document, signature_box
from egov.core.text import normalize_vietnamese

from . import authority, pdffields
from .models import OutgoingDocument, Recipient
from .numbering import placeholder_symbol

# The ids of the empty boxes a copy for signing leaves for the number/symbol and the date.
NUMBER_SLOT_ID = "o-so-ky-hieu"
DATE_SLOT_ID = "o-ngay-ban-hanh"
BODY_FONT_SIZE = 13.0

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


def signer_title_lines(document: OutgoingDocument) -> list[str]:
    """The lines above the signature: set at approval from the signer's position; before that,
    the authority line the draft's choice gives (the signer is not known yet)."""
    if document.signer_title:
        return title_lines(document.signer_title)
    return authority.signer_lines(document.agency, document.signing_authority, None)


def _is_salutation(paragraph: str) -> bool:
    return normalize_vietnamese(paragraph).startswith("kinh gui")


def split_salutation(paragraphs: list[str]) -> tuple[list[str], list[str]]:
    """A content that starts with its own "Kính gửi: …" (and its "- …" lines) keeps it as the
    salutation; the page then prints no second one. Returns (salutation lines, the rest)."""
    if not paragraphs or not _is_salutation(paragraphs[0]):
        return [], paragraphs
    lines = [paragraphs[0]]
    rest = paragraphs[1:]
    while rest and rest[0][:1] in ("-", "–", "+"):
        lines.append(rest[0])
        rest = rest[1:]
    return lines, rest


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
    own_salutation, paragraphs = split_salutation(paragraphs)
    if own_salutation or not doc_type.is_official_letter:
        addressees = []
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
        "date_text": pdffields.blank_date_text(year),
        "addressees": addressees,
        "own_salutation": own_salutation,
        "number_slot_id": NUMBER_SLOT_ID,
        "date_slot_id": DATE_SLOT_ID,
        "paragraphs": paragraphs,
        "recipient_lines": recipient_lines(document),
        "signer_title_lines": signer_title_lines(document),
        "signer_name": document.signer_name,
    }


@dataclass(frozen=True)
class RenderedPdf:
    content: bytes
    # Where the leader's signature goes (x1, y1, x2, y2 in PDF points), for a signing copy.
    signature_box: tuple[float, float, float, float] | None = None


def _field_slots(rendered: Any, context: dict[str, Any]) -> list[pdffields.Slot]:
    """Where the number/symbol and the date go, from the empty boxes the copy for signing left
    (their anchors, in CSS px from the page's top left)."""
    wanted = {
        NUMBER_SLOT_ID: (pdffields.NUMBER_FIELD, context["symbol"], "regular"),
        DATE_SLOT_ID: (pdffields.DATE_FIELD, context["date_text"], "italic"),
    }
    slots: list[pdffields.Slot] = []
    for index, page in enumerate(rendered.pages):
        height = page.height * CSS_PX_TO_PT
        for anchor_id, (name, text, style) in wanted.items():
            anchor = page.anchors.get(anchor_id)
            if anchor is None:
                continue
            left, top, right, bottom = (v * CSS_PX_TO_PT for v in anchor[:4])
            slots.append(
                pdffields.Slot(
                    name=name,
                    page=index,
                    rect=(left, height - bottom, right, height - top),
                    text=text,
                    style=style,
                    size=BODY_FONT_SIZE,
                )
            )
    return slots


def render_pdf(document: OutgoingDocument, *, for_signing: bool = False) -> RenderedPdf:
    """The document laid out as a PDF. A draft shows the signer's title and name and the blanks
    of the number and date; the copy made for signing leaves the signer's place empty (an
    anchored slot) for the personal signature, whose appearance carries the title, the signature
    image and the name, and carries the number and date as form fields showing the same blanks,
    filled when the clerk numbers the document (pdffields.py)."""
    context = render_context(document)
    context["for_signing"] = for_signing
    context["slot_id"] = SIGNATURE_SLOT_ID
    rendered = render_document("documents/pdf/document.html", context)
    content = bytes(rendered.write_pdf())
    if not for_signing:
        return RenderedPdf(content=content)
    box = signature_box(rendered)
    content = pdffields.add_fields(content, _field_slots(rendered, context))
    return RenderedPdf(content=content, signature_box=box)
