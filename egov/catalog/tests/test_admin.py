"""The catalogue administration: operators edit through the services (events), publish new
process versions, import and export."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from egov.catalog.io import export_json
from egov.catalog.models import Procedure, ProcessVersion
from egov.events.models import Event

from .conftest import KHAI_SINH, LLTP

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(mfa_client, operator_user):
    return mfa_client(operator_user)


def test_operator_opens_every_page(admin_client, catalog):
    birth = catalog["birth"]
    version = birth.current_process()
    for url in [
        "/quan-tri/catalog/procedure/",
        "/quan-tri/catalog/procedure/add/",
        f"/quan-tri/catalog/procedure/{birth.pk}/change/",
        f"/quan-tri/catalog/procedure/{birth.pk}/quy-trinh-moi/",
        "/quan-tri/catalog/procedure/nhap-danh-muc/",
        "/quan-tri/catalog/processversion/",
        f"/quan-tri/catalog/processversion/{version.pk}/change/",
        "/quan-tri/catalog/sector/",
        "/quan-tri/catalog/sector/add/",
    ]:
        response = admin_client.get(url)
        assert response.status_code == 200, url
    page = admin_client.get(f"/quan-tri/catalog/procedure/{birth.pk}/change/").content.decode()
    assert "Công bố quy trình mới" in page and "Tờ khai đăng ký khai sinh" in page


def test_official_without_operator_role_is_kept_out(mfa_client, make_official, agency, catalog):
    official = make_official(agency).user
    client = mfa_client(official)
    assert client.get("/quan-tri/catalog/procedure/").status_code in (302, 403)


def test_admin_search_ignores_accents(admin_client, catalog):
    page = admin_client.get("/quan-tri/catalog/procedure/", {"q": "dang ky khai sihn"})
    text = page.content.decode()
    assert KHAI_SINH in text and LLTP not in text


def test_publish_a_new_version_from_the_admin(admin_client, catalog):
    birth = catalog["birth"]
    url = f"/quan-tri/catalog/procedure/{birth.pk}/quy-trinh-moi/"
    rows = [
        ("Tiếp nhận", "receiver", "0.5"),
        ("Thẩm định", "specialist", "0.5"),
        ("Ký", "leader", "0.5"),
        ("Trả kết quả", "receiver", "0.5"),
    ]
    data = {
        "processing_time": "2",
        "time_unit": "days",
        "note": "Điều chỉnh",
        "steps-TOTAL_FORMS": "5",
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "1000",
    }
    for i, (name, role, budget) in enumerate(rows):
        data.update(
            {
                f"steps-{i}-order": str(i + 1),
                f"steps-{i}-name": name,
                f"steps-{i}-role": role,
                f"steps-{i}-budget": budget,
            }
        )
    bad = {**data, "processing_time": "3"}
    response = admin_client.post(url, bad)
    assert response.status_code == 200
    assert (
        "Tổng thời gian các bước (2 ngày làm việc) phải bằng thời hạn giải quyết"
        in response.content.decode()
    )
    assert ProcessVersion.objects.filter(procedure=birth).count() == 1

    response = admin_client.post(url, data)
    assert response.status_code == 302
    birth.refresh_from_db()
    assert birth.current_process().version == 2 and birth.processing_time == 2
    assert ProcessVersion.objects.get(procedure=birth, version=1).steps.count() == 4


def test_edit_procedure_and_components_through_the_admin(admin_client, catalog):
    birth = catalog["birth"]
    url = f"/quan-tri/catalog/procedure/{birth.pk}/change/"
    page = admin_client.get(url)
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        {
            "code": birth.code,
            "name": "Đăng ký khai sinh (đúng hạn)",
            "sector": birth.sector_id,
            "level": "commune",
            "agencies": [a.pk for a in birth.agencies.all()],
            "is_published": "on",
            "processing_time": "1.0",
            "time_unit": "days",
            "online_mode": "4",
            "for_citizens": "on",
            "legal_basis": birth.legal_basis,
            "requirements": "",
            "result_description": birth.result_description,
        }
    )
    data.pop("for_businesses", None)
    components = list(birth.components.order_by("order"))
    prefix = "components"
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": str(len(components)),
            f"{prefix}-INITIAL_FORMS": str(len(components)),
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000",
        }
    )
    for i, c in enumerate(components):
        data.update(
            {
                f"{prefix}-{i}-id": str(c.pk),
                f"{prefix}-{i}-procedure": str(birth.pk),
                f"{prefix}-{i}-order": str(c.order),
                f"{prefix}-{i}-code": c.code,
                f"{prefix}-{i}-name": c.name,
                f"{prefix}-{i}-originals": str(c.originals),
                f"{prefix}-{i}-copies": str(c.copies),
                f"{prefix}-{i}-form_schema": json.dumps(c.form_schema) if c.form_schema else "null",
            }
        )
        if c.required:
            data[f"{prefix}-{i}-required"] = "on"
    data[f"{prefix}-2-DELETE"] = "on"  # drop "Văn bản ủy quyền"
    fees = list(birth.fees.order_by("order"))
    data.update(
        {
            "fees-TOTAL_FORMS": str(len(fees)),
            "fees-INITIAL_FORMS": str(len(fees)),
            "fees-MIN_NUM_FORMS": "0",
            "fees-MAX_NUM_FORMS": "1000",
        }
    )
    for i, f in enumerate(fees):
        data.update(
            {
                f"fees-{i}-id": str(f.pk),
                f"fees-{i}-procedure": str(birth.pk),
                f"fees-{i}-order": str(f.order),
                f"fees-{i}-kind": f.kind,
                f"fees-{i}-name": f.name,
                f"fees-{i}-amount": str(f.amount),
                f"fees-{i}-rule": f.rule,
            }
        )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    birth.refresh_from_db()
    assert birth.name == "Đăng ký khai sinh (đúng hạn)"
    assert "dung han" in birth.search_text
    assert list(birth.components.values_list("code", flat=True)) == ["to-khai", "giay-chung-sinh"]
    types = set(
        Event.objects.filter(subject_type="procedure", subject_id=str(birth.pk)).values_list(
            "event_type", flat=True
        )
    )
    assert {"catalog.procedure_updated", "catalog.components_set"} <= types

    # Changing the legal time here is refused: it needs a new process version.
    data["processing_time"] = "3"
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "Công bố quy trình mới" in response.content.decode()


def test_add_procedure_as_draft(admin_client, sectors):
    data = {
        "code": "1.000656.000.00.00.H41",
        "name": "Đăng ký khai tử",
        "sector": sectors["HT"].pk,
        "level": "commune",
        "processing_time": "1",
        "time_unit": "days",
        "online_mode": "4",
        "for_citizens": "on",
        "is_published": "on",
        "components-TOTAL_FORMS": "0",
        "components-INITIAL_FORMS": "0",
        "components-MIN_NUM_FORMS": "0",
        "components-MAX_NUM_FORMS": "1000",
        "fees-TOTAL_FORMS": "0",
        "fees-INITIAL_FORMS": "0",
        "fees-MIN_NUM_FORMS": "0",
        "fees-MAX_NUM_FORMS": "1000",
    }
    response = admin_client.post("/quan-tri/catalog/procedure/add/", data)
    assert response.status_code == 200  # cannot be published without a process
    assert "đã có quy trình nội bộ" in response.content.decode()
    data.pop("is_published")
    response = admin_client.post("/quan-tri/catalog/procedure/add/", data)
    assert response.status_code == 302
    procedure = Procedure.objects.get(code="1.000656.000.00.00.H41")
    assert procedure.search_text == "1.000656.000.00.00.h41 dang ky khai tu ho tich"
    assert Event.objects.filter(
        event_type="catalog.procedure_created", subject_id=str(procedure.pk)
    ).exists()


def test_export_actions_and_import_page(admin_client, catalog):
    pks = [catalog["birth"].pk, catalog["record"].pk]
    response = admin_client.post(
        "/quan-tri/catalog/procedure/", {"action": "export_selected_json", "_selected_action": pks}
    )
    assert response["Content-Disposition"].endswith('.json"')
    document = json.loads(response.content)
    assert [p["code"] for p in document["procedures"]] == [KHAI_SINH, LLTP]
    response = admin_client.post(
        "/quan-tri/catalog/procedure/", {"action": "export_selected_xlsx", "_selected_action": pks}
    )
    book = load_workbook(io.BytesIO(response.content))
    assert book["Thủ tục"].max_row == 3

    full = admin_client.get("/quan-tri/catalog/procedure/xuat-danh-muc/json/").content
    assert json.loads(full) == json.loads(export_json())

    changed = json.loads(full)
    changed["procedures"][0]["name"] = "Tên đã đổi"
    upload = SimpleUploadedFile("danh-muc.json", json.dumps(changed).encode())
    response = admin_client.post(
        "/quan-tri/catalog/procedure/nhap-danh-muc/", {"file": upload, "dry_run": "on"}
    )
    assert response.status_code == 200 and "1 thủ tục cập nhật" in response.content.decode()
    assert not Procedure.objects.filter(name="Tên đã đổi").exists()
    upload = SimpleUploadedFile("danh-muc.json", json.dumps(changed).encode())
    response = admin_client.post("/quan-tri/catalog/procedure/nhap-danh-muc/", {"file": upload})
    assert response.status_code == 302
    assert Procedure.objects.filter(name="Tên đã đổi").exists()

    changed["procedures"][0]["level"] = "huyen"
    upload = SimpleUploadedFile("danh-muc.json", json.dumps(changed).encode())
    response = admin_client.post("/quan-tri/catalog/procedure/nhap-danh-muc/", {"file": upload})
    assert response.status_code == 200
    assert "Cấp thực hiện &#x27;huyen&#x27; không hợp lệ" in response.content.decode()
