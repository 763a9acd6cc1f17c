"""The applicant claims an exemption group for a fee on the submission form and attaches its
proof: the fee line shows the reduction (what is left, the group, the legal source), the total
drops, a total of 0 makes the dossier exempt (no payment opened), and the desk sees the claim and
the proof at reception."""

from __future__ import annotations

import pytest

from egov.core.actors import actor_for_user
from egov.dossiers.models import Dossier, DossierFile, PaymentState
from egov.dossiers.tests.conftest import pdf_upload
from egov.payments.models import Payment, PaymentStatus

from .checkout_support import DISABLED, LEGAL, STUDENT, fee_of, group, with_exemptions  # noqa: F401
from .conftest import CRIMINAL_RECORD, FEE

pytestmark = pytest.mark.django_db
URL = f"/thu-tuc/{CRIMINAL_RECORD}/nop-ho-so/"


def form(agency, procedure, claim: str = "", proof=None, **extra):  # type: ignore[no-untyped-def]
    fee = fee_of(procedure)
    data = {
        "agency": agency.identifier,
        "result_delivery": "online",
        "idempotency_key": "k-1",
        "action": "continue",
        f"exemption__{fee.pk}": str(group(procedure, claim).pk) if claim else "",
        **extra,
    }
    if proof is not None:
        data[f"proof__{fee.pk}"] = proof
    return data


def test_a_claim_needs_its_proof(client, agency, with_exemptions, make_citizen):  # noqa: F811
    client.force_login(make_citizen())
    page = client.get(URL).content.decode()
    assert "Sinh viên — giảm 50%, còn 100.000 đồng" in page
    assert "Người khuyết tật — miễn phí" in page
    answer = client.post(URL, form(agency, with_exemptions, STUDENT)).content.decode()
    assert "Có lỗi cần sửa" in answer and "Đính kèm thẻ sinh viên để được miễn, giảm." in answer
    assert f'href="#id_proof__{fee_of(with_exemptions).pk}"' in answer
    # A group of another fee (or none at all) is refused too, nothing is stored.
    forged = form(agency, with_exemptions, proof=pdf_upload("the.pdf"))
    forged[f"exemption__{fee_of(with_exemptions).pk}"] = "999999"
    assert "Có lỗi cần sửa" in client.post(URL, forged).content.decode()
    assert not Dossier.objects.exists()


def test_a_reduction_shows_on_its_line_and_is_what_is_due(
    client,
    agency,
    with_exemptions,  # noqa: F811
    make_citizen,
    staff,
    login_with_mfa,
):
    client.force_login(make_citizen())
    response = client.post(
        URL, form(agency, with_exemptions, STUDENT, proof=pdf_upload("the-sinh-vien.pdf"))
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    check = client.get(URL + "kiem-tra/").content.decode()
    assert "Miễn, giảm phí, lệ phí" in check and "the-sinh-vien.pdf" in check
    assert "phải nộp 100.000 đồng" in check and "Giảm 50% 100.000 đồng" in check
    assert f"căn cứ: {LEGAL}" in check and "<strong>100.000 đồng</strong>" in check
    client.post(URL + "kiem-tra/", {"confirm": "on"})
    dossier = Dossier.objects.get()
    assert dossier.fee_total == FEE // 2 and dossier.payment_state == PaymentState.DUE
    line = dossier.fee_lines[0]
    assert (line["exemption"], line["exemption_percent"], line["total"]) == (STUDENT, 50, FEE // 2)
    proof = dossier.files.get(kind=DossierFile.Kind.EXEMPTION_PROOF)
    assert proof.original_name == "the-sinh-vien.pdf"
    assert Payment.objects.get(dossier=dossier).amount == FEE // 2
    # The desk sees the claim and the proof when it checks the dossier.
    client.logout()
    login_with_mfa(staff.receiver.user)
    desk = client.get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    assert "Giảm 50%" in desk and STUDENT in desk and "Thẻ sinh viên" in desk
    assert "Giấy tờ chứng minh miễn, giảm phí, lệ phí" in desk and "the-sinh-vien.pdf" in desk
    assert "Chưa thanh toán" in desk


def test_a_total_waived_makes_the_dossier_exempt(client, agency, with_exemptions, make_citizen):  # noqa: F811
    citizen = make_citizen()
    client.force_login(citizen)
    client.post(URL, form(agency, with_exemptions, DISABLED, proof=pdf_upload("xac-nhan.pdf")))
    client.post(URL + "kiem-tra/", {"confirm": "on"})
    dossier = Dossier.objects.get()
    assert (dossier.fee_total, dossier.payment_state) == (0, PaymentState.EXEMPT)
    assert not Payment.objects.exists()
    done = client.get(f"/thu-tuc/{CRIMINAL_RECORD}/nop-ho-so/da-nop/{dossier.code}/")
    assert "Thanh toán ngay" not in done.content.decode()
    page = client.get(f"/ho-so-cua-toi/{dossier.code}/").content.decode()
    assert "Được miễn phí, lệ phí" in page and "Miễn 200.000 đồng" in page
    # The event says what was claimed, and with which proof.
    from egov.events.models import Event

    submitted = Event.objects.get(event_type="dossier.submitted")
    assert submitted.payload["exemptions"] == [
        {"fee": fee_of(with_exemptions).name, "group": DISABLED, "percent": 100}
    ]
    assert submitted.payload["proofs"][0]["name"] == "xac-nhan.pdf"
    assert actor_for_user(citizen).kind == "citizen"


def test_a_proof_kept_with_the_draft_counts(client, agency, with_exemptions, make_citizen):  # noqa: F811
    client.force_login(make_citizen())
    client.post(
        URL,
        form(agency, with_exemptions, STUDENT, proof=pdf_upload("the.pdf"), action="draft"),
    )
    assert "the.pdf" in client.get(URL).content.decode()
    assert client.post(URL, form(agency, with_exemptions, STUDENT)).status_code == 302
    client.post(URL + "kiem-tra/", {"confirm": "on"})
    assert Dossier.objects.get().files.filter(kind=DossierFile.Kind.EXEMPTION_PROOF).count() == 1
    assert Payment.objects.get().status == PaymentStatus.DUE


def test_the_api_takes_a_claim_with_its_proof(agency, with_exemptions, make_citizen):  # noqa: F811
    import json

    from rest_framework.test import APIClient

    fee = fee_of(with_exemptions)
    listed = APIClient().get(f"/api/v1/catalog/procedures/{CRIMINAL_RECORD}/").json()
    assert listed["payment_timing"] == "before_processing"
    groups = {e["group"]: e for e in listed["fees"][0]["exemptions"]}
    assert groups[STUDENT]["percent"] == 50 and groups[STUDENT]["proof"] == "Thẻ sinh viên"
    api = APIClient()
    api.force_authenticate(make_citizen())
    payload = {
        "procedure": CRIMINAL_RECORD,
        "agency": agency.identifier,
        "result_delivery": "online",
        "exemptions": json.dumps({str(fee.pk): groups[DISABLED]["id"]}),
    }
    missing = api.post("/api/v1/dossiers/", payload, format="multipart")
    assert missing.status_code == 400
    assert f"exemption_proof.{fee.pk}" in missing.json()["fields"]
    bad = api.post("/api/v1/dossiers/", {**payload, "exemptions": "[1, 2]"}, format="multipart")
    assert bad.status_code == 400 and "exemptions" in bad.json()["fields"]
    assert not Dossier.objects.exists()
    made = api.post(
        "/api/v1/dossiers/",
        {**payload, f"proof__{fee.pk}": pdf_upload("xac-nhan.pdf")},
        format="multipart",
    )
    assert made.status_code == 201, made.json()
    assert (made.json()["fee_total"], made.json()["payment_state"]) == (0, "exempt")
