"""Thông báo kết luận: after the meeting the chair or the secretary writes the conclusions and
the tasks (who: an agency, optionally a named official; what; by when, in working days from
the issue date). The secretary submits: the notice becomes an outgoing draft in the documents
app (type TB, content written from the conclusion, recipients the tasks' agencies), drafted by
the secretary and submitted for review to the chair. From then on it follows the documents
app's own flow (the chair approves and signs, the clerk issues it with a number).

When documents issues it, its listener (documents/listeners.py, registered in apps.py) marks
the conclusion ISSUED with the number and starts its tasks: each Task is made then, due at the
end of the working day `due_days` working days after the issue (the calendar of the assignee's
agency). A listener that failed is caught up by the reconciler (periodic_hmin.py).

Submitting runs three steps in their own transactions (documents' create_draft and
submit_for_review are entry points of their own, which the kernel forbids nesting): the
conditions are checked before the first, so a refusal creates nothing; a race lost in the last
step (someone submitted the same conclusion meanwhile) leaves the secretary an unlinked draft in
the documents app, which they can see there.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils import timezone

from egov.cases import begin, perform
from egov.core.actors import SYSTEM, Actor
from egov.core.dates import local_text
from egov.core.errors import Conflict, DomainError, NotAllowed, NotFoundError
from egov.documents import services as documents
from egov.documents.models import OutgoingDocument
from egov.org.models import Agency, Official, Role, Unit
from egov.workcalendar.services import WorkingCalendar

from .. import access
from .. import event_types as et
from ..cases import CONCLUSION, TASK
from ..error_codes import MeetingErrorCode
from ..models import (
    Conclusion,
    ConclusionStatus,
    Meeting,
    MeetingStatus,
    Participant,
    Task,
)
from .minutes_record import paragraphs, person, position
from .notify import announce, notify

logger = logging.getLogger(__name__)

NOTICE_TYPE = "thong-bao"  # Thông báo (TB)
MAX_TEXT = 20_000
MAX_TASKS = 50
MAX_DUE_DAYS = 365


class ConclusionError(DomainError):
    code = MeetingErrorCode.CONCLUSION_INVALID


@dataclass(frozen=True)
class TaskInput:
    title: str
    agency: Agency
    due_days: int
    assignee: Official | None = None


def conclusion_link(meeting: Meeting | int) -> str:
    from django.urls import NoReverseMatch, reverse

    pk = meeting if isinstance(meeting, int) else meeting.pk
    try:
        return reverse("meetings:conclusion", args=[pk])
    except NoReverseMatch:
        return f"/hop/{pk}/ket-luan/"


def tasks_link() -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("meetings:tasks")
    except NoReverseMatch:
        return "/hop/nhiem-vu/"


# --- drafting ------------------------------------------------------------------------------------


def _clean(text: str, tasks: Sequence[TaskInput]) -> tuple[str, list[dict[str, Any]]]:
    errors: dict[str, list[str]] = {}
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        errors["text"] = ["Nhập nội dung kết luận."]
    elif len(text) > MAX_TEXT:
        errors["text"] = [f"Nội dung kết luận tối đa {MAX_TEXT} ký tự."]
    if len(tasks) > MAX_TASKS:
        errors["tasks"] = [f"Tối đa {MAX_TASKS} nhiệm vụ."]
    planned: list[dict[str, Any]] = []
    for n, task in enumerate(tasks[:MAX_TASKS], start=1):
        key = f"tasks.{n}"
        title = (task.title or "").strip()
        problems: list[str] = []
        if not title:
            problems.append("Nhập nội dung nhiệm vụ.")
        elif len(title) > 500:
            problems.append("Nội dung nhiệm vụ tối đa 500 ký tự.")
        agency = task.agency
        if agency is None or not Agency.objects.filter(pk=agency.pk, is_active=True).exists():
            problems.append("Chọn cơ quan chủ trì thực hiện.")
        assignee = task.assignee
        if assignee is not None and (
            agency is None
            or assignee.agency_id != agency.pk
            or not Official.objects.filter(pk=assignee.pk, user__is_active=True).exists()
        ):
            problems.append("Người chịu trách nhiệm phải là công chức của cơ quan được giao.")
        due = task.due_days
        if isinstance(due, bool) or not isinstance(due, int) or not 1 <= due <= MAX_DUE_DAYS:
            problems.append(f"Thời hạn từ 1 đến {MAX_DUE_DAYS} ngày làm việc.")
        if problems:
            errors[key] = problems
            continue
        planned.append(
            {
                "title": title,
                "agency": agency.pk,
                "agency_name": agency.name,
                "assignee": assignee.pk if assignee else None,
                "assignee_name": person(assignee) if assignee else "",
                "due_days": due,
            }
        )
    if errors:
        raise ConclusionError(
            "Thông báo kết luận chưa hợp lệ, vui lòng kiểm tra các mục được đánh dấu.",
            fields=errors,
        )
    return text, planned


class _Exists(Exception):
    pass


def draft_conclusion(
    *,
    actor: Actor,
    meeting: Meeting,
    text: str,
    tasks: Sequence[TaskInput],
    expected_version: int | None = None,
) -> Conclusion:
    """The chair or the secretary writes (or rewrites, while in draft) the conclusion and its
    tasks, once the meeting is over."""
    text, planned = _clean(text, tasks)
    existing = Conclusion.objects.filter(meeting=meeting).first()
    if existing is None:
        official = CONCLUSION.official_for(actor)
        roles = access.meeting_roles(official, meeting)
        if not roles:
            raise NotFoundError("Không tìm thấy cuộc họp.")
        if access.PRESIDING not in roles:
            raise NotAllowed("Chỉ chủ trì hoặc thư ký cuộc họp được soạn thông báo kết luận.")
        try:
            with begin(CONCLUSION, "create", actor=actor) as act:
                locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
                if locked.status != MeetingStatus.CLOSED:
                    raise ConclusionError("Chỉ soạn thông báo kết luận sau khi cuộc họp đã bế mạc.")
                if Conclusion.objects.filter(meeting=locked).exists():
                    raise _Exists
                conclusion = Conclusion.objects.create(
                    meeting=locked, text=text, planned_tasks=planned
                )
                act.case = conclusion
                act.record(et.CONCLUSION_DRAFTED, tasks=len(planned))
        except _Exists:
            raise Conflict(
                "Thông báo kết luận vừa được người khác soạn. Vui lòng tải lại trang."
            ) from None
        return conclusion
    with perform(
        CONCLUSION, "edit", actor=actor, case=existing, expected_version=expected_version
    ) as act:
        conclusion = act.case
        conclusion.text = text
        conclusion.planned_tasks = planned
        act.save("text", "planned_tasks")
        act.record(et.CONCLUSION_DRAFTED, tasks=len(planned))
    return conclusion


# --- submitting to the documents app -------------------------------------------------------------


def _day(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y") if value else "……"


def notice_subject(meeting: Meeting) -> str:
    chair = meeting.chair
    who = f"{position(chair)} {person(chair)}".strip()
    return f"Kết luận của {who} tại {meeting.title}"[:500]


def notice_content(conclusion: Conclusion) -> str:
    """The notice's text in the usual order: the meeting, the conclusions, the tasks."""
    meeting = conclusion.meeting
    chair = f"{position(meeting.chair)} {person(meeting.chair)}".strip()
    members = Participant.objects.filter(
        meeting=meeting, role__in=[Participant.Role.MEMBER, Participant.Role.CHAIR]
    ).count()
    place = f" tại {meeting.place}" if meeting.place else ""
    lines = [
        f"Ngày {_day(meeting.opened_at or meeting.starts_at)}{place}, {chair} chủ trì "
        f"{meeting.title}. Tham dự cuộc họp có {members} thành viên được mời.",
        f"Sau khi nghe báo cáo và ý kiến phát biểu của các thành viên dự họp, {chair} kết luận "
        "như sau:",
        *paragraphs(conclusion.text),
    ]
    if conclusion.planned_tasks:
        lines.append("Giao nhiệm vụ:")
        for n, plan in enumerate(conclusion.planned_tasks, start=1):
            who = plan["agency_name"]
            if plan.get("assignee_name"):
                who += f" (người chịu trách nhiệm: {plan['assignee_name']})"
            lines.append(
                f"{n}. {who}: {plan['title']}. Thời hạn hoàn thành: {plan['due_days']} ngày làm "
                "việc kể từ ngày ban hành Thông báo này."
            )
    lines.append(
        f"{meeting.agency.name} thông báo để các cơ quan, đơn vị và cá nhân liên quan biết, "
        "thực hiện./."
    )
    return "\n\n".join(lines)


def _recipients(conclusion: Conclusion) -> tuple[list[Unit], list[Agency]]:
    """The tasks' agencies (on the platform); a task of the issuing agency itself goes to the
    unit of its named official (a document is never sent to its own agency)."""
    own = conclusion.meeting.agency_id
    agencies = {p["agency"] for p in conclusion.planned_tasks if p["agency"] != own}
    officials = [p["assignee"] for p in conclusion.planned_tasks if p["agency"] == own]
    units = list(
        Unit.objects.filter(
            pk__in=Official.objects.filter(pk__in=[o for o in officials if o]).values("unit")
        )
    )
    return units, list(Agency.objects.filter(pk__in=agencies, is_active=True).order_by("name"))


def _check_submit(conclusion: Conclusion, official: Official, expected_version: int | None) -> None:
    """The submission's conditions, checked before anything is created in documents."""
    meeting = conclusion.meeting
    roles = access.meeting_roles(official, meeting)
    if not roles:
        raise NotFoundError("Không tìm thấy thông báo kết luận.")
    if access.SECRETARY not in roles:
        raise NotAllowed(
            "Thư ký cuộc họp trình ký thông báo kết luận (chủ trì là người duyệt và ký)."
        )
    if expected_version is not None and conclusion.version != expected_version:
        raise CONCLUSION.stale()
    if conclusion.status != ConclusionStatus.DRAFT:
        raise ConclusionError("Thông báo kết luận đã được trình ký.")
    chair = meeting.chair
    if official.agency_id != meeting.agency_id:
        raise ConclusionError(
            "Thư ký phải là công chức của cơ quan tổ chức cuộc họp để soạn văn bản của cơ quan."
        )
    if (
        chair.agency_id != meeting.agency_id
        or not chair.user.is_active
        or not chair.has_role(Role.LEADER)
    ):
        raise ConclusionError(
            "Chủ trì cuộc họp không phải lãnh đạo của cơ quan tổ chức nên không duyệt, ký được "
            "thông báo kết luận."
        )


def submit_conclusion(
    *, actor: Actor, conclusion: Conclusion, expected_version: int | None = None
) -> Conclusion:
    """The secretary submits: an outgoing draft (TB) in the documents app, submitted to the chair
    for review and signature; the conclusion remembers it and waits for its issue."""
    official = CONCLUSION.official_for(actor)
    conclusion = (
        Conclusion.objects.select_related(
            "meeting__agency", "meeting__chair__user", "meeting__chair__position"
        )
        .filter(pk=conclusion.pk)
        .first()
    ) or conclusion
    _check_submit(conclusion, official, expected_version)
    meeting = conclusion.meeting
    units, agencies = _recipients(conclusion)
    document = documents.create_draft(
        actor=actor,
        data=documents.DraftInput(
            doc_type=NOTICE_TYPE,
            subject=notice_subject(meeting),
            content=notice_content(conclusion),
            internal_units=units,
            platform_agencies=agencies,
        ),
    )
    document = documents.submit_for_review(
        actor=actor,
        document=document,
        reviewer=meeting.chair,
        comment=f"Trình ký thông báo kết luận cuộc họp “{meeting.title}”."[:500],
    )
    with perform(
        CONCLUSION, "submit", actor=actor, case=conclusion, expected_version=expected_version
    ) as act:
        conclusion = act.case
        conclusion.document = document
        conclusion.submitted_at = timezone.now()
        act.save("document", "submitted_at")
        act.record(et.CONCLUSION_SUBMITTED, document=document.pk)
        notify(
            act,
            meeting.chair,
            key=f"meeting-conclusion:{conclusion.pk}:submitted:{document.pk}",
            kind="conclusion_to_sign",
            title=f"Thông báo kết luận chờ duyệt, ký: {meeting.title}",
            body="Thư ký đã trình dự thảo thông báo kết luận cuộc họp. Vui lòng duyệt và ký số.",
            link=_document_link(document.pk),
            sms=False,
        )
    return conclusion


def _document_link(pk: int) -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("documents:outgoing", args=[pk])
    except NoReverseMatch:
        return f"/van-ban/di/{pk}/"


# --- issued: the listener, the reconciler, the tasks ---------------------------------------------


def task_recipients(task: Task) -> list[Official]:
    """Who hears about a task: its named official, else the leaders of the assignee agency
    (else its clerks)."""
    if task.assignee_id is not None:
        assert task.assignee is not None
        return [task.assignee] if task.assignee.user.is_active else []
    base = Official.objects.filter(
        agency_id=task.assignee_agency_id, user__is_active=True
    ).select_related("user")
    leaders = list(base.filter(roles__role=Role.LEADER).distinct())
    return leaders or list(base.filter(roles__role=Role.CLERK).distinct())


def _assign(conclusion: Conclusion, plan: dict[str, Any], issued_at: datetime) -> Task:
    """One task started (inside the issue's transaction)."""
    agency = Agency.objects.get(pk=plan["agency"])
    assignee = (
        Official.objects.select_related("user").filter(pk=plan["assignee"]).first()
        if plan.get("assignee")
        else None
    )
    calendar = WorkingCalendar.for_agency(agency)
    with begin(TASK, "assign", actor=SYSTEM, durable=False) as act:
        task = Task.objects.create(
            conclusion=conclusion,
            title=plan["title"],
            assignee_agency=agency,
            assignee=assignee,
            due_days=int(plan["due_days"]),
            due_at=calendar.add_working_days(issued_at, int(plan["due_days"])),
        )
        act.case = task
        act.record(
            et.TASK_ASSIGNED,
            agency=agency.name,
            assignee=assignee.user.username if assignee else None,
            due_days=task.due_days,
        )
        due = local_text(task.due_at)
        for official in task_recipients(task):
            notify(
                act,
                official,
                key=f"meeting-task:{task.pk}:assigned:{official.pk}",
                kind="task_assigned",
                title=f"Nhiệm vụ được giao: {task.title}"[:300],
                body=(
                    f"Theo Thông báo kết luận số {conclusion.symbol}: {task.title}. "
                    f"Hạn hoàn thành: {due}."
                ),
                link=tasks_link(),
            )
    return task


def mark_issued(conclusion: Conclusion | int) -> Conclusion:
    """The notice was issued by the documents app: the number, and the tasks start."""
    with perform(CONCLUSION, "issued", actor=SYSTEM, case=conclusion) as act:
        conclusion = act.case
        document = (
            OutgoingDocument.objects.filter(pk=conclusion.document_id).first()
            if conclusion.document_id
            else None
        )
        if document is None or not document.symbol or document.issued_at is None:
            raise ConclusionError("Văn bản thông báo kết luận chưa được ban hành.")
        conclusion.symbol = document.symbol
        conclusion.issued_at = document.issued_at
        act.save("symbol", "issued_at")
        announce(
            act, act.record(et.CONCLUSION_ISSUED, document=document.pk, symbol=document.symbol)
        )
        for plan in conclusion.planned_tasks:
            _assign(conclusion, plan, document.issued_at)
    return conclusion


def document_issued(document_id: int) -> None:
    """documents' listener: a conclusion waiting for this document is marked issued."""
    waiting = Conclusion.objects.filter(
        document_id=document_id, status=ConclusionStatus.SUBMITTED
    ).values_list("pk", flat=True)
    for pk in waiting:
        mark_issued(pk)


def reconcile_issued() -> int:
    """Conclusions whose notice was issued but not marked (a listener that failed): marked now.
    Returns how many."""
    done = 0
    waiting = Conclusion.objects.filter(
        Q(status=ConclusionStatus.SUBMITTED)
        & Q(document__issued_at__isnull=False)
        & ~Q(document__symbol="")
    ).values_list("pk", flat=True)
    for pk in list(waiting):
        try:
            mark_issued(pk)
            done += 1
        except DomainError as exc:
            logger.warning("meetings: conclusion %s not marked issued: %s", pk, exc.message)
    return done
