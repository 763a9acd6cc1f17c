"""Account actions: registration of citizens and businesses, officials, API clients."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from egov.core.actors import ANONYMOUS, Actor
from egov.core.errors import DomainError
from egov.core.text import nfc
from egov.events.services import record_event
from egov.org.models import Agency, Official, OfficialRole, Position, Role, Unit

from .identity import normalize_phone, normalize_tax_code, parse_personal_id
from .models import ApiClient, BusinessProfile, CitizenProfile, User

API_SCOPES = {
    "catalog:read": "Đọc danh mục thủ tục hành chính",
    "org:read": "Đọc cơ cấu tổ chức",
    "calendar:read": "Tính ngày làm việc",
    "events:read": "Đọc nhật ký sự kiện",
    "stats:read": "Đọc số liệu điều hành",
    "dossiers:read": "Đọc hồ sơ",
    "dossiers:write": "Nộp và xử lý hồ sơ",
    "documents:read": "Đọc văn bản",
    "documents:write": "Gửi văn bản",
}


class RegistrationError(DomainError):
    code = "registration_invalid"


@dataclass
class ContactInfo:
    phone: str
    email: str


def _clean_contact(phone: str, email: str) -> ContactInfo:
    errors: dict[str, list[str]] = {}
    clean_phone = ""
    clean_email = (email or "").strip().lower()
    if not (phone or "").strip() and not clean_email:
        errors["phone"] = ["Cần ít nhất số điện thoại hoặc thư điện tử."]
    if (phone or "").strip():
        try:
            clean_phone = normalize_phone(phone)
        except ValidationError as exc:
            errors["phone"] = exc.messages
    if clean_email:
        try:
            if len(clean_email) > 254:
                raise ValidationError("Địa chỉ thư điện tử quá dài.")
            validate_email(clean_email)
        except ValidationError:
            errors["email"] = ["Địa chỉ thư điện tử không hợp lệ."]
    if errors:
        raise RegistrationError("Thông tin liên hệ không hợp lệ.", fields=errors)
    return ContactInfo(clean_phone, clean_email)


def _check_name(full_name: str, field: str = "full_name", max_length: int = 150) -> str:
    name = " ".join(nfc(full_name or "").split())  # callers besides the pages and the API
    if not name:
        raise RegistrationError("Vui lòng nhập họ và tên.", fields={field: ["Bắt buộc."]})
    if len(name) > max_length:
        raise RegistrationError(
            "Họ và tên quá dài.", fields={field: [f"Tối đa {max_length} ký tự."]}
        )
    return name


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise RegistrationError(
            "Mật khẩu chưa đủ mạnh.", fields={"password": exc.messages}
        ) from exc


def register_citizen(
    *, personal_id: str, full_name: str, password: str, phone: str = "", email: str = ""
) -> User:
    try:
        pid = parse_personal_id(personal_id)
    except ValidationError as exc:
        raise RegistrationError(
            "Số định danh cá nhân không hợp lệ.", fields={"personal_id": exc.messages}
        ) from exc
    name = _check_name(full_name)
    contact = _clean_contact(phone, email)
    user = User(
        username=pid.number,
        kind=User.Kind.CITIZEN,
        full_name=name,
        phone=contact.phone,
        email=contact.email,
    )
    _check_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            if User.objects.filter(username=pid.number).exists():
                raise RegistrationError(
                    "Số định danh này đã có tài khoản.",
                    code="already_registered",
                    fields={"personal_id": ["Đã được đăng ký."]},
                )
            user.save()
            CitizenProfile.objects.create(
                user=user,
                personal_id=pid.number,
                birth_year=pid.birth_year,
                gender=pid.gender,
                birth_province_code=pid.province_code,
            )
            record_event(
                actor=ANONYMOUS,
                event_type="account.citizen_registered",
                subject_type="user",
                subject_id=user.pk,
                payload={"username": user.username, "phone": contact.phone, "email": contact.email},
            )
    except IntegrityError as exc:  # a concurrent registration of the same number
        raise RegistrationError(
            "Số định danh này đã có tài khoản.",
            code="already_registered",
            fields={"personal_id": ["Đã được đăng ký."]},
        ) from exc
    return user


def register_business(
    *,
    tax_code: str,
    name: str,
    representative: str,
    password: str,
    phone: str = "",
    email: str = "",
    address: str = "",
) -> User:
    try:
        code = normalize_tax_code(tax_code)
    except ValidationError as exc:
        raise RegistrationError(
            "Mã số thuế không hợp lệ.", fields={"tax_code": exc.messages}
        ) from exc
    business_name = _check_name(name, "name", 255)
    rep = _check_name(representative, "representative")
    if len(address) > 255:
        raise RegistrationError("Địa chỉ quá dài.", fields={"address": ["Tối đa 255 ký tự."]})
    contact = _clean_contact(phone, email)
    user = User(
        username=code,
        kind=User.Kind.BUSINESS,
        full_name=rep,
        phone=contact.phone,
        email=contact.email,
    )
    _check_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            if User.objects.filter(username=code).exists():
                raise RegistrationError(
                    "Mã số thuế này đã có tài khoản.",
                    code="already_registered",
                    fields={"tax_code": ["Đã được đăng ký."]},
                )
            user.save()
            BusinessProfile.objects.create(
                user=user, tax_code=code, name=business_name, address=address
            )
            record_event(
                actor=ANONYMOUS,
                event_type="account.business_registered",
                subject_type="user",
                subject_id=user.pk,
                payload={"username": code, "name": business_name},
            )
    except IntegrityError as exc:
        raise RegistrationError(
            "Mã số thuế này đã có tài khoản.",
            code="already_registered",
            fields={"tax_code": ["Đã được đăng ký."]},
        ) from exc
    return user


@transaction.atomic
def create_official(
    *,
    actor: Actor,
    username: str,
    full_name: str,
    password: str,
    agency: Agency,
    unit: Unit | None = None,
    position: Position | None = None,
    roles: list[str] | None = None,
    email: str = "",
    phone: str = "",
) -> Official:
    if not actor.is_operator:
        raise DomainError("Chỉ quản trị hệ thống được tạo tài khoản công chức.", code="forbidden")
    if unit is not None and unit.agency_id != agency.pk:
        raise DomainError("Phòng ban không thuộc cơ quan đã chọn.", code="unit_agency_mismatch")
    invalid = set(roles or []) - set(Role.values)
    if invalid:
        raise DomainError(f"Vai trò không hợp lệ: {', '.join(sorted(invalid))}", code="role")
    kind = User.Kind.OPERATOR if Role.OPERATOR in (roles or []) else User.Kind.OFFICIAL
    user = User(
        username=username,
        full_name=_check_name(full_name),
        kind=kind,
        email=email,
        phone=normalize_phone(phone) if phone else "",
    )
    user.set_password(password)
    user.is_staff = kind == User.Kind.OPERATOR
    user.save()
    official = Official.objects.create(user=user, agency=agency, unit=unit, position=position)
    OfficialRole.objects.bulk_create(OfficialRole(official=official, role=r) for r in roles or [])
    record_event(
        actor=actor,
        event_type="account.official_created",
        subject_type="user",
        subject_id=user.pk,
        agency_id=agency.pk,
        payload={"username": username, "unit_id": unit.pk if unit else None, "roles": roles or []},
    )
    return official


@transaction.atomic
def create_api_client(
    *, actor: Actor, name: str, scopes: list[str], agency: Agency | None = None
) -> tuple[ApiClient, str]:
    """Create an API client; the returned token is shown once and never stored."""
    if not actor.is_operator:
        raise DomainError("Chỉ quản trị hệ thống được cấp ứng dụng API.", code="forbidden")
    unknown = set(scopes) - set(API_SCOPES)
    if unknown:
        raise DomainError(
            f"Phạm vi không tồn tại: {', '.join(sorted(unknown))}",
            code="unknown_scope",
            fields={"scopes": sorted(unknown)},
        )
    token, prefix, digest = ApiClient.new_token()
    client = ApiClient.objects.create(
        name=name, scopes=sorted(set(scopes)), agency=agency, key_prefix=prefix, key_hash=digest
    )
    record_event(
        actor=actor,
        event_type="api_client.created",
        subject_type="api_client",
        subject_id=client.pk,
        agency_id=agency.pk if agency else None,
        payload={"name": name, "scopes": client.scopes},
    )
    return client, token
