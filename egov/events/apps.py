from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "egov.events"
    label = "events"
    verbose_name = "Nhật ký sự kiện"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from . import deliverers, scopes  # noqa: F401
        from .dbguard import register_sqlite_functions

        connection_created.connect(register_sqlite_functions, dispatch_uid="egov.events.sqlite")
