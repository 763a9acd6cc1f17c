"""The demo's webhook subscriber (scripts/run): `load_demo_webhooks --target` makes the client
"Ứng dụng kết nối mẫu" subscribed to dossier.* and prints the signing secret alone; a receiver
started with that secret verifies the deliveries of a real dossier; run again, the same
subscription gets a new secret and the old one no longer signs."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from egov.accounts.models import ApiClient
from egov.demo.webhooks import DEMO_CLIENT_NAME
from egov.onestop.tests.conftest import act, media, procedure, staff  # noqa: F401
from egov.webhooks.models import Subscription
from egov.webhooks.standin import ReceiverStandIn
from egov.webhooks.tests.conftest import drain, receive_dossier

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _local_targets(settings):
    settings.WEBHOOK_ALLOW_LOCALHOST = True  # scripts/run exports it for its receiver


def _load(target: str) -> str:
    out = StringIO()
    call_command("load_demo_webhooks", "--target", target, stdout=out)
    return out.getvalue().strip()


def test_the_demo_receiver_verifies_the_dossier_events(staff, procedure):  # noqa: F811
    with ReceiverStandIn([]) as receiver:
        secret = _load(receiver.url + "/hook")
        assert secret.startswith("whsec_") and "\n" not in secret
        receiver.secrets.append(secret)
        dossier = receive_dossier(staff, procedure)
        drain()
        assert not receiver.refused
        assert [e["type"] for e in receiver.verified][:1] == ["dossier.received"]
        assert receiver.verified[0]["subject"] == f"dossier/{dossier.code}"

    client = ApiClient.objects.get(name=DEMO_CLIENT_NAME)
    assert client.agency_id is None and client.scopes == ["webhooks:manage"]
    sub = Subscription.objects.get(api_client=client)
    assert sub.event_types == ["dossier.*"] and sub.is_active


def test_a_second_run_keeps_the_subscription_with_a_new_secret(staff, procedure):  # noqa: F811
    first = _load("http://127.0.0.1:8030/hook")
    with ReceiverStandIn([first]) as receiver:
        second = _load(receiver.url + "/hook")
        assert second != first
        receive_dossier(staff, procedure)
        drain()
        # Signed with the new secret only: a receiver holding the old one refuses them all.
        assert receiver.refused and not receiver.verified
    assert ApiClient.objects.filter(name=DEMO_CLIENT_NAME).count() == 1
    assert Subscription.objects.get().target_url == receiver.url + "/hook"
