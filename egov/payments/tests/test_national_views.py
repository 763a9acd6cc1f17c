"""The national platform's two addresses as attacks see them: the callback (no login, no CSRF
token, bounded in size and rate) and the return page (only who may see the payment)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from egov.conftest import login_client
from egov.payments.models import Attempt, Callback

from .conftest import FEE, actor, payment_of

pytestmark = pytest.mark.django_db

CALLBACK = "payments:national_callback"


@pytest.fixture
def attempt(criminal_record, submit, make_citizen):  # type: ignore[no-untyped-def]
    citizen = make_citizen()
    payment = payment_of(submit(citizen, criminal_record))
    row = Attempt.objects.create(
        payment=payment, provider="national", reference="QG-XEM-1", amount=FEE, status="open"
    )
    row.citizen = citizen  # type: ignore[attr-defined]
    return row


def test_the_callback_takes_json_posts_without_csrf_or_login():
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse(CALLBACK), b"{}", content_type="application/json")
    assert response.status_code == 200
    assert response.json()["MaLoi"] == "01"  # malformed, but heard and kept
    assert Callback.objects.count() == 1
    assert client.get(reverse(CALLBACK)).status_code == 405
    assert Callback.objects.count() == 1


def test_an_oversized_callback_is_refused_unread(client, settings):
    settings.PAYMENT_CALLBACK_MAX_BYTES = 1024
    response = client.post(
        reverse(CALLBACK), b"{" + b" " * 2000 + b"}", content_type="application/json"
    )
    assert response.status_code == 413
    assert Callback.objects.count() == 0


def test_callbacks_are_rate_limited_per_address(client, settings):
    settings.PAYMENT_CALLBACK_RATE_LIMIT_PER_MINUTE = 2
    codes = [
        client.post(reverse(CALLBACK), b"{}", content_type="application/json").status_code
        for _ in range(3)
    ]
    assert codes == [200, 200, 429]
    assert Callback.objects.count() == 2


def test_the_return_page_is_only_for_who_may_see_the_payment(
    attempt, make_citizen, make_official, agency, other_agency, staff
):
    url = reverse("payments:national_return", args=[attempt.reference])
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "next=" in anonymous["Location"]
    assert login_client(make_citizen(), with_mfa=False).get(url).status_code == 404
    stranger = make_official(other_agency, username="ngoaicq")
    assert login_client(stranger.user).get(url).status_code == 404
    own = login_client(attempt.citizen, with_mfa=False).get(url)
    assert own.status_code == 200 and "Đang chờ kết quả thanh toán" in own.content.decode()
    desk = login_client(staff.receiver.user).get(url)
    assert desk.status_code == 200
    assert reverse("onestop:dossier", args=[attempt.payment.dossier.code]) in desk.content.decode()
    assert actor(staff.receiver).kind == "official"
    missing = reverse("payments:national_return", args=["QG-KHONG-CO"])
    assert login_client(attempt.citizen, with_mfa=False).get(missing).status_code == 404
