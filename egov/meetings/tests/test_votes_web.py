"""The votes pages and API as people use them, and as attackers try them: an outsider, another
meeting's member, a guest on an item not theirs, a session without the second factor, an API
client without the scope or of another agency. A refused request shows nothing and changes
nothing."""

from __future__ import annotations

import re

import pytest

from egov.accounts.services import create_api_client
from egov.conftest import login_client
from egov.core.actors import SYSTEM
from egov.meetings.models import Ballot, Participant, Vote, VoteParticipation, VoteStatus
from egov.meetings.rules import AGAINST, FOR

from .hvote_support import cast, in_session, new_vote, seal, seal_hierarchy  # noqa: F401

pytestmark = pytest.mark.django_db

CODE = re.compile(r"[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}")


def pages(meeting, vote) -> list[str]:  # type: ignore[no-untyped-def]
    base = f"/hop/{meeting.pk}"
    return [
        f"{base}/bieu-quyet/",
        f"{base}/bieu-quyet/{vote.pk}/",
        f"{base}/bieu-quyet/{vote.pk}/bien-nhan/",
        f"{base}/man-hinh/",
    ]


def text(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


def test_chair_runs_a_vote_on_the_pages_and_members_answer(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = in_session(make_meeting)
    item = meeting.items.get(position=1)
    chair = login_client(board.chair.user)
    response = chair.post(
        f"/hop/{meeting.pk}/bieu-quyet/",
        {
            "item": item.pk,
            "question": "Thông qua Kế hoạch chuyển đổi số năm 2026",
            "kind": "open",
            "choices": "for_against",
        },
    )
    assert response.status_code == 302
    vote = Vote.objects.get()
    page = text(chair.get(f"/hop/{meeting.pk}/bieu-quyet/"))
    assert "Mở biểu quyết" in page and "Thông qua Kế hoạch chuyển đổi số năm 2026" in page
    response = chair.post(f"/hop/{meeting.pk}/bieu-quyet/{vote.pk}/mo/", {"duration_minutes": ""})
    assert response.status_code == 302
    vote.refresh_from_db()
    assert vote.status == VoteStatus.OPEN

    member = login_client(board.members[0].user)
    listing = text(member.get(f"/hop/{meeting.pk}/bieu-quyet/"))
    assert "Đang chờ anh/chị biểu quyết" in listing
    ballot = member.get(f"/hop/{meeting.pk}/bieu-quyet/{vote.pk}/")
    assert "Gửi phiếu" in text(ballot) and "Tán thành" in text(ballot)
    # Nothing of the count shows while the vote is open.
    assert "Kết quả biểu quyết" not in text(ballot)
    answer = member.post(
        f"/hop/{meeting.pk}/bieu-quyet/{vote.pk}/",
        {"choice": FOR, "for_member": board.members[0].pk},
    )
    assert answer.status_code == 200 and "Mã chỉ hiện một lần" in text(answer)
    code = CODE.search(text(answer))
    assert code is not None

    # The same ballot again: refused on the page with a Vietnamese error summary.
    again = member.post(
        f"/hop/{meeting.pk}/bieu-quyet/{vote.pk}/",
        {"choice": AGAINST, "for_member": board.members[0].pk},
    )
    assert again.status_code == 409
    assert "Phiếu chưa được ghi nhận" in text(again) and "chỉ biểu quyết một lần" in text(again)
    # No choice ticked: a field error, nothing recorded.
    other = login_client(board.members[1].user)
    blank = other.post(
        f"/hop/{meeting.pk}/bieu-quyet/{vote.pk}/", {"for_member": board.members[1].pk}
    )
    assert blank.status_code == 400 and "Chưa gửi được phiếu" in text(blank)
    assert VoteParticipation.objects.filter(vote=vote).count() == 1

    for official in [board.chair, *board.members[1:4]]:
        cast(official, vote, FOR)
    response = chair.post(f"/hop/{meeting.pk}/bieu-quyet/{vote.pk}/ket-thuc/", {"back": "vote"})
    assert response.status_code == 302
    result = text(chair.get(response["Location"]))
    assert "Thông qua" in result and "Căn cứ pháp lý" in result
    assert "Luật Tổ chức chính quyền địa phương" in result
    assert "Cần ít nhất" in result

    found = member.post(f"/hop/{meeting.pk}/bieu-quyet/{vote.pk}/bien-nhan/", {"code": code[0]})
    assert found.status_code == 200
    assert "Phiếu đã được kiểm" in text(found) and "Tán thành" in text(found)
    wrong = member.post(
        f"/hop/{meeting.pk}/bieu-quyet/{vote.pk}/bien-nhan/", {"code": "AAAA-AAAA-AAAA-AAAA"}
    )
    assert wrong.status_code == 404 and "Không tìm thấy phiếu" in text(wrong)


@pytest.mark.usefixtures("seal")
def test_secret_result_page_lists_receipts_and_the_sealed_list(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = in_session(make_meeting)
    vote = new_vote(board, meeting, kind=Vote.Kind.SECRET)
    codes = [cast(official, vote, FOR) for official in board.voters[:5]]
    chair = login_client(board.chair.user)
    chair.post(f"/hop/{meeting.pk}/bieu-quyet/{vote.pk}/ket-thuc/")
    page = text(chair.get(f"/hop/{meeting.pk}/bieu-quyet/{vote.pk}/"))
    assert "Danh sách phiếu đã kiểm" in page
    assert "Chữ ký số hợp lệ" in page and board.agency.name in page
    from egov.meetings.services.votes import receipt_hash

    for code in codes:
        assert receipt_hash(code) in page and code not in page
    # A secret vote's page never names who chose what.
    assert "Ý kiến của từng thành viên" not in page


def test_outsiders_and_other_meetings_members_see_nothing_and_cannot_vote(  # type: ignore[no-untyped-def]
    board, make_meeting, make_official
) -> None:
    meeting = in_session(make_meeting)
    vote = new_vote(board, meeting)
    cast(board.members[0], vote, FOR)
    closed = new_vote(board, meeting, question="Đã kết thúc")
    cast(board.members[0], closed, FOR)
    from egov.meetings.services.votes import close_vote

    from .conftest import actor

    close_vote(actor=actor(board.chair), vote=closed)
    other_member = make_official(board.agency, username="hop.khac")
    other_meeting = in_session(make_meeting, title="Cuộc họp khác")
    Participant.objects.create(meeting=other_meeting, official=other_member, role="member")
    before = (Ballot.objects.count(), VoteParticipation.objects.count())

    for official in (board.outsider, other_member):
        browser = login_client(official.user)
        for url in [*pages(meeting, vote), *pages(meeting, closed)]:
            assert browser.get(url).status_code == 404, url
        response = browser.post(
            f"/hop/{meeting.pk}/bieu-quyet/{vote.pk}/", {"choice": FOR, "for_member": official.pk}
        )
        assert response.status_code == 404
        assert browser.post(f"/hop/{meeting.pk}/bieu-quyet/{vote.pk}/ket-thuc/").status_code == 404
        # Through another meeting's address too.
        assert browser.get(f"/hop/{other_meeting.pk}/bieu-quyet/{vote.pk}/").status_code in (404,)
        api = f"/api/v1/meetings/{meeting.pk}/votes/"
        assert browser.get(api).status_code == 404
        assert browser.get(f"{api}{closed.pk}/").status_code == 404
        response = browser.post(
            f"{api}{vote.pk}/ballot/", {"choice": FOR}, content_type="application/json"
        )
        assert response.status_code == 404
        response = browser.post(
            f"{api}{closed.pk}/receipt/", {"code": "AAAA"}, content_type="application/json"
        )
        assert response.status_code == 404
    assert (Ballot.objects.count(), VoteParticipation.objects.count()) == before


def test_a_guest_sees_only_the_votes_of_their_items(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = in_session(make_meeting)
    on_item_1 = new_vote(board, meeting)  # the guest is invited to item 2 only
    item_2 = meeting.items.get(position=2)
    from egov.meetings.services.votes import create_vote

    from .conftest import actor

    on_item_2 = create_vote(
        actor=actor(board.chair), item=item_2, question="Nội dung của khách", kind="open"
    )
    guest = login_client(board.guest.user)
    listing = text(guest.get(f"/hop/{meeting.pk}/bieu-quyet/"))
    assert "Nội dung của khách" in listing and on_item_1.question not in listing
    assert guest.get(f"/hop/{meeting.pk}/bieu-quyet/{on_item_1.pk}/").status_code == 404
    assert guest.get(f"/hop/{meeting.pk}/bieu-quyet/{on_item_2.pk}/").status_code == 200
    api = guest.get(f"/api/v1/meetings/{meeting.pk}/votes/").json()
    assert [v["id"] for v in api] == [on_item_2.pk]
    # And a guest does not vote.
    response = guest.post(
        f"/api/v1/meetings/{meeting.pk}/votes/{on_item_1.pk}/ballot/",
        {"choice": FOR},
        content_type="application/json",
    )
    assert response.status_code == 404


def test_a_session_without_the_second_factor_gets_nothing(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = in_session(make_meeting)
    vote = new_vote(board, meeting)
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(board.members[0].user, generate_totp_secret())
    browser = login_client(board.members[0].user, with_mfa=False)
    response = browser.post(
        f"/hop/{meeting.pk}/bieu-quyet/{vote.pk}/",
        {"choice": FOR, "for_member": board.members[0].pk},
    )
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = browser.post(
        f"/api/v1/meetings/{meeting.pk}/votes/{vote.pk}/ballot/",
        {"choice": FOR},
        content_type="application/json",
    )
    assert response.status_code in (401, 403)
    assert not VoteParticipation.objects.exists()


@pytest.mark.usefixtures("seal")
def test_api_vote_from_preparing_to_the_result(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = in_session(make_meeting)
    item = meeting.items.get(position=1)
    chair = login_client(board.chair.user)
    base = f"/api/v1/meetings/{meeting.pk}/votes/"
    response = chair.post(
        base,
        {"item": item.pk, "question": "Bầu tổ trưởng", "kind": "secret", "choices": "list",
         "options": ["Ông A", "Bà B"]},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    vote_id = response.json()["id"]
    assert response.json()["options"] == [
        {"key": "1", "label": "Ông A"},
        {"key": "2", "label": "Bà B"},
    ]
    # Before it opens: outside the window.
    member = login_client(board.members[0].user)
    response = member.post(
        f"{base}{vote_id}/ballot/", {"choice": "1"}, content_type="application/json"
    )
    assert response.status_code == 409 and response.json()["code"] == "vote_not_open"
    # A member may not open it.
    assert member.post(f"{base}{vote_id}/open/").status_code == 403
    assert chair.post(f"{base}{vote_id}/open/").status_code == 200

    receipts = {}
    for official in board.voters[:5]:
        browser = login_client(official.user)
        response = browser.post(
            f"{base}{vote_id}/ballot/", {"choice": "2"}, content_type="application/json"
        )
        assert response.status_code == 201
        assert response["Cache-Control"] == "no-store"
        receipts[official.pk] = response.json()["receipt"]
    response = member.post(
        f"{base}{vote_id}/ballot/", {"choice": "1"}, content_type="application/json"
    )
    assert response.status_code == 409 and response.json()["code"] == "already_voted"
    response = login_client(board.members[5].user).post(
        f"{base}{vote_id}/ballot/", {"choice": "9"}, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid_choice"
    response = login_client(board.secretary.user).post(
        f"{base}{vote_id}/ballot/", {"choice": "1"}, content_type="application/json"
    )
    assert response.status_code == 403 and response.json()["code"] == "not_a_voter"

    # While open: turnout only, no count.
    body = member.get(f"{base}{vote_id}/").json()
    assert body["turnout"] == {"voted": 5, "voters": 7} and body["result"] is None

    response = chair.post(f"{base}{vote_id}/close/")
    assert response.status_code == 200
    body = response.json()
    assert body["passed"] is True and body["result"]["winner"] == "2"
    assert body["result"]["counts"] == {"1": 0, "2": 5}
    assert body["named"] == []  # secret: nobody's choice
    assert body["participation"]["valid"] and body["participation"]["matches_count"]

    response = member.post(
        f"{base}{vote_id}/receipt/",
        {"code": receipts[board.members[0].pk]},
        content_type="application/json",
    )
    assert response.json() == {
        "choice": "2",
        "choice_label": "Bà B",
        "counted": True,
        "status": "closed",
    }


def test_api_clients_read_their_agencys_results_but_never_vote(  # type: ignore[no-untyped-def]
    board, make_meeting, client, other_agency
) -> None:
    meeting = in_session(make_meeting)
    vote = new_vote(board, meeting)
    base = f"/api/v1/meetings/{meeting.pk}/votes/"
    _c, reader = create_api_client(
        actor=SYSTEM, name="Cổng dữ liệu", scopes=["meetings:read"], agency=board.agency
    )
    _c, writer = create_api_client(
        actor=SYSTEM,
        name="Ứng dụng họp",
        scopes=["meetings:read", "meetings:write"],
        agency=board.agency,
    )
    _c, stranger = create_api_client(
        actor=SYSTEM, name="Tỉnh khác", scopes=["meetings:read"], agency=other_agency
    )
    _c, no_scope = create_api_client(
        actor=SYSTEM, name="Lịch", scopes=["calendar:read"], agency=board.agency
    )

    def auth(token: str) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    assert [v["id"] for v in client.get(base, **auth(reader)).json()] == [vote.pk]
    assert client.get(base, **auth(stranger)).status_code == 404
    assert client.get(base, **auth(no_scope)).status_code == 403
    for token in (reader, writer):
        response = client.post(
            f"{base}{vote.pk}/ballot/",
            {"choice": FOR},
            content_type="application/json",
            **auth(token),
        )
        assert response.status_code == 403
        assert client.post(f"{base}{vote.pk}/close/", **auth(token)).status_code == 403
        response = client.post(
            f"{base}{vote.pk}/receipt/",
            {"code": "AAAA-AAAA-AAAA-AAAA"},
            content_type="application/json",
            **auth(token),
        )
        assert response.status_code == 403
    assert not VoteParticipation.objects.exists()
    vote.refresh_from_db()
    assert vote.status == VoteStatus.OPEN


def test_the_live_screen_fragment_and_who_sees_it(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = in_session(make_meeting)
    vote = new_vote(board, meeting)
    for official in [board.chair, *board.members[:4]]:
        cast(official, vote, FOR)
    from egov.meetings.services.votes import close_vote

    from .conftest import actor

    close_vote(actor=actor(board.chair), vote=vote)
    guest = login_client(board.guest.user)
    screen = guest.get(f"/hop/{meeting.pk}/man-hinh/", HTTP_HX_REQUEST="true")
    # A guest of item 2 does not see the result of item 1's vote.
    assert screen.status_code == 200 and "THÔNG QUA" not in text(screen)
    secretary = login_client(board.secretary.user)
    fragment = secretary.get(f"/hop/{meeting.pk}/man-hinh/", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    assert "<html" not in text(fragment) and "THÔNG QUA" in text(fragment)
    assert 'hx-trigger="every 2s"' in text(fragment)
    # Once the meeting is over, htmx is told to stop polling.
    meeting.status = "closed"
    meeting.save(update_fields=["status"])
    done = secretary.get(f"/hop/{meeting.pk}/man-hinh/", HTTP_HX_REQUEST="true")
    assert done.status_code == 286 and "hx-trigger" not in text(done)
