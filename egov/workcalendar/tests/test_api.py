"""The calendar API: appointment dates and working time, for API clients with calendar:read."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.urls import reverse

from egov.accounts.services import create_api_client
from egov.core.actors import SYSTEM
from egov.workcalendar.services import save_special_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def token() -> str:
    _client, secret = create_api_client(actor=SYSTEM, name="Một cửa", scopes=["calendar:read"])
    return secret


def get(client, name, params, token=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.get(reverse(name), params, **headers)


def test_appointment_date_across_tet_2027(client, token):
    response = get(
        client, "api-calendar-add", {"start": "2027-02-03T10:00:00+07:00", "days": 3}, token
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["due"] == "2027-02-15T17:00:00+07:00"
    assert body["receipt_day"] == "2027-02-03"
    assert body["agency"] is None
    assert body["working_hours"] == "07:30-11:30,13:30-17:00"


def test_start_without_offset_is_vietnam_time_and_utc_is_converted(client, token):
    naive = get(client, "api-calendar-add", {"start": "2026-02-13T17:30:00", "days": 1}, token)
    assert naive.json()["due"] == "2026-02-24T17:00:00+07:00"
    utc = get(client, "api-calendar-add", {"start": "2026-02-13T09:30:00Z", "days": 1}, token)
    assert utc.json()["start"] == "2026-02-13T16:30:00+07:00"
    assert utc.json()["due"] == "2026-02-23T17:00:00+07:00"


def test_agency_calendar_is_used_when_asked(client, token, agency):
    save_special_day(
        actor=SYSTEM, day=date(2026, 2, 23), kind="day_off", name="Lễ hội", agency=agency
    )
    params = {"start": "2026-02-13T15:00:00+07:00", "days": 3}
    assert (
        get(client, "api-calendar-add", params, token).json()["due"] == "2026-02-25T17:00:00+07:00"
    )
    own = get(client, "api-calendar-add", {**params, "agency": agency.identifier}, token).json()
    assert own["due"] == "2026-02-26T17:00:00+07:00"
    assert own["agency"] == agency.identifier


def test_bad_input_gives_the_error_body_with_fields(client, token):
    response = get(
        client, "api-calendar-add", {"start": "hôm qua", "days": "-1", "agency": "không-có"}, token
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["message"]
    assert set(body["fields"]) == {"start", "days", "agency"}
    missing = get(client, "api-calendar-add", {}, token).json()
    assert set(missing["fields"]) == {"start", "days"}
    too_far = get(client, "api-calendar-add", {"start": "2300-01-01T08:00:00Z", "days": 1}, token)
    assert too_far.status_code == 400 and "start" in too_far.json()["fields"]
    between = get(client, "api-calendar-between", {"start": "2026-02-13T08:00:00Z"}, token)
    assert between.status_code == 400 and set(between.json()["fields"]) == {"end"}


def test_working_time_between_two_moments(client, token):
    params = {"start": "2026-02-13T16:00:00+07:00", "end": "2026-02-23T08:30:00+07:00"}
    body = get(client, "api-calendar-between", params, token).json()
    assert body["working_seconds"] == 2 * 3600
    assert body["working_hours"] == 2.0
    assert body["working_days"] == 1
    backwards = get(
        client, "api-calendar-between", {"start": params["end"], "end": params["start"]}, token
    ).json()
    assert backwards["working_seconds"] == -2 * 3600
    assert backwards["working_days"] == -1


def test_requests_without_a_token_are_refused(client):
    response = get(client, "api-calendar-add", {"start": "2026-02-13T10:00:00Z", "days": 1})
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    response = get(
        client,
        "api-calendar-between",
        {"start": "2026-02-13T10:00:00Z", "end": "2026-02-14T10:00:00Z"},
    )
    assert response.status_code == 401


def test_a_client_without_the_calendar_scope_is_refused(client):
    _client, secret = create_api_client(actor=SYSTEM, name="Khác", scopes=["org:read"])
    response = get(client, "api-calendar-add", {"start": "2026-02-13T10:00:00Z", "days": 1}, secret)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_schema_documents_the_parameters(client):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    add = schema["paths"]["/api/v1/calendar/add-working-days/"]["get"]
    assert {p["name"] for p in add["parameters"]} == {"start", "days", "agency"}
    between = schema["paths"]["/api/v1/calendar/between/"]["get"]
    assert {p["name"] for p in between["parameters"]} == {"start", "end", "agency"}


def test_a_day_off_saved_after_the_calendar_was_read_counts_at_once(
    agency, django_assert_num_queries
):
    """The calendar is kept in the process (no queries per request), yet a change is never
    missed by the process that made it."""
    from egov.workcalendar.services import WorkingCalendar

    start = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # Monday 15:00 in Hanoi
    before = WorkingCalendar.for_agency(agency).add_working_days(start, 1)
    with django_assert_num_queries(0):
        assert WorkingCalendar.for_agency(agency).add_working_days(start, 1) == before
    save_special_day(actor=SYSTEM, day=date(2026, 3, 3), kind="day_off", name="Lễ", agency=agency)
    after = WorkingCalendar.for_agency(agency).add_working_days(start, 1)
    assert after.date() == date(2026, 3, 4) and before.date() == date(2026, 3, 3)
