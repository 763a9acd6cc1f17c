"""Cash at the one-stop desk (tiền mặt): the receiver takes the money and records it
(services/cash.py); nothing leaves the platform, so starting is all there is."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import Provider

if TYPE_CHECKING:
    from egov.cases import Action

    from ..models import Attempt, Collector, Payment


class Cash(Provider):
    code = "cash"
    label = "Tiền mặt tại Bộ phận Một cửa"
    description = "Nộp tiền mặt cho cán bộ tiếp nhận; biên lai điện tử được gửi sau khi ghi nhận."
    online = False

    def configured(self, collector: Collector | None) -> bool:
        return True

    def start(self, act: Action[Payment], attempt: Attempt) -> None:
        """The money is in the receiver's hand: settled in the same transaction (record_cash)."""
