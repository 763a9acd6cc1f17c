"""The payments API: payments listed and read within the caller's scope, refunds asked, decided
and paid out by the agency's people (never by a machine client), the reconciliation as JSON.
Every refusal answers with the common error body and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from egov.accounts.models import ApiClient
from egov.conftest import login_client
from egov.events.models import Event
from egov.onestop import services as onestop
from egov.org.models import Role
from egov.payments.models import PaymentStatus, Refund, RefundStatus

from .accounting_support import pay, rules
from .conftest import FEE, actor, payment_of

pytestmark = pytest.mark.django_db

PAYMENTS = "/api/v1/payments/"
REFUNDS = "/api/v1/refunds/"
DAILY = "/api/v1/payments/reconciliation/daily/"


def bearer(agency: Any, scopes: list[str]) -> APIClient:
    raw, prefix, digest = ApiClient.new_token()
    ApiClient.objects.create(
        name=prefix, agency=agency, scopes=scopes, key_prefix=prefix, key_hash=digest
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


@pytest.fixture
def world(criminal_record, submit, make_citizen, staff):  # type: ignore[no-untyped-def]
    """Three dossiers: one paid by the national platform, one due, one paid by VietQR then
    stopped (a refund may be asked for it)."""
    rules(("stopped", False, 100, False))
    citizens = [make_citizen() for _ in range(3)]
    dossiers = [submit(c, criminal_record) for c in citizens]
    pay(payment_of(dossiers[0]), "national")
    pay(payment_of(dossiers[2]), "vietqr")
    onestop.receive_online(actor=actor(staff.receiver), dossier=dossiers[2].code)
    onestop.stop(actor=actor(staff.leader), dossier=dossiers[2].code, reason="Không đủ điều kiện")
    return citizens, [payment_of(d) for d in dossiers]


def codes(body: dict[str, Any]) -> list[str]:
    return [row["code"] for row in body["results"]]


def test_payments_within_each_scope(world, staff, agency, other_agency, make_official):
    citizens, payments = world
    mine = login_client(staff.accountant.user).get(PAYMENTS).json()
    assert set(codes(mine)) == {p.code for p in payments}
    assert codes(login_client(citizens[0]).get(PAYMENTS).json()) == [payments[0].code]
    stranger = make_official(other_agency, [Role.ACCOUNTANT], username="ketoankhac").user
    assert codes(login_client(stranger).get(PAYMENTS).json()) == []

    machine = bearer(agency, ["payments:read"])
    assert set(codes(machine.get(PAYMENTS).json())) == {p.code for p in payments}
    assert codes(bearer(other_agency, ["payments:read"]).get(PAYMENTS).json()) == []
    refused = bearer(agency, ["stats:read"]).get(PAYMENTS)
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    assert APIClient().get(PAYMENTS).status_code in (401, 403)


def test_filters_and_pages(world, staff, agency):
    _citizens, payments = world
    client = login_client(staff.accountant.user)
    paid = client.get(PAYMENTS, {"status": "paid"}).json()
    assert set(codes(paid)) == {payments[0].code, payments[2].code}
    one = client.get(PAYMENTS, {"dossier": payments[1].dossier.code}).json()
    assert codes(one) == [payments[1].code]
    assert client.get(PAYMENTS, {"agency": "000.00.09.H41"}).json()["results"] == []
    assert len(codes(client.get(PAYMENTS, {"paid_since": "2000-01-01"}).json())) == 2

    seen: list[str] = []
    body = client.get(PAYMENTS, {"limit": 2}).json()
    seen += codes(body)
    assert body["next"]
    body = client.get(body["next"]).json()
    seen += codes(body)
    assert body["next"] is None and sorted(seen) == sorted(p.code for p in payments)

    for bad in ({"status": "stolen"}, {"since": "2026-02-30"}, {"limit": "0"}, {"cursor": "x"}):
        answer = client.get(PAYMENTS, bad)
        assert answer.status_code == 400, bad
        assert answer.json()["code"] in ("invalid", "invalid_cursor")


def test_one_payment_with_its_attempts(world, staff, make_citizen):
    citizens, payments = world
    url = f"{PAYMENTS}{payments[0].code}/"
    body = login_client(citizens[0]).get(url).json()
    assert body["status"] == "paid" and body["amount"] == FEE
    assert [a["provider"] for a in body["attempts"]] == ["national"]
    assert body["attempts"][0]["status"] == "succeeded"
    assert body["receipt"] is None and body["refunds"] == []
    assert body["lines"][0]["total"] == FEE
    for other in (citizens[1], make_citizen()):
        assert login_client(other).get(url).status_code == 404
    assert login_client(citizens[0]).get(f"{PAYMENTS}KHONG-CO/").status_code == 404


def test_refunds_through_the_api(world, staff, agency):
    _citizens, payments = world
    stopped = payments[2]
    desk = login_client(staff.receiver.user)
    body = {"payment": stopped.code, "amount": FEE + 1, "reason": "Dừng xử lý"}
    answer = desk.post(REFUNDS, body, content_type="application/json")
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_amount"
    answer = desk.post(
        REFUNDS,
        {**body, "amount": FEE, "version": stopped.version},
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    refund = answer.json()
    assert (refund["amount"], refund["status"], refund["requested_by"]) == (
        FEE,
        "requested",
        "tiepnhan",
    )
    url = f"{REFUNDS}{refund['id']}/"

    leader = login_client(staff.leader.user)
    answer = leader.post(f"{url}reject/", {"note": ""}, content_type="application/json")
    assert answer.status_code == 400 and "note" in answer.json()["fields"]
    answer = leader.post(
        f"{url}approve/", {"version": refund["version"] + 3}, content_type="application/json"
    )
    assert answer.status_code == 409 and answer.json()["code"] == "stale_version"
    answer = leader.post(
        f"{url}approve/", {"version": refund["version"]}, content_type="application/json"
    )
    assert answer.status_code == 200 and answer.json()["status"] == "approved"

    accountant = login_client(staff.accountant.user)
    answer = accountant.post(
        f"{url}complete/", {"reference": "UNC-7"}, content_type="application/json"
    )
    assert answer.status_code == 200 and answer.json()["status"] == "paid"
    assert payment_of(stopped.dossier).status == PaymentStatus.REFUNDED
    listed = accountant.get(REFUNDS, {"status": "paid"}).json()["results"]
    assert [r["id"] for r in listed] == [refund["id"]]
    assert bearer(agency, ["payments:read"]).get(url).json()["payout_reference"] == "UNC-7"


def test_refund_refusals_change_nothing(world, staff, agency, other_agency, make_official):
    citizens, payments = world
    stopped = payments[2]
    body = {"payment": stopped.code, "amount": FEE, "reason": "Dừng xử lý"}
    stranger = make_official(other_agency, [Role.ACCOUNTANT], username="ketoan9").user
    outsider = make_official(other_agency, [Role.LEADER], username="lanhdao9").user
    before = Event.objects.count()
    # A machine client, even with the write scope, does not act; nor does the applicant, a
    # specialist, another agency (not found).
    machine = bearer(agency, ["payments:read", "payments:write"])
    assert machine.post(REFUNDS, body, format="json").status_code == 403
    assert bearer(agency, ["payments:read"]).post(REFUNDS, body, format="json").status_code == 403
    for person, status in (
        (citizens[2], 403),
        (staff.specialist.user, 403),
        (stranger, 404),
    ):
        answer = login_client(person).post(REFUNDS, body, content_type="application/json")
        assert answer.status_code == status, person.username
        assert "code" in answer.json()
    assert not Refund.objects.exists() and Event.objects.count() == before

    from egov.payments.services import refunds

    refund = refunds.request_refund(
        actor=actor(staff.accountant), payment=stopped.code, amount=FEE, reason="Dừng xử lý"
    )
    before = Event.objects.count()
    for url in (f"{REFUNDS}{refund.pk}/approve/", f"{REFUNDS}{10**25}/approve/"):
        assert (
            login_client(outsider).post(url, {}, content_type="application/json").status_code == 404
        )
    assert machine.post(f"{REFUNDS}{refund.pk}/approve/", {}, format="json").status_code == 403
    answer = login_client(staff.accountant.user).post(
        f"{REFUNDS}{refund.pk}/approve/", {}, content_type="application/json"
    )
    assert answer.status_code == 403
    refund.refresh_from_db()
    assert refund.status == RefundStatus.REQUESTED and Event.objects.count() == before


def test_the_reconciliation_as_json(world, staff, agency, other_agency, make_official):
    _citizens, _payments = world
    body = login_client(staff.accountant.user).get(DAILY).json()
    assert body["agency"] == agency.identifier
    lines = {p["provider"]: p for p in body["providers"]}
    assert lines["national"]["confirmed"] == {"count": 1, "amount": FEE}
    assert lines["vietqr"]["matched"] == {"count": 1, "amount": FEE}
    assert body["opened"]["count"] == 3

    machine = bearer(agency, ["payments:read"])
    assert machine.get(DAILY, {"agency": agency.identifier}).status_code == 200
    assert bearer(agency, ["stats:read"]).get(DAILY).status_code == 403
    # Another agency's day: answered as an unknown agency (never "it exists, not yours").
    foreign = bearer(other_agency, ["payments:read"]).get(DAILY, {"agency": agency.identifier})
    assert foreign.status_code == 400 and "agency" in foreign.json()["fields"]
    unknown = bearer(other_agency, ["payments:read"]).get(DAILY, {"agency": "000.00.99.H41"})
    assert unknown.json() == foreign.json()
    stranger = make_official(other_agency, [Role.ACCOUNTANT], username="ketoan8").user
    assert login_client(stranger).get(DAILY, {"agency": agency.identifier}).status_code == 400
    assert login_client(staff.specialist.user).get(DAILY).status_code == 403
    answer = login_client(staff.accountant.user).get(DAILY, {"day": "2026-13-01"})
    assert answer.status_code == 400 and "day" in answer.json()["fields"]
    operator = make_official(agency, [Role.OPERATOR], username="quantri").user
    assert login_client(operator).get(DAILY, {"agency": agency.identifier}).status_code == 200
    assert login_client(operator).get(DAILY).status_code == 400  # which agency?
