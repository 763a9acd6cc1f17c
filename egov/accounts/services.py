"""Account actions: registration of citizens and businesses, officials, API clients."""

from __future__ import annotations

import hmac
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from egov.core import onetimecode
from egov.core.actors import ANONYMOUS, Actor, actor_for_user
from egov.core.api_scopes import api_scopes
from egov.core.errors import DomainError, NotAllowed, NotFoundError
from egov.core.text import collapse_spaces
from egov.events.catalogue import EventType
from egov.events.services import record_event
from egov.org.models import Agency, Official, OfficialRole, Position, Role, Unit

from . import event_types
from .error_codes import AccountErrorCode
from .identity import normalize_phone, normalize_tax_code, parse_personal_id
from .models import (
    ApiClient,
    BusinessProfile,
    CitizenProfile,
    DeskCode,
    EnrolmentCode,
    IdentityMethod,
    User,
)


class _DeclaredScopes(Mapping[str, str]):
    """The scopes the apps declare (egov.core.api_scopes), read when used; kept under this name
    for the API-client admin form."""

    def __getitem__(self, scope: str) -> str:
        return api_scopes()[scope]

    def __iter__(self) -> Iterator[str]:
        return iter(api_scopes())

    def __len__(self) -> int:
        return len(api_scopes())


API_SCOPES: Mapping[str, str] = _DeclaredScopes()


class RegistrationError(DomainError):
    code = AccountErrorCode.REGISTRATION_INVALID


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
    name = collapse_spaces(full_name)  # callers besides the pages and the API
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


def _already_registered(field: str) -> RegistrationError:
    """One answer whether the existing account is verified or not: a second account for a number
    is never created; its holder recovers the first (or takes it back from whoever registered
    it) with the papers at the desk."""
    what = "Số định danh" if field == "personal_id" else "Mã số thuế"
    return RegistrationError(
        f"{what} này đã có tài khoản. Nếu bạn quên mật khẩu, hoặc tài khoản này không do bạn "
        "đăng ký, hãy mang giấy tờ gốc (căn cước, giấy chứng nhận đăng ký doanh nghiệp) đến "
        "Bộ phận Một cửa để được cấp mã xác thực, rồi nhập mã tại trang “Xác thực tài khoản "
        "bằng mã” để đặt lại mật khẩu.",
        code=AccountErrorCode.ALREADY_REGISTERED,
        fields={field: ["Đã được đăng ký."]},
    )


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
                raise _already_registered("personal_id")
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
                event_type=event_types.CITIZEN_REGISTERED,
                subject_type="user",
                subject_id=user.pk,
                payload={"username": user.username, "phone": contact.phone, "email": contact.email},
            )
    except IntegrityError as exc:  # a concurrent registration of the same number
        raise _already_registered("personal_id") from exc
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
                raise _already_registered("tax_code")
            user.save()
            BusinessProfile.objects.create(
                user=user, tax_code=code, name=business_name, address=address
            )
            record_event(
                actor=ANONYMOUS,
                event_type=event_types.BUSINESS_REGISTERED,
                subject_type="user",
                subject_id=user.pk,
                payload={"username": code, "name": business_name},
            )
    except IntegrityError as exc:
        raise _already_registered("tax_code") from exc
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
        raise DomainError(
            "Chỉ quản trị hệ thống được tạo tài khoản công chức.", code=AccountErrorCode.FORBIDDEN
        )
    if unit is not None and unit.agency_id != agency.pk:
        raise DomainError(
            "Phòng ban không thuộc cơ quan đã chọn.", code=AccountErrorCode.UNIT_AGENCY_MISMATCH
        )
    invalid = set(roles or []) - set(Role.values)
    if invalid:
        raise DomainError(
            f"Vai trò không hợp lệ: {', '.join(sorted(invalid))}", code=AccountErrorCode.ROLE
        )
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
        event_type=event_types.OFFICIAL_CREATED,
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
        raise DomainError(
            "Chỉ quản trị hệ thống được cấp ứng dụng API.", code=AccountErrorCode.FORBIDDEN
        )
    unknown = set(scopes) - set(api_scopes())
    if unknown:
        raise DomainError(
            f"Phạm vi không tồn tại: {', '.join(sorted(unknown))}",
            code=AccountErrorCode.UNKNOWN_SCOPE,
            fields={"scopes": sorted(unknown)},
        )
    token, prefix, digest = ApiClient.new_token()
    client = ApiClient.objects.create(
        name=name, scopes=sorted(set(scopes)), agency=agency, key_prefix=prefix, key_hash=digest
    )
    record_event(
        actor=actor,
        event_type=event_types.API_CLIENT_CREATED,
        subject_type="api_client",
        subject_id=client.pk,
        agency_id=agency.pk if agency else None,
        payload={"name": name, "scopes": client.scopes},
    )
    return client, token


# --- operators' edits in the administration ------------------------------------------------------

USER_EDITABLE = ("full_name", "email", "phone", "is_active")
API_CLIENT_EDITABLE = ("is_active", "expires_at")


def _save_changes(
    actor: Actor,
    obj: User | ApiClient,
    fields: tuple[str, ...],
    event_type: EventType[Any],
    subject_type: str,
    agency_id: int | None,
) -> None:
    """Store the changed `fields` of `obj` (edited in memory by a form) and record them as one
    event; nothing is written when nothing changed."""
    if not actor.is_operator:
        raise NotAllowed("Chỉ quản trị hệ thống được sửa tài khoản.")
    old = type(obj).objects.select_for_update().get(pk=obj.pk)
    changes = {
        f: [getattr(old, f), getattr(obj, f)] for f in fields if getattr(old, f) != getattr(obj, f)
    }
    if not changes:
        return
    obj.save(update_fields=list(changes))
    record_event(
        actor=actor,
        event_type=event_type,
        subject_type=subject_type,
        subject_id=obj.pk,
        agency_id=agency_id,
        payload={"changes": changes},
    )


@transaction.atomic
def update_user(*, actor: Actor, user: User) -> None:
    """An operator's edit of an account's name, contact and active flag; nobody locks
    themselves out."""
    if user.pk == actor.user_id and not user.is_active:
        raise DomainError(
            "Bạn không thể tự khóa tài khoản của chính mình.", code=AccountErrorCode.SELF_LOCKOUT
        )
    _save_changes(
        actor, user, USER_EDITABLE, event_types.USER_UPDATED, "user", _agency_of_user(user)
    )


@transaction.atomic
def update_api_client(*, actor: Actor, client: ApiClient) -> None:
    """An operator's edit of an API client's active flag and expiry."""
    _save_changes(
        actor,
        client,
        API_CLIENT_EDITABLE,
        event_types.API_CLIENT_UPDATED,
        "api_client",
        client.agency_id,
    )


def record_password_set_by_operator(*, actor: Actor, user: User) -> None:
    """The event of an operator setting a user's password (inside the transaction in which the
    administration's password form stored it)."""
    if not actor.is_operator:
        raise NotAllowed("Chỉ quản trị hệ thống được đặt mật khẩu cho người dùng.")
    record_event(
        actor=actor,
        event_type=event_types.PASSWORD_SET_BY_OPERATOR,
        subject_type="user",
        subject_id=user.pk,
        agency_id=_agency_of_user(user),
        payload={"username": user.username},
    )


# --- second-factor enrolment --------------------------------------------------------------------

ENROLMENT_CODE_VALIDITY = timedelta(days=7)
ENROLMENT_CODE_PURPOSE = "egov.accounts.enrolment_code"


class EnrolmentError(DomainError):
    code = AccountErrorCode.ENROLMENT_CODE_INVALID


@dataclass(frozen=True)
class IssuedEnrolmentCode:
    user: User
    code: str  # shown once, to hand to the official out of band (never by the same channel
    # as the password)
    expires_at: datetime


def _has_totp(user: User) -> bool:
    # TOTP is the factor officials log in with (recovery codes alone are not one).
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def enrolment_code_required(user: Any) -> bool:
    """An official or operator without an authenticator enrols only with a code from an
    operator: a password alone never sets up the second factor."""
    return bool(getattr(user, "needs_second_factor", False)) and not _has_totp(user)


def _agency_of_user(user: User) -> int | None:
    official = Official.of_user(user.pk) if user.kind != User.Kind.CITIZEN else None
    return official.agency_id if official is not None else None


def _issue_enrolment_code(actor: Actor, user: User, now: datetime) -> IssuedEnrolmentCode:
    issued, code = EnrolmentCode.issue(
        user=user,
        purpose=ENROLMENT_CODE_PURPOSE,
        validity=ENROLMENT_CODE_VALIDITY,
        now=now,
        issued_by_id=actor.user_id,
    )
    record_event(
        actor=actor,
        event_type=event_types.ENROLMENT_CODE_ISSUED,
        subject_type="user",
        subject_id=user.pk,
        agency_id=_agency_of_user(user),
        payload={"username": user.username, "expires_at": issued.expires_at},
    )
    return IssuedEnrolmentCode(user, onetimecode.shown(code), issued.expires_at)


def _enrolment_target(actor: Actor, user: User) -> User:
    if not actor.is_operator:
        raise NotAllowed("Chỉ quản trị hệ thống được cấp mã kích hoạt xác thực hai lớp.")
    locked = User.objects.select_for_update().get(pk=user.pk)
    if not locked.needs_second_factor or not locked.is_active:
        raise EnrolmentError(
            f"Tài khoản {locked.username} không dùng xác thực hai lớp hoặc đã bị khóa.",
            code=AccountErrorCode.NO_SECOND_FACTOR,
        )
    return locked


def issue_enrolment_code(*, actor: Actor, user: User) -> IssuedEnrolmentCode:
    """An operator gives an official or operator who has no authenticator yet a one-time code
    (valid ENROLMENT_CODE_VALIDITY) to set one up; earlier codes are void."""
    with transaction.atomic():
        locked = _enrolment_target(actor, user)
        if _has_totp(locked):
            raise EnrolmentError(
                f"Tài khoản {locked.username} đã cài xác thực hai lớp; nếu người dùng mất thiết "
                "bị, hãy đặt lại xác thực hai lớp.",
                code=AccountErrorCode.SECOND_FACTOR_EXISTS,
            )
        return _issue_enrolment_code(actor, locked, timezone.now())


def reset_second_factor(*, actor: Actor, user: User) -> IssuedEnrolmentCode:
    """A lost authenticator: removed (with its recovery codes), and a new enrolment code issued,
    so the official sets up a new one with the code and not with the password alone."""
    from allauth.mfa.models import Authenticator

    with transaction.atomic():
        locked = _enrolment_target(actor, user)
        removed, _detail = Authenticator.objects.filter(user=locked).delete()
        record_event(
            actor=actor,
            event_type=event_types.SECOND_FACTOR_RESET,
            subject_type="user",
            subject_id=locked.pk,
            agency_id=_agency_of_user(locked),
            payload={"username": locked.username, "authenticators_removed": removed},
        )
        return _issue_enrolment_code(actor, locked, timezone.now())


def redeem_enrolment_code(*, user: User, code: str) -> None:
    """Consume the user's live enrolment code, or refuse (the same answer for a wrong, used,
    expired or another account's code). Called by the TOTP activation form just before the
    authenticator is created; callers throttle guessing per account."""
    invalid = EnrolmentError(
        "Mã kích hoạt không đúng, đã dùng hoặc đã hết hạn. Liên hệ quản trị hệ thống để được "
        "cấp mã mới.",
        fields={"enrolment_code": ["Không đúng hoặc đã hết hạn."]},
    )
    if not onetimecode.clean_code(code):
        raise invalid
    with transaction.atomic():
        now = timezone.now()
        live = (
            EnrolmentCode.objects.select_for_update()
            .filter(user=user, used_at__isnull=True, expires_at__gt=now)
            .order_by("-issued_at")
            .first()
        )
        matched = live is not None and onetimecode.matches(
            ENROLMENT_CODE_PURPOSE, code, live.code_hash
        )
        if live is not None and not matched:
            live.failed_attempts = min(live.failed_attempts + 1, DESK_CODE_COUNT_CAP)
            live.save(update_fields=["failed_attempts"])
        elif matched and live is not None:
            live.used_at = now
            live.save(update_fields=["used_at"])
            record_event(
                actor=actor_for_user(user),
                event_type=event_types.SECOND_FACTOR_ENROLLED,
                subject_type="user",
                subject_id=user.pk,
                agency_id=_agency_of_user(user),
                payload={
                    "username": user.username,
                    "enrolment_code_issued_at": live.issued_at,
                    "issued_by": live.issued_by_id,
                },
            )
    if not matched:
        raise invalid


# --- identity verification -----------------------------------------------------------------------

DESK_CODE_VALIDITY = timedelta(days=3)
# 50-bit codes (egov.core.onetimecode). Wrong tries never void a code: whoever squats the
# number knows it and could void every code the holder is given. Guessing is throttled per
# address instead (the page, through egov.accounts.views: DESK_CODE_FAILED_RATE_LIMIT), which
# over a code's three days leaves a chance of about 1e-12 per address.
DESK_CODE_PURPOSE = "egov.accounts.desk_code"
DESK_CODE_COUNT_CAP = 32767  # the column's range


class IdentityError(DomainError):
    code = AccountErrorCode.IDENTITY_INVALID


@dataclass(frozen=True)
class IssuedDeskCode:
    user: User
    code: str  # shown once, to print or write down for the person at the desk
    expires_at: datetime


def _identifier(kind: str, number: str, field: str = "id_number") -> str:
    try:
        if kind == User.Kind.BUSINESS:
            return normalize_tax_code(number)
        if kind == User.Kind.CITIZEN:
            return parse_personal_id(number).number
    except ValidationError as exc:
        raise IdentityError(
            "Số định danh hoặc mã số thuế không hợp lệ.", fields={field: exc.messages}
        ) from exc
    raise IdentityError("Loại tài khoản không hợp lệ.", fields={"kind": ["Không hợp lệ."]})


def _profiles(kind: str) -> QuerySet[Any]:
    if kind == User.Kind.BUSINESS:
        return BusinessProfile.objects.all()
    return CitizenProfile.objects.all()


def _profile_of(user: User) -> CitizenProfile | BusinessProfile | None:
    if user.kind == User.Kind.CITIZEN:
        return CitizenProfile.objects.filter(user=user).first()
    if user.kind == User.Kind.BUSINESS:
        return BusinessProfile.objects.filter(user=user).first()
    return None


def _number_of(profile: CitizenProfile | BusinessProfile) -> str:
    return profile.tax_code if isinstance(profile, BusinessProfile) else profile.personal_id


def verified_account(kind: str, number: str) -> User | None:
    """The account whose holder was shown to hold this id number / tax code, if any: the only
    account a dossier received at the desk for that number may be linked to."""
    profile = (
        _profiles(kind)
        .filter(**{"tax_code" if kind == User.Kind.BUSINESS else "personal_id": number})
        .filter(identity_verified_at__isnull=False, user__is_active=True)
        .select_related("user")
        .first()
    )
    return profile.user if profile is not None else None


def issue_desk_code(
    *,
    actor: Actor,
    kind: str,
    id_number: str,
    full_name: str,
    phone: str = "",
    email: str = "",
    papers_checked: bool,
) -> IssuedDeskCode:
    """A one-stop receiver, having checked the original papers of the person at the desk, gives
    them a one-time code for the account registered with that number. Nothing about the account
    changes until the code is redeemed (redeem_desk_code)."""
    official = None
    if actor.kind == "official" and actor.user_id is not None:
        official = Official.of_user(actor.user_id)
    if official is None or not official.has_role(Role.RECEIVER):
        raise NotAllowed("Cần vai trò cán bộ tiếp nhận Một cửa.")
    if not papers_checked:
        raise IdentityError(
            "Cần đối chiếu giấy tờ gốc của người đến làm thủ tục trước khi cấp mã.",
            fields={"papers_checked": ["Bắt buộc."]},
        )
    number = _identifier(kind, id_number)
    name = _check_name(full_name)
    contact = _clean_contact(phone, email)
    with transaction.atomic():
        profile = (
            _profiles(kind)
            .select_for_update(of=("self",))
            .filter(**{"tax_code" if kind == User.Kind.BUSINESS else "personal_id": number})
            .select_related("user")
            .first()
        )
        if profile is None:
            raise NotFoundError(
                "Chưa có tài khoản nào đăng ký với số này. Hướng dẫn người dân tự đăng ký trên "
                "Cổng, rồi cấp mã để xác thực tài khoản.",
                code=AccountErrorCode.NO_ACCOUNT,
                fields={"id_number": ["Chưa có tài khoản."]},
            )
        now = timezone.now()
        issued, code = DeskCode.issue(
            user=profile.user,
            purpose=DESK_CODE_PURPOSE,
            validity=DESK_CODE_VALIDITY,
            now=now,
            issued_by_id=official.user_id,
            agency_id=official.agency_id,
            full_name=name,
            phone=contact.phone,
            email=contact.email,
        )
        record_event(
            actor=actor,
            event_type=event_types.DESK_CODE_ISSUED,
            subject_type="user",
            subject_id=profile.user.pk,
            agency_id=official.agency_id,
            payload={
                "username": profile.user.username,
                "papers_checked": True,
                "verified_before": profile.is_identity_verified,
                "expires_at": issued.expires_at,
            },
        )
    return IssuedDeskCode(profile.user, onetimecode.shown(code), issued.expires_at)


def redeem_desk_code(*, id_number: str, code: str, new_password: str) -> User:
    """The holder of a desk code takes the account: new password, the name and contact details
    checked at the desk, no second factor or e-mail left from before, every other session ended
    (Django ties sessions to the password hash), and the identity verified. The same answer for
    an unknown number, a wrong, used or expired code. Wrong tries are counted on the code (for
    the record) but do not void it; callers throttle guessing per client address."""
    invalid = IdentityError(
        "Số định danh (mã số thuế) hoặc mã xác thực không đúng, hoặc mã đã hết hạn (mã có giá "
        "trị 3 ngày); nếu cần, hãy đến Bộ phận Một cửa để được cấp mã mới.",
        code=AccountErrorCode.DESK_CODE_INVALID,
        fields={"code": ["Không đúng hoặc đã hết hạn."]},
    )
    raw = (id_number or "").strip().replace(" ", "")
    user = None
    for kind in (User.Kind.CITIZEN, User.Kind.BUSINESS):
        try:
            number = _identifier(kind, raw)
        except IdentityError:
            continue
        user = User.objects.filter(username=number, kind=kind).first()
        if user is not None:
            break
    # Password strength before the code, so a weak password never tells whether a code was right.
    _check_password(new_password, user or User(username=raw))
    if user is None or not onetimecode.clean_code(code):
        raise invalid
    with transaction.atomic():
        now = timezone.now()
        live = (
            DeskCode.objects.select_for_update()
            .filter(user=user, used_at__isnull=True, expires_at__gt=now)
            .order_by("-issued_at")
            .first()
        )
        profile = _profile_of(user)
        matched = (
            live is not None
            and profile is not None
            and onetimecode.matches(DESK_CODE_PURPOSE, code, live.code_hash)
        )
        if live is not None and not matched:
            # Kept: the refusal below is raised after this transaction commits.
            live.failed_attempts = min(live.failed_attempts + 1, DESK_CODE_COUNT_CAP)
            live.save(update_fields=["failed_attempts"])
        elif matched and live is not None and profile is not None:
            _take_account(user, profile, live, new_password, now)
    if not matched:
        raise invalid
    return user


def _take_account(
    user: User,
    profile: CitizenProfile | BusinessProfile,
    live: DeskCode,
    new_password: str,
    now: datetime,
) -> None:
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    was_verified = profile.is_identity_verified
    # A second factor or e-mail address set by whoever registered the number would let them
    # back in (sign-in step, password reset by e-mail).
    removed_factors, _ = Authenticator.objects.filter(user=user).delete()
    EmailAddress.objects.filter(user=user).delete()
    user.set_password(new_password)
    user.full_name = live.full_name
    user.phone = live.phone
    user.email = live.email
    user.save(update_fields=["password", "full_name", "phone", "email"])
    profile.identity_verified_at = now
    profile.identity_verified_by_id = live.issued_by_id
    profile.identity_verified_method = IdentityMethod.DESK
    profile.save(
        update_fields=["identity_verified_at", "identity_verified_by", "identity_verified_method"]
    )
    live.used_at = now
    live.save(update_fields=["used_at"])
    record_event(
        actor=actor_for_user(user),
        event_type=event_types.IDENTITY_VERIFIED,
        subject_type="user",
        subject_id=user.pk,
        agency_id=live.agency_id,
        payload={
            "username": user.username,
            "method": IdentityMethod.DESK,
            "verified_by": live.issued_by_id,
            "desk_code_issued_at": live.issued_at,
            "verified_before": was_verified,
            "second_factors_removed": removed_factors,
        },
    )


def verify_identity_by_eid(*, user: User, id_number: str) -> User:
    """Record that the national electronic identity (VNeID) asserted, at this user's login, the
    holder's id number (or the organisation's tax code). Called by the eID integration once it
    has checked the provider's signed assertion; a number other than the account's is refused."""
    profile = _profile_of(user)
    if profile is None:
        raise IdentityError("Chỉ tài khoản công dân, tổ chức được xác thực danh tính.")
    asserted = _identifier(user.kind, id_number)
    if not hmac.compare_digest(asserted, _number_of(profile)):
        raise IdentityError(
            "Danh tính điện tử không khớp với số định danh của tài khoản.",
            code=AccountErrorCode.IDENTITY_MISMATCH,
        )
    if profile.identity_verified_method == IdentityMethod.EID:
        return user
    with transaction.atomic():
        profile.identity_verified_at = timezone.now()
        profile.identity_verified_by = None
        profile.identity_verified_method = IdentityMethod.EID
        profile.save(
            update_fields=[
                "identity_verified_at",
                "identity_verified_by",
                "identity_verified_method",
            ]
        )
        record_event(
            actor=actor_for_user(user),
            event_type=event_types.IDENTITY_VERIFIED,
            subject_type="user",
            subject_id=user.pk,
            payload={"username": user.username, "method": IdentityMethod.EID},
        )
    return user


def _eid_contact(phone: str, email: str) -> ContactInfo:
    """The provider's contact claims, kept only where they are valid (they are optional there
    and the account works without them)."""
    clean_phone = ""
    with_phone = (phone or "").strip()
    if with_phone:
        try:
            clean_phone = normalize_phone(with_phone)
        except ValidationError:
            clean_phone = ""
    clean_email = (email or "").strip().lower()
    if clean_email:
        try:
            if len(clean_email) > 254:
                raise ValidationError("too long")
            validate_email(clean_email)
        except ValidationError:
            clean_email = ""
    return ContactInfo(clean_phone, clean_email)


def register_citizen_by_eid(
    *, personal_id: str, full_name: str, phone: str = "", email: str = ""
) -> User:
    """A citizen account for a person the national electronic identity asserted and who has no
    account yet: the same checks of the number as `register_citizen`, no password (the holder
    logs in through VNeID, or sets one with a desk code). Called by egov.identity after it
    checked the provider's signed assertion; the caller then records the verification
    (verify_identity_by_eid). A number that already has an account is refused, never doubled."""
    try:
        pid = parse_personal_id(personal_id)
    except ValidationError as exc:
        raise RegistrationError(
            "Số định danh cá nhân không hợp lệ.", fields={"personal_id": exc.messages}
        ) from exc
    name = _check_name(full_name)
    contact = _eid_contact(phone, email)
    user = User(
        username=pid.number,
        kind=User.Kind.CITIZEN,
        full_name=name,
        phone=contact.phone,
        email=contact.email,
    )
    user.set_unusable_password()
    try:
        with transaction.atomic():
            if User.objects.filter(username=pid.number).exists():
                raise _already_registered("personal_id")
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
                event_type=event_types.CITIZEN_REGISTERED,
                subject_type="user",
                subject_id=user.pk,
                payload={"username": user.username, "phone": contact.phone, "email": contact.email},
            )
    except IntegrityError as exc:  # a concurrent registration of the same number
        raise _already_registered("personal_id") from exc
    return user
