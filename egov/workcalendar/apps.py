from django.apps import AppConfig


class WorkCalendarConfig(AppConfig):
    name = "egov.workcalendar"
    label = "workcalendar"
    verbose_name = "Lịch làm việc"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from .models import SpecialDay, WorkingHours
        from .services import WorkingCalendar

        def forget(**_kwargs: object) -> None:
            WorkingCalendar.clear_cache()

        for model in (SpecialDay, WorkingHours):
            post_save.connect(forget, sender=model, weak=False)
            post_delete.connect(forget, sender=model, weak=False)
