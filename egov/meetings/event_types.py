"""The events meetings and written consultations record. Each subject's events carry its
case type's default fields (cases.py: status and title or question); the fields below are
each event's own. Names of people are usernames (what the log keeps of an actor).

A secret ballot's event (`meeting_vote.ballot_cast` with `secret: true`) says who voted, never
what: the choice appears only in the count at close (`meeting_vote.closed`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from egov.events.catalogue import Payload, declare

MEETING = "meeting"
VOTE = "meeting_vote"
CONSULTATION = "consultation"
MINUTES = "meeting_minutes"
CONCLUSION = "meeting_conclusion"
TASK = "meeting_task"


# --- meetings ------------------------------------------------------------------------------------


class MeetingPayload(Payload):
    status: str
    title: str


class MeetingCreated(MeetingPayload):
    kind: str
    chair: str
    starts_at: datetime


class MeetingUpdated(MeetingPayload):
    # Which parts changed: "details", "time", "place", "participants", "agenda", "materials".
    changed: list[str]
    detail: str = ""


class MeetingPublished(MeetingPayload):
    sequence: int
    invitees: int


class MeetingCancelled(MeetingPayload):
    sequence: int
    reason: str


class MeetingReminded(MeetingPayload):
    # "day_before", "hour_before": which reminder went out.
    reminder: str
    recipients: int


class ItemPayload(MeetingPayload):
    item: int
    position: int


class MaterialPayload(MeetingPayload):
    material: int
    material_title: str
    version: int = 0
    confidential: bool = False


class AttendancePayload(MeetingPayload):
    participant: str
    response: str
    reason: str = ""
    delegate: str | None = None


class PresencePayload(MeetingPayload):
    present: list[str]
    absent: list[str]


class SpeakerPayload(MeetingPayload):
    item: int
    speaker: str
    request: int


CREATED = declare(
    "meeting.created",
    subject=MEETING,
    payload=MeetingCreated,
    description="The secretariat prepared a meeting (not sent yet).",
)
UPDATED = declare(
    "meeting.updated",
    subject=MEETING,
    payload=MeetingUpdated,
    description="Details, time, place, participants, agenda or materials changed.",
)
PUBLISHED = declare(
    "meeting.published",
    subject=MEETING,
    payload=MeetingPublished,
    description="Invitations sent (e-mail, SMS, in-app, with an ICS file); sequence 0.",
)
REPUBLISHED = declare(
    "meeting.republished",
    subject=MEETING,
    payload=MeetingPublished,
    description="A published meeting changed: invitations sent again, ICS SEQUENCE + 1.",
)
CANCELLED = declare(
    "meeting.cancelled",
    subject=MEETING,
    payload=MeetingCancelled,
    description="The meeting was cancelled; invitees got an ICS METHOD:CANCEL.",
)
REMINDED = declare(
    "meeting.reminded",
    subject=MEETING,
    payload=MeetingReminded,
    description="A reminder before the meeting went out to those attending.",
)
MATERIAL_ADDED = declare(
    "meeting.material_added",
    subject=MEETING,
    payload=MaterialPayload,
    description="A material (upload or official document) was attached.",
)
MATERIAL_VERSION_ADDED = declare(
    "meeting.material_version_added",
    subject=MEETING,
    payload=MaterialPayload,
    description="A new version of a material replaced the one shown.",
)
MATERIAL_WITHDRAWN = declare(
    "meeting.material_withdrawn",
    subject=MEETING,
    payload=MaterialPayload,
    description="A material was withdrawn (its versions are kept).",
)
ATTENDANCE_ANSWERED = declare(
    "meeting.attendance_answered",
    subject=MEETING,
    payload=AttendancePayload,
    description="A participant confirmed or declined (with reason and delegate).",
)
PRESENCE_RECORDED = declare(
    "meeting.presence_recorded",
    subject=MEETING,
    payload=PresencePayload,
    description="The secretary recorded who is present.",
)
OPENED = declare(
    "meeting.opened",
    subject=MEETING,
    payload=MeetingPayload,
    description="The chair opened the meeting.",
)
ITEM_STARTED = declare(
    "meeting.item_started",
    subject=MEETING,
    payload=ItemPayload,
    description="The meeting moved to an agenda item.",
)
CLOSED = declare(
    "meeting.closed",
    subject=MEETING,
    payload=MeetingPayload,
    description="The chair closed the meeting.",
)
SPEAKER_REQUESTED = declare(
    "meeting.speaker_requested",
    subject=MEETING,
    payload=SpeakerPayload,
    description="A participant registered to speak on an item.",
)
SPEAKER_WITHDRAWN = declare(
    "meeting.speaker_withdrawn",
    subject=MEETING,
    payload=SpeakerPayload,
    description="A participant withdrew their request to speak.",
)
SPEAKER_CALLED = declare(
    "meeting.speaker_called",
    subject=MEETING,
    payload=SpeakerPayload,
    description="The chair gave the floor to the next speaker.",
)
SPEAKER_FINISHED = declare(
    "meeting.speaker_finished",
    subject=MEETING,
    payload=SpeakerPayload,
    description="A speaker finished.",
)
SPEAKER_DROPPED = declare(
    "meeting.speaker_dropped",
    subject=MEETING,
    payload=SpeakerPayload,
    description="The meeting closed before a waiting speaker was called.",
)
SPEAKERS_CLOSED = declare(
    "meeting.speakers_closed",
    subject=MEETING,
    payload=ItemPayload,
    description="The chair closed the speakers' list of an item.",
)


# --- votes ---------------------------------------------------------------------------------------


class VotePayload(Payload):
    status: str
    question: str
    meeting: int
    item: int


class VoteCreated(VotePayload):
    kind: str
    choices: str


class VoteOpened(VotePayload):
    # When ballots stop being taken without the chair closing (None: when the chair closes).
    closes_at: datetime | None = None


class BallotCast(VotePayload):
    secret: bool
    # Open votes only: who chose what (a secret vote's event carries no choice).
    voter: str | None = None
    choice: str | None = None
    remote: bool = False
    # A delegate voting in the member's place (open votes; a secret vote names only the actor).
    cast_by: str | None = None


class VoteCancelled(VotePayload):
    reason: str = ""


class VoteClosed(VotePayload):
    result: dict[str, Any]
    passed: bool
    # SHA-256 over the sorted receipt hashes with their choices (the published count).
    count_digest: str = ""


VOTE_CREATED = declare(
    "meeting_vote.created",
    subject=VOTE,
    payload=VoteCreated,
    description="A vote was prepared on an agenda item.",
)
VOTE_OPENED = declare(
    "meeting_vote.opened",
    subject=VOTE,
    payload=VoteOpened,
    description="The chair opened the vote.",
)
BALLOT_CAST = declare(
    "meeting_vote.ballot_cast",
    subject=VOTE,
    payload=BallotCast,
    description="A member voted (secret: who voted, not what).",
)
VOTE_CLOSED = declare(
    "meeting_vote.closed",
    subject=VOTE,
    payload=VoteClosed,
    description="The chair closed the vote; the count and the outcome under the rule.",
)
VOTE_CANCELLED = declare(
    "meeting_vote.cancelled",
    subject=VOTE,
    payload=VoteCancelled,
    description="A vote was withdrawn before it closed (its ballots are not counted).",
)


# --- written consultation ------------------------------------------------------------------------


class ConsultationPayload(Payload):
    status: str
    title: str


class ConsultationSent(ConsultationPayload):
    members: int
    deadline_at: datetime
    deadline_days: int


class ConsultationAnswered(ConsultationPayload):
    member: str
    answer: str
    signed_sha256: str


class ConsultationReminded(ConsultationPayload):
    # "before_deadline" or "overdue"
    reminder: str
    recipients: int


class ConsultationClosed(ConsultationPayload):
    result: dict[str, Any]
    passed: bool
    answered: int
    not_answered: int


class ConsultationResult(ConsultationPayload):
    document: int
    symbol: str = ""


CONSULTATION_CREATED = declare(
    "consultation.created",
    subject=CONSULTATION,
    payload=ConsultationPayload,
    description="A written consultation was prepared on a draft document.",
)
CONSULTATION_SENT = declare(
    "consultation.sent",
    subject=CONSULTATION,
    payload=ConsultationSent,
    description="The chair sent the consultation to the members, with the deadline.",
)
CONSULTATION_ANSWERED = declare(
    "consultation.answered",
    subject=CONSULTATION,
    payload=ConsultationAnswered,
    description="A member answered and signed their answer sheet.",
)
CONSULTATION_REMINDED = declare(
    "consultation.reminded",
    subject=CONSULTATION,
    payload=ConsultationReminded,
    description="Members who had not answered were reminded.",
)
CONSULTATION_CLOSED = declare(
    "consultation.closed",
    subject=CONSULTATION,
    payload=ConsultationClosed,
    description="The deadline passed (or all answered): the tally under the rule.",
)
CONSULTATION_RESULT_DRAFTED = declare(
    "consultation.result_drafted",
    subject=CONSULTATION,
    payload=ConsultationResult,
    description="The result document was drafted and put to the chair for signature.",
)
CONSULTATION_ISSUED = declare(
    "consultation.issued",
    subject=CONSULTATION,
    payload=ConsultationResult,
    description="The result was issued as a numbered, signed document.",
)
CONSULTATION_CANCELLED = declare(
    "consultation.cancelled",
    subject=CONSULTATION,
    payload=ConsultationPayload,
    description="The consultation was withdrawn before it closed.",
)


# --- minutes, conclusion, tasks ------------------------------------------------------------------


class MinutesPayload(Payload):
    status: str
    meeting: int


class MinutesUpdated(MinutesPayload):
    # The parts written: "opening", "closing" or an agenda item's id; and their lengths.
    parts: list[str]
    chars: int = 0


class MinutesSubmitted(MinutesPayload):
    sha256: str
    pages: int = 0


class MinutesSigned(MinutesPayload):
    # "secretary" or "chair"
    signed_as: str
    sha256: str


class ConclusionPayload(Payload):
    status: str
    meeting: int


class ConclusionDrafted(ConclusionPayload):
    tasks: int


class ConclusionIssued(ConclusionPayload):
    document: int
    symbol: str = ""


class TaskPayload(Payload):
    status: str
    title: str
    meeting: int
    due_at: datetime | None = None


class TaskAssigned(TaskPayload):
    agency: str
    assignee: str | None = None
    due_days: int


class TaskReported(TaskPayload):
    report: str


class TaskReminded(TaskPayload):
    # "before_due" (two working days ahead) or "overdue"
    reminder: str
    recipients: int


class TaskCancelled(TaskPayload):
    reason: str


MINUTES_CREATED = declare(
    "meeting_minutes.created",
    subject=MINUTES,
    payload=MinutesPayload,
    description="The secretary started the minutes of a meeting.",
)
MINUTES_UPDATED = declare(
    "meeting_minutes.updated",
    subject=MINUTES,
    payload=MinutesUpdated,
    description="The secretary wrote in the minutes (at most once a minute per part).",
)
MINUTES_SUBMITTED = declare(
    "meeting_minutes.submitted",
    subject=MINUTES,
    payload=MinutesSubmitted,
    description="The minutes were finished and put to the secretary and the chair to sign.",
)
MINUTES_REOPENED = declare(
    "meeting_minutes.reopened",
    subject=MINUTES,
    payload=MinutesPayload,
    description="The secretary took the minutes back to edit them (before any signature).",
)
MINUTES_SIGNED = declare(
    "meeting_minutes.signed",
    subject=MINUTES,
    payload=MinutesSigned,
    description="The secretary or the chair signed the minutes (PAdES).",
)
CONCLUSION_DRAFTED = declare(
    "meeting_conclusion.drafted",
    subject=CONCLUSION,
    payload=ConclusionDrafted,
    description="The conclusion notice and its tasks were written.",
)
CONCLUSION_SUBMITTED = declare(
    "meeting_conclusion.submitted",
    subject=CONCLUSION,
    payload=ConclusionIssued,
    description="The conclusion notice went to the documents app as a draft for signature.",
)
CONCLUSION_ISSUED = declare(
    "meeting_conclusion.issued",
    subject=CONCLUSION,
    payload=ConclusionIssued,
    description="The conclusion notice was issued with a number; its tasks started.",
)
TASK_ASSIGNED = declare(
    "meeting_task.assigned",
    subject=TASK,
    payload=TaskAssigned,
    description="A task of a conclusion notice started, with its deadline in working days.",
)
TASK_REPORTED = declare(
    "meeting_task.reported",
    subject=TASK,
    payload=TaskReported,
    description="The assignee reported progress.",
)
TASK_COMPLETED = declare(
    "meeting_task.completed",
    subject=TASK,
    payload=TaskReported,
    description="The assignee reported the task done.",
)
TASK_REMINDED = declare(
    "meeting_task.reminded",
    subject=TASK,
    payload=TaskReminded,
    description="A reminder went out (two working days before the deadline, or overdue).",
)
TASK_CANCELLED = declare(
    "meeting_task.cancelled",
    subject=TASK,
    payload=TaskCancelled,
    description="The chair cancelled a task.",
)
