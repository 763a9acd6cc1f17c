"""Biên bản cuộc họp: the secretary starts the minutes once the invitations are out (usually
when the meeting opens), writes them during the meeting, submits them after it closes (the PDF
is made then, with what the record knows filled in: minutes_record.py), and the secretary and
the chair each sign it with their personal certificate (PAdES), confirmed by a fresh code of
their authenticator. Both signatures: SIGNED. Before any signature the secretary may take the
minutes back to edit them.

Autosave and the event log. The page saves what the secretary types a few seconds after they
stop typing. Each write into the minutes is an action with its event, and every event takes
the agency's hash-chain lock, so writes are coalesced: a part (an agenda item, the opening or
the closing notes) is written into `Minutes.notes` with a `meeting_minutes.updated` event at
most once a minute; what is typed in between waits in `MinutesDraft` (the autosave buffer,
read on top of the notes by the pages and the PDF). The next write that is due, an explicit
save, or the submission writes everything waiting, with its event. So the log shows who wrote
which part, minute by minute, and the submission's event seals the final text by the PDF's
SHA-256.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from egov.cases import begin, perform
from egov.core.actors import Actor
from egov.core.errors import DomainError, NotAllowed, NotFoundError
from egov.core.uploads import save_file
from egov.org.models import Official

from .. import access
from .. import event_types as et
from ..cases import MINUTES
from ..error_codes import MeetingErrorCode
from ..models import (
    AgendaItem,
    Meeting,
    MeetingStatus,
    Minutes,
    MinutesDraft,
    MinutesStatus,
    Participant,
)
from . import minutes_record
from .minutes_record import CLOSING, OPENING, SIGNER_TITLES, person
from .notify import announce, notify

LOG_EVERY = timedelta(minutes=1)
MAX_PART = 20_000
STARTABLE = frozenset({MeetingStatus.PUBLISHED, MeetingStatus.IN_SESSION, MeetingStatus.CLOSED})


class MinutesError(DomainError):
    code = MeetingErrorCode.MINUTES_INVALID


def minutes_link(meeting: Meeting | int) -> str:
    from django.urls import NoReverseMatch, reverse

    pk = meeting if isinstance(meeting, int) else meeting.pk
    try:
        return reverse("meetings:minutes", args=[pk])
    except NoReverseMatch:
        return f"/hop/{pk}/bien-ban/"


# --- starting -----------------------------------------------------------------------------------


def start_minutes(*, actor: Actor, meeting: Meeting) -> Minutes:
    """The secretary opens the minutes of a published, running or closed meeting (once: the
    minutes already started are returned as they are)."""
    official = MINUTES.official_for(actor)
    roles = access.meeting_roles(official, meeting)
    if not roles:
        raise NotFoundError("Không tìm thấy cuộc họp.")
    if access.SECRETARY not in roles:
        raise NotAllowed("Chỉ thư ký cuộc họp được lập biên bản.")
    existing = Minutes.objects.filter(meeting=meeting).first()
    if existing is not None:
        return existing
    try:
        with begin(MINUTES, "create", actor=actor) as act:
            locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
            if locked.status not in STARTABLE:
                raise MinutesError(
                    "Chỉ lập biên bản khi cuộc họp đã gửi giấy mời, đang họp hoặc đã kết thúc."
                )
            already = Minutes.objects.filter(meeting=locked).first()
            if already is not None:  # another tab started them while we waited for the lock
                raise _AlreadyStarted(already)
            minutes = Minutes.objects.create(meeting=locked)
            act.case = minutes
            act.record(et.MINUTES_CREATED)
    except _AlreadyStarted as exc:
        return exc.minutes
    return minutes


class _AlreadyStarted(Exception):
    def __init__(self, minutes: Minutes) -> None:
        super().__init__("minutes already started")
        self.minutes = minutes


# --- writing ------------------------------------------------------------------------------------


def _clean_notes(meeting: Meeting, notes: Any) -> dict[str, str]:
    if not isinstance(notes, dict) or not notes:
        raise MinutesError("Không có nội dung biên bản để lưu.", fields={"notes": ["Trống."]})
    ids = AgendaItem.objects.filter(meeting=meeting).values_list("pk", flat=True)
    items = {str(pk) for pk in ids}
    cleaned: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for raw_key, raw_text in notes.items():
        key = str(raw_key)
        if key not in items and key not in (OPENING, CLOSING):
            errors[key] = ["Không có phần này trong chương trình họp."]
            continue
        if not isinstance(raw_text, str):
            errors[key] = ["Nội dung phải là văn bản."]
            continue
        text = raw_text.replace("\r\n", "\n").strip()
        if len(text) > MAX_PART:
            errors[key] = [f"Mỗi phần tối đa {MAX_PART} ký tự."]
            continue
        cleaned[key] = text
    if errors:
        raise MinutesError("Nội dung biên bản chưa hợp lệ.", fields=errors)
    return cleaned


def _pending(minutes: Minutes) -> dict[str, str]:
    """Parts whose typed text has not been written into the minutes yet."""
    notes = minutes.notes or {}
    return {
        d.part: d.text
        for d in MinutesDraft.objects.filter(minutes=minutes)
        if notes.get(d.part, "") != d.text
    }


def _write_parts(act: Any, parts: dict[str, str], now: datetime) -> None:
    """Inside an action on the locked minutes: the parts written into the notes, their
    buffers marked as written, one event."""
    minutes: Minutes = act.case
    notes = dict(minutes.notes or {})
    notes.update(parts)
    minutes.notes = notes
    for part, text in parts.items():
        MinutesDraft.objects.update_or_create(
            minutes=minutes,
            part=part,
            defaults={"text": text, "logged_at": now, "updated_by": act.acting_official},
        )
    act.save("notes")
    act.record(et.MINUTES_UPDATED, parts=sorted(parts), chars=sum(len(t) for t in parts.values()))


class _Unchanged(Exception):
    """Found under the lock: nothing new to write (a repeated save)."""


def write_minutes(
    *,
    actor: Actor,
    minutes: Minutes,
    notes: dict[str, str],
    explicit: bool = False,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Minutes:
    """The secretary's text for some parts (`{"opening"|"closing"|"<item id>": text}`).

    A part not written into the minutes in the last minute is written now, with everything else
    waiting, and one event; otherwise (an autosave within the minute) the text waits in the
    buffer. `explicit` (the save button, the API) always writes. A save that changes nothing
    does nothing."""
    now = now or timezone.now()
    meeting = Meeting.objects.get(pk=minutes.meeting_id)
    cleaned = _clean_notes(meeting, notes)
    minutes = Minutes.objects.filter(pk=minutes.pk).first() or minutes  # the notes as stored
    transition = MINUTES.transition("write")
    drafts = {d.part: d for d in MinutesDraft.objects.filter(minutes=minutes)}
    known = {**(minutes.notes or {}), **{p: d.text for p, d in drafts.items()}}
    changed = {p: t for p, t in cleaned.items() if known.get(p, "") != t}
    if not changed and not (explicit and _pending(minutes)):
        # Still the checks a write gets (who, which state): a refused save must say so.
        official = MINUTES.resolve_official(actor, transition)
        if not MINUTES.visible(actor, minutes):
            raise MINUTES.not_found()
        MINUTES.check(transition, minutes, official)
        return minutes
    logged = {p: d.logged_at for p, d in drafts.items() if d.logged_at is not None}
    due = explicit or any(p not in logged or now - logged[p] >= LOG_EVERY for p in changed)
    if due:
        try:
            with perform(
                MINUTES, "write", actor=actor, case=minutes, expected_version=expected_version
            ) as act:
                parts = {**_pending(act.case), **changed}
                if not parts:
                    raise _Unchanged
                _write_parts(act, parts, now)
        except _Unchanged:
            minutes.refresh_from_db()
            return minutes
        return act.case
    official = MINUTES.resolve_official(actor, transition)
    # The buffer: the same checks as the action (the minutes locked, visible, in draft, the
    # secretary writing), no event: the text is not in the minutes yet.
    with transaction.atomic(durable=True):
        locked = MINUTES.lock(minutes, expected_version)
        if not MINUTES.visible(actor, locked):
            raise MINUTES.not_found()
        MINUTES.check(transition, locked, official)
        assert official is not None
        for part, text in changed.items():
            MinutesDraft.objects.update_or_create(
                minutes=locked, part=part, defaults={"text": text, "updated_by": official}
            )
    return locked


# --- submitting, reopening ----------------------------------------------------------------------


def submit_minutes(
    *, actor: Actor, minutes: Minutes, expected_version: int | None = None
) -> Minutes:
    """The secretary finishes the minutes after the meeting closed: what waits in the buffer is
    written in, the PDF is made (the record's parts filled in) and put to both signers."""
    now = timezone.now()
    with perform(
        MINUTES, "submit", actor=actor, case=minutes, expected_version=expected_version
    ) as act:
        minutes = act.case
        meeting = (
            Meeting.objects.select_related(
                "agency__parent", "chair__user", "chair__position", "secretary__user"
            )
            .filter(pk=minutes.meeting_id)
            .get()
        )
        if meeting.status != MeetingStatus.CLOSED:
            raise MinutesError("Chỉ trình ký biên bản sau khi cuộc họp đã bế mạc.")
        if meeting.secretary_id is None:
            raise MinutesError("Cuộc họp chưa có thư ký để ký biên bản.")
        pending = _pending(minutes)
        if pending:
            notes = dict(minutes.notes or {})
            notes.update(pending)
            minutes.notes = notes
            MinutesDraft.objects.filter(minutes=minutes, part__in=list(pending)).update(
                logged_at=now
            )
            act.record(
                et.MINUTES_UPDATED,
                parts=sorted(pending),
                chars=sum(len(t) for t in pending.values()),
            )
        minutes.meeting = meeting
        rendered = minutes_record.render(minutes)
        if set(rendered.boxes) != {"secretary", "chair"}:
            raise MinutesError("Không xác định được chỗ ký trên biên bản.")
        save_file(minutes.pdf, "bien-ban.pdf", rendered.content)
        minutes.pdf_sha256 = hashlib.sha256(rendered.content).hexdigest()
        minutes.signature_boxes = rendered.boxes
        minutes.submitted_at = now
        act.save("notes", "pdf", "pdf_sha256", "signature_boxes", "submitted_at")
        act.record(et.MINUTES_SUBMITTED, sha256=minutes.pdf_sha256, pages=rendered.pages)
        for signer in {meeting.secretary, meeting.chair} - {act.acting_official}:
            if signer is None:
                continue
            notify(
                act,
                signer,
                key=f"meeting-minutes:{minutes.pk}:submitted:{minutes.version}:{signer.pk}",
                kind="minutes_to_sign",
                title=f"Biên bản chờ ký: {meeting.title}",
                body="Thư ký đã hoàn thành biên bản cuộc họp. Vui lòng xem và ký số biên bản.",
                link=minutes_link(meeting),
                sms=False,
            )
    return minutes


def reopen_minutes(
    *, actor: Actor, minutes: Minutes, expected_version: int | None = None
) -> Minutes:
    """Back to draft to edit, while nobody has signed (a signed page cannot change)."""
    with perform(
        MINUTES, "reopen", actor=actor, case=minutes, expected_version=expected_version
    ) as act:
        minutes = act.case
        if minutes.secretary_signed_at or minutes.chair_signed_at:
            raise MinutesError("Biên bản đã có chữ ký nên không sửa lại được.")
        minutes.pdf = ""  # the next submission makes a new PDF; the old file stays on disk
        minutes.pdf_sha256 = ""
        minutes.signature_boxes = {}
        minutes.submitted_at = None
        act.save("pdf", "pdf_sha256", "signature_boxes", "submitted_at")
        act.record(et.MINUTES_REOPENED)
    return minutes


# --- signing ------------------------------------------------------------------------------------


def signer_role(minutes: Minutes, official: Official) -> str | None:
    """Which signature of the minutes is the official's still to give ("secretary", "chair"),
    or None."""
    meeting = minutes.meeting
    if meeting.secretary_id == official.pk and minutes.secretary_signed_at is None:
        return "secretary"
    if meeting.chair_id == official.pk and minutes.chair_signed_at is None:
        return "chair"
    return None


def _read_pdf(minutes: Minutes) -> bytes:
    with minutes.pdf.open("rb") as handle:
        return bytes(handle.read())


def sign_minutes(
    *,
    actor: Actor,
    minutes: Minutes,
    second_factor: str,
    expected_version: int | None = None,
) -> Minutes:
    """The secretary or the chair signs the submitted minutes (PAdES, personal certificate, in
    their box), confirmed by a fresh authenticator code: a wrong code signs nothing. The two
    signatures are incremental updates, so the first stays valid under the second."""
    from egov.accounts.stepup import verify_second_factor
    from egov.signing.services import Appearance, identity_for_official, sign_pdf

    with perform(
        MINUTES, "sign", actor=actor, case=minutes, expected_version=expected_version
    ) as act:
        minutes, official = act.case, act.acting_official
        minutes.meeting = Meeting.objects.select_related("agency").get(pk=minutes.meeting_id)
        role = signer_role(minutes, official)
        if role is None:
            raise MinutesError("Anh/chị đã ký biên bản này.")
        verify_second_factor(official.user, second_factor)
        place = minutes.signature_boxes.get(role)
        if not place or not minutes.pdf:
            raise MinutesError("Biên bản chưa có bản để ký: thư ký cần trình ký lại.")
        page, *box = place
        now = timezone.now()
        name = person(official)
        signed = sign_pdf(
            _read_pdf(minutes),
            identity=identity_for_official(official),
            role="personal",
            appearance=Appearance(
                title=SIGNER_TITLES[role],
                full_name=name,
                signing_time=now,
                page=int(page),
                box=(box[0], box[1], box[2], box[3]),
                reason=f"Ký biên bản cuộc họp ({SIGNER_TITLES[role].lower()})",
            ),
        )
        save_file(minutes.pdf, "bien-ban-da-ky.pdf", signed)
        minutes.pdf_sha256 = hashlib.sha256(signed).hexdigest()
        if role == "secretary":
            minutes.secretary_signed_at = now
        else:
            minutes.chair_signed_at = now
        done = minutes.secretary_signed_at is not None and minutes.chair_signed_at is not None
        act.save(
            "pdf",
            "pdf_sha256",
            "secretary_signed_at",
            "chair_signed_at",
            state=MinutesStatus.SIGNED if done else MinutesStatus.SIGNING,
        )
        announce(act, act.record(et.MINUTES_SIGNED, signed_as=role, sha256=minutes.pdf_sha256))
        if done:
            _tell_participants(act, minutes)
    return minutes


def _tell_participants(act: Any, minutes: Minutes) -> None:
    meeting = minutes.meeting
    people = (
        Participant.objects.filter(meeting=meeting)
        .exclude(role=Participant.Role.GUEST)
        .select_related("official__user")
    )
    for p in people:
        notify(
            act,
            p.official,
            key=f"meeting-minutes:{minutes.pk}:signed:{p.official_id}",
            kind="minutes_signed",
            title=f"Biên bản đã ký: {meeting.title}",
            body="Biên bản cuộc họp đã được thư ký và chủ tọa ký số.",
            link=minutes_link(meeting),
            sms=False,
        )


def read_pdf(minutes: Minutes) -> bytes | None:
    """The minutes' PDF (signed once signing started), or None before submission."""
    if not minutes.pdf:
        return None
    return _read_pdf(minutes)
