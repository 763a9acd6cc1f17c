"""Fixtures for the signing tests: one demo CA per test session, a leader, a clerk, a PDF."""

from __future__ import annotations

from typing import Any

import pytest

from egov.core.actors import SYSTEM
from egov.org.models import Agency, Position, Role
from egov.signing import services
from egov.signing.models import SigningIdentity

DOCUMENT_HTML = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><style>
@page { size: A4; margin: 20mm 20mm 20mm 30mm; }
body { font-family: "Noto Serif", "DejaVu Serif", serif; font-size: 13pt; line-height: 1.35; }
table.head { width: 100%; text-align: center; font-size: 12pt; }
h1 { text-align: center; font-size: 14pt; margin: 18pt 0 4pt; }
p.sub { text-align: center; font-weight: bold; margin-top: 0; }
p { text-align: justify; margin: 4pt 0; }
</style></head><body>
<table class="head"><tr>
<td><b>ỦY BAN NHÂN DÂN<br>TỈNH QUẢNG NINH</b><br>Số: 15/QĐ-UBND</td>
<td><b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM<br>Độc lập - Tự do - Hạnh phúc</b><br>
<i>Quảng Ninh, ngày 03 tháng 01 năm 2026</i></td></tr></table>
<h1>QUYẾT ĐỊNH</h1>
<p class="sub">Về việc phê duyệt kế hoạch chuyển đổi số năm 2026</p>
<p class="sub">CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH QUẢNG NINH</p>
<p>Căn cứ Luật Tổ chức chính quyền địa phương; Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3
năm 2020 của Chính phủ về công tác văn thư; xét đề nghị của Giám đốc Sở Thông tin và Truyền
thông,</p>
<p class="sub">QUYẾT ĐỊNH:</p>
<p><b>Điều 1.</b> Phê duyệt kế hoạch chuyển đổi số năm 2026 của tỉnh Quảng Ninh, bảo đảm mọi thủ
tục hành chính đủ điều kiện được cung cấp trực tuyến toàn trình.</p>
<p><b>Điều 2.</b> Quyết định này có hiệu lực kể từ ngày ký. Chánh Văn phòng Ủy ban nhân dân tỉnh,
thủ trưởng các sở, ban, ngành và các cơ quan, đơn vị có liên quan chịu trách nhiệm thi hành.</p>
</body></html>"""


@pytest.fixture(scope="session")
def demo_hierarchy() -> services.DemoHierarchy:
    """The demo root and intermediate CA, generated once for the whole test session."""
    return services.make_demo_hierarchy()


@pytest.fixture(scope="session")
def document_pdf() -> bytes:
    """A one-page decision (quyết định) with Vietnamese text, made with WeasyPrint."""
    from weasyprint import HTML

    pdf: bytes = HTML(string=DOCUMENT_HTML).write_pdf()
    return pdf


@pytest.fixture
def leader(agency: Agency) -> Any:
    from egov.accounts.services import create_official

    position, _ = Position.objects.get_or_create(
        code="chu-tich", defaults={"name": "Chủ tịch", "is_leader": True}
    )
    return create_official(
        actor=SYSTEM,
        username="ubndtinh.chutich",
        full_name="Nguyễn Thị Hồng Nhung",
        password="Mat-khau-2026!",
        agency=agency,
        position=position,
        roles=[Role.LEADER],
    )


@pytest.fixture
def clerk(agency: Agency) -> Any:
    from egov.accounts.services import create_official

    position, _ = Position.objects.get_or_create(code="van-thu", defaults={"name": "Văn thư"})
    return create_official(
        actor=SYSTEM,
        username="ubndtinh.vanthu",
        full_name="Trần Văn Đức",
        password="Mat-khau-2026!",
        agency=agency,
        position=position,
        roles=[Role.CLERK],
    )


@pytest.fixture
def demo_ca(
    leader: Any, clerk: Any, agency: Agency, demo_hierarchy: services.DemoHierarchy
) -> services.DemoCaResult:
    return services.ensure_demo_ca(actor=SYSTEM, hierarchy=demo_hierarchy)


@pytest.fixture
def leader_identity(demo_ca: services.DemoCaResult, leader: Any) -> SigningIdentity:
    return services.identity_for_official(leader)


@pytest.fixture
def agency_identity(demo_ca: services.DemoCaResult, agency: Agency) -> SigningIdentity:
    return services.identity_for_agency(agency)
