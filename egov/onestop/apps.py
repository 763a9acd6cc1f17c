from django.apps import AppConfig


class OnestopConfig(AppConfig):
    name = "egov.onestop"
    label = "onestop"
    verbose_name = "Một cửa điện tử"

    def ready(self) -> None:
        # Running dossiers' deadlines follow the operator's changes of the calendar.
        from egov.workcalendar import impact

        from .deadline_moves import DossierDeadlines

        impact.register(DossierDeadlines())
