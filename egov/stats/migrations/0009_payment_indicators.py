# Issue #17 (online payment): 766 indicators 3.5 and 3.6 are measured from the payments app;
# their descriptions said they needed an online payment platform. A text an operator has
# changed is left alone. Points and thresholds stay as they are (data, per year).

from django.db import migrations

DESCRIPTIONS = {
    "3.5": (
        "Cần nền tảng thanh toán trực tuyến.",
        "Thủ tục có phí, lệ phí được cung cấp trực tuyến tại cơ quan đã nhận thanh toán trực "
        "tuyến (Cổng thanh toán quốc gia, chuyển khoản VietQR) / thủ tục có phí, lệ phí đang công "
        "bố của cơ quan.",
    ),
    "3.6": (
        "Cần nền tảng thanh toán trực tuyến.",
        "Hồ sơ đã thanh toán phí, lệ phí trực tuyến / hồ sơ có phí, lệ phí phải nộp phát sinh "
        "trong kỳ (không tính khoản đã hủy khi chưa nộp).",
    ),
}


def describe(apps, schema_editor, forward=True):
    IndexIndicator = apps.get_model("stats", "IndexIndicator")
    for code, (old, new) in DESCRIPTIONS.items():
        before, after = (old, new) if forward else (new, old)
        IndexIndicator.objects.filter(code=code, description=before).update(description=after)


def undescribe(apps, schema_editor):
    describe(apps, schema_editor, forward=False)


class Migration(migrations.Migration):

    dependencies = [
        ('stats', '0008_apology_promise_counters'),
    ]

    operations = [
        migrations.RunPython(describe, undescribe),
    ]
