# The lookup code printed on each receipt (checked online at payments:receipt_lookup). Added
# nullable, filled for any receipt issued before, then made unique and required.

from django.db import migrations, models

import egov.payments.models


def fill(apps, schema_editor):
    Receipt = apps.get_model("payments", "Receipt")
    for receipt in Receipt.objects.filter(lookup_code__isnull=True).only("pk"):
        receipt.lookup_code = egov.payments.models.new_lookup_code()
        receipt.save(update_fields=["lookup_code"])


class Migration(migrations.Migration):

    dependencies = [
        ("payments", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="receipt",
            name="lookup_code",
            field=models.CharField(max_length=16, null=True, verbose_name="mã tra cứu"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="receipt",
            name="lookup_code",
            field=models.CharField(
                default=egov.payments.models.new_lookup_code,
                max_length=16,
                unique=True,
                verbose_name="mã tra cứu",
            ),
        ),
    ]
