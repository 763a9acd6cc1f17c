"""Lock order between a payment action and an action on its dossier (issue #19;
payments/cases.py).

A dossier action locks the dossier, records on the agency's chain and its payments projector
then locks the dossier's payments (a refusal cancels what is due). Every payment action takes
the dossier first as well: one that locked the payment first would wait for the dossier
(settling, a refund paid back: they write its payment state) or for the chain head, while the
dossier action waits for the payment, and PostgreSQL aborts one of the two (the official's
refusal or the payment)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction
from django.urls import reverse

from egov.conftest import Background, someone_waits_on_a_lock
from egov.core.actors import SYSTEM
from egov.dossiers.models import Dossier, PaymentState
from egov.events.services import lock_chain
from egov.onestop import services as onestop
from egov.payments.models import Attempt, Callback, Payment, PaymentStatus, Refund
from egov.payments.services import refunds
from egov.payments.services.cash import record_cash
from egov.payments.services.settle import settle

from . import national_support
from .accounting_support import pay, rules
from .conftest import actor, payment_of
from .national_support import post_raw, press, start_attempt

platform = national_support.platform

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers")


def while_the_dossier_is_acted_on(
    dossier: Dossier, payment: Payment, action: Callable[[], Any]
) -> dict[str, Any]:
    """Hold what an official's action on the dossier holds (its row, then the agency's chain),
    start `action`, and check it waits for the dossier without holding the payment, which the
    dossier action's payments projector locks next. Returns the action's outcome."""
    with transaction.atomic():
        Dossier.objects.select_for_update().get(pk=dossier.pk)
        lock_chain(dossier.agency_id)
        worker = Background(action)
        assert someone_waits_on_a_lock(), "the payment action did not wait for the dossier"
        Payment.objects.select_for_update(nowait=True).get(pk=payment.pk)
    return worker.outcome()


def test_settling_takes_the_dossier_before_the_payment(
    criminal_record: Any, submit: Any, make_citizen: Any
) -> None:
    dossier = submit(make_citizen(), criminal_record)
    payment = payment_of(dossier)
    attempt = Attempt.objects.create(
        payment=payment, provider="national", reference="TT-THU-0001", amount=payment.amount
    )

    outcome = while_the_dossier_is_acted_on(
        dossier,
        payment,
        lambda: settle(actor=SYSTEM, attempt=attempt.reference, amount=payment.amount),
    )

    assert outcome == {"done": True}
    assert Dossier.objects.get(pk=dossier.pk).payment_state == PaymentState.PAID


def test_cash_at_the_desk_takes_the_dossier_before_the_payment(
    criminal_record: Any, submit: Any, make_citizen: Any, staff: Any
) -> None:
    """Cash starts an attempt (a payment action that records on the chain) and settles it, in
    one transaction: the dossier comes first, before the attempt's event too."""
    dossier = submit(make_citizen(), criminal_record)
    payment = payment_of(dossier)

    outcome = while_the_dossier_is_acted_on(
        dossier,
        payment,
        lambda: record_cash(
            actor=actor(staff.receiver), payment=payment.code, amount=payment.amount
        ),
    )

    assert outcome == {"done": True}
    assert payment_of(dossier).status == PaymentStatus.PAID
    assert Dossier.objects.get(pk=dossier.pk).payment_state == PaymentState.PAID


def test_a_refund_paid_back_takes_the_dossier_before_the_payment(
    criminal_record: Any, submit: Any, make_citizen: Any, staff: Any
) -> None:
    rules(("withdrawn", True, 100, True))
    citizen = make_citizen()
    dossier = submit(citizen, criminal_record)
    pay(payment_of(dossier))
    onestop.withdraw_by_applicant(user=citizen, dossier=dossier.code, reason="Nộp nhầm thủ tục")
    refund = Refund.objects.get()
    refunds.approve(actor=actor(staff.leader), refund=refund)

    outcome = while_the_dossier_is_acted_on(
        dossier,
        payment_of(dossier),
        lambda: refunds.complete(actor=actor(staff.accountant), refund=refund.pk),
    )

    assert outcome == {"done": True}
    assert payment_of(dossier).status == PaymentStatus.REFUNDED
    assert Dossier.objects.get(pk=dossier.pk).payment_state == PaymentState.REFUNDED


def test_the_national_platforms_callback_takes_the_dossier_before_the_payment(
    platform: Any, live_server: Any, criminal_record: Any, submit: Any, make_citizen: Any
) -> None:
    """The callback locks the payment itself before it settles: it takes the dossier first."""
    citizen = make_citizen()
    dossier = submit(citizen, criminal_record)
    payment = payment_of(dossier)
    attempt = start_attempt(citizen, payment, reference="QG-LOCK-1")
    attempt.refresh_from_db()
    platform.set_mode("no-callback")
    press(attempt.redirect_url)  # paid on the platform; its confirmation is ours to send
    body = json.dumps(platform.confirm(platform.transactions[attempt.reference])).encode()
    url = live_server.url + reverse("payments:national_callback")
    answers: list[Any] = []

    outcome = while_the_dossier_is_acted_on(
        dossier, payment, lambda: answers.append(post_raw(url, body))
    )

    assert outcome == {"done": True}
    assert answers == [(200, {"MaLoi": "00", "MoTa": "Đã ghi nhận kết quả thanh toán."})]
    assert Callback.objects.get().verdict == "accepted"
    assert Dossier.objects.get(pk=dossier.pk).payment_state == PaymentState.PAID
