# Issue #13 (edXML status flow): packages whose latest status, before the flow was tracked, was a
# take-back code (13/15/16) have no stored processing step; status_flow.state_of would read them
# as standing at 01 and refuse their next 03/04/05/06. Their steps are read back from the status
# history of the same document between the same two parties: the latest of 01–06 is the
# processing step, the latest of 13/15/16 the take-back step. Frozen on purpose: no live code.

from django.db import migrations

PROCESSING = ("01", "02", "03", "04", "05", "06")
TAKE_BACK = ("13", "15", "16")
DOCUMENT_FLOWS = (0, 3)  # new and replacing documents: the only flows with a take-back track


def latest(records, codes):
    rows = [r for r in records if r.status_code in codes]
    return max(rows, key=lambda r: (r.timestamp, r.pk)).status_code if rows else ""


def backfill(apps, schema_editor):
    StatusRecord = apps.get_model("exchange", "StatusRecord")
    pending = {"processing_code": "", "take_back_code": "", "status_code__in": TAKE_BACK}
    for model, ours, theirs in (
        ("OutgoingPackage", "sender_agency_id", "recipient_organ_id"),
        ("IncomingPackage", "recipient_agency_id", "sender_organ_id"),
    ):
        Package = apps.get_model("exchange", model)
        for package in Package.objects.filter(
            business_doc_type__in=DOCUMENT_FLOWS, **pending
        ).iterator():
            other = getattr(package, theirs)
            records = list(
                StatusRecord.objects.filter(
                    document_id=package.document_id, agency_id=getattr(package, ours)
                ).filter(from_organ_id=other)
                | StatusRecord.objects.filter(
                    document_id=package.document_id, agency_id=getattr(package, ours)
                ).filter(to_organ_id=other)
            )
            package.processing_code = latest(records, PROCESSING) or "01"
            package.take_back_code = latest(records, TAKE_BACK) or package.status_code
            package.save(update_fields=["processing_code", "take_back_code"])


class Migration(migrations.Migration):
    dependencies = [("exchange", "0002_status_flow_state")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
