from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "egov.core"
    label = "core"
    verbose_name = "Nền tảng"

    def ready(self) -> None:
        from django.urls import register_converter

        from .converters import IdConverter

        # Before any URLconf is imported: the apps' routes use <id:...> for row ids.
        register_converter(IdConverter, "id")

        from .api_scopes import discover

        # Every app's api_scopes.py, so a scope declared twice fails at start-up.
        discover()
