"""The document types of Decree 30/2020/NĐ-CP (appendix III) with their abbreviations, the two
legal normative types a province issues (each with its own number series), and the copy forms."""

from django.db import migrations

# (code, name, abbreviation, is_normative, is_copy)
TYPES = [
    ("nghi-quyet", "Nghị quyết", "NQ", False, False),
    ("quyet-dinh", "Quyết định", "QĐ", False, False),
    ("chi-thi", "Chỉ thị", "CT", False, False),
    ("quy-che", "Quy chế", "QC", False, False),
    ("quy-dinh", "Quy định", "QyĐ", False, False),
    ("thong-cao", "Thông cáo", "TC", False, False),
    ("thong-bao", "Thông báo", "TB", False, False),
    ("huong-dan", "Hướng dẫn", "HD", False, False),
    ("chuong-trinh", "Chương trình", "CTr", False, False),
    ("ke-hoach", "Kế hoạch", "KH", False, False),
    ("phuong-an", "Phương án", "PA", False, False),
    ("de-an", "Đề án", "ĐA", False, False),
    ("du-an", "Dự án", "DA", False, False),
    ("bao-cao", "Báo cáo", "BC", False, False),
    ("bien-ban", "Biên bản", "BB", False, False),
    ("to-trinh", "Tờ trình", "TTr", False, False),
    ("hop-dong", "Hợp đồng", "HĐ", False, False),
    ("cong-van", "Công văn", "", False, False),
    ("cong-dien", "Công điện", "CĐ", False, False),
    ("ban-ghi-nho", "Bản ghi nhớ", "BGN", False, False),
    ("ban-thoa-thuan", "Bản thỏa thuận", "BTT", False, False),
    ("giay-uy-quyen", "Giấy ủy quyền", "GUQ", False, False),
    ("giay-moi", "Giấy mời", "GM", False, False),
    ("giay-gioi-thieu", "Giấy giới thiệu", "GGT", False, False),
    ("giay-nghi-phep", "Giấy nghỉ phép", "GNP", False, False),
    ("phieu-gui", "Phiếu gửi", "PG", False, False),
    ("phieu-chuyen", "Phiếu chuyển", "PC", False, False),
    ("phieu-bao", "Phiếu báo", "PB", False, False),
    ("nghi-quyet-qppl", "Nghị quyết (quy phạm pháp luật)", "NQ", True, False),
    ("quyet-dinh-qppl", "Quyết định (quy phạm pháp luật)", "QĐ", True, False),
    ("sao-y", "Bản sao y", "SY", False, True),
    ("trich-sao", "Bản trích sao", "TrS", False, True),
    ("sao-luc", "Bản sao lục", "SL", False, True),
]


def forward(apps, schema_editor):
    DocumentType = apps.get_model("documents", "DocumentType")
    for order, (code, name, abbreviation, normative, copy) in enumerate(TYPES, start=1):
        DocumentType.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "abbreviation": abbreviation,
                "is_normative": normative,
                "is_copy": copy,
                "ordering": order * 10,
            },
        )


def backward(apps, schema_editor):
    DocumentType = apps.get_model("documents", "DocumentType")
    DocumentType.objects.filter(code__in=[t[0] for t in TYPES]).delete()


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
