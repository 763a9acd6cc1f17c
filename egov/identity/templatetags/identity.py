"""`{% vneid_login_url as url %}`: the start of the VNeID login when it is configured, else ""."""

from __future__ import annotations

from django import template
from django.urls import reverse

from ..providers import provider

register = template.Library()


@register.simple_tag
def vneid_login_url(next_url: str = "") -> str:
    if provider("vneid") is None:
        return ""
    url = reverse("identity:vneid_start")
    if next_url:
        from urllib.parse import urlencode

        url += "?" + urlencode({"next": next_url})
    return url
