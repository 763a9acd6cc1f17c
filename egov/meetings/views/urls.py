"""Collects each area's routes (an area module exposes `urlpatterns`)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

from . import consultations, materials, minutes, room, secretariat, votes

urlpatterns: list[URLPattern | URLResolver] = []
urlpatterns += secretariat.urlpatterns
urlpatterns += materials.urlpatterns
urlpatterns += votes.urlpatterns
urlpatterns += consultations.urlpatterns
urlpatterns += minutes.urlpatterns
urlpatterns += room.urlpatterns
