"""The demo province: idempotent, realistic, usable to log in."""

from __future__ import annotations

from io import StringIO

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from vietnam_provinces import ProvinceCode, Ward

from egov.accounts.identity import normalize_tax_code, parse_personal_id
from egov.accounts.models import BusinessProfile, CitizenProfile, User
from egov.demo.data import AGENCIES, BUSINESS, CITIZENS, DEMO_PASSWORD, DEMO_TOTP_SECRET
from egov.events.models import Event
from egov.org.models import AdministrativeUnit, Agency, Official, Position, Unit

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    return {
        m.__name__: m.objects.count()
        for m in (
            AdministrativeUnit,
            Agency,
            Unit,
            Position,
            Official,
            User,
            CitizenProfile,
            BusinessProfile,
            Authenticator,
            Event,
        )
    }


def test_load_demo_twice_creates_nothing_new() -> None:
    call_command("load_demo", "--quiet", stdout=StringIO())
    first = counts()
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert counts() == first  # no duplicates, and not a single new event
    assert "tạo mới 0 cơ quan, 0 phòng ban, 0 công chức" in out.getvalue()
    assert first["Agency"] == len(AGENCIES)
    # The operator, the secretariat of the provincial committee and the Department of Justice's
    # accountant besides the agencies' staff.
    assert first["Official"] == sum(len(a.officials) for a in AGENCIES) + 3


def test_demo_agencies_collect_fees_and_the_desk_took_the_demo_fees() -> None:
    from egov.dossiers.models import Dossier, PaymentState, Status
    from egov.org.models import Role
    from egov.payments.models import Collector, Payment, PaymentStatus

    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "stp.ketoan" in out.getvalue()
    justice = Agency.objects.get(identifier="000.00.01.H41")
    collector = Collector.objects.get(agency=justice)
    assert (collector.receipt_template, collector.receipt_series, collector.bank_bin) == (
        "01BLP0-001",
        "TP-26E",
        "970415",
    )
    assert normalize_tax_code(collector.tax_code) == collector.tax_code
    assert Collector.objects.count() == 9  # six departments, three communes
    accountant = Official.objects.get(user__username="stp.ketoan")
    assert accountant.agency == justice and accountant.has_role(Role.ACCOUNTANT)
    # Criminal-record certificates (200.000 đồng before processing): one paid in cash at the
    # centre's desk and returned, one waiting for its fee (status 6).
    records = Dossier.objects.filter(procedure__code="2.000488.000.00.00.H41")
    assert sorted(records.values_list("status", "payment_state")) == [
        (Status.PAYMENT_REQUESTED, PaymentState.DUE),
        (Status.RETURNED, PaymentState.PAID),
    ]
    paid = Payment.objects.get(dossier__in=records, status=PaymentStatus.PAID)
    assert (paid.amount, paid.paid_provider) == (200_000, "cash")


def test_demo_province_is_quang_ninh_with_real_2025_communes() -> None:
    call_command("load_demo", "--quiet", stdout=StringIO())
    committee = Agency.objects.get(identifier="000.00.00.H41")
    assert committee.admin_unit is not None and committee.admin_unit.code == "22"
    wards = {f"{w.code.value:05d}": w.name for w in Ward.iter_by_province(ProvinceCode(22))}
    communes = Agency.objects.filter(kind="ubnd").exclude(pk=committee.pk)
    assert communes.count() == 3
    for agency in communes:
        assert agency.parent == committee
        assert agency.admin_unit is not None and agency.admin_unit.code in wards
        assert agency.name.endswith(wards[agency.admin_unit.code].split(" ", 1)[1])
        assert agency.units.filter(kind="one_stop").exists()
    assert Agency.objects.get(kind="ttphc").units.filter(kind="one_stop").exists()
    assert Agency.objects.filter(kind="so").count() == 6
    assert {"Chủ tịch", "Giám đốc", "Trưởng phòng", "Chuyên viên", "Văn thư"} <= set(
        Position.objects.values_list("name", flat=True)
    )
    for agency in Agency.objects.exclude(pk=committee.pk).exclude(kind="ttphc"):
        roles = {r for o in agency.officials.all() for r in o.role_codes}
        assert {"receiver", "specialist", "unit_head", "leader", "clerk"} <= roles, agency.name


def test_demo_accounts_log_in_with_password_and_totp() -> None:
    out = StringIO()
    call_command("load_demo", stdout=out)
    table = out.getvalue()
    code = pyotp.TOTP(DEMO_TOTP_SECRET).now()
    for username in ("quantri", "stp.tiepnhan", "halong.chutich"):
        assert username in table
        user = authenticate(username=username, password=DEMO_PASSWORD)
        assert user is not None and user.needs_second_factor
        totp = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP).wrap()
        assert totp.validate_code(code)
    operator = User.objects.get(username="quantri")
    assert operator.is_operator and operator.is_staff and not operator.is_superuser
    assert operator.official.has_role("operator")
    officials = User.objects.filter(kind__in=["official", "operator"])
    assert Authenticator.objects.filter(type="totp").count() == officials.count()
    assert DEMO_PASSWORD in table


def test_demo_citizens_and_business() -> None:
    call_command("load_demo", "--quiet", stdout=StringIO())
    for c in CITIZENS:
        profile = CitizenProfile.objects.get(personal_id=c.personal_id)
        assert parse_personal_id(c.personal_id).province_code == "022"
        assert authenticate(username=c.personal_id, password=DEMO_PASSWORD) == profile.user
        # Verified at a desk, so the demo's desk-received dossiers reach "Hồ sơ của tôi".
        assert profile.identity_verified_method == "desk" and profile.identity_verified_by
        assert profile.user.full_name == c.full_name
    business = BusinessProfile.objects.get()
    assert business.is_identity_verified
    assert business.tax_code == normalize_tax_code(BUSINESS.tax_code)
    assert authenticate(username=BUSINESS.tax_code, password=DEMO_PASSWORD) == business.user
    assert not Authenticator.objects.filter(user__kind__in=["citizen", "business"]).exists()


def test_demo_keeps_operator_edits() -> None:
    call_command("load_demo", "--quiet", stdout=StringIO())
    Agency.objects.filter(identifier="000.00.01.H41").update(name="Sở Tư pháp (đã sửa)")
    call_command("load_demo", "--quiet", stdout=StringIO())
    assert Agency.objects.get(identifier="000.00.01.H41").name == "Sở Tư pháp (đã sửa)"


def test_demo_totp_prints_the_current_code(settings) -> None:
    call_command("load_demo", "--quiet", stdout=StringIO())
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("demo_totp", stdout=StringIO(), stderr=StringIO())
    out = StringIO()
    call_command("demo_totp", "quantri", "--force", stdout=out, stderr=StringIO())
    totp = pyotp.TOTP(DEMO_TOTP_SECRET)
    assert totp.verify(out.getvalue().strip(), valid_window=1)

    settings.DEBUG = True
    real = User.objects.get(username="stp.vanthu")
    Authenticator.objects.filter(user=real).delete()
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(real, generate_totp_secret())
    with pytest.raises(CommandError, match="không dùng khóa minh họa"):
        call_command("demo_totp", "stp.vanthu", stdout=StringIO(), stderr=StringIO())


def test_the_centre_receives_the_departments_procedures() -> None:
    """Decree 61/2018/NĐ-CP (amended by 107/2021/NĐ-CP): the provincial centre's desk receives
    every demo department's procedure; the communes keep their own desks."""
    from egov.catalog.models import Procedure, ReceptionDesk
    from egov.onestop.queue import desk_procedures

    call_command("load_demo", "--quiet", stdout=StringIO())
    centre = Agency.objects.get(kind="ttphc")
    departmental = Procedure.objects.filter(agencies__kind="so").distinct()
    assert departmental.exists()
    assert ReceptionDesk.objects.filter(desk_agency=centre).count() == departmental.count()
    assert all("107/2021/NĐ-CP" in r.legal_basis for r in ReceptionDesk.objects.all())
    assert set(desk_procedures(centre.pk)) == set(departmental)
    justice = Agency.objects.get(identifier="000.00.01.H41")
    assert not desk_procedures(justice.pk).exists()
    commune = Agency.objects.filter(kind="ubnd", parent__isnull=False).first()
    assert desk_procedures(commune.pk).exists()
    call_command("load_demo", "--quiet", stdout=StringIO())  # nothing twice
    assert ReceptionDesk.objects.count() == departmental.count()
