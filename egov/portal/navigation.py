"""The applicant's own pages in the header (egov.core.navigation): their dossiers and the inbox of
the notices sent to them."""

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
declare_area(
    Area(
        "notices",
        N_("Thông báo của tôi"),
        "portal:notices",
        6,
        lambda r: allowed(_applicant_required, r),
    )
)
