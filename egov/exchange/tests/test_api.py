"""The HTTP endpoint: another platform posts signed packages and statuses with its peer token
(or an API client with documents:write); answers are {code, message, fields, status}."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from egov.core.actors import SYSTEM
from egov.exchange import common, edxml, endpoints, sending, signature
from egov.exchange.edxml import Organ
from egov.exchange.models import IncomingPackage, StatusRecord

pytestmark = pytest.mark.django_db

PACKAGES = "/api/v1/exchange/packages/"
STATUSES = "/api/v1/exchange/statuses/"
THAI_BINH = Organ("000.00.00.H56", "Ủy ban nhân dân tỉnh Thái Bình")
NAM_DINH = Organ("000.00.00.H40", "Ủy ban nhân dân tỉnh Nam Định")


class ExternalSigner:
    """An agency on another platform with a certificate from the same (trusted) demo CA."""

    def __init__(self, hierarchy: Any, organ: Organ) -> None:
        from egov.signing import ca

        self.organ = organ
        self.material = ca.issue_certificate(
            hierarchy.intermediate,
            common_name=organ.organ_name,
            organisation=organ.organ_name,
            kind="organisation",
        )

    def sign(self, root: Any) -> bytes:
        from signxml import DigestAlgorithm, SignatureMethod, XMLSigner

        from egov.signing import keystore

        signer = XMLSigner(
            signature_algorithm=SignatureMethod.ECDSA_SHA256,
            digest_algorithm=DigestAlgorithm.SHA256,
        )
        chain = [keystore.to_pem(self.material.certificate)] + [
            keystore.to_pem(c) for c in self.material.chain
        ]
        return edxml.to_bytes(signer.sign(root, key=self.material.private_key, cert=chain))


@pytest.fixture
def thai_binh(certified, hierarchy):  # type: ignore[no-untyped-def]
    """Thái Bình's platform: declared here, with the token it presents to us."""
    token = endpoints.new_peer_token()
    endpoints.save_endpoint(
        actor=SYSTEM,
        organ_id=THAI_BINH.organ_id,
        organ_name=THAI_BINH.organ_name,
        url="http://127.0.0.1:9/api/v1/exchange/",
        inbound_token=token,
    )
    signer = ExternalSigner(hierarchy, THAI_BINH)
    signer.token = token  # type: ignore[attr-defined]
    return signer


def package_from(signer: ExternalSigner, make_doc: Any, recipient: Any, **changes: Any) -> bytes:
    doc = make_doc(recipient, [recipient], **changes)
    doc.sender = signer.organ
    doc.code_notation = "UBND-VP"
    return signer.sign(edxml.document_element(doc))


def post(client: APIClient, url: str, raw: bytes, token: str = "", **headers: str) -> Any:
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client.post(url, raw, content_type="application/xml", **headers)


def test_a_peer_posts_a_package_and_gets_01(thai_binh, recorder, make_doc, certified):
    _a, b = certified
    client = APIClient()
    raw = package_from(thai_binh, make_doc, b)

    response = post(client, PACKAGES, raw, thai_binh.token, HTTP_X_EDXML_TO=b.identifier)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["code"] == "arrived"
    assert body["status"]["status_code"] == "01"
    assert body["recipient"] == b.identifier
    assert body["document_id"].startswith("000.00.00.H56,2026/03/02,")
    [received] = recorder.packages
    assert received.sender == THAI_BINH and received.via == "http"

    again = post(client, PACKAGES, raw, thai_binh.token)  # the recipient is implied by To
    assert again.status_code == 200
    assert again.json()["code"] == "duplicate" and again.json()["duplicate"] is True
    assert len(recorder.packages) == 1


def test_a_peer_may_only_send_as_itself(thai_binh, recorder, make_doc, certified, hierarchy):
    _a, b = certified
    nam_dinh = ExternalSigner(hierarchy, NAM_DINH)
    raw = package_from(nam_dinh, make_doc, b)

    response = post(APIClient(), PACKAGES, raw, thai_binh.token)

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "sender_mismatch"
    assert body["status"]["status_code"] == "02"
    assert "mã truy cập của cơ quan khác" in body["message"]
    assert recorder.packages == []


def test_bad_or_missing_credentials_are_refused(thai_binh, make_doc, certified):
    _a, b = certified
    raw = package_from(thai_binh, make_doc, b)
    client = APIClient()

    assert post(client, PACKAGES, raw, "edxml_not-a-real-token").status_code == 401
    assert post(client, PACKAGES, raw).status_code in (401, 403)
    reader = services_api_client(["documents:read"])
    assert post(client, PACKAGES, raw, reader).status_code == 403
    assert not IncomingPackage.objects.exists()


def services_api_client(scopes: list[str], agency: Any = None) -> str:
    from egov.accounts.services import create_api_client

    _client, token = create_api_client(actor=SYSTEM, name="Trục VDXP", scopes=scopes, agency=agency)
    return str(token)


def test_an_api_client_with_documents_write_may_post(certified, recorder, make_doc):
    a, b = certified
    raw = edxml.to_bytes(signature.sign_root(edxml.document_element(make_doc(a, [b])), agency=a))
    token = services_api_client(["documents:write"])

    response = post(APIClient(), PACKAGES, raw, token)

    assert response.status_code == 201, response.json()
    assert recorder.packages[0].via == "api"


def test_malformed_packages_get_422_with_status_02(thai_binh, recorder):
    response = post(APIClient(), PACKAGES, b"<edXML:edXML", thai_binh.token)

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "edxml_malformed"
    assert body["status"]["status_code"] == "02"
    assert set(body) >= {"code", "message", "fields", "status"}
    assert recorder.packages == []


def test_packages_must_be_xml(thai_binh):
    response = APIClient().post(
        PACKAGES,
        b"{}",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {thai_binh.token}",
    )
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_a_package_over_the_limit_gets_413(thai_binh, recorder, make_doc, certified, settings):
    _a, b = certified
    raw = package_from(thai_binh, make_doc, b)
    settings.EXCHANGE_MAX_PACKAGE_BYTES = 1000

    response = post(APIClient(), PACKAGES, raw, thai_binh.token, HTTP_X_EDXML_TO=b.identifier)

    assert response.status_code == 413
    body = response.json()
    assert body["code"] == "package_too_large"
    assert body["status"]["status_code"] == "02"
    assert "vượt quá giới hạn 1000 byte" in body["message"]
    refused = IncomingPackage.objects.get()
    assert refused.status == "rejected" and refused.size == len(raw) and refused.data is None
    assert recorder.packages == []


def test_a_peer_posts_a_status(thai_binh, recorder, make_doc, certified):
    _a, b = certified
    client = APIClient()
    raw = package_from(thai_binh, make_doc, b)
    document_id = post(client, PACKAGES, raw, thai_binh.token).json()["document_id"]
    message = edxml.StatusMessage(
        document_id=document_id,
        sender=THAI_BINH,
        status_code="13",
        timestamp=common.exchange_now(),
        description="Đề nghị trả lại văn bản",
        to_organ_id=b.identifier,
    )
    status_raw = thai_binh.sign(edxml.status_element(message))

    response = post(client, STATUSES, status_raw, thai_binh.token)
    assert response.status_code == 201, response.json()
    assert response.json()["status"]["status_code"] == "13"
    assert post(client, STATUSES, status_raw, thai_binh.token).status_code == 200
    assert [s.status_code for s in recorder.statuses] == ["13"]

    tampered = status_raw.replace("trả lại".encode(), "hủy".encode())
    response = post(client, STATUSES, tampered, thai_binh.token)
    assert response.status_code == 422
    assert response.json()["code"] == "signature_invalid"
    assert StatusRecord.objects.filter(direction="in").count() == 1


def test_the_sender_reads_each_recipients_status(
    certified, make_doc, django_capture_on_commit_callbacks
):
    from django.db import transaction

    a, b = certified
    doc = make_doc(a, [b])
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        sending.send(doc, actor=SYSTEM, sender_agency=a)
    token = services_api_client(["documents:read"], agency=a)
    client = APIClient()

    response = client.get(
        STATUSES, {"document_id": doc.document_id}, HTTP_AUTHORIZATION=f"Bearer {token}"
    )

    assert response.status_code == 200
    [row] = response.json()["recipients"]
    assert row["recipient_organ_id"] == b.identifier
    assert row["status_code"] == "01"
    other = services_api_client(["documents:read"], agency=b)
    response = client.get(
        STATUSES, {"document_id": doc.document_id}, HTTP_AUTHORIZATION=f"Bearer {other}"
    )
    assert response.json()["recipients"] == []
