"""Dossier actions on the portal side: submit online, rate; public lookup and the timeline.

The applicant's supplement answer is a one-stop action (onestop.services.provide_supplement):
every change of a dossier's status runs through the one-stop engine."""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from egov.accounts.identity import normalize_phone
from egov.accounts.models import User
from egov.catalog.models import OnlineMode, Procedure, ProcessVersion, TimeUnit
from egov.catalog.services import note_submission
from egov.core.actors import Actor, actor_for_user
from egov.core.errors import Conflict, DomainError, NotAllowed, NotFoundError
from egov.core.uploads import CheckedFile, UploadRejected, check_total, save_file
from egov.events.catalogue import CATALOGUE
from egov.events.models import Event
from egov.events.services import record_event
from egov.identity import prefill
from egov.org.models import Agency
from egov.workcalendar.services import WorkingCalendar

from . import event_types as E
from . import fees as fee_rules
from .codes import generator
from .error_codes import DossierErrorCode as Code
from .formschema import clean_field_value, validate_form
from .models import (
    Channel,
    Dossier,
    DossierFile,
    Draft,
    PaymentState,
    Rating,
    ResultDelivery,
    Status,
)
from .notify import notify_applicant
from .uploads import check_paper


class SubmissionError(DomainError):
    code = Code.SUBMISSION_INVALID


class IdentityLevelRequired(NotAllowed):
    """The procedure asks for a higher electronic identity level than the account holds."""

    code = Code.IDENTITY_LEVEL_REQUIRED


def due_date(
    procedure: Procedure,
    agency: Agency | None,
    start: datetime,
    process: ProcessVersion | None = None,
) -> datetime:
    """The appointment date for a dossier received at `start` (the calendar service decides),
    from the legal time of the process version it runs under (else the procedure's)."""
    calendar = WorkingCalendar.for_agency(agency)
    source: Any = process or procedure
    amount = Decimal(source.processing_time)
    if source.time_unit == TimeUnit.WORKING_HOURS:
        return calendar.add_working_hours(start, amount)
    whole = int(amount)
    if amount == whole:
        return calendar.add_working_days(start, whole)
    hours_per_day = Decimal(calendar.day_length.total_seconds()) / 3600
    return calendar.add_working_hours(start, amount * hours_per_day)


@dataclass
class Submission:
    procedure_code: str
    agency_identifier: str
    form_data: Mapping[str, Mapping[str, Any]]  # component code -> field values
    uploads: Mapping[str, Sequence[UploadedFile]]  # component code -> files
    result_delivery: str
    delivery_address: str = ""
    summary: str = ""
    idempotency_key: str | None = None
    chain: str | None = None  # a ProcedureChain code whose first procedure is this one
    # The applicant's choice of optional fees: {fee id: units} (dossiers.fees).
    fees: Mapping[str, Any] = field(default_factory=dict)
    # Exemptions claimed: {fee id: exemption id}, each with its proof {fee id: files}.
    exemptions: Mapping[str, Any] = field(default_factory=dict)
    exemption_proofs: Mapping[str, Sequence[UploadedFile]] = field(default_factory=dict)
    # The applicant consented to fill the form from their verified eID claims (and when): the
    # fields those claims fill are checked against them and recorded as verified.
    identity_prefill: bool = False
    prefill_consented_at: datetime | None = None


def _applicant_fields(user: User) -> dict[str, str]:
    if user.kind == User.Kind.CITIZEN:
        return {
            "applicant_kind": "citizen",
            "applicant_id_number": user.citizen.personal_id,
            "applicant_name": user.get_full_name(),
        }
    if user.kind == User.Kind.BUSINESS:
        return {
            "applicant_kind": "business",
            "applicant_id_number": user.business.tax_code,
            "applicant_name": user.business.name,
            "applicant_address": user.business.address,
        }
    raise NotAllowed("Chỉ công dân, tổ chức, doanh nghiệp được nộp hồ sơ trực tuyến.")


@dataclass
class Checked:
    """A submission that passed every check: what `submit_online` stores."""

    procedure: Procedure
    agency: Agency
    form_values: dict[str, Any]
    files: list[tuple[Any, CheckedFile]]
    fee_lines: list[fee_rules.FeeLine]
    # The proofs of the exemptions claimed, checked like papers.
    proofs: list[CheckedFile] = field(default_factory=list)
    # The account's eID level, and the form fields ("component.field") whose value is the
    # verified claim's (with the applicant's consent).
    identity_level: int = 0
    verified_fields: list[str] = field(default_factory=list)


def validate_submission(*, user: User, submission: Submission) -> Checked:
    """Every check `submit_online` makes, storing nothing: the portal's check-answers page is
    shown only for a submission that would be accepted (SubmissionError with all field errors)."""
    _applicant_fields(user)
    return _validate(submission, user)


def _validate(submission: Submission, user: User) -> Checked:
    procedure = (
        Procedure.objects.filter(code=submission.procedure_code, is_published=True)
        .prefetch_related("components", "fees__exemptions", "agencies")
        .first()
    )
    if procedure is None:
        raise NotFoundError(
            f"Không tìm thấy thủ tục “{submission.procedure_code}”.", code=Code.UNKNOWN_PROCEDURE
        )
    if procedure.online_mode not in (OnlineMode.FULL, OnlineMode.PARTIAL):
        raise SubmissionError(
            "Thủ tục này chưa cung cấp dịch vụ công trực tuyến: vui lòng nộp trực tiếp hoặc qua "
            "bưu chính.",
            code=Code.NOT_ONLINE,
        )
    if user.kind == User.Kind.CITIZEN and not procedure.for_citizens:
        raise SubmissionError(
            "Thủ tục này dành cho tổ chức, doanh nghiệp.", code=Code.APPLICANT_TYPE
        )
    if user.kind == User.Kind.BUSINESS and not procedure.for_businesses:
        raise SubmissionError("Thủ tục này dành cho công dân.", code=Code.APPLICANT_TYPE)
    level = check_identity_level(user, procedure, chain=submission.chain)
    agency = next(
        (a for a in procedure.agencies.all() if a.identifier == submission.agency_identifier), None
    )
    errors: dict[str, list[str]] = {}
    if agency is None:
        # Reported with every other error at once; alone, under its own code.
        errors["agency"] = [
            "Vui lòng chọn cơ quan tiếp nhận."
            if not submission.agency_identifier
            else "Cơ quan không thực hiện thủ tục này."
        ]
    if submission.result_delivery not in ResultDelivery.values:
        errors["result_delivery"] = ["Hãy chọn cách nhận kết quả."]
    if (
        submission.result_delivery == ResultDelivery.POST
        and not submission.delivery_address.strip()
    ):
        errors["delivery_address"] = ["Nhận qua bưu chính cần địa chỉ nhận."]
    if len(submission.delivery_address) > 500:
        errors["delivery_address"] = ["Địa chỉ tối đa 500 ký tự."]
    if len(submission.summary) > 500:
        errors["summary"] = ["Trích yếu tối đa 500 ký tự."]

    check_total(
        f
        for uploads in (submission.uploads, submission.exemption_proofs)
        for files in uploads.values()
        for f in files
    )
    components = {c.code: c for c in procedure.components.all()}
    for code in list(submission.form_data) + list(submission.uploads):
        if code not in components:
            errors[code] = ["Thành phần hồ sơ không thuộc thủ tục này."]
    form_values: dict[str, Any] = {}
    checked: list[tuple[Any, CheckedFile]] = []
    verified_claims = prefill.claims_for(user) if submission.identity_prefill else {}
    verified: list[str] = []
    for code, component in components.items():
        if component.is_online_form:
            data = submission.form_data.get(code, {})
            if verified_claims and isinstance(data, Mapping):
                data, marked = _overlay_claims(
                    code, component.form_schema, data, verified_claims, errors
                )
                verified += marked
            try:
                form_values[code] = validate_form(component.form_schema or {}, data)
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    errors[f"{code}.{field}"] = messages
            continue
        files = list(submission.uploads.get(code, []))
        if component.required and not files:
            errors[code] = [f"Thiếu thành phần bắt buộc: {component.name}."]
        for upload in files:
            try:
                checked.append((component, check_paper(upload, label=component.name)))
            except UploadRejected as exc:
                errors.setdefault(code, []).append(exc.message)
    lines: list[fee_rules.FeeLine] = []
    proofs: list[CheckedFile] = []
    claims: dict[str, Any] = {}
    try:
        lines = fee_rules.fee_lines(procedure.fees.all(), submission.fees, submission.exemptions)
    except DomainError as exc:
        errors.update(exc.fields)
    with suppress(DomainError):  # named by fee_lines above
        claims = fee_rules.exemption_claims(
            procedure.fees.all(), submission.exemptions, submission.fees
        )
    proofs = _check_proofs(claims, submission.exemption_proofs, errors)
    if list(errors) == ["agency"]:
        raise SubmissionError(
            "Vui lòng chọn cơ quan tiếp nhận thực hiện thủ tục này.",
            code=Code.AGENCY,
            fields=errors,
        )
    if errors or agency is None:
        raise SubmissionError(
            "Hồ sơ chưa hợp lệ, vui lòng kiểm tra các mục được đánh dấu.", fields=errors
        )
    return Checked(
        procedure,
        agency,
        form_values,
        checked,
        lines,
        proofs,
        identity_level=level,
        verified_fields=verified,
    )


def check_identity_level(user: User, procedure: Procedure, *, chain: str | None = None) -> int:
    """The account's eID level (0: no link), or IdentityLevelRequired when this procedure, or a
    further procedure of the chain asked for with it, needs more (catalog min_identity_level)."""
    level = prefill.account_level(user)
    required = int(procedure.min_identity_level or 0)
    if chain:
        from egov.catalog.models import ProcedureChain

        found = ProcedureChain.objects.filter(code=chain, is_active=True).first()
        if found is not None:
            required = max(
                [required] + [int(i.procedure.min_identity_level or 0) for i in found.items.all()]
            )
    if level < required:
        raise IdentityLevelRequired(prefill.refusal_message(required, level))
    return level


def _overlay_claims(
    code: str,
    schema: Any,
    data: Mapping[str, Any],
    claims: Mapping[str, str],
    errors: dict[str, list[str]],
) -> tuple[dict[str, Any], list[str]]:
    """The form's values with the verified claims where the applicant left a field empty; a
    field sent with another value than its claim is refused (never marked as verified)."""
    specs = {f["name"]: f for f in (schema or {}).get("fields", [])}
    values = dict(data)
    marked: list[str] = []
    for name, claimed in prefill.schema_values(schema, claims).items():
        spec = specs[name]
        try:
            expected = clean_field_value(spec, claimed)
        except ValidationError:
            continue  # a claim the form cannot take: neither filled nor marked
        given = values.get(name)
        if given is None or str(given).strip() == "":
            values[name] = claimed
        else:
            try:
                same = clean_field_value(spec, given) == expected
            except ValidationError:
                same = False
            if not same:
                errors[f"{code}.{name}"] = [
                    f"“{spec.get('label', name)}” đã được xác thực qua VNeID và không sửa được; "
                    "để khai khác, hãy bỏ điền sẵn từ VNeID."
                ]
                continue
        marked.append(f"{code}.{name}")
    return values, marked


def _check_proofs(
    claims: Mapping[str, Any],
    uploads: Mapping[str, Sequence[UploadedFile]],
    errors: dict[str, list[str]],
) -> list[CheckedFile]:
    """Each exemption claimed needs its proof (errors under `exemption_proof.<fee id>`); a proof
    for a fee whose exemption is not claimed is ignored."""
    proofs: list[CheckedFile] = []
    for key, claim in claims.items():
        files = list(uploads.get(key, []))
        where = f"exemption_proof.{key}"
        if not files:
            errors[where] = [f"Đính kèm {claim.proof.lower()} để được miễn, giảm."]
        for upload in files:
            try:
                proofs.append(check_paper(upload, label=claim.proof))
            except UploadRejected as exc:
                errors.setdefault(where, []).append(exc.message)
    return proofs


def submit_online(*, user: User, submission: Submission) -> Dossier:
    """Create a dossier with status 1 (new). A retried request with the same key returns the
    dossier made the first time."""
    actor = actor_for_user(user)
    if submission.idempotency_key:
        existing = Dossier.objects.filter(
            idempotency_key=submission.idempotency_key, applicant=user
        ).first()
        if existing is not None:
            return existing
    applicant = _applicant_fields(user)
    valid = _validate(submission, user)
    procedure, agency, form_values, checked = (
        valid.procedure,
        valid.agency,
        valid.form_values,
        valid.files,
    )
    # Read before the transaction: inside it, the agency's daily code counter (taken first) and
    # then its event-chain head stay locked until commit, and every other submission to the
    # agency waits for them (issue #19).
    now = timezone.now()
    local_day = timezone.localdate(now)
    process = procedure.current_process()
    appointment_at = due_date(procedure, agency, now, process)
    try:
        with transaction.atomic():
            dossier = Dossier.objects.create(
                code=generator()(agency.identifier, local_day),
                procedure=procedure,
                process_version=process,
                agency=agency,
                applicant=user,
                applicant_phone=user.phone,
                applicant_email=user.email,
                summary=submission.summary.strip() or procedure.name,
                channel=Channel.ONLINE,
                status=Status.NEW,
                result_delivery=submission.result_delivery,
                delivery_address=submission.delivery_address.strip(),
                form_data=form_values,
                fee_total=fee_rules.total(valid.fee_lines),
                fee_lines=fee_rules.stored(valid.fee_lines),
                payment_state=PaymentState.EXEMPT
                if fee_rules.exempt(valid.fee_lines)
                else PaymentState.NONE,
                submitted_at=now,
                appointment_at=appointment_at,
                idempotency_key=submission.idempotency_key or None,
                **applicant,
            )
            for component, checked_file in checked:
                store_paper(dossier, checked_file, DossierFile.Kind.COMPONENT, component)
            for proof in valid.proofs:
                store_paper(dossier, proof, DossierFile.Kind.EXEMPTION_PROOF)
            note_submission(procedure)
            record_event(
                actor=actor,
                event_type=E.SUBMITTED,
                subject_type="dossier",
                subject_id=dossier.code,
                agency_id=agency.pk,
                payload={
                    "status": Status.NEW,
                    "procedure": procedure.code,
                    "channel": Channel.ONLINE,
                    "appointment_at": dossier.appointment_at,
                    "files": [
                        {"component": c.code, "name": f.name, "sha256": f.sha256}
                        for c, f in checked
                    ],
                    "process_version": process.version if process else None,
                    "applicant_kind": dossier.applicant_kind,
                    "applicant_name": dossier.applicant_name,
                    "applicant_id_number": dossier.applicant_id_number,
                    "summary": dossier.summary,
                    "fee_total": dossier.fee_total,
                    "exemptions": [
                        {
                            "fee": line.name,
                            "group": line.exemption,
                            "percent": line.exemption_percent,
                        }
                        for line in valid.fee_lines
                        if line.exemption
                    ],
                    "proofs": [{"name": f.name, "sha256": f.sha256} for f in valid.proofs],
                    "identity_level": valid.identity_level,
                    **(
                        {
                            "prefill_consented_at": submission.prefill_consented_at or now,
                            "verified_fields": valid.verified_fields,
                        }
                        if submission.identity_prefill
                        else {}
                    ),
                },
            )
            linked = (
                _create_chained(actor, dossier, submission.chain, now) if submission.chain else []
            )
            extra = "".join(f" Hồ sơ liên thông: {d.code} ({d.procedure.name})." for d in linked)
            notify_applicant(
                dossier,
                "submitted",
                f"Hồ sơ {dossier.code} ({procedure.name}) đã được gửi tới {agency.name}. "
                f"Ngày hẹn trả dự kiến: {timezone.localtime(dossier.appointment_at):%d/%m/%Y}."
                + extra,
            )
    except IntegrityError as exc:
        if submission.idempotency_key:
            existing = Dossier.objects.filter(
                idempotency_key=submission.idempotency_key, applicant=user
            ).first()
            if existing is not None:
                return existing
        raise Conflict("Không thể lưu hồ sơ, vui lòng thử lại.") from exc
    return dossier


def store_paper(
    dossier: Dossier, item: CheckedFile, kind: str, component: Any = None
) -> DossierFile:
    """The one way a checked paper joins a dossier: a DossierFile row with its stored file,
    in the caller's transaction (the file goes again if that transaction rolls back)."""
    row = DossierFile(
        dossier=dossier,
        component=component,
        kind=kind,
        original_name=item.name,
        content_type=item.content_type,
        size=item.size,
        sha256=item.sha256,
        page_count=item.page_count,
    )
    save_file(row.file, item.name, item.content)
    row.save()
    return row


def _create_chained(actor: Actor, main: Dossier, chain_code: str, now: datetime) -> list[Dossier]:
    """Liên thông: one linked dossier per further procedure of the chain, each at its agency,
    with the same applicant and the same papers (the stored files are shared, never copied)."""
    from egov.catalog.models import ProcedureChain
    from egov.onestop.models import DossierLink

    chain = ProcedureChain.objects.filter(code=chain_code, is_active=True).first()
    items = list(chain.items.select_related("procedure").order_by("order")) if chain else []
    if not items or items[0].procedure_id != main.procedure_id:
        raise SubmissionError(
            "Nhóm thủ tục liên thông không hợp lệ cho thủ tục này.",
            code=Code.INVALID_CHAIN,
            fields={"chain": ["Không hợp lệ."]},
        )
    agencies = {a.identifier: a for a in Agency.objects.filter(is_active=True)}
    files = list(main.files.all())
    created = []
    for item in items[1:]:
        procedure = item.procedure
        agency = agencies.get(item.agency_identifier) if item.agency_identifier else main.agency
        if agency is None or not procedure.is_published:
            raise SubmissionError(
                f"Thủ tục liên thông “{procedure.name}” hiện không tiếp nhận được.",
                code=Code.INVALID_CHAIN,
            )
        process = procedure.current_process()
        # The chained procedure's optional fees were not offered: those due by law only.
        chained_lines = fee_rules.fee_lines(procedure.fees.all())
        linked = Dossier.objects.create(
            code=generator()(agency.identifier, timezone.localdate(now)),
            procedure=procedure,
            process_version=process,
            agency=agency,
            applicant=main.applicant,
            applicant_kind=main.applicant_kind,
            applicant_name=main.applicant_name,
            applicant_id_number=main.applicant_id_number,
            applicant_phone=main.applicant_phone,
            applicant_email=main.applicant_email,
            applicant_address=main.applicant_address,
            summary=procedure.name,
            channel=main.channel,
            status=Status.NEW,
            result_delivery=main.result_delivery,
            delivery_address=main.delivery_address,
            fee_total=fee_rules.total(chained_lines),
            fee_lines=fee_rules.stored(chained_lines),
            submitted_at=now,
            appointment_at=due_date(procedure, agency, now, process),
        )
        DossierFile.objects.bulk_create(
            DossierFile(
                dossier=linked,
                kind=f.kind,
                file=f.file.name,
                original_name=f.original_name,
                content_type=f.content_type,
                size=f.size,
                sha256=f.sha256,
                page_count=f.page_count,
            )
            for f in files
        )
        DossierLink.objects.create(source=main, target=linked, kind="chained")
        note_submission(procedure)
        record_event(
            actor=actor,
            event_type=E.SUBMITTED,
            subject_type="dossier",
            subject_id=linked.code,
            agency_id=agency.pk,
            payload={
                "status": Status.NEW,
                "procedure": procedure.code,
                "channel": linked.channel,
                "chained_from": main.code,
                "chain": chain_code,
                "appointment_at": linked.appointment_at,
                "fee_total": linked.fee_total,
                "applicant_kind": linked.applicant_kind,
                "applicant_name": linked.applicant_name,
                "applicant_id_number": linked.applicant_id_number,
                "summary": linked.summary,
            },
        )
        created.append(linked)
    return created


def public_lookup(code: str, second_factor: str, *, only: tuple[str, ...] = ()) -> Dossier | None:
    """A dossier by code plus the applicant's id number or phone; None when either is wrong.
    `only`: the fields the caller reads (the public API's lookup loads no more than it shows:
    three wide rows cost more to build than the query takes)."""
    code = (code or "").strip().upper()
    if not code or len(code) > 40:
        return None
    qs = Dossier.objects.select_related("procedure", "agency")
    if only:
        qs = qs.only("code", "applicant_id_number", "applicant_phone", *only)
    dossier = qs.filter(code=code).first()
    if dossier is None:
        return None
    if not second_factor_matches(
        second_factor, dossier.applicant_id_number, dossier.applicant_phone
    ):
        return None
    return dossier


def second_factor_matches(second_factor: str, id_number: str, phone: str) -> bool:
    """The applicant's id number (or tax code), or the phone on the dossier in any usual
    spelling, compared in constant time."""
    secret = (second_factor or "").strip().replace(" ", "")
    if not secret or len(secret) > 20:
        return False
    candidates = [c.encode() for c in (id_number, phone) if c]
    if any(hmac.compare_digest(secret.encode(), c) for c in candidates):
        return True
    # Only then the phone in another spelling (+84…, 84…): parsing it costs more than the rest.
    try:
        normalized = normalize_phone(secret)
    except ValidationError:
        return False
    return bool(phone) and hmac.compare_digest(normalized.encode(), phone.encode())


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    event_type: str
    title: str
    actor: str
    status: int | None
    detail: str


EVENT_TITLES = {
    E.SUBMITTED.name: "Nộp hồ sơ trực tuyến",
    E.RECEIVED.name: "Tiếp nhận hồ sơ",
    E.REFUSED.name: "Từ chối tiếp nhận",
    E.STEP_STARTED.name: "Chuyển xử lý",
    E.FORWARDED.name: "Chuyển bước xử lý",
    E.SUPPLEMENT_REQUESTED.name: "Yêu cầu bổ sung hồ sơ",
    E.SUPPLEMENT_PROVIDED.name: "Công dân bổ sung hồ sơ",
    E.PAYMENT_REQUESTED.name: "Yêu cầu thực hiện nghĩa vụ tài chính",
    E.DONE.name: "Đã xử lý xong",
    E.RETURNED.name: "Trả kết quả",
    E.RATED.name: "Đánh giá mức độ hài lòng",
    E.WITHDRAWN.name: "Rút hồ sơ",
    E.STOPPED.name: "Dừng xử lý",
    E.ASSIGNED.name: "Phân công xử lý",
    E.APPROVED.name: "Lãnh đạo phê duyệt",
    E.SENT_BACK.name: "Trả lại bước trước",
    E.RESULT_RECORDED.name: "Cập nhật kết quả giải quyết",
    E.RESULT_SIGNED.name: "Ký số kết quả (bản chính điện tử)",
    E.PAYMENT_RECEIVED.name: "Đã thực hiện nghĩa vụ tài chính",
    E.APOLOGY_DRAFTED.name: "Lập phiếu xin lỗi và hẹn lại",
    E.APOLOGY_APPROVED.name: "Xin lỗi và hẹn lại ngày trả kết quả",
    E.APOLOGY_REJECTED.name: "Không duyệt phiếu xin lỗi",
}

# Titles of the dossier events only officials see in the timeline and the workspace: the
# dossiers' own working records, and those other apps record on a dossier (the national portal
# sync), which they add with register_official_title when ready. No title ever shows as a code.
OFFICIAL_TITLES = {
    E.REMINDER_SENT.name: "Nhắc việc xử lý hồ sơ",
    E.DEADLINE_MOVED.name: "Tính lại ngày hẹn trả theo lịch làm việc",
}


def register_official_title(event_type: str, title: str) -> None:
    """The Vietnamese title officials see for a dossier event another app declares."""
    OFFICIAL_TITLES[event_type] = title


def event_title(event_type: str) -> str:
    """What a dossier event is called on the pages: its title, else its declared description."""
    title = EVENT_TITLES.get(event_type) or OFFICIAL_TITLES.get(event_type)
    if title:
        return title
    declared = CATALOGUE.get(event_type)
    return declared.description if declared else event_type


# Internal working records officials see but applicants do not (drafts, refusals of drafts,
# reminders, reassignments inside the agency).
INTERNAL_EVENTS = frozenset(
    {
        E.APOLOGY_DRAFTED.name,
        E.APOLOGY_REJECTED.name,
        E.REMINDER_SENT.name,
        E.ASSIGNED.name,
    }
)


def timeline(dossier: Dossier, *, for_applicant: bool = False) -> list[TimelineEntry]:
    """The dossier's steps from its events (the single record of what happened). Applicants see
    the public steps only; officials also see internal ones."""
    events = (
        Event.objects.filter(subject_type="dossier", subject_id=dossier.code)
        .only("occurred_at", "event_type", "payload")
        .order_by("id")
    )
    rows = ((e.occurred_at, e.event_type, e.payload) for e in events)
    return timeline_entries(rows, for_applicant=for_applicant)


def timeline_entries(
    rows: Iterable[tuple[datetime, str, Mapping[str, Any] | None]], *, for_applicant: bool
) -> list[TimelineEntry]:
    """The timeline from (moment, event type, payload) rows in the order they happened (the
    page's ORM read and the public lookup's SQL read share it)."""
    entries = []
    for occurred_at, event_type, stored in rows:
        if event_type not in EVENT_TITLES and for_applicant:
            continue
        if for_applicant and event_type in INTERNAL_EVENTS:
            continue
        declared = CATALOGUE.get(event_type)
        payload = declared.read(stored or {}) if declared else None
        title = event_title(event_type)
        detail = str(getattr(payload, "note", "") or getattr(payload, "reason", ""))
        if isinstance(payload, E.Withdrawn) and payload.online:
            title = "Người nộp rút hồ sơ trực tuyến"
        if isinstance(payload, E.SupplementRequested) and payload.items:
            # What, why and by when (#15), the papers named apart from the reason.
            papers = "; ".join(item.name for item in payload.items)
            by = (
                f" Hạn bổ sung: {timezone.localtime(payload.answer_by):%d/%m/%Y}."
                if payload.answer_by
                else ""
            )
            detail = f"Cần bổ sung: {papers}. Lý do: {payload.reason.rstrip('.')}.{by}"
        entries.append(
            TimelineEntry(
                at=occurred_at,
                event_type=event_type,
                title=title,
                actor=str(getattr(payload, "unit_name", "") or getattr(payload, "agency_name", "")),
                status=getattr(payload, "status", None),
                detail=detail,
            )
        )
    return entries


def rate(*, user: User, dossier: Dossier, level: int, comment: str = "") -> Rating:
    """One rating per dossier, once the result is returned (or processing is done)."""
    if dossier.applicant_id != user.pk:
        raise NotFoundError("Không tìm thấy hồ sơ.")
    if level not in Rating.Level.values:
        raise DomainError(
            "Mức độ hài lòng không hợp lệ.",
            code=Code.INVALID_RATING,
            fields={"level": ["Chọn một trong năm mức."]},
        )
    if len(comment) > 2000:
        raise DomainError(
            "Góp ý tối đa 2000 ký tự.", code=Code.INVALID_RATING, fields={"comment": ["Quá dài."]}
        )
    if dossier.status not in (Status.DONE, Status.RETURNED):
        raise Conflict("Chỉ đánh giá được khi hồ sơ đã có kết quả.", code=Code.INVALID_STATE)
    try:
        with transaction.atomic():
            rating = Rating.objects.create(dossier=dossier, level=level, comment=comment.strip())
            record_event(
                actor=actor_for_user(user),
                event_type=E.RATED,
                subject_type="dossier",
                subject_id=dossier.code,
                agency_id=dossier.agency_id,
                payload={"level": level, "comment": comment.strip()},
            )
    except IntegrityError as exc:
        raise Conflict("Hồ sơ này đã được đánh giá.", code=Code.ALREADY_RATED) from exc
    return rating


# --- drafts of an online submission --------------------------------------------------------------
# (kept apart from the dossier actions above: a draft is the applicant's notes, not a dossier)


def save_draft(*, user: User, procedure: Procedure, data: Mapping[str, Any]) -> Draft:
    """Keep the applicant's unfinished form for this procedure (one draft per procedure; files
    are not kept and are uploaded again when submitting)."""
    draft, _created = Draft.objects.update_or_create(
        applicant=user, procedure=procedure, defaults={"data": dict(data)}
    )
    return draft


def discard_draft(*, user: User, procedure: Procedure) -> None:
    """Forget the draft, and the papers the portal kept with it (`_files`: {component:
    [{"path", ...}]}, stored under drafts/)."""
    from django.core.files.storage import default_storage

    for draft in Draft.objects.filter(applicant=user, procedure=procedure):
        for files in (draft.data.get("_files") or {}).values():
            for item in files:
                path = str(item.get("path", ""))
                if path.startswith("drafts/"):
                    default_storage.delete(path)
        draft.delete()


def note_payment(
    dossier: Dossier,
    *,
    state: str,
    amount_paid: int | None = None,
    paid_at: datetime | None = None,
) -> None:
    """The payments app's word on what the applicant owes, kept on the dossier (inside the
    payment action's transaction, whose event records it): every page, form 01 and the API
    show it from here at once."""
    dossier.payment_state = state
    fields = ["payment_state"]
    if amount_paid is not None:
        dossier.amount_paid = amount_paid
        fields.append("amount_paid")
    if paid_at is not None:
        dossier.paid_at = paid_at
        fields.append("paid_at")
    Dossier.objects.filter(pk=dossier.pk).update(**{f: getattr(dossier, f) for f in fields})
