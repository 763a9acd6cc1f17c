"""The accounting pages in the header (egov.core.navigation): "Thu phí" opens the daily
reconciliation for the agency's accountants and leaders and for operators; one-stop receivers
(who may ask for refunds, not reconcile) get "Hoàn trả phí" instead."""

from django.utils.translation import gettext_noop as N_

from egov.core.navigation import Area, allowed, declare_area

from .views.accounting import may_handle_refunds, may_reconcile

declare_area(
    Area(
        "payments_accounting",
        N_("Thu phí"),
        "payments:reconciliation",
        37,
        lambda r: allowed(may_reconcile, r),
    )
)
declare_area(
    Area(
        "payments_refunds",
        N_("Hoàn trả phí"),
        "payments:refunds",
        38,
        lambda r: allowed(may_handle_refunds, r) and not allowed(may_reconcile, r),
    )
)
