"""Collects each area's API routes (an area module exposes `urlpatterns`)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

from . import accounting, payments, receipts, statements

urlpatterns: list[URLPattern | URLResolver] = [
    *payments.urlpatterns,
    *receipts.urlpatterns,
    *statements.urlpatterns,
    *accounting.urlpatterns,
]
