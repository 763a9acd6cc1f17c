"""The portal as a citizen uses it (find, submit, track, receipt) and what others can't see."""

from __future__ import annotations

import io
import re

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from egov.dossiers.models import Dossier, Status
from egov.dossiers.tests.conftest import pdf_upload


def json_round_trip(data: object) -> object:
    import json

    from rest_framework.utils.encoders import JSONEncoder

    return json.loads(json.dumps(data, cls=JSONEncoder))


pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()


def form_post(agency, **extra):  # type: ignore[no-untyped-def]
    data = {
        "agency": agency.identifier,
        "to-khai__child_name": "Nguyễn Minh An",
        "to-khai__birth_date": "2026-11-01",
        "to-khai__gender": "Nam",
        "file__giay-chung-sinh": pdf_upload(),
        "result_delivery": "online",
        "idempotency_key": "k-1",
        "action": "continue",
    }
    data.update(extra)
    return data


def submit_via_portal(client, procedure, agency, **extra):  # type: ignore[no-untyped-def]
    """The form, then "Kiểm tra lại thông tin" and the declaration: the dossier is sent."""
    url = f"/thu-tuc/{procedure.code}/nop-ho-so/"
    response = client.post(url, form_post(agency, **extra))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == url + "kiem-tra/"
    return client.post(url + "kiem-tra/", {"confirm": "on"})


def test_search_without_accents_finds_the_procedure(client, birth_procedure):
    page = client.get("/thu-tuc/", {"q": "dang ky khai sinh"}).content.decode()
    assert "Đăng ký khai sinh" in page


def test_procedure_page_shows_due_date_components_and_fees(client, birth_procedure):
    page = client.get(f"/thu-tuc/{birth_procedure.code}/").content.decode()
    assert "Nếu nộp ngay bây giờ, ngày hẹn trả" in page
    assert "Giấy chứng sinh" in page and "Miễn lệ phí" in page
    assert re.search(r"\d{2}/\d{2}/20\d\d", page)


def test_citizen_submits_and_sees_dossier_with_receipt(
    client, birth_procedure, agency, make_citizen
):
    citizen = make_citizen()
    client.force_login(citizen)
    url = f"/thu-tuc/{birth_procedure.code}/nop-ho-so/"
    response = client.post(url, form_post(agency))
    assert response.status_code == 302 and not Dossier.objects.exists()
    check = client.get(url + "kiem-tra/").content.decode()
    assert "Kiểm tra lại thông tin" in check and "Nguyễn Minh An" in check
    assert "01/11/2026" in check and "giay-chung-sinh.pdf" in check
    # Without the declaration nothing is sent.
    refused = client.post(url + "kiem-tra/", {}).content.decode()
    assert "Có lỗi cần sửa" in refused and 'href="#id_confirm"' in refused
    assert not Dossier.objects.exists()
    response = client.post(url + "kiem-tra/", {"confirm": "on"})
    dossier = Dossier.objects.get()
    assert response["Location"] == f"{url}da-nop/{dossier.code}/"
    done = client.get(response["Location"]).content.decode()
    assert "Đã gửi hồ sơ" in done and dossier.code in done and "Ngày hẹn trả dự kiến" in done
    page = client.get(f"/ho-so-cua-toi/{dossier.code}/").content.decode()
    assert dossier.code in page and "Nộp hồ sơ trực tuyến" in page
    assert dossier.code in client.get("/ho-so-cua-toi/").content.decode()
    receipt = client.get(f"/ho-so-cua-toi/{dossier.code}/giay-tiep-nhan.pdf")
    assert receipt["Content-Type"] == "application/pdf"
    text = pdf_text(receipt.content)
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text.upper()
    assert dossier.code in text and "Nguyễn Văn" in text and "Giấy chứng sinh" in text
    # A retried POST (double click) makes no second dossier; the draft is gone.
    again = client.post(url + "kiem-tra/", {"confirm": "on"})
    assert again.status_code == 302 and again["Location"] == url
    assert Dossier.objects.count() == 1


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_bad_upload_shows_message_and_keeps_nothing(client, birth_procedure, agency, make_citizen):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(make_citizen())
    exe = SimpleUploadedFile("giay.pdf", b"MZ\x90\x00" + b"\x00" * 100)
    response = client.post(
        f"/thu-tuc/{birth_procedure.code}/nop-ho-so/",
        form_post(agency, **{"file__giay-chung-sinh": exe}),
    )
    assert response.status_code == 200
    assert "không phải PDF" in response.content.decode()
    assert not Dossier.objects.exists()


def test_draft_is_kept_and_restored(client, birth_procedure, agency, make_citizen):
    client.force_login(make_citizen())
    data = form_post(agency, action="draft")
    del data["file__giay-chung-sinh"]
    client.post(f"/thu-tuc/{birth_procedure.code}/nop-ho-so/", data)
    page = client.get(f"/thu-tuc/{birth_procedure.code}/nop-ho-so/").content.decode()
    assert "Bạn đang tiếp tục bản nháp" in page and "Nguyễn Minh An" in page
    assert not Dossier.objects.exists()


def test_not_online_procedure_cannot_be_submitted(client, offline_procedure, make_citizen):
    client.force_login(make_citizen())
    response = client.get(f"/thu-tuc/{offline_procedure.code}/nop-ho-so/", follow=True)
    assert "chưa cung cấp dịch vụ công trực tuyến" in response.content.decode()


@pytest.fixture
def submitted(client, birth_procedure, agency, make_citizen):  # type: ignore[no-untyped-def]
    owner = make_citizen()
    client.force_login(owner)
    submit_via_portal(client, birth_procedure, agency)
    client.logout()
    return owner, Dossier.objects.get()


def test_other_citizen_never_sees_the_dossier(client, submitted, make_citizen):
    _owner, dossier = submitted
    intruder = make_citizen()
    client.force_login(intruder)
    for url in (
        f"/ho-so-cua-toi/{dossier.code}/",
        f"/ho-so-cua-toi/{dossier.code}/giay-tiep-nhan.pdf",
    ):
        assert client.get(url).status_code == 404
    assert dossier.code not in client.get("/ho-so-cua-toi/").content.decode()
    assert client.post(f"/ho-so-cua-toi/{dossier.code}/danh-gia/", {"level": 1}).status_code == 404
    api = APIClient()
    api.force_authenticate(intruder)
    assert api.get(f"/api/v1/dossiers/{dossier.code}/").status_code == 404
    assert api.get(f"/api/v1/dossiers/{dossier.code}/receipt.pdf").status_code == 404
    assert api.get("/api/v1/dossiers/").json() == []
    lookup = client.post("/tra-cuu/", {"code": dossier.code, "second_factor": intruder.username})
    assert dossier.applicant_name not in lookup.content.decode()


def test_official_of_another_agency_cannot_see_it(client, submitted, other_agency, make_official):
    _owner, dossier = submitted
    official = make_official(other_agency)
    api = APIClient()
    api.force_authenticate(official.user)
    assert api.get(f"/api/v1/dossiers/{dossier.code}/").status_code == 404


def test_public_lookup_by_code_and_id_number_shows_timeline(client, submitted):
    owner, dossier = submitted
    page = client.post("/tra-cuu/", {"code": dossier.code, "second_factor": owner.username})
    body = page.content.decode()
    assert "Kết quả tra cứu" in body and "Nộp hồ sơ trực tuyến" in body
    assert dossier.get_status_display() in body


def test_the_applicant_sees_the_date_an_apology_promised(client, submitted):
    """Form 04 promises a new date (#13): the citizen's pages and the tracking API show it as the
    date to expect, the legal appointment beside it."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    owner, dossier = submitted
    promised = datetime(2026, 12, 18, 17, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    Dossier.objects.filter(pk=dossier.pk).update(promised_at=promised)
    page = client.post("/tra-cuu/", {"code": dossier.code, "second_factor": owner.username})
    body = page.content.decode()
    assert "18/12/2026" in body and "hẹn lại theo phiếu xin lỗi" in body
    client.force_login(owner)
    assert "18/12/2026" in client.get("/ho-so-cua-toi/").content.decode()
    assert "18/12/2026" in client.get(f"/ho-so-cua-toi/{dossier.code}/").content.decode()
    client.logout()
    tracked = APIClient().post(
        "/api/v1/tracking/", {"code": dossier.code, "second_factor": owner.username}
    )
    assert datetime.fromisoformat(tracked.json()["promised_at"]) == promised


def test_public_lookup_is_rate_limited(client, submitted):
    _owner, dossier = submitted
    codes = [
        client.post(
            "/tra-cuu/", {"code": dossier.code, "second_factor": "022000000000"}
        ).status_code
        for _ in range(12)
    ]
    assert codes[:10] == [200] * 10 and codes[-1] == 429


def test_rating_once_after_result(client, submitted):
    owner, dossier = submitted
    client.force_login(owner)
    client.post(f"/ho-so-cua-toi/{dossier.code}/danh-gia/", {"level": 5})
    assert not hasattr(Dossier.objects.get(pk=dossier.pk), "rating")  # not done yet
    Dossier.objects.filter(pk=dossier.pk).update(status=Status.RETURNED)
    client.post(f"/ho-so-cua-toi/{dossier.code}/danh-gia/", {"level": 4, "comment": "Nhanh"})
    response = client.post(f"/ho-so-cua-toi/{dossier.code}/danh-gia/", {"level": 1}, follow=True)
    assert "đã được đánh giá" in response.content.decode()
    assert Dossier.objects.get(pk=dossier.pk).rating.level == 4


def test_supplement_upload_restarts_processing(client, submitted):
    owner, dossier = submitted
    Dossier.objects.filter(pk=dossier.pk).update(
        status=Status.SUPPLEMENT_REQUESTED, received_at=dossier.submitted_at
    )
    client.force_login(owner)
    response = client.post(
        f"/ho-so-cua-toi/{dossier.code}/bo-sung/",
        {"documents": pdf_upload("bo-sung.pdf"), "note": "Bản sao CCCD"},
        follow=True,
    )
    assert "Đã gửi giấy tờ bổ sung" in response.content.decode()
    dossier.refresh_from_db()
    assert dossier.status == Status.PROCESSING
    assert dossier.files.filter(kind="supplement").count() == 1


# Measured when pinned (issue #19): see test_submission_round_trips_are_pinned.
SUBMISSION_QUERIES = {"sqlite": 43, "postgresql": 43}


class TestApi:
    def test_submit_by_api_with_idempotency_key(self, birth_procedure, agency, make_citizen):
        api = APIClient()
        api.force_authenticate(make_citizen())
        payload = {
            "procedure": birth_procedure.code,
            "agency": agency.identifier,
            "form_data": '{"to-khai": {"child_name": "An", "birth_date": "2026-11-01", '
            '"gender": "Nữ"}}',
            "result_delivery": "online",
        }
        first = api.post(
            "/api/v1/dossiers/",
            {**payload, "file__giay-chung-sinh": pdf_upload()},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY="retry-1",
        )
        assert first.status_code == 201, first.json()
        again = api.post(
            "/api/v1/dossiers/",
            {**payload, "file__giay-chung-sinh": pdf_upload()},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY="retry-1",
        )
        assert again.json()["code"] == first.json()["code"] and Dossier.objects.count() == 1
        detail = api.get(f"/api/v1/dossiers/{first.json()['code']}/").json()
        assert detail["timeline"][0]["title"] == "Nộp hồ sơ trực tuyến"
        assert api.get(first.json()["receipt_url"]).content.startswith(b"%PDF")

    def test_submission_round_trips_are_pinned(self, birth_procedure, agency, make_citizen):
        """An online submission through the API from a citizen's session, warm: its queries
        counted so that a change that adds round trips shows here (raise the bound only with a
        reason written beside it)."""
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        from egov.conftest import login_client

        payload = {
            "procedure": birth_procedure.code,
            "agency": agency.identifier,
            "form_data": '{"to-khai": {"child_name": "An", "birth_date": "2026-11-01", '
            '"gender": "Nữ"}}',
            "result_delivery": "online",
        }
        browser = login_client(make_citizen(), with_mfa=False, client=Client())
        warm = browser.post("/api/v1/dossiers/", {**payload, "file__giay-chung-sinh": pdf_upload()})
        assert warm.status_code == 201, warm.content[:300]
        with CaptureQueriesContext(connection) as queries:
            made = browser.post(
                "/api/v1/dossiers/", {**payload, "file__giay-chung-sinh": pdf_upload()}
            )
        assert made.status_code == 201
        assert len(queries) <= SUBMISSION_QUERIES[connection.vendor], "\n".join(
            q["sql"][:100] for q in queries
        )

    def test_api_errors_are_structured(self, birth_procedure, agency, make_citizen):
        api = APIClient()
        api.force_authenticate(make_citizen())
        response = api.post(
            "/api/v1/dossiers/",
            {
                "procedure": birth_procedure.code,
                "agency": agency.identifier,
                "result_delivery": "online",
                "form_data": "{}",
            },
            format="multipart",
        )
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "submission_invalid" and "giay-chung-sinh" in body["fields"]
        unknown = api.post(
            "/api/v1/dossiers/",
            {"procedure": "1.000000.H99", "agency": "x", "result_delivery": "online"},
            format="multipart",
        )
        assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_procedure"

    def test_public_tracking_api(self, submitted):
        owner, dossier = submitted
        api = APIClient()
        ok = api.post("/api/v1/tracking/", {"code": dossier.code, "second_factor": owner.username})
        assert ok.status_code == 200 and ok.json()["code"] == dossier.code
        bad = api.post("/api/v1/tracking/", {"code": dossier.code, "second_factor": "0912000000"})
        assert bad.status_code == 404 and bad.json()["code"] == "not_found"

    def test_public_tracking_api_is_the_serializer_body_in_one_query(self, submitted):
        """The lookup's lean body (dossiers.lookup.tracking_body) is exactly what
        DossierDetailSerializer writes for an applicant, in one query (the dossier with its
        procedure and agency, joined to its events): nothing is loaded late. A JSON request is
        answered before DRF (TrackingView.dispatch), a form through DRF: the same bytes of JSON,
        the same headers."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from egov.dossiers.api import DossierDetailSerializer

        owner, dossier = submitted
        api = APIClient()
        body = {"code": dossier.code, "second_factor": owner.username}
        api.post("/api/v1/tracking/", body, format="json")  # warm: URL resolver, translations
        with CaptureQueriesContext(connection) as queries:
            ok = api.post("/api/v1/tracking/", body, format="json")
        assert ok.status_code == 200
        assert len(queries) == 1, [q["sql"][:120] for q in queries]
        full = Dossier.objects.select_related("procedure", "agency").get(pk=dossier.pk)
        expected = DossierDetailSerializer(full).data
        assert ok.json() == json_round_trip(expected)
        assert ok.json()["timeline"], "the submission's event shows"
        form = api.post("/api/v1/tracking/", body)  # multipart: DRF's own path
        assert form.status_code == 200 and form.content == ok.content
        for name in ("Content-Type", "Vary", "Allow"):
            assert form[name] == ok[name], name
        wrong = {"code": dossier.code, "second_factor": "000000000000"}
        fast_404 = api.post("/api/v1/tracking/", wrong, format="json")
        drf_404 = api.post("/api/v1/tracking/", wrong)
        assert fast_404.status_code == drf_404.status_code == 404
        assert fast_404.content == drf_404.content
