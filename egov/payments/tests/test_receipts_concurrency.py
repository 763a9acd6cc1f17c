"""Receipts issued at the same moment from several processes (workers delivering the receipt
messages, a redelivered message racing the first): each payment gets exactly one receipt, one
event, and the numbers are 1..N without a gap or a repeat.

PostgreSQL runs 12 payments over 4 processes, each process trying every payment in its own
order; the SQLite file database 6 over 3 (one writer at a time there)."""

from __future__ import annotations

import multiprocessing

import pytest
from django.db import connection, connections

from egov.events.models import Event
from egov.payments.models import Receipt, ReceiptCounter

from .receipts_helpers import pay, seal_fixture, seal_hierarchy_fixture  # noqa: F401


def _issue_all(codes: list[str]) -> list[tuple[str, int]]:
    from egov.payments.services import receipts

    connections.close_all()  # a fresh connection in this process
    if connection.vendor == "sqlite":
        # One writer at a time, each signing inside its transaction: wait instead of failing.
        connection.settings_dict["OPTIONS"]["timeout"] = 300
    issued = [(code, receipts.issue(code).number) for code in codes]
    connections.close_all()
    return issued


@pytest.mark.django_db(transaction=True)
def test_concurrent_issues_number_each_payment_once_without_gaps(
    criminal_record, submit, make_citizen, seal
):
    processes, count = (4, 12) if connection.vendor == "postgresql" else (3, 6)
    codes = [pay(submit(make_citizen(), criminal_record)).code for _ in range(count)]
    connections.close_all()
    orders = [codes[i * 3 :] + codes[: i * 3] for i in range(processes)]
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(processes) as pool:
        results = pool.map(_issue_all, orders)
    # Every process got, for each payment, the one receipt whoever issued it.
    seen: dict[str, set[int]] = {}
    for batch in results:
        for code, number in batch:
            seen.setdefault(code, set()).add(number)
    assert all(len(numbers) == 1 for numbers in seen.values())
    assert Receipt.objects.count() == count
    assert sorted(Receipt.objects.values_list("number", flat=True)) == list(range(1, count + 1))
    assert ReceiptCounter.objects.get().last == count
    assert Event.objects.filter(event_type="payment.receipt_issued").count() == count
