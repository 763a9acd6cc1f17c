from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "egov.core"
    label = "core"
    verbose_name = "Nền tảng"

    def ready(self) -> None:
        from django.urls import register_converter
        from django.utils.module_loading import autodiscover_modules

        from .converters import IdConverter

        # Before any URLconf is imported: the apps' routes use <id:...> for row ids.
        register_converter(IdConverter, "id")
        # Each app's error_codes.py declares its codes (listed in the OpenAPI schema).
        autodiscover_modules("error_codes")

        from .api_scopes import discover

        # Every app's api_scopes.py, so a scope declared twice fails at start-up.
        discover()
