"""The electronic identity login's pages, at the site root (namespace "identity")."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "identity"
urlpatterns: list[URLPattern | URLResolver] = [
    path("dang-nhap/vneid/", views.vneid_start, name="vneid_start"),
    path("dang-nhap/vneid/callback/", views.vneid_callback, name="vneid_callback"),
]
