"""The one-stop engine: every official action on a dossier runs here, in one transaction with
its event, on a locked dossier row, and only if the workflow (workflow.py) allows it.

Concurrency: each action locks the dossier (`SELECT ... FOR UPDATE`) and, when the caller passes
the `version` it saw, refuses if someone acted in between, so two officials acting on one dossier
at once cannot both succeed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any, NoReturn

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from egov.accounts.identity import normalize_phone, normalize_tax_code, parse_personal_id
from egov.catalog.models import Procedure, TimeUnit
from egov.catalog.services import note_submission
from egov.core.actors import Actor
from egov.core.errors import Conflict, DomainError, NotAllowed, NotFoundError
from egov.core.uploads import CheckedFile, UploadRejected, check_total, save_file
from egov.dossiers.codes import generator
from egov.dossiers.models import Channel, Dossier, DossierFile, ResultDelivery, Status
from egov.dossiers.services import _notify, actor_may_view, due_date
from egov.dossiers.uploads import check_paper
from egov.events.services import record_event
from egov.org.models import Agency, Official, Role, Unit
from egov.workcalendar.services import WorkingCalendar

from .models import ApologyLetter, DossierStep, StepStatus, SupplementRequest
from .workflow import TRANSITIONS


class WorkflowError(DomainError):
    code = "invalid_transition"
    http_status = 409


# --- helpers -------------------------------------------------------------------------------------


def official_of(actor: Actor) -> Official:
    if actor.kind != "official" or actor.user_id is None:
        raise NotAllowed("Chỉ công chức được xử lý hồ sơ.")
    official = Official.of_user(actor.user_id)
    if official is None:
        raise NotAllowed("Tài khoản chưa gắn với cơ quan.")
    return official


def _lock(dossier: Dossier | str, expected_version: int | None) -> Dossier:
    code = dossier if isinstance(dossier, str) else dossier.code
    locked = (
        Dossier.objects.select_for_update(of=("self",))
        .select_related("procedure", "agency", "process_version")
        .filter(code=code)
        .first()
    )
    if locked is None:
        raise NotFoundError("Không tìm thấy hồ sơ.")
    if expected_version is not None and locked.version != expected_version:
        raise Conflict(
            "Hồ sơ vừa được người khác xử lý. Vui lòng tải lại trang và thử lại.",
            code="stale_version",
        )
    return locked


def _check(action: str, dossier: Dossier, official: Official) -> None:
    transition = TRANSITIONS[action]
    if dossier.status not in transition.sources:
        raise WorkflowError(
            f"Không thể “{transition.label.lower()}” khi hồ sơ đang ở trạng thái "
            f"“{dossier.get_status_display()}”.",
        )
    if transition.role and not official.has_role(transition.role):
        raise NotAllowed(
            f"Thao tác “{transition.label.lower()}” cần vai trò {Role(transition.role).label}."
        )


def _require_visible(actor: Actor, dossier: Dossier) -> None:
    """The one scope policy (dossiers.scopes): a dossier the caller may not see — another
    agency's, or one whose step at the caller's agency has not started — is not found."""
    if not actor_may_view(actor, dossier):
        raise NotFoundError("Không tìm thấy hồ sơ.")


def _active_step(dossier: Dossier) -> DossierStep | None:
    return (
        dossier.steps.select_for_update(of=("self",))
        .filter(status=StepStatus.ACTIVE)
        .select_related("agency", "unit", "assignee")
        .first()
    )


def in_charge_agency_id(dossier: Dossier, step: DossierStep | None) -> int:
    """The agency that answers for the dossier now: the one holding its active step; before
    reception (and when no step is active) the receiving agency."""
    return step.agency_id if step is not None else dossier.agency_id


def _require_in_charge(dossier: Dossier, step: DossierStep | None, official: Official) -> None:
    """Actions that change the dossier's course (stop, return the result, form 04...) belong to
    the agency holding it now: on a chained process (liên thông) an agency whose step is done
    or still ahead may read what it worked on, not act."""
    if official.agency_id != in_charge_agency_id(dossier, step):
        holder = step.agency if step is not None else dossier.agency
        raise NotAllowed(
            f"Hồ sơ đang do {holder.name} xử lý: chỉ cơ quan đang giữ bước xử lý được thực hiện "
            "thao tác này."
        )


def holds(step: DossierStep | None, official: Official) -> bool:
    """The official holds the active step: its assignee, or the unit head or a leader of that
    agency acting for the holder (they answer for the unit)."""
    if step is None:
        return False
    if step.assignee_id == official.pk:
        return True
    return official.agency_id == step.agency_id and (
        official.has_role(Role.LEADER)
        or (official.has_role(Role.UNIT_HEAD) and step.unit_id in (None, official.unit_id))
    )


def _require_holder(step: DossierStep | None, official: Official) -> DossierStep:
    if step is None:
        raise WorkflowError("Hồ sơ không có bước đang xử lý.")
    if not holds(step, official):
        raise NotAllowed("Bước xử lý này không được giao cho bạn.")
    return step


def _event(
    actor: Actor, dossier: Dossier, event_type: str, official: Official | None, **payload: Any
) -> None:
    if official is not None:
        payload.setdefault("official", official.user.get_full_name())
        payload.setdefault("agency_name", official.agency.name)
        if official.unit_id:
            payload.setdefault("unit_name", official.unit.name if official.unit else "")
    payload.setdefault("status", dossier.status)
    record_event(
        actor=actor,
        event_type=event_type,
        subject_type="dossier",
        subject_id=dossier.code,
        agency_id=official.agency_id if official else dossier.agency_id,
        payload=payload,
    )


def _next_step_payload(step: DossierStep | None) -> dict[str, Any]:
    """Who holds the dossier next, for events that hand it over without a step_started event."""
    if step is None:
        return {}
    return {
        "next_step": step.order,
        "next_step_name": step.name,
        "next_agency_name": step.agency.name,
        "next_unit_name": step.unit.name if step.unit else "",
        "next_assignee": step.assignee.user.get_full_name() if step.assignee else "",
        "next_due_at": step.due_at,
    }


def _save(dossier: Dossier, *fields: str) -> None:
    dossier.version += 1
    dossier.save(update_fields=[*fields, "version", "updated_at"])


def budget_hours(dossier: Dossier, budget: Decimal, calendar: WorkingCalendar) -> Decimal:
    unit = (
        dossier.process_version.time_unit
        if dossier.process_version
        else (dossier.procedure.time_unit)
    )
    if unit == TimeUnit.WORKING_HOURS:
        return Decimal(budget)
    return Decimal(budget) * Decimal(calendar.day_length.total_seconds()) / 3600


def _least_loaded(agency: Agency, role: str, unit: Unit | None) -> Official | None:
    """Automatic assignment: the official with the role and the fewest active steps."""
    qs = Official.objects.filter(agency=agency, roles__role=role, user__is_active=True)
    if unit is not None:
        qs = qs.filter(unit=unit)
    return (
        qs.annotate(
            load=Count("assigned_steps", filter=Q(assigned_steps__status=StepStatus.ACTIVE))
        )
        .order_by("load", "pk")
        .first()
    )


def _unit_for(agency: Agency, role: str, unit_kind: str) -> Unit | None:
    if role == Role.RECEIVER:
        unit_kind = unit_kind or Unit.Kind.ONE_STOP_DESK
    if not unit_kind:
        return None
    return Unit.objects.filter(agency=agency, kind=unit_kind, is_active=True).order_by("pk").first()


def _activate(step: DossierStep, now: datetime) -> DossierStep:
    calendar = WorkingCalendar.for_agency(step.agency_id)
    step.status = StepStatus.ACTIVE
    step.started_at = now
    step.due_at = calendar.add_working_hours(now, step.budget_hours)
    if step.assignee_id is None:
        unit_kind = step.process_step.unit_kind if step.process_step else ""
        step.unit = step.unit or _unit_for(step.agency, step.role, unit_kind)
        # The role in this unit, else anywhere in the agency.
        step.assignee = _least_loaded(step.agency, step.role, step.unit) or _least_loaded(
            step.agency, step.role, None
        )
        if step.unit is None and step.assignee is not None:
            step.unit = step.assignee.unit
    step.save()
    return step


def _create_steps(dossier: Dossier, received_at: datetime) -> list[DossierStep]:
    """One row per step of the dossier's process version; the reception step is done."""
    calendar = WorkingCalendar.for_agency(dossier.agency)
    agencies = {a.identifier: a for a in Agency.objects.filter(is_active=True)}
    rows = []
    process_steps = list(dossier.process_version.steps.all()) if dossier.process_version else []
    if not process_steps:
        raise DomainError(
            "Thủ tục chưa có quy trình nội bộ, không thể tiếp nhận.", code="no_process"
        )
    for ps in process_steps:
        agency = agencies.get(ps.agency_identifier) if ps.agency_identifier else dossier.agency
        if agency is None:
            raise DomainError(
                f"Bước “{ps.name}” do cơ quan {ps.agency_identifier} thực hiện, nhưng cơ quan này "
                "không có trên hệ thống.",
                code="unknown_agency",
            )
        rows.append(
            DossierStep(
                dossier=dossier,
                process_step=ps,
                order=ps.order,
                name=ps.name,
                role=ps.role,
                agency=agency,
                budget_hours=budget_hours(dossier, ps.budget, calendar),
            )
        )
    DossierStep.objects.bulk_create(rows)
    return list(dossier.steps.order_by("order", "id"))


# --- reception -----------------------------------------------------------------------------------


def _start_processing(actor: Actor, dossier: Dossier, official: Official, now: datetime) -> None:
    steps = _create_steps(dossier, now)
    first = steps[0]
    if first.role == Role.RECEIVER:
        first.status, first.started_at, first.finished_at = StepStatus.DONE, now, now
        first.assignee, first.unit = official, official.unit
        first.due_at = WorkingCalendar.for_agency(first.agency_id).add_working_hours(
            now, first.budget_hours
        )
        first.save()
        following = steps[1] if len(steps) > 1 else None
    else:
        following = first
    dossier.status = Status.PROCESSING
    _save(dossier, "status")
    if following is not None:
        _activate(following, now)
        _event(
            actor,
            dossier,
            "dossier.step_started",
            None,
            step=following.order,
            step_name=following.name,
            agency_name=following.agency.name,
            unit_name=following.unit.name if following.unit else "",
            assignee=following.assignee.user.get_full_name() if following.assignee else "",
            due_at=following.due_at,
        )


@transaction.atomic
def receive_online(*, actor: Actor, dossier: Dossier | str, version: int | None = None) -> Dossier:
    """Accept an online dossier after checking it: status 2, appointment date set, then the
    process starts (status 4)."""
    official = official_of(actor)
    locked = _lock(dossier, version)
    _require_visible(actor, locked)
    _check("receive", locked, official)
    _require_in_charge(locked, None, official)
    now = timezone.now()
    locked.received_at = now
    locked.status = Status.RECEIVED
    locked.appointment_at = due_date(locked.procedure, locked.agency, now, locked.process_version)
    _save(locked, "received_at", "status", "appointment_at")
    _event(actor, locked, "dossier.received", official, appointment_at=locked.appointment_at)
    _start_processing(actor, locked, official, now)
    _notify(
        locked,
        "received",
        f"Hồ sơ {locked.code} đã được tiếp nhận. Ngày hẹn trả kết quả: "
        f"{timezone.localtime(locked.appointment_at):%d/%m/%Y}.",
    )
    return locked


@dataclass
class Applicant:
    kind: str  # "citizen" | "business"
    name: str
    id_number: str
    phone: str = ""
    email: str = ""


def _account_of(person: Applicant) -> Any:
    """The portal account of the applicant, for "Hồ sơ của tôi": only one whose holder was
    shown to hold this id number or tax code. Anyone may self-register someone else's number;
    such an unverified account never receives dossiers received at the desk."""
    from egov.accounts.services import verified_account

    return verified_account(person.kind, person.id_number)


def _clean_applicant(applicant: Applicant) -> Applicant:
    errors: dict[str, list[str]] = {}
    name = " ".join(applicant.name.split())
    if not name or len(name) > 255:
        errors["applicant_name"] = ["Nhập họ tên chủ hồ sơ (tối đa 255 ký tự)."]
    number = applicant.id_number
    try:
        if applicant.kind == "business":
            number = normalize_tax_code(applicant.id_number)
        else:
            number = parse_personal_id(applicant.id_number).number
    except Exception as exc:
        errors["applicant_id_number"] = list(getattr(exc, "messages", [str(exc)]))
    phone = applicant.phone
    if phone:
        try:
            phone = normalize_phone(phone)
        except Exception as exc:
            errors["applicant_phone"] = list(getattr(exc, "messages", [str(exc)]))
    if errors:
        raise DomainError("Thông tin chủ hồ sơ chưa hợp lệ.", code="invalid", fields=errors)
    return Applicant(applicant.kind, name, number, phone, applicant.email.strip().lower())


def receive_in_person(
    *,
    actor: Actor,
    procedure_code: str,
    applicant: Applicant,
    uploads: Mapping[str, Sequence[UploadedFile]],
    channel: int = Channel.IN_PERSON,
    result_delivery: str = ResultDelivery.DESK,
    delivery_address: str = "",
    summary: str = "",
) -> Dossier:
    """The one-stop desk receives a dossier brought in person or by post and scans its papers."""
    official = official_of(actor)
    if not official.has_role(Role.RECEIVER):
        raise NotAllowed("Cần vai trò cán bộ tiếp nhận Một cửa.")
    if channel not in (Channel.IN_PERSON, Channel.POST):
        raise DomainError("Kênh tiếp nhận không hợp lệ.", code="invalid")
    procedure = Procedure.objects.filter(code=procedure_code, is_published=True).first()
    if procedure is None or not procedure.agencies.filter(pk=official.agency_id).exists():
        raise NotFoundError(
            "Cơ quan của bạn không thực hiện thủ tục này.", code="unknown_procedure"
        )
    person = _clean_applicant(applicant)
    if result_delivery == ResultDelivery.POST and not delivery_address.strip():
        raise DomainError(
            "Nhận qua bưu chính cần địa chỉ.",
            code="invalid",
            fields={"delivery_address": ["Bắt buộc."]},
        )
    components = {c.code: c for c in procedure.components.all()}
    errors: dict[str, list[str]] = {}
    checked: list[tuple[Any, CheckedFile]] = []
    check_total(f for files in uploads.values() for f in files)
    for code, files in uploads.items():
        if code not in components:
            errors[code] = ["Thành phần hồ sơ không thuộc thủ tục này."]
            continue
        for upload in files:
            try:
                checked.append((components[code], check_paper(upload, label=components[code].name)))
            except UploadRejected as exc:
                errors.setdefault(code, []).append(exc.message)
    for code, component in components.items():
        if component.required and not component.is_online_form and code not in uploads:
            errors[code] = [f"Thiếu thành phần bắt buộc: {component.name}."]
    if errors:
        raise DomainError("Hồ sơ chưa đủ thành phần.", code="submission_invalid", fields=errors)
    with transaction.atomic():
        now = timezone.now()
        process = procedure.current_process()
        dossier = Dossier.objects.create(
            code=generator()(official.agency.identifier, timezone.localdate(now)),
            procedure=procedure,
            process_version=process,
            agency=official.agency,
            applicant=_account_of(person),
            applicant_kind=person.kind,
            applicant_name=person.name,
            applicant_id_number=person.id_number,
            applicant_phone=person.phone,
            applicant_email=person.email,
            summary=summary.strip()[:500] or procedure.name,
            channel=channel,
            status=Status.RECEIVED,
            result_delivery=result_delivery,
            delivery_address=delivery_address.strip(),
            fee_total=sum(f.amount for f in procedure.fees.all()),
            submitted_at=now,
            received_at=now,
            appointment_at=due_date(procedure, official.agency, now, process),
        )
        for component, item in checked:
            row = DossierFile(
                dossier=dossier,
                component=component,
                original_name=item.name,
                content_type=item.content_type,
                size=item.size,
                sha256=item.sha256,
                page_count=item.page_count,
            )
            save_file(row.file, item.name, item.content)
            row.save()
        note_submission(procedure)
        _event(
            actor,
            dossier,
            "dossier.received",
            official,
            channel=channel,
            appointment_at=dossier.appointment_at,
            files=[{"component": c.code, "name": f.name, "sha256": f.sha256} for c, f in checked],
        )
        _start_processing(actor, dossier, official, now)
        _notify(
            dossier,
            "received",
            f"Hồ sơ {dossier.code} đã được tiếp nhận. Ngày hẹn trả kết quả: "
            f"{timezone.localtime(dossier.appointment_at):%d/%m/%Y}.",
        )
    return dossier


@transaction.atomic
def refuse(
    *, actor: Actor, dossier: Dossier | str, reason: str, version: int | None = None
) -> Dossier:
    """Form 03: refuse to receive, with reasons."""
    official = official_of(actor)
    reason = _reason(reason)
    locked = _lock(dossier, version)
    _require_visible(actor, locked)
    _check("refuse", locked, official)
    _require_in_charge(locked, None, official)
    locked.status = Status.REFUSED
    locked.finished_at = timezone.now()
    _save(locked, "status", "finished_at")
    _event(actor, locked, "dossier.refused", official, reason=reason)
    _notify(locked, "refused", f"Hồ sơ {locked.code} không được tiếp nhận. Lý do: {reason}")
    return locked


def _reason(text: str, field: str = "reason") -> str:
    text = (text or "").strip()
    if not text:
        raise DomainError("Vui lòng ghi rõ lý do.", code="invalid", fields={field: ["Bắt buộc."]})
    if len(text) > 2000:
        raise DomainError("Lý do tối đa 2000 ký tự.", code="invalid", fields={field: ["Quá dài."]})
    return text


# --- processing ----------------------------------------------------------------------------------


@transaction.atomic
def assign(
    *, actor: Actor, dossier: Dossier | str, official_id: int, version: int | None = None
) -> DossierStep:
    """The unit head (or a leader) gives the active step to an official of the unit."""
    official = official_of(actor)
    locked = _lock(dossier, version)
    _require_visible(actor, locked)
    _check("assign", locked, official)
    step = _active_step(locked)
    if step is None or step.agency_id != official.agency_id:
        raise WorkflowError("Không có bước đang xử lý tại cơ quan của bạn.")
    if not (
        official.has_role(Role.LEADER)
        or (official.has_role(Role.UNIT_HEAD) and step.unit_id in (None, official.unit_id))
    ):
        raise NotAllowed("Chỉ lãnh đạo phòng hoặc lãnh đạo cơ quan được phân công.")
    target = Official.objects.filter(pk=official_id, agency_id=step.agency_id).first()
    if target is None or not target.has_role(step.role):
        raise DomainError(
            "Người được giao phải thuộc cơ quan và có vai trò của bước này.",
            code="invalid",
            fields={"official": ["Không hợp lệ."]},
        )
    step.assignee = target
    step.save(update_fields=["assignee"])
    _save(locked)
    _event(
        actor,
        locked,
        "dossier.assigned",
        official,
        step=step.order,
        step_name=step.name,
        assignee=target.user.get_full_name(),
    )
    return step


@transaction.atomic
def forward(
    *, actor: Actor, dossier: Dossier | str, note: str = "", version: int | None = None
) -> Dossier:
    """Finish the active step and hand the dossier to the next one. Finishing a leader's step is
    the approval; when only the return step is left, processing is done (status 9)."""
    official = official_of(actor)
    locked = _lock(dossier, version)
    _require_visible(actor, locked)
    _check("forward", locked, official)
    step = _require_holder(_active_step(locked), official)
    if step.role == Role.LEADER and not official.has_role(Role.LEADER):
        raise NotAllowed("Bước này cần lãnh đạo cơ quan phê duyệt.")
    if len(note) > 2000:
        raise DomainError("Ý kiến xử lý tối đa 2000 ký tự.", code="invalid")
    now = timezone.now()
    step.status, step.finished_at, step.note = StepStatus.DONE, now, note.strip()
    step.save(update_fields=["status", "finished_at", "note"])
    remaining = list(
        locked.steps.select_for_update().filter(status=StepStatus.PENDING).order_by("order", "id")
    )
    event_type = "dossier.approved" if step.role == Role.LEADER else "dossier.forwarded"
    _event(
        actor,
        locked,
        event_type,
        official,
        step=step.order,
        step_name=step.name,
        note=step.note,
        on_time=step.on_time,
        due_at=step.due_at,
        step_id=step.pk,
    )
    if not remaining or (len(remaining) == 1 and remaining[0].role == Role.RECEIVER):
        locked.status = Status.DONE
        locked.finished_at = now
        _save(locked, "status", "finished_at")
        back = _activate(remaining[0], now) if remaining else None
        _event(
            actor,
            locked,
            "dossier.done",
            official,
            on_time=locked.finished_at <= locked.appointment_at if locked.appointment_at else None,
            # The return step now held by the desk (the process control sheet, form 05).
            **_next_step_payload(back),
        )
        _notify(locked, "done", f"Hồ sơ {locked.code} đã có kết quả.")
        return locked
    nxt = _activate(remaining[0], now)
    _save(locked)
    _event(
        actor,
        locked,
        "dossier.step_started",
        None,
        step=nxt.order,
        step_name=nxt.name,
        agency_name=nxt.agency.name,
        unit_name=nxt.unit.name if nxt.unit else "",
        assignee=nxt.assignee.user.get_full_name() if nxt.assignee else "",
        due_at=nxt.due_at,
        transferred=nxt.agency_id != step.agency_id,
    )
    return locked


@transaction.atomic
def send_back(
    *, actor: Actor, dossier: Dossier | str, to_order: int, reason: str, version: int | None = None
) -> Dossier:
    """Return the dossier to an earlier step with a reason; that step is re-opened as a new row."""
    official = official_of(actor)
    reason = _reason(reason)
    locked = _lock(dossier, version)
    _require_visible(actor, locked)
    _check("send_back", locked, official)
    step = _require_holder(_active_step(locked), official)
    earlier = (
        locked.steps.filter(order=to_order, order__lt=step.order, status=StepStatus.DONE)
        .order_by("-id")
        .first()
    )
    if earlier is None or (earlier.role == Role.RECEIVER and earlier.order == 1):
        raise DomainError(
            "Chỉ trả lại được một bước xử lý đã qua.",
            code="invalid",
            fields={"to_order": ["Không hợp lệ."]},
        )
    now = timezone.now()
    step.status, step.finished_at, step.note = StepStatus.SENT_BACK, now, reason
    step.save(update_fields=["status", "finished_at", "note"])
    # Steps between the earlier one and the current one run again after it.
    redo = list(
        locked.steps.filter(
            order__gt=to_order,
            order__lte=step.order,
            status__in=[StepStatus.DONE, StepStatus.SENT_BACK],
        ).order_by("order", "-id")
    )
    seen: set[int] = set()
    copies = []
    for row in redo:
        if row.order in seen:
            continue
        seen.add(row.order)
        copies.append(
            DossierStep(
                dossier=locked,
                process_step=row.process_step,
                order=row.order,
                name=row.name,
                role=row.role,
                agency=row.agency,
                unit=row.unit,
                assignee=row.assignee,
                budget_hours=row.budget_hours,
            )
        )
    reopened = DossierStep(
        dossier=locked,
        process_step=earlier.process_step,
        order=earlier.order,
        name=earlier.name,
        role=earlier.role,
        agency=earlier.agency,
        unit=earlier.unit,
        assignee=earlier.assignee,
        budget_hours=earlier.budget_hours,
    )
    DossierStep.objects.bulk_create(copies)
    _activate(reopened, now)
    locked.status = Status.PROCESSING
    _save(locked, "status")
    _event(
        actor,
        locked,
        "dossier.sent_back",
        official,
        step=step.order,
        step_id=step.pk,
        to_step=to_order,
        reason=reason,
        step_name=earlier.name,
        **_next_step_payload(reopened),
    )
    return locked


@transaction.atomic
def request_supplement(
    *, actor: Actor, dossier: Dossier | str, reason: str, version: int | None = None
) -> SupplementRequest:
    """Form 02. The clock stops until the applicant answers; a second request is flagged."""
    official = official_of(actor)
    reason = _reason(reason)
    locked = _lock(dossier, version)
    _require_visible(actor, locked)
    _check("request_supplement", locked, official)
    if locked.status != Status.NEW:
        _require_holder(_active_step(locked), official)
    elif not official.has_role(Role.RECEIVER):
        raise NotAllowed("Cần vai trò cán bộ tiếp nhận Một cửa.")
    else:
        _require_in_charge(locked, None, official)
    now = timezone.now()
    request = SupplementRequest.objects.create(
        dossier=locked,
        requested_by=official,
        reason=reason,
        requested_at=now,
    )
    locked.supplement_count += 1
    locked.status = Status.SUPPLEMENT_REQUESTED
    _save(locked, "status", "supplement_count")
    _event(
        actor,
        locked,
        "dossier.supplement_requested",
        official,
        reason=reason,
        count=locked.supplement_count,
        repeated=locked.supplement_count > 1,
    )
    _notify(
        locked,
        f"supplement-{request.pk}",
        f"Hồ sơ {locked.code} cần bổ sung: {reason}. Vui lòng bổ sung trên Cổng dịch vụ công "
        "hoặc tại Bộ phận Một cửa.",
    )
    return request


def resume_after_supplement(dossier: Dossier, now: datetime) -> int:
    """Called inside the applicant's supplement transaction: stop the pause, move the appointment
    date and the active step's due time by the working time spent waiting. Returns the status the
    dossier goes back to."""
    request = (
        SupplementRequest.objects.select_for_update()
        .filter(dossier=dossier, answered_at__isnull=True)
        .order_by("-requested_at")
        .first()
    )
    calendar = WorkingCalendar.for_agency(dossier.agency_id)
    if request is not None:
        paused = calendar.working_time_between(request.requested_at, now)
        request.answered_at = now
        request.paused_seconds = max(int(paused.total_seconds()), 0)
        request.save(update_fields=["answered_at", "paused_seconds"])
        if dossier.appointment_at and request.paused_seconds:
            dossier.appointment_at = calendar.add_working_hours(dossier.appointment_at, paused)
        step = dossier.steps.filter(status=StepStatus.ACTIVE).first()
        if step is not None and step.due_at and request.paused_seconds:
            step.due_at = calendar.add_working_hours(step.due_at, paused)
            step.save(update_fields=["due_at"])
    return Status.PROCESSING if dossier.received_at else Status.NEW


@transaction.atomic
def request_payment(
    *, actor: Actor, dossier: Dossier | str, amount: int, reason: str, version: int | None = None
) -> Dossier:
    official = official_of(actor)
    reason = _reason(reason)
    if not isinstance(amount, int) or amount <= 0:
        raise DomainError(
            "Số tiền phải là số nguyên dương (đồng).",
            code="invalid",
            fields={"amount": ["Không hợp lệ."]},
        )
    locked = _lock(dossier, version)
    _require_visible(actor, locked)
    _check("request_payment", locked, official)
    _require_holder(_active_step(locked), official)
    locked.status = Status.PAYMENT_REQUESTED
    _save(locked, "status")
    _event(actor, locked, "dossier.payment_requested", official, amount=amount, reason=reason)
    _notify(
        locked,
        f"payment-{locked.version}",
        f"Hồ sơ {locked.code}: vui lòng nộp {amount:,} đồng ({reason}).".replace(",", "."),
    )
    return locked


@transaction.atomic
def payment_received(
    *, actor: Actor, dossier: Dossier | str, receipt_number: str = "", version: int | None = None
) -> Dossier:
    official = official_of(actor)
    locked = _lock(dossier, version)
    _require_visible(actor, locked)
    _check("payment_received", locked, official)
    step = _active_step(locked)
    # The holder who asked for it, or the one-stop desk where the applicant pays: the receiving
    # agency's or the holding agency's.
    desks = {locked.agency_id, in_charge_agency_id(locked, step)}
    if not (
        holds(step, official) or (official.has_role(Role.RECEIVER) and official.agency_id in desks)
    ):
        raise NotAllowed(
            "Chỉ người đang giữ bước xử lý hoặc Bộ phận Một cửa được xác nhận đã nộp phí."
        )
    locked.status = Status.PROCESSING
    _save(locked, "status")
    _event(actor, locked, "dossier.payment_received", official, receipt=receipt_number[:60])
    return locked


@transaction.atomic
def stop(
    *, actor: Actor, dossier: Dossier | str, reason: str, version: int | None = None
) -> Dossier:
    official = official_of(actor)
    reason = _reason(reason)
    locked = _lock(dossier, version)
    _require_visible(actor, locked)
    _check("stop", locked, official)
    _require_in_charge(locked, _active_step(locked), official)
    now = timezone.now()
    locked.steps.filter(status__in=[StepStatus.ACTIVE, StepStatus.PENDING]).update(
        status=StepStatus.CANCELLED, finished_at=now
    )
    locked.status, locked.finished_at = Status.STOPPED, now
    _save(locked, "status", "finished_at")
    _event(actor, locked, "dossier.stopped", official, reason=reason)
    _notify(locked, "stopped", f"Hồ sơ {locked.code} bị dừng xử lý. Lý do: {reason}")
    return locked


@transaction.atomic
def withdraw(
    *, actor: Actor, dossier: Dossier | str, reason: str, version: int | None = None
) -> Dossier:
    """Marked at the desk on the applicant's request; ends processing."""
    official = official_of(actor)
    reason = _reason(reason)
    locked = _lock(dossier, version)
    _require_visible(actor, locked)
    _check("withdraw", locked, official)
    # The applicant asks at the one-stop desk that received the dossier (not at an agency of
    # the chain further down, which never dealt with them).
    if official.agency_id != locked.agency_id:
        raise NotAllowed("Rút hồ sơ được ghi nhận tại Bộ phận Một cửa của cơ quan tiếp nhận.")
    now = timezone.now()
    locked.steps.filter(status__in=[StepStatus.ACTIVE, StepStatus.PENDING]).update(
        status=StepStatus.CANCELLED, finished_at=now
    )
    locked.status, locked.finished_at = Status.WITHDRAWAL_REQUESTED, now
    _save(locked, "status", "finished_at")
    _event(actor, locked, "dossier.withdrawn", official, reason=reason)
    return locked


def record_result(
    *, actor: Actor, dossier: Dossier | str, upload: UploadedFile, version: int | None = None
) -> DossierFile:
    """Attach the result document (e.g. the signed certificate) before or after approval."""
    official = official_of(actor)
    item = check_paper(upload, label="kết quả giải quyết")
    with transaction.atomic():
        locked = _lock(dossier, version)
        _require_visible(actor, locked)
        _check("record_result", locked, official)
        _require_holder(_active_step(locked), official)
        row = DossierFile(
            dossier=locked,
            kind=DossierFile.Kind.RESULT,
            original_name=item.name,
            content_type=item.content_type,
            size=item.size,
            sha256=item.sha256,
            page_count=item.page_count,
        )
        save_file(row.file, item.name, item.content)
        row.save()
        _save(locked)
        _event(
            actor,
            locked,
            "dossier.result_recorded",
            official,
            name=item.name,
            sha256=item.sha256,
        )
    return row


@transaction.atomic
def return_result(
    *, actor: Actor, dossier: Dossier | str, method: str | None = None, version: int | None = None
) -> Dossier:
    """Hand the result back (desk, online or post): status 10."""
    official = official_of(actor)
    locked = _lock(dossier, version)
    _require_visible(actor, locked)
    _check("return_result", locked, official)
    step = _active_step(locked)  # the return step, at the desk the process names
    _require_in_charge(locked, step, official)
    method = method or locked.result_delivery
    if method not in ResultDelivery.values:
        raise DomainError("Hình thức trả kết quả không hợp lệ.", code="invalid")
    if (
        method == ResultDelivery.ONLINE
        and not locked.files.filter(kind=DossierFile.Kind.RESULT).exists()
    ):
        raise DomainError(
            "Trả kết quả trực tuyến cần tệp kết quả đã cập nhật.", code="no_result_file"
        )
    now = timezone.now()
    if step is not None:
        step.status, step.finished_at, step.assignee = (
            StepStatus.DONE,
            now,
            step.assignee or official,
        )
        step.save(update_fields=["status", "finished_at", "assignee"])
    locked.status, locked.returned_at = Status.RETURNED, now
    _save(locked, "status", "returned_at")
    _event(actor, locked, "dossier.returned", official, method=method)
    _notify(
        locked,
        "returned",
        f"Hồ sơ {locked.code} đã trả kết quả ({ResultDelivery(method).label.lower()}).",
    )
    return locked


# --- late dossiers: apology letter (form 04) -----------------------------------------------------


# Form 04 moves the appointment date the applicant was given (and the on-time rule with it). No
# legal text caps the new date, so the engine does: at most one more run of the procedure's own
# legal time after the current appointment (a delay may at most double what was promised), and
# never less than APOLOGY_MIN_EXTENSION_DAYS working days, so that a procedure of a few hours can
# still be put off to a date an agency down the chain can meet.
APOLOGY_MIN_EXTENSION_DAYS = 5


def latest_new_appointment(dossier: Dossier) -> datetime | None:
    """The latest date form 04 may promise for this dossier now (None: it has no appointment)."""
    if dossier.appointment_at is None:
        return None
    calendar = WorkingCalendar.for_agency(dossier.agency_id)
    again = due_date(
        dossier.procedure, dossier.agency, dossier.appointment_at, dossier.process_version
    )
    floor = calendar.add_working_days(dossier.appointment_at, APOLOGY_MIN_EXTENSION_DAYS)
    return max(again, floor)


def _check_new_appointment(dossier: Dossier, new_at: datetime, now: datetime) -> datetime:
    """A new appointment date: after the current one and after now, no later than
    latest_new_appointment, on a working day. Refused with a field error on new_appointment_at;
    returns the current appointment."""

    def refuse(message: str, detail: str) -> NoReturn:
        raise DomainError(message, code="invalid", fields={"new_appointment_at": [detail]})

    latest = latest_new_appointment(dossier)
    if latest is None or dossier.appointment_at is None:
        refuse("Hồ sơ chưa có ngày hẹn trả kết quả.", "Không hợp lệ.")
    if new_at <= dossier.appointment_at or new_at <= now:
        refuse(
            "Ngày hẹn mới phải sau ngày hẹn hiện tại "
            f"({timezone.localtime(dossier.appointment_at):%d/%m/%Y}) và sau hôm nay.",
            "Không hợp lệ.",
        )
    # Any time of the latest day will do (the pages send the end of the chosen day). Compared
    # as moments, so that a far date is refused before it is converted to local time.
    day_after = timezone.localdate(latest) + timedelta(days=1)
    if new_at >= datetime.combine(day_after, time.min, timezone.get_current_timezone()):
        refuse(
            f"Ngày hẹn mới không được sau {timezone.localtime(latest):%d/%m/%Y} (gia hạn tối đa "
            "thêm một lần thời hạn giải quyết của thủ tục).",
            "Quá xa so với ngày hẹn hiện tại.",
        )
    calendar = WorkingCalendar.for_agency(dossier.agency_id)
    if not calendar.is_working_day(timezone.localdate(new_at)):
        refuse("Ngày hẹn mới phải là ngày làm việc.", "Không phải ngày làm việc.")
    return dossier.appointment_at


@transaction.atomic
def draft_apology(
    *, actor: Actor, dossier: Dossier | str, reason: str, new_appointment_at: datetime
) -> ApologyLetter:
    """Drafted by whoever holds the active step (its assignee, or the unit head or a leader of
    that agency for them): the agency answering for the delay. Not the clerk, not another
    official of the agency, not an agency whose step is done or still ahead."""
    official = official_of(actor)
    reason = _reason(reason)
    locked = _lock(dossier, None)
    _require_visible(actor, locked)
    _check("draft_apology", locked, official)
    step = _active_step(locked)
    _require_in_charge(locked, step, official)
    _require_holder(step, official)
    current = _check_new_appointment(locked, new_appointment_at, timezone.now())
    letter = ApologyLetter.objects.create(
        dossier=locked,
        drafted_by=official,
        reason=reason,
        previous_appointment_at=current,
        new_appointment_at=new_appointment_at,
    )
    _event(
        actor,
        locked,
        "dossier.apology_drafted",
        official,
        reason=reason,
        new_appointment_at=new_appointment_at,
        letter=letter.pk,
    )
    return letter


@transaction.atomic
def decide_apology(*, actor: Actor, letter_id: int, approve: bool) -> ApologyLetter:
    """A leader of the agency holding the active step approves (the appointment moves, the
    applicant is told) or rejects the letter. The date is checked again on approval: the
    appointment may have moved since the draft."""
    official = official_of(actor)
    letter = ApologyLetter.objects.select_for_update().filter(pk=letter_id).first()
    if letter is None:
        raise NotFoundError("Không tìm thấy phiếu xin lỗi.")
    locked = _lock(letter.dossier.code, None)
    _require_visible(actor, locked)
    _check("approve_apology", locked, official)
    step = _active_step(locked)
    _require_in_charge(locked, step, official)
    _require_holder(step, official)
    if letter.status != ApologyLetter.Status.DRAFT:
        raise WorkflowError("Phiếu này đã được xử lý.")
    now = timezone.now()
    if approve:
        _check_new_appointment(locked, letter.new_appointment_at, now)
    letter.status = ApologyLetter.Status.APPROVED if approve else ApologyLetter.Status.REJECTED
    letter.decided_by, letter.decided_at = official, now
    letter.save(update_fields=["status", "decided_by", "decided_at"])
    if approve:
        locked.appointment_at = letter.new_appointment_at
        _save(locked, "appointment_at")
        _event(
            actor,
            locked,
            "dossier.apology_approved",
            official,
            letter=letter.pk,
            reason=letter.reason,
            appointment_at=letter.new_appointment_at,
            previous_appointment_at=letter.previous_appointment_at,
        )
        _notify(
            locked,
            f"apology-{letter.pk}",
            f"Xin lỗi ông/bà: hồ sơ {locked.code} chậm so với hẹn ({letter.reason}). "
            f"Ngày hẹn trả mới: {timezone.localtime(letter.new_appointment_at):%d/%m/%Y}.",
        )
    else:
        _event(actor, locked, "dossier.apology_rejected", official, letter=letter.pk)
    return letter


# --- on time or late -----------------------------------------------------------------------------


def is_on_time(dossier: Dossier, at: datetime | None = None) -> bool | None:
    """The 766 rule: on time when the end of processing is not after the appointment date; an
    open dossier is judged at `at` (the end of a reporting period). More than one supplement
    request counts as late when settings.ONESTOP_REPEATED_SUPPLEMENT_IS_LATE (default on)."""
    if dossier.appointment_at is None:
        return None
    if dossier.supplement_count > 1 and getattr(
        settings, "ONESTOP_REPEATED_SUPPLEMENT_IS_LATE", True
    ):
        return False
    end = dossier.finished_at or at or timezone.now()
    return end <= dossier.appointment_at
