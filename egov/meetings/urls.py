"""The meetings pages, mounted at /hop/ (namespace "meetings"). Each area keeps its own routes
in views/<area>.py (`urlpatterns` there) so they can grow apart."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

from .views import urls as area_urls

app_name = "meetings"
urlpatterns: list[URLPattern | URLResolver] = list(area_urls.urlpatterns)
