from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "egov.payments"
    label = "payments"
    verbose_name = "Thanh toán phí, lệ phí, biên lai điện tử"

    def ready(self) -> None:
        from . import event_types, projector, scopes  # noqa: F401
        from .providers import load_providers
        from .services import (
            national,  # noqa: F401  (its outbox deliverers)
            receipts,  # noqa: F401  (the payment_receipt deliverer)
        )

        load_providers()
