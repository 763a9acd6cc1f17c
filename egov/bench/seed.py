"""What the scenarios need, created through the services like any other data.

An administrative unit, four agencies (one receives the dossiers; all four get event chains),
a published procedure with one online form component and one PDF component, and citizens,
each with a login session and a CSRF token, so the load generator can act as a different
logged-in citizen in every request without going through the login form.

Citizens are registered with `register_citizen` under the MD5 hasher: nobody logs in with
the password (the session is created directly), and Argon2 would make seeding two thousand
citizens take minutes. Seeding is idempotent, so `--keep` can reuse the database.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import import_module

from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import transaction
from django.test import override_settings
from django.utils.crypto import get_random_string

from egov.accounts.backends import MODEL_BACKEND
from egov.accounts.middleware import SEEN_KEY
from egov.accounts.models import User
from egov.accounts.services import register_citizen
from egov.catalog import services as catalog
from egov.catalog.models import OnlineMode, Procedure, Sector
from egov.core.actors import SYSTEM
from egov.org.models import AdministrativeUnit, Agency

PROCEDURE_CODE = "9.000001.000.00.00.H41"
FORM_COMPONENT = "to-khai"
PDF_COMPONENT = "giay-chung-sinh"
AGENCY_IDENTIFIERS = ("000.00.90.H41", "000.00.91.H41", "000.00.92.H41", "000.00.93.H41")
FORM_DATA = {
    FORM_COMPONENT: {"child_name": "Nguyễn Minh An", "birth_date": "2026-11-01", "gender": "Nam"}
}
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# allauth keeps whose authentication records the session holds under this key (not exported).
AUTHENTICATION_METHODS_USER_SESSION_KEY = "account_authentication_methods_user"


@dataclass(frozen=True)
class BenchCitizen:
    user_id: int
    personal_id: str
    session_key: str
    csrf_token: str

    def cookie(self) -> str:
        return (
            f"{settings.SESSION_COOKIE_NAME}={self.session_key}; "
            f"{settings.CSRF_COOKIE_NAME}={self.csrf_token}"
        )


@dataclass
class Seeded:
    agency_ids: list[int]
    agency_identifier: str  # the agency receiving the dossiers
    procedure_code: str
    citizens: list[BenchCitizen] = field(default_factory=list)


def personal_id(n: int) -> str:
    """A valid 12-digit number: Quảng Ninh (022), male born in 1995, serial n."""
    return f"0220950{n:05d}"


def _agencies() -> list[Agency]:
    province, _ = AdministrativeUnit.objects.get_or_create(
        code="22",
        level=AdministrativeUnit.Level.PROVINCE,
        defaults={"name": "Tỉnh Quảng Ninh"},
    )
    agencies = []
    for i, identifier in enumerate(AGENCY_IDENTIFIERS):
        agency, _ = Agency.objects.get_or_create(
            identifier=identifier,
            defaults={
                "name": f"Cơ quan thử tải {i + 1}",
                "abbreviation": f"TT{i + 1}",
                "kind": Agency.Kind.DEPARTMENT,
                "admin_unit": province,
            },
        )
        agencies.append(agency)
    return agencies


def bench_sector() -> Sector:
    """The sector of the benchmarks' own procedures (found or created)."""
    return Sector.objects.filter(code="TT").first() or catalog.create_sector(
        actor=SYSTEM, code="TT", name="Thử tải"
    )


def _procedure(agency: Agency) -> Procedure:
    existing = Procedure.objects.filter(code=PROCEDURE_CODE).first()
    if existing is not None:
        return existing
    sector = bench_sector()
    return catalog.create_procedure(
        actor=SYSTEM,
        code=PROCEDURE_CODE,
        name="Đăng ký khai sinh (thử tải)",
        sector=sector,
        level="province",
        processing_time=Decimal("15"),
        online_mode=OnlineMode.FULL,
        agencies=[agency],
        is_published=True,
        components=[
            catalog.ComponentSpec(
                code=FORM_COMPONENT,
                name="Tờ khai đăng ký khai sinh",
                form_schema={
                    "fields": [
                        {
                            "name": "child_name",
                            "label": "Họ, chữ đệm, tên của trẻ",
                            "type": "text",
                            "required": True,
                            "max_length": 100,
                        },
                        {"name": "birth_date", "label": "Ngày sinh", "type": "date"},
                        {
                            "name": "gender",
                            "label": "Giới tính",
                            "type": "select",
                            "choices": ["Nam", "Nữ"],
                            "required": True,
                        },
                    ]
                },
            ),
            catalog.ComponentSpec(code=PDF_COMPONENT, name="Giấy chứng sinh"),
        ],
        fees=[catalog.FeeSpec(kind="charge", name="Lệ phí", amount=0, rule="Miễn lệ phí")],
        steps=[
            catalog.StepSpec("Tiếp nhận", "receiver", "1"),
            catalog.StepSpec("Xử lý", "specialist", "12"),
            catalog.StepSpec("Ký duyệt", "leader", "2"),
        ],
    )


def _citizens(count: int) -> list[User]:
    wanted = [personal_id(n) for n in range(1, count + 1)]
    have = {
        u.username: u for u in User.objects.filter(username__in=wanted).select_related("citizen")
    }
    users = []
    # One transaction: one commit (one WAL flush) instead of one per citizen.
    with override_settings(PASSWORD_HASHERS=FAST_HASHER), transaction.atomic():
        for n, number in enumerate(wanted, start=1):
            user = have.get(number) or register_citizen(
                personal_id=number,
                full_name=f"Công dân thử tải {n}",
                password="Mat-khau-thu-tai-2026",
                phone=f"09{n:08d}",
                email=f"congdan{n}@thutai.invalid",
            )
            users.append(user)
    return users


def login_session(user: User, *, second_factor: bool = False) -> str:
    """A session in the configured store, as a password login would leave it; with
    `second_factor`, as allauth leaves it after the TOTP step too (what officials need)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = MODEL_BACKEND
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    # A login writes the session, which marks it seen (accounts.middleware): without this, the
    # first request of every seeded session paid a session write no real session pays then.
    store[SEEN_KEY] = int(time.time())
    if second_factor:
        now = time.time()
        store[AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
        store[AUTHENTICATION_METHODS_SESSION_KEY] = [
            {"method": "password", "at": now, "username": user.username},
            {"method": "mfa", "at": now, "type": "totp"},
        ]
    store.create()
    return str(store.session_key)


def seed(*, citizens: int, secret_key: str) -> Seeded:
    """Create (or find) what the scenarios need. `secret_key` must be the web server's: the
    sessions are signed and the session auth hash is keyed with it."""
    agencies = _agencies()
    procedure = _procedure(agencies[0])
    result = Seeded(
        agency_ids=[a.pk for a in agencies],
        agency_identifier=agencies[0].identifier,
        procedure_code=procedure.code,
    )
    users = _citizens(citizens)
    with override_settings(SECRET_KEY=secret_key), transaction.atomic():
        for user in users:
            result.citizens.append(
                BenchCitizen(
                    user_id=user.pk,
                    personal_id=user.username,
                    session_key=login_session(user),
                    csrf_token=get_random_string(32),
                )
            )
    return result


def make_pdf(size: int = 50_000) -> bytes:
    """A valid one-page PDF of about `size` bytes (an uncompressed text content stream)."""
    line = b"BT /F1 9 Tf 40 800 Td (Giay chung sinh - ban sao dien tu phuc vu thu tai) Tj ET\n"
    content = line * max(1, (size - 600) // len(line))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return pdf_file(objects)


def pdf_file(objects: list[bytes], header: bytes = b"%PDF-1.4\n") -> bytes:
    """A PDF with a classic xref table; object n is objects[n - 1], the catalog is object 1."""
    out = bytearray(header)
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
