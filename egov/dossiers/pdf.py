"""PDF documents of a dossier (rendered by egov.core.pdfrender).

Form 01, Giấy tiếp nhận hồ sơ và hẹn trả kết quả, follows Mẫu số 01 of Circular
01/2018/TT-VPCP (the forms of the one-stop mechanism; Decree 61/2018/NĐ-CP, which they served, is
replaced by Decree 118/2025/NĐ-CP, whose own forms could not be checked here: the labels are the
2018 circular's, as recalled, and unverified against the 2025 text). Its items: the applicant
(name, address, phone, email), the request, 1. the papers handed in, 2. the number of sets,
3. the legal processing time, 4. the reception time (hour, minute, day), 5. the appointment
(hour, minute, day), 6. where the result is collected, and the register entry (“Vào Sổ theo dõi
hồ sơ, Quyển số … Số thứ tự …”), signed by the applicant and the receiving official. Fees and the
tracking QR code are this platform's additions, and so is the payment status under the fees
(item 7): paid (amount, day, the receipt's number), not paid yet, exempt or refunded.

Form 01 is never stored: every download renders it from the dossier as it is now (its
`payment_state`, `amount_paid`, `paid_at`, kept by the payments app in the settling transaction),
so a dossier paid a moment ago prints as paid, not as the unpaid copy of its reception.

A reprint shows the appointment as given at reception (`Dossier.received_appointment_at`), never
the current one: the paper the applicant holds does not change when the date later moves.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from datetime import datetime

import qrcode
import qrcode.image.svg
from django.utils import timezone

from egov.core.pdfrender import render_pdf
from egov.core.registry import Registry
from egov.events.models import Event

from . import event_types as E
from .fees import shown_lines
from .models import Dossier, PaymentState

# The receipts issued for a dossier's payments ("số 0000001, ký hiệu TP-26E"): the payments app,
# above this one, registers the function that finds them (this app never imports it).
ReceiptReferences = Callable[[Dossier], list[str]]
RECEIPT_REFERENCES: Registry[str, ReceiptReferences] = Registry("receipt references")


def register_receipt_reference(func: ReceiptReferences) -> ReceiptReferences:
    return RECEIPT_REFERENCES.register("receipts", func)


def payment_status(dossier: Dossier) -> dict[str, object] | None:
    """What form 01 says about paying, from the dossier's own fields (None: nothing to say)."""
    state = dossier.payment_state
    if state == PaymentState.PAID:
        find = RECEIPT_REFERENCES.get("receipts")
        return {
            "state": state,
            "amount": dossier.amount_paid,
            "paid_at": dossier.paid_at,
            "receipts": find(dossier) if find is not None else [],
        }
    if state in (PaymentState.DUE, PaymentState.EXEMPT, PaymentState.REFUNDED):
        due = max(dossier.fee_total - dossier.amount_paid, 0)
        return {"state": state, "amount": due if state == PaymentState.DUE else 0}
    return None


def qr_data_uri(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def legal_moment(value: datetime | None) -> str:
    """`08 giờ 05 phút, ngày 23 tháng 11 năm 2026`, local time, as the forms write a moment."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    return f"{local:%H} giờ {local:%M} phút, ngày {local:%d} tháng {local:%m} năm {local:%Y}"


def _receiving_official(dossier: Dossier) -> str:
    """Who received the dossier, as the reception event recorded it."""
    event = (
        Event.objects.filter(
            subject_type="dossier", subject_id=dossier.code, event_type=E.RECEIVED.name
        )
        .order_by("id")
        .first()
    )
    if event is None:
        return ""
    return str(E.RECEIVED.read(event.payload or {}).official)


def receipt_pdf(dossier: Dossier, *, tracking_url: str) -> bytes:
    """Mẫu 01: Giấy tiếp nhận hồ sơ và hẹn trả kết quả."""
    received_at = dossier.received_at or dossier.submitted_at
    return render_pdf(
        "dossiers/pdf/receipt.html",
        {
            "dossier": dossier,
            "files": dossier.files.filter(kind="component").select_related("component"),
            "components": dossier.procedure.components.all(),
            "fees": shown_lines(dossier),
            "qr": qr_data_uri(tracking_url),
            "tracking_url": tracking_url,
            "received_at": received_at,
            "received_moment": legal_moment(received_at),
            "appointment_moment": legal_moment(dossier.receipt_appointment_at),
            "receiving_official": _receiving_official(dossier) if dossier.received_at else "",
            "printed_at": timezone.localtime(),
            "payment": payment_status(dossier),
        },
    )
