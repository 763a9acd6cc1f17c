"""Issue #11, findings 6 and 7 on the dashboard: periods beyond Python's dates, ids and cursors
too large for the key, and formula injection in the XLSX exports."""

from __future__ import annotations

import io

import pytest
import time_machine

from egov.core.keyset import encode_cursor
from egov.stats import exports
from egov.stats.periods import parse_period

from .conftest import NOW
from .test_views import FEB, few, leader_client  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db
HUGE = "9" * 20


@pytest.mark.parametrize(
    "params",
    [
        {"period": "range", "from": "9999-12-01", "to": "9999-12-31"},
        {"period": "year", "year": "9999"},
        {"period": "month", "month": "0001-01"},
        {"period": "day", "day": "1899-12-31"},
    ],
)
def test_periods_outside_1900_2100_are_refused(params):
    from egov.core.errors import DomainError

    with pytest.raises(DomainError) as exc:
        parse_period(params, NOW.date())
    assert exc.value.code == "invalid" and "01/01/1900" in str(exc.value.fields)


def test_dashboard_explains_a_far_period_and_survives_huge_ids(leader_client, few):  # noqa: F811
    with time_machine.travel(NOW, tick=True):
        page = leader_client.get("/dieu-hanh/?period=range&from=9999-12-01&to=9999-12-31")
        assert page.status_code == 200 and "01/01/1900" in page.content.decode()
        page = leader_client.get(f"/dieu-hanh/{FEB}&agency={HUGE}&procedure={HUGE}")
        assert page.status_code == 200
        drill = leader_client.get(
            f"/dieu-hanh/ho-so/{FEB}&metric=received&cursor={encode_cursor(HUGE)}&unit={HUGE}"
        )
        assert drill.status_code == 200
        cursor = encode_cursor("2025-02-30T00:00:00+07:00_1")
        drill = leader_client.get(f"/dieu-hanh/ho-so/{FEB}&metric=received&cursor={cursor}")
        assert drill.status_code == 200 and drill.context["dossiers"]


def test_exports_write_formula_text_as_text():
    from openpyxl import load_workbook

    injected = '=HYPERLINK("http://x.example","click")'
    content = exports.xlsx(
        "+title",
        "@subtitle",
        [("Bảng", ["Cơ quan", "-header"], [[injected, 3], ["\tcmd", "=1+1"]])],
    )
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    cells = [c for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not [c for c in cells if c.data_type == "f"]
    texts = {c.value: c for c in cells if isinstance(c.value, str)}
    for value in (injected, "+title", "@subtitle", "-header", "\tcmd", "=1+1"):
        assert texts[value].data_type == "s" and texts[value].quotePrefix
    assert not texts["Cơ quan"].quotePrefix
    assert [c.value for c in cells if c.data_type == "n"] == [3]
