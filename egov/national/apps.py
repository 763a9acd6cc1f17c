from django.apps import AppConfig


class NationalConfig(AppConfig):
    name = "egov.national"
    label = "national"
    verbose_name = "Đồng bộ Cổng Dịch vụ công quốc gia"

    def ready(self) -> None:
        from . import delivery, event_types, projector  # noqa: F401
