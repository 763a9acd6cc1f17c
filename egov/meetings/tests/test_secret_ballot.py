"""Acceptance: from the database alone no secret ballot can be tied to a voter, and every
voter's receipt finds their ballot in the published count.

Seven members vote in a secret ballot, some on the page (so the session and the flash messages
are exercised), some through the service. Then everything the database holds is searched:
- the ballot table has no column naming a person or a time, and no key shared with the list of
  who voted (which has no choice);
- the events of the ballots name who voted, never what; no event, outbox message, session or
  other row holds a receipt code, and none but the count holds a receipt hash;
- the ballots' stored order is the order of their (random) receipt hashes, not the order of
  voting; on PostgreSQL every ballot was written by one transaction (xmin), so not even the
  inserting transaction points at a voter;
- each voter's receipt finds their ballot, with their choice, in the published count;
- the participation list is sealed by the agency and matches the count.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.db import connection, models

from egov.conftest import login_client
from egov.events.models import Event
from egov.meetings import event_types as et
from egov.meetings.models import Ballot, Vote, VoteParticipation
from egov.meetings.rules import ABSTAIN, AGAINST, FOR
from egov.meetings.services import votes as services

from .conftest import actor
from .hvote_support import cast, in_session, new_vote, seal, seal_hierarchy  # noqa: F401

pytestmark = pytest.mark.django_db

CODE = re.compile(r"\b[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}\b")


def _all_rows_text() -> dict[str, str]:
    """Every row of every table, as text (sessions decoded: their data is base64)."""
    texts: dict[str, str] = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')
            texts[table] = "\n".join(repr(row) for row in cursor.fetchall())
    texts["sessions (decoded)"] = "\n".join(
        json.dumps(s.get_decoded(), default=str) for s in Session.objects.all()
    )
    return texts


@pytest.mark.usefixtures("seal")
def test_no_ballot_can_be_tied_to_a_voter_and_every_receipt_is_counted(
    board, make_meeting, client
) -> None:  # type: ignore[no-untyped-def]
    meeting = in_session(make_meeting)
    vote = new_vote(board, meeting, kind=Vote.Kind.SECRET)
    choices = [FOR, AGAINST, FOR, ABSTAIN, FOR, AGAINST, FOR]
    receipts: dict[int, str] = {}
    voters = board.voters
    for n, (official, choice) in enumerate(zip(voters, choices, strict=True)):
        if n % 2:
            # On the page: the receipt is in the answer to the ballot, once.
            browser = login_client(official.user)
            response = browser.post(
                f"/hop/{meeting.pk}/bieu-quyet/{vote.pk}/",
                {"choice": choice, "for_member": official.pk},
            )
            assert response.status_code == 200, response.content[:800]
            assert "no-store" in response["Cache-Control"]
            found = CODE.findall(response.content.decode())
            assert len(found) == 1
            receipts[official.pk] = found[0]
        else:
            receipts[official.pk] = cast(official, vote, choice)
    assert len(set(receipts.values())) == 7
    vote = services.close_vote(actor=actor(board.chair), vote=vote)
    assert vote.result["counts"] == {FOR: 4, AGAINST: 2, ABSTAIN: 1}

    # 1. The ballot table: no person, no time; nothing shared with who voted but the vote.
    ballot_columns = {f.name: f for f in Ballot._meta.concrete_fields}
    assert set(ballot_columns) == {"id", "vote", "voter", "choice", "receipt_hash"}
    assert not any(
        isinstance(f, models.DateField | models.DateTimeField | models.AutoField)
        for f in ballot_columns.values()
    )
    ballots = list(Ballot.objects.filter(vote=vote))
    assert len(ballots) == 7
    assert all(b.voter_id is None for b in ballots)  # a secret vote keeps no voter
    assert all(isinstance(b.id, uuid.UUID) and b.id.version == 4 for b in ballots)
    participation_columns = {f.name for f in VoteParticipation._meta.concrete_fields}
    assert participation_columns == {"id", "vote", "official", "remote", "delegate"}
    assert not any(
        f.related_model in (Ballot, VoteParticipation)
        for f in [*Ballot._meta.concrete_fields, *VoteParticipation._meta.concrete_fields]
        if f.is_relation
    )
    assert {p.official_id for p in VoteParticipation.objects.filter(vote=vote)} == {
        o.pk for o in voters
    }

    # 2. The events: who voted, never what (nor a receipt, nor a ballot's key).
    cast_events = list(
        Event.objects.filter(event_type=et.BALLOT_CAST.name, subject_id=str(vote.pk))
    )
    assert len(cast_events) == 7
    assert {e.actor_user_id for e in cast_events} == {o.user_id for o in voters}
    for event in cast_events:
        assert event.payload["secret"] is True
        assert event.payload.get("choice") is None and event.payload.get("voter") is None
    ballot_marks = {b.receipt_hash for b in ballots} | {str(b.id) for b in ballots}
    ballot_marks |= {b.id.hex for b in ballots}
    everything = _all_rows_text()
    for table, text in everything.items():
        for code in receipts.values():
            assert code not in text, f"a receipt code is stored in {table}"
        if table not in {Ballot._meta.db_table, Vote._meta.db_table, "events_event"}:
            assert not any(mark in text for mark in ballot_marks), table
    # The published count (the vote's result and its closing event) lists the hashes only.
    for event in Event.objects.exclude(event_type=et.VOTE_CLOSED.name):
        assert not any(mark in json.dumps(event.payload) for mark in ballot_marks)

    # 3. The stored order is the receipt hashes' order (random), not the order of voting.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT receipt_hash FROM {Ballot._meta.db_table} WHERE vote_id = %s",
            [vote.pk],
        )
        stored = [row[0] for row in cursor.fetchall()]
        assert stored == sorted(stored)
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT COUNT(DISTINCT xmin::text) FROM {Ballot._meta.db_table} "
                "WHERE vote_id = %s",
                [vote.pk],
            )
            assert cursor.fetchone()[0] == 1
    voting_order = [services.receipt_hash(receipts[o.pk]) for o in voters]
    assert sorted(voting_order) == stored

    # 4. Every voter's receipt finds their ballot, with their choice, in the published count.
    published = {r["hash"]: r["choice"] for r in vote.result["receipts"]}
    assert len(published) == 7
    for official, choice in zip(voters, choices, strict=True):
        code = receipts[official.pk]
        found = services.find_receipt(vote, code.lower().replace("-", " "))
        assert (found.choice, found.counted) == (choice, True)
        assert published[services.receipt_hash(code)] == choice
    # The digest in the closing event covers exactly this list.
    closing = Event.objects.get(event_type=et.VOTE_CLOSED.name, subject_id=str(vote.pk))
    assert closing.payload["count_digest"] == services.count_digest(list(published.items()))

    # 5. Who took part, sealed by the agency, bound to the count; no choice in it.
    check = services.check_participation(vote)
    assert check is not None and check.valid and check.matches_count
    assert board.agency.name in check.signer
    assert sorted(v["username"] for v in check.voters) == sorted(o.user.username for o in voters)
    assert all(set(v) <= {"username", "name", "remote", "delegate"} for v in check.voters)
    for choice_word in ("for", "against", "abstain", "Tán thành"):
        assert f">{choice_word}<" not in vote.participation_signature


@pytest.mark.usefixtures("seal")
def test_a_tampered_participation_list_does_not_verify(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = in_session(make_meeting)
    vote = new_vote(board, meeting, kind=Vote.Kind.SECRET)
    cast(board.chair, vote, FOR)
    cast(board.members[0], vote, AGAINST)
    vote = services.close_vote(actor=actor(board.chair), vote=vote)
    vote.participation_signature = vote.participation_signature.replace(
        board.members[0].user.username, board.members[1].user.username
    )
    check = services.check_participation(vote)
    assert check is not None and not check.valid


@pytest.mark.usefixtures("seal")
def test_an_unknown_receipt_is_refused(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = in_session(make_meeting)
    vote = new_vote(board, meeting, kind=Vote.Kind.SECRET)
    code = cast(board.chair, vote, FOR)
    other = new_vote(board, meeting, kind=Vote.Kind.SECRET, question="Khác")
    for wrong in ("", "ABCD", "AAAA-AAAA-AAAA-AAAA"):
        with pytest.raises(services.DomainError) as info:
            services.find_receipt(vote, wrong)
        assert info.value.code == "receipt_unknown"
    # A receipt is found only in its own vote.
    with pytest.raises(services.DomainError):
        services.find_receipt(other, code)
    found = services.find_receipt(vote, code)
    assert found.choice == FOR and not found.counted  # not closed yet
    assert apps.get_model("meetings", "Ballot").objects.count() == 1
