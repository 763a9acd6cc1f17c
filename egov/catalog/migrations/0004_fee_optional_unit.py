from django.db import migrations, models


def mark_requested_fees(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Fees the catalogue already named as charged only on request ("… (nếu yêu cầu)") become
    optional; those priced per copy ("…/bản") are charged per copy asked for."""
    Fee = apps.get_model("catalog", "Fee")
    for fee in Fee.objects.filter(name__icontains="(nếu yêu cầu)"):
        fee.optional = True
        if "/bản" in fee.rule:
            fee.unit = "bản"
        fee.save(update_fields=["optional", "unit"])


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_procedure_chains"),
    ]

    operations = [
        migrations.AddField(
            model_name="fee",
            name="optional",
            field=models.BooleanField(default=False, verbose_name="chỉ thu khi người nộp yêu cầu"),
        ),
        migrations.AddField(
            model_name="fee",
            name="unit",
            field=models.CharField(
                blank=True, max_length=30, verbose_name="đơn vị tính (thu theo số lượng)"
            ),
        ),
        migrations.RunPython(mark_requested_fees, migrations.RunPython.noop),
    ]
