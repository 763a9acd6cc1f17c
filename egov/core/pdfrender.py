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


def render_pdf(template: str, context: Mapping[str, Any]) -> bytes:
    """The template rendered as PDF bytes."""
    return bytes(render_document(template, context).write_pdf())
