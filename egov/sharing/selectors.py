"""What each service answers (read-only), built on the owning apps' models and selectors."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from egov.dossiers.models import Dossier, PaymentState
from egov.onestop.models import DossierStep, SignedResult
from egov.payments.sync import dossier_payment_part


def dossier_status(dossier: Dossier) -> dict[str, Any]:
    """The limited status view another agency gets (no applicant identity, no form data, no
    officials' names or notes)."""
    steps = (
        DossierStep.objects.filter(dossier=dossier).select_related("agency").order_by("order", "pk")
    )
    return {
        "code": dossier.code,
        "procedure_code": dossier.procedure.code,
        "procedure_name": dossier.procedure.name,
        "agency_identifier": dossier.agency.identifier,
        "agency_name": dossier.agency.name,
        "status": dossier.status,
        "status_label": dossier.get_status_display(),
        "submitted_at": dossier.submitted_at,
        "received_at": dossier.received_at,
        "appointment_at": dossier.appointment_at,
        "finished_at": dossier.finished_at,
        "returned_at": dossier.returned_at,
        "steps": [
            {
                "order": step.order,
                "name": step.name,
                "agency_name": step.agency.name if step.agency_id else "",
                "status": step.status,
                "started_at": step.started_at,
                "due_at": step.due_at,
                "finished_at": step.finished_at,
            }
            for step in steps
        ],
    }


def signed_results(dossier: Dossier) -> QuerySet[SignedResult]:
    return SignedResult.objects.filter(dossier=dossier).select_related("file").order_by("signed_at")


def payment_status(dossier: Dossier) -> dict[str, Any]:
    part = dossier_payment_part(dossier)
    return {
        "code": dossier.code,
        "payment_state": dossier.payment_state or "none",
        "payment_state_label": PaymentState(dossier.payment_state).label,
        "fee_total": dossier.fee_total,
        "amount_paid": dossier.amount_paid,
        "paid_at": dossier.paid_at,
        "paid_online": part["DuocThanhToanTrucTuyen"] == "1",
        "fees": [
            {"name": fee["TenPhiLePhi"], "amount": fee["Gia"], "collected": fee["HinhThucThu"]}
            for fee in part["DanhSachLePhi"]
        ],
    }
