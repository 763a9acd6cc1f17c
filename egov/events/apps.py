from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "egov.events"
    label = "events"
    verbose_name = "Nhật ký sự kiện"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django.utils.module_loading import autodiscover_modules

        from . import deliverers, scopes, tasks  # noqa: F401 - tasks registers the worker kick
        from .dbguard import register_sqlite_functions

        connection_created.connect(register_sqlite_functions, dispatch_uid="egov.events.sqlite")
        # Each app's event_types.py declares its part of the event catalogue.
        autodiscover_modules("event_types")
