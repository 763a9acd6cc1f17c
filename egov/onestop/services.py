"""The one-stop engine: every action on a dossier (the applicant's supplement answer included)
runs here as an action of the dossier case type (cases.py) on the case kernel: the row locked and
its version checked, the transition checked against workflow.py, the write, the typed event
(event_types.py) and the applicant's notifications in one durable transaction.

Beyond the table, the engine decides which official may act: the holder of the active step, the
agency in charge of the dossier, the receiving desk.
"""

from __future__ import annotations

import hashlib
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
from egov.accounts.models import User
from egov.cases import Action, TransitionRefused, perform
from egov.catalog.models import PaymentTiming, Procedure, ReceptionDesk, TimeUnit
from egov.catalog.services import desk_agency_id, note_submission
from egov.core.actors import Actor, actor_for_user
from egov.core.dates import local_text
from egov.core.errors import Conflict, DomainError, NotAllowed, NotFoundError
from egov.core.uploads import CheckedFile, UploadRejected, check_total
from egov.dossiers import event_types as E
from egov.dossiers import fees as fee_rules
from egov.dossiers.codes import enter_in_register, generator
from egov.dossiers.error_codes import DossierErrorCode
from egov.dossiers.models import (
    Channel,
    Dossier,
    DossierFile,
    PaymentState,
    ResultDelivery,
    Status,
)
from egov.dossiers.notify import notify_applicant
from egov.dossiers.services import SubmissionError, due_date, store_paper
from egov.dossiers.uploads import check_paper
from egov.events.catalogue import EventType
from egov.org.models import Agency, Official, Role, Unit
from egov.workcalendar.deadlines import due_after_pause, ended_in_time
from egov.workcalendar.services import WorkingCalendar

from . import notices
from .cases import DOSSIER, event_agency_id
from .error_codes import OnestopErrorCode as Code
from .models import ApologyLetter, DossierStep, SignedResult, StepStatus, SupplementRequest

# A refused transition (409 invalid_transition): the kernel's, also raised by the engine's own
# checks (no active step, a letter already decided).
WorkflowError = TransitionRefused


# --- helpers -------------------------------------------------------------------------------------


def official_of(actor: Actor) -> Official:
    """The acting official (pages and the API ask before they offer an action)."""
    return DOSSIER.official_for(actor)


def _record(act: Action[Dossier], event_type: EventType[Any], **payload: Any) -> None:
    """The action's event, on the acting official's agency chain, with who acted."""
    act.record(event_type, agency_id=event_agency_id(act), **payload)


def _active_step(dossier: Dossier) -> DossierStep | None:
    return (
        dossier.steps.select_for_update(of=("self",))
        .filter(status=StepStatus.ACTIVE)
        .select_related("agency", "unit", "assignee")
        .first()
    )


def reception_desk_id(dossier: Dossier) -> int:
    """The agency whose one-stop desk receives the dossier and returns its result. Once received:
    the desk that received it (its first desk step). Before: the one the catalogue names
    (catalog.ReceptionDesk: the provincial public administrative service centre receives a
    department's procedure, Decree 61/2018 as amended by Decree 107/2021), else the dossier's
    own agency."""
    if dossier.received_at is not None:
        desk = (
            dossier.steps.filter(role=Role.RECEIVER)
            .order_by("order", "id")
            .values_list("agency_id", flat=True)
            .first()
        )
        if desk is not None:
            return int(desk)
    return desk_agency_id(dossier.procedure_id, dossier.agency_id)


def in_charge_agency_id(dossier: Dossier, step: DossierStep | None) -> int:
    """The agency that answers for the dossier now: the one holding its active step; before
    reception (and when no step is active) the receiving desk (reception_desk_id)."""
    return step.agency_id if step is not None else reception_desk_id(dossier)


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


def _step_started(act: Action[Dossier], step: DossierStep, **extra: Any) -> None:
    """The engine's record that a step started (who holds it now), on the receiving agency's
    chain; not the acting official's own event, so without the acting official's name."""
    act.record(
        E.STEP_STARTED,
        defaults=False,
        status=act.case.status,
        step=step.order,
        step_name=step.name,
        agency_name=step.agency.name,
        unit_name=step.unit.name if step.unit else "",
        assignee=step.assignee.user.get_full_name() if step.assignee else "",
        due_at=step.due_at,
        **extra,
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
            "Thủ tục chưa có quy trình nội bộ, không thể tiếp nhận.", code=Code.NO_PROCESS
        )
    # The desk steps (reception, return of the result) are the receiving desk's: the provincial
    # centre's for a department procedure it receives (catalog.ReceptionDesk).
    desk_id = desk_agency_id(dossier.procedure_id, dossier.agency_id)
    desk = dossier.agency if desk_id == dossier.agency_id else Agency.objects.get(pk=desk_id)
    for ps in process_steps:
        if ps.agency_identifier:
            agency = agencies.get(ps.agency_identifier)
        else:
            agency = desk if ps.role == Role.RECEIVER else dossier.agency
        if agency is None:
            raise DomainError(
                f"Bước “{ps.name}” do cơ quan {ps.agency_identifier} thực hiện, nhưng cơ quan này "
                "không có trên hệ thống.",
                code=Code.UNKNOWN_AGENCY,
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


def _start_processing(act: Action[Dossier], now: datetime) -> None:
    dossier, official = act.case, act.acting_official
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
    act.save(state=Status.PROCESSING)
    if following is not None:
        _activate(following, now)
        _step_started(act, following)


def receive_online(*, actor: Actor, dossier: Dossier | str, version: int | None = None) -> Dossier:
    """Accept an online dossier after checking it: status 2, appointment date set, then the
    process starts (status 4)."""
    with perform(DOSSIER, "receive", actor=actor, case=dossier, expected_version=version) as act:
        locked, official = act.case, act.acting_official
        _require_in_charge(locked, None, official)
        now = timezone.now()
        locked.received_at = now
        locked.appointment_at = due_date(
            locked.procedure, locked.agency, now, locked.process_version
        )
        locked.received_appointment_at = locked.appointment_at
        enter_in_register(locked, now)
        act.save(
            "received_at",
            "appointment_at",
            "received_appointment_at",
            "register_year",
            "register_number",
            state=Status.RECEIVED,
        )
        _record(act, E.RECEIVED, appointment_at=locked.appointment_at)
        _start_processing(act, now)
        notify_applicant(
            locked,
            "received",
            f"Hồ sơ {locked.code} đã được tiếp nhận. Ngày hẹn trả kết quả: "
            f"{timezone.localtime(locked.appointment_at):%d/%m/%Y}.",
            subject=f"Hồ sơ {locked.code}: đã tiếp nhận, hẹn trả kết quả "
            f"{timezone.localtime(locked.appointment_at):%d/%m/%Y}",
        )
        waiting = _await_fees(actor, locked)
        if waiting is not None:
            locked.status, locked.version = waiting.status, waiting.version
    return locked


# Why a dossier received with its fees still due waits (status 6), as the applicant reads it.
FEES_BEFORE_PROCESSING = "Nộp phí, lệ phí trước khi giải quyết hồ sơ"


def _await_fees(actor: Actor, dossier: Dossier) -> Dossier | None:
    """A procedure whose fees are paid before processing, received while they are still due
    (the applicant pays later, or at the desk): the dossier waits in status 6 until the payments
    app settles them (payment_settled brings it back to processing). Runs inside the reception's
    transaction; the payment opened for the submission (or by this reception's own event) stays
    the one to pay, so the request says `fees_due` and opens none."""
    state = Dossier.objects.filter(pk=dossier.pk).values_list("payment_state", flat=True).first()
    timing = dossier.procedure.payment_timing
    if state != PaymentState.DUE or timing != PaymentTiming.BEFORE_PROCESSING:
        return None
    with perform(DOSSIER, "request_payment", actor=actor, case=dossier.code, durable=False) as act:
        act.save()
        _record(
            act,
            E.PAYMENT_REQUESTED,
            amount=act.case.fee_total,
            reason=FEES_BEFORE_PROCESSING,
            fees_due=True,
        )
        notify_applicant(
            act.case,
            "fees-due",
            f"Hồ sơ {act.case.code} được giải quyết sau khi ông/bà nộp "
            f"{act.case.fee_total:,} đồng phí, lệ phí (trực tuyến tại mục “Hồ sơ của tôi”, "
            "hoặc tại Bộ phận Một cửa).".replace(",", "."),
        )
    return act.case


def agencies_received_at(procedure: Procedure, desk_agency_id: int) -> list[Agency]:
    """The agencies whose dossiers of `procedure` the desk of agency `desk_agency_id` receives:
    its own agency's, unless the catalogue sends them to a centre, and the departments' it is
    the centre for (catalog.ReceptionDesk)."""
    mapped = dict(
        ReceptionDesk.objects.filter(procedure=procedure).values_list("agency_id", "desk_agency_id")
    )
    return [
        a
        for a in procedure.agencies.filter(is_active=True).order_by("name")
        if mapped.get(a.pk, a.pk) == desk_agency_id
    ]


def agency_received_here(
    procedure: Procedure, official: Official, agency_identifier: str = ""
) -> Agency:
    """The competent agency of a dossier the official's desk receives in person (NotFoundError
    with the desk that does receive it otherwise)."""
    agencies = agencies_received_at(procedure, official.agency_id)
    if agency_identifier:
        agencies = [a for a in agencies if a.identifier == agency_identifier]
    if len(agencies) == 1:
        return agencies[0]
    if len(agencies) > 1:
        raise DomainError(
            "Trung tâm tiếp nhận thủ tục này cho nhiều cơ quan: chọn cơ quan giải quyết.",
            code=Code.INVALID_AGENCY,
            fields={"agency": ["Chọn cơ quan giải quyết."]},
        )
    desks = (
        ReceptionDesk.objects.filter(procedure=procedure, agency_id=official.agency_id)
        .select_related("desk_agency")
        .first()
    )
    if desks is not None:
        raise NotFoundError(
            f"Thủ tục này của {official.agency.name} được tiếp nhận tại {desks.desk_agency.name}.",
            code=DossierErrorCode.UNKNOWN_PROCEDURE,
        )
    raise NotFoundError(
        "Cơ quan của bạn không thực hiện thủ tục này.", code=DossierErrorCode.UNKNOWN_PROCEDURE
    )


@dataclass
class Applicant:
    kind: str  # "citizen" | "business"
    name: str
    id_number: str
    phone: str = ""
    email: str = ""
    address: str = ""


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
    address = " ".join(applicant.address.split())
    if len(address) > 255:
        errors["applicant_address"] = ["Địa chỉ tối đa 255 ký tự."]
    if errors:
        raise DomainError(
            "Thông tin chủ hồ sơ chưa hợp lệ.", code=Code.INVALID_APPLICANT, fields=errors
        )
    return Applicant(applicant.kind, name, number, phone, applicant.email.strip().lower(), address)


# Số lượng hồ sơ (form 01, item 2): a desk may take several identical sets at once.
MAX_SETS = 99


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
    set_count: int = 1,
    fees: Mapping[str, Any] | None = None,
    agency_identifier: str = "",
) -> Dossier:
    """The one-stop desk receives a dossier brought in person or by post and scans its papers.
    `fees`: what the applicant asked for among the optional fees ({fee id: units},
    dossiers.fees); the fees due by law are counted anyway. The dossier is the competent
    agency's (agency_received_here): the desk's own agency, or the department whose procedure
    the provincial centre receives (`agency_identifier` chooses when the centre receives the
    procedure for several)."""
    official = official_of(actor)
    if not official.has_role(Role.RECEIVER):
        raise NotAllowed("Cần vai trò cán bộ tiếp nhận Một cửa.")
    if channel not in (Channel.IN_PERSON, Channel.POST):
        raise DomainError("Kênh tiếp nhận không hợp lệ.", code=Code.INVALID_CHANNEL)
    procedure = Procedure.objects.filter(code=procedure_code, is_published=True).first()
    if procedure is None:
        raise NotFoundError(
            "Cơ quan của bạn không thực hiện thủ tục này.",
            code=DossierErrorCode.UNKNOWN_PROCEDURE,
        )
    agency = agency_received_here(procedure, official, agency_identifier)
    person = _clean_applicant(applicant)
    if not 1 <= set_count <= MAX_SETS:
        raise DomainError(
            f"Số bộ hồ sơ từ 1 đến {MAX_SETS}.",
            code=Code.INVALID_SET_COUNT,
            fields={"set_count": ["Không hợp lệ."]},
        )
    if result_delivery == ResultDelivery.POST and not delivery_address.strip():
        raise DomainError(
            "Nhận qua bưu chính cần địa chỉ.",
            code=Code.INVALID_DELIVERY,
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
    lines: list[fee_rules.FeeLine] = []
    try:
        lines = fee_rules.fee_lines(procedure.fees.all(), fees)
    except DomainError as exc:
        errors.update(exc.fields)
    if errors:
        message = (
            "Hồ sơ chưa đủ thành phần."
            if any(not k.startswith("fees.") for k in errors)
            else "Lựa chọn phí, lệ phí chưa hợp lệ."
        )
        raise SubmissionError(message, fields=errors)
    with transaction.atomic(durable=True):
        now = timezone.now()
        process = procedure.current_process()
        appointment = due_date(procedure, agency, now, process)
        dossier = Dossier(
            code=generator()(agency.identifier, timezone.localdate(now)),
            procedure=procedure,
            process_version=process,
            agency=agency,
            applicant=_account_of(person),
            applicant_kind=person.kind,
            applicant_name=person.name,
            applicant_id_number=person.id_number,
            applicant_phone=person.phone,
            applicant_email=person.email,
            applicant_address=person.address,
            summary=summary.strip()[:500] or procedure.name,
            channel=channel,
            status=Status.RECEIVED,
            result_delivery=result_delivery,
            delivery_address=delivery_address.strip(),
            fee_total=fee_rules.total(lines),
            fee_lines=fee_rules.stored(lines),
            set_count=set_count,
            submitted_at=now,
            received_at=now,
            appointment_at=appointment,
            received_appointment_at=appointment,
        )
        enter_in_register(dossier, now)
        dossier.save(force_insert=True)
        for component, item in checked:
            store_paper(dossier, item, DossierFile.Kind.COMPONENT, component)
        note_submission(procedure)
        # Born received at the desk; the process starts in the same transaction.
        with perform(DOSSIER, "start_processing", actor=actor, case=dossier, durable=False) as act:
            _record(
                act,
                E.RECEIVED,
                channel=channel,
                appointment_at=dossier.appointment_at,
                fee_total=dossier.fee_total,
                procedure=procedure.code,
                applicant_kind=dossier.applicant_kind,
                applicant_name=dossier.applicant_name,
                applicant_id_number=dossier.applicant_id_number,
                summary=dossier.summary,
                files=[
                    {"component": c.code, "name": f.name, "sha256": f.sha256} for c, f in checked
                ],
            )
            _start_processing(act, now)
            notify_applicant(
                act.case,
                "received",
                f"Hồ sơ {dossier.code} đã được tiếp nhận. Ngày hẹn trả kết quả: "
                f"{timezone.localtime(dossier.appointment_at):%d/%m/%Y}.",
            )
        dossier = _await_fees(actor, act.case) or act.case
    return dossier


def refuse(
    *, actor: Actor, dossier: Dossier | str, reason: str, version: int | None = None
) -> Dossier:
    """Form 03: refuse to receive, with reasons."""
    reason = _reason(reason)
    with perform(DOSSIER, "refuse", actor=actor, case=dossier, expected_version=version) as act:
        locked = act.case
        _require_in_charge(locked, None, act.acting_official)
        locked.finished_at = timezone.now()
        act.save("finished_at")
        _record(act, E.REFUSED, reason=reason)
        notices.issue_refusal(locked, act.acting_official, reason)  # form 03, and the notice
    return locked


def _reason(text: str, field: str = "reason") -> str:
    text = (text or "").strip()
    if not text:
        raise DomainError(
            "Vui lòng ghi rõ lý do.", code=Code.INVALID_REASON, fields={field: ["Bắt buộc."]}
        )
    if len(text) > 2000:
        raise DomainError(
            "Lý do tối đa 2000 ký tự.", code=Code.INVALID_REASON, fields={field: ["Quá dài."]}
        )
    return text


# --- processing ----------------------------------------------------------------------------------


def assign(
    *, actor: Actor, dossier: Dossier | str, official_id: int, version: int | None = None
) -> DossierStep:
    """The unit head (or a leader) gives the active step to an official of the unit."""
    with perform(DOSSIER, "assign", actor=actor, case=dossier, expected_version=version) as act:
        return _assign(act, official_id)


def _assign(act: Action[Dossier], official_id: int) -> DossierStep:
    locked, official = act.case, act.acting_official
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
            code=Code.INVALID_ASSIGNEE,
            fields={"official": ["Không hợp lệ."]},
        )
    step.assignee = target
    step.save(update_fields=["assignee"])
    act.save()
    _record(
        act,
        E.ASSIGNED,
        step=step.order,
        step_name=step.name,
        assignee=target.user.get_full_name(),
    )
    return step


def forward(
    *, actor: Actor, dossier: Dossier | str, note: str = "", version: int | None = None
) -> Dossier:
    """Finish the active step and hand the dossier to the next one. Finishing a leader's step is
    the approval; when only the return step is left, processing is done (status 9)."""
    with perform(DOSSIER, "forward", actor=actor, case=dossier, expected_version=version) as act:
        _forward(act, note)
    return act.case


def _forward(act: Action[Dossier], note: str, *, signed: bool = False) -> None:
    locked, official = act.case, act.acting_official
    step = _require_holder(_active_step(locked), official)
    if step.role == Role.LEADER and not official.has_role(Role.LEADER):
        raise NotAllowed("Bước này cần lãnh đạo cơ quan phê duyệt.")
    if len(note) > 2000:
        raise DomainError("Ý kiến xử lý tối đa 2000 ký tự.", code=Code.INVALID_NOTE)
    if not signed and is_signing_step(locked, step):
        # No approval without the signature where the procedure returns an electronic original.
        raise DomainError(
            "Thủ tục này trả bản chính điện tử: lãnh đạo phê duyệt bằng cách ký số kết quả "
            "(xem trước bản sẽ ký, rồi nhập mã xác thực).",
            code=Code.SIGNATURE_REQUIRED,
        )
    now = timezone.now()
    step.status, step.finished_at, step.note = StepStatus.DONE, now, note.strip()
    step.save(update_fields=["status", "finished_at", "note"])
    remaining = list(
        locked.steps.select_for_update().filter(status=StepStatus.PENDING).order_by("order", "id")
    )
    _record(
        act,
        E.APPROVED if step.role == Role.LEADER else E.FORWARDED,
        step=step.order,
        step_name=step.name,
        note=step.note,
        on_time=step.on_time,
        due_at=step.due_at,
        step_id=step.pk,
    )
    if not remaining or (len(remaining) == 1 and remaining[0].role == Role.RECEIVER):
        locked.finished_at = now
        act.save("finished_at", state=Status.DONE)
        back = _activate(remaining[0], now) if remaining else None
        _record(
            act,
            E.DONE,
            on_time=locked.finished_at <= locked.appointment_at if locked.appointment_at else None,
            # The return step now held by the desk (the process control sheet, form 05).
            **_next_step_payload(back),
        )
        notify_applicant(locked, "done", f"Hồ sơ {locked.code} đã có kết quả.")
        return
    nxt = _activate(remaining[0], now)
    act.save()
    _step_started(act, nxt, transferred=nxt.agency_id != step.agency_id)


def send_back(
    *, actor: Actor, dossier: Dossier | str, to_order: int, reason: str, version: int | None = None
) -> Dossier:
    """Return the dossier to an earlier step with a reason; that step is re-opened as a new row."""
    reason = _reason(reason)
    with perform(DOSSIER, "send_back", actor=actor, case=dossier, expected_version=version) as act:
        _send_back(act, to_order, reason)
    return act.case


def _send_back(act: Action[Dossier], to_order: int, reason: str) -> None:
    locked = act.case
    step = _require_holder(_active_step(locked), act.acting_official)
    earlier = (
        locked.steps.filter(order=to_order, order__lt=step.order, status=StepStatus.DONE)
        .order_by("-id")
        .first()
    )
    if earlier is None or (earlier.role == Role.RECEIVER and earlier.order == 1):
        raise DomainError(
            "Chỉ trả lại được một bước xử lý đã qua.",
            code=Code.INVALID_STEP,
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
    act.save()
    _record(
        act,
        E.SENT_BACK,
        step=step.order,
        step_id=step.pk,
        to_step=to_order,
        reason=reason,
        step_name=earlier.name,
        **_next_step_payload(reopened),
    )


# How long the applicant has to answer a supplement request, in working days, when the official
# does not say. Neither Decree 61/2018 nor Decree 118/2025 sets one general time limit for the
# applicant (a procedure's own text may; the domain reference names none), so this is the
# platform's default, a setting (ONESTOP_SUPPLEMENT_ANSWER_DAYS) the province may change: ten
# working days, two working weeks. The official may set 1 to SUPPLEMENT_MAX_ANSWER_DAYS. The date
# is told to the applicant; nothing happens by itself when it passes (the agency decides, e.g. to
# stop processing).
SUPPLEMENT_ANSWER_DAYS = 10
SUPPLEMENT_MAX_ANSWER_DAYS = 60
SUPPLEMENT_MAX_ITEMS = 20
# Per paper of a supplement answer: at most this many files (each checked like any upload; the
# whole answer within the platform's total size, core.uploads.check_total).
SUPPLEMENT_MAX_FILES_PER_ITEM = 10


def default_answer_days() -> int:
    return int(getattr(settings, "ONESTOP_SUPPLEMENT_ANSWER_DAYS", SUPPLEMENT_ANSWER_DAYS))


def supplement_items(
    procedure: Procedure, components: Sequence[str] = (), other: str = ""
) -> list[dict[str, str]]:
    """What the official names as missing: components of the dossier's procedure (by code, in
    the procedure's order) and papers typed one a line. Unknown codes are refused."""
    known = {c.code: c for c in procedure.components.all()}
    unknown = [code for code in components if code not in known]
    if unknown:
        raise DomainError(
            "Thành phần hồ sơ không thuộc thủ tục này.",
            code=Code.INVALID_SUPPLEMENT_ITEMS,
            fields={"components": ["Không hợp lệ."]},
        )
    chosen = set(components)
    items = [{"component": c.code, "name": c.name} for c in known.values() if c.code in chosen]
    for line in (other or "").splitlines():
        line = " ".join(line.strip(" -•\t").split())
        if len(line) > 500:
            raise DomainError(
                "Mỗi giấy tờ khác tối đa 500 ký tự.",
                code=Code.INVALID_SUPPLEMENT_ITEMS,
                fields={"other": ["Quá dài."]},
            )
        if line:
            items.append({"component": "", "name": line})
    if len(items) > SUPPLEMENT_MAX_ITEMS:
        raise DomainError(
            f"Tối đa {SUPPLEMENT_MAX_ITEMS} giấy tờ trong một yêu cầu bổ sung.",
            code=Code.INVALID_SUPPLEMENT_ITEMS,
            fields={"other": ["Quá nhiều."]},
        )
    return items


def request_supplement(
    *,
    actor: Actor,
    dossier: Dossier | str,
    reason: str,
    components: Sequence[str] | None = None,
    other: str = "",
    answer_days: int | None = None,
    version: int | None = None,
) -> SupplementRequest:
    """Form 02: WHICH papers are missing (`components` of the procedure and `other` papers, one
    a line), WHY (`reason`) and BY WHEN (`answer_days` working days, by default
    ONESTOP_SUPPLEMENT_ANSWER_DAYS; the date from the working-day calendar). The clock stops
    until the applicant answers; a second request is flagged.

    Called with a reason only (the API before #15), the reason's lines are the papers."""
    reason = _reason(reason)
    days = default_answer_days() if answer_days is None else answer_days
    if (
        isinstance(days, bool)
        or not isinstance(days, int)
        or not 1 <= days <= (SUPPLEMENT_MAX_ANSWER_DAYS)
    ):
        raise DomainError(
            f"Hạn bổ sung từ 1 đến {SUPPLEMENT_MAX_ANSWER_DAYS} ngày làm việc.",
            code=Code.INVALID_ANSWER_DAYS,
            fields={"answer_days": ["Không hợp lệ."]},
        )
    structured = components is not None or bool(other.strip())
    with perform(
        DOSSIER, "request_supplement", actor=actor, case=dossier, expected_version=version
    ) as act:
        items = supplement_items(act.case.procedure, components or (), other) if structured else []
        if structured and not items:
            raise DomainError(
                "Chọn ít nhất một giấy tờ cần bổ sung.",
                code=Code.INVALID_SUPPLEMENT_ITEMS,
                fields={"components": ["Bắt buộc."]},
            )
        return _request_supplement(act, reason, items, days)


def _request_supplement(
    act: Action[Dossier], reason: str, items: list[dict[str, str]], days: int
) -> SupplementRequest:
    locked, official = act.case, act.acting_official
    if locked.status != Status.NEW:
        _require_holder(_active_step(locked), official)
    elif not official.has_role(Role.RECEIVER):
        raise NotAllowed("Cần vai trò cán bộ tiếp nhận Một cửa.")
    else:
        _require_in_charge(locked, None, official)
    now = timezone.now()
    calendar = WorkingCalendar.for_agency(locked.agency_id)
    request = SupplementRequest.objects.create(
        dossier=locked,
        requested_by=official,
        reason=reason,
        items=items,
        answer_by=calendar.add_working_days(now, days),
        requested_at=now,
    )
    locked.supplement_count += 1
    act.save("supplement_count")
    _record(
        act,
        E.SUPPLEMENT_REQUESTED,
        reason=reason,
        count=locked.supplement_count,
        repeated=locked.supplement_count > 1,
        items=items,
        answer_by=request.answer_by,
        answer_days=days,
    )
    notices.issue_supplement_request(locked, request)  # form 02, and the notice
    return request


def open_supplement_request(dossier: Dossier) -> SupplementRequest | None:
    """The request the applicant has still to answer (the latest unanswered one)."""
    return (
        SupplementRequest.objects.filter(
            dossier_id=dossier.pk,
            dossier__status=Status.SUPPLEMENT_REQUESTED,
            answered_at__isnull=True,
        )
        .select_related("requested_by__user", "requested_by__agency", "requested_by__unit")
        .order_by("-requested_at")
        .first()
    )


def provide_supplement(
    *,
    user: User,
    dossier: Dossier,
    uploads: Sequence[UploadedFile] = (),
    note: str = "",
    by_item: Mapping[int, Sequence[UploadedFile]] | None = None,
) -> Dossier:
    """The applicant answers a supplement request (on the portal or through the API); the clock
    restarts and the applicant is told the return date that follows.

    `by_item`: the files for each paper the request names (index in `request.papers`): every
    paper needs at least one file, at most SUPPLEMENT_MAX_FILES_PER_ITEM; the files of a paper
    that is one of the procedure's components are filed under it. `uploads`: files not sorted by
    paper (the API; a reason-only request)."""
    if dossier.applicant_id != user.pk:
        raise NotFoundError("Không tìm thấy hồ sơ.")
    if len(note) > 2000:
        raise SubmissionError("Ghi chú tối đa 2000 ký tự.", fields={"note": ["Quá dài."]})
    request = open_supplement_request(dossier)
    papers = request.papers if request is not None else []
    sorted_files: list[tuple[dict[str, str], UploadedFile]] = []
    errors: dict[str, list[str]] = {}
    for index, files in (by_item or {}).items():
        if not 0 <= index < len(papers):
            errors[f"item-{index}"] = ["Giấy tờ này không có trong yêu cầu bổ sung."]
            continue
        if len(files) > SUPPLEMENT_MAX_FILES_PER_ITEM:
            errors[f"item-{index}"] = [
                f"Tối đa {SUPPLEMENT_MAX_FILES_PER_ITEM} tệp cho mỗi giấy tờ."
            ]
        sorted_files += [(papers[index], f) for f in files]
    if by_item is not None and request is not None and request.structured:
        for index, paper in enumerate(papers):
            if not (by_item.get(index) or []):
                errors.setdefault(f"item-{index}", []).append(
                    f"Vui lòng tải lên tệp cho: {paper['name']}."
                )
    sorted_files += [({"component": "", "name": ""}, f) for f in uploads]
    if not sorted_files and not errors:
        raise SubmissionError("Vui lòng tải lên giấy tờ bổ sung.", fields={"files": ["Bắt buộc."]})
    check_total(f for _paper, f in sorted_files)
    checked: list[tuple[dict[str, str], CheckedFile]] = []
    for paper, upload in sorted_files:
        try:
            checked.append((paper, check_paper(upload, label=paper["name"] or "giấy tờ bổ sung")))
        except UploadRejected as exc:
            key = f"item-{papers.index(paper)}" if paper in papers and paper["name"] else "files"
            errors.setdefault(key, []).append(exc.message)
    if errors:
        raise SubmissionError(
            "Giấy tờ bổ sung chưa đủ hoặc chưa hợp lệ, vui lòng xem các mục được đánh dấu.",
            fields=errors,
        )
    components = {c.code: c for c in dossier.procedure.components.all()}
    with perform(DOSSIER, "supplement_provided", actor=actor_for_user(user), case=dossier) as act:
        locked = act.case
        before = current_promise(locked)
        for paper, item in checked:
            store_paper(
                locked, item, DossierFile.Kind.SUPPLEMENT, components.get(paper["component"])
            )
        status = _resume_after_supplement(locked, timezone.now())
        act.save("appointment_at", "promised_at", state=status)
        act.record(
            E.SUPPLEMENT_PROVIDED,
            note=note.strip(),
            files=[
                {
                    "name": c.name,
                    "sha256": c.sha256,
                    "component": paper["component"],
                    "item": paper["name"],
                }
                for paper, c in checked
            ],
            appointment_at=locked.appointment_at,
            promised_at=locked.promised_at,
        )
        after = current_promise(locked)
        moved = (
            f" Ngày hẹn trả kết quả mới: {timezone.localtime(after):%d/%m/%Y} (lùi theo thời gian "
            "chờ bổ sung)."
            if after and before and after != before and locked.received_at
            else ""
        )
        notify_applicant(
            locked,
            f"supplement-answered-{locked.version}",
            f"Đã nhận {len(checked)} tệp bổ sung cho hồ sơ {locked.code}. Hồ sơ tiếp tục được "
            f"giải quyết.{moved}",
            subject=f"Hồ sơ {locked.code}: đã nhận giấy tờ bổ sung"
            + (", ngày hẹn trả thay đổi" if moved else ""),
        )
    return locked


def _counts_in_hours(dossier: Dossier) -> bool:
    """Whether the dossier's legal time is in working hours (its process version's, else its
    procedure's): its appointment is then a session, not a whole day."""
    source: Any = dossier.process_version or dossier.procedure
    return bool(source.time_unit == TimeUnit.WORKING_HOURS)


def _resume_after_supplement(dossier: Dossier, now: datetime) -> int:
    """Stop the pause and move the dates by the working time spent waiting. Returns the status
    the dossier goes back to.

    The appointment (and a promised date of form 04) moves by that time and lands on the end of
    that working day (of the session, for procedures counted in hours): a one-hour pause over a
    weekend gives Monday at the end of the day, not Monday 08:30
    (workcalendar.deadlines.due_after_pause). The active step's due time moves by exactly the
    paused time: step budgets are working hours, and form 05 replays them that way."""
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
        by_session = _counts_in_hours(dossier)
        if dossier.appointment_at and request.paused_seconds:
            dossier.appointment_at = due_after_pause(
                calendar, dossier.appointment_at, paused, by_session=by_session
            )
        if dossier.promised_at and request.paused_seconds:
            dossier.promised_at = due_after_pause(
                calendar, dossier.promised_at, paused, by_session=by_session
            )
        step = dossier.steps.filter(status=StepStatus.ACTIVE).first()
        if step is not None and step.due_at and request.paused_seconds:
            step.due_at = calendar.add_working_hours(step.due_at, paused)
            step.save(update_fields=["due_at"])
    return Status.PROCESSING if dossier.received_at else Status.NEW


def request_payment(
    *, actor: Actor, dossier: Dossier | str, amount: int, reason: str, version: int | None = None
) -> Dossier:
    reason = _reason(reason)
    if not isinstance(amount, int) or amount <= 0:
        raise DomainError(
            "Số tiền phải là số nguyên dương (đồng).",
            code=Code.INVALID_AMOUNT,
            fields={"amount": ["Không hợp lệ."]},
        )
    with perform(
        DOSSIER, "request_payment", actor=actor, case=dossier, expected_version=version
    ) as act:
        locked = act.case
        _require_holder(_active_step(locked), act.acting_official)
        act.save()
        _record(act, E.PAYMENT_REQUESTED, amount=amount, reason=reason)
        notify_applicant(
            locked,
            f"payment-{locked.version}",
            f"Hồ sơ {locked.code}: vui lòng nộp {amount:,} đồng ({reason}).".replace(",", "."),
        )
    return locked


def payment_received(
    *, actor: Actor, dossier: Dossier | str, receipt_number: str = "", version: int | None = None
) -> Dossier:
    with perform(
        DOSSIER, "payment_received", actor=actor, case=dossier, expected_version=version
    ) as act:
        _payment_received(act, receipt_number)
    return act.case


def _payment_received(act: Action[Dossier], receipt_number: str) -> None:
    locked, official = act.case, act.acting_official
    if locked.payment_state == PaymentState.DUE:
        # The payments app holds what is due: paid online by the applicant, or recorded as cash
        # at its desk page; marking it here would leave that payment open.
        raise Conflict(
            "Khoản phí, lệ phí này được ghi nhận qua chức năng thanh toán: người nộp thanh toán "
            "trực tuyến, hoặc Bộ phận Một cửa ghi nhận tiền mặt tại trang “Thu tiền mặt”.",
            code=Code.PAYMENT_DUE,
        )
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
    act.save()
    _record(act, E.PAYMENT_RECEIVED, receipt=receipt_number[:60])


def payment_settled(*, actor: Actor, dossier_code: str, reference: str) -> bool:
    """Inside the payments app's settle action (its transaction): a dossier waiting for the
    payment asked of it (status 6) goes back to processing. True when it moved."""
    status = Dossier.objects.filter(code=dossier_code).values_list("status", flat=True).first()
    if status != Status.PAYMENT_REQUESTED:
        return False
    with perform(
        DOSSIER, "payment_confirmed", actor=actor, case=dossier_code, durable=False
    ) as act:
        act.save()
        act.record(E.PAYMENT_RECEIVED, receipt=reference[:60])
    return True


def stop(
    *, actor: Actor, dossier: Dossier | str, reason: str, version: int | None = None
) -> Dossier:
    reason = _reason(reason)
    with perform(DOSSIER, "stop", actor=actor, case=dossier, expected_version=version) as act:
        locked = act.case
        _require_in_charge(locked, _active_step(locked), act.acting_official)
        now = timezone.now()
        locked.steps.filter(status__in=[StepStatus.ACTIVE, StepStatus.PENDING]).update(
            status=StepStatus.CANCELLED, finished_at=now
        )
        locked.finished_at = now
        act.save("finished_at")
        _record(act, E.STOPPED, reason=reason)
        notify_applicant(locked, "stopped", f"Hồ sơ {locked.code} bị dừng xử lý. Lý do: {reason}")
    return locked


def withdraw(
    *, actor: Actor, dossier: Dossier | str, reason: str, version: int | None = None
) -> Dossier:
    """Marked at the desk on the applicant's request; ends processing."""
    reason = _reason(reason)
    with perform(DOSSIER, "withdraw", actor=actor, case=dossier, expected_version=version) as act:
        locked = act.case
        # The applicant asks at the one-stop desk that received the dossier (not at an agency
        # of the chain further down, which never dealt with them).
        if act.acting_official.agency_id != locked.agency_id:
            raise NotAllowed("Rút hồ sơ được ghi nhận tại Bộ phận Một cửa của cơ quan tiếp nhận.")
        _end_by_withdrawal(act, reason, online=False)
    return locked


def withdrawable(dossier: Dossier) -> bool:
    """Whether the applicant may still withdraw the dossier online (the table's statuses)."""
    from .workflow import TRANSITIONS

    return dossier.status in TRANSITIONS["withdraw_online"].sources


def withdraw_by_applicant(
    *, user: User, dossier: Dossier | str, reason: str, version: int | None = None
) -> Dossier:
    """The applicant withdraws their own dossier on the portal (#15): the same end as a
    withdrawal recorded at the desk (status 7, steps cancelled, the clock stops for good), the
    event says it was done online, the applicant gets the notice and the official holding the
    dossier an e-mail; the dossier page shows it to every official who may see it."""
    reason = _reason(reason)
    actor = actor_for_user(user)
    with perform(
        DOSSIER, "withdraw_online", actor=actor, case=dossier, expected_version=version
    ) as act:
        locked = act.case
        if locked.applicant_id != user.pk:
            raise NotFoundError("Không tìm thấy hồ sơ.")
        holder = _active_step(locked)
        _end_by_withdrawal(act, reason, online=True)
        person = holder.assignee if holder is not None else None
        if holder is not None and person is not None and person.user.email:
            act.enqueue(
                "email",
                {
                    "to": [person.user.email],
                    "subject": f"Hồ sơ {locked.code}: công dân đã rút hồ sơ",
                    "body": f"Người nộp đã rút hồ sơ {locked.code} ({locked.procedure.name}) "
                    f"trên Cổng dịch vụ công lúc {local_text(locked.finished_at)}. "
                    f"Lý do: {reason}\nHồ sơ dừng giải quyết; bước “{holder.name}” đã được hủy.",
                },
                idempotency_key=f"dossier:{locked.code}:withdrawn:holder",
            )
    return act.case


def _end_by_withdrawal(act: Action[Dossier], reason: str, *, online: bool) -> None:
    locked = act.case
    now = timezone.now()
    locked.steps.filter(status__in=[StepStatus.ACTIVE, StepStatus.PENDING]).update(
        status=StepStatus.CANCELLED, finished_at=now
    )
    locked.finished_at = now
    act.save("finished_at")
    _record(act, E.WITHDRAWN, reason=reason, online=online)
    how = (
        "theo yêu cầu của ông/bà trên Cổng dịch vụ công"
        if online
        else ("theo yêu cầu của ông/bà, ghi nhận tại Bộ phận Một cửa")
    )
    notify_applicant(
        locked,
        "withdrawn",
        f"Hồ sơ {locked.code} ({locked.procedure.name}) đã được rút {how} lúc "
        f"{timezone.localtime(now):%H:%M ngày %d/%m/%Y}. Lý do: {reason.rstrip('.')}. Hồ sơ "
        "dừng giải quyết; muốn giải quyết thủ tục này, ông/bà nộp hồ sơ mới.",
        subject=f"Hồ sơ {locked.code}: đã rút hồ sơ",
    )


def record_result(
    *, actor: Actor, dossier: Dossier | str, upload: UploadedFile, version: int | None = None
) -> DossierFile:
    """Attach the result document before approval (the draft the leader signs, where the
    procedure returns an electronic original) or after it. A PDF that already carries a valid
    signature (signed elsewhere) is recorded as an electronic original."""
    official_of(actor)  # before the file is read: only officials record results
    item = check_paper(upload, label="kết quả giải quyết")
    signature = _valid_signature(item)
    with perform(
        DOSSIER, "record_result", actor=actor, case=dossier, expected_version=version
    ) as act:
        locked = act.case
        _require_holder(_active_step(locked), act.acting_official)
        row = store_paper(locked, item, DossierFile.Kind.RESULT)
        if signature is not None:
            SignedResult.objects.create(
                dossier=locked,
                file=row,
                source=SignedResult.Source.UPLOAD,
                signer_name=signature.signer_subject,
                sealed_by="",
                certificate_serial=signature.serial_hex,
                signed_at=signature.signing_time or timezone.now(),
            )
        act.save()
        _record(
            act,
            E.RESULT_RECORDED,
            name=item.name,
            sha256=item.sha256,
            signed=signature is not None,
        )
    return row


def _valid_signature(item: CheckedFile) -> Any:
    """The last signature of an uploaded PDF when every signature in it validates (intact,
    trusted, not revoked), else None."""
    from egov.signing.services import validate_pdf

    if item.content_type != PDF or b"/ByteRange" not in item.content:
        return None
    check = validate_pdf(item.content)
    return check.signatures[-1] if check.valid and check.signatures else None


# --- the result signed in the approval step (bản chính điện tử) ----------------------------------

PDF = "application/pdf"


def is_signing_step(dossier: Dossier, step: DossierStep | None) -> bool:
    """The approval that signs the result: the last leader step of the process of a procedure
    whose result is an electronic original (catalog.Procedure.electronic_original)."""
    if step is None or step.role != Role.LEADER or not dossier.procedure.electronic_original:
        return False
    return not dossier.steps.filter(
        status=StepStatus.PENDING, role=Role.LEADER, order__gt=step.order
    ).exists()


def result_draft(dossier: Dossier) -> DossierFile | None:
    """The result the specialist prepared, to be signed: the latest result file that is not
    itself a signed copy made at approval."""
    return (
        dossier.files.filter(kind=DossierFile.Kind.RESULT)
        .exclude(signature__source=SignedResult.Source.APPROVAL)
        .order_by("-pk")
        .first()
    )


def electronic_original(dossier: Dossier) -> SignedResult | None:
    """The dossier's latest signed result (None: no electronic original)."""
    return (
        SignedResult.objects.filter(dossier=dossier)
        .select_related("file")
        .order_by("-signed_at", "-pk")
        .first()
    )


@dataclass(frozen=True)
class ResultForApplicant:
    """A result file as the applicant is given it: signed (the electronic original, with who
    signed and when) or not (a scan)."""

    file: DossierFile
    signature: SignedResult | None

    @property
    def signed(self) -> bool:
        return self.signature is not None


def results_for_applicant(dossier: Dossier) -> list[ResultForApplicant]:
    """The result files the applicant may download: a draft the leader signed is replaced by
    its signed copy (the specialist's upload stays an internal working file)."""
    files = list(dossier.files.filter(kind=DossierFile.Kind.RESULT).order_by("pk"))
    signatures = {s.file_id: s for s in SignedResult.objects.filter(dossier=dossier)}
    drafts = {s.draft_id for s in signatures.values() if s.draft_id is not None}
    return [ResultForApplicant(f, signatures.get(f.pk)) for f in files if f.pk not in drafts]


@dataclass(frozen=True)
class SigningPlan:
    """What the leader signs and how it will look: the draft, the leader's certificate and
    appearance (name, position), and the agency's seal where the procedure asks for it. The
    preview and the signature are made from the same plan."""

    draft: DossierFile
    content: bytes
    signer: Official
    signer_name: str
    position: str
    identity: Any
    seal: Any  # the agency's identity, or None
    agency_name: str
    code: str

    def signatures(self) -> list[tuple[Any, str, Any]]:
        from egov.signing.services import Appearance

        personal = Appearance(
            title=self.position.upper(),
            full_name=self.signer_name,
            reason=f"Ký duyệt kết quả giải quyết hồ sơ {self.code}",
        )
        out = [(self.identity, "personal", personal)]
        if self.seal is not None:
            out.append(
                (
                    self.seal,
                    "agency",
                    Appearance(
                        title=self.agency_name,
                        placement="seal",
                        reason=f"Dấu của {self.agency_name} trên kết quả hồ sơ {self.code}",
                    ),
                )
            )
        return out


def signing_plan(dossier: Dossier, official: Official) -> SigningPlan:
    """The plan for `official` to sign `dossier`'s result, or a DomainError saying what is
    missing (no draft, not a PDF, no usable certificate)."""
    from egov.signing.services import identity_for_agency, identity_for_official

    draft = result_draft(dossier)
    if draft is None:
        raise DomainError(
            "Chưa có dự thảo kết quả để ký: chuyên viên cập nhật tệp kết quả (PDF) trước khi "
            "trình phê duyệt.",
            code=Code.NO_RESULT_DRAFT,
        )
    if draft.content_type != PDF:
        raise DomainError(
            f"Tệp kết quả “{draft.original_name}” không phải tệp PDF nên không ký số được. "
            "Đề nghị chuyên viên cập nhật kết quả dạng PDF.",
            code=Code.RESULT_NOT_PDF,
        )
    with draft.file.open("rb") as handle:
        content = handle.read()
    agency = official.agency
    return SigningPlan(
        draft=draft,
        content=content,
        signer=official,
        signer_name=official.user.get_full_name() or official.user.username,
        position=official.position.name if official.position_id else "",  # type: ignore[union-attr]
        identity=identity_for_official(official),
        seal=identity_for_agency(agency) if dossier.procedure.result_sealed else None,
        agency_name=agency.name,
        code=dossier.code,
    )


def preview_result(dossier: Dossier, official: Official) -> bytes:
    """The draft as it will look once signed (drawn, not signed: no key is used)."""
    from egov.signing.services import preview_pdf

    plan = signing_plan(dossier, official)
    return preview_pdf(plan.content, plan.signatures())  # type: ignore[arg-type]


def _signed_name(draft_name: str) -> str:
    stem = draft_name.rsplit(".", 1)[0] if "." in draft_name else draft_name
    return f"{stem[:150]}-ban-chinh-dien-tu.pdf"


def approve_and_sign(
    *,
    actor: Actor,
    dossier: Dossier | str,
    code: str,
    note: str = "",
    version: int | None = None,
) -> SignedResult:
    """The leader approves the dossier by signing its result (PAdES: the leader's signature,
    then the agency's seal where the procedure asks for it), confirmed by a fresh code from the
    leader's authenticator. The signed PDF becomes the dossier's result (the specialist's upload
    stays as the draft), then the step is finished as `forward` does. A wrong code, a draft that
    is not a PDF or a signing failure changes nothing."""
    from egov.accounts.stepup import verify_second_factor
    from egov.signing.services import sign_pdf, validate_pdf

    with perform(DOSSIER, "forward", actor=actor, case=dossier, expected_version=version) as act:
        locked, official = act.case, act.acting_official
        step = _require_holder(_active_step(locked), official)
        if not official.has_role(Role.LEADER):
            raise NotAllowed("Chỉ lãnh đạo cơ quan ký số kết quả.")
        if not is_signing_step(locked, step):
            raise WorkflowError("Bước này không ký số kết quả: dùng “Chuyển bước tiếp theo”.")
        if len(note) > 2000:
            raise DomainError("Ý kiến xử lý tối đa 2000 ký tự.", code=Code.INVALID_NOTE)
        plan = signing_plan(locked, official)
        verify_second_factor(official.user, code)
        signed = plan.content
        for identity, role, appearance in plan.signatures():
            signed = sign_pdf(signed, identity=identity, role=role, appearance=appearance)  # type: ignore[arg-type]
        check = validate_pdf(signed)
        if not check.valid:
            raise DomainError(
                "Chữ ký số vừa tạo không kiểm tra được: "
                + "; ".join(check.errors or ["không rõ lý do"]),
                code=Code.RESULT_SIGNATURE_INVALID,
            )
        digest = hashlib.sha256(signed).hexdigest()
        item = CheckedFile(
            name=_signed_name(plan.draft.original_name),
            content=signed,
            content_type=PDF,
            size=len(signed),
            sha256=digest,
            page_count=plan.draft.page_count,
        )
        row = store_paper(locked, item, DossierFile.Kind.RESULT)
        now = timezone.now()
        result = SignedResult.objects.create(
            dossier=locked,
            file=row,
            draft=plan.draft,
            source=SignedResult.Source.APPROVAL,
            signer=official,
            signer_name=plan.signer_name,
            signer_position=plan.position,
            sealed_by=plan.agency_name if plan.seal is not None else "",
            certificate_serial=plan.identity.serial_hex,
            signed_at=check.signatures[0].signing_time or now,
        )
        _record(
            act,
            E.RESULT_SIGNED,
            name=item.name,
            sha256=digest,
            draft_name=plan.draft.original_name,
            draft_sha256=plan.draft.sha256,
            signer=plan.signer_name,
            position=plan.position,
            sealed_by=result.sealed_by,
            serial=result.certificate_serial,
        )
        _forward(act, note, signed=True)
    return result


def return_result(
    *, actor: Actor, dossier: Dossier | str, method: str | None = None, version: int | None = None
) -> Dossier:
    """Hand the result back (desk, online or post): status 10."""
    with perform(
        DOSSIER, "return_result", actor=actor, case=dossier, expected_version=version
    ) as act:
        _return_result(act, method)
    return act.case


def _return_result(act: Action[Dossier], method: str | None) -> None:
    locked, official = act.case, act.acting_official
    step = _active_step(locked)  # the return step, at the desk the process names
    _require_in_charge(locked, step, official)
    if locked.payment_state == PaymentState.DUE:
        raise Conflict(
            "Chưa trả được kết quả: người nộp chưa nộp đủ phí, lệ phí. Kết quả được trả sau khi "
            "thanh toán (trực tuyến, hoặc nộp tiền mặt tại Bộ phận Một cửa).",
            code=Code.PAYMENT_DUE,
        )
    method = method or locked.result_delivery
    if method not in ResultDelivery.values:
        raise DomainError("Hình thức trả kết quả không hợp lệ.", code=Code.INVALID_DELIVERY)
    if (
        method == ResultDelivery.ONLINE
        and not locked.files.filter(kind=DossierFile.Kind.RESULT).exists()
    ):
        raise DomainError(
            "Trả kết quả trực tuyến cần tệp kết quả đã cập nhật.", code=Code.NO_RESULT_FILE
        )
    now = timezone.now()
    if step is not None:
        step.status, step.finished_at, step.assignee = (
            StepStatus.DONE,
            now,
            step.assignee or official,
        )
        step.save(update_fields=["status", "finished_at", "assignee"])
    locked.returned_at = now
    act.save("returned_at")
    _record(act, E.RETURNED, method=method)
    notify_applicant(
        locked,
        "returned",
        f"Hồ sơ {locked.code} đã trả kết quả ({ResultDelivery(method).label.lower()}).",
    )


# --- late dossiers: apology letter (form 04) -----------------------------------------------------


# Form 04 promises the applicant a new date (Dossier.promised_at, "ngày hẹn lại"); the legal
# appointment, and the on-time rule with it, stay as they were: the letter is written because the
# dossier is late. No legal text caps the new date, so the engine does: at most one more run of
# the procedure's own legal time after the date in force (a delay may at most double what was
# promised), and never less than APOLOGY_MIN_EXTENSION_DAYS working days, so that a procedure of
# a few hours can still be put off to a date an agency down the chain can meet.
APOLOGY_MIN_EXTENSION_DAYS = 5


def current_promise(dossier: Dossier) -> datetime | None:
    """The date the applicant is waiting for: the latest apology's promise, else the legal
    appointment."""
    return dossier.promised_at or dossier.appointment_at


def latest_new_appointment(dossier: Dossier) -> datetime | None:
    """The latest date form 04 may promise for this dossier now (None: it has no appointment)."""
    current = current_promise(dossier)
    if current is None:
        return None
    calendar = WorkingCalendar.for_agency(dossier.agency_id)
    again = due_date(dossier.procedure, dossier.agency, current, dossier.process_version)
    floor = calendar.add_working_days(current, APOLOGY_MIN_EXTENSION_DAYS)
    return max(again, floor)


def _check_new_appointment(dossier: Dossier, new_at: datetime, now: datetime) -> datetime:
    """A new appointment date: after the current one (the promise in force, else the legal
    appointment) and after now, no later than latest_new_appointment, on a working day. Refused
    with a field error on new_appointment_at; returns the current date."""

    def refuse(message: str, detail: str) -> NoReturn:
        raise DomainError(
            message, code=Code.INVALID_APPOINTMENT, fields={"new_appointment_at": [detail]}
        )

    latest = latest_new_appointment(dossier)
    current = current_promise(dossier)
    if latest is None or current is None:
        refuse("Hồ sơ chưa có ngày hẹn trả kết quả.", "Không hợp lệ.")
    if new_at <= current or new_at <= now:
        refuse(
            "Ngày hẹn mới phải sau ngày hẹn hiện tại "
            f"({timezone.localtime(current):%d/%m/%Y}) và sau hôm nay.",
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
    return current


def draft_apology(
    *,
    actor: Actor,
    dossier: Dossier | str,
    reason: str,
    new_appointment_at: datetime,
    version: int | None = None,
) -> ApologyLetter:
    """Drafted by whoever holds the active step (its assignee, or the unit head or a leader of
    that agency for them): the agency answering for the delay. Not the clerk, not another
    official of the agency, not an agency whose step is done or still ahead."""
    reason = _reason(reason)
    with perform(
        DOSSIER, "draft_apology", actor=actor, case=dossier, expected_version=version
    ) as act:
        return _draft_apology(act, reason, new_appointment_at)


def _draft_apology(
    act: Action[Dossier], reason: str, new_appointment_at: datetime
) -> ApologyLetter:
    locked, official = act.case, act.acting_official
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
    # The dossier row is not written: the letter waits for a leader's decision.
    _record(
        act,
        E.APOLOGY_DRAFTED,
        reason=reason,
        new_appointment_at=new_appointment_at,
        letter=letter.pk,
    )
    return letter


def decide_apology(
    *, actor: Actor, letter_id: int, approve: bool, version: int | None = None
) -> ApologyLetter:
    """A leader of the agency holding the active step approves (the new date is promised to
    the applicant, who is told; the legal appointment stays) or rejects the letter. The date is
    checked again on approval: the dates may have moved since the draft."""
    official_of(actor)  # a letter's existence is only told to officials
    code = (
        ApologyLetter.objects.filter(pk=letter_id).values_list("dossier__code", flat=True).first()
    )
    if code is None:
        raise NotFoundError("Không tìm thấy phiếu xin lỗi.")
    with perform(
        DOSSIER, "approve_apology", actor=actor, case=code, expected_version=version
    ) as act:
        return _decide_apology(act, letter_id, approve)


def _decide_apology(act: Action[Dossier], letter_id: int, approve: bool) -> ApologyLetter:
    locked, official = act.case, act.acting_official
    letter = ApologyLetter.objects.select_for_update().get(pk=letter_id)
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
        # A promise, not a new legal due date: appointment_at (on time or late) stays.
        locked.promised_at = letter.new_appointment_at
        act.save("promised_at")
        _record(
            act,
            E.APOLOGY_APPROVED,
            letter=letter.pk,
            reason=letter.reason,
            promised_at=letter.new_appointment_at,
            legal_appointment_at=locked.appointment_at,
            previous_appointment_at=letter.previous_appointment_at,
        )
        notices.issue_apology(locked, letter)  # form 04, and the notice
    else:
        _record(act, E.APOLOGY_REJECTED, letter=letter.pk)
    return letter


# --- on time or late -----------------------------------------------------------------------------


def is_on_time(dossier: Dossier, at: datetime | None = None) -> bool | None:
    """The 766 rule: on time when the date processing ended is not after the date of the legal
    appointment (deadlines.ended_in_time: 17:01 on the due day is on time); an open dossier is
    judged at `at` (the end of a reporting period). A date promised by form 04 does not count:
    the apology is made because the dossier is late. More than one supplement request counts as
    late when settings.ONESTOP_REPEATED_SUPPLEMENT_IS_LATE (default on)."""
    if dossier.appointment_at is None:
        return None
    if dossier.supplement_count > 1 and getattr(
        settings, "ONESTOP_REPEATED_SUPPLEMENT_IS_LATE", True
    ):
        return False
    end = dossier.finished_at or at or timezone.now()
    return ended_in_time(end, dossier.appointment_at)


def kept_promise(dossier: Dossier, at: datetime | None = None) -> bool | None:
    """Whether processing ended by the date an approved apology letter promised (None without
    a promise). Told apart from is_on_time: a kept promise is still a late dossier."""
    if dossier.promised_at is None:
        return None
    return ended_in_time(dossier.finished_at or at or timezone.now(), dossier.promised_at)
