"""The applicant's own pages in the header (egov.core.navigation): their dossiers and, where the
portal has it, the inbox of the notices sent to them."""

from django.utils.translation import gettext_noop as N_

from egov.core.navigation import Area, allowed, declare_area

from .views import _applicant_required

declare_area(
    Area(
        "my_dossiers",
        N_("Hồ sơ của tôi"),
        "portal:my_dossiers",
        5,
        lambda r: allowed(_applicant_required, r),
    )
)
# Left out of the header while the portal has no inbox route (NoReverseMatch).
declare_area(
    Area("inbox", N_("Thông báo"), "portal:inbox", 6, lambda r: allowed(_applicant_required, r))
)
