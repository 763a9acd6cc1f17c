"""The payment part of a dossier's record for the national public service portal sync (issue
#18 calls `dossier_payment_part`; the record's other fields are that issue's).

    from egov.payments.sync import dossier_payment_part
    record.update(dossier_payment_part(dossier))

returns

    {
        "DanhSachLePhi": [
            {"TenPhiLePhi": "Phí cung cấp thông tin lý lịch tư pháp", "MaPhiLePhi": "",
             "HinhThucThu": "1", "Gia": 200000, "LoaiPhiLePhi": "1"},
            ...
        ],
        "DuocThanhToanTrucTuyen": "1",
    }

- DanhSachLePhi: one entry per fee line of each payment the dossier owed or paid (payments.Payment
  rows: due, paid, refund requested or refunded; a payment cancelled before anything was paid —
  the dossier refused or withdrawn first — is left out: nothing was collected for it). A dossier
  from before the payments app has no payment rows: its own fee lines (Dossier.fee_lines) are
  listed, with how they were to be collected.
  - TenPhiLePhi: the line's name as it applied (an exemption shows in the amount);
  - MaPhiLePhi: empty — the catalogue keeps no national fee code (unverified field; #18 may map
    one);
  - HinhThucThu: when it is collected — "1" at reception (paid with the submission, before
    processing), "2" asked during processing (the one-stop official's payment request), "4"
    before the result is handed over (the procedure's payment timing);
  - Gia: the line's total in integer đồng (amount x quantity);
  - LoaiPhiLePhi: "1", an ordinary fee or charge of the national procedure catalogue.
  The codes of HinhThucThu and LoaiPhiLePhi follow a public integration guide of a ministry's
  portal for the same sync (secondary source, unverified against the national specification).
- DuocThanhToanTrucTuyen: "1" when the dossier paid at least one payment through an online
  provider (the national payment platform, a VietQR transfer), even if it was refunded later;
  "0" otherwise (cash at the desk, nothing paid yet, no fees). As text, like the record's other
  flags in public implementations (unverified).

The rows are read as they are now (one query for the payments); call it when building the record
after the dossier's event, never from inside a payment's transaction.
"""

from __future__ import annotations

from typing import Any

from egov.catalog.models import PaymentTiming
from egov.dossiers.models import Dossier

from .figures import is_online
from .models import Payment, PaymentStatus, Purpose

AT_RECEPTION = "1"
DURING_PROCESSING = "2"
BEFORE_RESULT = "4"
ORDINARY_FEE = "1"


def _entry(line: dict[str, Any], collected: str) -> dict[str, Any]:
    total = line.get("total")
    if not isinstance(total, int):
        total = int(line.get("amount") or 0) * int(line.get("quantity") or 1)
    return {
        "TenPhiLePhi": str(line.get("name") or "")[:255],
        "MaPhiLePhi": "",
        "HinhThucThu": collected,
        "Gia": total,
        "LoaiPhiLePhi": ORDINARY_FEE,
    }


def _collected(payment: Payment) -> str:
    if payment.purpose == Purpose.REQUESTED:
        return DURING_PROCESSING
    return AT_RECEPTION if payment.before_processing else BEFORE_RESULT


def dossier_payment_part(dossier: Dossier | str) -> dict[str, Any]:
    """DanhSachLePhi and DuocThanhToanTrucTuyen of the dossier's sync record (module docstring)."""
    found = (
        dossier
        if isinstance(dossier, Dossier)
        else Dossier.objects.select_related("procedure").get(code=dossier)
    )
    every = list(Payment.objects.filter(dossier=found).order_by("created_at", "pk"))
    payments = [p for p in every if not (p.status == PaymentStatus.CANCELLED and p.paid_at is None)]
    fees: list[dict[str, Any]] = []
    for payment in payments:
        fees += [_entry(line, _collected(payment)) for line in payment.lines or []]
    if not every and found.fee_lines:
        timing = found.procedure.payment_timing
        collected = AT_RECEPTION if timing == PaymentTiming.BEFORE_PROCESSING else BEFORE_RESULT
        fees = [_entry(line, collected) for line in found.fee_lines]
    online = any(p.paid_at is not None and is_online(p.paid_provider) for p in payments)
    return {"DanhSachLePhi": fees, "DuocThanhToanTrucTuyen": "1" if online else "0"}
