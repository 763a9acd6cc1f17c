"""Collects each area's API routes (an area module exposes `urlpatterns`)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

from . import room

urlpatterns: list[URLPattern | URLResolver] = []
urlpatterns += room.urlpatterns
