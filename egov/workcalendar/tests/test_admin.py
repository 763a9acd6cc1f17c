"""Operators maintain the calendar in the administration; every change is an event."""

from __future__ import annotations

from datetime import date

import pytest

from egov.events.models import Event
from egov.org.models import Role
from egov.workcalendar.models import SpecialDay, WorkingHours

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _forget_used_totp_codes():
    """allauth refuses a TOTP code already used (kept in the cache); tests log in often."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def operator_client(client, agency, make_official, login_with_mfa):
    official = make_official(agency, roles=[Role.OPERATOR])
    login_with_mfa(official.user)
    return client


def test_operator_adds_a_swap_saturday_and_the_change_is_recorded(operator_client):
    response = operator_client.post(
        "/quan-tri/workcalendar/specialday/add/",
        {
            "date": "22/08/2026",
            "kind": "working_day",
            "name": "Làm bù cho ngày 31/8/2026",
            "agency": "",
            "legal_basis": "Thông báo của UBND tỉnh",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    row = SpecialDay.objects.get(date=date(2026, 8, 22))
    assert row.kind == "working_day" and row.source == "operator"
    event = Event.objects.get(event_type="calendar.special_day_saved")
    assert event.payload["after"]["name"] == "Làm bù cho ngày 31/8/2026"
    assert event.actor_kind == "operator"

    # The same date twice for the province is refused with a message in Vietnamese.
    again = operator_client.post(
        "/quan-tri/workcalendar/specialday/add/",
        {"date": "22/08/2026", "kind": "day_off", "name": "Trùng", "agency": "", "legal_basis": ""},
    )
    assert again.status_code == 200
    assert "Ngày này đã được khai báo cho toàn tỉnh." in again.content.decode()

    listing = operator_client.get("/quan-tri/workcalendar/specialday/")
    assert listing.status_code == 200
    assert "Thứ Bảy" in listing.content.decode()

    delete = operator_client.post(
        f"/quan-tri/workcalendar/specialday/{row.pk}/delete/", {"post": "yes"}
    )
    assert delete.status_code == 302
    assert Event.objects.filter(event_type="calendar.special_day_deleted").count() == 1


def test_operator_sets_working_hours_and_bad_hours_are_refused(operator_client, agency):
    bad = operator_client.post(
        "/quan-tri/workcalendar/workinghours/add/",
        {
            "agency": agency.pk,
            "morning_start": "11:00",
            "morning_end": "08:00",
            "afternoon_start": "13:30",
            "afternoon_end": "17:00",
        },
    )
    assert bad.status_code == 200
    assert "buổi sáng phải trước buổi chiều" in bad.content.decode()
    ok = operator_client.post(
        "/quan-tri/workcalendar/workinghours/add/",
        {
            "agency": agency.pk,
            "morning_start": "07:00",
            "morning_end": "11:30",
            "afternoon_start": "13:00",
            "afternoon_end": "16:30",
        },
    )
    assert ok.status_code == 302
    assert WorkingHours.objects.get(agency=agency).afternoon_end.hour == 16
    assert Event.objects.filter(event_type="calendar.working_hours_set").count() == 1


def test_year_overview_lists_tet_and_swap_days(operator_client):
    page = operator_client.get("/quan-tri/workcalendar/specialday/nam/2026/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "16/02/2026" in text and "Giao thừa Tết Nguyên Đán" in text
    assert "22/08/2026" in text  # swap Saturday from the holidays package
    assert "Số ngày làm việc trong năm: 249" in text


def test_a_plain_official_cannot_open_the_calendar_admin(
    client, agency, make_official, login_with_mfa
):
    official = make_official(agency, roles=[Role.RECEIVER])
    login_with_mfa(official.user)
    response = client.get("/quan-tri/workcalendar/specialday/")
    assert response.status_code in (302, 403)
    assert not SpecialDay.objects.exists()
