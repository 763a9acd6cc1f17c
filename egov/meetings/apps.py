from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "egov.meetings"
    label = "meetings"
    verbose_name = "Phòng họp không giấy, lấy ý kiến bằng văn bản"

    def ready(self) -> None:
        from egov.documents.listeners import on_issued

        from . import event_types, scopes  # noqa: F401
        from .services import notify  # noqa: F401  (the in-app outbox deliverer)
        from .services.consultations import on_result_issued

        on_issued(on_result_issued)  # a consultation's result document issued
