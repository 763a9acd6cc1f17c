"""Changes to the organisation: administrative units, agencies, units, positions, officials.

Every change runs in one transaction with the event that records it, and only operators (or the
system) may make it. Functions that take an instance (`save_agency`, `save_unit`, ...) create it
when it is new, otherwise compare it with the stored row and record the changed fields; nothing is
written and no event is recorded when nothing changed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction

from egov.core.actors import SYSTEM, Actor
from egov.core.errors import DomainError, NotAllowed
from egov.events.catalogue import EventType
from egov.events.services import record_event

from . import event_types
from .error_codes import OrgErrorCode
from .models import AdministrativeUnit, Agency, Official, OfficialRole, Position, Role, Unit

M = TypeVar("M", bound=models.Model)

REFORM_DATE = date(2025, 7, 1)  # the two-tier local government starts
LEGACY_LAST_DAY = date(2025, 6, 30)

AGENCY_FIELDS = (
    "identifier",
    "name",
    "abbreviation",
    "kind",
    "admin_unit",
    "parent",
    "address",
    "email",
    "phone",
    "website",
    "is_active",
)
UNIT_FIELDS = (
    "agency",
    "code",
    "name",
    "abbreviation",
    "kind",
    "parent",
    "is_active",
    "address",
    "phone",
    "morning_opens",
    "morning_closes",
    "afternoon_opens",
    "afternoon_closes",
    "saturday",
)
POSITION_FIELDS = ("code", "name", "is_leader")
OFFICIAL_FIELDS = ("agency", "unit", "position")
ADMIN_UNIT_FIELDS = (
    "code",
    "scheme",
    "name",
    "division_type",
    "level",
    "parent",
    "valid_from",
    "valid_to",
)


class OrgError(DomainError):
    code = OrgErrorCode.ORG_INVALID


# --- helpers -------------------------------------------------------------------------------------


def _require_operator(actor: Actor) -> None:
    if not actor.is_operator:
        raise NotAllowed("Chỉ quản trị hệ thống được thay đổi cơ cấu tổ chức.")


def _attname(instance: models.Model, name: str) -> str:
    return instance._meta.get_field(name).attname  # type: ignore[union-attr]


def _snapshot(instance: models.Model, names: Iterable[str]) -> dict[str, Any]:
    return {_attname(instance, n): getattr(instance, _attname(instance, n)) for n in names}


def _diff(old: models.Model, new: models.Model, names: Iterable[str]) -> dict[str, list[Any]]:
    """{attname: [old, new]} for the fields whose value differs."""
    changes: dict[str, list[Any]] = {}
    for name in names:
        att = _attname(new, name)
        before, after = getattr(old, att), getattr(new, att)
        if before != after:
            changes[att] = [before, after]
    return changes


def _validate(instance: models.Model, extra: dict[str, list[str]]) -> None:
    errors: dict[str, list[str]] = {}
    try:
        instance.full_clean()
    except ValidationError as exc:
        errors = {k: list(v) for k, v in exc.message_dict.items()}
    for name, messages in extra.items():
        errors.setdefault(name, []).extend(messages)
    if errors:
        raise OrgError("Thông tin chưa hợp lệ, vui lòng kiểm tra lại.", fields=errors)


def _apply(instance: M, allowed: Sequence[str], changes: dict[str, Any]) -> M:
    unknown = set(changes) - set(allowed)
    if unknown:
        raise TypeError(f"Unknown fields: {', '.join(sorted(unknown))}")
    for name, value in changes.items():
        setattr(instance, name, value)
    return instance


def _creates_cycle(node: Any, own_pk: int | None) -> bool:
    """True if following `parent` from `node` reaches the object itself."""
    seen: set[int] = set()
    while node is not None:
        if own_pk is not None and node.pk == own_pk:
            return True
        if node.pk in seen:  # an existing loop elsewhere; stop walking
            return True
        seen.add(node.pk)
        node = node.parent
    return False


# --- checks shared with the administration forms -------------------------------------------------


def check_agency(agency: Agency) -> dict[str, list[str]]:
    """Rules beyond the model's own validation; {field: [messages]}."""
    errors: dict[str, list[str]] = {}
    if agency.parent_id is not None and _creates_cycle(agency.parent, agency.pk):
        errors["parent"] = [
            "Cơ quan cấp trên không được là chính cơ quan này hoặc cơ quan cấp dưới."
        ]
    return errors


def check_unit(unit: Unit, *, previous_agency_id: int | None = None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if previous_agency_id is not None and unit.agency_id != previous_agency_id:
        errors["agency"] = ["Không thể chuyển phòng ban sang cơ quan khác; hãy tạo phòng ban mới."]
    if unit.parent_id is not None:
        parent = unit.parent
        assert parent is not None
        if parent.agency_id != unit.agency_id:
            errors["parent"] = ["Phòng ban cấp trên phải thuộc cùng cơ quan."]
        elif _creates_cycle(parent, unit.pk):
            errors["parent"] = [
                "Phòng ban cấp trên không được là chính nó hoặc phòng ban cấp dưới."
            ]
    errors.update(check_desk_hours(unit))
    return errors


def check_desk_hours(unit: Unit) -> dict[str, list[str]]:
    """Each session has both ends or none, and the sessions are in order."""
    errors: dict[str, list[str]] = {}
    pairs = (
        ("morning_opens", "morning_closes", "Buổi sáng"),
        ("afternoon_opens", "afternoon_closes", "Buổi chiều"),
    )
    times = []
    for start, end, label in pairs:
        a, b = getattr(unit, start), getattr(unit, end)
        if (a is None) != (b is None):
            errors[end if a is not None else start] = [
                f"{label}: nhập đủ giờ mở cửa và giờ đóng cửa, hoặc để trống cả hai."
            ]
        elif a is not None:
            times += [a, b]
    ordered = all(times[i] < times[i + 1] for i in range(len(times) - 1))
    # Sessions may touch (a desk open without a break): 11:30–11:30 is not a gap, just order.
    ordered = ordered or (len(times) == 4 and times[0] < times[1] <= times[2] < times[3])
    if not errors and not ordered:
        errors["afternoon_closes"] = [
            "Giờ mở cửa phải trước giờ đóng cửa và buổi sáng phải trước buổi chiều."
        ]
    if unit.saturday and not times:
        errors["saturday"] = ["Nhập giờ tiếp nhận các ngày trong tuần trước khi mở Thứ Bảy."]
    return errors


def check_official(official: Official) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if official.unit_id is not None:
        unit = official.unit
        assert unit is not None
        if unit.agency_id != official.agency_id:
            errors["unit"] = ["Phòng ban không thuộc cơ quan đã chọn."]
    return errors


# --- agencies ------------------------------------------------------------------------------------


@transaction.atomic
def save_agency(*, actor: Actor, agency: Agency) -> Agency:
    """Create `agency` if new, otherwise store its changes; records org.agency_created/updated."""
    _require_operator(actor)
    _validate(agency, check_agency(agency))
    if agency._state.adding:
        agency.save()
        record_event(
            actor=actor,
            event_type=event_types.AGENCY_CREATED,
            subject_type="agency",
            subject_id=agency.pk,
            agency_id=agency.pk,
            payload=_snapshot(agency, AGENCY_FIELDS),
        )
        return agency
    old = Agency.objects.select_for_update().get(pk=agency.pk)
    changes = _diff(old, agency, AGENCY_FIELDS)
    if changes:
        agency.save(update_fields=[n for n in AGENCY_FIELDS if _attname(agency, n) in changes])
        record_event(
            actor=actor,
            event_type=event_types.AGENCY_UPDATED,
            subject_type="agency",
            subject_id=agency.pk,
            agency_id=agency.pk,
            payload={"identifier": agency.identifier, "changes": changes},
        )
    return agency


def create_agency(
    *, actor: Actor, identifier: str, name: str, abbreviation: str, kind: str, **other: Any
) -> Agency:
    """Other fields: admin_unit, parent, address, email, phone, website, is_active."""
    agency = _apply(
        Agency(
            identifier=identifier.strip().upper(), name=name, abbreviation=abbreviation, kind=kind
        ),
        AGENCY_FIELDS,
        other,
    )
    return save_agency(actor=actor, agency=agency)


def update_agency(*, actor: Actor, agency: Agency, **changes: Any) -> Agency:
    return save_agency(actor=actor, agency=_apply(agency, AGENCY_FIELDS, changes))


# --- units ---------------------------------------------------------------------------------------


@transaction.atomic
def save_unit(*, actor: Actor, unit: Unit) -> Unit:
    """Create `unit` if new, otherwise store its changes; records org.unit_created/updated."""
    _require_operator(actor)
    if unit._state.adding:
        _validate(unit, check_unit(unit))
        unit.save()
        record_event(
            actor=actor,
            event_type=event_types.UNIT_CREATED,
            subject_type="unit",
            subject_id=unit.pk,
            agency_id=unit.agency_id,
            payload=_snapshot(unit, UNIT_FIELDS),
        )
        return unit
    old = Unit.objects.select_for_update().get(pk=unit.pk)
    _validate(unit, check_unit(unit, previous_agency_id=old.agency_id))
    changes = _diff(old, unit, UNIT_FIELDS)
    if changes:
        unit.save(update_fields=[n for n in UNIT_FIELDS if _attname(unit, n) in changes])
        record_event(
            actor=actor,
            event_type=event_types.UNIT_UPDATED,
            subject_type="unit",
            subject_id=unit.pk,
            agency_id=unit.agency_id,
            payload={"code": unit.code, "changes": changes},
        )
    return unit


def create_unit(
    *, actor: Actor, agency: Agency, code: str, name: str, kind: str, **other: Any
) -> Unit:
    """Other fields: abbreviation, parent, is_active."""
    unit = _apply(Unit(agency=agency, code=code, name=name, kind=kind), UNIT_FIELDS, other)
    return save_unit(actor=actor, unit=unit)


def update_unit(*, actor: Actor, unit: Unit, **changes: Any) -> Unit:
    return save_unit(actor=actor, unit=_apply(unit, UNIT_FIELDS, changes))


# --- positions -----------------------------------------------------------------------------------


@transaction.atomic
def save_position(*, actor: Actor, position: Position) -> Position:
    """Create or change a job title (chức vụ); records org.position_created/updated."""
    _require_operator(actor)
    _validate(position, {})
    if position._state.adding:
        position.save()
        record_event(
            actor=actor,
            event_type=event_types.POSITION_CREATED,
            subject_type="position",
            subject_id=position.pk,
            payload=_snapshot(position, POSITION_FIELDS),
        )
        return position
    old = Position.objects.select_for_update().get(pk=position.pk)
    changes = _diff(old, position, POSITION_FIELDS)
    if changes:
        position.save(update_fields=list(changes))
        record_event(
            actor=actor,
            event_type=event_types.POSITION_UPDATED,
            subject_type="position",
            subject_id=position.pk,
            payload={"code": position.code, "changes": changes},
        )
    return position


def create_position(*, actor: Actor, code: str, name: str, is_leader: bool = False) -> Position:
    return save_position(actor=actor, position=Position(code=code, name=name, is_leader=is_leader))


# --- officials -----------------------------------------------------------------------------------


@transaction.atomic
def save_official(*, actor: Actor, official: Official) -> Official:
    """Store a change of an official's agency, unit or position; records org.official_updated.

    New officials are created with `egov.accounts.services.create_official`.
    """
    _require_operator(actor)
    if official._state.adding:
        raise OrgError("Tạo công chức mới bằng chức năng tạo tài khoản công chức.")
    _validate(official, check_official(official))
    old = Official.objects.select_for_update().get(pk=official.pk)
    changes = _diff(old, official, OFFICIAL_FIELDS)
    if changes:
        official.save(update_fields=list(OFFICIAL_FIELDS))
        record_event(
            actor=actor,
            event_type=event_types.OFFICIAL_UPDATED,
            subject_type="user",
            subject_id=official.user_id,
            agency_id=official.agency_id,
            payload={"changes": changes},
        )
    return official


def set_official_position(
    *, actor: Actor, official: Official, position: Position | None
) -> Official:
    official.position = position
    return save_official(actor=actor, official=official)


def update_official(*, actor: Actor, official: Official, **changes: Any) -> Official:
    """Changes among: agency, unit, position."""
    return save_official(actor=actor, official=_apply(official, OFFICIAL_FIELDS, changes))


@transaction.atomic
def set_official_roles(*, actor: Actor, official: Official, roles: Iterable[str]) -> Official:
    """Replace an official's roles. The operator role also makes the account an operator
    account (administration access); an operator cannot take that role from themselves."""
    _require_operator(actor)
    wanted = set(roles)
    invalid = wanted - set(Role.values)
    if invalid:
        raise OrgError(
            f"Vai trò không hợp lệ: {', '.join(sorted(invalid))}",
            code=OrgErrorCode.ROLE,
            fields={"roles": sorted(invalid)},
        )
    current = set(
        OfficialRole.objects.select_for_update()
        .filter(official=official)
        .values_list("role", flat=True)
    )
    added, removed = wanted - current, current - wanted
    if Role.OPERATOR in removed and actor.user_id == official.user_id:
        raise OrgError(
            "Bạn không thể tự bỏ vai trò quản trị hệ thống của chính mình.",
            code=OrgErrorCode.SELF_DEMOTION,
        )
    if not added and not removed:
        return official
    OfficialRole.objects.filter(official=official, role__in=removed).delete()
    OfficialRole.objects.bulk_create(OfficialRole(official=official, role=r) for r in added)
    user = official.user
    kind = user.Kind.OPERATOR if Role.OPERATOR in wanted else user.Kind.OFFICIAL
    if user.kind != kind or user.is_staff != (kind == user.Kind.OPERATOR):
        user.kind = kind
        user.is_staff = kind == user.Kind.OPERATOR
        user.save(update_fields=["kind", "is_staff"])
    record_event(
        actor=actor,
        event_type=event_types.OFFICIAL_ROLES_CHANGED,
        subject_type="user",
        subject_id=official.user_id,
        agency_id=official.agency_id,
        payload={"added": sorted(added), "removed": sorted(removed), "roles": sorted(wanted)},
    )
    return official


# --- administrative units ------------------------------------------------------------------------


@transaction.atomic
def save_admin_unit(*, actor: Actor, unit: AdministrativeUnit) -> AdministrativeUnit:
    """Create or change one administrative unit by hand (imported units come from the import)."""
    _require_operator(actor)
    extra: dict[str, list[str]] = {}
    if unit.parent_id is not None:
        parent = unit.parent
        assert parent is not None
        if parent.scheme != unit.scheme:
            extra["parent"] = ["Đơn vị cấp trên phải cùng mô hình (2 cấp hoặc 3 cấp)."]
        elif _creates_cycle(parent, unit.pk):
            extra["parent"] = ["Đơn vị cấp trên không được là chính nó hoặc đơn vị cấp dưới."]
    _validate(unit, extra)
    event: EventType[Any]
    if unit._state.adding:
        unit.save()
        event, payload = event_types.ADMIN_UNIT_CREATED, _snapshot(unit, ADMIN_UNIT_FIELDS)
    else:
        old = AdministrativeUnit.objects.select_for_update().get(pk=unit.pk)
        changes = _diff(old, unit, ADMIN_UNIT_FIELDS)
        if not changes:
            return unit
        unit.save()
        event, payload = event_types.ADMIN_UNIT_UPDATED, {"code": unit.code, "changes": changes}
    record_event(
        actor=actor,
        event_type=event,
        subject_type="admin_unit",
        subject_id=unit.pk,
        payload=payload,
    )
    return unit


@dataclass(frozen=True)
class UnitRecord:
    """One administrative unit as read from a source, before it is stored."""

    code: str
    name: str
    division_type: str
    level: str
    parent_code: str | None


@dataclass
class ImportResult:
    scheme: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    by_level: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


class LegacyDataUnavailable(DomainError):
    code = OrgErrorCode.LEGACY_DATA_UNAVAILABLE


def _province_display_name(name: str, division_type: str) -> str:
    # The package names cities "Thành phố Hà Nội" but provinces just "Quảng Ninh".
    if division_type == "tỉnh" and not name.lower().startswith("tỉnh"):
        return f"Tỉnh {name}"
    return name


def package_units_2025(province_codes: Iterable[int] | None = None) -> list[UnitRecord]:
    """The two-tier units (provinces and their communes) shipped by `vietnam-provinces`.

    Codes are the statistics office's codes, zero-padded: provinces 2 digits, communes 5.
    """
    from vietnam_provinces import Province, ProvinceCode, Ward

    if province_codes is None:
        provinces = sorted(Province.iter_all(), key=lambda p: p.code.value)
    else:
        provinces = []
        for code in province_codes:
            try:
                provinces.append(Province.from_code(ProvinceCode(int(code))))
            except ValueError as exc:
                raise OrgError(
                    f"Không có tỉnh/thành phố mã {code} trong danh mục 2025.",
                    code=OrgErrorCode.UNKNOWN_PROVINCE,
                ) from exc
    wanted = {p.code for p in provinces}
    records = [
        UnitRecord(
            code=f"{p.code.value:02d}",
            name=_province_display_name(p.name, p.division_type.value),
            division_type=p.division_type.value,
            level=AdministrativeUnit.Level.PROVINCE,
            parent_code=None,
        )
        for p in provinces
    ]
    wards = sorted(
        (w for w in Ward.iter_all() if w.province_code in wanted), key=lambda w: w.code.value
    )
    records += [
        UnitRecord(
            code=f"{w.code.value:05d}",
            name=w.name,
            division_type=w.division_type.value,
            level=AdministrativeUnit.Level.COMMUNE,
            parent_code=f"{w.province_code.value:02d}",
        )
        for w in wards
    ]
    return records


@lru_cache(maxsize=1)
def package_codes_2025() -> frozenset[str]:
    """Codes of every unit the package ships (units that must not be edited by hand)."""
    return frozenset(r.code for r in package_units_2025())


def is_imported(unit: AdministrativeUnit) -> bool:
    return unit.scheme == AdministrativeUnit.Scheme.TWO_TIER_2025 and (
        unit.code in package_codes_2025()
    )


def legacy_units_from_json(
    path: Path, province_codes: Iterable[int] | None = None
) -> list[UnitRecord]:
    """Three-tier units (province > district > commune) from a JSON file in the nested format of
    vietnam-provinces before 2025: [{code, name, division_type, districts: [{code, name,
    division_type, wards: [{code, name, division_type}]}]}].

    The installed vietnam-provinces (2025.x) only ships the two-tier data, so the legacy list has
    to be supplied as a file.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LegacyDataUnavailable(f"Không đọc được tệp dữ liệu 3 cấp: {exc}") from exc
    if not isinstance(data, list):
        raise LegacyDataUnavailable("Tệp dữ liệu 3 cấp phải là một danh sách tỉnh.")
    wanted = {int(c) for c in province_codes} if province_codes is not None else None
    provinces: list[UnitRecord] = []
    districts: list[UnitRecord] = []
    communes: list[UnitRecord] = []
    try:
        for p in data:
            if wanted is not None and int(p["code"]) not in wanted:
                continue
            p_code = f"{int(p['code']):02d}"
            p_type = p.get("division_type", "")
            provinces.append(
                UnitRecord(
                    p_code,
                    _province_display_name(p["name"], p_type),
                    p_type,
                    AdministrativeUnit.Level.PROVINCE,
                    None,
                )
            )
            for d in p.get("districts", []):
                d_code = f"{int(d['code']):03d}"
                districts.append(
                    UnitRecord(
                        d_code,
                        d["name"],
                        d.get("division_type", ""),
                        AdministrativeUnit.Level.DISTRICT,
                        p_code,
                    )
                )
                communes.extend(
                    UnitRecord(
                        f"{int(w['code']):05d}",
                        w["name"],
                        w.get("division_type", ""),
                        AdministrativeUnit.Level.COMMUNE,
                        d_code,
                    )
                    for w in d.get("wards", [])
                )
    except (KeyError, TypeError, ValueError) as exc:
        raise LegacyDataUnavailable(f"Tệp dữ liệu 3 cấp sai cấu trúc: {exc!r}") from exc
    if wanted is not None and not provinces:
        raise LegacyDataUnavailable("Tệp dữ liệu 3 cấp không có tỉnh đã chọn.")
    return provinces + districts + communes


_LEVEL_ORDER = (
    AdministrativeUnit.Level.PROVINCE,
    AdministrativeUnit.Level.DISTRICT,
    AdministrativeUnit.Level.COMMUNE,
)


@transaction.atomic
def import_admin_units(
    *, records: Sequence[UnitRecord], scheme: str, actor: Actor = SYSTEM
) -> ImportResult:
    """Insert or update `records` for `scheme` in bulk; never creates a unit twice.

    Units already stored but missing from `records` are left as they are. One event,
    org.admin_units_imported, is recorded when anything changed.
    """
    _require_operator(actor)
    if scheme not in AdministrativeUnit.Scheme.values:
        raise OrgError(f"Mô hình không hợp lệ: {scheme}", code=OrgErrorCode.SCHEME)
    if scheme == AdministrativeUnit.Scheme.TWO_TIER_2025:
        valid_from, valid_to = REFORM_DATE, None
    else:
        valid_from, valid_to = None, LEGACY_LAST_DAY
    result = ImportResult(scheme=scheme)
    for level in _LEVEL_ORDER:
        batch = [r for r in records if r.level == level]
        if not batch:
            continue
        result.by_level[level] = len(batch)
        parent_codes = {r.parent_code for r in batch if r.parent_code}
        parents = dict(
            AdministrativeUnit.objects.filter(scheme=scheme, code__in=parent_codes).values_list(
                "code", "pk"
            )
        )
        missing = parent_codes - set(parents)
        if missing:
            raise OrgError(
                f"Thiếu đơn vị cấp trên: {', '.join(sorted(missing)[:5])}",
                code=OrgErrorCode.MISSING_PARENT,
            )
        existing = {
            u.code: u
            for u in AdministrativeUnit.objects.filter(
                scheme=scheme, code__in=[r.code for r in batch]
            )
        }
        to_create: list[AdministrativeUnit] = []
        to_update: list[AdministrativeUnit] = []
        for r in batch:
            values = {
                "name": r.name[:200],
                "division_type": r.division_type[:60],
                "level": r.level,
                "parent_id": parents[r.parent_code] if r.parent_code else None,
                "valid_from": valid_from,
                "valid_to": valid_to,
            }
            unit = existing.get(r.code)
            if unit is None:
                to_create.append(AdministrativeUnit(code=r.code, scheme=scheme, **values))
            elif any(getattr(unit, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(unit, k, v)
                to_update.append(unit)
            else:
                result.unchanged += 1
        AdministrativeUnit.objects.bulk_create(to_create, batch_size=500)
        AdministrativeUnit.objects.bulk_update(
            to_update,
            ["name", "division_type", "level", "parent", "valid_from", "valid_to"],
            batch_size=500,
        )
        result.created += len(to_create)
        result.updated += len(to_update)
    if result.created or result.updated:
        province_codes = sorted(
            r.code for r in records if r.level == AdministrativeUnit.Level.PROVINCE
        )
        record_event(
            actor=actor,
            event_type=event_types.ADMIN_UNITS_IMPORTED,
            subject_type="admin_unit_set",
            subject_id=scheme,
            payload={
                "scheme": scheme,
                "provinces": province_codes,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
            },
        )
    return result


def import_from_package(
    *, province_codes: Iterable[int] | None = None, actor: Actor = SYSTEM
) -> ImportResult:
    """Import the 2025 two-tier units of the given provinces (all 34 when None)."""
    return import_admin_units(
        records=package_units_2025(province_codes),
        scheme=AdministrativeUnit.Scheme.TWO_TIER_2025,
        actor=actor,
    )


def import_legacy_file(
    *, path: Path, province_codes: Iterable[int] | None = None, actor: Actor = SYSTEM
) -> ImportResult:
    """Import pre-2025 three-tier units from a JSON file (see `legacy_units_from_json`)."""
    return import_admin_units(
        records=legacy_units_from_json(path, province_codes),
        scheme=AdministrativeUnit.Scheme.LEGACY,
        actor=actor,
    )
