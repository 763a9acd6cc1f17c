"""The members' pages, the chair's console and the room API, as people and attackers meet them:
an outsider (or another meeting's member) finds nothing, a member cannot run the room, an API
client without the scope or a session without the second factor gets nothing done."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from egov.accounts.services import create_api_client
from egov.conftest import assert_mfa_refused, login_client
from egov.core.actors import SYSTEM
from egov.events.models import Event
from egov.events.services import dispatch_due
from egov.meetings.models import (
    Meeting,
    MeetingNotice,
    MeetingStatus,
    Participant,
    SpeakingRequest,
)
from egov.meetings.services.attendance import answer_invitation
from egov.meetings.services.session import open_meeting
from egov.meetings.services.speaking import request_to_speak

from .conftest import actor

pytestmark = pytest.mark.django_db
API = "/api/v1/meetings"


def _urls(meeting: Meeting) -> tuple[list[str], list[tuple[str, dict]]]:  # type: ignore[type-arg]
    """Every page and API address of a meeting: (GETs, POSTs with a body)."""
    item = meeting.items.order_by("position").first()
    assert item is not None
    gets = [
        f"/hop/{meeting.pk}/",
        f"/hop/{meeting.pk}/dieu-hanh/",
        f"/hop/{meeting.pk}/dieu-hanh/?partial=live",
        f"{API}/room/{meeting.pk}/",
        f"{API}/room/{meeting.pk}/presence/",
        f"{API}/room/{meeting.pk}/items/{item.pk}/speakers/",
    ]
    posts = [
        (f"/hop/{meeting.pk}/tra-loi/", {"response": "accepted"}),
        (f"/hop/{meeting.pk}/phat-bieu/", {"item": item.pk}),
        (f"/hop/{meeting.pk}/dieu-hanh/khai-mac/", {}),
        (f"/hop/{meeting.pk}/dieu-hanh/diem-danh/", {"present": []}),
        (f"{API}/room/{meeting.pk}/answer/", {"response": "accepted"}),
        (f"{API}/room/{meeting.pk}/items/{item.pk}/speakers/", {"topic": "x"}),
        (f"{API}/room/{meeting.pk}/presence/", {"present": []}),
        (f"{API}/room/{meeting.pk}/session/open/", {}),
        (f"{API}/room/{meeting.pk}/session/close-speakers/", {"item": item.pk}),
    ]
    return gets, posts


def _state(meeting: Meeting) -> tuple:  # type: ignore[type-arg]
    meeting.refresh_from_db()
    return (
        meeting.status,
        meeting.version,
        sorted(Participant.objects.filter(meeting=meeting).values_list("response", "present")),
        SpeakingRequest.objects.count(),
        Event.objects.filter(subject_type="meeting").count(),
    )


def test_outsider_and_another_meetings_member_get_404_everywhere(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting(MeetingStatus.PUBLISHED)
    other_member = board.members[5]
    Participant.objects.filter(meeting=meeting, official=other_member).delete()
    make_meeting(MeetingStatus.PUBLISHED, title="Cuộc họp khác")  # where they are a member
    before = _state(meeting)
    gets, posts = _urls(meeting)
    for official in (board.outsider, other_member):
        client = login_client(official.user)
        for url in gets:
            assert client.get(url).status_code == 404, (official, url)
        for url, body in posts:
            if url.startswith(API):
                response = client.post(url, body, content_type="application/json")
            else:
                response = client.post(url, body)
            assert response.status_code == 404, (official, url, response.content[:200])
        page = client.get("/hop/").content.decode()
        assert meeting.title not in page or official == other_member
        mine = client.get(f"{API}/mine/").json()
        assert meeting.pk not in [m["id"] for m in mine]
    assert _state(meeting) == before


def test_draft_meeting_stays_with_those_preparing_it(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting()
    member = login_client(board.members[0].user)
    assert member.get(f"/hop/{meeting.pk}/").status_code == 404
    assert member.get(f"{API}/room/{meeting.pk}/").status_code == 404
    assert meeting.title not in member.get("/hop/").content.decode()
    assert login_client(board.chair.user).get(f"/hop/{meeting.pk}/").status_code == 200


def test_member_cannot_run_the_room(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting(MeetingStatus.PUBLISHED)
    item = meeting.items.order_by("position").first()
    request_to_speak(actor=actor(board.members[1]), item=item)
    client = login_client(board.members[0].user)
    before = _state(meeting)
    assert client.get(f"/hop/{meeting.pk}/dieu-hanh/").status_code == 403
    for action, body in [
        ("khai-mac", {}),
        ("moi-phat-bieu", {"item": item.pk}),
        ("dung-dang-ky", {"item": item.pk}),
        ("be-mac", {}),
        ("diem-danh", {"present": []}),
    ]:
        assert client.post(f"/hop/{meeting.pk}/dieu-hanh/{action}/", body).status_code == 403
    response = client.post(
        f"{API}/room/{meeting.pk}/session/open/", {}, content_type="application/json"
    )
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert _state(meeting) == before
    # In session (the kernel checks the state before the role): still refused.
    open_meeting(actor=actor(board.chair), meeting=meeting)
    before = _state(meeting)
    for action in ("start-item", "call-speaker", "close-speakers", "close"):
        response = client.post(
            f"{API}/room/{meeting.pk}/session/{action}/",
            {"item": item.pk},
            content_type="application/json",
        )
        assert response.status_code == 403, (action, response.json())
        assert response.json()["code"] == "permission_denied"
    assert _state(meeting) == before
    # The detail page offers them no console.
    assert "Điều hành cuộc họp" not in client.get(f"/hop/{meeting.pk}/").content.decode()


def test_api_client_without_scope_is_refused_and_with_it_cannot_act(
    client, board, make_meeting
) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting(MeetingStatus.PUBLISHED)
    before = _state(meeting)
    _c, no_scope = create_api_client(
        actor=SYSTEM, name="Lịch", scopes=["documents:read"], agency=board.agency
    )
    headers = {"HTTP_AUTHORIZATION": f"Bearer {no_scope}"}
    gets, posts = _urls(meeting)
    for url in [u for u in gets if u.startswith(API)] + [f"{API}/mine/", f"{API}/notices/"]:
        assert client.get(url, **headers).status_code == 403, url
    for url, body in posts:
        if url.startswith(API):
            response = client.post(url, body, content_type="application/json", **headers)
            assert response.status_code == 403, url

    _c, token = create_api_client(
        actor=SYSTEM,
        name="Phòng họp",
        scopes=["meetings:read", "meetings:write"],
        agency=board.agency,
    )
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    body = client.get(f"{API}/room/{meeting.pk}/", **headers).json()
    assert body["meeting"]["title"] == meeting.title and body["seat"] is None
    for url, data in posts:
        if url.startswith(API):
            response = client.post(url, data, content_type="application/json", **headers)
            assert response.status_code == 403, (url, response.json())
    assert _state(meeting) == before


def test_session_without_second_factor_gets_nothing(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting(MeetingStatus.PUBLISHED)
    before = _state(meeting)
    client = login_client(board.chair.user, with_mfa=False)
    response = client.post(
        f"{API}/room/{meeting.pk}/session/open/", {}, content_type="application/json"
    )
    assert_mfa_refused(response)
    response = client.post(f"/hop/{meeting.pk}/dieu-hanh/khai-mac/")
    assert response.status_code in (302, 403)
    assert "/dieu-hanh/" not in response.get("Location", "")
    page = client.get(f"/hop/{meeting.pk}/")
    assert meeting.title not in page.content.decode()
    assert _state(meeting) == before


def test_my_meetings_unanswered_first_with_answers(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    member = board.members[0]
    answered = make_meeting(
        MeetingStatus.PUBLISHED, starts_in=timedelta(days=1), title="Họp giao ban tuần"
    )
    waiting = make_meeting(
        MeetingStatus.PUBLISHED, starts_in=timedelta(days=5), title="Họp chuyên đề đầu tư công"
    )
    past = make_meeting(
        MeetingStatus.CLOSED, starts_in=timedelta(days=-7), title="Họp thường kỳ tháng trước"
    )
    answer_invitation(actor=actor(member), meeting=answered, response="accepted")
    page = login_client(member.user).get("/hop/").content.decode()
    assert page.index(waiting.title) < page.index(answered.title) < page.index(past.title)
    assert "1</strong> giấy mời chưa trả lời" in page
    assert "Chưa trả lời" in page and "Tham dự" in page

    mine = login_client(member.user).get(f"{API}/mine/").json()
    assert [m["id"] for m in mine][:2] == [waiting.pk, answered.pk]
    assert mine[0]["unanswered"] is True and mine[1]["seat"]["response"] == "accepted"


def test_detail_shows_vietnam_time_place_link_and_agenda(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting(MeetingStatus.PUBLISHED, online_link="https://hop.example.vn/phong-1")
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=datetime(2027, 1, 5, 1, 30, tzinfo=UTC),
        ends_at=datetime(2027, 1, 5, 4, 0, tzinfo=UTC),
    )
    text = login_client(board.members[0].user).get(f"/hop/{meeting.pk}/").content.decode()
    assert "08:30" in text and "11:00" in text and "05/01/2027" in text
    assert "Phòng họp số 1" in text and 'href="https://hop.example.vn/phong-1"' in text
    for i in (1, 2, 3):
        assert f"Nội dung {i}" in text
    assert "30 phút" in text and board.members[0].user.get_full_name() in text


def test_answer_form_decline_needs_a_reason(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting(MeetingStatus.PUBLISHED)
    member = board.members[0]
    client = login_client(member.user)
    response = client.post(f"/hop/{meeting.pk}/tra-loi/", {"response": "declined", "reason": ""})
    assert response.status_code == 400
    assert "Cần nêu lý do vắng mặt" in response.content.decode()
    assert Participant.objects.get(meeting=meeting, official=member).response == "pending"

    response = client.post(
        f"/hop/{meeting.pk}/tra-loi/",
        {"response": "declined", "reason": "Đi công tác", "delegate": board.outsider.pk},
    )
    assert response.status_code == 302
    seat = Participant.objects.get(meeting=meeting, official=member)
    assert (seat.response, seat.delegate) == ("declined", board.outsider)
    page = client.get(f"/hop/{meeting.pk}/").content.decode()
    assert "Vắng mặt" in page and board.outsider.user.get_full_name() in page

    # Once the meeting is open the answer stands; the page says why.
    open_meeting(actor=actor(board.chair), meeting=meeting)
    response = client.post(f"/hop/{meeting.pk}/tra-loi/", {"response": "accepted"}, follow=True)
    assert "Không thể “trả lời giấy mời”" in response.content.decode()
    assert Participant.objects.get(meeting=meeting, official=member).response == "declined"


def test_console_polls_and_redraws_only_on_change(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting(MeetingStatus.PUBLISHED)
    open_meeting(actor=actor(board.chair), meeting=meeting)
    chair = login_client(board.chair.user)
    page = chair.get(f"/hop/{meeting.pk}/dieu-hanh/").content.decode()
    token = page.split("seen=")[1].split('"')[0]
    live = f"/hop/{meeting.pk}/dieu-hanh/?partial=live&seen={token}"
    assert chair.get(live).status_code == 204

    member = board.members[3]
    request_to_speak(actor=actor(member), item=meeting.items.order_by("position").first())
    redrawn = chair.get(live)
    assert redrawn.status_code == 200
    assert member.user.get_full_name() in redrawn.content.decode()
    assert "Mời người tiếp theo phát biểu" in redrawn.content.decode()


def test_api_member_answers_speaks_and_the_chair_calls(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting(MeetingStatus.PUBLISHED)
    item = meeting.items.order_by("position").first()
    member = login_client(board.members[0].user)
    response = member.post(
        f"{API}/room/{meeting.pk}/answer/",
        {"response": "declined"},
        content_type="application/json",
    )
    assert response.status_code == 400 and "reason" in response.json()["fields"]
    response = member.post(
        f"{API}/room/{meeting.pk}/answer/",
        {"response": "accepted"},
        content_type="application/json",
    )
    assert response.json()["response"] == "accepted"
    created = member.post(
        f"{API}/room/{meeting.pk}/items/{item.pk}/speakers/",
        {"topic": "Về dự toán"},
        content_type="application/json",
    )
    assert created.status_code == 201 and created.json()["status"] == "waiting"
    again = member.post(
        f"{API}/room/{meeting.pk}/items/{item.pk}/speakers/", {}, content_type="application/json"
    )
    assert again.status_code == 409 and again.json()["code"] == "already_registered"

    chair = login_client(board.chair.user)
    body = chair.post(
        f"{API}/room/{meeting.pk}/session/open/", {}, content_type="application/json"
    ).json()
    assert body["meeting"]["status"] == "in_session"
    assert [r["topic"] for r in body["current_queue"]] == ["Về dự toán"]
    body = chair.post(
        f"{API}/room/{meeting.pk}/session/call-speaker/",
        {"item": item.pk},
        content_type="application/json",
    ).json()
    assert body["current_queue"][0]["status"] == "speaking"
    presence = chair.get(f"{API}/room/{meeting.pk}/presence/").json()
    seat_ids = [p["participant"] for p in presence][:3]
    presence = chair.post(
        f"{API}/room/{meeting.pk}/presence/", {"present": seat_ids}, content_type="application/json"
    ).json()
    assert sum(1 for p in presence if p["present"]) == 3
    room = member.get(f"{API}/room/{meeting.pk}/").json()
    assert room["my_requests"][0]["status"] == "speaking"
    assert member.get(f"{API}/room/{meeting.pk}/presence/").status_code == 403

    dispatch_due()
    notices = member.get(f"{API}/notices/").json()
    assert notices and notices[0]["kind"] == "speaker_called"
    marked = member.post(f"{API}/notices/read/", {}, content_type="application/json").json()
    assert marked["marked"] == len(notices)


def test_guest_api_sees_only_their_items(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting(MeetingStatus.PUBLISHED)
    first, second, _third = meeting.items.order_by("position")
    guest = login_client(board.guest.user)
    room = guest.get(f"{API}/room/{meeting.pk}/").json()
    assert [i["title"] for i in room["items"]] == ["Nội dung 2"]
    assert guest.get(f"{API}/room/{meeting.pk}/items/{first.pk}/speakers/").status_code == 404
    response = guest.post(
        f"{API}/room/{meeting.pk}/items/{first.pk}/speakers/", {}, content_type="application/json"
    )
    assert response.status_code == 404
    assert not SpeakingRequest.objects.exists()
    assert (
        guest.post(
            f"{API}/room/{meeting.pk}/items/{second.pk}/speakers/",
            {},
            content_type="application/json",
        ).status_code
        == 201
    )


def test_notices_unread_first_open_and_mark_read(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting(MeetingStatus.PUBLISHED)
    chair = board.chair
    old = MeetingNotice.objects.create(
        official=chair, idempotency_key="t:1", kind="invite", title="Giấy mời cũ", link="/hop/"
    )
    MeetingNotice.objects.filter(pk=old.pk).update(read_at=old.created_at)
    new = MeetingNotice.objects.create(
        official=chair,
        idempotency_key="t:2",
        kind="attendance",
        title="Thành viên xác nhận tham dự",
        link=f"/hop/{meeting.pk}/",
    )
    evil = MeetingNotice.objects.create(
        official=chair,
        idempotency_key="t:3",
        kind="x",
        title="Liên kết ngoài",
        link="//evil.example",
    )
    others = MeetingNotice.objects.create(
        official=board.members[0], idempotency_key="t:4", kind="x", title="Của người khác"
    )
    client = login_client(chair.user)
    page = client.get("/hop/thong-bao/").content.decode()
    assert page.index("Thành viên xác nhận tham dự") < page.index("Giấy mời cũ")
    assert "Của người khác" not in page

    response = client.get(f"/hop/thong-bao/{new.pk}/")
    assert response.status_code == 302 and response["Location"] == f"/hop/{meeting.pk}/"
    new.refresh_from_db()
    assert new.read_at is not None
    assert client.get(f"/hop/thong-bao/{evil.pk}/")["Location"] == "/hop/thong-bao/"
    assert client.get(f"/hop/thong-bao/{others.pk}/").status_code == 404
    client.post("/hop/thong-bao/da-doc/", {"notice": others.pk})
    others.refresh_from_db()
    assert others.read_at is None


def test_schema_documents_the_room_api(client) -> None:  # type: ignore[no-untyped-def]
    schema = client.get("/api/v1/schema/").content.decode()
    for route in (
        "/api/v1/meetings/mine/",
        "/api/v1/meetings/room/{id}/answer/",
        "/api/v1/meetings/room/{id}/items/{item}/speakers/",
        "/api/v1/meetings/room/{id}/session/{action}/",
        "/api/v1/meetings/notices/",
    ):
        assert route in schema, route


def test_my_meetings_leads_to_consultations_waiting_for_my_answer(board) -> None:  # type: ignore[no-untyped-def]
    from egov.meetings.models import Consultation, ConsultationStatus

    from .consultation_helpers import prepare

    consultation = prepare(board, [board.chair, *board.members[:3]])
    # Sent: what the chair's "Gửi lấy ý kiến" leaves (the sending itself is tested elsewhere).
    Consultation.objects.filter(pk=consultation.pk).update(status=ConsultationStatus.OPEN)
    page = login_client(board.members[0].user).get("/hop/").content.decode()
    assert "Lấy ý kiến bằng văn bản" in page and "1 chờ trả lời" in page
    assert "Nhiệm vụ sau họp" in page
    other = login_client(board.members[4].user).get("/hop/").content.decode()
    assert "chờ trả lời" not in other
