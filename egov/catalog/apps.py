from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "egov.catalog"
    label = "catalog"
    verbose_name = "Thủ tục hành chính"

    def ready(self) -> None:
        from . import pages, scopes  # noqa: F401
