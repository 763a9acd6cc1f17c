"""Collects each area's API routes (an area module exposes `urlpatterns`)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

from . import minutes

urlpatterns: list[URLPattern | URLResolver] = []
urlpatterns += minutes.urlpatterns
