"""The workspace and the administration in the header (egov.core.navigation)."""

from django.contrib import admin
from django.utils.translation import gettext_noop as N_

from egov.core.navigation import Area, allowed, declare_area

from .views import workspace_allowed

declare_area(
    Area(
        "workspace",
        N_("Không gian làm việc"),
        "web:workspace",
        10,
        lambda r: allowed(workspace_allowed, r),
    )
)
declare_area(Area("admin", N_("Quản trị"), "admin:index", 90, admin.site.has_permission))
