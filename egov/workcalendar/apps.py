from django.apps import AppConfig


class WorkCalendarConfig(AppConfig):
    name = "egov.workcalendar"
    label = "workcalendar"
    verbose_name = "Lịch làm việc"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_migrate, post_save

        from .models import SpecialDay, WorkingHours
        from .services import WorkingCalendar

        def forget(**_kwargs: object) -> None:
            WorkingCalendar.clear_cache()

        for model in (SpecialDay, WorkingHours):
            post_save.connect(forget, sender=model, weak=False)
            post_delete.connect(forget, sender=model, weak=False)

        post_migrate.connect(load_official_days_on_migrate, sender=self, weak=False)


def load_official_days_on_migrate(using: str = "default", **_kwargs: object) -> None:
    """`migrate` loads the government's announced days off and swap days (official_days.py), so a
    fresh installation has the 2026 New Year swap without a manual step. Dates offered before are
    skipped: the operator's changes and deletions win. WORKCALENDAR_LOAD_OFFICIAL_DAYS = False
    turns it off (an installation that keeps its calendar entirely by hand)."""
    from django.conf import settings
    from django.db import connections

    from egov.core.actors import SYSTEM

    from .models import OfficialDayLoaded, SpecialDay
    from .services import load_official_days

    if not getattr(settings, "WORKCALENDAR_LOAD_OFFICIAL_DAYS", True):
        return
    tables = set(connections[using].introspection.table_names())
    if not {OfficialDayLoaded._meta.db_table, SpecialDay._meta.db_table} <= tables:
        return  # migrated backwards past the calendar's tables
    load_official_days(actor=SYSTEM, only_new=True)
