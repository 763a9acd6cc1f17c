from __future__ import annotations

import pytest

from egov.catalog import services
from egov.core.actors import SYSTEM
from egov.dossiers.tests.conftest import birth_procedure, offline_procedure  # noqa: F401

from .identity_setup import record_procedure  # noqa: F401

# A birth registration as the starter catalogue has it: the requester's own fields filled from
# the account, and the optional copy of the extract at 8.000 đồng a copy.
REQUESTER_FIELDS = [
    {
        "name": "applicant_name",
        "label": "Họ, chữ đệm, tên người yêu cầu",
        "type": "text",
        "required": True,
        "max_length": 150,
        "prefill": "full_name",
    },
    {
        "name": "applicant_id",
        "label": "Số định danh cá nhân người yêu cầu",
        "type": "personal_id",
        "required": True,
        "prefill": "personal_id",
    },
]


@pytest.fixture
def birth_with_copy(birth_procedure):  # type: ignore[no-untyped-def]  # noqa: F811
    specs = [services.component_spec(c) for c in birth_procedure.components.all()]
    form = specs[0]
    schema = {"fields": list(form.form_schema["fields"]) + REQUESTER_FIELDS}
    specs[0] = services.ComponentSpec(
        code=form.code, name=form.name, required=form.required, form_schema=schema
    )
    services.set_components(actor=SYSTEM, procedure=birth_procedure, components=specs)
    services.set_fees(
        actor=SYSTEM,
        procedure=birth_procedure,
        fees=[
            services.FeeSpec(
                kind="charge",
                name="Lệ phí đăng ký khai sinh",
                amount=0,
                rule="Miễn lệ phí đăng ký khai sinh đúng hạn",
            ),
            services.FeeSpec(
                kind="fee",
                name="Phí cấp bản sao Trích lục khai sinh (nếu yêu cầu)",
                amount=8000,
                rule="8.000 đồng/bản (Thông tư 281/2016/TT-BTC)",
                optional=True,
                unit="bản",
            ),
        ],
    )
    return birth_procedure
