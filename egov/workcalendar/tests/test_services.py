"""Operator entries, per-agency calendars and hours, events, and the official-days loader."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from egov.core.actors import SYSTEM, Actor
from egov.core.errors import Conflict, DomainError, NotAllowed
from egov.events.models import Event
from egov.workcalendar.models import SpecialDay, WorkingHours
from egov.workcalendar.official_days import OFFICIAL_DAYS
from egov.workcalendar.services import (
    VN_TZ,
    WorkingCalendar,
    delete_special_day,
    load_official_days,
    reset_working_hours,
    save_special_day,
    set_working_hours,
)

pytestmark = pytest.mark.django_db

OFFICIAL = Actor(kind="official", user_id=99, agency_ids=frozenset({1}), label="cb")


def vn(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=VN_TZ)


def test_agency_entry_overrides_province_and_stays_with_its_agency(agency, other_agency):
    # A local festival: the agency closes on Mon 23/2/2026, right after Tết.
    save_special_day(
        actor=SYSTEM,
        day=date(2026, 2, 23),
        kind=SpecialDay.Kind.DAY_OFF,
        name="Lễ hội địa phương",
        agency=agency,
    )
    # Province-wide the swap Saturday 10/1/2026 is worked; this agency does not work it.
    save_special_day(
        actor=SYSTEM, day=date(2026, 1, 10), kind=SpecialDay.Kind.WORKING_DAY, name="Làm bù"
    )
    save_special_day(
        actor=SYSTEM,
        day=date(2026, 1, 10),
        kind=SpecialDay.Kind.DAY_OFF,
        name="Cơ quan không làm bù",
        agency=agency,
    )
    own = WorkingCalendar.for_agency(agency)
    other = WorkingCalendar.for_agency(other_agency)
    province = WorkingCalendar.for_agency(None)
    received = vn(2026, 2, 13, 15)  # last working day before Tết 2026
    assert own.add_working_days(received, 3) == vn(2026, 2, 26, 17)
    assert other.add_working_days(received, 3) == vn(2026, 2, 25, 17)
    assert province.add_working_days(received, 3) == vn(2026, 2, 25, 17)
    assert not own.is_working_day(date(2026, 1, 10))
    assert other.is_working_day(date(2026, 1, 10))
    assert WorkingCalendar.for_agency(agency.pk).overrides == own.overrides


def test_working_hours_fall_back_from_agency_to_province_to_default(agency, other_agency):
    assert WorkingCalendar.for_agency(agency).sessions.as_text() == "07:30-11:30,13:30-17:00"
    set_working_hours(
        actor=SYSTEM,
        agency=None,
        morning_start=time(7),
        morning_end=time(11, 30),
        afternoon_start=time(13, 30),
        afternoon_end=time(17),
    )
    set_working_hours(
        actor=SYSTEM,
        agency=agency,
        morning_start=time(8),
        morning_end=time(12),
        afternoon_start=time(13),
        afternoon_end=time(17, 30),
    )
    own = WorkingCalendar.for_agency(agency)
    assert own.sessions.as_text() == "08:00-12:00,13:00-17:30"
    assert WorkingCalendar.for_agency(other_agency).sessions.as_text() == "07:00-11:30,13:30-17:00"
    # A 3-day budget ends at the agency's own closing time.
    assert own.add_working_days(vn(2026, 3, 2, 9), 3) == vn(2026, 3, 5, 17, 30)
    assert own.add_working_hours(vn(2026, 3, 2, 11), 2) == vn(2026, 3, 2, 14)
    # Setting again updates the same row and records the change.
    set_working_hours(
        actor=SYSTEM,
        agency=agency,
        morning_start=time(7, 30),
        morning_end=time(11, 30),
        afternoon_start=time(13, 30),
        afternoon_end=time(17),
    )
    assert WorkingHours.objects.filter(agency=agency).count() == 1
    events = Event.objects.filter(event_type="calendar.working_hours_set", agency_id=agency.pk)
    assert [e.payload["after"] for e in events] == [
        "08:00-12:00,13:00-17:30",
        "07:30-11:30,13:30-17:00",
    ]
    assert events.last().payload["before"] == "08:00-12:00,13:00-17:30"
    reset_working_hours(actor=SYSTEM, working_hours=WorkingHours.objects.get(agency=agency))
    assert WorkingCalendar.for_agency(agency).sessions.as_text() == "07:00-11:30,13:30-17:00"
    assert Event.objects.filter(event_type="calendar.working_hours_reset").count() == 1


def test_bad_working_hours_are_refused(agency):
    with pytest.raises(DomainError) as err:
        set_working_hours(
            actor=SYSTEM,
            agency=agency,
            morning_start=time(11),
            morning_end=time(8),
            afternoon_start=time(13),
            afternoon_end=time(17),
        )
    assert "buổi sáng phải trước buổi chiều" in err.value.message
    assert not WorkingHours.objects.exists()


def test_building_a_calendar_takes_two_queries_and_stepping_takes_none(
    agency, django_assert_num_queries
):
    for day in (5, 6, 7):
        save_special_day(
            actor=SYSTEM,
            day=date(2026, 3, day),
            kind=SpecialDay.Kind.DAY_OFF,
            name="Nghỉ",
            agency=agency,
        )
    with django_assert_num_queries(2):
        calendar = WorkingCalendar.for_agency(agency)
    with django_assert_num_queries(0):
        calendar.add_working_days(vn(2026, 1, 5, 9), 400)
        calendar.add_working_hours(vn(2026, 1, 5, 9), 1000)
        calendar.working_time_between(vn(2026, 1, 1), vn(2028, 1, 1))
        calendar.working_days_between(date(2026, 1, 1), date(2028, 1, 1))


def test_special_day_changes_are_recorded_and_need_an_operator(agency):
    with pytest.raises(NotAllowed):
        save_special_day(actor=OFFICIAL, day=date(2026, 3, 2), kind="day_off", name="Nghỉ")
    row = save_special_day(
        actor=SYSTEM,
        day=date(2026, 3, 2),
        kind="day_off",
        name="Nghỉ",
        agency=agency,
        legal_basis="Quyết định 1/QĐ-UBND",
    )
    with pytest.raises(Conflict):
        save_special_day(
            actor=SYSTEM, day=date(2026, 3, 2), kind="working_day", name="X", agency=agency
        )
    # The same date province-wide is a different scope and is allowed.
    save_special_day(actor=SYSTEM, day=date(2026, 3, 2), kind="working_day", name="Làm việc")
    save_special_day(
        actor=SYSTEM,
        day=date(2026, 3, 2),
        kind="working_day",
        name="Đổi ý",
        agency=agency,
        instance=row,
    )
    saved = Event.objects.filter(event_type="calendar.special_day_saved", agency_id=agency.pk)
    assert saved.count() == 2
    assert saved.last().payload["before"]["kind"] == "day_off"
    assert saved.last().payload["after"]["kind"] == "working_day"
    with pytest.raises(NotAllowed):
        delete_special_day(actor=OFFICIAL, special_day=row)
    delete_special_day(actor=SYSTEM, special_day=row)
    assert not SpecialDay.objects.filter(agency=agency).exists()
    deleted = Event.objects.get(event_type="calendar.special_day_deleted")
    assert deleted.payload["before"]["name"] == "Đổi ý"


@pytest.mark.parametrize("kind,name", [("holiday", "Nghỉ"), ("day_off", "  ")])
def test_invalid_special_days_are_refused(kind, name):
    with pytest.raises(DomainError):
        save_special_day(actor=SYSTEM, day=date(2026, 3, 2), kind=kind, name=name)


def test_database_keeps_one_entry_per_date_and_scope(agency):
    SpecialDay.objects.create(date=date(2026, 3, 2), kind="day_off", name="a")
    SpecialDay.objects.create(date=date(2026, 3, 2), kind="day_off", name="b", agency=agency)
    with pytest.raises(IntegrityError), transaction.atomic():
        SpecialDay.objects.create(date=date(2026, 3, 2), kind="day_off", name="c")
    with pytest.raises(IntegrityError), transaction.atomic():
        SpecialDay.objects.create(date=date(2026, 3, 2), kind="day_off", name="d", agency=agency)
    hours = {
        "morning_start": time(7, 30),
        "morning_end": time(11, 30),
        "afternoon_start": time(13, 30),
        "afternoon_end": time(17),
    }
    WorkingHours.objects.create(**hours)
    with pytest.raises(IntegrityError), transaction.atomic():
        WorkingHours.objects.create(**hours)
    with pytest.raises(IntegrityError), transaction.atomic():
        WorkingHours.objects.create(**{**hours, "afternoon_end": time(12)}, agency=agency)


def test_official_days_load_only_what_the_package_lacks_and_rerun_changes_nothing():
    result = load_official_days(actor=SYSTEM)
    assert result.created == [date(2026, 1, 2), date(2026, 1, 10)]
    assert date(2026, 2, 16) in result.already_in_package
    rows = SpecialDay.objects.filter(source=SpecialDay.Source.OFFICIAL)
    assert {r.date for r in rows} == {date(2026, 1, 2), date(2026, 1, 10)}
    assert all(r.agency_id is None and r.legal_basis for r in rows)
    events = Event.objects.filter(event_type="calendar.special_day_saved").count()
    again = load_official_days(actor=SYSTEM)
    assert again.created == [] and again.updated == []
    assert sorted(again.unchanged) == [date(2026, 1, 2), date(2026, 1, 10)]
    assert Event.objects.filter(event_type="calendar.special_day_saved").count() == events


def test_official_days_never_overwrite_an_operator_entry():
    save_special_day(
        actor=SYSTEM, day=date(2026, 1, 2), kind="working_day", name="Tỉnh vẫn làm việc"
    )
    result = load_official_days(actor=SYSTEM)
    assert result.kept_operator_rows == [date(2026, 1, 2)]
    row = SpecialDay.objects.get(date=date(2026, 1, 2))
    assert row.kind == "working_day" and row.source == SpecialDay.Source.OPERATOR


def test_include_covered_writes_every_known_day_and_the_command_reports(capsys):
    call_command("load_official_days", "--include-covered")
    assert SpecialDay.objects.count() == len(OFFICIAL_DAYS)
    out = capsys.readouterr().out
    assert "Đã thêm: 27/01/2025" in out
    call_command("load_official_days", "--show", "--year", "2027")
    assert "06/02/2027 Tết Nguyên Đán" in capsys.readouterr().out


def test_every_official_day_agrees_with_the_loaded_calendar():
    load_official_days(actor=SYSTEM)
    calendar = WorkingCalendar.for_agency(None)
    for item in OFFICIAL_DAYS:
        assert calendar.is_working_day(item.day) == (item.kind == "working_day"), item


def test_naive_and_negative_inputs_are_rejected():
    calendar = WorkingCalendar.statutory()
    with pytest.raises(ValueError):
        calendar.add_working_days(datetime(2026, 3, 2, 9), 1)
    with pytest.raises(ValueError):
        calendar.add_working_days(vn(2026, 3, 2, 9), -1)
    with pytest.raises(ValueError):
        calendar.add_working_hours(vn(2026, 3, 2, 9), -0.5)
    with pytest.raises(ValueError):
        calendar.add_working_hours(vn(2026, 3, 2, 9), float("nan"))
    with pytest.raises(TypeError):
        calendar.add_working_days(vn(2026, 3, 2, 9), 1.5)  # type: ignore[arg-type]
