"""Collects each area's API routes (an area module exposes `urlpatterns`)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

from . import accounting, payments, receipts, statements

# The payments area's `payments/<code>/` would take `payments/statements/` (a POST answered 405):
# the fixed paths come first.
urlpatterns: list[URLPattern | URLResolver] = [
    *receipts.urlpatterns,
    *statements.urlpatterns,
    *accounting.urlpatterns,
    *payments.urlpatterns,
]
