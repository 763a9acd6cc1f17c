"""`{{ code|edxml_status }}`: an edXML status code with its name ("03 Đã tiếp nhận, vào sổ"), so a
page never shows a bare "01" or "03"."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def edxml_status(code: str | None) -> str:
    if not code:
        return ""
    from egov.exchange.edxml import STATUS_LABELS  # the exchange's own names (QCVN 102)

    label = STATUS_LABELS.get(str(code), "")
    return f"{code} {label}" if label else str(code)
