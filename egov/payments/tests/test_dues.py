"""A dossier with fees due opens its payment by its own event; withdrawing it cancels what is
still due; settling marks the dossier paid at once and queues the receipt."""

from __future__ import annotations

import pytest

from egov.core.actors import SYSTEM
from egov.dossiers.models import PaymentState
from egov.events.models import Event, OutboxMessage
from egov.payments.models import Attempt, AttemptStatus, PaymentStatus
from egov.payments.services.settle import AmountMismatch, settle

from .conftest import FEE, payment_of

pytestmark = pytest.mark.django_db


def test_a_submission_with_fees_opens_its_payment(criminal_record, submit, make_citizen):
    dossier = submit(make_citizen(), criminal_record)
    payment = payment_of(dossier)
    assert (payment.amount, payment.status, payment.before_processing) == (
        FEE,
        PaymentStatus.DUE,
        True,
    )
    dossier.refresh_from_db()
    assert dossier.payment_state == PaymentState.DUE
    opened = Event.objects.get(event_type="payment.opened")
    assert opened.subject_id == payment.code
    assert opened.payload["cause"] == Event.objects.get(event_type="dossier.submitted").pk


def test_settling_marks_paid_once_and_refuses_another_amount(criminal_record, submit, make_citizen):
    dossier = submit(make_citizen(), criminal_record)
    payment = payment_of(dossier)
    attempt = Attempt.objects.create(
        payment=payment, provider="national", reference="REF-1", amount=FEE
    )
    with pytest.raises(AmountMismatch):
        settle(actor=SYSTEM, attempt=attempt, amount=FEE - 1)
    assert payment_of(dossier).status == PaymentStatus.DUE
    settle(actor=SYSTEM, attempt=attempt, amount=FEE, provider_transaction="GD1")
    settle(actor=SYSTEM, attempt=attempt, amount=FEE, provider_transaction="GD1")
    payment = payment_of(dossier)
    assert payment.status == PaymentStatus.PAID
    assert Attempt.objects.get().status == AttemptStatus.SUCCEEDED
    assert Event.objects.filter(event_type="payment.paid").count() == 1
    assert OutboxMessage.objects.filter(idempotency_key=f"receipt-{payment.code}").count() == 1
    dossier.refresh_from_db()
    assert (dossier.payment_state, dossier.amount_paid) == (PaymentState.PAID, FEE)
