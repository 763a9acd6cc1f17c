"""Votes on agenda items: counted under the meeting's rule (more than half of all members; a
tie follows the chair in an open vote and fails in a secret one; no quorum, no decision), who
may vote (present members and the chair; absent members and delegates only where the rule
says), and every refused ballot leaving nothing changed."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from egov.cases import TransitionRefused
from egov.core.errors import DomainError, NotAllowed, NotFoundError
from egov.events.models import Event, OutboxMessage
from egov.meetings import event_types as et
from egov.meetings.error_codes import MeetingErrorCode
from egov.meetings.models import (
    DecisionRule,
    MeetingStatus,
    Participant,
    Vote,
    VoteParticipation,
    VoteStatus,
)
from egov.meetings.rules import ABSTAIN, AGAINST, FOR
from egov.meetings.services import votes as services
from egov.signing.errors import SigningError

from .conftest import actor
from .hvote_support import (  # noqa: F401
    cast,
    in_session,
    new_vote,
    seal,
    seal_hierarchy,
    snapshot,
)

pytestmark = pytest.mark.django_db


def close(board, vote):  # type: ignore[no-untyped-def]
    return services.close_vote(actor=actor(board.chair), vote=vote)


def refused(code: str, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as info:
        fn(*args, **kwargs)
    assert info.value.code == code, (info.value.code, info.value.message)
    return info.value


def mark_absent(meeting, *officials) -> None:  # type: ignore[no-untyped-def]
    Participant.objects.filter(meeting=meeting, official__in=officials).update(present=False)


# --- counting -----------------------------------------------------------------------------------


def test_open_vote_passes_with_more_than_half_of_all_members(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = in_session(make_meeting)
    vote = new_vote(board, meeting)
    for official in [board.chair, *board.members[:3]]:
        cast(official, vote, FOR)
    cast(board.members[3], vote, AGAINST)
    cast(board.members[4], vote, ABSTAIN)
    vote = close(board, vote)

    assert vote.status == VoteStatus.CLOSED and vote.passed is True
    result = vote.result
    assert result["counts"] == {FOR: 4, AGAINST: 1, ABSTAIN: 1}
    assert (result["members"], result["present"], result["cast"]) == (7, 7, 6)
    assert (result["base"], result["needed"]) == (7, 4)
    assert "Luật Tổ chức chính quyền địa phương" in result["rule"]["legal_source"]
    assert [o["label"] for o in result["options"]] == [
        "Tán thành",
        "Không tán thành",
        "Không biểu quyết",
    ]
    # The event carries the count and the digest of the published list.
    event = Event.objects.get(event_type=et.VOTE_CLOSED.name, subject_id=str(vote.pk))
    assert event.payload["passed"] is True
    assert event.payload["count_digest"] == result["count_digest"]
    assert len(result["receipts"]) == 6
    # An open vote's list is not sealed (its ballots are named).
    assert vote.participation_signature == ""


def test_open_vote_tie_follows_the_chair(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = in_session(make_meeting)
    vote = new_vote(board, meeting)
    cast(board.chair, vote, AGAINST)
    for official in board.members[:2]:
        cast(official, vote, AGAINST)
    for official in board.members[2:5]:
        cast(official, vote, FOR)
    cast(board.members[5], vote, ABSTAIN)
    vote = close(board, vote)
    assert vote.result["counts"] == {FOR: 3, AGAINST: 3, ABSTAIN: 1}
    assert vote.result["tie"] and vote.result["decided_by_chair"]
    assert vote.passed is False
    assert "ý kiến chủ tọa" in vote.result["reason"]

    other = new_vote(board, meeting, question="Thông qua danh mục dự án")
    cast(board.chair, other, FOR)
    for official in board.members[:2]:
        cast(official, other, FOR)
    for official in board.members[2:5]:
        cast(official, other, AGAINST)
    other = close(board, other)
    assert other.passed is True and other.result["decided_by_chair"]


@pytest.mark.usefixtures("seal")
def test_secret_tie_fails_and_says_why(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = in_session(make_meeting)
    vote = new_vote(board, meeting, kind=Vote.Kind.SECRET)
    cast(board.chair, vote, FOR)
    for official in board.members[:2]:
        cast(official, vote, FOR)
    for official in board.members[2:5]:
        cast(official, vote, AGAINST)
    vote = close(board, vote)
    assert vote.result["tie"] and not vote.result["decided_by_chair"]
    assert vote.passed is False
    assert "bỏ phiếu kín" in vote.result["reason"]


def test_no_quorum_no_decision(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = in_session(make_meeting)
    # Three of seven recorded absent: 4 present, the rule wants two thirds (5).
    mark_absent(meeting, *board.members[:3])
    vote = new_vote(board, meeting)
    for official in [board.chair, *board.members[3:]]:
        cast(official, vote, FOR)
    vote = close(board, vote)
    assert vote.result["quorum"] == 5 and vote.result["present"] == 4
    assert vote.result["quorum_met"] is False and vote.passed is False
    assert "Không đủ số thành viên có mặt" in vote.result["reason"]


def test_a_choice_list(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = in_session(make_meeting)
    vote = new_vote(
        board,
        meeting,
        choices=Vote.Choices.LIST,
        options=("Phương án 1: đầu tư công", "Phương án 2: hợp tác công tư", " "),
        question="Chọn phương án đầu tư cầu Bạch Đằng 2",
    )
    assert vote.options == [
        {"key": "1", "label": "Phương án 1: đầu tư công"},
        {"key": "2", "label": "Phương án 2: hợp tác công tư"},
    ]
    for official in [board.chair, *board.members[:3]]:
        cast(official, vote, "2")
    cast(board.members[3], vote, "1")
    refused(MeetingErrorCode.INVALID_CHOICE, cast, board.members[4], vote, FOR)
    vote = close(board, vote)
    assert vote.passed and vote.result["winner"] == "2"
    assert vote.result["counts"] == {"1": 1, "2": 4}


def test_preparing_a_vote_checks_its_question_and_options(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = in_session(make_meeting)
    item = meeting.items.first()
    error = refused(
        MeetingErrorCode.VOTE_INVALID,
        services.create_vote,
        actor=actor(board.secretary),
        item=item,
        question="  ",
        kind="open",
    )
    assert "question" in error.fields
    error = refused(
        MeetingErrorCode.VOTE_INVALID,
        services.create_vote,
        actor=actor(board.secretary),
        item=item,
        question="Chọn nhà thầu",
        kind="open",
        choices="list",
        options=["Một", "một"],
    )
    assert "options" in error.fields
    assert not Vote.objects.exists()
    # The secretary prepares; a member may not; an outsider does not find the meeting.
    services.create_vote(actor=actor(board.secretary), item=item, question="Câu hỏi", kind="open")
    with pytest.raises(NotAllowed):
        services.create_vote(
            actor=actor(board.members[0]), item=item, question="Câu hỏi", kind="open"
        )
    with pytest.raises(NotFoundError):
        services.create_vote(actor=actor(board.outsider), item=item, question="Câu", kind="open")
    assert Vote.objects.count() == 1


def test_a_secret_vote_needs_the_agency_seal(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = in_session(make_meeting)
    with pytest.raises(SigningError):
        new_vote(board, meeting, kind=Vote.Kind.SECRET, open_it=False)
    assert not Vote.objects.exists()


# --- opening, closing -----------------------------------------------------------------------------


def test_only_the_chair_opens_and_only_while_in_session(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting(MeetingStatus.PUBLISHED)
    vote = new_vote(board, meeting, open_it=False)
    refused(
        MeetingErrorCode.MEETING_NOT_IN_SESSION,
        services.open_vote,
        actor=actor(board.chair),
        vote=vote,
    )
    meeting.status = MeetingStatus.IN_SESSION
    meeting.save(update_fields=["status"])
    for official in (board.secretary, board.members[0]):
        with pytest.raises(NotAllowed):
            services.open_vote(actor=actor(official), vote=vote)
    vote = services.open_vote(actor=actor(board.chair), vote=vote)
    assert vote.status == VoteStatus.OPEN and vote.opened_at is not None
    with pytest.raises(TransitionRefused):
        services.open_vote(actor=actor(board.chair), vote=vote)
    with pytest.raises(NotAllowed):
        services.close_vote(actor=actor(board.members[0]), vote=vote)


def test_remote_voters_are_told_the_vote_opened(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = in_session(make_meeting, rule="ubnd-bieu-quyet-tu-xa")
    mark_absent(meeting, board.members[0])
    vote = new_vote(board, meeting)
    # In-app through the outbox (sent when the action commits; the test's transaction
    # never does, so the messages are read from the outbox).
    notices = OutboxMessage.objects.filter(topic=OutboxMessage.Topic.MEETING_NOTICE)
    assert [n.payload["official"] for n in notices] == [board.members[0].pk]
    assert notices[0].payload["kind"] == "vote_opened"
    assert notices[0].payload["link"] == f"/hop/{meeting.pk}/bieu-quyet/{vote.pk}/"


def test_cancelled_vote_takes_no_ballot_and_counts_nothing(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = in_session(make_meeting)
    vote = new_vote(board, meeting)
    cast(board.members[0], vote, FOR)
    vote = services.cancel_vote(actor=actor(board.chair), vote=vote, reason="Cần bổ sung hồ sơ")
    assert vote.status == VoteStatus.CANCELLED and vote.result is None
    refused(MeetingErrorCode.VOTE_NOT_OPEN, cast, board.members[1], vote, FOR)
    with pytest.raises(TransitionRefused):
        close(board, vote)


# --- who may vote ---------------------------------------------------------------------------------


def test_absent_member_refused_unless_the_rule_allows(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = in_session(make_meeting)
    absent = board.members[0]
    mark_absent(meeting, absent)
    vote = new_vote(board, meeting)
    before = snapshot(vote)
    error = refused(MeetingErrorCode.NOT_A_VOTER, cast, absent, vote, FOR)
    assert "vắng mặt" in error.message
    assert snapshot(vote) == before

    remote = in_session(make_meeting, rule="ubnd-bieu-quyet-tu-xa")
    mark_absent(remote, absent)
    vote = new_vote(board, remote)
    cast(absent, vote, FOR)
    row = VoteParticipation.objects.get(vote=vote)
    assert row.official == absent and row.remote is True and row.delegate is None


def test_declined_member_is_absent_until_recorded_present(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = in_session(make_meeting)
    member = board.members[0]
    Participant.objects.filter(meeting=meeting, official=member).update(response="declined")
    vote = new_vote(board, meeting)
    refused(MeetingErrorCode.NOT_A_VOTER, cast, member, vote, FOR)
    Participant.objects.filter(meeting=meeting, official=member).update(present=True)
    cast(member, vote, FOR)


def test_a_delegate_votes_in_the_members_seat_only_where_the_rule_allows(  # type: ignore[no-untyped-def]
    board, make_meeting
) -> None:
    DecisionRule.objects.create(
        code="du-thay",
        name="Người dự thay được biểu quyết",
        base="all_members",
        tie_break="chair",
        absent_may_vote=True,
        delegates_vote=True,
        legal_source="Quy chế làm việc (thử nghiệm).",
    )
    member, stand_in = board.members[0], board.outsider
    for rule, allowed in (("ubnd", False), ("du-thay", True)):
        meeting = in_session(make_meeting, rule=rule)
        Participant.objects.filter(meeting=meeting, official=member).update(
            response="declined", reason="Đi công tác", delegate=stand_in
        )
        vote = new_vote(board, meeting)
        if not allowed:
            before = snapshot(vote)
            refused(MeetingErrorCode.NOT_A_VOTER, cast, stand_in, vote, FOR)
            assert snapshot(vote) == before
            continue
        cast(stand_in, vote, AGAINST)
        row = VoteParticipation.objects.get(vote=vote)
        assert (row.official, row.delegate, row.remote) == (member, stand_in, True)
        event = Event.objects.filter(event_type=et.BALLOT_CAST.name).last()
        assert event.payload["voter"] == member.user.username
        assert event.payload["cast_by"] == stand_in.user.username
        # Never both: the member's own remote ballot is a second one for the seat.
        before = snapshot(vote)
        refused(MeetingErrorCode.ALREADY_VOTED, cast, member, vote, FOR)
        refused(MeetingErrorCode.ALREADY_VOTED, cast, stand_in, vote, FOR)
        assert snapshot(vote) == before
        vote = close(board, vote)
        assert vote.result["counts"][AGAINST] == 1


def test_a_delegate_of_a_present_member_does_not_vote(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    DecisionRule.objects.create(
        code="du-thay-2",
        name="Người dự thay được biểu quyết",
        base="all_members",
        delegates_vote=True,
        legal_source="Quy chế làm việc (thử nghiệm).",
    )
    meeting = in_session(make_meeting, rule="du-thay-2")
    Participant.objects.filter(meeting=meeting, official=board.members[0]).update(
        delegate=board.outsider, present=True
    )
    vote = new_vote(board, meeting)
    error = refused(MeetingErrorCode.NOT_A_VOTER, cast, board.outsider, vote, FOR)
    assert "đang có mặt" in error.message


def test_refused_ballots_change_nothing(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = in_session(make_meeting)
    vote = new_vote(board, meeting)
    cast(board.members[0], vote, FOR)
    before = snapshot(vote)

    # A second ballot.
    refused(MeetingErrorCode.ALREADY_VOTED, cast, board.members[0], vote, AGAINST)
    # Not voters: the secretary and a guest (they have a part in the meeting).
    refused(MeetingErrorCode.NOT_A_VOTER, cast, board.secretary, vote, FOR)
    refused(MeetingErrorCode.NOT_A_VOTER, cast, board.guest, vote, FOR)
    # An unknown choice.
    refused(MeetingErrorCode.INVALID_CHOICE, cast, board.members[1], vote, "yes")
    # Someone with no part in this meeting does not even find the vote.
    with pytest.raises(NotFoundError):
        cast(board.outsider, vote, FOR)
    assert snapshot(vote) == before


def test_another_meetings_member_does_not_find_the_vote(  # type: ignore[no-untyped-def]
    board, make_meeting, make_official
) -> None:
    meeting = in_session(make_meeting)
    vote = new_vote(board, meeting)
    other = make_official(board.agency, username="uyvien.khac")
    other_meeting = in_session(make_meeting, title="Họp khác")
    Participant.objects.create(meeting=other_meeting, official=other, role="member")
    before = snapshot(vote)
    with pytest.raises(NotFoundError):
        cast(other, vote, FOR)
    with pytest.raises(NotFoundError):
        services.close_vote(actor=actor(other), vote=vote)
    assert snapshot(vote) == before


def test_ballots_outside_the_open_window(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = in_session(make_meeting)
    draft = new_vote(board, meeting, open_it=False)
    before = snapshot(draft)
    refused(MeetingErrorCode.VOTE_NOT_OPEN, cast, board.members[0], draft, FOR)
    assert snapshot(draft) == before

    # Opened for one minute: after it, refused even before the chair closes the vote.
    timed = new_vote(board, meeting, open_it=False, question="Có thời hạn")
    timed = services.open_vote(actor=actor(board.chair), vote=timed, duration_minutes=1)
    cast(board.members[0], timed, FOR)
    Vote.objects.filter(pk=timed.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    before = snapshot(timed)
    refused(MeetingErrorCode.VOTE_NOT_OPEN, cast, board.members[1], timed, FOR)
    assert snapshot(timed) == before

    closed = close(board, new_vote(board, meeting, question="Đã kết thúc"))
    before = snapshot(closed)
    refused(MeetingErrorCode.VOTE_NOT_OPEN, cast, board.members[0], closed, FOR)
    assert snapshot(closed) == before

    # The meeting closed while a vote was left open: no ballot either.
    left_open = new_vote(board, meeting, question="Còn mở")
    meeting.status = MeetingStatus.CLOSED
    meeting.save(update_fields=["status"])
    refused(MeetingErrorCode.VOTE_NOT_OPEN, cast, board.members[0], left_open, FOR)
    # ... and the chair can still close it.
    assert close(board, left_open).status == VoteStatus.CLOSED


# --- two ballots at once (PostgreSQL) -------------------------------------------------------------

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent transactions need PostgreSQL"
)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_double_vote_only_one_wins(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = in_session(make_meeting)
    vote = new_vote(board, meeting)
    member = board.members[0]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def work(choice: str) -> None:
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            cast(member, vote, choice)
            outcomes.append("ok")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=work, args=(c,)) for c in (FOR, AGAINST)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == sorted(["ok", MeetingErrorCode.ALREADY_VOTED])
    assert VoteParticipation.objects.filter(vote=vote).count() == 1
    assert vote.ballots.count() == 1


def test_a_member_standing_in_for_another_votes_once_per_seat(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    DecisionRule.objects.create(
        code="du-thay-3",
        name="Người dự thay được biểu quyết",
        base="all_members",
        delegates_vote=True,
        legal_source="Quy chế làm việc (thử nghiệm).",
    )
    meeting = in_session(make_meeting, rule="du-thay-3")
    absent, stand_in, other = board.members[0], board.members[1], board.members[2]
    Participant.objects.filter(meeting=meeting, official=absent).update(
        present=False, delegate=stand_in
    )
    vote = new_vote(board, meeting)
    seats = services.open_seats(stand_in, vote)
    assert [(s.member, s.by_delegate) for s in seats] == [(stand_in, False), (absent, True)]
    # Nobody votes in a seat that is not theirs.
    before = snapshot(vote)
    refused(MeetingErrorCode.NOT_A_VOTER, cast, other, vote, FOR, for_member=absent)
    assert snapshot(vote) == before
    cast(stand_in, vote, FOR)  # their own seat first
    cast(stand_in, vote, AGAINST, for_member=absent)
    refused(MeetingErrorCode.ALREADY_VOTED, cast, stand_in, vote, FOR, for_member=absent)
    assert services.open_seats(stand_in, vote) == []
    vote = close(board, vote)
    assert vote.result["counts"] == {FOR: 1, AGAINST: 1, ABSTAIN: 0}
