"""Changes to the procedure catalogue: sectors, procedures, dossier components, fees and
versioned standard processes.

Every change runs in one transaction with the event that records it, and only operators (or the
system) may make it. Nothing is written and no event is recorded when nothing changed, so loading
the same catalogue twice is harmless.

Process versions are append-only: publishing a new version creates new rows and only clears the
``is_current`` flag of the previous one; its steps are never touched, so dossiers that reference an
old ``ProcessVersion`` keep the process (and the legal time) they were received under.

``search_text`` (code, name and sector, lower-case, accents removed) is maintained here on every
save with ``egov.core.text.normalize_vietnamese``, the one normaliser for it and for queries.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max, ProtectedError
from django.utils import timezone

from egov.core.actors import Actor
from egov.core.errors import DomainError, NotAllowed
from egov.core.text import normalize_vietnamese
from egov.events.services import record_event
from egov.org.models import AGENCY_ID_VALIDATOR, Agency, Role, Unit

from . import event_types
from .error_codes import CatalogErrorCode
from .models import (
    CENTRE_RECEPTION_BASIS,
    PROCEDURE_CODE_VALIDATOR,
    DossierComponent,
    Fee,
    FeeExemption,
    IdentityRequirement,
    Level,
    OnlineMode,
    PaymentTiming,
    Procedure,
    ProcessStep,
    ProcessVersion,
    ReceptionDesk,
    Sector,
    TimeUnit,
)

# Field types an online form (DossierComponent.form_schema) may use.
FORM_FIELD_TYPES = {
    "text": "Chữ",
    "textarea": "Đoạn văn",
    "date": "Ngày",
    "number": "Số",
    "select": "Chọn một",
    "checkbox": "Đánh dấu",
    "personal_id": "Số định danh cá nhân",
    "phone": "Số điện thoại",
    "email": "Thư điện tử",
}
# Keys a form field may carry; "not_future" forbids dates after today; "min"/"max" bound a number
# (default 0..1,000,000,000, egov/dossiers/formschema.py).
FORM_FIELD_KEYS = {
    "min",
    "max",
    "name",
    "label",
    "type",
    "required",
    "max_length",
    "choices",
    "help_text",
    "placeholder",
    "not_future",
    "prefill",
}
# "prefill": the field is the applicant's own and the portal fills it from their account.
PREFILL_SOURCES = {
    "full_name": "Họ và tên",
    "personal_id": "Số định danh cá nhân",
    "birth_year": "Năm sinh",
    "phone": "Số điện thoại",
    "email": "Thư điện tử",
    "address": "Địa chỉ",
    # Filled only from the claims the national electronic identity verified (VNeID), with the
    # applicant's consent (egov/identity/prefill.py; docs/identity-portal.md).
    "birth_date": "Ngày sinh",
    "gender": "Giới tính",
    "nationality": "Quốc tịch",
    "current_address": "Nơi ở hiện tại",
}
# Roles that may own a process step: every official role except the system operator.
STEP_ROLES = [r for r in Role.values if r != Role.OPERATOR]

PROCEDURE_FIELDS = (
    "code",
    "name",
    "sector",
    "level",
    "legal_basis",
    "for_citizens",
    "for_businesses",
    "processing_time",
    "time_unit",
    "result_description",
    "online_mode",
    "requirements",
    "is_published",
    "electronic_original",
    "result_sealed",
    "result_signing_basis",
    "payment_timing",
    "min_identity_level",
)
COMPONENT_CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
SECTOR_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$")
FIELD_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
MAX_AMOUNT = 10**13  # 10 000 billion VND: far above any fee, below PositiveBigIntegerField


class CatalogError(DomainError):
    code = CatalogErrorCode.CATALOG_INVALID


def build_search_text(procedure: Procedure) -> str:
    sector_name = procedure.sector.name if procedure.sector_id else ""
    return normalize_vietnamese(f"{procedure.code} {procedure.name} {sector_name}")


# --- input shapes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComponentSpec:
    """One dossier component as services, forms and the importer hand it over."""

    code: str
    name: str
    required: bool = True
    originals: int = 1
    copies: int = 0
    form_schema: dict[str, Any] | None = None
    # A stored file name (as exported), an uploaded file, or "" for none.
    form_template: Any = ""


@dataclass(frozen=True)
class ExemptionSpec:
    """A group a fee exempts (percent 100) or reduces, the proof its members attach, the text
    that grants it."""

    group: str
    percent: int = 100
    proof: str = ""
    legal_source: str = ""


@dataclass(frozen=True)
class FeeSpec:
    kind: str
    name: str
    amount: int
    rule: str = ""
    optional: bool = False  # charged only when the applicant asks for it
    unit: str = ""  # charged per unit ("bản"), the applicant gives the number
    legal_source: str = ""  # the text that sets the amount
    exemptions: tuple[ExemptionSpec, ...] = ()


@dataclass(frozen=True)
class StepSpec:
    name: str
    role: str
    budget: Decimal | int | float | str
    unit_kind: str = ""
    agency_identifier: str = ""


def component_spec(component: DossierComponent) -> ComponentSpec:
    return ComponentSpec(
        code=component.code,
        name=component.name,
        required=component.required,
        originals=component.originals,
        copies=component.copies,
        form_schema=component.form_schema or None,
        form_template=component.form_template.name or "",
    )


def fee_spec(fee: Fee) -> FeeSpec:
    return FeeSpec(
        kind=fee.kind,
        name=fee.name,
        amount=fee.amount,
        rule=fee.rule,
        optional=fee.optional,
        unit=fee.unit,
        legal_source=fee.legal_source,
        exemptions=tuple(
            ExemptionSpec(e.group, e.percent, e.proof, e.legal_source) for e in fee.exemptions.all()
        ),
    )


def step_spec(step: ProcessStep) -> StepSpec:
    return StepSpec(
        name=step.name,
        role=step.role,
        budget=step.budget,
        unit_kind=step.unit_kind,
        agency_identifier=step.agency_identifier,
    )


# --- formatting ----------------------------------------------------------------------------------


def format_time(value: Decimal | int | float, unit: str = TimeUnit.WORKING_DAYS) -> str:
    """`Decimal("2.50"), "days"` → "2,5 ngày làm việc" (Vietnamese decimal comma)."""
    number = Decimal(str(value)).normalize()
    text = f"{number:f}".replace(".", ",")
    label = TimeUnit(unit).label if unit in TimeUnit.values else unit
    return f"{text} {label}"


def to_decimal(value: Any, places: int) -> Decimal | None:
    """A number with at most `places` decimals, or None when it is not one."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite():
        return None
    quantum = Decimal(1).scaleb(-places)
    if number != number.quantize(quantum):
        return None
    return number.quantize(quantum)


# --- checks (shared with the admin forms and the importer) ---------------------------------------


def check_code(code: str) -> list[str]:
    try:
        PROCEDURE_CODE_VALIDATOR(code)
    except ValidationError:
        return [
            f"Mã thủ tục '{code}' không đúng định dạng: mã có dạng 1.000948.H38 hoặc "
            "2.001218.000.00.00.H38."
        ]
    return []


def check_procedure_values(values: dict[str, Any]) -> dict[str, list[str]]:
    """Rules on a procedure's own fields; {field: [Vietnamese messages]}."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if "code" in values:
        for message in check_code(values["code"]):
            add("code", message)
    if "name" in values:
        name = values["name"]
        if not name or not str(name).strip():
            add("name", "Tên thủ tục không được để trống.")
        elif len(name) > 500:
            add("name", "Tên thủ tục dài quá 500 ký tự.")
    if "sector" in values and values["sector"] is None:
        add("sector", "Chưa chọn lĩnh vực.")
    if "level" in values and values["level"] not in Level.values:
        add(
            "level",
            f"Cấp thực hiện '{values['level']}' không hợp lệ; chọn một trong: "
            + ", ".join(f"{v} ({label})" for v, label in Level.choices)
            + ".",
        )
    if "time_unit" in values and values["time_unit"] not in TimeUnit.values:
        add(
            "time_unit",
            f"Đơn vị thời hạn '{values['time_unit']}' không hợp lệ; chọn 'days' "
            "(ngày làm việc) hoặc 'hours' (giờ làm việc).",
        )
    if "payment_timing" in values and values["payment_timing"] not in PaymentTiming.values:
        add(
            "payment_timing",
            f"Thời điểm nộp phí '{values['payment_timing']}' không hợp lệ; chọn "
            "'before_processing' (nộp trước khi giải quyết) hoặc 'before_result' (nộp trước khi "
            "nhận kết quả).",
        )
    if "min_identity_level" in values and (
        isinstance(values["min_identity_level"], bool)
        or values["min_identity_level"] not in IdentityRequirement.values
    ):
        add(
            "min_identity_level",
            f"Mức độ định danh điện tử '{values['min_identity_level']}' không hợp lệ; chọn 0 "
            "(mọi tài khoản), 1 (định danh mức độ 1 trở lên) hoặc 2 (định danh mức độ 2).",
        )
    if "online_mode" in values and values["online_mode"] not in OnlineMode.values:
        add(
            "online_mode",
            f"Mức độ trực tuyến '{values['online_mode']}' không hợp lệ; chọn 4 "
            "(toàn trình), 3 (một phần) hoặc 2 (không trực tuyến).",
        )
    if "processing_time" in values:
        time = to_decimal(values["processing_time"], 1)
        if time is None or time < Decimal("0.5") or time > Decimal("99999.9"):
            add(
                "processing_time",
                "Thời hạn giải quyết phải là số từ 0,5 trở lên, tối đa một chữ số thập phân.",
            )
    for name in ("result_description", "result_signing_basis"):
        if len(values.get(name) or "") > 500:
            add(name, "Nội dung dài quá 500 ký tự.")
    if values.get("result_sealed") and values.get("electronic_original") is False:
        add(
            "result_sealed",
            "Chỉ kết quả trả bản chính điện tử mới có dấu của cơ quan bằng chữ ký số.",
        )
    if values.get("for_citizens") is False and values.get("for_businesses") is False:
        add("for_citizens", "Thủ tục phải dành cho công dân, tổ chức hoặc cả hai.")
    return errors


def check_form_schema(schema: Any) -> list[str]:
    """An online form: {"fields": [{"name", "label", "type", "required", "max_length",
    "choices", "help_text", "placeholder", "not_future", "min", "max"}]} with known types and
    unique names."""
    if schema in (None, {}):
        return []
    if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list):
        return ['Biểu mẫu trực tuyến phải có dạng {"fields": [...]}.']
    if not schema["fields"]:
        return ["Biểu mẫu trực tuyến phải có ít nhất một trường."]
    errors: list[str] = []
    seen: set[str] = set()
    for i, field in enumerate(schema["fields"], start=1):
        where = f"trường thứ {i}"
        if not isinstance(field, dict):
            errors.append(f"Biểu mẫu: {where} phải là một đối tượng.")
            continue
        name = field.get("name")
        if not isinstance(name, str) or not FIELD_NAME_RE.match(name):
            errors.append(
                f"Biểu mẫu: {where} có tên '{name}' không hợp lệ (chữ thường không dấu, "
                "số, dấu gạch dưới)."
            )
        elif name in seen:
            errors.append(f"Biểu mẫu: tên trường '{name}' bị trùng.")
        else:
            seen.add(name)
        if not isinstance(field.get("label"), str) or not field["label"].strip():
            errors.append(f"Biểu mẫu: {where} chưa có nhãn.")
        kind = field.get("type")
        if kind not in FORM_FIELD_TYPES:
            errors.append(
                f"Biểu mẫu: {where} có kiểu '{kind}' không hợp lệ; chọn một trong: "
                + ", ".join(FORM_FIELD_TYPES)
                + "."
            )
        if kind == "select":
            choices = field.get("choices")
            if (
                not isinstance(choices, list)
                or not choices
                or not all(isinstance(c, str) and c for c in choices)
            ):
                errors.append(f"Biểu mẫu: {where} kiểu chọn phải có danh sách lựa chọn.")
        if "required" in field and not isinstance(field["required"], bool):
            errors.append(f"Biểu mẫu: {where} có 'required' phải là true hoặc false.")
        max_length = field.get("max_length")
        if max_length is not None and (
            isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 1
        ):
            errors.append(f"Biểu mẫu: {where} có 'max_length' phải là số nguyên dương.")
        bounds = [field[k] for k in ("min", "max") if k in field]
        if bounds and (
            kind != "number"
            or not all(isinstance(b, int) and not isinstance(b, bool) for b in bounds)
        ):
            errors.append(f"Biểu mẫu: {where} có 'min'/'max' chỉ dùng cho số nguyên.")
        elif len(bounds) == 2 and int(bounds[0]) > int(bounds[1]):
            errors.append(f"Biểu mẫu: {where} có 'min' lớn hơn 'max'.")
        if "not_future" in field and not isinstance(field["not_future"], bool):
            errors.append(f"Biểu mẫu: {where} có 'not_future' phải là true hoặc false.")
        if "prefill" in field and field["prefill"] not in PREFILL_SOURCES:
            errors.append(
                f"Biểu mẫu: {where} có 'prefill' không hợp lệ; chọn một trong: "
                + ", ".join(PREFILL_SOURCES)
                + "."
            )
        unknown = set(field) - FORM_FIELD_KEYS
        if unknown:
            errors.append(f"Biểu mẫu: {where} có khóa không hỗ trợ: {', '.join(sorted(unknown))}.")
    return errors


def _label(labels: Sequence[str] | None, i: int, default: str) -> str:
    return labels[i - 1] if labels is not None and i <= len(labels) else default


def check_components(
    components: Sequence[ComponentSpec], labels: Sequence[str] | None = None
) -> list[str]:
    """`labels` name each item in the messages (the importer passes sheet and row)."""
    errors: list[str] = []
    seen: set[str] = set()
    for i, c in enumerate(components, start=1):
        where = _label(labels, i, f"Thành phần hồ sơ {i}")
        if not isinstance(c.code, str) or not COMPONENT_CODE_RE.match(c.code):
            errors.append(
                f"{where}: mã '{c.code}' không hợp lệ (chữ thường không dấu, số, '-', "
                "'_', tối đa 40 ký tự)."
            )
        elif c.code in seen:
            errors.append(f"{where}: mã '{c.code}' bị trùng.")
        else:
            seen.add(c.code)
        if not isinstance(c.name, str) or not c.name.strip():
            errors.append(f"{where}: tên giấy tờ không được để trống.")
        elif len(c.name) > 500:
            errors.append(f"{where}: tên giấy tờ dài quá 500 ký tự.")
        for label, value in (("số bản chính", c.originals), ("số bản sao", c.copies)):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
                errors.append(f"{where}: {label} phải là số nguyên từ 0 đến 100.")
        if not isinstance(c.required, bool):
            errors.append(f"{where}: 'bắt buộc' phải là có hoặc không.")
        errors.extend(f"{where}: {m}" for m in check_form_schema(c.form_schema))
    return errors


def check_fees(fees: Sequence[FeeSpec], labels: Sequence[str] | None = None) -> list[str]:
    errors: list[str] = []
    for i, fee in enumerate(fees, start=1):
        where = _label(labels, i, f"Khoản thu {i}")
        if fee.kind not in Fee.Kind.values:
            errors.append(
                f"{where}: loại '{fee.kind}' không hợp lệ; chọn 'fee' (phí) hoặc 'charge' (lệ phí)."
            )
        if not isinstance(fee.name, str) or not fee.name.strip():
            errors.append(f"{where}: tên khoản thu không được để trống.")
        elif len(fee.name) > 255:
            errors.append(f"{where}: tên khoản thu dài quá 255 ký tự.")
        if (
            isinstance(fee.amount, bool)
            or not isinstance(fee.amount, int)
            or not (0 <= fee.amount <= MAX_AMOUNT)
        ):
            errors.append(f"{where}: số tiền phải là số nguyên đồng, không âm.")
        if len(fee.rule or "") > 500:
            errors.append(f"{where}: cách tính dài quá 500 ký tự.")
        if not isinstance(fee.optional, bool):
            errors.append(f"{where}: 'chỉ thu khi người nộp yêu cầu' phải là có hoặc không.")
        if not isinstance(fee.unit, str) or len(fee.unit) > 30:
            errors.append(f"{where}: đơn vị tính tối đa 30 ký tự.")
        if not isinstance(fee.legal_source, str) or len(fee.legal_source) > 255:
            errors.append(f"{where}: căn cứ thu dài quá 255 ký tự.")
        errors.extend(_check_exemptions(fee, where))
    return errors


MAX_EXEMPTIONS = 20  # groups per fee


def _check_exemptions(fee: FeeSpec, where: str) -> list[str]:
    errors: list[str] = []
    if not isinstance(fee.exemptions, tuple | list):
        return [f"{where}: danh sách miễn, giảm không hợp lệ."]
    if len(fee.exemptions) > MAX_EXEMPTIONS:
        errors.append(f"{where}: tối đa {MAX_EXEMPTIONS} đối tượng miễn, giảm.")
    groups: set[str] = set()
    for n, e in enumerate(fee.exemptions, start=1):
        at = f"{where}, miễn giảm {n}"
        if not isinstance(e, ExemptionSpec):
            errors.append(f"{at}: không hợp lệ.")
            continue
        group = e.group.strip() if isinstance(e.group, str) else ""
        if not group or len(group) > 255:
            errors.append(f"{at}: tên đối tượng không được để trống, tối đa 255 ký tự.")
        elif group in groups:
            errors.append(f"{at}: đối tượng “{group}” bị trùng.")
        groups.add(group)
        if (
            isinstance(e.percent, bool)
            or not isinstance(e.percent, int)
            or not 1 <= e.percent <= 100
        ):
            errors.append(f"{at}: tỷ lệ miễn, giảm phải là số nguyên từ 1 đến 100 (%).")
        if not isinstance(e.proof, str) or not e.proof.strip() or len(e.proof) > 255:
            errors.append(f"{at}: phải nêu giấy tờ chứng minh (tối đa 255 ký tự).")
        if not isinstance(e.legal_source, str) or len(e.legal_source) > 255:
            errors.append(f"{at}: căn cứ miễn, giảm dài quá 255 ký tự.")
    return errors


def check_steps(
    steps: Sequence[StepSpec],
    processing_time: Any,
    time_unit: str,
    labels: Sequence[str] | None = None,
) -> list[str]:
    """Steps in order, known roles, positive budgets that add up exactly to the legal time."""
    if not steps:
        return ["Quy trình phải có ít nhất một bước."]
    errors: list[str] = []
    total = Decimal(0)
    budgets_ok = True
    for i, step in enumerate(steps, start=1):
        where = _label(labels, i, f"Bước {i}")
        if not isinstance(step.name, str) or not step.name.strip():
            errors.append(f"{where}: tên bước không được để trống.")
        elif len(step.name) > 255:
            errors.append(f"{where}: tên bước dài quá 255 ký tự.")
        if step.role not in STEP_ROLES:
            errors.append(
                f"{where}: vai trò '{step.role}' không hợp lệ; chọn một trong: "
                + ", ".join(f"{r} ({Role(r).label})" for r in STEP_ROLES)
                + "."
            )
        if step.unit_kind and step.unit_kind not in Unit.Kind.values:
            errors.append(
                f"{where}: loại phòng ban '{step.unit_kind}' không hợp lệ; chọn một "
                "trong: " + ", ".join(Unit.Kind.values) + "."
            )
        if step.agency_identifier:
            try:
                AGENCY_ID_VALIDATOR(step.agency_identifier)
            except ValidationError:
                errors.append(
                    f"{where}: mã định danh cơ quan '{step.agency_identifier}' không "
                    "đúng dạng 000.00.00.H41."
                )
        budget = to_decimal(step.budget, 2)
        if budget is None or budget <= 0 or budget >= Decimal("100000"):
            errors.append(
                f"{where}: thời gian thực hiện phải là số dương, tối đa hai chữ số thập phân."
            )
            budgets_ok = False
        else:
            total += budget
    legal = to_decimal(processing_time, 1)
    if budgets_ok and legal is not None and total != legal:
        errors.append(
            f"Tổng thời gian các bước ({format_time(total, time_unit)}) phải bằng thời hạn giải "
            f"quyết ({format_time(legal, time_unit)})."
        )
    return errors


def _raise(errors: list[str] | dict[str, list[str]], message: str | None = None) -> None:
    if not errors:
        return
    if isinstance(errors, dict):
        first = next(iter(errors.values()))[0]
        raise CatalogError(message or first, fields=errors)
    raise CatalogError(message or errors[0], fields={"errors": errors})


def _require_operator(actor: Actor) -> None:
    if not actor.is_operator:
        raise NotAllowed("Chỉ quản trị hệ thống được thay đổi danh mục thủ tục hành chính.")


# --- cache of the fallback search ---------------------------------------------------------------


def _changed() -> None:
    """Drop this process's fallback search index; other processes notice the change through
    the catalogue's fingerprint (row count and last update time)."""
    from . import search

    search.invalidate_cache()


# --- sectors -------------------------------------------------------------------------------------


@transaction.atomic
def create_sector(*, actor: Actor, code: str, name: str) -> Sector:
    _require_operator(actor)
    code, name = (code or "").strip(), (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not SECTOR_CODE_RE.match(code):
        errors["code"] = [
            f"Mã lĩnh vực '{code}' không hợp lệ (chữ, số, '.', '-', '_', tối đa 20 ký tự)."
        ]
    elif Sector.objects.filter(code=code).exists():
        errors["code"] = [f"Mã lĩnh vực '{code}' đã tồn tại."]
    if not name or len(name) > 255:
        errors["name"] = ["Tên lĩnh vực không được để trống, tối đa 255 ký tự."]
    _raise(errors)
    sector = Sector.objects.create(code=code, name=name)
    record_event(
        actor=actor,
        event_type=event_types.SECTOR_CREATED,
        subject_type="sector",
        subject_id=sector.pk,
        payload={"code": code, "name": name},
    )
    return sector


@transaction.atomic
def update_sector(*, actor: Actor, sector: Sector, name: str) -> Sector:
    """Rename a sector; its procedures' search text follows."""
    _require_operator(actor)
    name = (name or "").strip()
    if not name or len(name) > 255:
        _raise({"name": ["Tên lĩnh vực không được để trống, tối đa 255 ký tự."]})
    old = Sector.objects.select_for_update().get(pk=sector.pk)
    if old.name == name:
        return old
    Sector.objects.filter(pk=sector.pk).update(name=name)
    sector.name = name
    for procedure in Procedure.objects.filter(sector=sector).select_related("sector"):
        procedure.sector = sector
        Procedure.objects.filter(pk=procedure.pk).update(
            search_text=build_search_text(procedure), updated_at=timezone.now()
        )
    record_event(
        actor=actor,
        event_type=event_types.SECTOR_UPDATED,
        subject_type="sector",
        subject_id=sector.pk,
        payload={"code": sector.code, "name": [old.name, name]},
    )
    _changed()
    return sector


# --- procedures ----------------------------------------------------------------------------------


def _clean_values(values: dict[str, Any]) -> dict[str, Any]:
    clean = dict(values)
    for key in (
        "code",
        "name",
        "legal_basis",
        "result_description",
        "requirements",
        "result_signing_basis",
    ):
        if key in clean and isinstance(clean[key], str):
            clean[key] = clean[key].strip()
    if isinstance(clean.get("code"), str):
        clean["code"] = clean["code"].upper()
    if "processing_time" in clean:
        number = to_decimal(clean["processing_time"], 1)
        clean["processing_time"] = number if number is not None else clean["processing_time"]
    for key in ("online_mode", "min_identity_level"):
        if isinstance(clean.get(key), str) and clean[key].isdigit():
            clean[key] = int(clean[key])
    return clean


def _payload_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Sector):
        return value.code
    return value


def _current(procedure: Procedure) -> ProcessVersion | None:
    if procedure.pk is None:
        return None
    return ProcessVersion.objects.filter(procedure=procedure, is_current=True).first()


def _steps_of(version: ProcessVersion) -> list[StepSpec]:
    return [step_spec(s) for s in version.steps.order_by("order")]


def _same_steps(a: Sequence[StepSpec], b: Sequence[StepSpec]) -> bool:
    def key(s: StepSpec) -> tuple[Any, ...]:
        return (
            s.name.strip(),
            s.role,
            s.unit_kind or "",
            s.agency_identifier or "",
            to_decimal(s.budget, 2),
        )

    return [key(s) for s in a] == [key(s) for s in b]


@transaction.atomic
def create_procedure(
    *,
    actor: Actor,
    code: str,
    name: str,
    sector: Sector,
    level: str,
    processing_time: Decimal | int | float | str,
    time_unit: str = TimeUnit.WORKING_DAYS,
    online_mode: int = OnlineMode.NONE,
    agencies: Iterable[Agency] = (),
    legal_basis: str = "",
    for_citizens: bool = True,
    for_businesses: bool = False,
    result_description: str = "",
    requirements: str = "",
    is_published: bool = False,
    electronic_original: bool = False,
    result_sealed: bool = False,
    result_signing_basis: str = "",
    payment_timing: str = PaymentTiming.BEFORE_RESULT,
    min_identity_level: int = IdentityRequirement.ANY,
    components: Sequence[ComponentSpec] | None = None,
    fees: Sequence[FeeSpec] | None = None,
    steps: Sequence[StepSpec] | None = None,
    process_note: str = "",
) -> Procedure:
    """Create a procedure, with its components, fees and first process version when given.

    A procedure can only be published (visible to citizens) once it has a process."""
    _require_operator(actor)
    values = _clean_values(
        {
            "code": code,
            "name": name,
            "sector": sector,
            "level": level,
            "processing_time": processing_time,
            "time_unit": time_unit,
            "online_mode": online_mode,
            "legal_basis": legal_basis,
            "for_citizens": for_citizens,
            "for_businesses": for_businesses,
            "result_description": result_description,
            "requirements": requirements,
            "is_published": is_published,
            "electronic_original": electronic_original,
            "result_sealed": result_sealed,
            "result_signing_basis": result_signing_basis,
            "payment_timing": payment_timing,
            "min_identity_level": min_identity_level,
        }
    )
    errors = check_procedure_values(values)
    if "code" not in errors and Procedure.objects.filter(code=values["code"]).exists():
        errors["code"] = [f"Mã thủ tục '{values['code']}' đã có trong danh mục."]
    if steps is not None and "processing_time" not in errors:
        step_errors = check_steps(steps, values["processing_time"], values["time_unit"])
        if step_errors:
            errors["steps"] = step_errors
    if values["is_published"] and not steps:
        errors.setdefault("is_published", []).append(
            "Thủ tục chỉ được công bố khi đã có quy trình nội bộ."
        )
    if components is not None and (component_errors := check_components(components)):
        errors["components"] = component_errors
    if fees is not None and (fee_errors := check_fees(fees)):
        errors["fees"] = fee_errors
    _raise(errors, "Thông tin thủ tục chưa hợp lệ: " + _first(errors) if errors else None)

    procedure = Procedure(**values)
    procedure.search_text = build_search_text(procedure)
    _full_clean(procedure)
    procedure.save()
    agency_list = list(agencies)
    procedure.agencies.set(agency_list)
    record_event(
        actor=actor,
        event_type=event_types.PROCEDURE_CREATED,
        subject_type="procedure",
        subject_id=procedure.pk,
        payload={
            **{k: _payload_value(v) for k, v in values.items()},
            "agencies": sorted(a.identifier for a in agency_list),
        },
    )
    if components:
        set_components(actor=actor, procedure=procedure, components=components)
    if fees:
        set_fees(actor=actor, procedure=procedure, fees=fees)
    if steps:
        publish_process(actor=actor, procedure=procedure, steps=steps, note=process_note)
    _changed()
    return procedure


def _first(errors: dict[str, list[str]]) -> str:
    return next(iter(errors.values()))[0] if errors else ""


def _full_clean(instance: Any, exclude: list[str] | None = None) -> None:
    try:
        instance.full_clean(exclude=exclude, validate_unique=False)
    except ValidationError as exc:
        fields = {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
        raise CatalogError("Thông tin chưa hợp lệ: " + _first(fields), fields=fields) from exc


@transaction.atomic
def update_procedure(
    *,
    actor: Actor,
    procedure: Procedure,
    changes: dict[str, Any] | None = None,
    agencies: Iterable[Agency] | None = None,
    steps: Sequence[StepSpec] | None = None,
    process_note: str = "",
) -> Procedure:
    """Change a procedure's fields (`changes`: any of PROCEDURE_FIELDS) and/or its agencies.

    A new legal time must match the current process, or come with `steps` for a new process
    version published in the same transaction. Nothing is recorded when nothing changed."""
    _require_operator(actor)
    changes = _clean_values(changes or {})
    unknown = set(changes) - set(PROCEDURE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown fields: {', '.join(sorted(unknown))}")
    stored = Procedure.objects.select_for_update().select_related("sector").get(pk=procedure.pk)
    diff: dict[str, list[Any]] = {}
    for name, value in changes.items():
        before = getattr(stored, name)
        if name == "sector":
            if stored.sector_id != (value.pk if value is not None else None):
                diff[name] = [stored.sector.code, value.code if value is not None else None]
        elif before != value:
            diff[name] = [_payload_value(before), _payload_value(value)]
    errors = check_procedure_values({k: changes[k] for k in diff})
    if (
        "code" in diff
        and "code" not in errors
        and Procedure.objects.filter(code=changes["code"]).exclude(pk=stored.pk).exists()
    ):
        errors["code"] = [f"Mã thủ tục '{changes['code']}' đã có trong danh mục."]
    new_time = changes.get("processing_time", stored.processing_time)
    new_unit = changes.get("time_unit", stored.time_unit)
    current = _current(stored)
    if steps is not None and "processing_time" not in errors:
        if (
            current is not None
            and _same_steps(_steps_of(current), steps)
            and ("processing_time" not in diff and "time_unit" not in diff)
        ):
            steps = None  # same process: nothing to publish
        elif step_errors := check_steps(steps, new_time, new_unit):
            errors["steps"] = step_errors
    if steps is None and current is not None and ("processing_time" in diff or "time_unit" in diff):
        total = sum((s.budget for s in current.steps.all()), Decimal(0))
        if total != to_decimal(new_time, 1) or new_unit != current.time_unit:
            errors.setdefault("processing_time", []).append(
                f"Thời hạn giải quyết mới ({format_time(new_time, new_unit)}) khác tổng thời "
                f"gian các bước của quy trình đang áp dụng ({format_time(total, current.time_unit)}"
                "); hãy công bố quy trình mới cùng lúc."
            )
    if changes.get("is_published") and current is None and not steps:
        errors.setdefault("is_published", []).append(
            "Thủ tục chỉ được công bố khi đã có quy trình nội bộ."
        )
    _raise(errors, "Thông tin thủ tục chưa hợp lệ: " + _first(errors) if errors else None)

    agency_change: list[list[str]] | None = None
    if agencies is not None:
        new_agencies = {a.pk: a for a in agencies}
        old_ids = set(stored.agencies.values_list("pk", flat=True))
        if set(new_agencies) != old_ids:
            old_identifiers = sorted(
                Agency.objects.filter(pk__in=old_ids).values_list("identifier", flat=True)
            )
            agency_change = [old_identifiers, sorted(a.identifier for a in new_agencies.values())]
            stored.agencies.set(list(new_agencies.values()))
    if diff:
        for name in diff:
            setattr(stored, name, changes[name])
        stored.search_text = build_search_text(stored)
        _full_clean(stored)
        stored.save()
    if diff or agency_change:
        record_event(
            actor=actor,
            event_type=event_types.PROCEDURE_UPDATED,
            subject_type="procedure",
            subject_id=stored.pk,
            payload={
                "code": stored.code,
                "changes": diff,
                **({"agencies": agency_change} if agency_change else {}),
            },
        )
        _changed()
    if steps is not None:
        publish_process(actor=actor, procedure=stored, steps=steps, note=process_note)
    # Keep the caller's instance in step with the database.
    for name in PROCEDURE_FIELDS:
        setattr(procedure, name, getattr(stored, name))
    procedure.search_text = stored.search_text
    return stored


@transaction.atomic
def delete_procedure(*, actor: Actor, procedure: Procedure) -> None:
    """Delete a procedure that no dossier uses; otherwise refuse (unpublish it instead)."""
    _require_operator(actor)
    code, pk = procedure.code, procedure.pk
    try:
        with transaction.atomic():
            ProcessStep.objects.filter(version__procedure=procedure).delete()
            ProcessVersion.objects.filter(procedure=procedure).delete()
            procedure.delete()
    except ProtectedError as exc:
        raise CatalogError(
            f"Thủ tục {code} đã có hồ sơ nên không xóa được; hãy ngừng công bố thủ tục.",
            code=CatalogErrorCode.CATALOG_IN_USE,
        ) from exc
    record_event(
        actor=actor,
        event_type=event_types.PROCEDURE_DELETED,
        subject_type="procedure",
        subject_id=pk,
        payload={"code": code},
    )
    _changed()


def note_submission(procedure: Procedure | int) -> None:
    """Count one submitted dossier (orders the portal's most-used procedures), once the
    submission commits and in a statement of its own: inside the submission's transaction the
    procedure's row stayed locked until its commit, and every submission of a popular procedure
    waited for the one before (issue #19). A count lost to a crash between the two only moves a
    procedure in the "most used" order."""
    pk = procedure.pk if isinstance(procedure, Procedure) else procedure
    transaction.on_commit(
        lambda: Procedure.objects.filter(pk=pk).update(submission_count=F("submission_count") + 1)
    )


# --- components and fees -------------------------------------------------------------------------


def _component_key(c: ComponentSpec) -> tuple[Any, ...]:
    template = c.form_template
    template_name = template if isinstance(template, str) else getattr(template, "name", "")
    return (
        c.name.strip(),
        c.required,
        c.originals,
        c.copies,
        c.form_schema or None,
        template_name or "",
    )


@transaction.atomic
def set_components(
    *, actor: Actor, procedure: Procedure, components: Sequence[ComponentSpec]
) -> list[DossierComponent]:
    """Make the procedure's dossier components exactly `components`, in that order.

    Components are matched by code: existing ones are updated in place (dossiers that refer to
    them keep working), new ones created, missing ones removed."""
    _require_operator(actor)
    errors = check_components(components)
    _raise(errors, "Thành phần hồ sơ chưa hợp lệ: " + errors[0] if errors else None)
    existing = {c.code: c for c in DossierComponent.objects.filter(procedure=procedure)}
    wanted = {c.code for c in components}
    added: list[str] = []
    changed: list[str] = []
    removed = sorted(set(existing) - wanted)
    try:
        DossierComponent.objects.filter(procedure=procedure, code__in=removed).delete()
    except ProtectedError as exc:
        raise CatalogError(
            "Không xóa được thành phần hồ sơ đã được dùng trong hồ sơ: " + ", ".join(removed),
            code=CatalogErrorCode.CATALOG_IN_USE,
        ) from exc
    result: list[DossierComponent] = []
    for order, spec in enumerate(components, start=1):
        row = existing.get(spec.code)
        is_new = row is None
        if row is None:
            row = DossierComponent(procedure=procedure, code=spec.code)
        elif row.order == order and _component_key(component_spec(row)) == _component_key(spec):
            result.append(row)
            continue
        row.order = order
        row.name = spec.name.strip()
        row.required = spec.required
        row.originals = spec.originals
        row.copies = spec.copies
        row.form_schema = spec.form_schema or None
        if (spec.form_template or "") != (row.form_template.name or "") or not isinstance(
            spec.form_template, str
        ):
            row.form_template = spec.form_template or ""
        _full_clean(row, exclude=["procedure", "form_template"])
        row.save()
        (added if is_new else changed).append(spec.code)
        result.append(row)
    if added or changed or removed:
        record_event(
            actor=actor,
            event_type=event_types.COMPONENTS_SET,
            subject_type="procedure",
            subject_id=procedure.pk,
            payload={
                "code": procedure.code,
                "added": added,
                "changed": changed,
                "removed": removed,
            },
        )
    return result


def _clean_fee(f: FeeSpec) -> FeeSpec:
    return FeeSpec(
        f.kind,
        f.name.strip(),
        f.amount,
        (f.rule or "").strip(),
        f.optional,
        (f.unit or "").strip(),
        (f.legal_source or "").strip(),
        tuple(
            ExemptionSpec(
                e.group.strip(), e.percent, (e.proof or "").strip(), (e.legal_source or "").strip()
            )
            for e in f.exemptions
        ),
    )


@transaction.atomic
def set_fees(*, actor: Actor, procedure: Procedure, fees: Sequence[FeeSpec]) -> list[Fee]:
    """Make the procedure's fees exactly `fees`, in that order (integer VND), each with the
    groups it exempts or reduces."""
    _require_operator(actor)
    errors = check_fees(fees)
    _raise(errors, "Phí, lệ phí chưa hợp lệ: " + errors[0] if errors else None)
    existing = list(
        Fee.objects.filter(procedure=procedure)
        .prefetch_related("exemptions")
        .order_by("order", "id")
    )
    wanted = [_clean_fee(f) for f in fees]
    if [fee_spec(f) for f in existing] == wanted:
        return existing
    Fee.objects.filter(procedure=procedure).delete()
    rows = [
        Fee(
            procedure=procedure,
            order=i,
            kind=f.kind,
            name=f.name,
            amount=f.amount,
            rule=f.rule,
            optional=f.optional,
            unit=f.unit,
            legal_source=f.legal_source,
        )
        for i, f in enumerate(wanted, start=1)
    ]
    for row in rows:
        row.save()
    FeeExemption.objects.bulk_create(
        FeeExemption(
            fee=row,
            group=e.group,
            percent=e.percent,
            proof=e.proof,
            legal_source=e.legal_source,
        )
        for row, spec in zip(rows, wanted, strict=True)
        for e in spec.exemptions
    )
    record_event(
        actor=actor,
        event_type=event_types.FEES_SET,
        subject_type="procedure",
        subject_id=procedure.pk,
        payload={
            "code": procedure.code,
            "fees": [[f.kind, f.name, f.amount, f.rule] for f in rows],
            "on_request": [[f.name, f.unit] for f in rows if f.optional],
            "per_unit": [[f.name, f.unit] for f in rows if f.unit],
            "legal_sources": [[f.name, f.legal_source] for f in rows if f.legal_source],
            "exemptions": [
                [f.name, e.group, e.percent, e.proof, e.legal_source]
                for f in wanted
                for e in f.exemptions
            ],
        },
    )
    return list(
        Fee.objects.filter(procedure=procedure)
        .prefetch_related("exemptions")
        .order_by("order", "id")
    )


# --- processes -----------------------------------------------------------------------------------


@transaction.atomic
def publish_process(
    *,
    actor: Actor,
    procedure: Procedure,
    steps: Sequence[StepSpec],
    note: str = "",
    processing_time: Decimal | int | float | str | None = None,
    time_unit: str | None = None,
) -> ProcessVersion:
    """Publish a new version of the procedure's standard process and make it current.

    The budgets must add up exactly to the legal time (the procedure's, or `processing_time` /
    `time_unit` given here, which then become the procedure's). Earlier versions and their steps
    are kept unchanged; only their `is_current` flag is cleared."""
    _require_operator(actor)
    stored = Procedure.objects.select_for_update().get(pk=procedure.pk)
    time_changes: dict[str, Any] = {}
    if processing_time is not None:
        time_changes["processing_time"] = processing_time
    if time_unit is not None:
        time_changes["time_unit"] = time_unit
    errors: dict[str, list[str]] = check_procedure_values(_clean_values(time_changes))
    legal = (
        to_decimal(processing_time, 1) if processing_time is not None else (stored.processing_time)
    )
    unit = time_unit or stored.time_unit
    if not errors and (step_errors := check_steps(steps, legal, unit)):
        errors["steps"] = step_errors
    if len(note or "") > 500:
        errors["note"] = ["Ghi chú dài quá 500 ký tự."]
    _raise(errors, "Quy trình chưa hợp lệ: " + _first(errors) if errors else None)
    assert legal is not None

    if legal != stored.processing_time or unit != stored.time_unit:
        Procedure.objects.filter(pk=stored.pk).update(processing_time=legal, time_unit=unit)
        procedure.processing_time, procedure.time_unit = legal, unit
    last = ProcessVersion.objects.filter(procedure=stored).aggregate(n=Max("version"))["n"] or 0
    previous = ProcessVersion.objects.filter(procedure=stored, is_current=True).first()
    if previous is not None:
        ProcessVersion.objects.filter(pk=previous.pk).update(is_current=False)
    version = ProcessVersion.objects.create(
        procedure=stored,
        version=last + 1,
        is_current=True,
        note=(note or "").strip(),
        processing_time=legal,
        time_unit=unit,
    )
    ProcessStep.objects.bulk_create(
        ProcessStep(
            version=version,
            order=i,
            name=s.name.strip(),
            role=s.role,
            unit_kind=s.unit_kind or "",
            agency_identifier=s.agency_identifier or "",
            budget=to_decimal(s.budget, 2) or Decimal(0),
        )
        for i, s in enumerate(steps, start=1)
    )
    record_event(
        actor=actor,
        event_type=event_types.PROCESS_PUBLISHED,
        subject_type="procedure",
        subject_id=stored.pk,
        payload={
            "code": stored.code,
            "version": version.version,
            "previous_version": previous.version if previous else None,
            "processing_time": str(legal),
            "time_unit": unit,
            "steps": [
                [s.name.strip(), s.role, s.agency_identifier or "", str(to_decimal(s.budget, 2))]
                for s in steps
            ],
        },
    )
    return version


# --- where a procedure is received (the provincial public administrative service centre) ------


def desk_agency_id(procedure_id: int, agency_id: int) -> int:
    """The agency whose one-stop desk receives the procedure's dossiers for `agency` and returns
    their results: the centre named by a ReceptionDesk row, else the agency itself."""
    desk = (
        ReceptionDesk.objects.filter(procedure_id=procedure_id, agency_id=agency_id)
        .values_list("desk_agency_id", flat=True)
        .first()
    )
    return desk if desk is not None else agency_id


@transaction.atomic
def set_reception_desk(
    *,
    actor: Actor,
    procedure: Procedure,
    agency: Agency,
    desk_agency: Agency | None,
    legal_basis: str = CENTRE_RECEPTION_BASIS,
) -> ReceptionDesk | None:
    """Procedure X of agency Y is received at the desk of centre Z (Decree 61/2018/NĐ-CP as
    amended by Decree 107/2021/NĐ-CP): Z is an active public administrative service centre and Y
    one of the procedure's agencies. `desk_agency` None (or Y itself) moves reception back to
    Y's own desk. Dossiers already received keep the desk that received them."""
    _require_operator(actor)
    errors: dict[str, list[str]] = {}
    if not procedure.agencies.filter(pk=agency.pk).exists():
        errors["agency"] = [f"{agency.name} không thực hiện thủ tục {procedure.code}."]
    if (
        desk_agency is not None
        and desk_agency.pk != agency.pk
        and (desk_agency.kind != Agency.Kind.SERVICE_CENTRE or not desk_agency.is_active)
    ):
        errors["desk_agency"] = [
            "Nơi tiếp nhận phải là một Trung tâm Phục vụ hành chính công đang hoạt động."
        ]
    legal_basis = " ".join((legal_basis or "").split())
    if len(legal_basis) > 1000:
        errors["legal_basis"] = ["Căn cứ tối đa 1000 ký tự."]
    _raise(errors)
    if desk_agency is not None and desk_agency.pk == agency.pk:
        desk_agency = None
    current = (
        ReceptionDesk.objects.select_for_update().filter(procedure=procedure, agency=agency).first()
    )
    if desk_agency is None:
        if current is None:
            return None
        current.delete()
        row = None
    else:
        if (
            current is not None
            and current.desk_agency_id == desk_agency.pk
            and current.legal_basis == legal_basis
        ):
            return current
        row, _ = ReceptionDesk.objects.update_or_create(
            procedure=procedure,
            agency=agency,
            defaults={"desk_agency": desk_agency, "legal_basis": legal_basis},
        )
    record_event(
        actor=actor,
        event_type=event_types.RECEPTION_DESK_SET,
        subject_type="procedure",
        subject_id=procedure.pk,
        payload={
            "code": procedure.code,
            "agency": agency.identifier,
            "desk_agency": desk_agency.identifier if desk_agency else None,
            "legal_basis": legal_basis if desk_agency else "",
        },
    )
    return row
