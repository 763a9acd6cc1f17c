"""The meetings pages in the header ("Họp"), for every official (egov.core.navigation)."""

from django.utils.translation import gettext_noop as N_

from egov.core.navigation import Area, allowed, declare_area

from .views.common import meetings_official

declare_area(
    Area("meetings", N_("Họp"), "meetings:index", 35, lambda r: allowed(meetings_official, r))
)
