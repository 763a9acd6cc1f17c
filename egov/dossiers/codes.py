"""Dossier codes: `{agency id}-{yyMMdd}-{NNNN}`, a 4-digit serial per receiving agency per day.

The generator is pluggable (settings.DOSSIER_CODE_GENERATOR, a dotted path to a callable taking
(agency_identifier, local_day) and returning the code) because the legal format is unverified.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from egov.core.counters import next_value

from .models import Dossier, DossierCounter, DossierRegisterCounter


def next_serial(agency_identifier: str, day: date) -> int:
    """The day's next serial of the receiving agency, taken in the submission's transaction."""
    return next_value(DossierCounter, agency_identifier=agency_identifier, day=day)


def default_generator(agency_identifier: str, day: date) -> str:
    serial = next_serial(agency_identifier, day)
    return f"{agency_identifier}-{day:%y%m%d}-{serial:04d}"


def generator() -> Callable[[str, date], str]:
    path = getattr(settings, "DOSSIER_CODE_GENERATOR", None)
    return import_string(path) if path else default_generator


def enter_in_register(dossier: Dossier, at: datetime) -> None:
    """Give a dossier received at `at` its entry in the receiving agency's dossier register
    (sổ theo dõi hồ sơ, form 06): the next number of the agency's book for that local year,
    taken in the reception's transaction so entries are gap-free. The caller saves the fields.

    One book a year per agency is this platform's choice: the circular's form 01 asks for the
    book (quyển số) and the entry (số thứ tự) without saying how books are kept."""
    if dossier.register_number is not None:
        return
    year = timezone.localtime(at).year
    dossier.register_year = year
    dossier.register_number = next_value(
        DossierRegisterCounter, agency=dossier.agency_id, year=year
    )
