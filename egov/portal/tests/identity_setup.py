"""Fixtures for the electronic identity on the portal: a criminal-record certificate that asks
for a level-2 eID account, with a form whose applicant fields name their "prefill" source, and
accounts linked to the eID at a level (IdentityLink rows, as the identity login leaves them)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from egov.catalog import services
from egov.catalog.models import OnlineMode, Procedure
from egov.core.actors import SYSTEM
from egov.identity.models import IdentityLink

RECORD_CODE = "2.000488.000.00.00.H41"
FORM_FIELDS: list[dict[str, Any]] = [
    {"name": "full_name", "label": "Họ, chữ đệm, tên", "type": "text", "required": True,
     "max_length": 150, "prefill": "full_name"},
    {"name": "sex", "label": "Giới tính", "type": "select", "required": True,
     "choices": ["Nam", "Nữ"], "prefill": "gender"},
    {"name": "date_of_birth", "label": "Ngày, tháng, năm sinh", "type": "date",
     "required": True, "not_future": True, "prefill": "birth_date"},
    {"name": "personal_id", "label": "Số định danh cá nhân", "type": "personal_id",
     "required": True, "prefill": "personal_id"},
    {"name": "residence", "label": "Nơi cư trú", "type": "text", "required": True,
     "max_length": 255, "prefill": "address"},
    {"name": "purpose", "label": "Mục đích sử dụng phiếu", "type": "text", "required": True,
     "max_length": 255},
    {"name": "phone", "label": "Số điện thoại", "type": "phone", "required": True,
     "prefill": "phone"},
]  # fmt: skip


def claims_of(user: Any, **extra: str) -> dict[str, str]:
    return {
        "personal_id": user.username,
        "full_name": user.get_full_name(),
        "birth_date": "1985-03-14",
        "gender": "male",
        "nationality": "Việt Nam",
        "phone": user.phone,
        "address": "Số 12 phố Lê Thánh Tông, phường Hồng Gai, tỉnh Quảng Ninh",
        **extra,
    }


def link(user: Any, level: int, **claims: str) -> IdentityLink:
    return IdentityLink.objects.create(
        user=user,
        provider="vneid",
        subject=f"sub-{user.pk}",
        level=level,
        claims=claims_of(user, **claims),
    )


@pytest.fixture
def record_procedure(agency) -> Procedure:  # type: ignore[no-untyped-def]
    sector = services.create_sector(actor=SYSTEM, code="LLTP", name="Lý lịch tư pháp")
    return services.create_procedure(
        actor=SYSTEM,
        code=RECORD_CODE,
        name="Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam",
        sector=sector,
        level="province",
        processing_time=Decimal("10"),
        online_mode=OnlineMode.FULL,
        min_identity_level=2,
        agencies=[agency],
        is_published=True,
        components=[
            services.ComponentSpec(
                code="to-khai",
                name="Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp",
                form_schema={"fields": FORM_FIELDS},
            ),
            services.ComponentSpec(code="uy-quyen", name="Văn bản ủy quyền", required=False),
        ],
        steps=[
            services.StepSpec("Tiếp nhận", "receiver", "1"),
            services.StepSpec("Xử lý", "specialist", "8"),
            services.StepSpec("Ký duyệt", "leader", "1"),
        ],
    )


def form_data(user: Any, **changes: str) -> dict[str, dict[str, str]]:
    """The form as the applicant would type it (the claims' values, plus the purpose)."""
    values = {
        "full_name": user.get_full_name(),
        "sex": "Nam",
        "date_of_birth": "1985-03-14",
        "personal_id": user.username,
        "residence": "Số 12 phố Lê Thánh Tông, phường Hồng Gai, tỉnh Quảng Ninh",
        "purpose": "Bổ sung hồ sơ xin việc",
        "phone": user.phone,
        **changes,
    }
    return {"to-khai": {k: v for k, v in values.items() if v != ""}}
