"""A generated procedure catalogue of a province's size (about 2,000 procedures) for benchmarks.

    python manage.py generate_catalogue --procedures 2000

Each generated procedure is one of the starter catalogue's (egov/catalog/data), or one of the
further common procedures below, turned into a variant the way a real catalogue has them
("Cấp lại ...", "... có yếu tố nước ngoài", "... đối với tổ chức"), in one of about forty
fields, with that template's components, forms and process, a legal time scaled with its
process, and fees scaled from a list of real amounts. It is written through the catalogue's
own import (`egov.catalog.io.import_catalog`), so search text, events and process versions
are those an operator's import would make. Codes start with "3." (never a real national code)
and are stable for a seed: running again adds only what is missing.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from egov.catalog.io import ImportResult, import_catalog, read_json
from egov.catalog.starter import STARTER_PATH
from egov.core.actors import SYSTEM

Log = Callable[[str], None]

CODE_FORMAT = "3.{:06d}.000.00.00.H41"

# Further fields of a province's catalogue, beside the starter's fourteen.
EXTRA_SECTORS = [
    ("ATTP", "An toàn thực phẩm"),
    ("BHXH", "Bảo hiểm xã hội"),
    ("CN", "Công nghiệp"),
    ("CNTT", "Công nghệ thông tin"),
    ("DK", "Đăng kiểm"),
    ("DT", "Đầu tư"),
    ("GD", "Giáo dục và đào tạo"),
    ("GT", "Giao thông vận tải"),
    ("KCB", "Khám bệnh, chữa bệnh"),
    ("KS", "Khoáng sản"),
    ("LD", "Lao động, tiền lương"),
    ("LN", "Lâm nghiệp"),
    ("NN", "Nông nghiệp"),
    ("NV", "Nội vụ"),
    ("TG", "Tín ngưỡng, tôn giáo"),
    ("TM", "Thương mại"),
    ("TN", "Tài nguyên nước"),
    ("TT", "Thông tin và truyền thông"),
    ("TTTT", "Thi đua, khen thưởng"),
    ("VH", "Văn hóa"),
    ("DL", "Du lịch"),
    ("TS", "Thủy sản"),
    ("TY", "Thú y"),
    ("XK", "Xuất bản, in và phát hành"),
    ("KHCN", "Khoa học và công nghệ"),
]

# (name, sector, level): common procedures not in the starter catalogue; they take the
# components, forms and process of a starter procedure of the same level.
EXTRA_NAMES = [
    ("Cấp Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm", "ATTP", "province"),
    ("Cấp giấy phép kinh doanh bán lẻ sản phẩm rượu", "TM", "commune"),
    ("Cấp giấy phép kinh doanh bán buôn sản phẩm thuốc lá", "TM", "province"),
    ("Cấp giấy phép hoạt động khám bệnh, chữa bệnh", "KCB", "province"),
    ("Cấp chứng chỉ hành nghề khám bệnh, chữa bệnh", "KCB", "province"),
    ("Công nhận trường mầm non đạt chuẩn quốc gia", "GD", "province"),
    ("Cho phép trường tiểu học hoạt động giáo dục", "GD", "commune"),
    ("Chuyển trường đối với học sinh trung học cơ sở", "GD", "commune"),
    ("Cấp giấy phép tổ chức lễ hội", "VH", "province"),
    ("Đăng ký hoạt động tín ngưỡng", "TG", "commune"),
    ("Thông báo tổ chức quyên góp ngoài địa bàn một xã của cơ sở tín ngưỡng", "TG", "commune"),
    ("Đổi giấy phép lái xe do ngành Giao thông vận tải cấp", "GT", "province"),
    ("Cấp giấy phép lái xe quốc tế", "GT", "province"),
    ("Cấp giấy phép thi công công trình trên đường bộ đang khai thác", "GT", "province"),
    ("Cấp giấy phép khai thác khoáng sản", "KS", "province"),
    ("Cấp giấy phép thăm dò nước dưới đất", "TN", "province"),
    ("Cấp giấy phép khai thác, sử dụng nước mặt", "TN", "province"),
    ("Giao đất, cho thuê đất không thông qua đấu giá quyền sử dụng đất", "DD", "province"),
    (
        "Chuyển mục đích sử dụng đất phải được phép của cơ quan nhà nước có thẩm quyền",
        "DD",
        "commune",
    ),
    ("Quyết định chủ trương đầu tư dự án", "DT", "province"),
    ("Cấp Giấy chứng nhận đăng ký đầu tư", "DT", "province"),
    ("Cấp giấy phép xuất bản bản tin", "XK", "province"),
    ("Cấp giấy phép hoạt động in", "XK", "province"),
    ("Cấp giấy phép thiết lập trang thông tin điện tử tổng hợp", "TT", "province"),
    ("Đề nghị tặng Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh", "TTTT", "province"),
    ("Tặng danh hiệu Lao động tiên tiến", "TTTT", "commune"),
    ("Giải quyết hưởng trợ cấp thất nghiệp", "LD", "province"),
    ("Đăng ký nội quy lao động của doanh nghiệp", "LD", "province"),
    ("Cấp giấy chứng nhận đăng ký hợp tác xã", "NN", "commune"),
    ("Hỗ trợ khôi phục sản xuất vùng bị thiệt hại do thiên tai", "NN", "commune"),
    ("Cấp giấy phép khai thác thủy sản", "TS", "province"),
    ("Cấp giấy chứng nhận kiểm dịch động vật vận chuyển ra khỏi địa bàn tỉnh", "TY", "province"),
    ("Cấp giấy phép khai thác lâm sản", "LN", "province"),
    ("Thẩm định, phê duyệt phương án trồng rừng thay thế", "LN", "province"),
    ("Công nhận điểm du lịch", "DL", "province"),
    ("Cấp thẻ hướng dẫn viên du lịch nội địa", "DL", "province"),
    (
        "Cấp giấy chứng nhận đăng ký kết quả thực hiện nhiệm vụ khoa học và công nghệ",
        "KHCN",
        "province",
    ),
    ("Thành lập hội có phạm vi hoạt động trong xã", "NV", "commune"),
    ("Thi tuyển công chức", "NV", "province"),
    ("Cấp giấy chứng nhận kiểm định an toàn kỹ thuật thiết bị áp lực", "CN", "province"),
    ("Đăng ký tham gia bảo hiểm xã hội tự nguyện", "BHXH", "commune"),
    ("Cấp giấy chứng nhận chất lượng xe cơ giới cải tạo", "DK", "province"),
    ("Cấp chứng thư số chuyên dùng cho cơ quan nhà nước", "CNTT", "province"),
]

# Kinds of variant a catalogue has of one procedure.
PREFIXES = ["Cấp lại", "Cấp đổi", "Điều chỉnh", "Gia hạn", "Thu hồi", "Cấp bản sao"]
SUFFIXES = [
    "đối với cá nhân",
    "đối với tổ chức",
    "có yếu tố nước ngoài",
    "trong trường hợp bị mất, hư hỏng",
    "theo thủ tục rút gọn",
    "cho người nước ngoài cư trú tại Việt Nam",
    "tại khu công nghiệp, khu kinh tế",
    "cho doanh nghiệp nhỏ và vừa",
    "đối với người có công với cách mạng",
    "trường hợp thay đổi thông tin",
    "lần đầu",
    "trong trường hợp chuyển nơi cư trú",
]
FEE_AMOUNTS = [0, 10_000, 20_000, 30_000, 50_000, 75_000, 100_000, 150_000, 200_000, 500_000]
PROVINCE_AGENCIES = [
    "000.00.01.H41",
    "000.00.02.H41",
    "000.00.03.H41",
    "000.00.04.H41",
    "000.00.05.H41",
    "000.00.06.H41",
]


def _variant_name(base: str, rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.35 and base.startswith("Cấp "):
        return f"{rng.choice(PREFIXES)} {base[4:]}"
    if kind < 0.85:
        return f"{base} {rng.choice(SUFFIXES)}"
    return f"{rng.choice(PREFIXES)} {base[0].lower()}{base[1:]} {rng.choice(SUFFIXES)}"


def _scale_process(template: dict[str, Any], factor: int) -> None:
    """Multiply the legal time and every step's budget (they must keep adding up)."""
    if factor == 1:
        return
    template["processing_time"] = float(Decimal(str(template["processing_time"])) * factor)
    for step in (template.get("process") or {}).get("steps", []):
        step["budget"] = float(Decimal(str(step["budget"])) * factor)


def build_document(count: int, seed: int = 2026) -> dict[str, Any]:
    """The catalogue document (egov.catalog.io format) of `count` generated procedures."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    starter = read_json(STARTER_PATH.read_bytes())
    templates: list[dict[str, Any]] = starter["procedures"]
    by_level = {
        level: [t for t in templates if t["level"] == level] for level in ("commune", "province")
    }
    bases: list[tuple[str, str, str, dict[str, Any]]] = [
        (t["name"], t["sector"], t["level"], t) for t in templates
    ]
    for name, sector, level in EXTRA_NAMES:
        bases.append((name, sector, level, rng.choice(by_level[level])))
    procedures = []
    for i in range(count):
        name, sector, level, template = bases[i % len(bases)]
        item = copy.deepcopy(template)
        item["code"] = CODE_FORMAT.format(i + 1)
        item["name"] = _variant_name(name, rng)[:255]
        item["sector"] = sector
        item["level"] = level
        item["is_published"] = True
        item["online_mode"] = rng.choices([4, 3, 2], weights=[5, 3, 2])[0]
        item["agencies"] = (
            ["@communes"]
            if level == "commune"
            else rng.sample(PROVINCE_AGENCIES, rng.randint(1, 2))
        )
        _scale_process(item, rng.choice([1, 1, 1, 2, 3]))
        for fee in item.get("fees", []):
            if fee.get("amount"):
                fee["amount"] = rng.choice(FEE_AMOUNTS[1:])
        if not item.get("fees") and rng.random() < 0.3:
            item["fees"] = [
                {
                    "kind": "charge",
                    "name": f"Lệ phí {item['name'][0].lower()}{item['name'][1:]}"[:255],
                    "amount": rng.choice(FEE_AMOUNTS),
                    "rule": "Thu theo hồ sơ",
                    "legal_source": "Nghị quyết của Hội đồng nhân dân tỉnh",
                }
            ]
        procedures.append(item)
    return {
        "format": starter["format"],
        "version": starter["version"],
        "sectors": [*starter["sectors"], *({"code": c, "name": n} for c, n in EXTRA_SECTORS)],
        "procedures": procedures,
    }


def generate_catalogue(count: int, *, seed: int = 2026, log: Log = print) -> ImportResult:
    """Add the generated procedures that are missing, through the catalogue's import."""
    document = build_document(count, seed)
    log(f"importing {count} generated procedures ...")
    return import_catalog(document, actor=SYSTEM, missing_agencies="skip", only_new=True)
