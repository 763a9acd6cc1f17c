# Issue #14 (statuses matched to the exact package): status records stored before they were
# linked to a package are linked where the match is unambiguous: exactly one package of the
# document between the same two parties (the one agency on our side and the other party). When
# a document went out as several packages (new, update, revoke) the old records stay unlinked
# rather than guessed. Delivered or refused packages whose delivery answer was recorded (an
# "answered" event) get `answered_at` from the latest one; a package marked delivered by a
# status alone (the bug) keeps it empty, so its delivery is not taken as answered. Frozen on purpose: no live code.

from django.db import migrations

ANSWERED = ("exchange.package_delivered", "exchange.package_refused_by_recipient")


def backfill(apps, schema_editor):
    StatusRecord = apps.get_model("exchange", "StatusRecord")
    Outgoing = apps.get_model("exchange", "OutgoingPackage")
    Incoming = apps.get_model("exchange", "IncomingPackage")
    Event = apps.get_model("events", "Event")
    unlinked = StatusRecord.objects.filter(
        outgoing_package__isnull=True, incoming_package__isnull=True, agency__isnull=False
    )
    for record in unlinked.iterator():
        other = record.from_organ_id if record.direction == "in" else record.to_organ_id
        outgoing = list(
            Outgoing.objects.filter(
                document_id=record.document_id,
                sender_agency_id=record.agency_id,
                recipient_organ_id=other,
            ).values_list("pk", flat=True)[:2]
        )
        incoming = list(
            Incoming.objects.filter(
                document_id=record.document_id,
                recipient_agency_id=record.agency_id,
                sender_organ_id=other,
            ).values_list("pk", flat=True)[:2]
        )
        if len(outgoing) + len(incoming) != 1:
            continue
        if outgoing:
            record.outgoing_package_id = outgoing[0]
        else:
            record.incoming_package_id = incoming[0]
        record.save(update_fields=["outgoing_package", "incoming_package"])
    for event in Event.objects.filter(
        event_type__in=ANSWERED, subject_type="exchange.outgoing_package"
    ).order_by("-occurred_at", "-id").iterator():  # the latest answer of a resent package
        if event.subject_id.isdigit():
            Outgoing.objects.filter(
                pk=int(event.subject_id),
                answered_at__isnull=True,
                delivery_status__in=("delivered", "rejected"),
            ).update(answered_at=event.occurred_at)


class Migration(migrations.Migration):
    dependencies = [
        ("exchange", "0005_package_links"),
        ("events", "0006_checkpoint_timestamps"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
