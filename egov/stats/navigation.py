"""The operations dashboard in the header, for whoever may view it (egov.core.navigation)."""

from django.utils.translation import gettext_noop as N_

from egov.core.actors import actor_from_request
from egov.core.navigation import Area, declare_area

from .scopes import may_view_dashboard

declare_area(
    Area(
        "stats",
        N_("Điều hành"),
        "stats:dashboard",
        40,
        lambda r: may_view_dashboard(actor_from_request(r)),
    )
)
