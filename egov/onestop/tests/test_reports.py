"""Forms 05 and 06: the process control sheet replayed from events, and the dossier register."""

from __future__ import annotations

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import include, path

from egov.dossiers.models import Dossier, Status
from egov.dossiers.tests.conftest import pdf_upload
from egov.onestop import reports, services
from egov.onestop.report_views import urlpatterns as report_urls
from egov.onestop.services import provide_supplement
from egov.org.models import Role

from .conftest import act, make_procedure
from .test_api import session

# The lead mounts report_views under /mot-cua/; this module mounts it the same way on its own.
urlpatterns = [
    path("mot-cua/", include((report_urls, "reports"))),
    path("", include("egov.urls")),
]
pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN)


def receive(staff, procedure, name: str = "Lê Thị Hoa", id_number: str = "022195001234"):  # type: ignore[no-untyped-def]
    return services.receive_in_person(
        actor=act(staff.receiver),
        procedure_code=procedure.code,
        applicant=services.Applicant("citizen", name, id_number, "0912345678"),
        uploads={"to-khai": [pdf_upload("to-khai.pdf")]},
    )


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def xlsx_rows(content: bytes, sheet: str | None = None) -> list[list[object]]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content))
    ws = book[sheet] if sheet else book.worksheets[0]
    return [list(r) for r in ws.iter_rows(values_only=True)]


@pytest.fixture
def journey(staff, procedure, make_citizen):  # type: ignore[no-untyped-def]
    """Received Monday 23/11/2026; sent back once; a supplement pause; an apology; the leader
    approves late; the desk returns the result."""
    citizen = make_citizen(personal_id="022195001234")
    with time_machine.travel(at(2026, 11, 23, 8, 0), tick=False):
        dossier = receive(staff, procedure)
        Dossier.objects.filter(pk=dossier.pk).update(applicant=citizen)
    with time_machine.travel(at(2026, 11, 25, 10, 0), tick=False):
        services.forward(actor=act(staff.specialist), dossier=dossier.code, note="Hợp lệ")
    with time_machine.travel(at(2026, 11, 25, 14, 0), tick=False):
        services.send_back(
            actor=act(staff.head), dossier=dossier.code, to_order=2, reason="Sai tên cha"
        )
    with time_machine.travel(at(2026, 11, 26, 8, 0), tick=False):
        services.forward(actor=act(staff.specialist), dossier=dossier.code, note="Đã sửa")
    with time_machine.travel(at(2026, 11, 26, 9, 0), tick=False):
        services.request_supplement(
            actor=act(staff.head), dossier=dossier.code, reason="Bổ sung bản sao giấy khai sinh"
        )
    with time_machine.travel(at(2026, 11, 30, 9, 0), tick=False):  # 15 working hours later
        provide_supplement(
            user=citizen,
            dossier=Dossier.objects.get(pk=dossier.pk),
            uploads=[pdf_upload("bo-sung.pdf")],
        )
    with time_machine.travel(at(2026, 11, 30, 10, 0), tick=False):
        services.forward(actor=act(staff.head), dossier=dossier.code)
        letter = services.draft_apology(
            actor=act(staff.head),
            dossier=dossier.code,
            reason="Chờ xác minh",
            new_appointment_at=at(2026, 12, 4, 17, 0),
        )
        services.decide_apology(actor=act(staff.leader), letter_id=letter.pk, approve=True)
    with time_machine.travel(at(2026, 12, 1, 9, 0), tick=False):  # the leader's step was due Mon
        services.forward(actor=act(staff.leader), dossier=dossier.code, note="Đồng ý")
    with time_machine.travel(at(2026, 12, 1, 10, 0), tick=False):
        services.return_result(actor=act(staff.receiver), dossier=dossier.code)
    return Dossier.objects.select_related("procedure", "agency").get(pk=dossier.pk)


def test_control_sheet_lists_each_handover_with_on_time_status(journey, staff):
    with time_machine.travel(at(2026, 12, 1, 11, 0), tick=False):
        sheet = reports.control_sheet(journey)
    rows = sheet.handovers
    names = {o: o.user.get_full_name() for o in vars(staff).values()}
    receiver, specialist, head, leader = (
        names[staff.receiver],
        names[staff.specialist],
        names[staff.head],
        names[staff.leader],
    )
    summary = [(r.step, r.from_official, r.to_official, r.on_time_label) for r in rows]
    assert summary == [
        (1, "Lê Thị Hoa", receiver, "Đúng hạn"),
        (2, receiver, specialist, "Đúng hạn"),
        (3, specialist, head, "Đúng hạn"),  # sent back before its due time
        (2, head, specialist, "Đúng hạn"),  # the re-opened step
        (3, specialist, head, "Đúng hạn"),  # due time moved by the supplement pause
        (4, head, leader, "Trễ hạn"),  # approved Tuesday, due Monday 15:45
        (5, leader, receiver, "Đúng hạn"),  # returned at the desk
    ]
    assert rows[1].to_unit == "Phòng Hộ tịch" and rows[1].from_unit == "Bộ phận Một cửa"
    assert rows[1].to_agency == journey.agency.name
    assert rows[2].outcome == "Trả lại bước trước: bước 2" and rows[2].note == "Sai tên cha"
    assert rows[5].due_at == at(2026, 11, 30, 15, 45)
    assert rows[5].done_at == at(2026, 12, 1, 9, 0) and rows[5].note == "Đồng ý"
    assert rows[6].outcome == "Đã trả kết quả"

    # The replay agrees with the engine's own step rows (times received, due, finished).
    from_steps = {
        (s.order, s.started_at, s.due_at, s.finished_at)
        for s in journey.steps.exclude(started_at=None).exclude(order=1)
    }
    assert {(r.step, r.received_at, r.due_at, r.done_at) for r in rows[1:]} == from_steps

    assert len(sheet.pauses) == 1
    pause = sheet.pauses[0]
    assert pause.reason == "Bổ sung bản sao giấy khai sinh" and pause.requested_by == head
    assert pause.paused_hours == 15.0  # Thu 09:00 → Mon 09:00: 6 + 7.5 + 1.5 working hours
    assert len(sheet.extensions) == 1
    extension = sheet.extensions[0]
    assert extension.new_appointment_at == at(2026, 12, 4, 17, 0)
    assert extension.approved_by == leader and extension.reason == "Chờ xác minh"
    assert sheet.received_at == at(2026, 11, 23, 8, 0)
    assert sheet.first_appointment_at == at(2026, 11, 30, 17, 0)
    # The pause moved the legal date (30/11 + 15 working hours: 2/12, end of the day); the
    # apology only promised 4/12 (#13: it used to become the appointment itself).
    assert journey.appointment_at == at(2026, 12, 2, 17, 0)
    assert journey.promised_at == at(2026, 12, 4, 17, 0)
    assert sheet.on_time is True and sheet.on_time_label == "Đúng hạn"
    assert sheet.kept_promise is True and sheet.promise_label == "Đúng ngày hẹn lại"


def test_open_step_is_late_after_its_due_time_and_paused_while_waiting(staff, procedure):
    with time_machine.travel(at(2026, 11, 23, 8, 0), tick=False):
        dossier = receive(staff, procedure)
    sheet = reports.control_sheet(dossier, now=at(2026, 11, 25, 9, 0))
    assert sheet.handovers[-1].done_at is None
    assert sheet.handovers[-1].on_time_label == "Đang xử lý"
    sheet = reports.control_sheet(dossier, now=at(2026, 11, 26, 9, 0))  # due Thu 08:00
    assert sheet.handovers[-1].on_time_label == "Trễ hạn"
    with time_machine.travel(at(2026, 11, 25, 9, 0), tick=False):
        services.request_supplement(actor=act(staff.specialist), dossier=dossier, reason="Thiếu")
    dossier.refresh_from_db()
    sheet = reports.control_sheet(dossier, now=at(2026, 11, 27, 9, 0))
    assert sheet.handovers[-1].on_time_label == "Tạm dừng (chờ bổ sung)"
    assert sheet.pauses[0].answered_at is None


def test_reassignment_and_transfer_to_another_agency(agency, other_agency, staff, make_official):
    department = make_official(other_agency, [Role.SPECIALIST], username="so.cv")
    steps = [
        ("Tiếp nhận", Role.RECEIVER, "0.5", ""),
        ("Thẩm định", Role.SPECIALIST, "1", ""),
        ("Xác minh tại Sở", Role.SPECIALIST, "2", other_agency.identifier),
        ("Phê duyệt", Role.LEADER, "1", ""),
        ("Trả kết quả", Role.RECEIVER, "0.5", ""),
    ]
    procedure = make_procedure(agency, steps, code="1.000002.000.00.00.H41")
    dossier = receive(staff, procedure)
    services.assign(actor=act(staff.head), dossier=dossier, official_id=staff.specialist2.pk)
    services.forward(actor=act(staff.specialist2), dossier=dossier)
    sheet = reports.control_sheet(dossier)
    rows = sheet.handovers
    assert rows[1].outcome.startswith("Phân công người khác xử lý")
    assert (rows[2].from_official, rows[2].to_official) == (
        staff.head.user.get_full_name(),
        staff.specialist2.user.get_full_name(),
    )
    assert rows[2].due_at == rows[1].due_at and rows[2].on_time_label == "Đúng hạn"
    transfer = rows[3]
    assert transfer.transferred and transfer.to_agency == other_agency.name
    assert transfer.to_official == department.user.get_full_name()
    # The department that holds a step may print the sheet too.
    url = f"/mot-cua/ho-so/{dossier.code}/phieu-kiem-soat.xlsx"
    assert session(department.user).get(url).status_code == 200


def test_control_sheet_downloads_pdf_and_xlsx(journey, staff):
    client = session(staff.receiver.user)
    response = client.get(f"/mot-cua/ho-so/{journey.code}/phieu-kiem-soat.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert f"phieu-kiem-soat-{journey.code}.pdf" in response["Content-Disposition"]
    text = " ".join(pdf_text(response.content).split())  # table cells wrap lines
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in text.upper()
    assert journey.code in text and "Lê Thị Hoa" in text
    assert "Đúng hạn" in text and "Trễ hạn" in text and "Sai tên cha" in text
    assert "Bổ sung bản sao giấy khai sinh" in text and "Chờ xác minh" in text

    response = client.get(f"/mot-cua/ho-so/{journey.code}/phieu-kiem-soat.xlsx")
    assert response.status_code == 200
    rows = xlsx_rows(response.content)
    assert rows[1][:2] == ["Mã hồ sơ", journey.code]
    handovers = [r for r in rows if isinstance(r[0], int)]
    assert [r[13] for r in handovers] == ["Đúng hạn"] * 5 + ["Trễ hạn", "Đúng hạn"]
    assert handovers[5][10] == datetime(2026, 11, 30, 15, 45)  # local wall-clock time
    pauses = xlsx_rows(response.content, "Tạm dừng bổ sung")
    assert pauses[1][3] == "Bổ sung bản sao giấy khai sinh" and pauses[1][5] == 15


def test_control_sheet_is_scoped_to_the_agency(journey, other_agency, make_official, client):
    url = f"/mot-cua/ho-so/{journey.code}/phieu-kiem-soat.pdf"
    assert client.get(url).status_code == 302  # anonymous: to the login page
    stranger = session(make_official(other_agency, [Role.LEADER, Role.RECEIVER]).user)
    assert stranger.get(url).status_code == 404
    assert stranger.get(url.replace(".pdf", ".xlsx")).status_code == 404
    client.force_login(journey.applicant)  # a citizen, even the applicant: staff form
    assert client.get(url).status_code == 403


# --- form 06 -------------------------------------------------------------------------------------


@pytest.fixture
def month(staff, procedure):  # type: ignore[no-untyped-def]
    """Three dossiers received around the end of November 2026 (local dates)."""
    with time_machine.travel(at(2026, 11, 2, 9, 0), tick=False):
        returned = receive(staff, procedure, "Trần Văn An", "022195001235")
    for who in (staff.specialist, staff.head, staff.leader):
        with time_machine.travel(at(2026, 11, 3, 9, 0), tick=False):
            services.forward(actor=act(who), dossier=returned.code)
    with time_machine.travel(at(2026, 11, 3, 10, 0), tick=False):
        services.return_result(actor=act(staff.receiver), dossier=returned.code)
    with time_machine.travel(at(2026, 11, 20, 9, 0), tick=False):
        late_open = receive(staff, procedure, "Phạm Thị Bình", "022195001236")
    # 23:30 on 30/11 local is 16:30 UTC: still November for the register.
    with time_machine.travel(at(2026, 11, 30, 23, 30), tick=False):
        night = receive(staff, procedure, "Đỗ Văn Cường", "022195001237")
    with time_machine.travel(at(2026, 12, 1, 0, 30), tick=False):
        receive(staff, procedure, "Ngô Thị Dung", "022195001238")  # December
    return returned, late_open, night


def test_register_rows_and_on_time_judged_at_period_end(month, staff):
    returned, late_open, night = month
    reg = reports.register(staff.receiver.agency, date(2026, 11, 1), date(2026, 11, 30))
    assert [r.code for r in reg.rows] == [returned.code, late_open.code, night.code]
    first, second, third = reg.rows
    assert first.status == Status.RETURNED and first.on_time_label == "Đúng hạn"
    assert first.returned_at == at(2026, 11, 3, 10, 0) and first.channel == "Trực tiếp"
    # Received Friday 20/11 with 4 working days (24/11 is a holiday): due 27/11, still open
    # on 30/11 → late.
    assert second.finished_at is None and second.on_time_label == "Trễ hạn"
    assert third.on_time_label == "Đúng hạn" and third.applicant_name == "Đỗ Văn Cường"
    assert reg.totals == {
        "total": 3,
        "finished": 1,
        "open": 2,
        "on_time": 2,
        "late": 1,
        "returned": 1,
    }
    # Judged at an earlier period's end, the open dossier was not late yet.
    early = reports.register(staff.receiver.agency, date(2026, 11, 20), date(2026, 11, 25))
    assert [(r.code, r.on_time_label) for r in early.rows] == [(late_open.code, "Đúng hạn")]


def test_register_downloads_for_the_officials_own_agency(month, staff, other_agency):
    returned, late_open, night = month
    client = session(staff.leader.user)
    response = client.get("/mot-cua/so-theo-doi.pdf?from=01/11/2026&to=30/11/2026")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(pdf_text(response.content).split())
    assert "SỔ THEO DÕI HỒ SƠ" in text.upper() and "Từ ngày 01/11/2026 đến ngày 30/11/2026" in text
    assert returned.code in text and night.code in text and "Ngô Thị Dung" not in text
    assert "Trễ hạn" in text

    response = client.get("/mot-cua/so-theo-doi.xlsx?from=2026-11-01&to=2026-11-30")
    assert response.status_code == 200
    assert (
        'filename="so-theo-doi-000.00.00.H41-20261101-20261130.xlsx"'
        in (response["Content-Disposition"])
    )
    rows = xlsx_rows(response.content)
    data = [r for r in rows if isinstance(r[0], int)]
    assert [r[1] for r in data] == [returned.code, late_open.code, night.code]
    assert data[2][7] == datetime(2026, 11, 30, 23, 30)
    # Form 06 has no column for it: on time or late closes the notes.
    assert [r[13].rsplit("; ", 1)[-1] for r in data] == ["Đúng hạn", "Trễ hạn", "Đúng hạn"]

    # Another agency's register is not theirs to read; bad dates are explained.
    other = client.get(f"/mot-cua/so-theo-doi.pdf?agency={other_agency.identifier}")
    assert other.status_code == 404
    bad = client.get("/mot-cua/so-theo-doi.xlsx?from=31/11/2026")
    assert bad.status_code == 400 and "không hợp lệ" in bad.content.decode()
    reversed_period = client.get("/mot-cua/so-theo-doi.xlsx?from=2026-11-30&to=2026-11-01")
    assert reversed_period.status_code == 400


def test_register_of_another_agency_shows_nothing_of_ours(month, other_agency, make_official):
    client = session(make_official(other_agency, [Role.RECEIVER]).user)
    response = client.get("/mot-cua/so-theo-doi.xlsx?from=2026-11-01&to=2026-11-30")
    assert response.status_code == 200
    assert not [r for r in xlsx_rows(response.content) if isinstance(r[0], int)]


def test_operator_picks_the_agency(month, agency, make_official):
    operator = make_official(agency, [Role.OPERATOR], username="quantri.test").user
    client = session(operator)
    assert client.get("/mot-cua/so-theo-doi.xlsx").status_code == 400  # which agency?
    response = client.get(
        f"/mot-cua/so-theo-doi.xlsx?agency={agency.identifier}&from=2026-11-01&to=2026-11-30"
    )
    assert response.status_code == 200
    assert len([r for r in xlsx_rows(response.content) if isinstance(r[0], int)]) == 3


def test_register_pdf_refuses_too_many_rows(month, staff, monkeypatch):
    monkeypatch.setattr(reports, "REGISTER_PDF_MAX_ROWS", 2)
    reg = reports.register(staff.receiver.agency, date(2026, 11, 1), date(2026, 11, 30))
    with pytest.raises(Exception, match="quá nhiều"):
        reports.register_pdf(reg)


def test_sheet_is_built_from_events_not_the_steps_table(journey):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        sheet = reports.control_sheet(journey)
    assert len(sheet.handovers) == 7
    assert not [q for q in queries.captured_queries if "onestop_dossierstep" in q["sql"]]
    assert len(queries) <= 4  # the calendar (2) and the events (1): whatever the history
