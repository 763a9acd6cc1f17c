from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "egov.documents"
    label = "documents"
    verbose_name = "Văn bản đi, văn bản đến"

    def ready(self) -> None:
        from . import checks, scopes  # noqa: F401
        from .exchange_bridge import connect_exchange
        from .incoming import handle_package

        # Packages arriving through the exchange hub become incoming documents "chờ vào sổ".
        connect_exchange(handle_package)
