"""Collects each area's routes (an area module exposes `urlpatterns`)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
