"""The minutes, conclusion and tasks pages as their users meet them (Django's test client), and
as attackers do: an outsider, a guest, another meeting's chair, a session without the second
factor; the API with and without scopes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from egov.accounts.services import create_api_client
from egov.core.actors import SYSTEM
from egov.meetings.models import (
    AgendaItem,
    Conclusion,
    ConclusionStatus,
    Meeting,
    MeetingStatus,
    Minutes,
    MinutesStatus,
    Task,
)
from egov.meetings.services import minutes as minutes_services

from .conftest import actor
from .hmin_helpers import certify, code_for, held_meeting, login

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def meeting(board, make_meeting, make_official):  # type: ignore[no-untyped-def]
    return held_meeting(board, make_meeting, make_official(board.agency, username="duthay"))


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


def test_the_secretary_writes_submits_and_both_sign_on_the_page(board, meeting) -> None:  # type: ignore[no-untyped-def]
    certify()
    url = f"/hop/{meeting.pk}/bien-ban/"
    secretary = login(board.secretary)
    page = secretary.get(url)
    assert page.status_code == 200 and "Lập biên bản" in _text(page)
    secretary.post(f"{url}thao-tac/start/")
    page = secretary.get(url)
    body = _text(page)
    # The automatic parts: attendance with the absent's reasons, the speaker, the vote.
    for expected in (
        "Thông tin điền tự động",
        "Đi công tác tại Hà Nội",
        "Đề nghị bổ sung kinh phí chuyển đổi số",
        "Thông qua Kế hoạch chuyển đổi số năm 2027",
        'hx-post="/hop/',
    ):
        assert expected in body, expected
    item = AgendaItem.objects.get(meeting=meeting, position=1)
    # htmx autosave answers a status line.
    saved = secretary.post(
        f"{url}tu-dong-luu/",
        {"part": str(item.pk), "text": "Các thành viên thống nhất."},
        HTTP_HX_REQUEST="true",
    )
    assert saved.status_code == 200 and "Đã lưu lúc" in _text(saved)
    # A part that is not on the agenda: the line says so, nothing is written.
    refused = secretary.post(f"{url}tu-dong-luu/", {"part": "99999", "text": "x"})
    assert "Chưa lưu được" in _text(refused)
    # The save button (no JavaScript).
    secretary.post(f"{url}luu/", {"part": "closing", "text": "Bế mạc lúc 10 giờ."})
    minutes = Minutes.objects.get(meeting=meeting)
    assert minutes.notes == {
        str(item.pk): "Các thành viên thống nhất.",
        "closing": "Bế mạc lúc 10 giờ.",
    }

    secretary.post(f"{url}thao-tac/submit/", {"version": minutes.version})
    minutes.refresh_from_db()
    assert minutes.status == MinutesStatus.SIGNING
    pdf = secretary.get(f"{url}tep/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"

    # A member does not see the minutes before they are signed.
    member = login(board.members[0])
    assert "chưa được hoàn thành" in _text(member.get(url))
    assert member.get(f"{url}tep/").status_code == 404

    # The secretary signs; a wrong code of the chair signs nothing; the chair signs.
    secretary.post(
        f"{url}thao-tac/sign/", {"version": minutes.version, "code": code_for(board.secretary)}
    )
    minutes.refresh_from_db()
    assert minutes.secretary_signed_at is not None
    chair = login(board.chair)
    assert "Ký số biên bản (chủ tọa)" in _text(chair.get(url))
    code_for(board.chair)
    wrong = chair.post(
        f"{url}thao-tac/sign/", {"version": minutes.version, "code": "000000"}, follow=True
    )
    assert "Mã xác thực không đúng" in _text(wrong)
    minutes.refresh_from_db()
    assert minutes.chair_signed_at is None
    chair.post(f"{url}thao-tac/sign/", {"version": minutes.version, "code": code_for(board.chair)})
    minutes.refresh_from_db()
    assert minutes.status == MinutesStatus.SIGNED

    # Now the member reads the signed PDF.
    assert "Biên bản đã được thư ký và chủ tọa ký số" in _text(member.get(url))
    signed = member.get(f"{url}tep/")
    assert signed.status_code == 200
    assert b"".join(signed.streaming_content).startswith(b"%PDF")


def test_autosave_during_the_meeting_has_a_place_for_its_version(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    """While the meeting is in session the submit form is not shown; the autosave's out-of-band
    version still finds its element on the page (htmx logs an error in the console when an
    out-of-band swap has no target)."""
    meeting = make_meeting(MeetingStatus.IN_SESSION, starts_in=timedelta(hours=-1))
    url = f"/hop/{meeting.pk}/bien-ban/"
    secretary = login(board.secretary)
    secretary.post(f"{url}thao-tac/start/")
    body = _text(secretary.get(url))
    assert "Trình ký biên bản sau khi cuộc họp bế mạc." in body
    assert "Trình ký biên bản</button>" not in body
    assert body.count('id="phien-ban-trinh"') == 1
    saved = secretary.post(
        f"{url}tu-dong-luu/", {"part": "opening", "text": "Khai mạc."}, HTTP_HX_REQUEST="true"
    )
    assert 'id="phien-ban-trinh"' in _text(saved) and 'hx-swap-oob="true"' in _text(saved)


def test_attacks_on_the_minutes_pages(board, meeting, make_official, password_only) -> None:  # type: ignore[no-untyped-def]
    url = f"/hop/{meeting.pk}/bien-ban/"
    minutes_services.start_minutes(actor=actor(board.secretary), meeting=meeting)
    item = AgendaItem.objects.get(meeting=meeting, position=1)
    # Not invited: the meeting is not found.
    outsider = login(board.outsider)
    assert outsider.get(url).status_code == 404
    assert outsider.post(f"{url}luu/", {"part": str(item.pk), "text": "x"}).status_code == 404
    # Another meeting's chair.
    other = make_official(board.agency, username="chutrikhac", roles=["leader"])
    Meeting.objects.create(
        agency=board.agency,
        title="Cuộc họp khác",
        kind=Meeting.Kind.THEMATIC,
        status=MeetingStatus.CLOSED,
        chair=other,
        created_by=board.secretariat,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        rule=meeting.rule,
    )
    assert login(other).get(url).status_code == 404
    # A guest (invited to item 2 only) and a member: no minutes while written, no writing.
    for who in (board.guest, board.members[0]):
        client = login(who)
        page = client.get(url)
        assert page.status_code == 200 and "Thông tin điền tự động" not in _text(page)
        client.post(f"{url}luu/", {"part": str(item.pk), "text": "Giả mạo"})
        assert client.get(f"{url}tep/").status_code == 404
    # A session without the second factor reaches nothing.
    no_mfa = login(board.secretary, with_mfa=False)
    assert no_mfa.get(url).status_code in (302, 403)
    no_mfa.post(f"{url}luu/", {"part": str(item.pk), "text": "Không xác thực"})
    assert Minutes.objects.get(meeting=meeting).notes == {}


def test_conclusion_page_writes_rows_and_submits_to_documents(board, meeting, other_agency) -> None:  # type: ignore[no-untyped-def]
    url = f"/hop/{meeting.pk}/ket-luan/"
    chair = login(board.chair)
    assert chair.get(url).status_code == 200
    rows = {
        "nv-TOTAL_FORMS": "3",
        "nv-INITIAL_FORMS": "0",
        "nv-MIN_NUM_FORMS": "0",
        "nv-MAX_NUM_FORMS": "50",
    }
    bad = chair.post(
        url,
        {
            "text": "Kết luận",
            **rows,
            "nv-0-title": "Việc không có cơ quan",
            "nv-0-due_days": "3",
        },
    )
    assert bad.status_code == 200 and "Chọn cơ quan chủ trì thực hiện." in _text(bad)
    assert not Conclusion.objects.exists()
    chair.post(
        url,
        {
            "text": "Thống nhất thông qua kế hoạch.",
            **rows,
            "nv-0-title": "Hoàn thiện kế hoạch",
            "nv-0-agency": str(other_agency.pk),
            "nv-0-due_days": "3",
        },
    )
    conclusion = Conclusion.objects.get(meeting=meeting)
    assert conclusion.planned_tasks[0]["agency"] == other_agency.pk
    # The chair cannot submit (they approve); the secretary does.
    chair.post(f"{url}trinh-ky/", {"version": conclusion.version})
    conclusion.refresh_from_db()
    assert conclusion.status == ConclusionStatus.DRAFT
    secretary = login(board.secretary)
    secretary.post(f"{url}trinh-ky/", {"version": conclusion.version})
    conclusion.refresh_from_db()
    assert conclusion.status == ConclusionStatus.SUBMITTED and conclusion.document_id
    page = _text(secretary.get(url))
    assert f"/van-ban/di/{conclusion.document_id}/" in page and "Đã trình ký" in page
    # A member sees nothing of it until it is issued; an outsider not even the page.
    assert "Chưa có thông báo kết luận" in _text(login(board.members[0]).get(url))
    assert login(board.outsider).get(url).status_code == 404


def test_tasks_page_lists_overdue_first_for_the_chair_and_takes_reports(board, meeting) -> None:  # type: ignore[no-untyped-def]
    conclusion = Conclusion.objects.create(
        meeting=meeting,
        text="Kết luận",
        status=ConclusionStatus.ISSUED,
        symbol="01/TB-UBND",
        issued_at=timezone.now() - timedelta(days=10),
    )
    late = Task.objects.create(
        conclusion=conclusion,
        title="Báo cáo tình hình giải ngân",
        assignee_agency=board.agency,
        assignee=board.members[1],
        due_days=3,
        due_at=timezone.now() - timedelta(days=3),
    )
    chair = _text(login(board.chair).get("/hop/nhiem-vu/"))
    assert "Nhiệm vụ quá hạn của các cuộc họp anh/chị chủ trì (1)" in chair
    assert "Báo cáo tình hình giải ngân" in chair and "3 ngày" in chair
    member = login(board.members[1])
    assert "Báo cáo tình hình giải ngân" in _text(member.get("/hop/nhiem-vu/"))
    member.post(
        f"/hop/nhiem-vu/{late.pk}/complete/",
        {f"t{late.pk}-version": late.version, f"t{late.pk}-report": "Đã gửi báo cáo."},
    )
    late.refresh_from_db()
    assert late.status == "done" and late.report == "Đã gửi báo cáo."
    assert "quá hạn" not in _text(login(board.chair).get("/hop/nhiem-vu/")).lower()
    # Someone else's task cannot be reported on.
    other = login(board.members[2])
    response = other.post(
        f"/hop/nhiem-vu/{late.pk}/report/",
        {f"t{late.pk}-version": late.version, f"t{late.pk}-report": "Giả mạo"},
    )
    assert response.status_code == 302
    late.refresh_from_db()
    assert late.report == "Đã gửi báo cáo."


def test_api_scopes_and_acts(client, board, meeting, other_agency) -> None:  # type: ignore[no-untyped-def]
    certify()
    minutes = minutes_services.start_minutes(actor=actor(board.secretary), meeting=meeting)
    url = f"/api/v1/meetings/{meeting.pk}/minutes/"
    # A client without the scope: refused; with meetings:read: signed minutes only.
    _c, no_scope = create_api_client(
        actor=SYSTEM, name="Lịch", scopes=["documents:read"], agency=board.agency
    )
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {no_scope}").status_code == 403
    _c, reader = create_api_client(
        actor=SYSTEM, name="IOC", scopes=["meetings:read", "meetings:write"], agency=board.agency
    )
    headers = {"HTTP_AUTHORIZATION": f"Bearer {reader}"}
    assert client.get(url, **headers).status_code == 404  # being written
    # A machine client cannot write the minutes (an official's act).
    response = client.patch(
        url, {"notes": {"opening": "Máy ghi"}}, content_type="application/json", **headers
    )
    assert response.status_code in (403, 404)
    # The secretary through the API: write, submit; both sign.
    secretary = login(board.secretary)
    item = AgendaItem.objects.get(meeting=meeting, position=2)
    response = secretary.patch(
        url, {"notes": {str(item.pk): "Biểu quyết thông qua."}}, content_type="application/json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["notes"][str(item.pk)] == "Biểu quyết thông qua."
    assert body["record"]["absent"][0]["note"] == "Đi công tác tại Hà Nội"
    assert body["record"]["items"][1]["votes"][0]["counts"]["Tán thành"] == 4
    bad = secretary.patch(url, {"notes": {"xyz": "a"}}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["code"] == "minutes_invalid"
    assert secretary.post(f"{url}submit/").status_code == 200
    chair = login(board.chair)
    wrong = chair.post(f"{url}sign/", {"code": "000000"}, content_type="application/json")
    assert wrong.status_code == 400 and wrong.json()["code"] == "second_factor_invalid"
    for who, session in ((board.secretary, secretary), (board.chair, chair)):
        response = session.post(
            f"{url}sign/", {"code": code_for(who)}, content_type="application/json"
        )
        assert response.status_code == 200, response.json()
    minutes.refresh_from_db()
    assert minutes.status == MinutesStatus.SIGNED
    assert client.get(url, **headers).json()["status"] == "signed"
    assert client.get(f"{url}pdf/", **headers).status_code == 200
    # A member cannot sign (already signed by both: refused either way) nor submit.
    member = login(board.members[0])
    assert member.post(f"{url}submit/").status_code in (403, 409)

    # Conclusion through the API: the chair writes, the secretary submits.
    curl = f"/api/v1/meetings/{meeting.pk}/conclusion/"
    response = chair.put(
        curl,
        {
            "text": "Thống nhất.",
            "tasks": [{"title": "Việc", "agency": other_agency.identifier, "due_days": 3}],
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["planned_tasks"][0]["agency_name"] == other_agency.name
    assert member.get(curl).status_code == 404  # not issued yet
    response = secretary.post(f"{curl}submit/", content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "submitted"
    assert (
        client.get("/api/v1/meetings/tasks/", HTTP_AUTHORIZATION=f"Bearer {no_scope}").status_code
        == 403
    )
