"""Stand-ins the benchmark settings plug in (egov/settings/bench.py)."""

from __future__ import annotations

from typing import Any


class DiscardSmsGateway:
    """SMS_GATEWAY for the benchmark: accepts every message and sends nothing, so the Huey
    consumer measured by the `memory` scenario delivers SMS like e-mail instead of retrying."""

    def send(self, *, to: str, text: str, idempotency_key: str) -> None:
        return None


# The receipt deliverer (topic "payment_receipt") belongs to services/receipts.py (a signed PDF
# and XML). Where that is not there yet, the payments benchmark and the kill -9 test of the
# worker (EGOV_STAND_IN_RECEIPTS=1 in their processes' environment, read at start-up by
# egov/bench/apps.py) plug in this stand-in: one numbered Receipt row per payment, issued
# idempotently in the payment's issue_receipt action, without the documents.
def issue_stand_in_receipt(message: Any) -> None:
    from django.utils import timezone

    from egov.cases import perform
    from egov.core.actors import SYSTEM
    from egov.payments import event_types as E
    from egov.payments.cases import PAYMENT
    from egov.payments.models import Collector, Receipt, ReceiptCounter

    code = str(message.payload["payment"])
    with perform(PAYMENT, "issue_receipt", actor=SYSTEM, case=code) as act:
        payment = act.case
        if Receipt.objects.filter(payment=payment).exists():
            raise _AlreadyIssued
        collector = Collector.objects.filter(agency_id=payment.agency_id).first()
        template = collector.receipt_template if collector else "01BLP0-001"
        series = collector.receipt_series if collector else "TT-26E"
        now = timezone.now()
        counter, _ = ReceiptCounter.objects.select_for_update().get_or_create(
            template=template, series=series, year=now.year
        )
        counter.last += 1
        counter.save(update_fields=["last"])
        receipt = Receipt.objects.create(
            payment=payment,
            agency_id=payment.agency_id,
            template=template,
            series=series,
            year=now.year,
            number=counter.last,
            issued_at=now,
            amount=payment.amount,
            fields={"stand_in": True},
        )
        act.record(
            E.RECEIPT_ISSUED,
            receipt=str(receipt),
            template=template,
            series=series,
            number=receipt.number,
            year=receipt.year,
            pdf_sha256="",
            xml_sha256="",
        )


class _AlreadyIssued(Exception):
    pass


def _issue_once(message: Any) -> None:
    try:
        issue_stand_in_receipt(message)
    except _AlreadyIssued:
        return


def use_stand_in_receipts() -> bool:
    """Register the stand-in receipt deliverer unless the real one is there (True if it was
    registered now or before)."""
    import importlib
    import importlib.util

    from egov.events.services import get_deliverer, register_deliverer
    from egov.payments.services.settle import RECEIPT_TOPIC

    # The real deliverer may be registered by the payments app's modules: load them first.
    for module in ("egov.payments.tasks", "egov.payments.services.receipts"):
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)
    existing = get_deliverer(RECEIPT_TOPIC)
    if existing is not None:
        return existing is _issue_once
    register_deliverer(RECEIPT_TOPIC)(_issue_once)
    return True
