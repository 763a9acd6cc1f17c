"""Attacks on webhooks: another client's subscription, undeclared or private event types,
another agency's events, server-side request forgery, secrets shown or logged again."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.test import Client

from egov.events.models import Event, OutboxMessage
from egov.webhooks import services
from egov.webhooks.models import Delivery, Subscription
from egov.webhooks.standin import ReceiverStandIn

from .conftest import SUBSCRIPTIONS, drain, make_client, receive_dossier, subscribe

pytestmark = pytest.mark.django_db


def test_another_clients_subscription_is_out_of_reach(app, other_agency, agency, receiver):
    _owner, api = app
    sub = subscribe(api, receiver)
    url = SUBSCRIPTIONS + f"{sub['id']}/"
    for intruder_agency in (agency, other_agency, None):
        _c, intruder = make_client(intruder_agency)
        assert intruder.get(SUBSCRIPTIONS).json()["results"] == []
        attempts = [
            intruder.get(url),
            intruder.patch(url, {"target_url": "https://evil.example.org/"}, format="json"),
            intruder.delete(url),
            intruder.post(url + "replay/", {"from": "2020-01-01T00:00:00Z"}, format="json"),
            intruder.post(url + "rotate-secret/", {}, format="json"),
            intruder.post(url + "ping/"),
            intruder.get(url + "deliveries/"),
        ]
        for response in attempts:
            assert response.status_code == 404, response.content
            assert response.json()["code"] == "not_found"
    row = Subscription.objects.get(pk=sub["id"])
    assert row.target_url == receiver.url + "/hook" and row.previous_secret_encrypted == ""
    assert not OutboxMessage.objects.filter(topic="cloudevent").exists()


def test_users_and_clients_without_the_scope_are_refused(agency, make_citizen, receiver):
    _c, unscoped = make_client(agency, ["catalog:read"])
    assert unscoped.get(SUBSCRIPTIONS).status_code == 403
    assert unscoped.post(SUBSCRIPTIONS, {}, format="json").status_code == 403
    citizen = make_citizen()
    browser = Client()
    browser.force_login(citizen)
    refused = browser.get(SUBSCRIPTIONS)
    assert refused.status_code == 403
    assert refused.json()["code"] == "webhook_client_only"


@pytest.mark.parametrize(
    "types",
    [
        ["dossier.nonexistent"],
        ["nothing.*"],
        ["*"],
        [".*"],
        ["user.registered"],  # declared, but accounts are never delivered
        ["api_client.*"],
        ["webhook_subscription.created"],  # webhooks' own bookkeeping
        [],
    ],
)
def test_undeclared_or_private_event_types_are_refused(app, receiver, types):
    _c, api = app
    response = api.post(
        SUBSCRIPTIONS,
        {"name": "x", "target_url": receiver.url + "/hook", "event_types": types},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] in ("webhook_unknown_event_type", "invalid")
    assert not Subscription.objects.exists()


def test_an_agency_client_never_receives_another_agencys_events(
    app, other_agency, staff, procedure, agency
):
    _mine, mine_api = app
    _theirs, theirs_api = make_client(other_agency)
    _province, province_api = make_client(None)
    with (
        ReceiverStandIn([]) as mine,
        ReceiverStandIn([]) as theirs,
        ReceiverStandIn([]) as province,
    ):
        subscribe(mine_api, mine)
        subscribe(theirs_api, theirs)
        subscribe(province_api, province)
        receive_dossier(staff, procedure)  # in `agency`
        drain()
        assert mine.verified and not theirs.requests
        assert len(province.verified) == len(mine.verified)
        # Nor by a replay of all time.
        sub = Subscription.objects.get(api_client=_theirs)
        result = theirs_api.post(
            SUBSCRIPTIONS + f"{sub.pk}/replay/", {"from": "2000-01-01T00:00:00Z"}, format="json"
        )
        assert result.status_code == 202 and result.json()["count"] == 0
        drain()
        assert not theirs.requests


SSRF_TARGETS = [
    "http://example.org/hook",  # not https
    "ftp://example.org/hook",
    "file:///etc/passwd",
    "https://127.0.0.1/hook",
    "https://localhost:8000/hook",
    "http://localhost:8000/hook",
    "https://[::1]/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://0.0.0.0/hook",
    "https://10.0.0.8/hook",
    "https://172.16.4.1/hook",
    "https://192.168.1.10/hook",
    "https://100.64.0.1/hook",  # shared address space
    "https://169.254.169.254/latest/meta-data/",  # cloud metadata
    "https://[fd00::1]/hook",
    "https://2130706433/hook",  # 127.0.0.1 written as a number
    "https://0x7f000001/hook",
    "https://user:password@example.org/hook",
    "https://example.org/hook#x",
    "https://example.org/" + "a" * 600,
    "https://exa mple.org/hook",
]


@pytest.mark.parametrize("target", SSRF_TARGETS)
def test_ssrf_targets_are_refused(app, settings, target):
    settings.WEBHOOK_ALLOW_LOCALHOST = False
    _c, api = app
    response = api.post(
        SUBSCRIPTIONS,
        {"name": "x", "target_url": target, "event_types": ["dossier.received"]},
        format="json",
    )
    assert response.status_code == 400, target
    assert response.json()["code"] in ("webhook_target_refused", "invalid")
    assert not Subscription.objects.exists()


def test_a_target_turned_private_is_refused_at_delivery(app, settings, staff, procedure):
    _c, api = app
    with ReceiverStandIn([]) as receiver:
        sub = subscribe(api, receiver, types=["dossier.received"])
        settings.WEBHOOK_ALLOW_LOCALHOST = False  # production rules from now on
        receive_dossier(staff, procedure)
        drain()
        assert not receiver.requests
    delivery = Delivery.objects.get(subscription_id=sub["id"])
    assert delivery.status == "failed" and delivery.error
    assert OutboxMessage.objects.get(topic="cloudevent").status == OutboxMessage.Status.FAILED
    # Nor can an update point it there.
    settings.WEBHOOK_ALLOW_LOCALHOST = False
    moved = api.patch(
        SUBSCRIPTIONS + f"{sub['id']}/",
        {"target_url": "https://169.254.169.254/"},
        format="json",
    )
    assert moved.status_code == 400 and moved.json()["code"] == "webhook_target_refused"


def test_secrets_are_shown_once_and_never_logged(app, receiver, staff, procedure, caplog):
    caplog.set_level(logging.DEBUG)
    _c, api = app
    sub = subscribe(api, receiver)
    secret = sub["secret"]
    rotated = api.post(SUBSCRIPTIONS + f"{sub['id']}/rotate-secret/", {}, format="json").json()
    new = rotated["secret"]
    receive_dossier(staff, procedure)
    drain()
    assert receiver.verified
    answers = [
        api.get(SUBSCRIPTIONS),
        api.get(SUBSCRIPTIONS + f"{sub['id']}/"),
        api.patch(SUBSCRIPTIONS + f"{sub['id']}/", {"name": "Đổi tên"}, format="json"),
        api.get(SUBSCRIPTIONS + f"{sub['id']}/deliveries/"),
    ]
    for response in answers:
        text = response.content.decode()
        assert secret not in text and new not in text and '"secret"' not in text
    # Not in the logs, the event log, the outbox, nor in clear in the table.
    assert secret not in caplog.text and new not in caplog.text
    stored = json.dumps(list(Event.objects.values_list("payload", flat=True)))
    stored += json.dumps(list(OutboxMessage.objects.values_list("payload", flat=True)))
    stored += json.dumps(list(Delivery.objects.values_list("error", flat=True)))
    row: Any = Subscription.objects.get(pk=sub["id"])
    stored += row.secret_encrypted + row.previous_secret_encrypted
    for value in (secret, new, secret.removeprefix("whsec_"), new.removeprefix("whsec_")):
        assert value not in stored
    assert services.signing_secrets(row) == [new, secret]


def test_replay_is_bounded_and_refused_whole(app, receiver, settings, staff, procedure):
    settings.WEBHOOK_REPLAY_MAX_EVENTS = 1
    _c, api = app
    sub = subscribe(api, receiver)
    receive_dossier(staff, procedure)
    drain()
    sent = len(receiver.requests)
    assert sent > 1
    response = api.post(
        SUBSCRIPTIONS + f"{sub['id']}/replay/", {"from": "2000-01-01T00:00:00Z"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "webhook_replay_too_large"
    reversed_range = api.post(
        SUBSCRIPTIONS + f"{sub['id']}/replay/",
        {"from": "2030-01-01T00:00:00Z", "to": "2029-01-01T00:00:00Z"},
        format="json",
    )
    assert reversed_range.json()["code"] == "webhook_replay_range_invalid"
    drain()
    assert len(receiver.requests) == sent
    assert not Event.objects.filter(event_type="webhook_subscription.replayed").exists()
