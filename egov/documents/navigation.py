"""The documents pages in the header, for whoever they let in (egov.core.navigation)."""

from django.utils.translation import gettext_noop as N_

from egov.core.navigation import Area, allowed, declare_area

from .access import documents_official

declare_area(
    Area(
        "documents", N_("Văn bản"), "documents:index", 30, lambda r: allowed(documents_official, r)
    )
)
