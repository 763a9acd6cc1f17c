"""Pages of the sharing area (/chia-se-du-lieu/)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "sharing"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.catalogue, name="catalogue"),
]
