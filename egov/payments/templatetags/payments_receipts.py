"""`{% load payments_receipts %}{% receipt_link dossier %}`: links to a dossier's electronic
receipts (page, PDF, XML) for whoever may see them, to put where a page shows the dossier's paid
status (the portal's and the one-stop's dossier pages). A paid dossier whose receipt is not
issued yet says it is being issued; otherwise nothing when the viewer may not see any."""

from __future__ import annotations

from typing import Any

from django import template

from egov.core.actors import actor_from_request
from egov.core.scoping import visible_to

from ..models import Receipt
from ..services.receipts import number_text

register = template.Library()


def receipts_for(request: Any, dossier: Any) -> list[dict[str, Any]]:
    """The dossier's receipts the request's actor may see (payments.scopes), oldest first."""
    if request is None or dossier is None or getattr(dossier, "pk", None) is None:
        return []
    actor = actor_from_request(request)
    rows = visible_to(actor, Receipt.objects.filter(payment__dossier_id=dossier.pk)).order_by(
        "issued_at", "pk"
    )
    return [{"uid": r.uid, "series": r.series, "number_text": number_text(r.number)} for r in rows]


@register.inclusion_tag("payments/_receipt_link.html", takes_context=True)
def receipt_link(context: template.Context, dossier: Any) -> dict[str, Any]:
    receipts = receipts_for(context.get("request"), dossier)
    # Paid, and the worker has not issued the receipt yet (a second or so; longer if it waits
    # for the agency's seal): say so rather than show nothing.
    pending = not receipts and getattr(dossier, "payment_state", "") == "paid"
    return {"receipts": receipts, "pending": pending}
