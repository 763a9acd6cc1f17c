"""Payments opened by the dossier's own events, in the same transaction (a dossier submitted
with fees due, received at the desk with fees due, asked to pay at a step). The dossier's event
is the record of why; the opening records `payment.opened` naming it.

What follows from the other dossier events (a dossier refused or withdrawn before it paid:
nothing is due any more; after it paid: a refund asked where the rules say so) is
services.dues.on_dossier_ended, also run here; a payment settled after its dossier ended is
asked back the same way (project_payment).
"""

from __future__ import annotations

from egov.dossiers import event_types as DE
from egov.events.models import Event
from egov.events.services import register_projector

from . import event_types as PE
from .services import dues, refunds


@register_projector("dossier.")
def project(event: Event) -> None:
    name = event.event_type
    if name in (DE.SUBMITTED.name, DE.RECEIVED.name):
        dues.open_for_fees(event)
    elif name == DE.PAYMENT_REQUESTED.name:
        dues.open_for_request(event)
    elif name in (DE.REFUSED.name, DE.WITHDRAWN.name, DE.STOPPED.name):
        dues.on_dossier_ended(event)


@register_projector("payment.")
def project_payment(event: Event) -> None:
    # Money that arrived after its dossier ended (withdrawn while the transfer was on its way):
    # asked back at once where the refund rule says so, in the settle's own transaction.
    if event.event_type == PE.PAID.name:
        refunds.after_paid(event)
