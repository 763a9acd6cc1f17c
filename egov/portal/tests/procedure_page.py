"""A procedure page as the demo shows it: a free charge and an optional copy fee, a desk with
its address and hours (Saturday morning open), a generated form template. Shared by the page's
tests and its browser tests."""

from __future__ import annotations

from datetime import time

import pytest

from egov.catalog import services
from egov.catalog.form_templates import attach_generated_templates
from egov.catalog.models import Procedure
from egov.core.actors import SYSTEM
from egov.org import services as org
from egov.org.models import Unit

DESK_ADDRESS = "Số 2 đường Bến Đoan, phường Hạ Long, tỉnh Quảng Ninh"
HOURS = "Thứ Hai–Thứ Sáu 7:30–11:30, 13:30–17:00; Thứ Bảy 7:30–11:30"


@pytest.fixture
def shown_procedure(birth_procedure, agency) -> Procedure:  # type: ignore[no-untyped-def]
    services.set_fees(
        actor=SYSTEM,
        procedure=birth_procedure,
        fees=[
            services.FeeSpec(
                "charge",
                "Lệ phí đăng ký khai sinh",
                0,
                "Miễn lệ phí đăng ký khai sinh đúng hạn",
                legal_source="Luật Hộ tịch số 60/2014/QH13, Điều 11",
            ),
            services.FeeSpec(
                "fee",
                "Phí cấp bản sao Trích lục khai sinh",
                8000,
                unit="bản sao",
                optional=True,
                legal_source="Thông tư 281/2016/TT-BTC",
            ),
        ],
    )
    desk = Unit.objects.create(
        agency=agency,
        code="TTPVHCC",
        name="Trung tâm Phục vụ hành chính công",
        kind=Unit.Kind.ONE_STOP_DESK,
    )
    org.update_unit(
        actor=SYSTEM,
        unit=desk,
        address=DESK_ADDRESS,
        phone="02033825001",
        morning_opens=time(7, 30),
        morning_closes=time(11, 30),
        afternoon_opens=time(13, 30),
        afternoon_closes=time(17, 0),
        saturday="morning",
    )
    attach_generated_templates(actor=SYSTEM, procedures=[birth_procedure])
    return birth_procedure
