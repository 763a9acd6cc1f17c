"""Operators see subscriptions (never their secrets) and the read-only delivery log, and can
switch a subscription off and on through the services."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from egov.events.models import Event
from egov.org.models import Role
from egov.webhooks.models import Delivery, Subscription

from .conftest import drain, receive_dossier, subscribe

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(agency, make_official, login_with_mfa):  # type: ignore[no-untyped-def]
    user = make_official(agency, roles=[Role.OPERATOR]).user
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="webhooks",
            codename__in=["view_subscription", "view_delivery", "change_subscription"],
        )
    )
    login_with_mfa(user)
    return user


def test_operator_reads_subscriptions_and_log_and_switches_off(
    client, operator, app, receiver, staff, procedure
):
    _c, api = app
    sub = subscribe(api, receiver, types=["dossier.received"])
    receive_dossier(staff, procedure)
    drain()
    listing = client.get("/quan-tri/webhooks/subscription/")
    assert listing.status_code == 200 and "Hệ thống của sở" in listing.content.decode()
    detail = client.get(f"/quan-tri/webhooks/subscription/{sub['id']}/change/")
    assert detail.status_code == 200
    row = Subscription.objects.get()
    assert sub["secret"] not in detail.content.decode()
    assert row.secret_encrypted not in detail.content.decode()
    delivery = Delivery.objects.get()
    log = client.get(f"/quan-tri/webhooks/delivery/{delivery.pk}/change/")
    assert log.status_code == 200 and delivery.cloudevent_id in log.content.decode()
    assert client.get("/quan-tri/webhooks/delivery/add/").status_code == 403

    client.post(
        "/quan-tri/webhooks/subscription/",
        {"action": "disable_selected", "_selected_action": [str(row.pk)]},
    )
    row.refresh_from_db()
    assert row.is_active is False
    assert Event.objects.filter(event_type="webhook_subscription.disabled").count() == 1
    client.post(
        "/quan-tri/webhooks/subscription/",
        {"action": "enable_selected", "_selected_action": [str(row.pk)]},
    )
    row.refresh_from_db()
    assert row.is_active is True
