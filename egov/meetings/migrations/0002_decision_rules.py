"""The decision rules a province starts with (data; operators edit them in the admin)."""

from django.db import migrations

LAW_2015 = (
    "Luật Tổ chức chính quyền địa phương số 77/2015/QH13, Điều 117 (biểu quyết tại phiên họp Ủy "
    "ban nhân dân): quyết định của Ủy ban nhân dân phải được quá nửa tổng số thành viên biểu "
    "quyết tán thành; khi số tán thành và không tán thành ngang nhau thì theo ý kiến mà Chủ "
    "tịch đã biểu quyết; quy chế làm việc của Ủy ban nhân dân tỉnh nhắc lại quy tắc này cho "
    "phiên họp và cho phiếu lấy ý kiến thành viên. Luật số 72/2025/QH15 thay thế Luật 2015 từ "
    "ngày 01/7/2025: điều tương ứng chưa được đối chiếu trong bộ dữ liệu này, cần kiểm tra. "
    "Nghị định 138/2016/NĐ-CP (Quy chế làm việc của Chính phủ, được các quy chế của tỉnh dẫn "
    "lại) đã được thay thế bởi Nghị định 39/2022/NĐ-CP ngày 18/6/2022. Số thành viên có mặt tối "
    "thiểu (hai phần ba) theo quy chế làm việc của Ủy ban nhân dân tỉnh; kiểm tra quy chế của "
    "tỉnh mình."
)

RULES = [
    {
        "code": "ubnd",
        "name": "Ủy ban nhân dân: quá nửa tổng số thành viên, ngang phiếu theo Chủ tịch",
        "base": "all_members",
        "numerator": 1,
        "denominator": 2,
        "strict": True,
        "tie_break": "chair",
        "quorum_numerator": 2,
        "quorum_denominator": 3,
        "absent_may_vote": False,
        "delegates_vote": False,
        "non_answer": "not_counted",
        "legal_source": LAW_2015,
        "is_default": True,
    },
    {
        "code": "ubnd-bieu-quyet-tu-xa",
        "name": "Ủy ban nhân dân: như trên, thành viên vắng mặt biểu quyết điện tử",
        "base": "all_members",
        "numerator": 1,
        "denominator": 2,
        "strict": True,
        "tie_break": "chair",
        "quorum_numerator": 2,
        "quorum_denominator": 3,
        "absent_may_vote": True,
        "delegates_vote": False,
        "non_answer": "not_counted",
        "legal_source": LAW_2015
        + " Biểu quyết điện tử của thành viên vắng mặt chỉ dùng khi quy chế của tỉnh cho phép.",
        "is_default": False,
    },
    {
        "code": "qua-nua-co-mat",
        "name": "Họp cơ quan: quá nửa số thành viên có mặt, ngang phiếu không thông qua",
        "base": "present",
        "numerator": 1,
        "denominator": 2,
        "strict": True,
        "tie_break": "fails",
        "quorum_numerator": 1,
        "quorum_denominator": 2,
        "absent_may_vote": False,
        "delegates_vote": False,
        "non_answer": "not_counted",
        "legal_source": (
            "Quy chế làm việc của cơ quan tổ chức cuộc họp (do thủ trưởng cơ quan ban hành); "
            "ghi rõ điều khoản khi áp dụng."
        ),
        "is_default": False,
    },
]


def seed(apps, schema_editor):
    DecisionRule = apps.get_model("meetings", "DecisionRule")
    for row in RULES:
        DecisionRule.objects.update_or_create(code=row["code"], defaults=row)


class Migration(migrations.Migration):
    dependencies = [("meetings", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
