"""Dossier codes: `{agency id}-{yyMMdd}-{NNNN}`, a 4-digit serial per receiving agency per day.

The format is the one a production provincial system sends to the national portal (domain
reference section 4; unverified as the legal format). Its serial has exactly four digits, so an
agency can receive at most 9,999 dossiers a day: the 10,000th is refused with
`dossier_code_exhausted` and nothing is written (the counter is taken in the submission's
transaction), rather than issuing a five-digit code the national format does not have. A province
whose agency really receives more sets DOSSIER_CODE_GENERATOR to `wide_generator` (five digits
for every code of every day: one format, never a mix within a day) after checking with the
national portal that it accepts it.

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
from egov.core.errors import Conflict

from .error_codes import DossierErrorCode
from .models import Dossier, DossierCounter, DossierRegisterCounter

MAX_SERIAL = 9_999


def next_serial(agency_identifier: str, day: date) -> int:
    """The day's next serial of the receiving agency, taken in the submission's transaction."""
    return next_value(DossierCounter, agency_identifier=agency_identifier, day=day)


def default_generator(agency_identifier: str, day: date) -> str:
    serial = next_serial(agency_identifier, day)
    if serial > MAX_SERIAL:
        raise Conflict(
            f"Cơ quan đã tiếp nhận 9.999 hồ sơ trong ngày {day:%d/%m/%Y}, số tối đa mà mã hồ sơ "
            "cho phép. Vui lòng nộp lại vào ngày hôm sau hoặc liên hệ bộ phận một cửa.",
            code=DossierErrorCode.DOSSIER_CODE_EXHAUSTED,
        )
    return f"{agency_identifier}-{day:%y%m%d}-{serial:04d}"


def wide_generator(agency_identifier: str, day: date) -> str:
    """`{agency id}-{yyMMdd}-{NNNNN}`: five digits for every code, for an agency above 9,999 a
    day. Set it from the first day of use; never switch back and forth."""
    serial = next_serial(agency_identifier, day)
    if serial > 99_999:
        raise Conflict(
            f"Cơ quan đã tiếp nhận 99.999 hồ sơ trong ngày {day:%d/%m/%Y}.",
            code=DossierErrorCode.DOSSIER_CODE_EXHAUSTED,
        )
    return f"{agency_identifier}-{day:%y%m%d}-{serial:05d}"


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
