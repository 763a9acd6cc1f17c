"""A subscriber's receiver, written with the `standardwebhooks` package, verifies every delivery
of a real dossier flow; tampered and stale deliveries are refused; rotation; replay; retries;
410; the delivery log."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from egov.events.models import Event, OutboxMessage
from egov.events.services import dispatch_due
from egov.onestop import services as onestop
from egov.webhooks.delivery import signature_headers
from egov.webhooks.models import Delivery, DeliveryStatus, Subscription
from egov.webhooks.standin import ReceiverStandIn

from .conftest import SUBSCRIPTIONS, act, drain, receive_dossier, subscribe

pytestmark = pytest.mark.django_db


def dossier_events(agency: Any) -> list[Event]:
    return list(Event.objects.filter(agency_id=agency.pk, event_type__startswith="dossier."))


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_every_delivery_of_a_real_flow_verifies(app, receiver, staff, procedure, agency):
    _client, api = app
    subscribe(api, receiver)
    dossier = receive_dossier(staff, procedure)
    onestop.forward(actor=act(staff.specialist), dossier=dossier, note="Hồ sơ hợp lệ")
    drain()

    events = dossier_events(agency)
    assert len(events) >= 4
    got = receiver.verified
    assert not receiver.refused
    assert sorted(e["id"] for e in got) == sorted(f"{e.chain}-{e.seq}" for e in events)
    first = next(e for e in got if e["type"] == "dossier.received")
    assert first["specversion"] == "1.0"
    assert first["source"] == f"https://dichvucong.example.gov.vn/events/{events[0].chain}"
    assert first["subject"] == f"dossier/{dossier.code}"
    assert first["datacontenttype"] == "application/json"
    assert first["data"]["subject_id"] == dossier.code
    # No personal data by default: no official's name, no applicant, only the status.
    assert set(first["data"]["payload"]) <= {"status", "appointment_at", "due_at"}
    assert "Lê Thị Hoa" not in json.dumps(got, ensure_ascii=False)
    request = receiver.requests[0]
    assert request.headers["content-type"].startswith("application/cloudevents+json")
    assert request.headers["webhook-id"] == json.loads(request.body)["id"]
    # The delivery log has one delivered attempt per event.
    log = api.get(SUBSCRIPTIONS + f"{Subscription.objects.get().pk}/deliveries/").json()
    assert len(log["results"]) == len(events)
    assert {d["status"] for d in log["results"]} == {"delivered"}
    assert all(d["http_status"] == 204 and d["attempt"] == 1 for d in log["results"])


def test_tampered_body_and_stale_timestamp_are_refused(app, receiver, staff, procedure):
    _client, api = app
    subscribe(api, receiver)
    receive_dossier(staff, procedure)
    drain()
    delivered = receiver.requests[0]
    secret = receiver.secrets[0]
    Webhook(secret).verify(delivered.body, delivered.headers)  # the genuine one verifies

    tampered = delivered.body.replace(b'"dossier.', b'"dossiex.', 1)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(tampered, delivered.headers)
    assert post(receiver.url + "/hook", tampered, delivered.headers) == 401

    msg_id = delivered.headers["webhook-id"]
    stale = signature_headers(
        msg_id, delivered.body, [secret], now=datetime.now(UTC) - timedelta(minutes=10)
    )
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(secret).verify(delivered.body, stale)
    assert post(receiver.url + "/hook", delivered.body, stale) == 401
    assert len(receiver.refused) == 2
    assert len(receiver.verified) == len(receiver.requests) - 2


def test_both_secrets_verify_during_rotation(app, receiver, staff, procedure):
    _client, api = app
    sub = subscribe(api, receiver)
    old = sub["secret"]
    rotated = api.post(SUBSCRIPTIONS + f"{sub['id']}/rotate-secret/", {}, format="json")
    assert rotated.status_code == 200
    new = rotated.json()["secret"]
    assert new != old and new.startswith("whsec_")
    valid_until = datetime.fromisoformat(rotated.json()["previous_secret_valid_until"])
    assert timedelta(hours=23) < valid_until - timezone.now() <= timedelta(hours=24)

    receive_dossier(staff, procedure)
    drain()
    delivery = receiver.requests[0]
    assert len(delivery.headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(delivery.body, delivery.headers)
    Webhook(new).verify(delivery.body, delivery.headers)

    # A rotation with no overlap: from now on only the newest secret signs.
    newest = api.post(
        SUBSCRIPTIONS + f"{sub['id']}/rotate-secret/", {"overlap_hours": 0}, format="json"
    ).json()["secret"]
    receiver.secrets.append(newest)
    receive_dossier(staff, procedure)
    drain()
    later = receiver.requests[-1]
    assert len(later.headers["webhook-signature"].split(" ")) == 1
    Webhook(newest).verify(later.body, later.headers)
    for expired in (old, new):
        with pytest.raises(WebhookVerificationError):
            Webhook(expired).verify(later.body, later.headers)


def test_replay_redelivers_exactly_a_range(app, receiver, staff, procedure, agency):
    _client, api = app
    sub = subscribe(api, receiver)
    now = timezone.now()
    with time_machine.travel(now - timedelta(hours=3), tick=False):
        first = receive_dossier(staff, procedure)
    with time_machine.travel(now - timedelta(hours=2), tick=False):
        onestop.forward(actor=act(staff.specialist), dossier=first.code, note="Hợp lệ")
    with time_machine.travel(now - timedelta(hours=1), tick=False):
        onestop.forward(actor=act(staff.head), dossier=first.code)
    drain()
    delivered = len(receiver.verified)
    in_range = [
        f"{e.chain}-{e.seq}"
        for e in dossier_events(agency)
        if now - timedelta(hours=2, minutes=30) <= e.occurred_at < now - timedelta(minutes=90)
    ]
    assert in_range

    response = api.post(
        SUBSCRIPTIONS + f"{sub['id']}/replay/",
        {
            "from": (now - timedelta(hours=2, minutes=30)).isoformat(),
            "to": (now - timedelta(minutes=90)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 202, response.json()
    assert response.json()["count"] == len(in_range)
    drain()
    replayed = receiver.verified[delivered:]
    assert sorted(e["id"] for e in replayed) == sorted(in_range)
    assert all(e["egovreplay"] is True for e in replayed)
    log = api.get(SUBSCRIPTIONS + f"{sub['id']}/deliveries/").json()["results"]
    assert sum(1 for d in log if d["is_replay"]) == len(in_range)


def test_failures_are_retried_with_backoff_and_logged(app, staff, procedure, agency):
    _client, api = app
    with ReceiverStandIn([], fail_first=2) as receiver:
        sub = subscribe(api, receiver, types=["dossier.received"])
        receive_dossier(staff, procedure)
        assert dispatch_once() == 1
        message = OutboxMessage.objects.get(topic="cloudevent")
        assert message.status == OutboxMessage.Status.FAILED
        assert message.next_attempt_at > timezone.now() + timedelta(seconds=10)
        assert dispatch_once() == 0  # not before its backoff
        assert dispatch_once(now=message.next_attempt_at + timedelta(seconds=1)) == 1
        message.refresh_from_db()
        assert message.status == OutboxMessage.Status.FAILED and message.attempts == 2
        assert dispatch_once(now=message.next_attempt_at + timedelta(seconds=1)) == 1
        message.refresh_from_db()
        assert message.status == OutboxMessage.Status.DELIVERED
        # Every attempt verified; the first two were answered 503, the third accepted.
        assert [(r.event is not None, r.status) for r in receiver.requests] == [
            (True, 503),
            (True, 503),
            (True, 204),
        ]
    log = api.get(SUBSCRIPTIONS + f"{sub['id']}/deliveries/").json()["results"]
    assert [(d["attempt"], d["status"], d["http_status"]) for d in log] == [
        (3, "delivered", 204),
        (2, "failed", 503),
        (1, "failed", 503),
    ]
    assert len({d["cloudevent_id"] for d in log}) == 1  # the same id on every attempt
    failed = api.get(SUBSCRIPTIONS + f"{sub['id']}/deliveries/?status=failed").json()["results"]
    assert len(failed) == 2


def dispatch_once(now: Any = None) -> int:
    """Dispatch due messages; how many webhook attempts were made."""
    before = Delivery.objects.count()
    dispatch_due(now=now)
    return Delivery.objects.count() - before


def test_gone_disables_the_subscription(app, staff, procedure):
    _client, api = app
    with ReceiverStandIn([], mode="gone") as receiver:
        sub = subscribe(api, receiver, types=["dossier.received"])
        dossier = receive_dossier(staff, procedure)
        drain()
        assert len(receiver.requests) == 1
        row = Subscription.objects.get(pk=sub["id"])
        assert row.is_active is False and "410" in row.disabled_reason
        assert Delivery.objects.get().status == DeliveryStatus.GONE
        assert Event.objects.filter(event_type="webhook_subscription.disabled").count() == 1
        onestop.forward(actor=act(staff.specialist), dossier=dossier, note="Hợp lệ")
        receive_dossier(staff, procedure)
        drain()
        assert len(receiver.requests) == 1  # nothing more sent
    shown = api.get(SUBSCRIPTIONS + f"{sub['id']}/").json()
    assert shown["is_active"] is False
    # The client switches it back on once its receiver is fixed.
    assert api.patch(SUBSCRIPTIONS + f"{sub['id']}/", {"is_active": True}, format="json").json()[
        "is_active"
    ]


def test_ping_sends_a_signed_test_delivery(app, receiver):
    _client, api = app
    sub = subscribe(api, receiver, types=["dossier.received"])
    response = api.post(SUBSCRIPTIONS + f"{sub['id']}/ping/")
    assert response.status_code == 202
    drain()
    assert [e["type"] for e in receiver.verified] == ["webhook_subscription.pinged"]
    assert receiver.verified[0]["id"] == response.json()["event_id"]
