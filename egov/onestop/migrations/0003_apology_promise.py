"""Dossiers whose apology letter (form 04) was approved before #13: the engine then overwrote
the legal appointment with the promised date. Put the promise in `promised_at` and give the
appointment back: the first approved letter's previous date, moved by the supplement pauses
answered after that letter (the engine's rule today, workcalendar.deadlines.due_after_pause).
Afterwards `manage.py rebuild_stats` recounts the dashboard from the corrected rows."""

from datetime import timedelta

from django.db import migrations


def split_promise(apps, schema_editor):  # type: ignore[no-untyped-def]
    # The live calendar and rule, not a frozen copy: the dates must be those the engine gives.
    from egov.workcalendar.deadlines import due_after_pause
    from egov.workcalendar.services import WorkingCalendar

    Dossier = apps.get_model("dossiers", "Dossier")
    ApologyLetter = apps.get_model("onestop", "ApologyLetter")
    SupplementRequest = apps.get_model("onestop", "SupplementRequest")
    letters = ApologyLetter.objects.filter(status="approved", decided_at__isnull=False)
    dossier_ids = letters.values_list("dossier_id", flat=True).distinct()
    for dossier in Dossier.objects.filter(
        pk__in=dossier_ids, appointment_at__isnull=False, promised_at__isnull=True
    ).select_related("procedure", "process_version"):
        first = letters.filter(dossier_id=dossier.pk).order_by("decided_at", "pk").first()
        source = dossier.process_version or dossier.procedure
        by_session = source.time_unit == "hours"
        calendar = WorkingCalendar.for_agency(dossier.agency_id)
        legal = first.previous_appointment_at
        for request in SupplementRequest.objects.filter(
            dossier_id=dossier.pk, answered_at__gt=first.decided_at
        ).order_by("answered_at"):
            paused = timedelta(seconds=request.paused_seconds)
            legal = due_after_pause(calendar, legal, paused, by_session=by_session)
        dossier.promised_at = dossier.appointment_at
        dossier.appointment_at = legal
        dossier.save(update_fields=["promised_at", "appointment_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_procedure_chains"),
        ("dossiers", "0007_promised_date"),
        ("onestop", "0002_indexes"),
        ("workcalendar", "0001_initial"),
    ]

    operations = [migrations.RunPython(split_promise, migrations.RunPython.noop)]
