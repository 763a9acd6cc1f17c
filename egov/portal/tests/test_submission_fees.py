"""Optional fees are charged only when asked for, everywhere the total shows (portal, API, the
desk's reception, the receipt), and the submission form's patterns (prefill, every error at once,
drafts with their papers)."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from egov.catalog import services as catalog
from egov.core.actors import SYSTEM
from egov.core.errors import DomainError
from egov.dossiers import fees as fee_rules
from egov.dossiers.models import Dossier, Draft
from egov.dossiers.tests.conftest import pdf_upload

from .test_portal import form_post as birth_post
from .test_portal import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()


def form_post(agency, **extra):  # type: ignore[no-untyped-def]
    """The birth registration form with the requester's own fields (birth_with_copy)."""
    requester = {
        "to-khai__applicant_name": "Nguyễn Văn Một",
        "to-khai__applicant_id": "022195009999",
    }
    return birth_post(agency, **{**requester, **extra})


def copy_fee(procedure):  # type: ignore[no-untyped-def]
    return procedure.fees.get(optional=True)


def test_optional_fee_counts_only_when_asked_for(birth_with_copy):
    fees = list(birth_with_copy.fees.all())
    copy = copy_fee(birth_with_copy)
    assert fee_rules.total(fee_rules.fee_lines(fees)) == 0
    assert fee_rules.total(fee_rules.fee_lines(fees, {str(copy.pk): 0})) == 0
    lines = fee_rules.fee_lines(fees, {str(copy.pk): 3})
    assert fee_rules.total(lines) == 24000
    assert [(line.name, line.quantity) for line in lines][-1] == (copy.name, 3)
    for bad in ({str(copy.pk): 51}, {str(copy.pk): -1}, {str(copy.pk): "abc"}, {"999999": 1}):
        with pytest.raises(DomainError) as exc:
            fee_rules.fee_lines(fees, bad)
        assert all(k.startswith("fees.") for k in exc.value.fields)


def test_portal_dossier_is_free_unless_the_copy_is_asked_for(
    client, birth_with_copy, agency, make_citizen
):
    client.force_login(make_citizen())
    url = f"/thu-tuc/{birth_with_copy.code}/nop-ho-so/"
    copy = copy_fee(birth_with_copy)
    page = client.get(url).content.decode()
    assert "Phí cấp bản sao Trích lục khai sinh (nếu yêu cầu) — 8.000 đồng/bản" in page
    assert client.post(url, form_post(agency)).status_code == 302
    check = client.get(url + "kiem-tra/").content.decode()
    assert "Tổng phí, lệ phí" in check and "<strong>0 đồng</strong>" in check
    # Changed: two copies.
    extra = {f"fee__{copy.pk}": "on", f"fee_qty__{copy.pk}": "2", "idempotency_key": "k-2"}
    assert client.post(url, form_post(agency, **extra)).status_code == 302
    check = client.get(url + "kiem-tra/").content.decode()
    assert "2 bản × 8.000 đồng = 16.000 đồng" in check and "<strong>16.000 đồng</strong>" in check
    client.post(url + "kiem-tra/", {"confirm": "on"})
    dossier = Dossier.objects.get()
    assert dossier.fee_total == 16000
    assert [line["quantity"] for line in dossier.fee_lines] == [1, 2]
    text = pdf_text(client.get(f"/ho-so-cua-toi/{dossier.code}/giay-tiep-nhan.pdf").content)
    assert "16.000 đồng" in text and "2 bản × 8.000 đồng" in text
    lookup = client.get(f"/ho-so-cua-toi/{dossier.code}/").content.decode()
    assert "16.000 đồng" in lookup


def test_api_submission_takes_the_fee_choice(birth_with_copy, agency, make_citizen):
    citizen = make_citizen()
    api = APIClient()
    api.force_authenticate(citizen)
    copy = copy_fee(birth_with_copy)
    payload = {
        "procedure": birth_with_copy.code,
        "agency": agency.identifier,
        "form_data": json.dumps(
            {
                "to-khai": {
                    "child_name": "An",
                    "birth_date": "2026-11-01",
                    "gender": "Nam",
                    "applicant_name": "Nguyễn Văn Một",
                    "applicant_id": "022195009999",
                }
            }
        ),
        "file__giay-chung-sinh": pdf_upload(),
        "result_delivery": "online",
    }
    free = api.post("/api/v1/dossiers/", payload, format="multipart")
    assert free.status_code == 201 and free.json()["fee_total"] == 0
    bad = api.post(
        "/api/v1/dossiers/",
        {**payload, "file__giay-chung-sinh": pdf_upload(), "fees": json.dumps({str(copy.pk): 99})},
        format="multipart",
    )
    assert bad.status_code == 400 and f"fees.{copy.pk}" in bad.json()["fields"]
    paid = api.post(
        "/api/v1/dossiers/",
        {**payload, "file__giay-chung-sinh": pdf_upload(), "fees": json.dumps({str(copy.pk): 1})},
        format="multipart",
    )
    assert paid.status_code == 201 and paid.json()["fee_total"] == 8000
    tracked = APIClient().post(
        "/api/v1/tracking/", {"code": paid.json()["code"], "second_factor": citizen.username}
    )
    assert tracked.json()["fee_total"] == 8000
    listed = APIClient().get(f"/api/v1/procedures/{birth_with_copy.code}/")
    if listed.status_code == 200:
        fee = next(f for f in listed.json()["fees"] if f["optional"])
        assert fee["id"] == copy.pk and fee["unit"] == "bản"


def test_desk_reception_counts_what_the_applicant_asked_for(
    client, birth_with_copy, agency, make_official, login_with_mfa
):
    from egov.org.models import Role

    receiver = make_official(agency, [Role.RECEIVER])
    login_with_mfa(receiver.user)
    copy = copy_fee(birth_with_copy)
    url = "/mot-cua/tiep-nhan/"
    page = client.get(url, {"thu_tuc": birth_with_copy.code}).content.decode()
    assert "Phí cấp bản sao Trích lục khai sinh (nếu yêu cầu) — 8.000 đồng/bản" in page
    data = {
        "procedure": birth_with_copy.code,
        "applicant_kind": "citizen",
        "applicant_name": "Trần Thị Bình",
        "applicant_id_number": "022195007777",
        "file__giay-chung-sinh": pdf_upload(),
        "channel": "1",
        "result_delivery": "desk",
    }
    response = client.post(url, {**data, f"fee__{copy.pk}": "on", f"fee_qty__{copy.pk}": "3"})
    assert response.status_code == 302, response.content.decode()[:2000]
    dossier = Dossier.objects.get()
    assert dossier.fee_total == 24000
    response = client.post(url, {**data, "file__giay-chung-sinh": pdf_upload()})
    assert Dossier.objects.exclude(pk=dossier.pk).get().fee_total == 0


def test_a_dossier_from_before_keeps_its_stored_total(
    client, birth_with_copy, agency, make_citizen
):
    """Existing dossiers are not rewritten: their receipt shows the catalogue's fees as their
    stored total counted them."""
    from .test_portal import submit_via_portal

    owner = make_citizen()
    client.force_login(owner)
    submit_via_portal(
        client,
        birth_with_copy,
        agency,
        **{"to-khai__applicant_name": "Nguyễn Văn Một", "to-khai__applicant_id": "022195009999"},
    )
    Dossier.objects.update(fee_lines=[], fee_total=8000)  # as stored before optional fees
    dossier = Dossier.objects.get()
    text = pdf_text(client.get(f"/ho-so-cua-toi/{dossier.code}/giay-tiep-nhan.pdf").content)
    assert "8.000 đồng" in text


def test_prefill_is_editable_for_an_unverified_account_and_locked_once_verified(
    client, birth_with_copy, make_citizen
):
    from egov.accounts.services import verify_identity_by_eid

    citizen = make_citizen(personal_id="022195004321")
    client.force_login(citizen)
    url = f"/thu-tuc/{birth_with_copy.code}/nop-ho-so/"
    page = client.get(url).content.decode()
    assert f'value="{citizen.full_name}"' in page and "sửa nếu cần" in page
    assert "readonly" not in page
    verify_identity_by_eid(user=citizen, id_number="022195004321")
    page = client.get(url).content.decode()
    assert "Theo tài khoản đã xác thực danh tính của bạn." in page and "readonly" in page


def test_locked_answers_cannot_be_changed_by_posting(client, birth_with_copy, agency, make_citizen):
    from egov.accounts.services import verify_identity_by_eid

    citizen = make_citizen(personal_id="022195004321")
    verify_identity_by_eid(user=citizen, id_number="022195004321")
    client.force_login(citizen)
    url = f"/thu-tuc/{birth_with_copy.code}/nop-ho-so/"
    forged = form_post(agency, **{"to-khai__applicant_name": "Người Khác"})
    assert client.post(url, forged).status_code == 302
    client.post(url + "kiem-tra/", {"confirm": "on"})
    assert Dossier.objects.get().form_data["to-khai"]["applicant_name"] == citizen.full_name


def test_blank_submit_reports_every_error_at_once(client, birth_with_copy, make_citizen):
    client.force_login(make_citizen())
    url = f"/thu-tuc/{birth_with_copy.code}/nop-ho-so/"
    page = client.post(url, {"action": "continue", "result_delivery": "online"}).content.decode()
    assert 'role="alert"' in page and "Có lỗi cần sửa" in page
    for anchor in (
        "#id_to-khai__child_name",
        "#id_to-khai__birth_date",
        "#id_to-khai__gender",
        "#id_file__giay-chung-sinh",
    ):
        assert f'href="{anchor}"' in page
    assert 'aria-invalid="true"' in page and "_error" in page
    assert not Dossier.objects.exists()


def test_check_page_needs_checked_answers(client, birth_with_copy, make_citizen):
    client.force_login(make_citizen())
    url = f"/thu-tuc/{birth_with_copy.code}/nop-ho-so/"
    assert client.get(url + "kiem-tra/")["Location"] == url
    client.post(url, {"action": "draft", "to-khai__child_name": "An"})
    assert client.get(url + "kiem-tra/")["Location"] == url


def test_draft_keeps_its_papers_and_discarding_removes_them(
    client, birth_with_copy, agency, make_citizen, settings
):
    from pathlib import Path

    client.force_login(make_citizen())
    url = f"/thu-tuc/{birth_with_copy.code}/nop-ho-so/"
    client.post(url, form_post(agency, action="draft"))
    draft = Draft.objects.get()
    stored = draft.data["_files"]["giay-chung-sinh"]
    assert stored[0]["name"] == "giay-chung-sinh.pdf"
    path = Path(settings.MEDIA_ROOT) / stored[0]["path"]
    assert path.exists()
    assert "Đã tải lên:" in client.get(url).content.decode()
    data = form_post(agency)
    del data["file__giay-chung-sinh"]
    assert client.post(url, data).status_code == 302  # the kept paper counts
    client.post(url + "kiem-tra/", {"confirm": "on"})
    assert Dossier.objects.get().files.count() == 1
    assert not Draft.objects.exists() and not path.exists()


def test_catalogue_export_and_import_keep_optional_fees(birth_with_copy):
    from egov.catalog.io import export_catalog

    document = export_catalog()
    fee = next(f for p in document["procedures"] for f in p["fees"] if f["optional"])
    assert fee["unit"] == "bản" and fee["amount"] == 8000
    errors = catalog.check_fees([catalog.FeeSpec("fee", "X", 1, optional="có", unit="b" * 31)])  # type: ignore[arg-type]
    assert len(errors) == 2
    catalog.set_fees(
        actor=SYSTEM,
        procedure=birth_with_copy,
        fees=[catalog.FeeSpec("fee", "Bản sao", 8000, optional=False, unit="bản")],
    )
    assert not birth_with_copy.fees.get().optional
