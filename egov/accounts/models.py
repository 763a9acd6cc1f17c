"""Accounts: one user model for citizens, businesses, officials and operators; API clients."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any, Self

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    class Kind(models.TextChoices):
        CITIZEN = "citizen", _("Công dân")
        BUSINESS = "business", _("Tổ chức, doanh nghiệp")
        OFFICIAL = "official", _("Công chức")
        OPERATOR = "operator", _("Quản trị hệ thống")

    kind = models.CharField(_("loại tài khoản"), max_length=10, choices=Kind.choices)
    full_name = models.CharField(_("họ và tên"), max_length=150, blank=True)
    phone = models.CharField(_("số điện thoại"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("tài khoản")
        verbose_name_plural = _("tài khoản")

    def get_full_name(self) -> str:
        return self.full_name or self.username

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[-1] if self.full_name else self.username

    @property
    def is_official(self) -> bool:
        return self.kind == self.Kind.OFFICIAL

    @property
    def is_operator(self) -> bool:
        return self.kind == self.Kind.OPERATOR

    @property
    def needs_second_factor(self) -> bool:
        """Officials, operators and anyone with administration rights must log in with TOTP."""
        return (
            self.kind in (self.Kind.OFFICIAL, self.Kind.OPERATOR)
            or self.is_staff
            or (self.is_superuser)
        )


class IdentityMethod(models.TextChoices):
    EID = "eid", _("Định danh điện tử (VNeID)")
    DESK = "desk", _("Đối chiếu giấy tờ gốc tại Bộ phận Một cửa")


class IdentityVerification(models.Model):
    """Whether the person who controls the account was shown to hold its id number / tax code.

    Self-registration proves nothing (anyone can type someone else's number): such an account
    sees only what it submitted itself. Dossiers received at the desk for a number are linked
    only to an account verified by electronic identity or at the desk (egov.accounts.services).
    """

    identity_verified_at = models.DateTimeField(_("xác thực danh tính lúc"), null=True, blank=True)
    identity_verified_by = models.ForeignKey(
        User,
        verbose_name=_("cán bộ xác thực"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    identity_verified_method = models.CharField(
        _("cách xác thực danh tính"), max_length=4, choices=IdentityMethod.choices, blank=True
    )

    class Meta:
        abstract = True

    @property
    def is_identity_verified(self) -> bool:
        return self.identity_verified_at is not None


class CitizenProfile(IdentityVerification):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="citizen")
    personal_id = models.CharField(_("số định danh cá nhân"), max_length=12, unique=True)
    birth_year = models.PositiveSmallIntegerField(_("năm sinh"), null=True, blank=True)
    gender = models.CharField(_("giới tính"), max_length=6, blank=True)
    birth_province_code = models.CharField(_("mã tỉnh nơi đăng ký khai sinh"), max_length=3)

    class Meta:
        verbose_name = _("công dân")
        verbose_name_plural = _("công dân")

    def __str__(self) -> str:
        return f"{self.user.get_full_name()} ({self.personal_id})"


class BusinessProfile(IdentityVerification):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="business")
    tax_code = models.CharField(_("mã số thuế"), max_length=14, unique=True)
    name = models.CharField(_("tên tổ chức, doanh nghiệp"), max_length=255)
    address = models.CharField(_("địa chỉ"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("tổ chức, doanh nghiệp")
        verbose_name_plural = _("tổ chức, doanh nghiệp")

    def __str__(self) -> str:
        return f"{self.name} ({self.tax_code})"


class OneTimeCode(models.Model):
    """What every one-time code keeps (egov.core.onetimecode makes and hashes them): a keyed hash
    only, when it was issued, until when it works, when it was used, and wrong tries."""

    code_hash = models.CharField(max_length=64)
    issued_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{getattr(self, 'user', '')} ({self.issued_at:%Y-%m-%d})"

    @classmethod
    def issue(
        cls, *, user: User, purpose: str, validity: timedelta, now: datetime, **fields: Any
    ) -> tuple[Self, str]:
        """A new code for `user` (returned once, in clear; only its keyed hash is stored) that
        voids the account's earlier live codes: one live code per account."""
        from egov.core import onetimecode

        cls.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now).update(  # type: ignore[attr-defined]
            expires_at=now
        )
        code = onetimecode.new_code()
        row = cls.objects.create(  # type: ignore[attr-defined]
            user=user,
            code_hash=onetimecode.hash_code(purpose, code),
            issued_at=now,
            expires_at=now + validity,
            **fields,
        )
        return row, code


class DeskCode(OneTimeCode):
    """A one-time code handed on paper by a one-stop receiver after checking the original id
    papers of the person at the desk. Whoever enters it with the id number sets the account's
    password and contact details and the account becomes verified: the holder of the papers
    recovers their account, or takes back a number someone else registered. Only a keyed hash
    is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="desk_codes")
    issued_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="+")
    # As checked on the papers and given at the desk; they replace the account's on redemption.
    full_name = models.CharField(max_length=150)
    phone = models.CharField(max_length=20, blank=True)
    email = models.CharField(max_length=254, blank=True)

    class Meta:
        verbose_name = _("mã xác thực tại quầy")
        verbose_name_plural = _("mã xác thực tại quầy")
        indexes = [models.Index(fields=["user", "used_at"])]


class EnrolmentCode(OneTimeCode):
    """A one-time code an operator gives an official (out of band) to set up their second factor:
    the password alone does not let anyone enrol an authenticator, so a password known to someone
    else before the first login does not become a permanent takeover. Only a keyed hash is
    stored; the first operator's code is issued by the console command (issued_by empty)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="enrolment_codes")
    issued_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("mã kích hoạt xác thực hai lớp")
        verbose_name_plural = _("mã kích hoạt xác thực hai lớp")
        indexes = [models.Index(fields=["user", "used_at"])]


class ApiClient(models.Model):
    """A machine client of the REST API with a bearer token and explicit scopes."""

    name = models.CharField(_("tên ứng dụng"), max_length=120)
    agency = models.ForeignKey(
        "org.Agency",
        verbose_name=_("cơ quan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="api_clients",
        help_text=_("Để trống nếu ứng dụng dùng chung toàn tỉnh."),
    )
    scopes = models.JSONField(_("phạm vi"), default=list)
    key_prefix = models.CharField(max_length=12, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    is_active = models.BooleanField(_("đang hoạt động"), default=True)
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("hết hạn"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("dùng lần cuối"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("ứng dụng API")
        verbose_name_plural = _("ứng dụng API")

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def hash_key(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    @staticmethod
    def new_token() -> tuple[str, str, str]:
        """Return (token, prefix, hash); only the hash is stored."""
        prefix = secrets.token_hex(4)
        secret = secrets.token_urlsafe(32)
        token = f"egov_{prefix}_{secret}"
        return token, prefix, ApiClient.hash_key(token)

    def is_usable(self) -> bool:
        return self.is_active and (self.expires_at is None or self.expires_at > timezone.now())
