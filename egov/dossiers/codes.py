"""Dossier codes: `{agency id}-{yyMMdd}-{NNNN}`, a 4-digit serial per receiving agency per day.

The generator is pluggable (settings.DOSSIER_CODE_GENERATOR, a dotted path to a callable taking
(agency_identifier, local_day) and returning the code) because the legal format is unverified.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.conf import settings
from django.utils.module_loading import import_string

from egov.core.counters import next_value

from .models import DossierCounter


def next_serial(agency_identifier: str, day: date) -> int:
    """The day's next serial of the receiving agency, taken in the submission's transaction."""
    return next_value(DossierCounter, agency_identifier=agency_identifier, day=day)


def default_generator(agency_identifier: str, day: date) -> str:
    serial = next_serial(agency_identifier, day)
    return f"{agency_identifier}-{day:%y%m%d}-{serial:04d}"


def generator() -> Callable[[str, date], str]:
    path = getattr(settings, "DOSSIER_CODE_GENERATOR", None)
    return import_string(path) if path else default_generator
