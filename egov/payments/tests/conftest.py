"""Shared fixtures of the payments tests: the Sở Tư pháp-like agency with a one-stop desk and an
accountant, the criminal-record certificate procedure (200.000 đồng, paid before processing), a
collector (receipt series and bank account), the partner secret of the national platform, and
`submit(...)` that files a dossier online as a citizen."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from egov.catalog import services as catalog
from egov.catalog.models import OnlineMode, PaymentTiming, Procedure
from egov.core.actors import SYSTEM, Actor, actor_for_user
from egov.dossiers.models import Dossier, ResultDelivery
from egov.dossiers.services import Submission, submit_online
from egov.org.models import Role, Unit
from egov.payments.models import Collector, Payment

CRIMINAL_RECORD = "2.000488.000.00.00.H41"
FEE = 200_000
PARTNER_SECRET = "bi-mat-cua-doi-tac-thu-nghiem"  # test value only; production reads the env


@pytest.fixture(autouse=True)
def payment_settings(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PAYMENT_PARTNER_CODE = "000.00.01.H41"
    settings.PAYMENT_PARTNER_SECRET = PARTNER_SECRET
    settings.PAYMENT_PUBLIC_URL = "http://testserver"
    return settings


@pytest.fixture
def staff(agency, make_official):  # type: ignore[no-untyped-def]
    desk = Unit.objects.create(
        agency=agency, code="MC", name="Bộ phận Một cửa", kind=Unit.Kind.ONE_STOP_DESK
    )
    section = Unit.objects.create(
        agency=agency, code="LLTP", name="Phòng Lý lịch tư pháp", kind=Unit.Kind.PROFESSIONAL
    )
    return SimpleNamespace(
        receiver=make_official(agency, [Role.RECEIVER], desk, username="tiepnhan"),
        specialist=make_official(agency, [Role.SPECIALIST], section, username="chuyenvien"),
        leader=make_official(agency, [Role.LEADER], None, username="lanhdao"),
        accountant=make_official(agency, [Role.ACCOUNTANT], None, username="ketoan"),
    )


def actor(official) -> Actor:  # type: ignore[no-untyped-def]
    return actor_for_user(official.user)


@pytest.fixture
def collector(agency) -> Collector:  # type: ignore[no-untyped-def]
    return Collector.objects.create(
        agency=agency,
        name=agency.name,
        tax_code="5700100256",
        address="Phường Hồng Gai, tỉnh Quảng Ninh",
        receipt_template="01BLP0-001",
        receipt_series="TP-26E",
        bank_bin="970415",
        bank_name="Ngân hàng TMCP Công thương Việt Nam (VietinBank)",
        bank_account="113000012345",
        bank_account_name="SO TU PHAP TINH QUANG NINH",
    )


@pytest.fixture
def criminal_record(agency, staff, collector) -> Procedure:  # type: ignore[no-untyped-def]
    sector = catalog.create_sector(actor=SYSTEM, code="LLTP", name="Lý lịch tư pháp")
    procedure = catalog.create_procedure(
        actor=SYSTEM,
        code=CRIMINAL_RECORD,
        name="Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam",
        sector=sector,
        level="province",
        processing_time=10,
        online_mode=OnlineMode.FULL,
        agencies=[agency],
        is_published=True,
        components=[catalog.ComponentSpec(code="to-khai", name="Tờ khai", required=False)],
        fees=[
            catalog.FeeSpec(
                kind="fee",
                name="Phí cung cấp thông tin lý lịch tư pháp",
                amount=FEE,
                legal_source="Thông tư 244/2016/TT-BTC",
            )
        ],
        steps=[
            catalog.StepSpec("Tiếp nhận hồ sơ", Role.RECEIVER, "0.5"),
            catalog.StepSpec("Xác minh, lập Phiếu", Role.SPECIALIST, "8"),
            catalog.StepSpec("Ký Phiếu", Role.LEADER, "1"),
            catalog.StepSpec("Trả kết quả", Role.RECEIVER, "0.5"),
        ],
    )
    Procedure.objects.filter(pk=procedure.pk).update(payment_timing=PaymentTiming.BEFORE_PROCESSING)
    procedure.refresh_from_db()
    return procedure


@pytest.fixture
def submit(agency):  # type: ignore[no-untyped-def]
    """submit(citizen, procedure) -> the dossier filed online (its payment opened)."""

    def do(citizen, procedure: Procedure, **extra) -> Dossier:  # type: ignore[no-untyped-def]
        return submit_online(
            user=citizen,
            submission=Submission(
                procedure_code=procedure.code,
                agency_identifier=agency.identifier,
                form_data={},
                uploads={},
                result_delivery=ResultDelivery.ONLINE,
                **extra,
            ),
        )

    return do


def payment_of(dossier: Dossier) -> Payment:
    return Payment.objects.get(dossier=dossier)
