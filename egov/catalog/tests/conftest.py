"""Fixtures for the catalogue tests: an operator, sectors, agencies and a small catalogue."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from egov.catalog import services
from egov.catalog.models import Level, OnlineMode, Procedure, Sector
from egov.catalog.services import ComponentSpec, FeeSpec, StepSpec
from egov.conftest import login_client
from egov.core.actors import Actor
from egov.org.models import AdministrativeUnit, Agency, Role

OPERATOR = Actor(kind="operator", label="quantri.test")

KHAI_SINH = "1.001193.000.00.00.H41"
LAI_KHAI_SINH = "1.004884.000.00.00.H41"
KET_HON = "1.000894.000.00.00.H41"
GPXD = "1.009994.000.00.00.H41"
LLTP = "2.000488.000.00.00.H41"
DRAFT = "1.001695.000.00.00.H41"

BIRTH_FORM = {
    "fields": [
        {
            "name": "child_name",
            "label": "Họ, chữ đệm, tên người được khai sinh",
            "type": "text",
            "required": True,
            "max_length": 150,
        },
        {
            "name": "date_of_birth",
            "label": "Ngày sinh",
            "type": "date",
            "required": True,
            "not_future": True,
        },
        {"name": "place_of_birth", "label": "Nơi sinh", "type": "text", "required": True},
        {"name": "father_name", "label": "Họ tên cha", "type": "text", "required": False},
        {"name": "mother_name", "label": "Họ tên mẹ", "type": "text", "required": True},
    ]
}


def commune_steps(total: str = "1") -> list[StepSpec]:
    """receiver → specialist → leader → receiver, a quarter each."""
    quarter = Decimal(total) / 4
    return [
        StepSpec("Tiếp nhận hồ sơ", "receiver", quarter, "one_stop"),
        StepSpec("Thẩm định, trình ký", "specialist", quarter),
        StepSpec("Ký kết quả", "leader", quarter, "leadership"),
        StepSpec("Trả kết quả", "receiver", quarter, "one_stop"),
    ]


def department_steps() -> list[StepSpec]:
    return [
        StepSpec("Tiếp nhận hồ sơ", "receiver", "0.5", "one_stop"),
        StepSpec("Tra cứu, xác minh", "specialist", "6.5", "professional"),
        StepSpec("Kiểm tra, trình ký", "unit_head", "1.5", "professional"),
        StepSpec("Ký phiếu", "leader", "1", "leadership"),
        StepSpec("Trả kết quả", "receiver", "0.5", "one_stop"),
    ]


@pytest.fixture
def commune_agency(province: AdministrativeUnit) -> Agency:
    ward = AdministrativeUnit.objects.create(
        code="06688",
        name="Phường Hạ Long",
        level=AdministrativeUnit.Level.COMMUNE,
        parent=province,
    )
    return Agency.objects.create(
        identifier="000.01.50.H41",
        name="Ủy ban nhân dân phường Hạ Long",
        abbreviation="UBND",
        kind=Agency.Kind.PEOPLES_COMMITTEE,
        admin_unit=ward,
    )


@pytest.fixture
def sectors(db: None) -> dict[str, Sector]:
    return {
        code: services.create_sector(actor=OPERATOR, code=code, name=name)
        for code, name in (
            ("HT", "Hộ tịch"),
            ("XD", "Hoạt động xây dựng"),
            ("LLTP", "Lý lịch tư pháp"),
        )
    }


@pytest.fixture
def catalog(
    sectors: dict[str, Sector], commune_agency: Agency, other_agency: Agency
) -> dict[str, Procedure]:
    """Five published procedures and one draft."""
    make = services.create_procedure
    birth = make(
        actor=OPERATOR,
        code=KHAI_SINH,
        name="Đăng ký khai sinh",
        sector=sectors["HT"],
        level=Level.COMMUNE,
        processing_time=1,
        online_mode=OnlineMode.FULL,
        agencies=[commune_agency],
        is_published=True,
        steps=commune_steps(),
        legal_basis="Luật Hộ tịch số 60/2014/QH13",
        result_description="Giấy khai sinh",
        components=[
            ComponentSpec("to-khai", "Tờ khai đăng ký khai sinh", form_schema=BIRTH_FORM),
            ComponentSpec("giay-chung-sinh", "Giấy chứng sinh", originals=1),
            ComponentSpec("uy-quyen", "Văn bản ủy quyền", required=False, originals=0, copies=1),
        ],
        fees=[
            FeeSpec("charge", "Lệ phí đăng ký khai sinh", 0, "Miễn lệ phí đúng hạn"),
            FeeSpec("fee", "Phí cấp bản sao Trích lục khai sinh", 8000, "8.000 đồng/bản"),
        ],
    )
    again = make(
        actor=OPERATOR,
        code=LAI_KHAI_SINH,
        name="Đăng ký lại khai sinh",
        sector=sectors["HT"],
        level=Level.COMMUNE,
        processing_time=5,
        online_mode=OnlineMode.PARTIAL,
        agencies=[commune_agency],
        is_published=True,
        steps=commune_steps("5"),
    )
    marriage = make(
        actor=OPERATOR,
        code=KET_HON,
        name="Đăng ký kết hôn",
        sector=sectors["HT"],
        level=Level.COMMUNE,
        processing_time=1,
        online_mode=OnlineMode.PARTIAL,
        agencies=[commune_agency],
        is_published=True,
        steps=commune_steps(),
    )
    permit = make(
        actor=OPERATOR,
        code=GPXD,
        name="Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ",
        sector=sectors["XD"],
        level=Level.COMMUNE,
        processing_time=15,
        online_mode=OnlineMode.FULL,
        agencies=[commune_agency],
        is_published=True,
        steps=commune_steps("15"),
    )
    record = make(
        actor=OPERATOR,
        code=LLTP,
        name="Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam, người nước ngoài đang cư trú "
        "tại Việt Nam",
        sector=sectors["LLTP"],
        level=Level.PROVINCE,
        processing_time=10,
        online_mode=OnlineMode.FULL,
        agencies=[other_agency],
        is_published=True,
        steps=department_steps(),
        fees=[FeeSpec("fee", "Phí cung cấp thông tin lý lịch tư pháp", 200000)],
    )
    draft = make(
        actor=OPERATOR,
        code=DRAFT,
        name="Đăng ký khai sinh có yếu tố nước ngoài",
        sector=sectors["HT"],
        level=Level.PROVINCE,
        processing_time=15,
        online_mode=OnlineMode.NONE,
        is_published=False,
    )
    return {
        "birth": birth,
        "again": again,
        "marriage": marriage,
        "permit": permit,
        "record": record,
        "draft": draft,
    }


@pytest.fixture(params=["python", "postgres"])
def engine(request: Any, db: None) -> str:
    """Every search test runs with the fallback engine, and on PostgreSQL also with the
    full-text + trigram engine."""
    if request.param == "postgres" and connection.vendor != "postgresql":
        pytest.skip("PostgreSQL engine: run with DATABASE_URL=postgresql://...")
    return str(request.param)


@pytest.fixture
def operator_user(agency: Agency, make_official: Any) -> Any:
    return make_official(agency, roles=[Role.OPERATOR], username="quantri.catalog").user


@pytest.fixture
def mfa_client(client: Client) -> Callable[[Any], Client]:
    """`client` logged in as `user` with a session that has passed the second factor."""
    return lambda user: login_client(user, client=client)
