"""The catalogue administration as an operator uses it: a procedure with its components and
fees added in one save, uploaded form templates checked, the process editor without blank
rows and with an add-a-step button."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from egov.catalog.models import Procedure
from egov.dossiers.tests.conftest import make_pdf

pytestmark = pytest.mark.django_db
NEW_CODE = "1.999001.000.00.00.H41"


@pytest.fixture(autouse=True)
def media(tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def admin_client(mfa_client, operator_user):  # type: ignore[no-untyped-def]
    return mfa_client(operator_user)


def inline(prefix: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{k}": v for k, v in row.items()})
    return data


def procedure_post(sectors, commune_agency, **extra: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return {
        "code": NEW_CODE,
        "name": "Đăng ký giám hộ",
        "sector": str(sectors["HT"].pk),
        "level": "commune",
        "agencies": [str(commune_agency.pk)],
        "processing_time": "3",
        "time_unit": "days",
        "online_mode": "2",
        "for_citizens": "on",
        "legal_basis": "Luật Hộ tịch số 60/2014/QH13",
        "requirements": "",
        "result_description": "Trích lục đăng ký giám hộ",
        **extra,
    }


def test_a_procedure_with_components_and_fees_is_added_in_one_save(
    admin_client, sectors, commune_agency
):
    # What an operator types: names and amounts; no order, no component code, no fee type.
    data = procedure_post(sectors, commune_agency)
    data |= inline(
        "components",
        [
            {"name": "Tờ khai đăng ký giám hộ", "required": "on", "originals": "1", "copies": "0"},
            {"name": "Văn bản cử người giám hộ", "required": "on", "originals": "1", "copies": "0"},
            {"name": "Tờ khai đăng ký giám hộ", "originals": "0", "copies": "1"},
        ],
    )
    data |= inline(
        "fees",
        [
            {"name": "Lệ phí đăng ký giám hộ", "amount": "5000"},
            {
                "name": "Phí cấp bản sao Trích lục",
                "amount": "8000",
                "unit": "bản sao",
                "optional": "on",
                "legal_source": "Thông tư 281/2016/TT-BTC",
            },
        ],
    )
    response = admin_client.post("/quan-tri/catalog/procedure/add/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors or [
        f.errors for f in response.context["inline_admin_formsets"][0].formset
    ]
    procedure = Procedure.objects.get(code=NEW_CODE)
    assert list(procedure.components.values_list("order", "code")) == [
        (1, "to-khai-dang-ky-giam-ho"),
        (2, "van-ban-cu-nguoi-giam-ho"),
        (3, "to-khai-dang-ky-giam-ho-2"),
    ]
    fees = list(procedure.fees.values_list("order", "kind", "amount", "unit", "optional"))
    assert fees == [
        (1, "charge", 5000, "", False),
        (2, "fee", 8000, "bản sao", True),
    ]
    assert procedure.fees.get(order=2).legal_source == "Thông tư 281/2016/TT-BTC"


def test_the_add_page_shows_every_field_an_inline_row_needs(admin_client):
    page = admin_client.get("/quan-tri/catalog/procedure/add/").content.decode()
    for name in (
        "components-__prefix__-name",
        "components-__prefix__-order",
        "components-__prefix__-code",
        "fees-__prefix__-kind",
        "fees-__prefix__-unit",
        "fees-__prefix__-optional",
        "fees-__prefix__-legal_source",
    ):
        assert f'name="{name}"' in page, name
    assert "Để trống: tạo từ tên giấy tờ" in page
    assert ">null<" not in page  # an empty online form is an empty box


def test_a_form_template_upload_is_checked(admin_client, catalog):
    birth = catalog["birth"]
    change = f"/quan-tri/catalog/procedure/{birth.pk}/change/"
    form = admin_client.get(change).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data["sector"] = str(birth.sector_id)
    data["agencies"] = [str(a.pk) for a in birth.agencies.all()]
    data["processing_time"] = str(birth.processing_time)
    data.pop("is_published", None)
    data["is_published"] = "on"
    components = list(birth.components.order_by("order"))
    data.update(
        {
            "components-TOTAL_FORMS": str(len(components)),
            "components-INITIAL_FORMS": str(len(components)),
            "components-MIN_NUM_FORMS": "0",
            "components-MAX_NUM_FORMS": "1000",
        }
    )
    for i, c in enumerate(components):
        data |= {
            f"components-{i}-id": str(c.pk),
            f"components-{i}-procedure": str(birth.pk),
            f"components-{i}-order": str(c.order),
            f"components-{i}-code": c.code,
            f"components-{i}-name": c.name,
            f"components-{i}-originals": str(c.originals),
            f"components-{i}-copies": str(c.copies),
        }
        if c.required:
            data[f"components-{i}-required"] = "on"
        if c.form_schema:
            import json

            data[f"components-{i}-form_schema"] = json.dumps(c.form_schema)
    fees = list(birth.fees.order_by("order"))
    data |= {
        "fees-TOTAL_FORMS": str(len(fees)),
        "fees-INITIAL_FORMS": str(len(fees)),
        "fees-MIN_NUM_FORMS": "0",
        "fees-MAX_NUM_FORMS": "1000",
    }
    for i, f in enumerate(fees):
        data |= {
            f"fees-{i}-id": str(f.pk),
            f"fees-{i}-procedure": str(birth.pk),
            f"fees-{i}-order": str(f.order),
            f"fees-{i}-kind": f.kind,
            f"fees-{i}-name": f.name,
            f"fees-{i}-amount": str(f.amount),
            f"fees-{i}-rule": f.rule,
        }

    fake = dict(data)
    fake["components-0-form_template"] = SimpleUploadedFile(
        "to-khai.pdf", b"not a pdf at all", content_type="application/pdf"
    )
    refused = admin_client.post(change, fake)
    assert refused.status_code == 200
    assert "không phải PDF, DOCX" in refused.content.decode()

    data["components-0-form_template"] = SimpleUploadedFile(
        "Tờ khai khai sinh.pdf", make_pdf(1), content_type="application/pdf"
    )
    saved = admin_client.post(change, data)
    assert saved.status_code == 302
    stored = birth.components.get(code="to-khai").form_template
    assert stored.name.startswith("catalog/forms/") and stored.name.endswith(".pdf")
    assert stored.read()[:5] == b"%PDF-"


def test_process_editor_has_no_blank_rows_and_adds_a_step_on_request(admin_client, catalog):
    birth = catalog["birth"]
    url = f"/quan-tri/catalog/procedure/{birth.pk}/quy-trinh-moi/"
    page = admin_client.get(url)
    steps = birth.current_process().steps.count()
    assert page.context["formset"].total_form_count() == steps  # no empty rows
    assert "Thêm một bước" in page.content.decode()

    data = {
        "processing_time": "1",
        "time_unit": "days",
        "note": "Thêm bước",
        "action": "add_step",
        "steps-TOTAL_FORMS": "1",
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "1000",
        "steps-0-order": "1",
        "steps-0-name": "Tiếp nhận",
        "steps-0-role": "receiver",
        "steps-0-budget": "1",
    }
    more = admin_client.post(url, data)
    assert more.status_code == 200
    formset = more.context["formset"]
    assert formset.total_form_count() == 2
    assert formset.forms[0].initial["name"] == "Tiếp nhận"  # what was typed is kept
    assert formset.forms[1].initial == {"order": 2}
    assert not more.context["header"].errors  # nothing judged before publishing
    assert birth.current_process().steps.count() == steps  # nothing published


def test_a_new_procedure_starts_its_process_with_one_row(admin_client, sectors, commune_agency):
    response = admin_client.post(
        "/quan-tri/catalog/procedure/add/",
        procedure_post(sectors, commune_agency) | inline("components", []) | inline("fees", []),
    )
    assert response.status_code == 302
    procedure = Procedure.objects.get(code=NEW_CODE)
    page = admin_client.get(f"/quan-tri/catalog/procedure/{procedure.pk}/quy-trinh-moi/")
    assert page.context["formset"].total_form_count() == 1


def test_calendar_and_desk_pages_open(admin_client, one_stop_unit):
    for url in [
        "/quan-tri/workcalendar/specialday/add/",
        "/quan-tri/workcalendar/workinghours/add/",
        f"/quan-tri/org/unit/{one_stop_unit.pk}/change/",
    ]:
        response = admin_client.get(url)
        assert response.status_code == 200, url
    page = admin_client.get("/quan-tri/workcalendar/specialday/add/").content.decode()
    assert 'class="admin-autocomplete' in page  # the agency is chosen by name, not typed as an id
    desk = admin_client.get(f"/quan-tri/org/unit/{one_stop_unit.pk}/change/").content.decode()
    assert "Nơi tiếp nhận hồ sơ" in desk and 'name="saturday"' in desk
