from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "egov.meetings"
    label = "meetings"
    verbose_name = "Phòng họp không giấy, lấy ý kiến bằng văn bản"

    def ready(self) -> None:
        from egov.documents.listeners import on_issued

        from . import event_types, scopes  # noqa: F401
        from .services import conclusions, consultations, notify  # noqa: F401  (notify: in-app)

        on_issued(consultations.on_result_issued)  # a consultation's result document issued
        on_issued(conclusions.document_issued)  # the conclusion notice issued: its tasks start
