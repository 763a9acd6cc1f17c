from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "egov.org"
    label = "org"
    verbose_name = "Tổ chức"

    def ready(self) -> None:
        from egov.core.actors import set_official_lookup

        from .models import Official

        # An official's agency and roles, for every actor built from a user (egov.core.actors).
        set_official_lookup(Official.of_user)
