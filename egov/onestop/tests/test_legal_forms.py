"""Forms 01, 05 and 06 as printed: read back with pdftotext, each carries the fields Circular
01/2018/TT-VPCP gives it, in Vietnamese with its diacritics intact."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import include, path

from egov.core.tests.pdftools import pdf_text, pdf_words
from egov.dossiers.models import Dossier, DossierRegisterCounter
from egov.dossiers.pdf import legal_moment
from egov.dossiers.tests.conftest import pdf_upload
from egov.onestop import reports, services
from egov.onestop.report_views import urlpatterns as report_urls

from .conftest import act
from .test_api import session
from .test_reports import xlsx_rows

urlpatterns = [
    path("mot-cua/", include((report_urls, "reports"))),
    path("", include("egov.urls")),
]
pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]
VN = ZoneInfo("Asia/Ho_Chi_Minh")
ADDRESS = "Số 12 đường Hạ Long, phường Bãi Cháy, tỉnh Quảng Ninh"


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN)


def receive(staff, procedure, name: str = "Nguyễn Thị Ánh Tuyết", sets: int = 1, **kw):  # type: ignore[no-untyped-def]
    return services.receive_in_person(
        actor=act(staff.receiver),
        procedure_code=procedure.code,
        applicant=services.Applicant(
            "citizen",
            name,
            kw.get("id_number", "022195001234"),
            "0912345678",
            "tuyet@example.vn",
            ADDRESS,
        ),
        uploads={"to-khai": [pdf_upload("to-khai.pdf")]},
        set_count=sets,
    )


def test_receipt_carries_every_field_of_form_01(staff, procedure):
    with time_machine.travel(at(2026, 11, 23, 8, 5), tick=False):
        first = receive(staff, procedure)
        second = receive(staff, procedure, "Trần Văn Đức", sets=2, id_number="022195001235")
    assert (second.register_year, second.register_number, second.set_count) == (2026, 2, 2)
    response = session(staff.receiver.user).get(f"/mot-cua/ho-so/{second.code}/giay-tiep-nhan.pdf")
    assert response.status_code == 200
    text = pdf_text(response.content)
    for label in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
        f"Mã hồ sơ: {second.code}",
        "Tiếp nhận hồ sơ của: Trần Văn Đức",
        f"Địa chỉ: {ADDRESS}",
        "Số điện thoại: +84912345678",
        "Email: tuyet@example.vn",
        "Nội dung yêu cầu giải quyết: Cấp giấy xác nhận tình trạng hôn nhân",
        "1. Thành phần hồ sơ nộp gồm:",
        "2. Số lượng hồ sơ: 2 (bộ)",
        "3. Thời gian giải quyết hồ sơ theo quy định là: 4 ngày làm việc",
        "4. Thời gian nhận hồ sơ: 08 giờ 05 phút, ngày 23 tháng 11 năm 2026",
        "5. Thời gian trả kết quả giải quyết hồ sơ: ",
        "6. Đăng ký nhận kết quả tại: Nhận tại Bộ phận Một cửa",
        "Vào Sổ theo dõi hồ sơ, Quyển số: 2026, Số thứ tự: 2",
        "NGƯỜI NỘP HỒ SƠ",
        "NGƯỜI TIẾP NHẬN HỒ SƠ",
        "(Ký và ghi rõ họ tên)",
        staff.receiver.user.get_full_name(),  # who received it, from the reception event
    ):
        assert label in text, label
    assert "\ufffd" not in text  # no letter lost its tone mark or became a replacement box
    # Register entries restart each year, per agency.
    with time_machine.travel(at(2027, 1, 4, 8, 0), tick=False):
        third = receive(staff, procedure, id_number="022195001236")
    assert (first.register_number, third.register_year, third.register_number) == (1, 2027, 1)
    assert DossierRegisterCounter.objects.get(agency=staff.receiver.agency, year=2026).last == 2


def test_reprinted_receipt_keeps_the_appointment_given_at_reception(staff, procedure):
    with time_machine.travel(at(2026, 11, 23, 8, 5), tick=False):
        dossier = receive(staff, procedure)
    given = dossier.appointment_at
    assert dossier.received_appointment_at == given
    original = legal_moment(given)  # e.g. "17 giờ 00 phút, ngày 30 tháng 11 năm 2026"
    assert original.endswith("năm 2026")
    # The appointment moves afterwards (an apology letter, a supplement pause...).
    Dossier.objects.filter(pk=dossier.pk).update(appointment_at=at(2026, 12, 18, 16, 30))
    text = pdf_text(
        session(staff.receiver.user)
        .get(f"/mot-cua/ho-so/{dossier.code}/giay-tiep-nhan.pdf")
        .content
    )
    assert f"5. Thời gian trả kết quả giải quyết hồ sơ: {original}" in text
    assert "ngày 18 tháng 12 năm 2026" not in text


def test_desk_form_takes_address_and_number_of_sets(staff, procedure):
    client = session(staff.receiver.user)
    response = client.post(
        f"/mot-cua/tiep-nhan/?thu_tuc={procedure.code}",
        {
            "applicant_kind": "citizen",
            "applicant_name": "Lê Văn Hùng",
            "applicant_id_number": "022195001239",
            "applicant_address": ADDRESS,
            "set_count": "3",
            "channel": "1",
            "result_delivery": "desk",
            "file__to-khai": pdf_upload("to-khai.pdf"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    dossier = Dossier.objects.get(applicant_name="Lê Văn Hùng")
    assert (dossier.applicant_address, dossier.set_count) == (ADDRESS, 3)
    assert dossier.register_number == 1
    page = client.get(response["Location"]).content.decode()
    assert ADDRESS in page and "3 bộ" in page
    assert f"Quyển số {dossier.register_year}, số thứ tự 1" in page
    bad = client.post(
        f"/mot-cua/tiep-nhan/?thu_tuc={procedure.code}",
        {
            "applicant_kind": "citizen",
            "applicant_name": "X",
            "applicant_id_number": "022195001240",
            "set_count": "0",
            "channel": "1",
            "result_delivery": "desk",
        },
    )
    assert bad.status_code == 400


def test_control_sheet_carries_the_fields_of_form_05(staff, procedure):
    with time_machine.travel(at(2026, 11, 23, 8, 5), tick=False):
        dossier = receive(staff, procedure)
    with time_machine.travel(at(2026, 11, 24, 9, 0), tick=False):
        services.forward(actor=act(staff.specialist), dossier=dossier.code, note="Hồ sơ hợp lệ")
    response = session(staff.receiver.user).get(
        f"/mot-cua/ho-so/{dossier.code}/phieu-kiem-soat.pdf"
    )
    text = pdf_text(response.content)
    for label in (
        "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
        f"Mã hồ sơ: {dossier.code}",
        f"Cơ quan (bộ phận) giải quyết hồ sơ: {staff.receiver.agency.name}",
        "Cơ quan phối hợp giải quyết hồ sơ:",
        "Tên cơ quan, người giao, người nhận",
        "Giao: người giao",
        "Nhận: người nhận",
        "Thời gian giao, nhận hồ sơ",
        "Kết quả giải quyết hồ sơ (trước hạn/ đúng hạn/ quá hạn)",
        "Ghi chú",
        "08 giờ 05 phút, ngày 23/11/2026",
        "Nguyễn Thị Ánh Tuyết",
        "Hồ sơ hợp lệ",
    ):
        assert label in text, label
    assert "\ufffd" not in text
    xlsx = session(staff.receiver.user).get(f"/mot-cua/ho-so/{dossier.code}/phieu-kiem-soat.xlsx")
    header = {r[0]: r[1] for r in xlsx_rows(xlsx.content) if r and isinstance(r[0], str)}
    assert header["Cơ quan (bộ phận) giải quyết hồ sơ"] == staff.receiver.agency.name


def test_register_carries_the_columns_of_form_06(staff, procedure):
    with time_machine.travel(at(2026, 11, 2, 9, 0), tick=False):
        returned = receive(staff, procedure, "Trần Văn An", sets=2, id_number="022195001235")
    for who in (staff.specialist, staff.head, staff.leader):
        with time_machine.travel(at(2026, 11, 3, 9, 0), tick=False):
            services.forward(actor=act(who), dossier=returned.code)
    with time_machine.travel(at(2026, 11, 3, 10, 0), tick=False):
        services.return_result(actor=act(staff.receiver), dossier=returned.code)
    with time_machine.travel(at(2026, 11, 4, 14, 0), tick=False):
        open_ = receive(staff, procedure, "Phạm Thị Bình", id_number="022195001236")
    moved = at(2026, 12, 18, 16, 30)
    Dossier.objects.filter(pk=open_.pk).update(appointment_at=moved)

    reg = reports.register(staff.receiver.agency, date(2026, 11, 1), date(2026, 11, 30))
    first, second = reg.rows
    assert (first.register_number, first.set_count) == (1, 2)
    assert first.address_phone == f"{ADDRESS}; +84912345678"
    assert first.lead_agency == staff.receiver.agency.name
    assert first.transferred_at == at(2026, 11, 2, 9, 0)  # the desk handed it on at once
    assert first.result_received_at == at(2026, 11, 3, 9, 0)  # the leader approved
    assert first.returned_at == at(2026, 11, 3, 10, 0)
    assert second.result_received_at is None and second.returned_at is None
    assert second.received_appointment_at == open_.appointment_at  # as given, not the moved one
    assert "Hẹn lại: 16:30 18/12/2026" in second.notes

    client = session(staff.leader.user)
    pdf = client.get("/mot-cua/so-theo-doi.pdf?from=01/11/2026&to=30/11/2026").content
    text = pdf_text(pdf)
    # The dossier code is printed whole, on one line, inside its column.
    words = pdf_words(pdf)
    code = next(w for w in words if w.text == returned.code)
    beside = [w for w in words if abs(w.y_min - code.y_min) < 1 and w.x_min > code.x_min]
    assert beside and code.x_max < min(w.x_min for w in beside)
    for label in [c for c, _ in reports.REGISTER_COLUMNS] + [
        "SỔ THEO DÕI HỒ SƠ",
        "Ngày, tháng, năm",
        "Trần Văn An",
        "Phạm Thị Bình",
        "Bãi Cháy",
        "Hẹn lại: 16:30 18/12/2026",
    ]:
        assert label in text, label
    assert "\ufffd" not in text

    rows = xlsx_rows(client.get("/mot-cua/so-theo-doi.xlsx?from=2026-11-01&to=2026-11-30").content)
    header = next(r for r in rows if r and r[0] == "Số thứ tự")
    assert header == [c for c, _ in reports.REGISTER_COLUMNS]  # the PDF's columns, in order
    data = [r for r in rows if isinstance(r[0], int)]
    assert [r[0] for r in data] == [1, 2] and data[0][3] == 2
    assert data[0][6] == staff.receiver.agency.name
    assert data[0][10] == datetime(2026, 11, 3, 9, 0) and data[0][11] == datetime(
        2026, 11, 3, 10, 0
    )
    assert data[0][12] in (None, "")  # the applicant signs the paper


@pytest.mark.django_db(transaction=True)
def test_migration_gives_dossiers_received_earlier_their_entry_and_original_appointment(
    staff, procedure
):
    """Dossiers received before the register entry existed get one, in order of reception, and
    the appointment their reception event recorded, not the one they have now."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    with time_machine.travel(at(2026, 11, 23, 8, 5), tick=False):
        first = receive(staff, procedure)
    with time_machine.travel(at(2026, 11, 24, 9, 0), tick=False):
        second = receive(staff, procedure, "Trần Văn Đức", id_number="022195001235")
    given = first.appointment_at
    Dossier.objects.filter(pk=first.pk).update(appointment_at=at(2026, 12, 18, 16, 30))
    Dossier.objects.update(register_year=None, register_number=None, received_appointment_at=None)
    DossierRegisterCounter.objects.all().delete()

    executor = MigrationExecutor(connection)
    executor.migrate([("dossiers", "0005_dossier_file_form_kinds")])
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    # Forward to every leaf, not just 0006: later migrations that depend on it were unapplied too.
    executor.migrate(executor.loader.graph.leaf_nodes())

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.register_year, first.register_number) == (2026, 1)
    assert (second.register_year, second.register_number) == (2026, 2)
    assert first.received_appointment_at == given and first.set_count == 1
    counter = DossierRegisterCounter.objects.get(agency=staff.receiver.agency, year=2026)
    assert counter.last == 2
    with time_machine.travel(at(2026, 11, 25, 9, 0), tick=False):
        third = receive(staff, procedure, "Lê Văn Hùng", id_number="022195001236")
    assert third.register_number == 3  # the counter carries on from the backfill


def test_api_reception_takes_address_and_number_of_sets(staff, procedure):
    from .test_api import API

    client = session(staff.receiver.user)
    body = {
        "procedure": procedure.code,
        "applicant_name": "Lê Thị Hoa",
        "applicant_id_number": "022195001234",
        "applicant_address": ADDRESS,
        "set_count": "2",
        "file__to-khai": pdf_upload("to-khai.pdf"),
    }
    response = client.post(f"{API}/dossiers/", body)
    assert response.status_code == 201, response.content
    dossier = Dossier.objects.get(code=response.json()["code"])
    assert (dossier.applicant_address, dossier.set_count, dossier.register_number) == (
        ADDRESS,
        2,
        1,
    )
    too_many = client.post(
        f"{API}/dossiers/", {**body, "set_count": "100", "file__to-khai": pdf_upload("a.pdf")}
    )
    assert too_many.status_code == 400


def test_online_dossier_enters_the_register_when_received(staff, procedure, make_citizen):
    from egov.dossiers.services import Submission, submit_online

    with time_machine.travel(at(2026, 11, 24, 20, 0), tick=False):
        dossier = submit_online(
            user=make_citizen(),
            submission=Submission(
                procedure_code=procedure.code,
                agency_identifier=procedure.agencies.get().identifier,
                form_data={},
                uploads={"to-khai": [pdf_upload()]},
                result_delivery="online",
            ),
        )
    assert dossier.register_number is None and dossier.set_count == 1
    with time_machine.travel(at(2026, 11, 25, 9, 0), tick=False):
        receive(staff, procedure)  # the desk's own reception takes entry 1
        dossier = services.receive_online(actor=act(staff.receiver), dossier=dossier)
    assert (dossier.register_year, dossier.register_number) == (2026, 2)
    assert dossier.received_appointment_at == dossier.appointment_at == at(2026, 12, 1, 17, 0)
    text = pdf_text(
        session(staff.receiver.user)
        .get(f"/mot-cua/ho-so/{dossier.code}/giay-tiep-nhan.pdf")
        .content
    )
    assert "4. Thời gian nhận hồ sơ: 09 giờ 00 phút, ngày 25 tháng 11 năm 2026" in text
    assert "5. Thời gian trả kết quả giải quyết hồ sơ: 17 giờ 00 phút, ngày 01 tháng 12" in text
    assert "Quyển số: 2026, Số thứ tự: 2" in text and "2. Số lượng hồ sơ: 1 (bộ)" in text
