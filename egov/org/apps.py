from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "egov.org"
    label = "org"
    verbose_name = "Tổ chức"

    def ready(self) -> None:
        from egov.core.actors import set_official_lookup
        from egov.events.agencies import register_agency_model

        from . import pages  # noqa: F401
        from .models import Agency, Official

        # An official's agency and roles, for every actor built from a user (egov.core.actors).
        set_official_lookup(Official.of_user)
        # The event-log admin filters and labels events by agency name.
        register_agency_model(Agency)
