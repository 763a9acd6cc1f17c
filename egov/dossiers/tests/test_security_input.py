"""Issue #11, findings 6, 10 and 12 as attacks on online submission: hostile PDFs, malformed or
deeply nested form data, unbounded numbers and dates, and oversized requests. Each must be a
clear 400 (413 for the request size) that leaves no dossier, file or event behind."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from egov.catalog import services as catalog
from egov.catalog.models import OnlineMode
from egov.core.actors import SYSTEM
from egov.core.errors import DomainError
from egov.dossiers.formschema import validate_form
from egov.dossiers.models import Dossier, DossierFile
from egov.dossiers.services import submit_online
from egov.events.models import Event

from . import attack_pdfs
from .test_submission import stored_files, submission

pytestmark = pytest.mark.django_db
API = "/api/v1/dossiers/"


def assert_nothing_created(events_before: int) -> None:
    assert not Dossier.objects.exists() and not DossierFile.objects.exists()
    assert Event.objects.count() == events_before and not stored_files()


def api_as(user) -> APIClient:  # type: ignore[no-untyped-def]
    api = APIClient()
    api.force_authenticate(user)
    return api


def api_payload(procedure, agency, form_data: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {
        "procedure": procedure.code,
        "agency": agency.identifier,
        "form_data": form_data,
        "result_delivery": "online",
        "file__giay-chung-sinh": SimpleUploadedFile("gcs.pdf", _clean_pdf()),
    }


def _clean_pdf() -> bytes:
    from .conftest import make_pdf

    return make_pdf()


# --- finding 6 and 12: hostile PDFs ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (attack_pdfs.deep_page_tree(), "quá phức tạp"),
        (attack_pdfs.object_stream_bomb(), "quá phức tạp"),
        (attack_pdfs.active_content("open_action_js"), "JavaScript"),
        (attack_pdfs.active_content("hex_escaped_js"), "JavaScript"),
        (attack_pdfs.active_content("additional_actions"), "/AA"),
        (attack_pdfs.active_content("launch"), "/Launch"),
        (attack_pdfs.active_content("embedded_file"), "tệp nhúng"),
    ],
    ids=["deep_tree", "objstm_bomb", "js", "hex_js", "aa", "launch", "embedded"],
)
def test_hostile_pdf_is_refused_with_a_message_and_nothing_stored(
    birth_procedure, agency, make_citizen, content, message
):
    citizen = make_citizen()
    events_before = Event.objects.count()
    upload = SimpleUploadedFile("giay-chung-sinh.pdf", content, content_type="application/pdf")
    with pytest.raises(DomainError) as exc:
        submit_online(
            user=citizen,
            submission=submission(birth_procedure, agency, uploads={"giay-chung-sinh": [upload]}),
        )
    assert exc.value.code == "submission_invalid" and exc.value.http_status == 400
    assert message in " ".join(exc.value.fields["giay-chung-sinh"])
    assert_nothing_created(events_before)


def test_pdf_with_javascript_is_refused_through_the_api_and_the_portal(
    client, birth_procedure, agency, make_citizen
):
    citizen = make_citizen()
    events_before = Event.objects.count()
    hostile = attack_pdfs.active_content("open_action_js")
    response = api_as(citizen).post(
        API,
        {
            **api_payload(birth_procedure, agency, json.dumps(_valid_form())),
            "file__giay-chung-sinh": SimpleUploadedFile("gcs.pdf", hostile),
        },
        format="multipart",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "submission_invalid"
    assert "in lại tài liệu ra PDF" in " ".join(body["fields"]["giay-chung-sinh"])

    client.force_login(citizen)
    page = client.post(
        f"/thu-tuc/{birth_procedure.code}/nop-ho-so/",
        {
            "agency": agency.identifier,
            "to-khai__child_name": "Nguyễn Minh An",
            "to-khai__birth_date": "2026-11-01",
            "to-khai__gender": "Nam",
            "file__giay-chung-sinh": SimpleUploadedFile("gcs.pdf", hostile),
            "result_delivery": "online",
            "confirm": "on",
        },
    )
    assert page.status_code == 200 and "JavaScript" in page.content.decode()
    assert_nothing_created(events_before)


# --- finding 6: form data that used to raise ---------------------------------------------------


def _valid_form() -> dict[str, dict[str, str]]:
    return {"to-khai": {"child_name": "An", "birth_date": "2026-11-01", "gender": "Nam"}}


@pytest.mark.parametrize(
    "form_data",
    [
        '{"to-khai": "x"}',  # ValueError: dict("x")
        "[" * 5000 + "]" * 5000,  # RecursionError in the JSON parser
        '{"to-khai": ' + '{"a": ' * 5000 + "1" + "}" * 5001,
        '{"to-khai": {"child_name": ["An"], "birth_date": "2026-11-01", "gender": "Nam"}}',
        "1e30",
    ],
    ids=["string_component", "deep_array", "deep_object", "list_value", "number"],
)
def test_malformed_form_data_is_a_400_not_a_500(birth_procedure, agency, make_citizen, form_data):
    api = api_as(make_citizen())
    events_before = Event.objects.count()
    response = api.post(API, api_payload(birth_procedure, agency, form_data), format="multipart")
    assert response.status_code == 400, response.content[:300]
    body = response.json()
    assert body["code"] in ("invalid", "submission_invalid")
    assert body["fields"] and body["message"]
    assert_nothing_created(events_before)


def test_form_data_component_that_is_not_an_object_is_refused_by_the_service(
    birth_procedure, agency, make_citizen
):
    citizen = make_citizen()
    events_before = Event.objects.count()
    with pytest.raises(DomainError) as exc:
        submit_online(
            user=citizen,
            submission=submission(birth_procedure, agency, form_data={"to-khai": "x"}),
        )
    assert exc.value.code == "submission_invalid" and "to-khai.__all__" in exc.value.fields
    assert_nothing_created(events_before)


# --- finding 10: numbers and dates are bounded ---------------------------------------------------

COPIES = {
    "fields": [
        {"name": "copies", "label": "Số bản sao", "type": "number", "required": True},
        {"name": "bounded", "label": "Số tờ", "type": "number", "min": 1, "max": 100},
        {"name": "birth_date", "label": "Ngày sinh", "type": "date", "not_future": True},
        {"name": "event_date", "label": "Ngày sự kiện", "type": "date"},
    ]
}


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"copies": "1e30"}, "copies", "số nguyên"),
        ({"copies": "-5"}, "copies", "từ 0 đến 1000000000"),
        ({"copies": "abc"}, "copies", "số nguyên"),
        ({"copies": "9" * 30}, "copies", "số nguyên"),
        ({"copies": "1", "bounded": "0"}, "bounded", "từ 1 đến 100"),
        ({"copies": "1", "bounded": "101"}, "bounded", "từ 1 đến 100"),
        ({"copies": "1", "birth_date": "9999-12-31"}, "birth_date", "01/01/1900"),
        ({"copies": "1", "birth_date": "2099-01-01"}, "birth_date", "tương lai"),
        ({"copies": "1", "event_date": "1800-01-01"}, "event_date", "01/01/1900"),
    ],
)
def test_form_numbers_and_dates_are_bounded(values, field, message):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        validate_form(COPIES, values)
    assert message in " ".join(exc.value.message_dict[field])
    assert validate_form(COPIES, {"copies": "2", "bounded": "100"}) == {"copies": 2, "bounded": 100}


def test_schema_bounds_are_checked_by_the_catalogue():
    assert catalog.check_form_schema(COPIES) == []
    bad = {"fields": [{"name": "n", "label": "N", "type": "number", "min": 5, "max": 1}]}
    assert "'min' lớn hơn 'max'" in catalog.check_form_schema(bad)[0]
    on_text = {"fields": [{"name": "n", "label": "N", "type": "text", "min": 1}]}
    assert "chỉ dùng cho số nguyên" in catalog.check_form_schema(on_text)[0]


def test_far_future_birth_date_is_refused_through_the_api(birth_procedure, agency, make_citizen):
    api = api_as(make_citizen())
    events_before = Event.objects.count()
    form = _valid_form()
    form["to-khai"]["birth_date"] = "9999-12-31"
    response = api.post(
        API, api_payload(birth_procedure, agency, json.dumps(form)), format="multipart"
    )
    assert response.status_code == 400
    assert "01/01/1900" in " ".join(response.json()["fields"]["to-khai.birth_date"])
    assert_nothing_created(events_before)


# --- finding 10: the total size of one request --------------------------------------------------


def test_twelve_large_papers_in_one_request_are_refused_before_reading(
    birth_procedure, agency, make_citizen, client
):
    """12 × 9.5 MB declared: refused from the Content-Length, before the body is parsed."""
    citizen = make_citizen()
    events_before = Event.objects.count()
    declared = str(12 * int(9.5 * 1024 * 1024))
    api = api_as(citizen)
    response = api.post(
        API,
        api_payload(birth_procedure, agency, json.dumps(_valid_form())),
        format="multipart",
        CONTENT_LENGTH=declared,
    )
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    assert "50 MB" in response.json()["message"]

    client.force_login(citizen)
    page = client.post(
        f"/thu-tuc/{birth_procedure.code}/nop-ho-so/",
        {"agency": agency.identifier, "file__giay-chung-sinh": SimpleUploadedFile("a.pdf", b"x")},
        CONTENT_LENGTH=declared,
    )
    assert page.status_code == 413 and "vượt quá 50 MB" in page.content.decode()
    assert_nothing_created(events_before)


def test_request_over_the_limit_is_refused_for_real_bodies(
    birth_procedure, agency, make_citizen, settings
):
    settings.UPLOAD_MAX_REQUEST_BYTES = 1024 * 1024
    api = api_as(make_citizen())
    events_before = Event.objects.count()
    payload = api_payload(birth_procedure, agency, json.dumps(_valid_form()))
    payload["file__uy-quyen"] = [
        SimpleUploadedFile(f"{i}.pdf", b"%PDF-1.4\n" + b"0" * 400_000) for i in range(3)
    ]
    response = api.post(API, payload, format="multipart")
    assert response.status_code == 413 and response.json()["code"] == "request_too_large"
    assert_nothing_created(events_before)


def test_service_checks_the_sum_of_the_files_too(birth_procedure, agency, make_citizen, settings):
    """Callers that bypass the middleware (commands, other services) meet the same bound."""
    settings.UPLOAD_MAX_REQUEST_BYTES = 1024 * 1024
    citizen = make_citizen()
    events_before = Event.objects.count()
    files = [SimpleUploadedFile(f"{i}.pdf", b"%PDF-1.4\n" + b"0" * 400_000) for i in range(3)]
    with pytest.raises(DomainError) as exc:
        submit_online(
            user=citizen,
            submission=submission(birth_procedure, agency, uploads={"giay-chung-sinh": files}),
        )
    assert exc.value.code == "request_too_large" and "1 MB" in exc.value.message
    assert_nothing_created(events_before)


@pytest.fixture
def numbered_procedure(agency):  # type: ignore[no-untyped-def]
    sector = catalog.create_sector(actor=SYSTEM, code="CT", name="Chứng thực")
    return catalog.create_procedure(
        actor=SYSTEM,
        code="2.000815.000.00.00.H41",
        name="Cấp bản sao từ sổ gốc",
        sector=sector,
        level="commune",
        processing_time=1,
        online_mode=OnlineMode.FULL,
        agencies=[agency],
        is_published=True,
        components=[
            catalog.ComponentSpec(code="to-khai", name="Tờ khai", form_schema=COPIES),
        ],
        steps=[catalog.StepSpec("Xử lý", "specialist", "1")],
    )


@pytest.mark.parametrize("copies", ["1e30", "-5", "abc"])
def test_copies_out_of_bounds_is_refused_on_the_portal(
    client, numbered_procedure, agency, make_citizen, copies
):
    client.force_login(make_citizen())
    events_before = Event.objects.count()
    page = client.post(
        f"/thu-tuc/{numbered_procedure.code}/nop-ho-so/",
        {
            "agency": agency.identifier,
            "to-khai__copies": copies,
            "result_delivery": "online",
            "confirm": "on",
        },
    )
    assert page.status_code == 200 and "Phải là số nguyên" in page.content.decode()
    assert_nothing_created(events_before)
