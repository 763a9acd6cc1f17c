"""The secretariat's pages: the list, a new meeting with people picked from the organisation
tree, the meeting's page (details, participants, the agenda with and without htmx), the
confirmation pages that send, and the ICS download; who may open what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from icalendar import Calendar

from egov.conftest import login_client
from egov.meetings.models import Meeting, MeetingStatus, Participant
from egov.meetings.services import meetings as svc
from egov.org.models import Role

from .conftest import actor
from .secretariat_helpers import at, messages, reachable, state, vevent

pytestmark = pytest.mark.django_db

LOCAL = "%Y-%m-%dT%H:%M"


@pytest.fixture
def board(board):  # type: ignore[no-untyped-def]
    reachable(board)
    return board


@pytest.fixture
def office(board):  # type: ignore[no-untyped-def]
    return login_client(board.secretariat.user)


def _form(board, **overrides):  # type: ignore[no-untyped-def]
    data = {
        "title": "Họp giao ban tháng 4",
        "kind": "regular",
        "starts_at": at(7, 8).strftime(LOCAL),
        "ends_at": at(7, 10).strftime(LOCAL),
        "place": "Phòng họp số 2",
        "online_link": "",
        "chair": board.chair.pk,
        "secretary": board.secretary.pk,
        "rule": "",
        "description": "",
        "people": [m.pk for m in board.members[:3]] + [board.guest.pk],
        **{f"role_{m.pk}": "member" for m in board.members[:3]},
        f"role_{board.guest.pk}": "guest",
        "action": "create",
    }
    from egov.meetings.models import DecisionRule

    data["rule"] = DecisionRule.objects.get(code="ubnd").pk
    data.update(overrides)
    return data


# --- who may open what ---------------------------------------------------------------------------


def test_only_the_secretariat_opens_the_list_and_the_new_meeting_form(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting()
    office = login_client(board.secretariat.user)
    page = office.get(reverse("meetings:manage"))
    assert page.status_code == 200
    assert meeting.title in page.content.decode()
    assert office.get(reverse("meetings:create")).status_code == 200
    for who in (board.chair, board.members[0], board.outsider):
        client = login_client(who.user)
        assert client.get(reverse("meetings:manage")).status_code == 403
        assert client.get(reverse("meetings:create")).status_code == 403


def test_the_meeting_page_is_the_organisers(
    board, make_meeting, other_agency, make_official
) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting()
    url = reverse("meetings:edit", args=[meeting.pk])
    assert login_client(board.secretariat.user).get(url).status_code == 200
    assert login_client(board.secretary.user).get(url).status_code == 200  # the meeting's secretary
    for who in (board.chair, board.members[0], board.guest):
        assert login_client(who.user).get(url).status_code == 403
    stranger = make_official(other_agency, roles=[Role.SECRETARIAT], username="vanphongkhac")
    for who in (board.outsider, stranger):
        assert login_client(who.user).get(url).status_code == 404


def test_posts_by_others_change_nothing(board, make_meeting, other_agency, make_official) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting()
    stranger = make_official(other_agency, roles=[Role.SECRETARIAT], username="vanphongkhac")
    item = meeting.items.first()
    posts = [
        (reverse("meetings:edit", args=[meeting.pk]), {**_form(board), "version": 1}),
        (
            reverse("meetings:sec_participants", args=[meeting.pk]),
            {
                "version": 1,
                "people": [board.members[0].pk],
                f"role_{board.members[0].pk}": "member",
            },
        ),
        (
            reverse("meetings:sec_agenda", args=[meeting.pk]),
            {"version": 1, "action": "remove", "item": item.pk},
        ),
        (reverse("meetings:sec_publish", args=[meeting.pk]), {"version": 1}),
        (reverse("meetings:sec_cancel", args=[meeting.pk]), {"version": 1, "reason": "Phá"}),
    ]
    before = state()
    for who, status in ((board.members[0], 403), (board.outsider, 404), (stranger, 404)):
        client = login_client(who.user)
        for url, data in posts:
            assert client.post(url, data).status_code == status, (who, url)
    # A session without the second factor is sent to log in again; nothing moves either.
    password_only = login_client(board.secretariat.user, with_mfa=False)
    for url, data in posts:
        assert password_only.post(url, data).status_code in (302, 403)
    assert state() == before


# --- creating ------------------------------------------------------------------------------------


def test_create_a_meeting_from_the_form(board, office) -> None:  # type: ignore[no-untyped-def]
    response = office.post(reverse("meetings:create"), _form(board))
    assert response.status_code == 302
    meeting = Meeting.objects.get()
    assert response["Location"] == reverse("meetings:edit", args=[meeting.pk]) + "#agenda"
    assert meeting.starts_at == at(7, 8)  # typed in Hà Nội time
    roles = dict(meeting.participants.values_list("official_id", "role"))
    assert roles[board.guest.pk] == "guest" and roles[board.chair.pk] == "chair"
    assert sum(1 for r in roles.values() if r == "member") == 3


def test_a_refused_form_shows_the_errors_and_creates_nothing(board, office) -> None:  # type: ignore[no-untyped-def]
    data = _form(board, ends_at=at(7, 7).strftime(LOCAL), secretary=board.chair.pk)
    for pk in data["people"]:
        data[f"role_{pk}"] = ""
    response = office.post(reverse("meetings:create"), data)
    body = response.content.decode()
    assert response.status_code == 200 and "Có lỗi cần sửa" in body
    assert "Thời gian kết thúc phải sau thời gian bắt đầu." in body
    assert "hai người khác nhau" in body
    assert "Chọn ít nhất một thành viên dự họp ngoài người chủ trì." in body
    assert Meeting.objects.count() == 0


def test_the_picker_searches_the_whole_organisation_tree(  # type: ignore[no-untyped-def]
    board, office, other_agency, make_official
) -> None:
    director = make_official(other_agency, roles=[Role.LEADER], username="giamdoc")
    director.user.full_name = "Đặng Thị Hạ Long"
    director.user.save(update_fields=["full_name"])
    data = _form(board, action="search", q="dang thi ha")
    response = office.post(reverse("meetings:create"), data)
    body = response.content.decode()
    assert response.status_code == 200 and "Đặng Thị Hạ Long" in body
    assert "Sở Tư pháp" in body
    # The chosen ones stay chosen; the form keeps what was typed; nothing is created.
    assert f'name="role_{board.guest.pk}" value="guest" checked' in body
    assert 'value="Họp giao ban tháng 4"' in body
    assert Meeting.objects.count() == 0
    # By agency name as well, and htmx asks for the results only (the page selects them).
    response = office.post(
        reverse("meetings:create"),
        _form(board, action="search", q="tu phap"),
        HTTP_HX_REQUEST="true",
    )
    assert 'id="picker-results"' in response.content.decode()
    assert "Đặng Thị Hạ Long" in response.content.decode()


# --- the meeting's page --------------------------------------------------------------------------


def test_edit_details_and_a_stale_page(board, office, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting()
    url = reverse("meetings:edit", args=[meeting.pk])
    data = {**_form(board, title="Họp giao ban tháng 5"), "version": meeting.version}
    assert office.post(url, data).status_code == 302
    meeting.refresh_from_db()
    assert meeting.title == "Họp giao ban tháng 5"
    before = state()
    response = office.post(url, {**data, "title": "Tên khác"})  # the page's version is old
    assert response.status_code == 200
    assert "vừa được người khác xử lý" in response.content.decode()
    assert state() == before


def test_participants_with_guest_items(board, office, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting()
    items = list(meeting.items.order_by("position"))
    data = {
        "version": meeting.version,
        "action": "save",
        "people": [board.members[0].pk, board.members[1].pk, board.guest.pk],
        f"role_{board.members[0].pk}": "member",
        f"role_{board.members[1].pk}": "",
        f"role_{board.guest.pk}": "guest",
        f"items_{board.guest.pk}": [items[0].pk, items[2].pk],
    }
    response = office.post(reverse("meetings:sec_participants", args=[meeting.pk]), data)
    assert response.status_code == 302
    rows = {p.official_id: p for p in meeting.participants.all()}
    assert board.members[1].pk not in rows and rows[board.members[0].pk].role == "member"
    assert sorted(i.position for i in rows[board.guest.pk].items.all()) == [1, 3]


def test_agenda_with_and_without_htmx(board, office, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting()
    url = reverse("meetings:sec_agenda", args=[meeting.pk])
    add = {
        "version": meeting.version,
        "action": "add",
        "new-title": "Tờ trình về giá đất",
        "new-presenter": board.members[2].pk,
        "new-duration_minutes": "40",
        "new-description": "",
        "new-presenter_name": "",
    }
    response = office.post(url, add)
    assert response.status_code == 302 and response["Location"].endswith("#agenda")
    assert meeting.items.get(position=4).title == "Tờ trình về giá đất"
    meeting.refresh_from_db()
    # htmx: the page comes back at once (htmx keeps the agenda and the version fields).
    fourth = meeting.items.get(position=4)
    response = office.post(
        url,
        {"version": meeting.version, "action": "up", "item": fourth.pk},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200 and 'id="agenda"' in body
    assert "Đã chuyển “Tờ trình về giá đất” lên vị trí 3." in body
    meeting.refresh_from_db()
    assert f'value="{meeting.version}" id="details-version"' in body
    assert meeting.items.get(position=3).title == "Tờ trình về giá đất"
    # A refused item: the error shows, nothing changes.
    before = state()
    response = office.post(url, {**add, "version": meeting.version, "new-title": ""})
    assert response.status_code == 200 and "Có lỗi cần sửa" in response.content.decode()
    # With htmx the summary is inside the agenda (the only part redrawn).
    response = office.post(
        url, {**add, "version": meeting.version, "new-title": ""}, HTTP_HX_REQUEST="true"
    )
    agenda_part = response.content.decode().split('id="agenda"', 1)[1]
    assert "Có lỗi cần sửa" in agenda_part
    stale = office.post(
        url, {"version": 1, "action": "up", "item": fourth.pk}, HTTP_HX_REQUEST="true"
    )
    assert "vừa được người khác xử lý" in stale.content.decode().split('id="agenda"', 1)[1]
    assert state() == before
    response = office.post(url, {"version": meeting.version, "action": "remove", "item": fourth.pk})
    assert response.status_code == 302 and meeting.items.count() == 3


def test_publish_republish_cancel_through_their_confirmation_pages(
    board, office, make_meeting
) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting()
    publish = reverse("meetings:sec_publish", args=[meeting.pk])
    page = office.get(publish)
    assert page.status_code == 200 and "Người nhận giấy mời (9 người)" in page.content.decode()
    assert office.post(publish, {"version": meeting.version}).status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.PUBLISHED
    assert len(messages(meeting, "email")) == 9

    svc.add_item(actor=actor(board.secretariat), meeting=meeting, title="Nội dung phát sinh")
    meeting.refresh_from_db()
    edit = office.get(reverse("meetings:edit", args=[meeting.pk])).content.decode()
    assert "Thay đổi chưa gửi tới người dự họp" in edit
    assert "Thêm nội dung: Nội dung phát sinh" in edit
    republish = reverse("meetings:sec_republish", args=[meeting.pk])
    response = office.post(republish, {"version": meeting.version, "note": "Bổ sung nội dung"})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.ical_sequence == 1
    assert (
        "Thay đổi chưa gửi"
        not in office.get(reverse("meetings:edit", args=[meeting.pk])).content.decode()
    )

    cancel = reverse("meetings:sec_cancel", args=[meeting.pk])
    before = state()
    response = office.post(cancel, {"version": meeting.version, "reason": ""})
    assert response.status_code == 200 and "Có lỗi cần sửa" in response.content.decode()
    assert state() == before
    response = office.post(cancel, {"version": meeting.version, "reason": "Lãnh đạo đi công tác"})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CANCELLED
    assert (
        "Lãnh đạo đi công tác"
        in office.get(reverse("meetings:edit", args=[meeting.pk])).content.decode()
    )


# --- the ICS download ----------------------------------------------------------------------------


def test_participants_download_their_calendar_file(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting()
    url = reverse("meetings:ics", args=[meeting.pk])
    # Before publishing only the organisers see it.
    assert login_client(board.members[0].user).get(url).status_code == 404
    assert login_client(board.secretariat.user).get(url).status_code == 200
    svc.publish(actor=actor(board.secretariat), meeting=meeting)
    response = login_client(board.members[0].user).get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    event = vevent(Calendar.from_ical(response.content))
    assert str(event["UID"]) == meeting.ical_uid
    guest = vevent(Calendar.from_ical(login_client(board.guest.user).get(url).content))
    assert "Nội dung 1" not in str(guest["DESCRIPTION"])
    assert login_client(board.outsider.user).get(url).status_code == 404
    # A delegate gets it too.
    Participant.objects.filter(meeting=meeting, official=board.members[1]).update(
        response="declined", delegate=board.outsider
    )
    assert login_client(board.outsider.user).get(url).status_code == 200


def test_the_list_marks_unsent_changes(board, office, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting(starts_in=timedelta(days=2))
    svc.publish(actor=actor(board.secretariat), meeting=meeting)
    body = office.get(reverse("meetings:manage") + "?tab=da-gui").content.decode()
    assert meeting.title in body and "Có thay đổi chưa gửi" not in body
    svc.add_item(actor=actor(board.secretariat), meeting=meeting, title="Nội dung phát sinh")
    body = office.get(reverse("meetings:manage") + "?tab=da-gui").content.decode()
    assert "Có thay đổi chưa gửi" in body
