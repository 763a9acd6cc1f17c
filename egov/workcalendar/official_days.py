"""Days off and swap working days announced by the government for civil servants.

`manage.py load_official_days` writes these as province-wide ``SpecialDay`` rows marked
``source=official`` where ``holidays.Vietnam`` does not already give the same answer. They are
data: an operator can change or delete the rows in the administration, and a row entered by an
operator for the same date is never overwritten.

Add a line here when the yearly decision (Tết, 30/4–1/5, 2/9, New Year swaps) is published.
Sources are noted per line; lines marked "nguồn thứ cấp" were taken from press reports of the
decision and should be checked against the text of the decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

DAY_OFF = "day_off"
WORKING_DAY = "working_day"


@dataclass(frozen=True)
class OfficialDay:
    day: date
    kind: str
    name: str
    legal_basis: str


_NEW_YEAR_2026 = "Công văn 12729/VPCP-KGVX ngày 25/12/2025 (nguồn thứ cấp)"
_TET_2026 = "Phương án nghỉ Tết Bính Ngọ 14/02–22/02/2026 của CBCCVC (nguồn thứ cấp)"
_YEAR_2025 = "Thông báo 6150/TB-BLĐTBXH về lịch nghỉ năm 2025 (nguồn thứ cấp)"
_NATIONAL_DAY_2026 = "Hoán đổi ngày làm việc dịp Quốc khánh 2026 (theo lịch nghỉ lễ chuẩn)"

OFFICIAL_DAYS: tuple[OfficialDay, ...] = (
    # 2025: Tết Ất Tỵ 25/01–02/02/2025; 30/4–1/5: nghỉ 02/5, làm bù thứ Bảy 26/4.
    *(
        OfficialDay(date(2025, 1, d), DAY_OFF, "Nghỉ Tết Nguyên đán Ất Tỵ", _YEAR_2025)
        for d in (27, 28, 29, 30, 31)
    ),
    OfficialDay(date(2025, 5, 2), DAY_OFF, "Nghỉ hoán đổi dịp 30/4–1/5/2025", _YEAR_2025),
    OfficialDay(date(2025, 4, 26), WORKING_DAY, "Làm bù cho ngày 02/5/2025", _YEAR_2025),
    # 2026: Tết Dương lịch nghỉ 01/01–04/01, làm bù thứ Bảy 10/01 (gói holidays không có).
    OfficialDay(date(2026, 1, 2), DAY_OFF, "Nghỉ Tết Dương lịch 2026 (hoán đổi)", _NEW_YEAR_2026),
    OfficialDay(date(2026, 1, 10), WORKING_DAY, "Làm bù cho ngày 02/01/2026", _NEW_YEAR_2026),
    # 2026: Tết Bính Ngọ: nghỉ từ thứ Bảy 14/02 đến hết Chủ nhật 22/02/2026.
    *(
        OfficialDay(date(2026, 2, d), DAY_OFF, "Nghỉ Tết Nguyên đán Bính Ngọ", _TET_2026)
        for d in (16, 17, 18, 19, 20)
    ),
    # 2026: Quốc khánh: nghỉ 31/8 (hoán đổi), 01/9, 02/9; làm bù thứ Bảy 22/8.
    OfficialDay(
        date(2026, 8, 31), DAY_OFF, "Nghỉ hoán đổi dịp Quốc khánh 2026", _NATIONAL_DAY_2026
    ),
    OfficialDay(date(2026, 8, 22), WORKING_DAY, "Làm bù cho ngày 31/8/2026", _NATIONAL_DAY_2026),
)
