"""Who sees a receipt: the applicant, the collecting agency's officials and operators, on the
page, the downloads and the API; anyone else is told "not found" (another citizen, another
agency's official, an API client of another agency) or refused (anonymous: the login page; an
API client without the scope: 403), and nothing changes. The public check by lookup code shows
the receipt but nothing about the payer."""

from __future__ import annotations

import uuid

import pytest
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.urls import reverse

from egov.accounts.services import create_api_client
from egov.conftest import login_client
from egov.core.actors import SYSTEM
from egov.events.models import Event
from egov.org.models import Role
from egov.payments.models import Receipt
from egov.payments.services import receipts

from .receipts_helpers import pay, seal_fixture, seal_hierarchy_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(criminal_record, submit, make_citizen, seal):  # type: ignore[no-untyped-def]
    citizen = make_citizen()
    payment = pay(submit(citizen, criminal_record))
    receipt = receipts.issue(payment.code)
    receipt.citizen = citizen
    return receipt


def _urls(receipt: Receipt) -> list[str]:
    return [
        reverse("payments:receipt", args=[receipt.uid]),
        reverse("payments:receipt_pdf", args=[receipt.uid]),
        reverse("payments:receipt_xml", args=[receipt.uid]),
    ]


def _api_urls(receipt: Receipt) -> list[str]:
    code = receipt.payment.code
    return [
        reverse("api-payment-receipt", args=[code]),
        reverse("api-payment-receipt-pdf", args=[code]),
        reverse("api-payment-receipt-xml", args=[code]),
    ]


def _snapshot() -> tuple[int, int]:
    return Event.objects.count(), Receipt.objects.count()


def test_the_applicant_sees_the_page_and_downloads_both_signed_files(issued):
    client = login_client(issued.citizen, with_mfa=False)
    page = client.get(_urls(issued)[0])
    assert page.status_code == 200
    html = page.content.decode()
    for expected in (
        "Biên lai thu phí, lệ phí số 0000001",
        "Hai trăm nghìn đồng",
        "200.000",
        "Hợp lệ",
        receipts.lookup_code_text(issued.lookup_code),
        issued.pdf_sha256,
    ):
        assert expected in html, expected
    pdf = client.get(_urls(issued)[1])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf["Cache-Control"] == "private, no-store"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    xml = client.get(_urls(issued)[2])
    assert xml.status_code == 200 and b"<BLai>" in b"".join(xml.streaming_content)


def test_the_collecting_agencys_official_and_an_operator_see_it(
    issued, staff, make_official, other_agency
):
    for user in (staff.receiver.user, staff.accountant.user):
        client = login_client(user)
        assert [client.get(u).status_code for u in _urls(issued)] == [200, 200, 200]
    operator = make_official(other_agency, [Role.OPERATOR], username="quantri.tt").user
    assert operator.kind == "operator"
    client = login_client(operator)
    assert client.get(_urls(issued)[0]).status_code == 200


def test_another_citizen_another_agency_and_anonymous_are_refused(
    issued, make_citizen, make_official, other_agency
):
    stranger = login_client(make_citizen(), with_mfa=False)
    outsider = login_client(make_official(other_agency, [Role.ACCOUNTANT]).user)
    before = _snapshot()
    assert [stranger.get(u).status_code for u in _urls(issued)] == [404, 404, 404]
    assert [outsider.get(u).status_code for u in _urls(issued)] == [404, 404, 404]
    anonymous = Client()
    for url in _urls(issued):
        response = anonymous.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    # A made-up receipt is the same "not found" as someone else's.
    own = login_client(issued.citizen, with_mfa=False)
    assert own.get(reverse("payments:receipt", args=[uuid.uuid4()])).status_code == 404
    assert _snapshot() == before


def test_the_api_gives_metadata_and_files_to_a_client_of_the_agency_only(
    issued, agency, other_agency
):
    client = Client()
    _c, reader = create_api_client(
        actor=SYSTEM, name="Kế toán", scopes=["payments:read"], agency=agency
    )
    headers = {"HTTP_AUTHORIZATION": f"Bearer {reader}"}
    meta = client.get(_api_urls(issued)[0], **headers)
    assert meta.status_code == 200, meta.content
    body = meta.json()
    assert body["number"] == "0000001" and body["series"] == "TP-26E"
    assert body["amount"] == 200_000 and body["pdf_sha256"] == issued.pdf_sha256
    assert body["fields"]["total_words"] == "Hai trăm nghìn đồng"
    assert body["pdf_url"].endswith(_api_urls(issued)[1])
    assert client.get(_api_urls(issued)[1], **headers).status_code == 200
    assert client.get(_api_urls(issued)[2], **headers).status_code == 200

    _c, unscoped = create_api_client(
        actor=SYSTEM, name="Lịch", scopes=["calendar:read"], agency=agency
    )
    for url in _api_urls(issued):
        refused = client.get(url, HTTP_AUTHORIZATION=f"Bearer {unscoped}")
        assert refused.status_code == 403
    _c, foreign = create_api_client(
        actor=SYSTEM, name="Sở khác", scopes=["payments:read"], agency=other_agency
    )
    for url in _api_urls(issued):
        hidden = client.get(url, HTTP_AUTHORIZATION=f"Bearer {foreign}")
        assert hidden.status_code == 404
        assert hidden.json()["code"] == "not_found"
    assert client.get(_api_urls(issued)[0]).status_code in (401, 403)  # anonymous


def test_the_public_check_by_lookup_code_shows_the_receipt_not_the_payer(issued):
    client = Client()
    url = reverse("payments:receipt_lookup")
    code = receipts.lookup_code_text(issued.lookup_code).lower()  # as typed, any case
    found = client.get(url, {"ma": code})
    assert found.status_code == 200
    html = found.content.decode()
    assert "0000001" in html and "TP-26E" in html and "Hợp lệ" in html
    assert issued.fields["payer"]["name"] not in html
    assert issued.fields["payer"]["id_number"] not in html
    missing = client.get(url, {"ma": "ABCD-EFGH-JKMN"})
    assert missing.status_code == 200
    assert "Không tìm thấy biên lai có mã tra cứu này." in missing.content.decode()


def test_the_lookup_is_rate_limited(issued, settings):
    settings.LOOKUP_RATE_LIMIT_PER_MINUTE = 2
    client = Client()
    url = reverse("payments:receipt_lookup")
    codes = [client.get(url, {"ma": f"ABCD-EFGH-JKM{n}"}).status_code for n in range(3)]
    assert codes == [200, 200, 429]


def test_the_dossier_link_shows_for_who_may_see_it(issued, make_citizen):
    template = Template("{% load payments_receipts %}{% receipt_link dossier %}")
    request = RequestFactory().get("/")
    request.user = issued.citizen
    html = template.render(Context({"request": request, "dossier": issued.payment.dossier}))
    assert reverse("payments:receipt", args=[issued.uid]) in html
    assert "Biên lai điện tử số 0000001, ký hiệu TP-26E" in html
    request = RequestFactory().get("/")
    request.user = make_citizen()
    html = template.render(Context({"request": request, "dossier": issued.payment.dossier}))
    assert "bien-lai" not in html
