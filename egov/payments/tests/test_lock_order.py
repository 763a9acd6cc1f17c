"""Lock order between settling a payment and an action on its dossier (issue #19).

A dossier action locks the dossier, records on the agency's chain and its payments projector
then locks the dossier's payments (a refusal cancels what is due). Settling locks the payment
and writes the dossier's payment state: it must take the dossier first as well, or the two,
running at once, deadlock (PostgreSQL aborts one: the official's refusal or the payment
platform's callback)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction

from egov.conftest import Background, someone_waits_on_a_lock
from egov.core.actors import SYSTEM
from egov.dossiers.models import Dossier, PaymentState
from egov.events.services import lock_chain
from egov.payments.models import Attempt, Payment
from egov.payments.services.settle import settle

from .conftest import payment_of

pytestmark = pytest.mark.django_db(transaction=True)


def test_settling_takes_the_dossier_before_the_payment(
    criminal_record: Any, submit: Any, make_citizen: Any
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers")
    dossier = submit(make_citizen(), criminal_record)
    payment = payment_of(dossier)
    attempt = Attempt.objects.create(
        payment=payment, provider="national", reference="TT-THU-0001", amount=payment.amount
    )
    with transaction.atomic():
        # An official's action on the dossier: its row, then the agency's chain ...
        Dossier.objects.select_for_update().get(pk=dossier.pk)
        lock_chain(dossier.agency_id)
        worker = Background(
            lambda: settle(actor=SYSTEM, attempt=attempt.reference, amount=payment.amount)
        )
        assert someone_waits_on_a_lock(), "settling did not wait for the dossier"
        # ... then its payments projector locks the payment: settling must not hold it.
        Payment.objects.select_for_update(nowait=True).get(pk=payment.pk)
    assert worker.outcome() == {"done": True}
    assert Dossier.objects.get(pk=dossier.pk).payment_state == PaymentState.PAID
