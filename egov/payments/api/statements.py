"""API: statements (routes in `urlpatterns`, collected by payments/api/urls.py)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
