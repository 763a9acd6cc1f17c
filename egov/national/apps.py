from django.apps import AppConfig


class NationalConfig(AppConfig):
    name = "egov.national"
    label = "national"
    verbose_name = "Đồng bộ Cổng Dịch vụ công quốc gia"

    def ready(self) -> None:
        from egov.dossiers.services import register_official_title

        from . import delivery, event_types, projector  # noqa: F401

        # What officials read in a dossier's processing log instead of the event type's code.
        register_official_title(event_types.SYNCED.name, "Đồng bộ lên Cổng Dịch vụ công quốc gia")
        register_official_title(
            event_types.SYNC_RESENT.name, "Gửi lại hồ sơ lên Cổng Dịch vụ công quốc gia"
        )
