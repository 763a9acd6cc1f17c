from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "egov.exchange"
    label = "exchange"
    verbose_name = "Liên thông văn bản (edXML)"

    def ready(self) -> None:
        from . import delivery, scopes  # noqa: F401 - registers the deliverers and scope policies
