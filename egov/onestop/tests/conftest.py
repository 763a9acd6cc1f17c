"""A small agency with a one-stop desk, a professional unit, and the four roles of a dossier's
journey; a procedure whose standard process has five steps (4 working days)."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from egov.catalog import services as catalog
from egov.catalog.models import OnlineMode, Procedure
from egov.core.actors import SYSTEM, Actor, actor_for_user
from egov.org.models import Agency, Role, Unit

STEPS = [
    ("Tiếp nhận hồ sơ", Role.RECEIVER, "0.5", ""),
    ("Thẩm định hồ sơ", Role.SPECIALIST, "2", ""),
    ("Lãnh đạo phòng xem xét", Role.UNIT_HEAD, "0.5", ""),
    ("Lãnh đạo cơ quan phê duyệt", Role.LEADER, "0.5", ""),
    ("Trả kết quả", Role.RECEIVER, "0.5", ""),
]


@pytest.fixture
def staff(agency, make_official):  # type: ignore[no-untyped-def]
    desk = Unit.objects.create(
        agency=agency, code="MC", name="Bộ phận Một cửa", kind=Unit.Kind.ONE_STOP_DESK
    )
    section = Unit.objects.create(
        agency=agency, code="HT", name="Phòng Hộ tịch", kind=Unit.Kind.PROFESSIONAL
    )
    people = SimpleNamespace(
        receiver=make_official(agency, [Role.RECEIVER], desk, username="tiepnhan"),
        specialist=make_official(agency, [Role.SPECIALIST], section, username="chuyenvien"),
        specialist2=make_official(agency, [Role.SPECIALIST], section, username="chuyenvien2"),
        head=make_official(agency, [Role.UNIT_HEAD], section, username="truongphong"),
        leader=make_official(agency, [Role.LEADER], None, username="lanhdao"),
    )
    return people


def act(official) -> Actor:  # type: ignore[no-untyped-def]
    return actor_for_user(official.user)


def make_procedure(
    agency: Agency,
    steps=STEPS,
    code: str = "1.000001.000.00.00.H41",  # type: ignore[no-untyped-def]
    online: int = OnlineMode.FULL,
) -> Procedure:
    sector = catalog.create_sector(actor=SYSTEM, code=f"S{code[2:8]}", name="Hộ tịch")
    total = sum(Decimal(s[2]) for s in steps)
    return catalog.create_procedure(
        actor=SYSTEM,
        code=code,
        name="Cấp giấy xác nhận tình trạng hôn nhân",
        sector=sector,
        level="commune",
        processing_time=total,
        online_mode=online,
        agencies=[agency],
        is_published=True,
        components=[catalog.ComponentSpec(code="to-khai", name="Tờ khai", required=True)],
        steps=[catalog.StepSpec(n, r, b, agency_identifier=a) for n, r, b, a in steps],
    )


@pytest.fixture
def procedure(agency, staff) -> Procedure:  # type: ignore[no-untyped-def]
    return make_procedure(agency)


@pytest.fixture(autouse=True)
def media(tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
