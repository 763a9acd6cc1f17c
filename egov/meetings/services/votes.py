"""Votes on agenda items (biểu quyết): prepared by the chair or the secretary, opened by the
chair while the meeting is in session, answered by the voting members, closed and counted by
the chair under the meeting's decision rule (rules.decide: the legal arithmetic lives there).

Who may vote (the "seat" of a member or of the chair; one ballot per seat):
- the chair and the members (Participant role chair/member) who are present. Presence is what
  the secretary recorded (`Participant.present`); where nothing is recorded yet, a member is
  present unless they declined the invitation (someone who said they would not come, and who
  may have named a delegate, is not counted in the room on their word alone);
- an absent member only where `rule.absent_may_vote` (a remote ballot);
- the delegate an absent member named only where `rule.delegates_vote`, in that member's seat
  (the seat is what the unique VoteParticipation row is keyed on: never both);
- never the secretary or a guest (NOT_A_VOTER); an official with no part in the meeting does
  not find the vote at all (the kernel's not-found: a refusal never tells that it exists).

Secret ballots cannot be tied to a voter from the stored data:
- `Ballot` holds the choice, a random UUID key and the SHA-256 of the voter's receipt code, no
  voter and no time; `VoteParticipation` holds who voted (the seat), no choice; the event of a
  secret ballot names the actor (who voted) and never the choice;
- every secret ballot of a vote is rewritten in the order of the receipt hashes (random) in the
  transaction that adds one: the table's order (SQLite rowid, PostgreSQL ctid) and the
  inserting transaction (PostgreSQL xmin) are then the same for every ballot and say nothing
  of who voted when (what remains: docs/meetings/hvote.md);
- no running count is shown or stored while the vote is open (a tally moving by one next to
  "X has voted" would name the choice): the count exists only at close;
- the receipt code is shown once to the voter, never stored (only its hash), never put in a
  URL, a session or a message.
At close the count lists every receipt hash with its choice (the voter checks theirs), and
the list of who took part (no choice) is signed with the organising agency's seal (an
enveloped XML signature, egov.signing.xmlsig) over the count's digest, so the participation
and the count are bound together.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from egov.cases import TransitionRefused, begin, perform
from egov.core.actors import Actor
from egov.core.errors import Conflict, DomainError, NotAllowed, NotFoundError
from egov.org.models import Official

from .. import access, rules
from .. import event_types as et
from ..cases import VOTE
from ..error_codes import MeetingErrorCode
from ..models import (
    AgendaItem,
    Ballot,
    DecisionRule,
    Meeting,
    MeetingStatus,
    Participant,
    Vote,
    VoteParticipation,
    VoteStatus,
)
from .notify import announce, notify

QUESTION_MAX = 500
OPTION_MAX = 200
OPTIONS_MAX = 20
DURATION_MAX_MINUTES = 24 * 60

# RFC 4648 base32 (no 0/1/8/9, which read as O/I/B/g): 16 characters, 80 random bits.
RECEIPT_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
RECEIPT_GROUPS = 4
RECEIPT_GROUP = 4
_LOOKALIKES = str.maketrans({"0": "O", "1": "I", "8": "B"})


class VoteNotOpen(Conflict):
    code = MeetingErrorCode.VOTE_NOT_OPEN


class AlreadyVoted(Conflict):
    code = MeetingErrorCode.ALREADY_VOTED


class NotAVoter(NotAllowed):
    code = MeetingErrorCode.NOT_A_VOTER


# --- who may vote ---------------------------------------------------------------------------------


def is_present(participant: Participant) -> bool:
    """Recorded presence, else present unless they declined the invitation (module docstring)."""
    if participant.present is not None:
        return bool(participant.present)
    return participant.response != Participant.Response.DECLINED


def voting_participants(meeting: Meeting) -> list[Participant]:
    """The meeting's voting members (its chair and members), one row per official."""
    rows = list(
        Participant.objects.filter(
            meeting=meeting, role__in=(Participant.Role.CHAIR, Participant.Role.MEMBER)
        )
        .select_related("official__user", "delegate__user")
        .order_by("id")
    )
    if not any(p.official_id == meeting.chair_id for p in rows):
        # A chair named on the meeting but not listed: still the chair, present.
        rows.insert(
            0,
            Participant(
                meeting=meeting,
                official=meeting.chair,
                role=Participant.Role.CHAIR,
                response=Participant.Response.ACCEPTED,
            ),
        )
    return rows


@dataclass(frozen=True)
class Seat:
    """A vote an official may cast: their own (`member` is them) or an absent member's as
    their delegate. `remote`: cast by or for a member who is not in the room."""

    member: Official
    remote: bool
    by_delegate: bool
    allowed: bool
    reason: str = ""

    @property
    def member_name(self) -> str:
        return self.member.user.get_full_name() or self.member.user.username


def seats_of(official: Official, meeting: Meeting, rule: DecisionRule) -> list[Seat]:
    """The seats `official` holds in this meeting's votes, each with whether they may vote in
    it now (and why not): their own first, then the absent members they stand in for."""
    seats: list[Seat] = []
    for p in voting_participants(meeting):
        present = is_present(p)
        if p.official_id == official.pk:
            if present:
                seats.append(Seat(p.official, remote=False, by_delegate=False, allowed=True))
            elif rule.absent_may_vote:
                seats.append(Seat(p.official, remote=True, by_delegate=False, allowed=True))
            else:
                seats.append(
                    Seat(
                        p.official,
                        remote=False,
                        by_delegate=False,
                        allowed=False,
                        reason=(
                            "Anh/chị được ghi nhận vắng mặt; quy tắc biểu quyết của cuộc họp "
                            "không cho thành viên vắng mặt biểu quyết."
                        ),
                    )
                )
        elif p.delegate_id == official.pk:
            if present:
                reason = "Thành viên đã cử anh/chị dự thay đang có mặt và tự biểu quyết."
                seats.append(Seat(p.official, True, True, allowed=False, reason=reason))
            elif not rule.delegates_vote:
                reason = "Quy tắc biểu quyết của cuộc họp không cho người dự thay biểu quyết."
                seats.append(Seat(p.official, True, True, allowed=False, reason=reason))
            else:
                seats.append(Seat(p.official, remote=True, by_delegate=True, allowed=True))
    # Their own seat first (the default when no seat is named), then those they stand in for.
    return sorted(seats, key=lambda seat: seat.by_delegate)


def voted_officials(vote: Vote) -> set[int]:
    return set(VoteParticipation.objects.filter(vote=vote).values_list("official_id", flat=True))


def open_seats(official: Official, vote: Vote) -> list[Seat]:
    """The seats `official` may still vote in for this vote (for the pages)."""
    if vote.status != VoteStatus.OPEN:
        return []
    done = voted_officials(vote)
    return [
        s
        for s in seats_of(official, vote.meeting, vote.rule)
        if s.allowed and s.member.pk not in done
    ]


# --- choices --------------------------------------------------------------------------------------


def choice_options(vote: Vote) -> list[tuple[str, str]]:
    """(key, label) of every choice, in the order shown on the ballot."""
    if vote.choices == Vote.Choices.FOR_AGAINST:
        return [(key, rules.OPTION_LABELS[key]) for key in rules.FOR_AGAINST_OPTIONS]
    return [(str(o["key"]), str(o["label"])) for o in vote.options]


def choice_label(vote: Vote, key: str) -> str:
    return dict(choice_options(vote)).get(key, key)


def _clean_options(choices: str, options: Iterable[Any]) -> list[dict[str, str]]:
    if choices == Vote.Choices.FOR_AGAINST:
        return []
    labels: list[str] = []
    for option in options:
        label = option.get("label", "") if isinstance(option, dict) else option
        label = " ".join(str(label or "").split())
        if label:
            labels.append(label)
    errors: list[str] = []
    if len(labels) < 2:
        errors.append("Cần ít nhất hai phương án để chọn.")
    if len(labels) > OPTIONS_MAX:
        errors.append(f"Tối đa {OPTIONS_MAX} phương án.")
    if any(len(label) > OPTION_MAX for label in labels):
        errors.append(f"Mỗi phương án tối đa {OPTION_MAX} ký tự.")
    if len({label.casefold() for label in labels}) != len(labels):
        errors.append("Các phương án không được trùng nhau.")
    if errors:
        raise DomainError(
            "Danh sách phương án chưa hợp lệ.",
            code=MeetingErrorCode.VOTE_INVALID,
            fields={"options": errors},
        )
    # Keys are positions ("1", "2"...): stable, short, and nothing to guess from.
    return [{"key": str(n), "label": label} for n, label in enumerate(labels, start=1)]


# --- receipts -------------------------------------------------------------------------------------


def new_receipt_code() -> str:
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_GROUPS * RECEIPT_GROUP))
    return "-".join(raw[i : i + RECEIPT_GROUP] for i in range(0, len(raw), RECEIPT_GROUP))


def normalise_receipt(code: str) -> str | None:
    """The canonical form of a typed code (case, spaces, dashes and look-alike digits
    forgiven), or None when it cannot be one."""
    text = "".join(ch for ch in str(code or "").upper() if ch.isalnum()).translate(_LOOKALIKES)
    if len(text) != RECEIPT_GROUPS * RECEIPT_GROUP or any(
        ch not in RECEIPT_ALPHABET for ch in text
    ):
        return None
    return "-".join(text[i : i + RECEIPT_GROUP] for i in range(0, len(text), RECEIPT_GROUP))


def receipt_hash(code: str) -> str:
    """SHA-256 (hex) of the code as printed, e.g. `printf 'ABCD-EFGH-IJKL-MNOP' | sha256sum`."""
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def count_digest(entries: Sequence[tuple[str, str]]) -> str:
    """SHA-256 over the published count: one "receipt_hash choice" line per ballot, sorted."""
    lines = "".join(f"{h} {c}\n" for h, c in sorted(entries))
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()


# --- actions --------------------------------------------------------------------------------------


def _official(actor: Actor) -> Official:
    return VOTE.official_for(actor)


def _require_seal(meeting: Meeting) -> None:
    """A secret vote's participation list is sealed at close: refuse to prepare or open one
    the agency could not seal (SigningError says why: no certificate, expired, revoked)."""
    from egov.signing.error_codes import SigningErrorCode
    from egov.signing.errors import SigningError
    from egov.signing.models import SigningIdentity
    from egov.signing.services import identity_for_agency

    identity = identity_for_agency(meeting.agency)
    if identity.kind != SigningIdentity.Kind.PKCS12:
        # sign_xml works with a PKCS#12 key only: say so now, not when the chair closes.
        raise SigningError(
            "Bỏ phiếu kín cần chứng thư số PKCS#12 của cơ quan để ký danh sách người đã biểu "
            "quyết; chứng thư trên thiết bị (PKCS#11) chưa ký được danh sách này.",
            code=SigningErrorCode.XML_PKCS11_UNSUPPORTED,
        )


def create_vote(
    *,
    actor: Actor,
    item: AgendaItem,
    question: str,
    kind: str,
    choices: str = Vote.Choices.FOR_AGAINST,
    options: Sequence[Any] = (),
) -> Vote:
    """The chair or the secretary prepares a vote on an agenda item (not open yet)."""
    official = _official(actor)
    meeting = Meeting.objects.select_related("agency", "rule").get(pk=item.meeting_id)
    roles = access.meeting_roles(official, meeting)
    if not roles:
        raise NotFoundError("Không tìm thấy cuộc họp.")
    if access.PRESIDING not in roles:
        raise NotAllowed("Chỉ chủ trì hoặc thư ký cuộc họp được chuẩn bị biểu quyết.")
    if meeting.status in (MeetingStatus.CLOSED, MeetingStatus.CANCELLED):
        raise Conflict(
            f"Cuộc họp {meeting.get_status_display().lower()}: không chuẩn bị biểu quyết được.",
            code=MeetingErrorCode.VOTE_INVALID,
        )
    question = " ".join(str(question or "").split())
    fields: dict[str, list[str]] = {}
    if not question:
        fields["question"] = ["Nhập nội dung cần biểu quyết."]
    elif len(question) > QUESTION_MAX:
        fields["question"] = [f"Tối đa {QUESTION_MAX} ký tự."]
    if kind not in Vote.Kind.values:
        fields["kind"] = ["Chọn biểu quyết công khai hoặc bỏ phiếu kín."]
    if choices not in Vote.Choices.values:
        fields["choices"] = ["Chọn loại phương án."]
    if fields:
        raise DomainError(
            "Thông tin biểu quyết chưa hợp lệ.", code=MeetingErrorCode.VOTE_INVALID, fields=fields
        )
    clean = _clean_options(choices, options)
    if kind == Vote.Kind.SECRET:
        _require_seal(meeting)
    with begin(VOTE, "create", actor=actor) as act:
        vote = Vote.objects.create(
            meeting=meeting,
            item=item,
            question=question,
            kind=kind,
            choices=choices,
            options=clean,
            rule=meeting.rule,
        )
        act.case = vote
        act.record(et.VOTE_CREATED, kind=vote.kind, choices=vote.choices)
    return vote


def open_vote(
    *,
    actor: Actor,
    vote: Vote,
    duration_minutes: int | None = None,
    expected_version: int | None = None,
) -> Vote:
    """The chair opens the vote (only while the meeting is in session). With a duration,
    ballots are refused after it even before the chair closes the vote."""
    if duration_minutes is not None and not 1 <= duration_minutes <= DURATION_MAX_MINUTES:
        raise DomainError(
            "Thời gian biểu quyết chưa hợp lệ.",
            code=MeetingErrorCode.VOTE_INVALID,
            fields={"duration_minutes": [f"Từ 1 đến {DURATION_MAX_MINUTES} phút."]},
        )
    with perform(VOTE, "open", actor=actor, case=vote, expected_version=expected_version) as act:
        locked = act.case
        meeting = Meeting.objects.select_related("agency").get(pk=locked.meeting_id)
        if meeting.status != MeetingStatus.IN_SESSION:
            raise Conflict(
                "Chỉ mở biểu quyết khi cuộc họp đang diễn ra (chủ trì đã khai mạc).",
                code=MeetingErrorCode.MEETING_NOT_IN_SESSION,
            )
        if locked.kind == Vote.Kind.SECRET:
            _require_seal(meeting)
        now = timezone.now()
        locked.opened_at = now
        locked.closes_at = now + timedelta(minutes=duration_minutes) if duration_minutes else None
        act.save("opened_at", "closes_at")
        act.record(et.VOTE_OPENED, closes_at=locked.closes_at)
        _notify_remote_voters(act, locked, meeting)
    return act.case


def _notify_remote_voters(act: Any, vote: Vote, meeting: Meeting) -> None:
    """Those not in the room who may vote (absent members where the rule allows, delegates
    where it allows) are told the vote is open; those in the room see it on the screen."""
    rule = vote.rule
    link = reverse("meetings:vote", args=[meeting.pk, vote.pk])
    for p in voting_participants(meeting):
        if is_present(p):
            continue
        if rule.absent_may_vote:
            who = p.official
        elif rule.delegates_vote and p.delegate is not None:
            who = p.delegate
        else:
            continue
        notify(
            act,
            who,
            key=f"meeting_vote:{vote.pk}:open:{p.official_id}",
            kind="vote_opened",
            title=f"Đang biểu quyết: {vote.question}",
            body=(
                f"Cuộc họp “{meeting.title}” đang biểu quyết nội dung “{vote.item.title}”. "
                "Anh/chị có thể biểu quyết trực tuyến đến khi chủ trì kết thúc biểu quyết."
            ),
            link=link,
            sms=False,
        )


def _seat_for(official: Official, vote: Vote, for_member: Official | None) -> Seat:
    seats = seats_of(official, vote.meeting, vote.rule)
    if for_member is not None:
        seats = [s for s in seats if s.member.pk == for_member.pk]
    if not seats:
        raise NotAVoter(
            "Anh/chị không có quyền biểu quyết nội dung này (chỉ chủ trì và thành viên cuộc "
            "họp; thư ký và khách mời không biểu quyết)."
        )
    seat = seats[0]
    if not seat.allowed:
        raise NotAVoter(seat.reason)
    return seat


def _reorder_secret_ballots(vote: Vote, new: Ballot) -> None:
    """Write every ballot of the vote again, in the order of the receipt hashes, with the new
    one among them: the rows' physical order and inserting transaction then tell nothing of
    who voted when (module docstring)."""
    rows = list(Ballot.objects.filter(vote=vote).values("id", "choice", "receipt_hash"))
    rows.append({"id": new.id, "choice": new.choice, "receipt_hash": new.receipt_hash})
    rows.sort(key=lambda r: r["receipt_hash"])
    Ballot.objects.filter(vote=vote).delete()
    Ballot.objects.bulk_create([Ballot(vote=vote, **row) for row in rows])


def cast_ballot(
    *,
    actor: Actor,
    vote: Vote,
    choice: str,
    for_member: Official | None = None,
) -> str:
    """A voter's ballot; returns the receipt code (shown once: only its hash is kept).

    `for_member`: the seat, when the official holds more than one (their own and an absent
    member's as delegate); by default their own, else the one they stand in for.
    Refused, with nothing changed: outside the open window (VOTE_NOT_OPEN), a second ballot
    for the seat (ALREADY_VOTED), not a voter here (NOT_A_VOTER), an unknown choice
    (INVALID_CHOICE)."""
    official = _official(actor)
    try:
        with perform(VOTE, "cast", actor=actor, case=vote) as act:
            locked = act.case
            meeting = locked.meeting
            now = timezone.now()
            if meeting.status != MeetingStatus.IN_SESSION or (
                locked.closes_at is not None and now >= locked.closes_at
            ):
                raise VoteNotOpen("Biểu quyết đã hết thời gian nhận phiếu.")
            seat = _seat_for(official, locked, for_member)
            if VoteParticipation.objects.filter(vote=locked, official=seat.member).exists():
                raise AlreadyVoted(_already_voted_message(seat))
            keys = [key for key, _label in choice_options(locked)]
            if choice not in keys:
                raise DomainError(
                    "Phương án đã chọn không có trong phiếu biểu quyết.",
                    code=MeetingErrorCode.INVALID_CHOICE,
                    fields={"choice": ["Chọn một phương án trong phiếu."]},
                )
            code = new_receipt_code()
            secret = locked.kind == Vote.Kind.SECRET
            ballot = Ballot(
                vote=locked,
                voter=None if secret else seat.member,
                choice=choice,
                receipt_hash=receipt_hash(code),
            )
            try:
                with transaction.atomic():
                    VoteParticipation.objects.create(
                        vote=locked,
                        official=seat.member,
                        remote=seat.remote,
                        delegate=official if seat.by_delegate else None,
                    )
                    if secret:
                        _reorder_secret_ballots(locked, ballot)
                    else:
                        ballot.save(force_insert=True)
            except IntegrityError:
                # The unique seat (or, vanishingly, a receipt collision): refused as a second
                # ballot; the vote's lock makes the first case unreachable in practice.
                raise AlreadyVoted(_already_voted_message(seat)) from None
            if secret:
                act.record(et.BALLOT_CAST, secret=True, remote=seat.remote)
            else:
                act.record(
                    et.BALLOT_CAST,
                    secret=False,
                    voter=seat.member.user.username,
                    choice=choice,
                    remote=seat.remote,
                    cast_by=official.user.username if seat.by_delegate else None,
                )
    except TransitionRefused:
        raise VoteNotOpen(
            "Biểu quyết chưa mở hoặc đã kết thúc: không nhận phiếu ngoài thời gian biểu quyết."
        ) from None
    return code


def _already_voted_message(seat: Seat) -> str:
    if seat.by_delegate:
        return f"Ghế của {seat.member_name} đã được biểu quyết: mỗi thành viên chỉ một phiếu."
    return "Anh/chị đã biểu quyết nội dung này: mỗi thành viên chỉ biểu quyết một lần."


@dataclass(frozen=True)
class Count:
    outcome: rules.Outcome
    entries: list[tuple[str, str]]  # (receipt hash, choice), sorted
    digest: str


def count_vote(vote: Vote) -> Count:
    """The count under the vote's rule: members = all voting members of the meeting, present =
    those present, the chair's side known only for an open vote."""
    meeting = vote.meeting
    ballots = list(Ballot.objects.filter(vote=vote).values_list("receipt_hash", "choice", "voter"))
    entries = sorted((h, c) for h, c, _v in ballots)
    voters = voting_participants(meeting)
    chair_choice = None
    if vote.kind == Vote.Kind.OPEN:
        chair_choice = next((c for _h, c, v in ballots if v == meeting.chair_id), None)
    keys = [key for key, _label in choice_options(vote)]
    outcome = rules.decide(
        vote.rule,
        counts=Counter(c for _h, c in entries),
        members=len(voters),
        present=sum(1 for p in voters if is_present(p)),
        chair_choice=chair_choice,
        options=keys,
    )
    return Count(outcome=outcome, entries=entries, digest=count_digest(entries))


def close_vote(*, actor: Actor, vote: Vote, expected_version: int | None = None) -> Vote:
    """The chair closes the vote: the count, the outcome under the rule, and for a secret vote
    the participation list sealed by the organising agency."""
    with perform(VOTE, "close", actor=actor, case=vote, expected_version=expected_version) as act:
        locked = act.case
        count = count_vote(locked)
        outcome = count.outcome
        rule = locked.rule
        locked.result = {
            **outcome.as_json(),
            "options": [
                {"key": key, "label": label, "count": outcome.counts.get(key, 0)}
                for key, label in choice_options(locked)
            ],
            "receipts": [{"hash": h, "choice": c} for h, c in count.entries],
            "count_digest": count.digest,
            "rule": {"code": rule.code, "name": rule.name, "legal_source": rule.legal_source},
        }
        locked.passed = outcome.passed
        locked.closed_at = timezone.now()
        fields = ["result", "passed", "closed_at"]
        if locked.kind == Vote.Kind.SECRET:
            locked.participation_signature = _sealed_participation(locked, count.digest)
            fields.append("participation_signature")
        act.save(*fields)
        closed = act.record(
            et.VOTE_CLOSED,
            result=outcome.as_json(),
            passed=outcome.passed,
            count_digest=count.digest,
        )
        announce(act, closed)
    return act.case


def cancel_vote(*, actor: Actor, vote: Vote, reason: str = "") -> Vote:
    """The chair withdraws a vote not closed yet (its ballots are kept, never counted)."""
    reason = " ".join(str(reason or "").split())[:500]
    with perform(VOTE, "cancel", actor=actor, case=vote) as act:
        act.case.closed_at = timezone.now()
        act.save("closed_at")
        act.record(et.VOTE_CANCELLED, reason=reason)
    return act.case


# --- the sealed participation list ----------------------------------------------------------------

PARTICIPATION_NS = "urn:egov:meetings:vote-participation:1"


def participation_xml(vote: Vote, digest: str) -> Any:
    """Who took part (the seats, sorted by username: not the order of voting), no choice, with
    the digest of the published count."""
    from lxml import etree  # type: ignore[import-untyped, unused-ignore]

    meeting = vote.meeting
    root = etree.Element(f"{{{PARTICIPATION_NS}}}VoteParticipation", nsmap={None: PARTICIPATION_NS})
    root.set("vote", str(vote.pk))
    root.set("meeting", str(meeting.pk))

    def child(name: str, text: str) -> None:
        etree.SubElement(root, f"{{{PARTICIPATION_NS}}}{name}").text = text

    child("Agency", meeting.agency.name)
    child("Meeting", meeting.title)
    child("Item", vote.item.title)
    child("Question", vote.question)
    child("ClosedAt", (vote.closed_at or timezone.now()).isoformat())
    child("CountDigest", digest)
    rows = (
        VoteParticipation.objects.filter(vote=vote)
        .select_related("official__user", "delegate__user")
        .order_by("official__user__username")
    )
    voters = etree.SubElement(root, f"{{{PARTICIPATION_NS}}}Voters")
    voters.set("count", str(len(rows)))
    for row in rows:
        voter = etree.SubElement(voters, f"{{{PARTICIPATION_NS}}}Voter")
        voter.set("username", row.official.user.username)
        voter.set("name", row.official.user.get_full_name())
        voter.set("remote", "true" if row.remote else "false")
        if row.delegate_id:
            voter.set("delegate", row.delegate.user.username)  # type: ignore[union-attr]
    return root


def _sealed_participation(vote: Vote, digest: str) -> str:
    from lxml import etree

    from egov.signing.services import identity_for_agency, sign_xml

    signed = sign_xml(
        participation_xml(vote, digest), identity=identity_for_agency(vote.meeting.agency)
    )
    return str(etree.tostring(signed, xml_declaration=True, encoding="UTF-8").decode("utf-8"))


@dataclass(frozen=True)
class SealCheck:
    valid: bool
    signer: str
    voters: list[dict[str, str]]
    count_digest: str
    matches_count: bool
    errors: list[str]


def check_participation(vote: Vote) -> SealCheck | None:
    """Verify the sealed participation list (signature, chain to our trust list, revocation)
    and that it covers the published count; None when there is none."""
    if not vote.participation_signature:
        return None
    from egov.signing.services import verify_xml

    result = verify_xml(vote.participation_signature.encode("utf-8"))
    voters: list[dict[str, str]] = []
    digest = ""
    root = result.signed_root
    if root is not None:
        ns = {"p": PARTICIPATION_NS}
        digest = root.findtext("p:CountDigest", default="", namespaces=ns)
        voters = [dict(v.attrib) for v in root.iterfind("p:Voters/p:Voter", namespaces=ns)]
    published = (vote.result or {}).get("count_digest", "")
    return SealCheck(
        valid=result.valid,
        signer=result.signer_organisation or result.signer_subject,
        voters=voters,
        count_digest=digest,
        matches_count=bool(digest) and digest == published,
        errors=list(result.errors),
    )


# --- receipts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptCheck:
    choice: str
    choice_label: str
    counted: bool  # the vote is closed and the ballot is in its published count
    status: str


def find_receipt(vote: Vote, code: str) -> ReceiptCheck:
    """The ballot of a receipt code in this vote (RECEIPT_UNKNOWN if none): the voter sees
    their choice, and whether it is in the published count."""
    canonical = normalise_receipt(code)
    ballot = (
        Ballot.objects.filter(vote=vote, receipt_hash=receipt_hash(canonical)).first()
        if canonical
        else None
    )
    if ballot is None:
        raise DomainError(
            "Không tìm thấy phiếu với mã biên nhận này trong biểu quyết. Kiểm tra lại mã "
            "(16 ký tự, dạng XXXX-XXXX-XXXX-XXXX).",
            code=MeetingErrorCode.RECEIPT_UNKNOWN,
            fields={"code": ["Mã biên nhận không đúng."]},
        )
    published = {r["hash"] for r in (vote.result or {}).get("receipts", [])}
    return ReceiptCheck(
        choice=ballot.choice,
        choice_label=choice_label(vote, ballot.choice),
        counted=vote.status == VoteStatus.CLOSED and ballot.receipt_hash in published,
        status=vote.status,
    )


# --- for pages and the API ------------------------------------------------------------------------


def guest_item_ids(
    official: Official | None, meeting: Meeting, roles: frozenset[str]
) -> set[int] | None:
    """A guest with no other part in the meeting sees only the votes of their items (the
    ids); None: every item."""
    others = {access.VOTER, access.PRESIDING, access.ORGANISER, access.DELEGATE}
    if official is None or access.GUEST not in roles or roles & others:
        return None
    items = Participant.objects.filter(meeting=meeting, official=official).values_list(
        "items", flat=True
    )
    return {i for i in items if i is not None}


def votes_of(meeting: Meeting) -> list[Vote]:
    return list(
        Vote.objects.filter(meeting=meeting)
        .select_related("item", "rule", "meeting")
        .order_by("item__position", "id")
    )


def turnout(vote: Vote) -> tuple[int, int]:
    """(seats voted, voting members): all that is shown while a vote is open."""
    return (
        VoteParticipation.objects.filter(vote=vote).count(),
        len(voting_participants(vote.meeting)),
    )
