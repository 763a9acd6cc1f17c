"""The officials' one-stop pages through the Django test client: the work queue, the dossier
page and its actions, in-person reception, files and the receipt; denials as much as grants."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from egov.dossiers.models import Dossier, DossierFile, Status
from egov.dossiers.tests.conftest import make_pdf, pdf_upload
from egov.onestop import services, views
from egov.onestop.models import ApologyLetter, DossierStep, StepStatus
from egov.org.models import Role

from .conftest import act

pytestmark = pytest.mark.django_db
VN = ZoneInfo("Asia/Ho_Chi_Minh")
# Wednesday 25/11/2026, 09:00: Tuesday 24/11 is a holiday (Culture Day), the week is otherwise
# ordinary; every clock-dependent test runs at this moment.
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=VN)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN)


def receive(staff, procedure, name: str = "Lê Thị Hoa", to=None) -> Dossier:  # type: ignore[no-untyped-def]
    """Receive a dossier at the desk; its first processing step goes to `to` (default: the
    first specialist; automatic assignment would spread dossiers over both specialists)."""
    dossier = services.receive_in_person(
        actor=act(staff.receiver),
        procedure_code=procedure.code,
        applicant=services.Applicant("citizen", name, "022195001234", "0912345678"),
        uploads={"to-khai": [pdf_upload("to-khai.pdf")]},
    )
    to = to or staff.specialist
    if active(dossier).assignee_id != to.pk:
        services.assign(actor=act(staff.head), dossier=dossier, official_id=to.pk)
    dossier.refresh_from_db()
    return dossier


def active(dossier: Dossier) -> DossierStep:
    return DossierStep.objects.get(dossier=dossier, status=StepStatus.ACTIVE)


def codes_in(html: str) -> list[str]:
    return re.findall(r'href="/mot-cua/ho-so/([^/"]+)/"', html)


@pytest.fixture
def clock():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


# --- the work queue -----------------------------------------------------------------------


def test_queue_lists_only_my_steps_most_urgent_first(
    clock, client, login_with_mfa, staff, procedure
):
    clock.move_to(at(2026, 11, 23, 8, 0))
    later, soon, late = (receive(staff, procedure, f"Người {i}") for i in range(3))
    theirs = receive(staff, procedure, "Người khác", to=staff.specialist2)
    DossierStep.objects.filter(pk=active(later).pk).update(due_at=at(2026, 11, 30, 17, 0))
    DossierStep.objects.filter(pk=active(soon).pk).update(due_at=at(2026, 11, 25, 15, 0))
    DossierStep.objects.filter(pk=active(late).pk).update(due_at=at(2026, 11, 23, 16, 0))
    clock.move_to(NOW)

    login_with_mfa(staff.specialist.user)
    response = client.get("/mot-cua/")
    html = response.content.decode()
    assert response.status_code == 200
    assert codes_in(html) == [late.code, soon.code, later.code]
    assert theirs.code not in html
    marks = re.findall(r'class="mark mark-(\w+)">([^<]+)<', html)
    assert marks == [("overdue", "Quá hạn"), ("near", "Sắp đến hạn"), ("ok", "Đúng hạn")]
    # Local time, not UTC.
    assert "15:00 25/11/2026" in html

    overdue_only = client.get("/mot-cua/", {"han": "overdue"}).content.decode()
    assert codes_in(overdue_only) == [late.code]

    # The other specialist sees only the one given to them.
    client.logout()
    login_with_mfa(staff.specialist2.user)
    assert codes_in(client.get("/mot-cua/").content.decode()) == [theirs.code]


def test_queue_pages_by_keyset_with_constant_queries(
    client, login_with_mfa, staff, procedure, monkeypatch
):
    made = [receive(staff, procedure, f"Người {i}") for i in range(5)]
    login_with_mfa(staff.specialist.user)
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    with CaptureQueriesContext(connection) as first:
        page1 = client.get("/mot-cua/").content.decode()
    next_url = re.search(r'href="(\?[^"]*cursor=[^"]+)"', page1)
    assert next_url is not None
    page2 = client.get("/mot-cua/" + next_url.group(1).replace("&amp;", "&")).content.decode()
    next_url = re.search(r'href="(\?[^"]*cursor=[^"]+)"', page2)
    assert next_url is not None
    page3 = client.get("/mot-cua/" + next_url.group(1).replace("&amp;", "&")).content.decode()
    assert "Trang sau" not in page3
    seen = codes_in(page1) + codes_in(page2) + codes_in(page3)
    assert sorted(seen) == sorted(d.code for d in made) and len(seen) == 5

    monkeypatch.setattr(views, "PAGE_SIZE", 50)
    with CaptureQueriesContext(connection) as all_rows:
        client.get("/mot-cua/")
    assert len(all_rows) == len(first)  # 5 rows cost what 2 rows cost


def test_queue_filters_by_procedure_and_status(client, login_with_mfa, staff, procedure):
    from .conftest import make_procedure

    other = make_procedure(staff.receiver.agency, code="1.000009.000.00.00.H41")
    mine = receive(staff, procedure)
    other_dossier = receive(staff, other)
    services.request_supplement(actor=act(staff.specialist), dossier=mine, reason="Thiếu bản sao")
    login_with_mfa(staff.specialist.user)
    assert codes_in(client.get("/mot-cua/", {"thu_tuc": other.code}).content.decode()) == [
        other_dossier.code
    ]
    supplement = client.get("/mot-cua/", {"trang_thai": Status.SUPPLEMENT_REQUESTED})
    assert codes_in(supplement.content.decode()) == [mine.code]
    # htmx asks for the rows only.
    partial = client.get("/mot-cua/", {"thu_tuc": procedure.code}, HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content and mine.code.encode() in partial.content


def test_receiver_head_and_leader_tabs(client, login_with_mfa, staff, procedure):
    dossier = receive(staff, procedure)
    login_with_mfa(staff.receiver.user)
    page = client.get("/mot-cua/").content.decode()
    assert "Hồ sơ trực tuyến chờ tiếp nhận" in page and "Chờ trả kết quả" in page
    assert "Phiếu xin lỗi chờ duyệt" not in page
    client.logout()

    login_with_mfa(staff.head.user)
    unit = client.get("/mot-cua/", {"tab": "unit"}).content.decode()
    assert "Hồ sơ đang xử lý trong phòng" in unit and codes_in(unit) == [dossier.code]
    assert staff.specialist.user.get_full_name() in unit
    # A tab the role does not have falls back to the official's own queue.
    assert (
        "Phiếu xin lỗi chờ duyệt"
        not in client.get("/mot-cua/", {"tab": "apology"}).content.decode()
    )


def test_done_dossier_waits_for_return_at_the_desk(client, login_with_mfa, staff, procedure):
    dossier = receive(staff, procedure)
    for official in (staff.specialist, staff.head, staff.leader):
        services.forward(actor=act(official), dossier=dossier)
    login_with_mfa(staff.receiver.user)
    page = client.get("/mot-cua/", {"tab": "return"}).content.decode()
    assert codes_in(page) == [dossier.code]


def test_online_dossiers_wait_for_reception(client, login_with_mfa, staff, procedure, make_citizen):
    from egov.dossiers.services import Submission, submit_online

    online = submit_online(
        user=make_citizen(),
        submission=Submission(
            procedure_code=procedure.code,
            agency_identifier=staff.receiver.agency.identifier,
            form_data={},
            uploads={"to-khai": [pdf_upload()]},
            result_delivery="online",
        ),
    )
    login_with_mfa(staff.receiver.user)
    assert codes_in(client.get("/mot-cua/", {"tab": "online"}).content.decode()) == [online.code]
    page = client.get(f"/mot-cua/ho-so/{online.code}/").content.decode()
    assert "Tiếp nhận hồ sơ" in page and "Từ chối tiếp nhận (mẫu 03)" in page
    response = client.post(
        f"/mot-cua/ho-so/{online.code}/thao-tac/receive/",
        {"receive-version": online.version},
        follow=True,
    )
    assert "Đã tiếp nhận hồ sơ" in response.content.decode()
    assert Dossier.objects.get(pk=online.pk).status == Status.PROCESSING


def test_workspace_is_the_queue_entry(client, login_with_mfa, staff, procedure):
    receive(staff, procedure)
    login_with_mfa(staff.specialist.user)
    page = client.get("/lam-viec/").content.decode()
    assert 'href="/mot-cua/"' in page
    assert re.search(r'tile-number">1</span>\s*hồ sơ cần tôi xử lý', page)
    assert "Tiếp nhận hồ sơ" in page  # the event titles, not their codes
    assert "dossier.received" not in page
    assert staff.receiver.user.get_full_name() in page  # who received it, from the event


# --- who may see what ---------------------------------------------------------------------


def test_other_agency_gets_404_on_page_file_receipt_and_actions(
    client, login_with_mfa, staff, procedure, other_agency, make_official
):
    dossier = receive(staff, procedure)
    stored = dossier.files.get()
    stranger = make_official(other_agency, [Role.LEADER, Role.RECEIVER, Role.SPECIALIST])
    login_with_mfa(stranger.user)
    base = f"/mot-cua/ho-so/{dossier.code}/"
    assert client.get(base).status_code == 404
    assert client.get(f"{base}tep/{stored.pk}/").status_code == 404
    assert client.get(f"{base}giay-tiep-nhan.pdf").status_code == 404
    response = client.post(f"{base}thao-tac/stop/", {"stop-version": 1, "stop-reason": "x"})
    assert response.status_code == 404
    assert Dossier.objects.get(pk=dossier.pk).status == Status.PROCESSING
    assert dossier.code not in client.get("/mot-cua/", {"tab": "unit"}).content.decode()


def test_own_agency_downloads_the_file_and_prints_the_receipt(
    client, login_with_mfa, staff, procedure
):
    dossier = receive(staff, procedure)
    stored = dossier.files.get()
    login_with_mfa(staff.specialist.user)
    page = client.get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    assert f"/mot-cua/ho-so/{dossier.code}/tep/{stored.pk}/" in page
    response = client.get(f"/mot-cua/ho-so/{dossier.code}/tep/{stored.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:5] == b"%PDF-"
    assert response["Cache-Control"] == "private, no-store"
    # The file id must belong to the dossier in the address.
    other = receive(staff, procedure)
    assert client.get(f"/mot-cua/ho-so/{other.code}/tep/{stored.pk}/").status_code == 404
    receipt = client.get(f"/mot-cua/ho-so/{dossier.code}/giay-tiep-nhan.pdf")
    assert receipt.status_code == 200 and receipt.content[:5] == b"%PDF-"


def test_official_without_totp_is_sent_to_set_it_up(client, staff):
    client.force_login(staff.specialist.user)
    response = client.get("/mot-cua/")
    assert response.status_code == 302 and "/accounts/2fa/totp/activate" in response["Location"]


def test_session_without_second_factor_is_logged_out(client, staff, give_totp):
    give_totp(staff.specialist.user)
    client.force_login(staff.specialist.user)  # password only, no TOTP step
    response = client.get(f"/mot-cua/ho-so/{'x'}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_citizens_and_visitors_are_refused(client, make_citizen, staff, procedure):
    dossier = receive(staff, procedure)
    response = client.get("/mot-cua/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(make_citizen())
    assert client.get("/mot-cua/").status_code == 403
    assert client.get(f"/mot-cua/ho-so/{dossier.code}/").status_code == 403
    assert client.get("/mot-cua/tiep-nhan/").status_code == 403


# --- actions --------------------------------------------------------------------------------


def test_page_offers_what_each_official_may_do_now(client, login_with_mfa, staff, procedure):
    dossier = receive(staff, procedure)
    url = f"/mot-cua/ho-so/{dossier.code}/"
    login_with_mfa(staff.specialist.user)
    page = client.get(url).content.decode()
    assert "Chuyển bước tiếp theo" in page and "Yêu cầu bổ sung hồ sơ" in page
    assert "Phân công xử lý" not in page and "Dừng xử lý hồ sơ" not in page
    client.logout()

    login_with_mfa(staff.specialist2.user)
    page = client.get(url).content.decode()
    assert "Bạn không có thao tác nào" in page
    response = client.post(
        f"{url}thao-tac/forward/", {"forward-version": dossier.version}, follow=True
    )
    assert "Bạn không thể “chuyển bước tiếp theo”" in response.content.decode()
    assert active(dossier).order == 2
    client.logout()

    login_with_mfa(staff.head.user)
    page = client.get(url).content.decode()
    # The step is held by the specialist: the unit head reassigns it, seeing each one's load.
    assert "Phân công lại" in page and staff.specialist2.user.get_full_name() in page
    assert "đang xử lý 0 hồ sơ" in page and 'href="#assign"' in page
    client.logout()

    services.forward(actor=act(staff.specialist), dossier=dossier)
    services.forward(actor=act(staff.head), dossier=dossier)
    login_with_mfa(staff.leader.user)
    page = client.get(url).content.decode()
    assert ">Phê duyệt</button>" in page and "Dừng xử lý hồ sơ" in page


def test_forward_then_send_back_through_the_forms(client, login_with_mfa, staff, procedure):
    dossier = receive(staff, procedure)
    url = f"/mot-cua/ho-so/{dossier.code}/"
    login_with_mfa(staff.specialist.user)
    response = client.post(
        f"{url}thao-tac/forward/",
        {"forward-version": dossier.version, "forward-note": "Hồ sơ hợp lệ"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == url
    assert "Đã chuyển hồ sơ sang bước “Lãnh đạo phòng xem xét”" in response.content.decode()
    client.logout()

    login_with_mfa(staff.head.user)
    dossier.refresh_from_db()
    empty = client.post(
        f"{url}thao-tac/send_back/",
        {"send_back-version": dossier.version, "send_back-to_order": 2, "send_back-reason": ""},
    )
    assert empty.status_code == 400 and "Vui lòng kiểm tra lại" in empty.content.decode()
    response = client.post(
        f"{url}thao-tac/send_back/",
        {
            "send_back-version": dossier.version,
            "send_back-to_order": 2,
            "send_back-reason": "Sai tên",
        },
        follow=True,
    )
    assert "Đã trả hồ sơ về bước 2." in response.content.decode()
    assert active(dossier).assignee == staff.specialist


def test_stale_page_gets_the_conflict_message_and_changes_nothing(
    client, login_with_mfa, staff, procedure
):
    dossier = receive(staff, procedure)
    seen = dossier.version
    login_with_mfa(staff.specialist.user)
    client.get(f"/mot-cua/ho-so/{dossier.code}/")
    # Meanwhile the unit head gives the step to someone else.
    services.assign(actor=act(staff.head), dossier=dossier, official_id=staff.specialist2.pk)
    response = client.post(
        f"/mot-cua/ho-so/{dossier.code}/thao-tac/forward/",
        {"forward-version": seen, "forward-note": "Xong"},
        follow=True,
    )
    assert "Hồ sơ vừa được người khác xử lý" in response.content.decode()
    step = active(dossier)
    assert (step.order, step.assignee) == (2, staff.specialist2)


def test_service_errors_come_back_in_vietnamese_on_the_form(
    clock, client, login_with_mfa, staff, procedure
):
    dossier = receive(staff, procedure)
    login_with_mfa(staff.specialist.user)
    response = client.post(
        f"/mot-cua/ho-so/{dossier.code}/thao-tac/draft_apology/",
        {
            "draft_apology-version": dossier.version,
            "draft_apology-reason": "Chờ xác minh",
            "draft_apology-new_date": "2026-12-05",  # a Saturday
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Ngày hẹn mới phải là ngày làm việc." in html
    assert '<details class="action" open>' in html  # the form stays open with what was typed
    assert "Chờ xác minh" in html
    assert not ApologyLetter.objects.exists()


def test_apology_drafted_then_approved_by_a_leader(clock, client, login_with_mfa, staff, procedure):
    dossier = receive(staff, procedure)
    login_with_mfa(staff.specialist.user)
    response = client.post(
        f"/mot-cua/ho-so/{dossier.code}/thao-tac/draft_apology/",
        {
            "draft_apology-version": dossier.version,
            "draft_apology-reason": "Chờ xác minh của cơ quan khác",
            "draft_apology-new_date": "2026-12-07",
        },
        follow=True,
    )
    assert "chờ lãnh đạo duyệt" in response.content.decode()
    letter = ApologyLetter.objects.get()
    client.logout()

    login_with_mfa(staff.leader.user)
    queue = client.get("/mot-cua/", {"tab": "apology"}).content.decode()
    assert codes_in(queue) == [dossier.code]
    response = client.post(
        f"/mot-cua/ho-so/{dossier.code}/thao-tac/decide_apology/",
        {
            "decide_apology-version": dossier.version,
            "decide_apology-letter": letter.pk,
            "decide_apology-decision": "approve",
        },
        follow=True,
    )
    assert "Đã duyệt phiếu xin lỗi. Ngày hẹn trả mới: 17:00 07/12/2026" in response.content.decode()
    # The date is promised to the applicant; the legal appointment (1/12) stays (#13: it used
    # to be overwritten by the letter's date).
    approved = Dossier.objects.get(pk=dossier.pk)
    assert approved.promised_at == at(2026, 12, 7, 17, 0)
    assert approved.appointment_at == at(2026, 12, 1, 17, 0)
    page = client.get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    assert "Ngày hẹn lại (phiếu xin lỗi)" in page and "07/12/2026" in page


def test_payment_result_and_return(client, login_with_mfa, staff, procedure):
    dossier = receive(staff, procedure)
    url = f"/mot-cua/ho-so/{dossier.code}/"
    login_with_mfa(staff.specialist.user)
    client.post(
        f"{url}thao-tac/request_payment/",
        {
            "request_payment-version": dossier.version,
            "request_payment-amount": "50000",
            "request_payment-reason": "Lệ phí cấp bản sao",
        },
    )
    dossier.refresh_from_db()
    assert dossier.status == Status.PAYMENT_REQUESTED
    # What was asked is a payment (egov.payments): paid online, or cash taken at its desk page;
    # the one-stop "payment received" is not offered for it.
    page = client.get(url).content.decode()
    assert "thao-tac/payment_received/" not in page
    client.logout()
    login_with_mfa(staff.receiver.user)
    assert "Thu tiền mặt" in client.get(url).content.decode()
    desk = client.get(f"/thanh-toan/quay/ho-so/{dossier.code}/")["Location"]
    client.post(desk, {"amount": "50000", "confirm": "on"})
    client.logout()
    login_with_mfa(staff.specialist.user)
    dossier.refresh_from_db()
    assert dossier.status == Status.PROCESSING
    client.post(
        f"{url}thao-tac/record_result/",
        {
            "record_result-version": dossier.version,
            "record_result-file": pdf_upload("ket-qua.pdf"),
        },
    )
    assert dossier.files.filter(kind=DossierFile.Kind.RESULT).count() == 1
    client.logout()
    services.forward(actor=act(staff.specialist), dossier=dossier)
    services.forward(actor=act(staff.head), dossier=dossier)
    services.forward(actor=act(staff.leader), dossier=dossier)
    dossier.refresh_from_db()
    login_with_mfa(staff.receiver.user)
    response = client.post(
        f"{url}thao-tac/return_result/",
        {"return_result-version": dossier.version, "return_result-method": "desk"},
        follow=True,
    )
    assert "Đã trả kết quả hồ sơ" in response.content.decode()
    assert Dossier.objects.get(pk=dossier.pk).status == Status.RETURNED


# --- in-person reception -------------------------------------------------------------------


def test_in_person_reception_form(client, login_with_mfa, staff, procedure, tmp_path):
    login_with_mfa(staff.receiver.user)
    chooser = client.get("/mot-cua/tiep-nhan/", {"q": "xac nhan tinh trang hon nhan"})
    assert procedure.code in chooser.content.decode()
    form = client.get("/mot-cua/tiep-nhan/", {"thu_tuc": procedure.code}).content.decode()
    assert "Tờ khai" in form and 'type="file"' in form

    fields = {
        "procedure": procedure.code,
        "applicant_kind": "citizen",
        "applicant_name": "Trần Văn Bình",
        "applicant_id_number": "12345",
        "channel": "1",
        "result_delivery": "desk",
    }
    bad = client.post("/mot-cua/tiep-nhan/", fields)
    html = bad.content.decode()
    assert bad.status_code == 400
    assert "Thông tin chủ hồ sơ chưa hợp lệ." in html and "12 chữ số" in html

    fields["applicant_id_number"] = "022195001234"
    missing = client.post("/mot-cua/tiep-nhan/", fields)
    assert "Thiếu thành phần bắt buộc: Tờ khai." in missing.content.decode()

    pdf = tmp_path / "to-khai.pdf"
    pdf.write_bytes(make_pdf())
    with pdf.open("rb") as handle:
        response = client.post("/mot-cua/tiep-nhan/", {**fields, "file__to-khai": handle})
    dossier = Dossier.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/mot-cua/ho-so/{dossier.code}/"
    page = client.get(response["Location"]).content.decode()
    assert f"Đã tiếp nhận hồ sơ {dossier.code}" in page
    assert f"/mot-cua/ho-so/{dossier.code}/giay-tiep-nhan.pdf" in page
    assert dossier.applicant_name == "Trần Văn Bình" and dossier.status == Status.PROCESSING


def test_reception_needs_the_receiver_role_and_the_agency_procedure(
    client, login_with_mfa, staff, procedure, other_agency
):
    from .conftest import make_procedure

    foreign = make_procedure(other_agency, code="1.000077.000.00.00.H41")
    login_with_mfa(staff.specialist.user)
    assert client.get("/mot-cua/tiep-nhan/").status_code == 403
    client.logout()
    login_with_mfa(staff.receiver.user)
    page = client.get("/mot-cua/tiep-nhan/", {"thu_tuc": foreign.code}).content.decode()
    assert "Cơ quan của bạn không thực hiện thủ tục này." in page
    assert foreign.code not in client.get("/mot-cua/tiep-nhan/").content.decode()


# --- accessible, no inline code ------------------------------------------------------------


def test_pages_label_every_field_and_carry_no_inline_code(client, login_with_mfa, staff, procedure):
    from egov.web.tests.test_i18n import Page, assert_no_inline_code

    dossier = receive(staff, procedure)
    services.forward(actor=act(staff.specialist), dossier=dossier)
    services.forward(actor=act(staff.head), dossier=dossier)
    login_with_mfa(staff.leader.user)
    urls = [
        "/lam-viec/",
        "/mot-cua/",
        "/mot-cua/?tab=unit",
        "/mot-cua/?tab=apology",
        f"/mot-cua/ho-so/{dossier.code}/",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_inline_code(response)
        parsed = Page(response.content.decode())
        for input_id, attrs in parsed.inputs.items():
            if attrs.get("type") in ("hidden", "submit"):
                continue
            assert parsed.labels.get(input_id), f"{url}: #{input_id} has no <label>"
        ids = re.findall(r'\sid="([^"]+)"', response.content.decode())
        assert len(ids) == len(set(ids)), f"{url}: duplicate ids"
    client.logout()
    login_with_mfa(staff.receiver.user)
    for url in ("/mot-cua/tiep-nhan/", f"/mot-cua/tiep-nhan/?thu_tuc={procedure.code}"):
        response = client.get(url)
        assert_no_inline_code(response)
        parsed = Page(response.content.decode())
        for input_id, attrs in parsed.inputs.items():
            if attrs.get("type") not in ("hidden", "submit"):
                assert parsed.labels.get(input_id), f"{url}: #{input_id} has no <label>"
