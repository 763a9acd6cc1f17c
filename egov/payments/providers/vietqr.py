"""VietQR bank transfer: the applicant scans a dynamic QR (the collector's account, the amount,
the attempt's reference as the transfer's purpose) with any NAPAS member bank's app. Nothing is
called at start: the QR is built on our side. The money is confirmed later, when the
accountant imports the bank statement and its line is matched to the attempt by its reference
(services/statements.py), then settled like any other payment (services/settle.py)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar

from egov.core.errors import DomainError

from .. import event_types as E
from .. import vietqr
from ..error_codes import PaymentErrorCode
from ..models import AttemptStatus, Collector
from . import Provider

if TYPE_CHECKING:
    from egov.cases import Action

    from ..models import Attempt, Payment

_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]+")


def purpose_for(reference: str) -> str:
    """The transfer purpose carrying `reference`: the reference itself when a QR can carry it,
    else its letters and digits only (the statement matching ignores case, spaces and
    separators anyway). Raises QRInputError when even that is too long."""
    text = vietqr.clean_purpose(reference)
    if len(text) <= vietqr.MAX_PURPOSE and re.fullmatch(r"[A-Za-z0-9\-]+", text):
        return text
    return _NOT_ALNUM.sub("", text).upper()


class VietQR(Provider):
    code: ClassVar[str] = "vietqr"
    label: ClassVar[str] = "Chuyển khoản ngân hàng bằng mã VietQR"
    description: ClassVar[str] = (
        "Quét mã QR bằng ứng dụng ngân hàng: số tài khoản, số tiền và nội dung chuyển khoản "
        "được điền sẵn. Khoản nộp được xác nhận khi cơ quan đối chiếu sao kê ngân hàng."
    )
    online: ClassVar[bool] = True

    def configured(self, collector: Collector | None) -> bool:
        return bool(
            collector is not None
            and re.fullmatch(r"[0-9]{6}", collector.bank_bin or "")
            and re.fullmatch(r"[A-Za-z0-9]{1,19}", collector.bank_account or "")
        )

    def start(self, act: Action[Payment], attempt: Attempt) -> None:
        """Runs inside the start_attempt action: the QR payload written on the attempt, the
        attempt open, payment.attempt_opened recorded on the same action (not a nested one)."""
        payment = act.case
        collector = Collector.objects.filter(agency_id=payment.agency_id).first()
        if collector is None or not self.configured(collector):
            raise DomainError(
                "Cơ quan chưa khai báo tài khoản ngân hàng nhận chuyển khoản VietQR.",
                code=PaymentErrorCode.COLLECTOR_NOT_CONFIGURED,
            )
        attempt.qr_payload = vietqr.payload(
            bin=collector.bank_bin,
            account=collector.bank_account,
            amount=attempt.amount,
            purpose=purpose_for(attempt.reference),
        )
        attempt.status = AttemptStatus.OPEN
        attempt.save(update_fields=["qr_payload", "status"])
        act.record(E.ATTEMPT_OPENED, attempt=attempt.reference, provider=self.code)
