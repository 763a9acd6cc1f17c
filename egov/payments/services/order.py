"""Lock order between a payment and its dossier.

A dossier action locks the dossier first, records on the agency's chain, and its payments
projector then locks the dossier's payments (a refusal, withdrawal or stop cancels what is due
and asks back what was paid: dues.on_dossier_ended). A payment action that also writes the
dossier (settling, a refund paid back: the dossier's payment state) must take the dossier
first too; payment first and dossier second, the two could each hold what the other waits for
(the same deadlock the national deliverer had with the dossier actions, issue #19).
"""

from __future__ import annotations

from egov.dossiers.models import Dossier

from ..models import Payment


def dossier_first(payment: Payment) -> None:
    """Lock the payment's dossier row, inside the payment action's transaction, before it."""
    list(Dossier.objects.select_for_update().filter(pk=payment.dossier_id).values_list("pk"))
