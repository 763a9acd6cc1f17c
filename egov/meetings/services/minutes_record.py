"""What the minutes (biên bản) know from the meeting's own record, and the PDF they are printed
as: attendance (present, absent with their reasons, delegates, guests), the agenda items with
their presenters, who spoke on each item (requests done), the closed votes with their counts,
outcome and the rule that decided them, and the times of opening and closing in
Asia/Ho_Chi_Minh. The secretary's text (`Minutes.notes`, with the autosave's drafts on top)
goes around these parts; nothing here is typed twice.

The PDF follows the Biên bản form of Decree 30/2020/NĐ-CP (its appendix of administrative
document forms; the form's number is not checked here): the agency's name over "Số: /BB-...",
the national motto, the title BIÊN BẢN with the meeting's name; time, place, chair, secretary
and attendance; the content in the order of the meeting; the closing time; the signatures of
the secretary (thư ký, left) and the chair (chủ tọa, right). Their places are left empty and
anchored, so the signatures (PAdES, egov.signing) are drawn there with the title, the
signature image and the name."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone

from egov.core.pdfrender import render_document, signature_box
from egov.org.models import Official

from .. import rules
from ..models import (
    AgendaItem,
    Meeting,
    Minutes,
    MinutesDraft,
    Participant,
    SpeakingRequest,
    Vote,
    VoteStatus,
)

OPENING = "opening"
CLOSING = "closing"
SECRETARY_SLOT = "o-ky-thu-ky"
CHAIR_SLOT = "o-ky-chu-toa"
SIGNER_TITLES = {"secretary": "THƯ KÝ", "chair": "CHỦ TỌA"}


def person(official: Official | None) -> str:
    if official is None:
        return ""
    return official.user.get_full_name() or official.user.username


def position(official: Official | None) -> str:
    if official is None or official.position is None:
        return ""
    return official.position.name


def moment(value: datetime | None) -> str:
    """ "14 giờ 05, ngày 05/12/2026" in Asia/Ho_Chi_Minh (the form's wording)."""
    if value is None:
        return "…… giờ ……, ngày …… tháng …… năm ……"
    local = timezone.localtime(value)
    return f"{local:%H} giờ {local:%M}, ngày {local:%d/%m/%Y}"


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\r?\n", text or "") if p.strip()]


def current_notes(minutes: Minutes) -> dict[str, str]:
    """The minutes' text as the secretary last typed it: the notes written into the minutes,
    with the autosave's newer text on top."""
    notes = {str(k): str(v) for k, v in (minutes.notes or {}).items()}
    if minutes.pk:
        for part, text in MinutesDraft.objects.filter(minutes=minutes).values_list("part", "text"):
            notes[part] = text
    return notes


@dataclass(frozen=True)
class Attendee:
    name: str
    position: str
    role: str
    note: str = ""


@dataclass(frozen=True)
class Speaker:
    name: str
    topic: str
    at: str


@dataclass(frozen=True)
class VoteLine:
    question: str
    kind: str
    counts: list[tuple[str, int]]
    outcome: str
    reason: str
    rule: str
    members: int
    present: int
    cast: int


@dataclass
class ItemRecord:
    item: AgendaItem
    presenter: str
    notes: list[str]
    speakers: list[Speaker] = field(default_factory=list)
    votes: list[VoteLine] = field(default_factory=list)
    conclusion: list[str] = field(default_factory=list)


@dataclass
class MinutesRecord:
    meeting: Meeting
    chair: str
    chair_position: str
    secretary: str
    started: str
    ended: str
    present: list[Attendee]
    absent: list[Attendee]
    delegates: list[Attendee]
    guests: list[Attendee]
    items: list[ItemRecord]
    opening: list[str]
    closing: list[str]


def _attendance(
    meeting: Meeting,
) -> tuple[list[Attendee], list[Attendee], list[Attendee], list[Attendee]]:
    """Present / absent (with the reason given) / delegates / guests. Presence recorded at the
    meeting wins; where it was not recorded, the answer to the invitation is taken."""
    present: list[Attendee] = []
    absent: list[Attendee] = []
    delegates: list[Attendee] = []
    guests: list[Attendee] = []
    rows = (
        Participant.objects.filter(meeting=meeting)
        .select_related("official__user", "official__position", "delegate__user")
        .order_by("role", "id")
    )
    order: dict[str, int] = {
        Participant.Role.CHAIR: 0,
        Participant.Role.MEMBER: 1,
        Participant.Role.SECRETARY: 2,
        Participant.Role.GUEST: 3,
    }
    for p in sorted(rows, key=lambda r: (order.get(r.role, 9), r.pk)):
        there = p.present if p.present is not None else p.response == Participant.Response.ACCEPTED
        row = Attendee(person(p.official), position(p.official), p.get_role_display())
        if p.delegate_id:
            delegates.append(
                Attendee(
                    person(p.delegate),
                    position(p.delegate),
                    "Dự thay",
                    f"dự thay {person(p.official)}",
                )
            )
        if p.role == Participant.Role.GUEST:
            if there:
                guests.append(row)
            continue
        if there:
            present.append(row)
        else:
            reason = p.reason.strip() if p.reason else ""
            absent.append(Attendee(row.name, row.position, row.role, reason or "không nêu lý do"))
    return present, absent, delegates, guests


def _vote_line(vote: Vote) -> VoteLine:
    result: dict[str, Any] = vote.result or {}
    counts: dict[str, int] = result.get("counts", {})
    if vote.choices == Vote.Choices.LIST:
        labels = {str(o.get("key")): str(o.get("label", o.get("key"))) for o in vote.options}
    else:
        labels = dict(rules.OPTION_LABELS)
    lines = [(labels.get(key, key), int(n)) for key, n in counts.items()]
    if vote.choices == Vote.Choices.LIST:
        winner = result.get("winner")
        outcome = f"Chọn phương án: {labels.get(winner, winner)}" if winner else "Không chọn được"
    else:
        outcome = "Thông qua" if vote.passed else "Không thông qua"
    return VoteLine(
        question=vote.question,
        kind=vote.get_kind_display(),
        counts=lines,
        outcome=outcome,
        reason=str(result.get("reason", "")),
        rule=vote.rule.name,
        members=int(result.get("members", 0)),
        present=int(result.get("present", 0)),
        cast=int(result.get("cast", 0)),
    )


def build(meeting: Meeting, notes: dict[str, str]) -> MinutesRecord:
    present, absent, delegates, guests = _attendance(meeting)
    items: list[ItemRecord] = []
    agenda = AgendaItem.objects.filter(meeting=meeting).select_related(
        "presenter__user", "presenter__position"
    )
    speakers: dict[int, list[Speaker]] = {}
    for req in (
        SpeakingRequest.objects.filter(item__meeting=meeting, status=SpeakingRequest.Status.DONE)
        .select_related("participant__official__user")
        .order_by("started_at", "requested_at", "id")
    ):
        at = timezone.localtime(req.started_at).strftime("%H:%M") if req.started_at else ""
        speakers.setdefault(req.item_id, []).append(
            Speaker(person(req.participant.official), req.topic, at)
        )
    votes: dict[int, list[VoteLine]] = {}
    for vote in (
        Vote.objects.filter(meeting=meeting, status=VoteStatus.CLOSED)
        .select_related("rule")
        .order_by("closed_at", "id")
    ):
        votes.setdefault(vote.item_id, []).append(_vote_line(vote))
    for item in agenda:
        presenter = person(item.presenter) or item.presenter_name
        if item.presenter and position(item.presenter):
            presenter = f"{presenter}, {position(item.presenter)}"
        items.append(
            ItemRecord(
                item=item,
                presenter=presenter,
                notes=paragraphs(notes.get(str(item.pk), "")),
                speakers=speakers.get(item.pk, []),
                votes=votes.get(item.pk, []),
                conclusion=paragraphs(item.conclusion),
            )
        )
    chair = meeting.chair
    return MinutesRecord(
        meeting=meeting,
        chair=person(chair),
        chair_position=position(chair),
        secretary=person(meeting.secretary),
        started=moment(meeting.opened_at or meeting.starts_at),
        ended=moment(meeting.closed_at),
        present=present,
        absent=absent,
        delegates=delegates,
        guests=guests,
        items=items,
        opening=paragraphs(notes.get(OPENING, "")),
        closing=paragraphs(notes.get(CLOSING, "")),
    )


@dataclass(frozen=True)
class RenderedMinutes:
    content: bytes
    pages: int
    # {"secretary": [page, x1, y1, x2, y2], "chair": [...]}
    boxes: dict[str, list[float]]


def render(minutes: Minutes) -> RenderedMinutes:
    meeting = minutes.meeting
    record = build(meeting, current_notes(minutes))
    agency = meeting.agency
    document = render_document(
        "meetings/pdf/minutes.html",
        {
            "record": record,
            "agency_name": agency.name,
            "parent_name": agency.parent.name if agency.parent_id and agency.parent else "",
            "abbreviation": agency.abbreviation,
            "secretary_slot": SECRETARY_SLOT,
            "chair_slot": CHAIR_SLOT,
        },
    )
    boxes: dict[str, list[float]] = {}
    for role, slot in (("secretary", SECRETARY_SLOT), ("chair", CHAIR_SLOT)):
        box = signature_box(document, slot)
        pages = [i for i, page in enumerate(document.pages) if slot in page.anchors]
        if box is not None and pages:
            boxes[role] = [float(pages[-1]), *box]
    return RenderedMinutes(
        content=bytes(document.write_pdf()), pages=len(document.pages), boxes=boxes
    )
