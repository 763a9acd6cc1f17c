"""The one-stop queue in the header, for whoever its pages let in (egov.core.navigation)."""

from django.utils.translation import gettext_noop as N_

from egov.core.navigation import Area, allowed, declare_area

from .access import queue_official

declare_area(
    Area("onestop", N_("Một cửa"), "onestop:queue", 20, lambda r: allowed(queue_official, r))
)
