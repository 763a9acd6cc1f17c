"""Attacks on signed requests: missing, bad, replayed, stale, for another path or body, signed
with another key; all refused when the client's key requires signatures, all logged."""

from __future__ import annotations

import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from egov.sharing.models import MessageLogEntry
from egov.sharing.signatures import sign_request

from .conftest import ID_NUMBER

pytestmark = pytest.mark.django_db
BASE = "/api/v1/sharing/"


@pytest.fixture
def signer(callers):  # type: ignore[no-untyped-def]
    callers.other.register_key(required=True)
    return callers.other


def path_of(dossier) -> str:  # type: ignore[no-untyped-def]
    return f"{BASE}dossier-status/{dossier.code}/"


def refused(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 403, response.content
    return response.json()["code"]


def test_signed_request_passes_and_is_logged_as_signed(signer, dossier):
    assert signer.get(path_of(dossier)).status_code == 200
    assert MessageLogEntry.objects.order_by("-seq").first().signed is True  # type: ignore[union-attr]
    lookup = signer.post(
        f"{BASE}results/lookup/", {"dossier_code": dossier.code, "applicant_id_number": ID_NUMBER}
    )
    assert lookup.status_code == 200


def test_missing_signature_when_required(signer, dossier):
    assert refused(signer.get(path_of(dossier), sign=False)) == "sharing_signature_missing"


def test_unsigned_allowed_when_not_required_but_a_bad_signature_never(callers, dossier):
    callers.other.register_key(required=False)
    assert callers.other.get(path_of(dossier), sign=False).status_code == 200
    other_key = Ed25519PrivateKey.generate()
    assert (
        refused(callers.other.get(path_of(dossier), private_key=other_key))
        == "sharing_signature_invalid"
    )


def test_signature_by_another_key(signer, dossier):
    other_key = Ed25519PrivateKey.generate()
    assert (
        refused(signer.get(path_of(dossier), private_key=other_key)) == "sharing_signature_invalid"
    )


def test_replayed_signature(signer, dossier):
    headers = signer.headers("GET", path_of(dossier), "", b"", nonce="lan-dau-tien-123")
    first = signer.http.get(path_of(dossier), headers=headers)
    again = signer.http.get(path_of(dossier), headers=headers)
    assert first.status_code == 200
    assert refused(again) == "sharing_signature_replayed"


def test_stale_and_future_signatures(signer, dossier):
    old = int(time.time()) - 3600
    assert refused(signer.get(path_of(dossier), created=old)) == "sharing_signature_stale"
    ahead = int(time.time()) + 3600
    assert refused(signer.get(path_of(dossier), created=ahead)) == "sharing_signature_stale"


def test_signature_for_another_path_or_query(signer, dossier):
    headers = signer.headers("GET", f"{BASE}dossier-status/KHAC/", "", b"")
    assert (
        refused(signer.http.get(path_of(dossier), headers=headers)) == "sharing_signature_invalid"
    )
    headers = signer.headers("GET", f"{BASE}procedures/", "limit=1", b"")
    response = signer.http.get(f"{BASE}procedures/?limit=500", headers=headers)
    assert refused(response) == "sharing_signature_invalid"


def test_tampered_body(signer, dossier):
    import json

    signed_body = json.dumps({"dossier_code": dossier.code, "applicant_id_number": "1"}).encode()
    headers = signer.headers("POST", f"{BASE}results/lookup/", "", signed_body)
    sent = json.dumps({"dossier_code": dossier.code, "applicant_id_number": ID_NUMBER}).encode()
    response = signer.http.post(
        f"{BASE}results/lookup/", data=sent, content_type="application/json", headers=headers
    )
    assert refused(response) == "sharing_digest_mismatch"
    # Digest recomputed by the attacker for the new body: the signature no longer covers it.
    from egov.sharing.signatures import content_digest

    headers["Content-Digest"] = content_digest(sent)
    response = signer.http.post(
        f"{BASE}results/lookup/", data=sent, content_type="application/json", headers=headers
    )
    assert refused(response) == "sharing_signature_invalid"


def test_malformed_headers(signer, dossier):
    good = signer.headers("GET", path_of(dossier), "", b"")
    cases = [
        {**good, "Signature-Input": good["Signature-Input"].replace('"@query" ', "")},
        {**good, "Signature-Input": good["Signature-Input"].replace("ed25519", "hmac-sha256")},
        {**good, "Signature": "sig1=:khong-phai-base64!:"},
        {**good, "Signature": good["Signature"].replace("sig1", "sig2")},
        {**good, "Signature-Input": "x" * 2000},
    ]
    for headers in cases:
        assert refused(signer.http.get(path_of(dossier), headers=headers)) == (
            "sharing_signature_invalid"
        )


def test_client_without_a_key_cannot_pass_a_signature(callers, dossier):
    key = Ed25519PrivateKey.generate()
    headers = {"Authorization": f"Bearer {callers.own.token}"} | sign_request(
        private_key=key, key_id="khong-co", method="GET", path=path_of(dossier)
    )
    response = callers.own.http.get(path_of(dossier), headers=headers)
    assert refused(response) == "sharing_signature_invalid"


def test_refused_signatures_are_logged(signer, dossier):
    before = MessageLogEntry.objects.count()
    signer.get(path_of(dossier), sign=False)
    signer.get(path_of(dossier), created=int(time.time()) - 3600)
    outcomes = [e.outcome for e in MessageLogEntry.objects.order_by("seq")[before:]]
    assert outcomes == ["sharing_signature_missing", "sharing_signature_stale"]
