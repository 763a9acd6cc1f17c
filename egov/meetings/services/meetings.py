"""The secretariat's side of a meeting: prepare it (details, participants, agenda), send the
invitations, send every later change again, cancel it, and remind people before it starts.

Every action runs on the MEETING case type (cases.py): one transaction, the row locked, the
state and the case role (`organiser`: the organising agency's secretariat, the creator, the
meeting's secretary) checked, a typed event recorded and the messages queued in the outbox; a
refused action changes nothing.

What the participants were last sent is kept as a snapshot on the meeting (`published_snapshot`):
the edit page lists what changed since, and `republish` sends it — the invitation again with the
iCalendar SEQUENCE + 1 to those still invited, a METHOD:CANCEL to those taken off, the
invitation to those added.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db.models import F, Max
from django.utils import timezone

from egov.cases import Action, begin, perform
from egov.core.actors import SYSTEM, Actor
from egov.core.dates import in_range
from egov.core.errors import DomainError, NotAllowed, NotFoundError
from egov.org.models import Official, Role

from .. import event_types as et
from .. import ics
from ..cases import MEETING
from ..error_codes import MeetingErrorCode
from ..models import (
    AgendaItem,
    DecisionRule,
    Material,
    Meeting,
    MeetingStatus,
    Participant,
)
from .notify import announce, notify

logger = logging.getLogger(__name__)

MAX_TITLE = 300
MAX_PLACE = 300
MAX_LINK = 500
MAX_DESCRIPTION = 10_000
MAX_REASON = 500
MAX_NOTE = 1_000
MAX_MEMBERS = 300
MAX_GUESTS = 200
MAX_ITEMS = 100
MAX_ITEM_TITLE = 500
MAX_ITEM_DESCRIPTION = 5_000
MAX_PRESENTER_NAME = 200
MAX_DURATION = 600
MAX_LENGTH = timedelta(days=7)

DAY_BEFORE = "day_before"
HOUR_BEFORE = "hour_before"
REMINDER_WINDOWS = {DAY_BEFORE: timedelta(hours=24), HOUR_BEFORE: timedelta(hours=1)}

WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")


class MeetingError(DomainError):
    code = MeetingErrorCode.MEETING_INVALID


GuestSpec = Official | tuple[Official, Sequence[AgendaItem]]


@dataclass
class MeetingInput:
    """A meeting's details as the secretariat enters them. `members` and `guests` are read by
    `create_meeting` only (later, `set_participants` changes them); a guest is an official or
    (official, the agenda items they are invited to)."""

    title: str
    kind: str
    chair: Official
    starts_at: datetime
    ends_at: datetime
    secretary: Official | None = None
    place: str = ""
    online_link: str = ""
    description: str = ""
    rule: DecisionRule | None = None
    members: Sequence[Official] = field(default_factory=list)
    guests: Sequence[GuestSpec] = field(default_factory=list)


@dataclass(frozen=True)
class Change:
    """One difference between the meeting and what its participants were last sent."""

    part: str  # "details", "time", "place", "participants", "agenda"
    text: str


class _Unchanged(Exception):
    """Raised inside an action that turns out to change nothing (rolled back, no event)."""


# --- showing times -------------------------------------------------------------------------------


def when_text(starts_at: datetime, ends_at: datetime) -> str:
    """ "08:00 – 11:30, thứ Hai, 02/03/2026" in Asia/Ho_Chi_Minh."""
    start, end = ics.local(starts_at), ics.local(ends_at)
    day = f"{WEEKDAYS[start.weekday()]}, {start:%d/%m/%Y}"
    if start.date() == end.date():
        return f"{start:%H:%M} – {end:%H:%M}, {day}"
    return f"{start:%H:%M}, {day} – {end:%H:%M}, {WEEKDAYS[end.weekday()]}, {end:%d/%m/%Y}"


def _name(official: Official | None) -> str:
    return official.user.get_full_name() if official is not None else ""


# --- checking input ------------------------------------------------------------------------------


def _organising_official(actor: Actor) -> Official:
    official = MEETING.official_for(actor)
    if not official.has_role(Role.SECRETARIAT):
        raise NotAllowed("Chỉ văn phòng (bộ phận tổ chức họp) được tạo cuộc họp.")
    return official


def _active(official: Official | None) -> bool:
    return official is not None and bool(official.user.is_active)


def _default_rule() -> DecisionRule | None:
    return DecisionRule.objects.filter(is_default=True, is_active=True).first()


def _guest_pairs(guests: Iterable[GuestSpec]) -> list[tuple[Official, list[AgendaItem]]]:
    pairs: list[tuple[Official, list[AgendaItem]]] = []
    for guest in guests:
        if isinstance(guest, tuple):
            pairs.append((guest[0], list(guest[1])))
        else:
            pairs.append((guest, []))
    return pairs


def _check_text(
    errors: dict[str, list[str]],
    name: str,
    value: str,
    limit: int,
    *,
    label: str,
    required: bool = False,
) -> str:
    text = (value or "").strip()
    if required and not text:
        errors[name] = [f"Nhập {label}."]
    elif len(text) > limit:
        errors[name] = [f"{label.capitalize()} tối đa {limit} ký tự."]
    return text


def _aware(moment: datetime) -> datetime:
    if timezone.is_naive(moment):
        return timezone.make_aware(moment, ics.VN)
    return moment


def _check_details(
    data: MeetingInput, *, meeting: Meeting | None, now: datetime
) -> tuple[dict[str, list[str]], DecisionRule | None]:
    errors: dict[str, list[str]] = {}
    data.title = _check_text(
        errors, "title", data.title, MAX_TITLE, label="tên cuộc họp", required=True
    )
    if data.kind not in Meeting.Kind.values:
        errors["kind"] = ["Chọn loại cuộc họp."]
    data.place = _check_text(errors, "place", data.place, MAX_PLACE, label="địa điểm")
    data.description = _check_text(
        errors, "description", data.description, MAX_DESCRIPTION, label="nội dung"
    )
    link = (data.online_link or "").strip()
    if len(link) > MAX_LINK:
        errors["online_link"] = [f"Đường dẫn tối đa {MAX_LINK} ký tự."]
    elif link:
        try:
            URLValidator(schemes=["https", "http"])(link)
        except ValidationError:
            errors["online_link"] = ["Đường dẫn họp trực tuyến phải bắt đầu bằng https://."]
        else:
            if urlsplit(link).scheme not in ("https", "http"):
                errors["online_link"] = ["Đường dẫn họp trực tuyến phải bắt đầu bằng https://."]
    data.online_link = link
    if not data.place and not link and "place" not in errors and "online_link" not in errors:
        errors["place"] = ["Nhập địa điểm họp hoặc đường dẫn họp trực tuyến."]

    starts, ends = data.starts_at, data.ends_at
    if not isinstance(starts, datetime) or not in_range(starts.date()):
        errors["starts_at"] = ["Nhập thời gian bắt đầu."]
    if not isinstance(ends, datetime) or not in_range(ends.date()):
        errors["ends_at"] = ["Nhập thời gian kết thúc."]
    if "starts_at" not in errors and "ends_at" not in errors:
        starts, ends = _aware(starts), _aware(ends)
        data.starts_at, data.ends_at = starts, ends
        moved = meeting is None or starts != meeting.starts_at
        if moved and starts <= now:
            errors["starts_at"] = ["Thời gian bắt đầu phải sau thời điểm hiện tại."]
        if ends <= starts:
            errors["ends_at"] = ["Thời gian kết thúc phải sau thời gian bắt đầu."]
        elif ends - starts > MAX_LENGTH:
            errors["ends_at"] = ["Một cuộc họp kéo dài tối đa 7 ngày."]

    if not _active(data.chair):
        errors["chair"] = ["Chọn người chủ trì cuộc họp."]
    if data.secretary is not None:
        if not _active(data.secretary):
            errors["secretary"] = ["Thư ký cuộc họp không còn hoạt động."]
        elif data.chair is not None and data.secretary.pk == data.chair.pk:
            errors["secretary"] = ["Người chủ trì và thư ký cuộc họp phải là hai người khác nhau."]

    rule = data.rule
    if rule is None:
        rule = meeting.rule if meeting is not None else _default_rule()
    if rule is None or not rule.is_active:
        errors["rule"] = ["Chọn quy tắc biểu quyết đang áp dụng."]
    return errors, rule


def _check_people(
    errors: dict[str, list[str]],
    *,
    chair: Official,
    secretary: Official | None,
    members: Sequence[Official],
    guests: Sequence[tuple[Official, list[AgendaItem]]],
    meeting: Meeting | None,
) -> list[Official]:
    """The members besides the chair (de-duplicated), or field errors."""
    special = {chair.pk} | ({secretary.pk} if secretary is not None else set())
    chosen: dict[int, Official] = {}
    for member in members:
        if member.pk == chair.pk:
            continue  # the chair takes part as the chair
        if secretary is not None and member.pk == secretary.pk:
            errors["members"] = [
                f"{_name(member)} là thư ký cuộc họp, không đồng thời là thành viên."
            ]
        elif not _active(member):
            errors["members"] = [f"Tài khoản của {_name(member)} không còn hoạt động."]
        chosen[member.pk] = member
    if not chosen and "members" not in errors:
        errors["members"] = ["Chọn ít nhất một thành viên dự họp ngoài người chủ trì."]
    elif len(chosen) > MAX_MEMBERS:
        errors["members"] = [f"Tối đa {MAX_MEMBERS} thành viên."]
    seen: set[int] = set()
    if len(guests) > MAX_GUESTS:
        errors["guests"] = [f"Tối đa {MAX_GUESTS} khách mời."]
    for guest, items in guests:
        if guest.pk in special or guest.pk in chosen:
            errors["guests"] = [
                f"{_name(guest)} đã có trong thành phần dự họp, không mời thêm làm khách mời."
            ]
        elif guest.pk in seen:
            errors["guests"] = [f"{_name(guest)} được chọn hai lần."]
        elif not _active(guest):
            errors["guests"] = [f"Tài khoản của {_name(guest)} không còn hoạt động."]
        seen.add(guest.pk)
        for item in items:
            if meeting is None or item.meeting_id != meeting.pk:
                errors["guests"] = ["Nội dung họp mời khách không thuộc cuộc họp này."]
    return list(chosen.values())


def _raise(errors: dict[str, list[str]]) -> None:
    if errors:
        raise MeetingError(
            "Thông tin cuộc họp chưa hợp lệ, vui lòng kiểm tra các mục được đánh dấu.",
            fields=errors,
        )


# --- participants --------------------------------------------------------------------------------


def _sync_participants(
    meeting: Meeting,
    *,
    members: Sequence[Official] | None,
    guests: Sequence[tuple[Official, list[AgendaItem]]] | None,
) -> None:
    """Make the participant rows say: the chair, the secretary, the members, the guests.
    `None` keeps the current members (or guests) apart from whoever is now chair or secretary.
    Someone kept keeps their answer to the invitation."""
    existing = {p.official_id: p for p in meeting.participants.all()}
    desired: dict[int, str] = {meeting.chair_id: Participant.Role.CHAIR}
    if meeting.secretary_id:
        desired.setdefault(meeting.secretary_id, Participant.Role.SECRETARY)
    member_ids = (
        [pk for pk, p in existing.items() if p.role == Participant.Role.MEMBER]
        if members is None
        else [m.pk for m in members]
    )
    for pk in member_ids:
        desired.setdefault(pk, Participant.Role.MEMBER)
    guest_items: dict[int, list[AgendaItem]] = {}
    if guests is None:
        for pk, p in existing.items():
            if p.role == Participant.Role.GUEST:
                desired.setdefault(pk, Participant.Role.GUEST)
    else:
        for guest, items in guests:
            if desired.setdefault(guest.pk, Participant.Role.GUEST) == Participant.Role.GUEST:
                guest_items[guest.pk] = items
    gone = [p.pk for pk, p in existing.items() if pk not in desired]
    if gone:
        Participant.objects.filter(pk__in=gone).delete()
    for pk, role in desired.items():
        row = existing.get(pk)
        if row is None:
            row = Participant.objects.create(meeting=meeting, official_id=pk, role=role)
        elif row.role != role:
            row.role = role
            row.save(update_fields=["role"])
        if role != Participant.Role.GUEST:
            row.items.clear()
        elif pk in guest_items:
            row.items.set(guest_items[pk])


# --- what was sent, and what changed since --------------------------------------------------------


def snapshot(meeting: Meeting, now: datetime) -> dict[str, Any]:
    """What the participants are sent now (kept to compare the meeting with later). Taken
    just before the action saves: `version` is the one the meeting will have."""
    participants = list(
        meeting.participants.select_related("official__user").prefetch_related("items")
    )
    return {
        "sent_at": now.isoformat(),
        "sequence": meeting.ical_sequence,
        "version": meeting.version + 1,
        "title": meeting.title,
        "kind": meeting.kind,
        "description": meeting.description,
        "place": meeting.place,
        "online_link": meeting.online_link,
        "starts_at": meeting.starts_at.isoformat(),
        "ends_at": meeting.ends_at.isoformat(),
        "chair": meeting.chair_id,
        "secretary": meeting.secretary_id,
        "participants": [
            {
                "official": p.official_id,
                "name": _name(p.official),
                "role": p.role,
                "items": sorted(i.pk for i in p.items.all()),
            }
            for p in participants
        ],
        "recipients": sorted(o.pk for o, _ in recipients(meeting)),
        "agenda": [
            {
                "id": item.pk,
                "title": item.title,
                "presenter": item.presenter_id,
                "presenter_name": item.presenter_name,
                "duration": item.duration_minutes,
                "description": item.description,
            }
            for item in meeting.items.order_by("position")
        ],
    }


def pending_changes(meeting: Meeting) -> list[Change]:
    """What differs (in the database) from what the participants were last sent; empty
    before publishing."""
    meeting = Meeting.objects.select_related("chair__user").get(pk=meeting.pk)
    before = meeting.published_snapshot
    if not before:
        return []
    now = snapshot(meeting, timezone.now())
    changes: list[Change] = []
    role_labels = dict(Participant.Role.choices)
    kind_labels = dict(Meeting.Kind.choices)
    if now["title"] != before["title"]:
        changes.append(Change("details", f"Tên cuộc họp: “{before['title']}” → “{now['title']}”"))
    if now["kind"] != before["kind"]:
        changes.append(
            Change(
                "details",
                f"Loại cuộc họp: {kind_labels.get(before['kind'], before['kind'])} → "
                f"{kind_labels.get(now['kind'], now['kind'])}",
            )
        )
    if now["description"] != before["description"]:
        changes.append(Change("details", "Nội dung cuộc họp được sửa."))
    if (now["starts_at"], now["ends_at"]) != (before["starts_at"], before["ends_at"]):
        old_when = when_text(
            datetime.fromisoformat(before["starts_at"]), datetime.fromisoformat(before["ends_at"])
        )
        changes.append(
            Change(
                "time", f"Thời gian: {old_when} → {when_text(meeting.starts_at, meeting.ends_at)}"
            )
        )
    if now["place"] != before["place"]:
        changes.append(
            Change(
                "place", f"Địa điểm: {before['place'] or '(không)'} → {now['place'] or '(không)'}"
            )
        )
    if now["online_link"] != before["online_link"]:
        changes.append(
            Change(
                "place",
                f"Đường dẫn họp trực tuyến: {before['online_link'] or '(không)'} → "
                f"{now['online_link'] or '(không)'}",
            )
        )
    old_people = {p["official"]: p for p in before["participants"]}
    new_people = {p["official"]: p for p in now["participants"]}
    added = [p for pk, p in new_people.items() if pk not in old_people]
    removed = [p for pk, p in old_people.items() if pk not in new_people]
    if added:
        text = ", ".join(f"{p['name']} ({role_labels.get(p['role'], p['role'])})" for p in added)
        changes.append(Change("participants", f"Mời thêm: {text}"))
    if removed:
        changes.append(Change("participants", f"Thôi mời: {', '.join(p['name'] for p in removed)}"))
    for pk, p in new_people.items():
        old = old_people.get(pk)
        if old is None:
            continue
        if old["role"] != p["role"]:
            changes.append(
                Change(
                    "participants",
                    f"{p['name']}: {role_labels.get(old['role'], old['role'])} → "
                    f"{role_labels.get(p['role'], p['role'])}",
                )
            )
        elif p["role"] == Participant.Role.GUEST and old["items"] != p["items"]:
            changes.append(Change("participants", f"{p['name']}: nội dung được mời dự thay đổi"))
    old_items = {i["id"]: i for i in before["agenda"]}
    new_items = {i["id"]: i for i in now["agenda"]}
    for item in now["agenda"]:
        old = old_items.get(item["id"])
        if old is None:
            changes.append(Change("agenda", f"Thêm nội dung: {item['title']}"))
        elif old != item:
            changes.append(Change("agenda", f"Sửa nội dung: {item['title']}"))
    for item in before["agenda"]:
        if item["id"] not in new_items:
            changes.append(Change("agenda", f"Bỏ nội dung: {item['title']}"))
    kept_old = [i["id"] for i in before["agenda"] if i["id"] in new_items]
    kept_new = [i["id"] for i in now["agenda"] if i["id"] in old_items]
    if kept_old != kept_new:
        changes.append(Change("agenda", "Thay đổi thứ tự các nội dung họp."))
    return changes


# --- messages ------------------------------------------------------------------------------------


def recipients(meeting: Meeting) -> list[tuple[Official, Participant]]:
    """Everyone to tell about the meeting: each participant and each delegate named by one
    (a delegate gets what the person they stand in for would get)."""
    found: dict[int, tuple[Official, Participant]] = {}
    rows = sorted(
        meeting.participants.select_related("official__user", "delegate__user"),
        key=lambda p: (ics.ROLE_ORDER[p.role], p.pk),
    )
    for p in rows:
        found[p.official_id] = (p.official, p)
    for p in rows:
        if p.delegate_id and p.delegate_id not in found:
            assert p.delegate is not None
            found[p.delegate_id] = (p.delegate, p)
    return list(found.values())


class _Invitations:
    """Builds each recipient's ICS once per kind of viewer (a guest's lists their items)."""

    def __init__(self, meeting: Meeting, now: datetime) -> None:
        self.meeting = meeting
        self.now = now
        self._cache: dict[int, str] = {}

    def ics_for(self, participant: Participant) -> str:
        key = participant.pk if participant.role == Participant.Role.GUEST else 0
        if key not in self._cache:
            viewer = participant if key else None
            self._cache[key] = ics.meeting_ics(self.meeting, "REQUEST", viewer=viewer, now=self.now)
        return self._cache[key]


def _greeting(meeting: Meeting, official: Official, participant: Participant) -> list[str]:
    lines = [
        f"Thời gian: {when_text(meeting.starts_at, meeting.ends_at)}",
    ]
    if meeting.place:
        lines.append(f"Địa điểm: {meeting.place}")
    if meeting.online_link:
        lines.append(f"Họp trực tuyến: {meeting.online_link}")
    lines.append(f"Chủ trì: {_name(meeting.chair)}")
    if participant.official_id != official.pk:
        lines.append(f"Anh/chị dự họp thay {_name(participant.official)}.")
    else:
        lines.append(f"Tư cách dự họp: {participant.get_role_display()}")
    if participant.role == Participant.Role.GUEST:
        items = list(participant.items.order_by("position"))
        if items:
            lines.append(
                "Nội dung được mời dự: " + "; ".join(f"{i.position}. {i.title}" for i in items)
            )
    return lines


def _send(
    act: Action[Meeting],
    official: Official,
    *,
    kind: str,
    title: str,
    lines: list[str],
    ics_text: str | None,
    method: str = "REQUEST",
) -> None:
    meeting = act.case
    notify(
        act,
        official,
        key=f"meeting:{meeting.pk}:{kind}:{official.pk}:seq:{meeting.ical_sequence}",
        kind=f"meeting_{kind}",
        title=title,
        body="\n".join(lines),
        link=ics.meeting_link(meeting),
        attachments=[ics.attachment(ics_text, method)] if ics_text else [],
    )


def _invite_all(
    act: Action[Meeting],
    *,
    before: set[int] | None,
    changes: list[Change],
    note: str,
    now: datetime,
) -> int:
    """The invitation (or the change) to every recipient; a CANCEL to whoever is no longer
    one. `before`: who was sent the last version (None: first publication)."""
    meeting = act.case
    invitations = _Invitations(meeting, now)
    found = recipients(meeting)
    added: list[int] = []
    for official, participant in found:
        first = before is None or official.pk not in before
        lines = _greeting(meeting, official, participant)
        if first:
            kind, title = "invitation", f"Giấy mời họp: {meeting.title}"
            added.append(official.pk)
        else:
            kind, title = "update", f"Thay đổi cuộc họp: {meeting.title}"
            if changes:
                lines = ["Những thay đổi:", *[f"- {c.text}" for c in changes], "", *lines]
        if note:
            lines += ["", f"Ghi chú của văn phòng: {note}"]
        _send(
            act,
            official,
            kind=kind,
            title=title,
            lines=lines,
            ics_text=invitations.ics_for(participant),
        )
    Participant.objects.filter(meeting=meeting, official_id__in=added).update(invited_at=now)
    if before:
        current = {o.pk for o, _ in found}
        for official in Official.objects.filter(pk__in=before - current).select_related("user"):
            _send(
                act,
                official,
                kind="uninvited",
                title=f"Thôi mời dự họp: {meeting.title}",
                lines=[
                    f"Văn phòng thông báo anh/chị không còn trong thành phần dự cuộc họp "
                    f"“{meeting.title}” ({when_text(meeting.starts_at, meeting.ends_at)}).",
                ],
                ics_text=ics.meeting_ics(meeting, "CANCEL", attendees=[official], now=now),
                method="CANCEL",
            )
    return len(found)


# --- creating and editing ------------------------------------------------------------------------


def create_meeting(*, actor: Actor, data: MeetingInput) -> Meeting:
    """A new meeting in preparation (nothing is sent until it is published)."""
    official = _organising_official(actor)
    now = timezone.now()
    errors, rule = _check_details(data, meeting=None, now=now)
    guests = _guest_pairs(data.guests)
    members: list[Official] = []
    if "chair" not in errors:
        members = _check_people(
            errors,
            chair=data.chair,
            secretary=data.secretary if "secretary" not in errors else None,
            members=list(data.members),
            guests=guests,
            meeting=None,
        )
    _raise(errors)
    assert rule is not None
    with begin(MEETING, "create", actor=actor) as act:
        meeting = Meeting.objects.create(
            agency=official.agency,
            title=data.title,
            kind=data.kind,
            chair=data.chair,
            secretary=data.secretary,
            created_by=official,
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            place=data.place,
            online_link=data.online_link,
            description=data.description,
            rule=rule,
        )
        _sync_participants(meeting, members=members, guests=guests)
        act.case = meeting
        act.record(
            et.CREATED,
            kind=meeting.kind,
            chair=meeting.chair.user.username,
            starts_at=meeting.starts_at,
        )
    return meeting


DETAIL_FIELDS = (
    "title",
    "kind",
    "chair",
    "secretary",
    "starts_at",
    "ends_at",
    "place",
    "online_link",
    "description",
    "rule",
)


def update_meeting(
    *, actor: Actor, meeting: Meeting, data: MeetingInput, expected_version: int | None = None
) -> Meeting:
    """Change a meeting's details (a published meeting's changes go out with `republish`)."""
    now = timezone.now()
    try:
        with perform(
            MEETING, "edit", actor=actor, case=meeting, expected_version=expected_version
        ) as act:
            m = act.case
            errors, rule = _check_details(data, meeting=m, now=now)
            if "chair" not in errors and "secretary" not in errors:
                # Whoever becomes chair or secretary leaves the members (sync below); at least
                # one member must remain.
                special = {data.chair.pk, data.secretary.pk if data.secretary else None}
                if (
                    not m.participants.filter(role=Participant.Role.MEMBER)
                    .exclude(official_id__in=[pk for pk in special if pk])
                    .exists()
                ):
                    errors["chair"] = [
                        "Cuộc họp phải còn ít nhất một thành viên ngoài người chủ trì và thư ký."
                    ]
            _raise(errors)
            assert rule is not None
            before = {name: getattr(m, name) for name in DETAIL_FIELDS}
            for name in DETAIL_FIELDS:
                setattr(m, name, rule if name == "rule" else getattr(data, name))
            changed_fields = [n for n in DETAIL_FIELDS if getattr(m, n) != before[n]]
            if not changed_fields:
                raise _Unchanged
            parts: list[str] = []
            if {"title", "kind", "description", "rule"} & set(changed_fields):
                parts.append("details")
            if {"starts_at", "ends_at"} & set(changed_fields):
                parts.append("time")
            if {"place", "online_link"} & set(changed_fields):
                parts.append("place")
            if {"chair", "secretary"} & set(changed_fields):
                parts.append("participants")
            act.save(*changed_fields)
            if "participants" in parts:
                _sync_participants(m, members=None, guests=None)
            act.record(et.UPDATED, changed=parts, detail="")
    except _Unchanged:
        return Meeting.objects.get(pk=meeting.pk)
    return m


def set_participants(
    *,
    actor: Actor,
    meeting: Meeting,
    members: Sequence[Official],
    guests: Sequence[GuestSpec] = (),
    secretary: Official | None = None,
    expected_version: int | None = None,
) -> Meeting:
    """The members and guests (each guest with the items they are invited to); the chair
    stays a participant as chair. `secretary=None` keeps the meeting's secretary."""
    pairs = _guest_pairs(guests)
    with perform(
        MEETING, "edit_participants", actor=actor, case=meeting, expected_version=expected_version
    ) as act:
        m = act.case
        errors: dict[str, list[str]] = {}
        new_secretary = secretary if secretary is not None else m.secretary
        if secretary is not None:
            if not _active(secretary):
                errors["secretary"] = ["Thư ký cuộc họp không còn hoạt động."]
            elif secretary.pk == m.chair_id:
                errors["secretary"] = [
                    "Người chủ trì và thư ký cuộc họp phải là hai người khác nhau."
                ]
        chosen = _check_people(
            errors,
            chair=m.chair,
            secretary=new_secretary,
            members=list(members),
            guests=pairs,
            meeting=m,
        )
        _raise(errors)
        fields: list[str] = []
        if new_secretary is not None and new_secretary.pk != m.secretary_id:
            m.secretary = new_secretary
            fields.append("secretary")
        act.save(*fields)
        _sync_participants(m, members=chosen, guests=pairs)
        act.record(
            et.UPDATED,
            changed=["participants"],
            detail=f"{len(chosen)} thành viên, {len(pairs)} khách mời",
        )
    return m


# --- the agenda ----------------------------------------------------------------------------------


def _check_item(
    *,
    meeting: Meeting,
    title: str,
    presenter: Official | None,
    presenter_name: str,
    duration_minutes: Any,
    description: str,
) -> tuple[str, str, int, str]:
    errors: dict[str, list[str]] = {}
    title = _check_text(errors, "title", title, MAX_ITEM_TITLE, label="nội dung họp", required=True)
    presenter_name = _check_text(
        errors, "presenter_name", presenter_name, MAX_PRESENTER_NAME, label="tên người trình bày"
    )
    description = _check_text(
        errors, "description", description, MAX_ITEM_DESCRIPTION, label="mô tả"
    )
    if presenter is not None and not _active(presenter):
        errors["presenter"] = ["Người trình bày không còn hoạt động."]
    if (
        isinstance(duration_minutes, bool)
        or not isinstance(duration_minutes, int)
        or not 1 <= duration_minutes <= MAX_DURATION
    ):
        errors["duration_minutes"] = [f"Thời lượng là số phút từ 1 đến {MAX_DURATION}."]
    if errors:
        raise MeetingError("Nội dung họp chưa hợp lệ.", fields=errors)
    return title, presenter_name if presenter is None else "", int(duration_minutes), description


def _locked_item(meeting: Meeting, item: AgendaItem | int) -> AgendaItem:
    pk = item.pk if isinstance(item, AgendaItem) else item
    found = AgendaItem.objects.select_for_update().filter(pk=pk, meeting=meeting).first()
    if found is None:
        raise NotFoundError("Không tìm thấy nội dung họp.")
    return found


def _renumber(meeting: Meeting, ordered: Sequence[int]) -> None:
    # Two passes keep (meeting, position) unique at every statement: first out of the way.
    AgendaItem.objects.filter(meeting=meeting).update(position=F("position") + 1000)
    for position, pk in enumerate(ordered, start=1):
        AgendaItem.objects.filter(pk=pk).update(position=position)


def _item_meeting(item: AgendaItem | int) -> int:
    if isinstance(item, AgendaItem):
        return item.meeting_id
    found = AgendaItem.objects.filter(pk=item).values_list("meeting_id", flat=True).first()
    if found is None:
        raise NotFoundError("Không tìm thấy nội dung họp.")
    return int(found)


def add_item(
    *,
    actor: Actor,
    meeting: Meeting,
    title: str,
    presenter: Official | None = None,
    duration_minutes: int = 15,
    description: str = "",
    presenter_name: str = "",
    expected_version: int | None = None,
) -> AgendaItem:
    """A new item at the end of the agenda."""
    with perform(
        MEETING, "edit_agenda", actor=actor, case=meeting, expected_version=expected_version
    ) as act:
        m = act.case
        title, presenter_name, duration, description = _check_item(
            meeting=m,
            title=title,
            presenter=presenter,
            presenter_name=presenter_name,
            duration_minutes=duration_minutes,
            description=description,
        )
        if m.items.count() >= MAX_ITEMS:
            raise MeetingError(f"Chương trình họp có tối đa {MAX_ITEMS} nội dung.")
        position = (m.items.aggregate(top=Max("position"))["top"] or 0) + 1
        item = AgendaItem.objects.create(
            meeting=m,
            position=position,
            title=title,
            presenter=presenter,
            presenter_name=presenter_name,
            duration_minutes=duration,
            description=description,
        )
        act.save()
        act.record(et.UPDATED, changed=["agenda"], detail=f"Thêm nội dung {position}: {title}")
    return item


def update_item(
    *,
    actor: Actor,
    item: AgendaItem,
    title: str,
    presenter: Official | None = None,
    duration_minutes: int = 15,
    description: str = "",
    presenter_name: str = "",
    expected_version: int | None = None,
) -> AgendaItem:
    with perform(
        MEETING,
        "edit_agenda",
        actor=actor,
        case=_item_meeting(item),
        expected_version=expected_version,
    ) as act:
        row = _locked_item(act.case, item)
        title, presenter_name, duration, description = _check_item(
            meeting=act.case,
            title=title,
            presenter=presenter,
            presenter_name=presenter_name,
            duration_minutes=duration_minutes,
            description=description,
        )
        row.title, row.presenter, row.presenter_name = title, presenter, presenter_name
        row.duration_minutes, row.description = duration, description
        row.save(
            update_fields=[
                "title",
                "presenter",
                "presenter_name",
                "duration_minutes",
                "description",
            ]
        )
        act.save()
        act.record(et.UPDATED, changed=["agenda"], detail=f"Sửa nội dung {row.position}: {title}")
    return row


def remove_item(*, actor: Actor, item: AgendaItem, expected_version: int | None = None) -> Meeting:
    """Take an item off the agenda; its materials stay with the meeting (not with an item)."""
    with perform(
        MEETING,
        "edit_agenda",
        actor=actor,
        case=_item_meeting(item),
        expected_version=expected_version,
    ) as act:
        m = act.case
        row = _locked_item(m, item)
        if row.votes.exists():
            raise MeetingError("Nội dung đã có biểu quyết, không bỏ khỏi chương trình được.")
        Material.objects.filter(item=row).update(item=None)
        if m.current_item_id == row.pk:
            m.current_item = None
        title, position = row.title, row.position
        row.delete()
        _renumber(m, list(m.items.order_by("position").values_list("pk", flat=True)))
        act.save("current_item")
        act.record(et.UPDATED, changed=["agenda"], detail=f"Bỏ nội dung {position}: {title}")
    return m


def move_item(
    *, actor: Actor, item: AgendaItem, position: int, expected_version: int | None = None
) -> AgendaItem:
    """Put an item at `position` (1 = first), the others keeping their order."""
    try:
        with perform(
            MEETING,
            "edit_agenda",
            actor=actor,
            case=_item_meeting(item),
            expected_version=expected_version,
        ) as act:
            m = act.case
            row = _locked_item(m, item)
            order = list(m.items.order_by("position").values_list("pk", flat=True))
            if (
                isinstance(position, bool)
                or not isinstance(position, int)
                or not (1 <= position <= len(order))
            ):
                raise MeetingError(
                    "Vị trí không hợp lệ.",
                    fields={"position": [f"Chọn vị trí từ 1 đến {len(order)}."]},
                )
            if order.index(row.pk) + 1 == position:
                raise _Unchanged
            order.remove(row.pk)
            order.insert(position - 1, row.pk)
            _renumber(m, order)
            act.save()
            act.record(
                et.UPDATED,
                changed=["agenda"],
                detail=f"Chuyển “{row.title}” đến vị trí {position}",
            )
    except _Unchanged:
        pass
    found = AgendaItem.objects.get(pk=item.pk)
    return found


# --- publishing ----------------------------------------------------------------------------------


def _check_ready(meeting: Meeting, now: datetime) -> None:
    errors: dict[str, list[str]] = {}
    if meeting.starts_at <= now:
        errors["starts_at"] = ["Thời gian bắt đầu đã qua: hãy sửa thời gian họp trước khi gửi."]
    if not meeting.participants.filter(role=Participant.Role.MEMBER).exists():
        errors["members"] = ["Chọn ít nhất một thành viên dự họp ngoài người chủ trì."]
    if not meeting.items.exists():
        errors["agenda"] = ["Chương trình họp cần ít nhất một nội dung."]
    if errors:
        raise MeetingError("Cuộc họp chưa đủ thông tin để gửi giấy mời.", fields=errors)


def publish(*, actor: Actor, meeting: Meeting, expected_version: int | None = None) -> Meeting:
    """Send the invitations: e-mail (with the ICS), SMS and in-app, to every participant and
    delegate; SEQUENCE 0."""
    now = timezone.now()
    with perform(
        MEETING, "publish", actor=actor, case=meeting, expected_version=expected_version
    ) as act:
        m = act.case
        _check_ready(m, now)
        m.published_at = now
        m.published_snapshot = snapshot(m, now)
        act.save("published_at", "published_snapshot")
        count = _invite_all(act, before=None, changes=[], note="", now=now)
        announce(act, act.record(et.PUBLISHED, sequence=m.ical_sequence, invitees=count))
    return m


def republish(
    *, actor: Actor, meeting: Meeting, note: str = "", expected_version: int | None = None
) -> Meeting:
    """Send the changes since the last sending: SEQUENCE + 1; a METHOD:CANCEL to those taken
    off, the invitation to those added, the change to the others."""
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise MeetingError(
            "Ghi chú quá dài.", fields={"note": [f"Ghi chú tối đa {MAX_NOTE} ký tự."]}
        )
    now = timezone.now()
    with perform(
        MEETING, "republish", actor=actor, case=meeting, expected_version=expected_version
    ) as act:
        m = act.case
        changes = pending_changes(m)
        if not changes and not note:
            raise MeetingError(
                "Cuộc họp chưa có thay đổi nào so với lần gửi trước.",
                fields={"note": ["Không có thay đổi để gửi; nhập ghi chú nếu cần thông báo thêm."]},
            )
        _check_ready(m, now)
        before = set((m.published_snapshot or {}).get("recipients", []))
        m.ical_sequence += 1
        fields = ["ical_sequence", "published_snapshot"]
        if any(c.part == "time" for c in changes):
            # A new time: the reminders are due again for it.
            m.reminded_day_at = m.reminded_hour_at = None
            fields += ["reminded_day_at", "reminded_hour_at"]
        m.published_snapshot = snapshot(m, now)
        act.save(*fields)
        count = _invite_all(act, before=before, changes=changes, note=note, now=now)
        announce(act, act.record(et.REPUBLISHED, sequence=m.ical_sequence, invitees=count))
    return m


def cancel(
    *, actor: Actor, meeting: Meeting, reason: str, expected_version: int | None = None
) -> Meeting:
    """Cancel the meeting; everyone who was sent it gets a METHOD:CANCEL."""
    errors: dict[str, list[str]] = {}
    reason = _check_text(errors, "reason", reason, MAX_REASON, label="lý do hủy", required=True)
    if errors:
        raise MeetingError("Nhập lý do hủy cuộc họp.", fields=errors)
    now = timezone.now()
    with perform(
        MEETING, "cancel", actor=actor, case=meeting, expected_version=expected_version
    ) as act:
        m = act.case
        was_sent = m.status == MeetingStatus.PUBLISHED
        m.cancelled_at, m.cancel_reason = now, reason
        if was_sent:
            m.ical_sequence += 1
        act.save("cancelled_at", "cancel_reason", "ical_sequence")
        if was_sent:
            # Whoever was sent the meeting, and any delegate named since.
            sent = set((m.published_snapshot or {}).get("recipients", []))
            sent |= set(m.participants.exclude(delegate=None).values_list("delegate_id", flat=True))
            text = ics.meeting_ics(m, "CANCEL", now=now)
            for official in Official.objects.filter(pk__in=sent).select_related("user"):
                _send(
                    act,
                    official,
                    kind="cancelled",
                    title=f"Hủy cuộc họp: {m.title}",
                    lines=[
                        f"Cuộc họp “{m.title}” ({when_text(m.starts_at, m.ends_at)}) đã bị hủy.",
                        f"Lý do: {reason}",
                    ],
                    ics_text=text,
                    method="CANCEL",
                )
        announce(act, act.record(et.CANCELLED, sequence=m.ical_sequence, reason=reason))
    return m


# --- reminders -----------------------------------------------------------------------------------


def _reminder_due(meeting: Meeting, now: datetime) -> str | None:
    if meeting.starts_at <= now:
        return None
    if (
        meeting.reminded_hour_at is None
        and meeting.starts_at - now <= REMINDER_WINDOWS[HOUR_BEFORE]
    ):
        return HOUR_BEFORE
    if meeting.reminded_day_at is None and meeting.starts_at - now <= REMINDER_WINDOWS[DAY_BEFORE]:
        return DAY_BEFORE
    return None


def _remind(meeting_id: int, now: datetime) -> int:
    with perform(MEETING, "remind", actor=SYSTEM, case=meeting_id) as act:
        m = act.case
        which = _reminder_due(m, now)
        if which is None:
            raise _Unchanged  # another worker sent it, or the meeting moved
        marks = {"reminded_day_at": now}
        if which == HOUR_BEFORE:
            marks["reminded_hour_at"] = now  # the day's reminder is no longer useful
        # Markers only (not a change of the meeting): no new version for the open edit page.
        Meeting.objects.filter(pk=m.pk).update(**marks)
        count = 0
        invitations = _Invitations(m, now)
        for official, participant in recipients(m):
            declined = participant.response == Participant.Response.DECLINED
            stands_in = participant.official_id != official.pk
            if declined and not stands_in:
                continue  # those who declined are not reminded (their delegate is)
            if stands_in and participant.delegate_id != official.pk:
                continue
            lines = _greeting(m, official, participant)
            _send(
                act,
                official,
                kind=f"remind_{'day' if which == DAY_BEFORE else 'hour'}",
                title=(
                    f"Nhắc lịch họp {'ngày mai' if which == DAY_BEFORE else 'sau 1 giờ'}: {m.title}"
                ),
                lines=lines,
                ics_text=invitations.ics_for(participant),
            )
            count += 1
        act.record(et.REMINDED, reminder=which, recipients=count)
    return count


def send_reminders(now: datetime | None = None) -> int:
    """The reminders due (a day before, an hour before) to those who did not decline: each
    once per meeting time (the markers on the meeting, and the outbox keys). Returns how many
    people were reminded."""
    now = now or timezone.now()
    due = Meeting.objects.filter(
        status=MeetingStatus.PUBLISHED,
        starts_at__gt=now,
        starts_at__lte=now + REMINDER_WINDOWS[DAY_BEFORE],
    ).filter(reminded_hour_at__isnull=True)
    total = 0
    for meeting in due.only(
        "pk", "starts_at", "reminded_day_at", "reminded_hour_at", "published_snapshot"
    ):
        which = _reminder_due(meeting, now)
        if which is None:
            continue
        if which == DAY_BEFORE and _invited_within_day(meeting):
            # The invitation itself went out within the day: no second message for it, only
            # the marker, so the job does not come back to it every few minutes.
            Meeting.objects.filter(pk=meeting.pk, reminded_day_at__isnull=True).update(
                reminded_day_at=now
            )
            continue
        try:
            total += _remind(meeting.pk, now)
        except _Unchanged:
            continue  # another worker sent it, or the meeting moved meanwhile
        except DomainError:
            logger.exception("reminder for meeting %s not sent", meeting.pk)
    return total


def _invited_within_day(meeting: Meeting) -> bool:
    sent_at = (meeting.published_snapshot or {}).get("sent_at")
    return sent_at is not None and datetime.fromisoformat(sent_at) >= (
        meeting.starts_at - REMINDER_WINDOWS[DAY_BEFORE]
    )
