"""Organisation: administrative units, agencies, their internal units, positions and officials."""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

AGENCY_ID_VALIDATOR = RegexValidator(
    r"^[0-9A-Z]{2,3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[A-Z][0-9]{2}$",
    _("Mã định danh cơ quan phải có dạng 000.00.00.H41 (QCVN 102:2016)."),
    code="invalid_agency_identifier",
)


class AdministrativeUnit(models.Model):
    """A province, district (before 1 July 2025) or commune-level unit."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("Tỉnh/Thành phố")
        DISTRICT = "district", _("Huyện/Quận/Thị xã")
        COMMUNE = "commune", _("Xã/Phường/Đặc khu")

    class Scheme(models.TextChoices):
        TWO_TIER_2025 = "2025", _("Mô hình 2 cấp (từ 01/7/2025)")
        LEGACY = "legacy", _("Mô hình 3 cấp (trước 01/7/2025)")

    code = models.CharField(_("mã"), max_length=10)
    scheme = models.CharField(
        _("mô hình"), max_length=10, choices=Scheme.choices, default=Scheme.TWO_TIER_2025
    )
    name = models.CharField(_("tên"), max_length=200)
    division_type = models.CharField(_("loại đơn vị"), max_length=60, blank=True)
    level = models.CharField(_("cấp"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("trực thuộc"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    valid_from = models.DateField(_("hiệu lực từ"), null=True, blank=True)
    valid_to = models.DateField(_("hết hiệu lực"), null=True, blank=True)

    class Meta:
        verbose_name = _("đơn vị hành chính")
        verbose_name_plural = _("đơn vị hành chính")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "code"], name="adminunit_scheme_code_uniq")
        ]
        indexes = [models.Index(fields=["scheme", "level", "parent"])]
        ordering = ["scheme", "code"]

    def __str__(self) -> str:
        return self.name


class Agency(models.Model):
    """A government body: People's Committee, department, public service centre."""

    class Kind(models.TextChoices):
        PEOPLES_COMMITTEE = "ubnd", _("Ủy ban nhân dân")
        DEPARTMENT = "so", _("Sở, ban, ngành")
        SERVICE_CENTRE = "ttphc", _("Trung tâm Phục vụ hành chính công")
        CENTRAL = "central", _("Cơ quan trung ương")
        OTHER = "other", _("Khác")

    identifier = models.CharField(
        _("mã định danh"), max_length=20, unique=True, validators=[AGENCY_ID_VALIDATOR]
    )
    name = models.CharField(_("tên cơ quan"), max_length=255)
    abbreviation = models.CharField(
        _("tên viết tắt"), max_length=20, help_text=_("Dùng trong ký hiệu văn bản, ví dụ UBND.")
    )
    kind = models.CharField(_("loại"), max_length=10, choices=Kind.choices)
    admin_unit = models.ForeignKey(
        AdministrativeUnit,
        verbose_name=_("đơn vị hành chính"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agencies",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("cơ quan cấp trên"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    address = models.CharField(_("địa chỉ"), max_length=255, blank=True)
    email = models.EmailField(_("thư điện tử"), blank=True)
    phone = models.CharField(_("điện thoại"), max_length=20, blank=True)
    website = models.URLField(_("trang web"), blank=True)
    is_active = models.BooleanField(_("đang hoạt động"), default=True)

    class Meta:
        verbose_name = _("cơ quan")
        verbose_name_plural = _("cơ quan")
        ordering = ["identifier"]

    def __str__(self) -> str:
        return self.name


class SaturdayHours(models.TextChoices):
    CLOSED = "", _("Nghỉ")
    MORNING = "morning", _("Mở cửa buổi sáng")
    FULL = "full", _("Mở cửa cả ngày")


WEEKDAY_NAMES = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")


def _clock(value: Any) -> str:
    return f"{value.hour}:{value.minute:02d}"


class Unit(models.Model):
    """A department or section inside an agency (phòng, ban, bộ phận)."""

    class Kind(models.TextChoices):
        ONE_STOP_DESK = "one_stop", _("Bộ phận Một cửa")
        PROFESSIONAL = "professional", _("Phòng chuyên môn")
        OFFICE = "office", _("Văn phòng")
        LEADERSHIP = "leadership", _("Lãnh đạo")

    agency = models.ForeignKey(
        Agency, verbose_name=_("cơ quan"), on_delete=models.PROTECT, related_name="units"
    )
    code = models.CharField(_("mã"), max_length=30)
    name = models.CharField(_("tên"), max_length=255)
    abbreviation = models.CharField(_("viết tắt"), max_length=20, blank=True)
    kind = models.CharField(_("loại"), max_length=15, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("phòng ban cấp trên"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    is_active = models.BooleanField(_("đang hoạt động"), default=True)
    # Where and when the public is received: filled for one-stop desks (Bộ phận Một cửa), shown
    # on the portal's procedure pages.
    address = models.CharField(
        _("địa chỉ tiếp nhận"),
        max_length=255,
        blank=True,
        help_text=_("Nơi người dân đến nộp hồ sơ, nhận kết quả (bộ phận Một cửa)."),
    )
    phone = models.CharField(_("điện thoại"), max_length=20, blank=True)
    morning_opens = models.TimeField(_("sáng mở cửa từ"), null=True, blank=True)
    morning_closes = models.TimeField(_("sáng đến"), null=True, blank=True)
    afternoon_opens = models.TimeField(_("chiều mở cửa từ"), null=True, blank=True)
    afternoon_closes = models.TimeField(_("chiều đến"), null=True, blank=True)
    saturday = models.CharField(
        _("Thứ Bảy"),
        max_length=10,
        choices=SaturdayHours.choices,
        default=SaturdayHours.CLOSED,
        blank=True,
        help_text=_("Giờ tiếp nhận Thứ Hai đến Thứ Sáu áp dụng cho các buổi mở cửa Thứ Bảy."),
    )

    class Meta:
        verbose_name = _("phòng ban")
        verbose_name_plural = _("phòng ban")
        constraints = [models.UniqueConstraint(fields=["agency", "code"], name="unit_agency_code")]
        ordering = ["agency", "code"]

    def __str__(self) -> str:
        return f"{self.name} — {self.agency.abbreviation}"

    def sessions(self) -> list[tuple[Any, Any]]:
        """The Monday–Friday reception sessions that are filled in, in order."""
        pairs = [
            (self.morning_opens, self.morning_closes),
            (self.afternoon_opens, self.afternoon_closes),
        ]
        return [(a, b) for a, b in pairs if a is not None and b is not None]

    def opening_hours_text(self) -> str:
        """ "Thứ Hai–Thứ Sáu 7:30–11:30, 13:30–17:00; Thứ Bảy 7:30–11:30", "" when unknown."""
        sessions = self.sessions()
        if not sessions:
            return ""
        week = ", ".join(f"{_clock(a)}–{_clock(b)}" for a, b in sessions)
        parts = [f"{WEEKDAY_NAMES[0]}–{WEEKDAY_NAMES[4]} {week}"]
        if self.saturday == SaturdayHours.FULL:
            parts = [f"{WEEKDAY_NAMES[0]}–{WEEKDAY_NAMES[5]} {week}"]
        elif self.saturday == SaturdayHours.MORNING:
            a, b = sessions[0]
            parts.append(f"{WEEKDAY_NAMES[5]} {_clock(a)}–{_clock(b)}")
        return "; ".join(parts)

    @property
    def is_desk(self) -> bool:
        return self.kind == self.Kind.ONE_STOP_DESK


class Position(models.Model):
    """A job title (chức vụ): Chủ tịch, Giám đốc, Trưởng phòng, Chuyên viên..."""

    code = models.SlugField(_("mã"), max_length=40, unique=True)
    name = models.CharField(_("tên chức vụ"), max_length=120)
    is_leader = models.BooleanField(_("là lãnh đạo"), default=False)

    class Meta:
        verbose_name = _("chức vụ")
        verbose_name_plural = _("chức vụ")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    """What an official may do; several roles per official."""

    RECEIVER = "receiver", _("Cán bộ tiếp nhận Một cửa")
    SPECIALIST = "specialist", _("Chuyên viên xử lý")
    UNIT_HEAD = "unit_head", _("Lãnh đạo phòng")
    LEADER = "leader", _("Lãnh đạo cơ quan")
    CLERK = "clerk", _("Văn thư")
    # Văn phòng: prepares meetings and written consultations (egov.meetings).
    SECRETARIAT = "secretariat", _("Văn phòng (tổ chức họp)")
    # Kế toán: reconciles fee payments, imports bank statements, pays approved refunds
    # (egov.payments).
    ACCOUNTANT = "accountant", _("Kế toán (thu phí, lệ phí)")
    OPERATOR = "operator", _("Quản trị hệ thống")


class Official(models.Model):
    """A civil servant account bound to an agency and unit."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="official"
    )
    agency = models.ForeignKey(
        Agency, verbose_name=_("cơ quan"), on_delete=models.PROTECT, related_name="officials"
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("phòng ban"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="officials",
    )
    position = models.ForeignKey(
        Position, verbose_name=_("chức vụ"), null=True, blank=True, on_delete=models.PROTECT
    )

    class Meta:
        verbose_name = _("công chức")
        verbose_name_plural = _("công chức")

    def __str__(self) -> str:
        return f"{self.user.get_full_name()} ({self.agency.abbreviation})"

    @classmethod
    def of_user(cls, user_id: int, user: Any = None) -> Official | None:
        """A user's official record with agency, unit, user, position and roles loaded, in one
        query: the roles come as a LEFT JOIN (one row per role, an official holds a few) and
        fill the prefetch cache `roles.all()` reads. Given the user object the request already
        holds, its row is not read again. Every official request of the site and the API
        starts here, so the statement is written once (core.rawload), not compiled by the ORM
        each time (issue #19)."""
        from egov.core.rawload import cache_related, fetchall

        rows = fetchall(_official_sql(load_user=user is None), [user_id])
        if not rows:
            return None
        official, loaded = _official_from_rows(rows, 0, load_user=user is None)
        if user is None:
            user = loaded
        cache_related(official, "user", user)
        return official

    @classmethod
    def session_user(cls, user_id: Any) -> Any:
        """The user behind a session with, for an official, the official record as of_user
        gives it, in one statement (accounts.backends: every signed-in request starts here);
        None for an unknown id. The record waits on the user as `_egov_official` (None for
        anyone else), where the actor and the views look first."""
        from egov.core.rawload import cache_related, fetchall

        rows = fetchall(_session_user_sql(), [user_id])
        if not rows:
            return None
        _o, _agency, _unit, _position, users, _role = _official_columns()
        user = users.instance(rows[0])
        official = None
        if rows[0][len(users)] is not None:
            official, _ = _official_from_rows(rows, len(users), load_user=False)
            cache_related(official, "user", user)
        user._egov_official = official
        return user

    @property
    def role_codes(self) -> set[str]:
        return {r.role for r in self.roles.all()}

    def has_role(self, role: str) -> bool:
        return role in self.role_codes


class OfficialRole(models.Model):
    official = models.ForeignKey(Official, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("vai trò"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("vai trò")
        verbose_name_plural = _("vai trò")
        constraints = [
            models.UniqueConstraint(fields=["official", "role"], name="official_role_uniq")
        ]

    def __str__(self) -> str:
        return self.get_role_display()


@functools.cache
def _official_columns() -> tuple[Any, ...]:
    """The columns Official.of_user reads (built once: the models do not change at run time)."""
    from django.contrib.auth import get_user_model

    from egov.core.rawload import Columns

    return (
        Columns(Official, "o"),
        Columns(Agency, "a"),
        Columns(Unit, "u"),
        Columns(Position, "p"),
        Columns(get_user_model(), "us"),
        Columns(OfficialRole, "r"),
    )


def _official_from_rows(
    rows: list[tuple[Any, ...]], offset: int, *, load_user: bool
) -> tuple[Official, Any]:
    """The official (agency, unit, position and roles cached) of rows laid out as the
    statements below write them from `offset`, and its user when the row carries it."""
    from egov.core.rawload import cache_related

    o, agency, unit, position, users, _role = _official_columns()
    first = rows[0]
    official = o.instance(first, offset)
    offset += len(o)
    for name, columns in (("agency", agency), ("unit", unit), ("position", position)):
        cache_related(official, name, columns.instance(first, offset))
        offset += len(columns)
    user = None
    if load_user:
        user = users.instance(first, offset)
        offset += len(users)
    roles = [
        OfficialRole(id=row[offset], official=official, role=row[offset + 1])
        for row in rows
        if row[offset] is not None
    ]
    for r in roles:
        r._state.adding = False
        r._state.db = official._state.db
    # As prefetch_related leaves it: `roles.all()` answers from this list.
    cached: Any = official.roles.all()
    cached._result_cache = roles
    cached._prefetch_done = True
    official._prefetched_objects_cache = {"roles": cached}
    return official, user


@functools.cache
def _official_sql(*, load_user: bool) -> str:
    o, agency, unit, position, users, role = _official_columns()
    parts = [o, agency, unit, position] + ([users] if load_user else [])
    join_user = f"JOIN {users.table} ON {users.col('id')} = {o.col('user')} " if load_user else ""
    return (
        f"SELECT {', '.join(c.sql for c in parts)}, {role.col('id')}, {role.col('role')} "  # noqa: S608
        f"FROM {o.table} JOIN {agency.table} ON {agency.col('id')} = {o.col('agency')} "
        f"LEFT JOIN {unit.table} ON {unit.col('id')} = {o.col('unit')} "
        f"LEFT JOIN {position.table} ON {position.col('id')} = {o.col('position')} "
        f"{join_user}LEFT JOIN {role.table} ON {role.col('official')} = {o.col('id')} "
        f"WHERE {o.col('user')} = %s ORDER BY {role.col('id')}"
    )


@functools.cache
def _session_user_sql() -> str:
    o, agency, unit, position, users, role = _official_columns()
    parts = [users, o, agency, unit, position]
    return (
        f"SELECT {', '.join(c.sql for c in parts)}, {role.col('id')}, {role.col('role')} "  # noqa: S608
        f"FROM {users.table} LEFT JOIN {o.table} ON {o.col('user')} = {users.col('id')} "
        f"LEFT JOIN {agency.table} ON {agency.col('id')} = {o.col('agency')} "
        f"LEFT JOIN {unit.table} ON {unit.col('id')} = {o.col('unit')} "
        f"LEFT JOIN {position.table} ON {position.col('id')} = {o.col('position')} "
        f"LEFT JOIN {role.table} ON {role.col('official')} = {o.col('id')} "
        f"WHERE {users.col('id')} = %s ORDER BY {role.col('id')}"
    )
