"""Lock order between settling a payment and an action on its dossier (issue #19).

A dossier action locks the dossier, records on the agency's chain and its payments projector
then locks the dossier's payments (a refusal cancels what is due). Settling locks the payment
and writes the dossier's payment state: it must take the dossier first as well, or the two,
running at once, deadlock (PostgreSQL aborts one: the official's refusal or the payment
platform's callback)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection, connections, transaction

from egov.core.actors import SYSTEM
from egov.dossiers.models import Dossier, PaymentState
from egov.events.services import lock_chain
from egov.payments.models import Attempt, Payment
from egov.payments.services.settle import settle

from .conftest import payment_of

pytestmark = pytest.mark.django_db(transaction=True)


def _someone_waits_on_a_lock(timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.05)
    return False


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
    outcome: dict[str, Any] = {}

    def callback() -> None:
        try:
            settle(actor=SYSTEM, attempt=attempt.reference, amount=payment.amount)
            outcome["done"] = True
        except Exception as exc:  # reported by the assertion below
            outcome["error"] = exc
        finally:
            connections.close_all()

    worker = threading.Thread(target=callback)
    with transaction.atomic():
        # An official's action on the dossier: its row, then the agency's chain ...
        Dossier.objects.select_for_update().get(pk=dossier.pk)
        lock_chain(dossier.agency_id)
        worker.start()
        assert _someone_waits_on_a_lock(), "settling did not wait for the dossier"
        # ... then its payments projector locks the payment: settling must not hold it.
        Payment.objects.select_for_update(nowait=True).get(pk=payment.pk)
    worker.join(15)
    assert outcome == {"done": True}
    assert Dossier.objects.get(pk=dossier.pk).payment_state == PaymentState.PAID
