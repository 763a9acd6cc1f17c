"""A fresh installation gets the government's announced days from `migrate` (issue #13, 8):
without them the 2026 New Year swap (02/01 off, Saturday 10/01 worked) is missing and every
deadline across it is a day wrong. The operator's own entries and deletions win."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command
from django.test import override_settings

from egov.core.actors import SYSTEM
from egov.workcalendar.apps import load_official_days_on_migrate
from egov.workcalendar.models import OfficialDayLoaded, SpecialDay
from egov.workcalendar.official_days import OFFICIAL_DAYS
from egov.workcalendar.services import WorkingCalendar, save_special_day

pytestmark = pytest.mark.django_db

ON = override_settings(WORKCALENDAR_LOAD_OFFICIAL_DAYS=True)


def test_migrate_loads_the_new_year_2026_swap_with_its_source():
    calendar = WorkingCalendar.for_agency(None)
    assert calendar.is_working_day(date(2026, 1, 2))  # what the package alone says
    with ON:
        call_command("migrate", verbosity=0)
    calendar = WorkingCalendar.for_agency(None)
    assert not calendar.is_working_day(date(2026, 1, 2))
    assert calendar.is_working_day(date(2026, 1, 10))  # a Saturday worked in exchange
    row = SpecialDay.objects.get(date=date(2026, 1, 2), agency__isnull=True)
    assert row.source == SpecialDay.Source.OFFICIAL
    assert "12729/VPCP-KGVX" in row.legal_basis
    assert OfficialDayLoaded.objects.count() == len(OFFICIAL_DAYS)


def test_an_operator_entry_wins_and_a_deleted_official_day_stays_deleted():
    save_special_day(
        actor=SYSTEM, day=date(2026, 1, 2), kind="working_day", name="Tỉnh vẫn làm việc"
    )
    with ON:
        load_official_days_on_migrate()
    assert SpecialDay.objects.get(date=date(2026, 1, 2)).source == SpecialDay.Source.OPERATOR
    # The operator decides the province does not work Saturday 10/01 after all.
    SpecialDay.objects.filter(date=date(2026, 1, 10)).delete()
    with ON:
        load_official_days_on_migrate()
    assert not SpecialDay.objects.filter(date=date(2026, 1, 10)).exists()
    # The command still offers every entry when the operator asks for it by hand.
    call_command("load_official_days", verbosity=0)
    assert SpecialDay.objects.filter(date=date(2026, 1, 10)).exists()


def test_switched_off_it_loads_nothing():
    load_official_days_on_migrate()  # the test settings keep it off
    assert not SpecialDay.objects.exists() and not OfficialDayLoaded.objects.exists()
