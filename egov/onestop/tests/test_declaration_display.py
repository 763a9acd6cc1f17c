"""The online declaration on the desk's dossier page reads as the applicant saw it: a date as
dd/mm/yyyy (it is stored ISO), a checkbox as Có/Không, never 1985-03-12 or True."""

from __future__ import annotations

import pytest

from egov.catalog import services as catalog
from egov.conftest import login_client
from egov.core.actors import SYSTEM
from egov.dossiers.services import Submission, submit_online

from .conftest import make_procedure

pytestmark = pytest.mark.django_db

SCHEMA = {
    "fields": [
        {"name": "full_name", "label": "Họ, chữ đệm, tên", "type": "text", "required": True},
        {"name": "birth_date", "label": "Ngày, tháng, năm sinh", "type": "date", "required": True},
        {"name": "agree", "label": "Đồng ý nhận tin nhắn", "type": "checkbox"},
    ]
}


def test_the_desk_reads_dates_and_checkboxes_as_the_applicant_wrote_them(
    agency, staff, make_citizen
):
    procedure = make_procedure(agency)
    catalog.set_components(
        actor=SYSTEM,
        procedure=procedure,
        components=[
            catalog.ComponentSpec(code="to-khai", name="Tờ khai", required=True, form_schema=SCHEMA)
        ],
    )
    dossier = submit_online(
        user=make_citizen(),
        submission=Submission(
            procedure_code=procedure.code,
            agency_identifier=procedure.agencies.get().identifier,
            form_data={
                "to-khai": {"full_name": "Nguyễn Văn An", "birth_date": "1985-03-12", "agree": True}
            },
            uploads={},
            result_delivery="online",
        ),
    )
    page = login_client(staff.receiver.user).get(f"/mot-cua/ho-so/{dossier.code}/")
    html = page.content.decode()
    assert "<dt>Ngày, tháng, năm sinh</dt><dd>12/03/1985</dd>" in html
    assert "<dt>Đồng ý nhận tin nhắn</dt><dd>Có</dd>" in html
    assert "1985-03-12" not in html and "True" not in html
