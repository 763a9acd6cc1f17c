"""The public catalogue page of the data-sharing services (/chia-se-du-lieu/)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import registry
from .api import catalogue_entry


def catalogue(request: HttpRequest) -> HttpResponse:
    entries = [catalogue_entry(s) for s in registry.SERVICES.values()]
    return render(request, "sharing/catalogue.html", {"services": entries})
