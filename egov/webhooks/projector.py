"""Every recorded event (`register_projector("")`), in its own transaction: one outbox message
(topic `cloudevent`, key `webhook:<subscription>:<event>`) per active subscription that may
receive it (scopes.may_receive). The message commits with the event or not at all, so no event
is lost and none is announced that did not happen; the deliverer (delivery.py) sends it."""

from __future__ import annotations

from django.db.models import Q

from egov.events.models import Event
from egov.events.services import register_projector

from .models import Subscription
from .scopes import NOT_DELIVERED_SUBJECTS, may_receive
from .services import enqueue_delivery


@register_projector("")
def project(event: Event) -> None:
    if event.subject_type in NOT_DELIVERED_SUBJECTS:
        return
    candidates = Subscription.objects.filter(is_active=True).select_related("api_client")
    if event.agency_id is None:
        candidates = candidates.filter(api_client__agency__isnull=True)
    else:
        candidates = candidates.filter(
            Q(api_client__agency__isnull=True) | Q(api_client__agency_id=event.agency_id)
        )
    for subscription in candidates:
        if may_receive(subscription, event):
            enqueue_delivery(subscription, event)
