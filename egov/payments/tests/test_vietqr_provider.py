"""The VietQR provider: offered when the collector has a bank account, its start (inside the
start_attempt action) writes the payload and opens the attempt with payment.attempt_opened; the
QR image is served only to who may see the payment."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from django.urls import reverse

from egov.conftest import login_client
from egov.core.errors import DomainError
from egov.events.models import Event
from egov.payments import providers
from egov.payments.models import Attempt, AttemptStatus, Collector, PaymentStatus
from egov.payments.providers.vietqr import VietQR, purpose_for
from egov.payments.vietqr import payload

from .conftest import FEE, payment_of
from .vietqr_support import open_vietqr

pytestmark = pytest.mark.django_db


def test_offered_only_with_a_bank_account(collector):
    provider = VietQR()
    assert provider.configured(collector)
    assert "vietqr" in [p.code for p in providers.enabled(collector, online_only=True)]
    assert not provider.configured(None)
    collector.bank_account = ""
    assert not provider.configured(collector)
    collector.bank_account, collector.bank_bin = "113000012345", "9704"
    assert not provider.configured(collector)


def test_start_writes_the_qr_and_opens_the_attempt(criminal_record, submit, make_citizen):
    citizen = make_citizen()
    payment = payment_of(submit(citizen, criminal_record))
    attempt = open_vietqr(payment, "TT-K7Q2M9XW", by_user=citizen)
    assert attempt.status == AttemptStatus.OPEN
    assert attempt.qr_payload == payload(
        bin="970415", account="113000012345", amount=FEE, purpose="TT-K7Q2M9XW"
    )
    opened = Event.objects.get(event_type="payment.attempt_opened")
    assert (opened.subject_id, opened.payload["attempt"], opened.payload["provider"]) == (
        payment.code,
        "TT-K7Q2M9XW",
        "vietqr",
    )
    assert payment_of(payment.dossier).status == PaymentStatus.DUE


def test_a_long_reference_goes_in_without_its_separators():
    assert purpose_for("TT-K7Q2M9XW") == "TT-K7Q2M9XW"
    assert purpose_for("000.00.01.H41-261204-0001-1") == "0000001H4126120400011"


def test_start_without_a_bank_account_keeps_nothing(criminal_record, submit, make_citizen):
    citizen = make_citizen()
    payment = payment_of(submit(citizen, criminal_record))
    Collector.objects.filter(agency=payment.agency).update(bank_account="")
    with pytest.raises(DomainError) as refused:
        open_vietqr(payment, "TT-NOACCOUNT", by_user=citizen)
    assert refused.value.code == "collector_not_configured"
    assert not Attempt.objects.exists()
    assert not Event.objects.filter(event_type__startswith="payment.attempt").exists()


@pytest.fixture
def qr_attempt(criminal_record, submit, make_citizen):  # type: ignore[no-untyped-def]
    citizen = make_citizen()
    payment = payment_of(submit(citizen, criminal_record))
    return citizen, open_vietqr(payment, "TT-QRVIEW01", by_user=citizen)


def test_the_applicant_and_the_agency_get_the_image(qr_attempt, staff, tmp_path):
    citizen, attempt = qr_attempt
    url = reverse("payments:qr", args=[attempt.reference])
    for user in (citizen, staff.receiver.user, staff.accountant.user):
        response = login_client(user).get(url)
        assert response.status_code == 200, user
        assert response["Content-Type"] == "image/png"
        assert response["Cache-Control"].startswith("private")
    if shutil.which("zbarimg"):
        image = tmp_path / "qr.png"
        image.write_bytes(b"".join(response))
        decoded = subprocess.run(
            ["zbarimg", "--raw", "--quiet", str(image)], capture_output=True, text=True, timeout=60
        )
        assert decoded.stdout.strip() == attempt.qr_payload


def test_nobody_else_gets_the_image(qr_attempt, make_citizen, other_agency, make_official):
    """Attacks: another citizen, another agency's accountant, anonymous, an unknown or a
    non-VietQR reference: all "not found", whether the attempt exists or not."""
    _citizen, attempt = qr_attempt
    url = reverse("payments:qr", args=[attempt.reference])
    stranger = make_official(other_agency, ["accountant"], username="ketoan-khac")
    for client in (
        login_client(make_citizen(), with_mfa=False),
        login_client(stranger.user),
    ):
        assert client.get(url).status_code == 404
    from django.test import Client

    assert Client().get(url).status_code in (302, 404)
    assert Client().get(url).status_code != 200
    Attempt.objects.filter(pk=attempt.pk).update(provider="national")
    assert login_client(_citizen, with_mfa=False).get(url).status_code == 404
    missing = reverse("payments:qr", args=["KHONG-CO"])
    assert login_client(_citizen, with_mfa=False).get(missing).status_code == 404
