"""Starter 766 index for 2025: the five groups and the indicators named in the domain notes.

The points per indicator and the thresholds not stated there are defaults, not legal values:
operators change them per year in the administration (Quản trị > Chỉ số 766)."""

from decimal import Decimal

from django.db import migrations

YEAR = 2025
GROUPS = [
    ("1", "Công khai, minh bạch", 18),
    ("2", "Tiến độ, kết quả giải quyết", 20),
    ("3", "Cung cấp dịch vụ công trực tuyến", 22),
    ("4", "Số hóa hồ sơ, kết quả giải quyết", 22),
    ("5", "Mức độ hài lòng", 18),
]
INDICATORS = [
    ("1", "1.4", "Tỷ lệ hồ sơ đồng bộ lên Cổng Dịch vụ công quốc gia", 18, 100,
     "Hồ sơ đã đồng bộ / hồ sơ tiếp nhận trong kỳ."),
    ("2", "2.1", "Tỷ lệ hồ sơ giải quyết đúng hạn", 12, 100,
     "(Hồ sơ giải quyết đúng, trước hạn + đang xử lý trong hạn cuối kỳ) / (hồ sơ giải quyết "
     "+ đang xử lý cuối kỳ, không tính hồ sơ chờ công dân bổ sung)."),
    ("2", "2.2", "Thời gian giải quyết trung bình so với thời hạn quy định", 8, 100,
     "Thời hạn theo quy định / thời gian thực tế (giờ làm việc, trừ thời gian chờ bổ sung), "
     "tối đa 100%."),
    ("3", "3.1", "Tỷ lệ thủ tục cung cấp dịch vụ công trực tuyến", 6, 80,
     "Thủ tục trực tuyến toàn trình hoặc một phần / thủ tục đang công bố của cơ quan."),
    ("3", "3.3", "Tỷ lệ hồ sơ nộp trực tuyến", 8, 50, "Hồ sơ tiếp nhận qua kênh trực tuyến / "
     "hồ sơ tiếp nhận."),
    ("3", "3.5", "Tỷ lệ thủ tục có phí, lệ phí thanh toán trực tuyến", 4, 80,
     "Cần nền tảng thanh toán trực tuyến."),
    ("3", "3.6", "Tỷ lệ hồ sơ thanh toán trực tuyến", 4, 50, "Cần nền tảng thanh toán trực tuyến."),
    ("4", "4.1", "Tỷ lệ hồ sơ trả kết quả điện tử", 8, 100,
     "Hồ sơ trả kết quả có tệp kết quả điện tử / hồ sơ đã trả kết quả."),
    ("4", "4.2", "Tỷ lệ số hóa hồ sơ", 10, 80,
     "Hồ sơ tiếp nhận có thành phần số hóa (nộp trực tuyến hoặc scan tại Một cửa) / hồ sơ "
     "tiếp nhận."),
    ("4", "4.3", "Tỷ lệ khai thác, sử dụng lại dữ liệu số hóa", 4, 50,
     "Cần kho dữ liệu số hóa dùng chung."),
    ("5", "5.1", "Xử lý phản ánh, kiến nghị đúng hạn", 6, 100,
     "Cần hệ thống tiếp nhận phản ánh, kiến nghị."),
    ("5", "5.4", "Mức độ hài lòng trong giải quyết thủ tục hành chính", 12, 90,
     "100% − (tỷ lệ trễ, quá hạn + tỷ lệ không hài lòng), trên hồ sơ xử lý trong kỳ."),
]


def seed(apps, schema_editor):
    IndexGroup = apps.get_model("stats", "IndexGroup")
    IndexIndicator = apps.get_model("stats", "IndexIndicator")
    if IndexGroup.objects.filter(year=YEAR).exists():
        return
    groups = {}
    for order, (code, name, points) in enumerate(GROUPS, start=1):
        groups[code] = IndexGroup.objects.create(
            year=YEAR, code=code, name=name, max_points=Decimal(points), order=order
        )
    for order, (group, code, name, points, threshold, description) in enumerate(INDICATORS, 1):
        IndexIndicator.objects.create(
            year=YEAR,
            group=groups[group],
            code=code,
            name=name,
            description=description,
            max_points=Decimal(points),
            threshold=Decimal(threshold),
            order=order,
        )


def unseed(apps, schema_editor):
    apps.get_model("stats", "IndexIndicator").objects.filter(year=YEAR).delete()
    apps.get_model("stats", "IndexGroup").objects.filter(year=YEAR).delete()


class Migration(migrations.Migration):
    dependencies = [("stats", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
