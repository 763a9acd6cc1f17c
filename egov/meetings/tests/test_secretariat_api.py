"""The secretariat's API: an official of the secretariat prepares, sends, changes and cancels a
meeting; members, outsiders, another agency's secretariat, API clients (with or without scope)
and sessions without the second factor change nothing."""

from __future__ import annotations

import pytest
from icalendar import Calendar

from egov.accounts.services import create_api_client
from egov.conftest import assert_mfa_refused, login_client
from egov.core.actors import SYSTEM
from egov.meetings.models import Meeting, MeetingStatus
from egov.org.models import Role

from .secretariat_helpers import at, messages, reachable, state, vevent

pytestmark = pytest.mark.django_db

API = "/api/v1/meetings/"


@pytest.fixture
def board(board):  # type: ignore[no-untyped-def]
    reachable(board)
    return board


def _new(board) -> dict:  # type: ignore[no-untyped-def,type-arg]
    return {
        "title": "Họp chuyên đề về chuyển đổi số",
        "kind": "thematic",
        "starts_at": at(6, 8).isoformat(),
        "ends_at": at(6, 11).isoformat(),
        "place": "Hội trường tầng 2",
        "online_link": "https://hop.quangninh.gov.vn/phong/cds",
        "chair": board.chair.pk,
        "secretary": board.secretary.pk,
        "members": [m.pk for m in board.members],
        "guests": [{"official": board.guest.pk}],
    }


def _json(client, method: str, url: str, data=None):  # type: ignore[no-untyped-def]
    return getattr(client, method)(url, data or {}, content_type="application/json")


def test_the_secretariat_prepares_and_sends_a_meeting(board) -> None:  # type: ignore[no-untyped-def]
    office = login_client(board.secretariat.user)
    response = _json(office, "post", API, _new(board))
    assert response.status_code == 201, response.json()
    body = response.json()
    pk = body["id"]
    assert body["status"] == "draft" and body["rule"] == "ubnd"
    assert body["starts_at"].startswith(at(6, 8).strftime("%Y-%m-%dT08:00:00"))
    assert body["starts_at"].endswith("+07:00")
    assert len(body["participants"]) == 9 and body["items"] == []

    for title in ("Báo cáo tiến độ", "Kế hoạch năm sau", "Các vấn đề khác"):
        item = _json(office, "post", f"{API}{pk}/items/", {"title": title, "duration_minutes": 30})
        assert item.status_code == 201, item.json()
    items = office.get(f"{API}{pk}/items/").json()
    assert [i["position"] for i in items] == [1, 2, 3]
    moved = _json(office, "post", f"{API}{pk}/items/{items[2]['id']}/move/", {"position": 1})
    assert moved.json()[0]["title"] == "Các vấn đề khác"
    updated = _json(
        office,
        "put",
        f"{API}{pk}/items/{items[0]['id']}/",
        {
            "title": "Báo cáo tiến độ quý I",
            "presenter": board.members[0].pk,
            "duration_minutes": 20,
        },
    )
    assert updated.json()["presenter"]["id"] == board.members[0].pk
    guests = _json(
        office,
        "put",
        f"{API}{pk}/participants/",
        {
            "members": [m.pk for m in board.members],
            "guests": [{"official": board.guest.pk, "items": [items[1]["id"]]}],
        },
    )
    assert guests.status_code == 200, guests.json()
    guest_row = next(p for p in guests.json() if p["role"] == "guest")
    assert guest_row["items"] == [items[1]["id"]]

    version = office.get(f"{API}{pk}/").json()["version"]
    sent = _json(office, "post", f"{API}{pk}/publish/", {"version": version})
    assert sent.status_code == 200, sent.json()
    assert sent.json()["status"] == "published" and sent.json()["ical_sequence"] == 0
    meeting = Meeting.objects.get(pk=pk)
    assert len(messages(meeting, "email")) == 9

    changed = _json(office, "patch", f"{API}{pk}/", {"starts_at": at(6, 9).isoformat()})
    assert changed.status_code == 200, changed.json()
    assert [c["part"] for c in changed.json()["pending_changes"]] == ["time"]
    again = _json(office, "post", f"{API}{pk}/republish/", {"note": "Lùi 1 giờ"})
    assert again.json()["ical_sequence"] == 1 and again.json()["pending_changes"] == []

    ics = office.get(f"{API}{pk}/ics/")
    assert ics.status_code == 200 and ics["Content-Type"].startswith("text/calendar")
    assert vevent(Calendar.from_ical(ics.content))["SEQUENCE"] == 1

    cancelled = _json(office, "post", f"{API}{pk}/cancel/", {"reason": "Trùng lịch"})
    assert cancelled.json()["status"] == MeetingStatus.CANCELLED
    assert Calendar.from_ical(office.get(f"{API}{pk}/ics/").content)["METHOD"] == "CANCEL"


def test_refused_input_answers_with_the_fields_and_changes_nothing(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting()
    office = login_client(board.secretariat.user)
    before = state()
    bad = {**_new(board), "ends_at": at(6, 7).isoformat(), "members": [board.chair.pk]}
    response = _json(office, "post", API, bad)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "meeting_invalid" and {"ends_at", "members"} <= set(body["fields"])
    response = _json(office, "post", API, {**_new(board), "members": [10**12]})
    assert response.status_code == 400 and "members" in response.json()["fields"]
    response = _json(office, "post", API, {**_new(board), "starts_at": "9999-12-31T23:59:00Z"})
    assert response.status_code == 400
    response = _json(office, "post", f"{API}{meeting.pk}/items/", {"duration_minutes": 0})
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    response = _json(office, "post", f"{API}{meeting.pk}/cancel/", {"reason": ""})
    assert response.status_code == 400
    response = _json(office, "patch", f"{API}{meeting.pk}/", {"title": "Mới", "version": 99})
    assert response.status_code == 409 and response.json()["code"] == "stale_version"
    assert state() == before


def test_attacks_through_the_api_change_nothing(  # type: ignore[no-untyped-def]
    board, make_meeting, other_agency, make_official
) -> None:
    meeting = make_meeting()
    item = meeting.items.first()
    stranger = make_official(other_agency, roles=[Role.SECRETARIAT], username="vanphongkhac")
    writes = [
        ("post", API, _new(board)),
        ("patch", f"{API}{meeting.pk}/", {"title": "Sửa trộm"}),
        ("put", f"{API}{meeting.pk}/participants/", {"members": [board.outsider.pk]}),
        ("post", f"{API}{meeting.pk}/items/", {"title": "Chen vào"}),
        ("put", f"{API}{meeting.pk}/items/{item.pk}/", {"title": "Sửa trộm"}),
        ("delete", f"{API}{meeting.pk}/items/{item.pk}/", {}),
        ("post", f"{API}{meeting.pk}/publish/", {}),
        ("post", f"{API}{meeting.pk}/cancel/", {"reason": "Phá"}),
    ]
    _c, no_scope = create_api_client(actor=SYSTEM, name="A", scopes=[], agency=board.agency)
    _c, reader = create_api_client(
        actor=SYSTEM, name="B", scopes=["meetings:read"], agency=board.agency
    )
    _c, writer = create_api_client(
        actor=SYSTEM, name="C", scopes=["meetings:read", "meetings:write"], agency=board.agency
    )
    before = state()
    member = login_client(board.members[0].user)
    for method, url, data in writes:
        assert _json(member, method, url, data).status_code == 403, url
    for who in (board.outsider, stranger):
        client = login_client(who.user)
        for method, url, data in writes[1:]:
            assert _json(client, method, url, data).status_code == 404, (who, url)
        assert client.get(f"{API}{meeting.pk}/").status_code == 404
    # API clients: without a scope nothing, with read only reading, and even with write no
    # meeting is prepared by a machine.
    from django.test import Client

    for token in (no_scope, reader, writer):
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        for method, url, data in writes:
            assert _json(client, method, url, data).status_code == 403, (token[:10], url)
    assert Client(HTTP_AUTHORIZATION=f"Bearer {no_scope}").get(API).status_code == 403
    listing = Client(HTTP_AUTHORIZATION=f"Bearer {reader}").get(API)
    assert [m["id"] for m in listing.json()] == [meeting.pk]
    # A session without the second factor has no rights at all.
    password_only = login_client(board.secretariat.user, with_mfa=False)
    for method, url, data in writes:
        assert_mfa_refused(_json(password_only, method, url, data))
    assert state() == before


def test_the_openapi_schema_documents_the_secretariat(board) -> None:  # type: ignore[no-untyped-def]
    client = login_client(board.secretariat.user)
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert "/api/v1/meetings/{id}/publish/" in paths
    assert "/api/v1/meetings/{id}/items/{item_id}/move/" in paths
    ops = {op["operationId"] for p in paths.values() for op in p.values() if "operationId" in op}
    assert {"meetings_create", "meetings_republish", "meetings_cancel", "meetings_ics"} <= ops
