"""The national payment platform (Nền tảng thanh toán trực tuyến of the national public service
portal): the applicant is sent to the platform's payment page and the platform tells us the
outcome by a signed callback (protocol: egov/payments/national.py; calls and callback:
services/national.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from django.conf import settings

from egov.core.errors import DomainError

from ..error_codes import PaymentErrorCode
from . import Provider

if TYPE_CHECKING:
    from egov.cases import Action

    from ..models import Attempt, Collector, Payment

# The outbox topic of the INIT call (its deliverer: services/national.py).
INIT_TOPIC = "payment_init"


def platform_configured() -> bool:
    """The platform's address, our partner code and the shared secret are set (from the
    environment: PAYMENT_PLATFORM_URL, PAYMENT_PARTNER_CODE, PAYMENT_PARTNER_SECRET)."""
    return all(
        str(getattr(settings, name, "") or "")
        for name in ("PAYMENT_PLATFORM_URL", "PAYMENT_PARTNER_CODE", "PAYMENT_PARTNER_SECRET")
    )


class NationalPlatform(Provider):
    code: ClassVar[str] = "national"
    label: ClassVar[str] = "Cổng thanh toán quốc gia (Nền tảng thanh toán trực tuyến)"
    description: ClassVar[str] = (
        "Thanh toán bằng thẻ, tài khoản ngân hàng hoặc ví điện tử trên Nền tảng thanh toán "
        "trực tuyến của Cổng Dịch vụ công quốc gia; kết quả được cập nhật ngay sau khi thanh "
        "toán."
    )
    online: ClassVar[bool] = True

    def configured(self, collector: Collector | None) -> bool:
        return platform_configured()

    def start(self, act: Action[Payment], attempt: Attempt) -> None:
        """Queue the INIT in the start action's transaction: it is sent after the commit (and
        again after a crash, with the same MaThamChieu) by the outbox worker, which stores the
        payment page on the attempt (attempt_opened)."""
        if not platform_configured():
            raise DomainError(
                "Chưa kết nối được Cổng thanh toán quốc gia. Vui lòng chọn hình thức khác.",
                code=PaymentErrorCode.PROVIDER_UNAVAILABLE,
            )
        if isinstance(attempt.amount, bool) or not isinstance(attempt.amount, int):
            raise DomainError(
                "Số tiền phải là số nguyên (đồng).", code=PaymentErrorCode.INVALID_AMOUNT
            )
        if attempt.amount <= 0:
            raise DomainError("Số tiền phải lớn hơn 0.", code=PaymentErrorCode.INVALID_AMOUNT)
        act.enqueue(
            INIT_TOPIC,
            {"attempt": attempt.reference},
            idempotency_key=f"payment-init-{attempt.reference}",
        )
