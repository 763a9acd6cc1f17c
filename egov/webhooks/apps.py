from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "egov.webhooks"
    label = "webhooks"
    verbose_name = "Gửi sự kiện cho ứng dụng kết nối"

    def ready(self) -> None:
        from . import delivery, event_types, projector, scopes  # noqa: F401
