from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "egov.events"
    label = "events"
    verbose_name = "Nhật ký sự kiện"

    def ready(self) -> None:
        from . import deliverers, scopes  # noqa: F401
