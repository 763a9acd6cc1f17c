"""HTML templates rendered as PDF by WeasyPrint: the one place that knows how.

Every printed paper (receipts, control sheets, registers, drafts of documents, statistics
reports) is a Django template laid out with CSS. The context always carries `font_family`, a
list of fonts that carry every Vietnamese letter and tone mark. Nothing is fetched while
rendering: templates embed what they show (QR codes as data: URIs), so a name or address typed
by a user can never make the server read a file or call a URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.template.loader import render_to_string

if TYPE_CHECKING:
    from weasyprint import Document

PDF_FONT_FAMILY = "Noto Serif, Noto Sans, DejaVu Serif, serif"


def render_document(template: str, context: Mapping[str, Any]) -> Document:
    """The laid-out pages (for callers that look at them, e.g. to find an anchor)."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = render_to_string(template, {"font_family": PDF_FONT_FAMILY, **context})
    # data: URIs only; any other reference is left out of the page (WeasyPrint logs it).
    fetcher = URLFetcher(allowed_protocols=("data",), allow_redirects=False)
    return HTML(string=html, url_fetcher=fetcher).render()


CSS_PX_TO_PT = 0.75
# The signing app's personal signature box (about 7.4 x 4.7 cm), centred in the slot.
SIGNATURE_BOX = (210.0, 132.0)
# The id of the empty element a signing copy leaves where the personal signature goes.
SIGNATURE_SLOT_ID = "o-chu-ky"

Box = tuple[float, float, float, float]


def signature_box(document: Document, slot_id: str = SIGNATURE_SLOT_ID) -> Box | None:
    """Where the signature goes (x1, y1, x2, y2 in PDF points, origin bottom left): the box of
    SIGNATURE_BOX's size centred across the last page's slot, its top at the slot's top."""
    for page in reversed(document.pages):
        anchor = page.anchors.get(slot_id)
        if anchor is None:
            continue
        # The anchor is (left, top, right, bottom) in CSS px from the page's top left.
        left, top, right, _bottom = (v * CSS_PX_TO_PT for v in anchor[:4])
        width, height = SIGNATURE_BOX
        x1 = left + max(0.0, (right - left - width) / 2)
        y2 = page.height * CSS_PX_TO_PT - top
        return (round(x1, 2), round(y2 - height, 2), round(x1 + width, 2), round(y2, 2))
    return None


def render_pdf(template: str, context: Mapping[str, Any]) -> bytes:
    """The template rendered as PDF bytes."""
    return bytes(render_document(template, context).write_pdf())
