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
