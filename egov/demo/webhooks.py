"""The demo's webhook subscriber: an API client "Ứng dụng kết nối mẫu" (province-wide, scope
`webhooks:manage`) subscribed to the dossiers' events (`dossier.*`), delivered to the local
stand-in receiver that scripts/run starts (egov/webhooks/standin.py).

Everything goes through the services (accounts.create_api_client, webhooks.create_subscription /
update_subscription / rotate_secret), so each change is an event like any client's. Run again,
it keeps the client and the subscription, points it at `target_url` and gives it a new secret
(the receiver of this run is started with it); the API token is never shown (the demo needs none:
an operator issues one in the administration to try the /api/v1/webhooks/ API)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction

from egov.core.actors import SYSTEM, Actor, actor_for_api_client

DEMO_CLIENT_NAME = "Ứng dụng kết nối mẫu"
DEMO_SUBSCRIPTION_NAME = "Theo dõi hồ sơ (bên nhận mô phỏng)"
DEMO_EVENT_TYPES = ["dossier.*"]
DEMO_SCOPES = ["webhooks:manage"]


@dataclass(frozen=True)
class DemoWebhook:
    subscription_id: int
    secret: str
    created: bool


@transaction.atomic
def load_demo_webhook(*, target_url: str, actor: Actor = SYSTEM) -> DemoWebhook:
    from egov.accounts.models import ApiClient
    from egov.accounts.services import create_api_client
    from egov.webhooks import services
    from egov.webhooks.models import Subscription

    client = ApiClient.objects.filter(name=DEMO_CLIENT_NAME, agency__isnull=True).first()
    if client is None:
        client, _token = create_api_client(actor=actor, name=DEMO_CLIENT_NAME, scopes=DEMO_SCOPES)
    as_client = actor_for_api_client(client)
    sub = Subscription.objects.filter(api_client=client, name=DEMO_SUBSCRIPTION_NAME).first()
    if sub is None:
        sub, secret = services.create_subscription(
            actor=as_client,
            name=DEMO_SUBSCRIPTION_NAME,
            target_url=target_url,
            event_types=DEMO_EVENT_TYPES,
        )
        return DemoWebhook(sub.pk, secret, created=True)
    services.update_subscription(
        actor=as_client, subscription_id=sub.pk, target_url=target_url, is_active=True
    )
    # The previous run's receiver is gone: its secret need not stay valid.
    sub, secret = services.rotate_secret(
        actor=as_client, subscription_id=sub.pk, overlap=timedelta(0)
    )
    return DemoWebhook(sub.pk, secret, created=False)
