"""The pages: the applicant's checkout (breakdown, providers, "Thanh toán"), the attempt page
(waiting and polled, sent on to the platform's page, failed with "Thử lại", VietQR's transfer
details), the desk's cash page, and where the portal and the one-stop pages lead to them.
Denials as attacks: anonymous, another citizen, another agency's official."""

from __future__ import annotations

import pytest

from egov.dossiers.models import Dossier, PaymentState, Status
from egov.onestop import services as onestop
from egov.org.models import Role
from egov.payments.models import Attempt, AttemptStatus, PaymentStatus

from .checkout_support import WAITING, online  # noqa: F401
from .conftest import CRIMINAL_RECORD, FEE, actor, payment_of

pytestmark = pytest.mark.django_db


def test_checkout_shows_the_breakdown_and_starts_paying(
    client,
    criminal_record,
    submit,
    make_citizen,
    online,  # noqa: F811
):
    citizen = make_citizen()
    payment = payment_of(submit(citizen, criminal_record))
    client.force_login(citizen)
    url = f"/thanh-toan/{payment.code}/"
    page = client.get(url).content.decode()
    assert (
        "Phí cung cấp thông tin lý lịch tư pháp" in page and "<strong>200.000 đồng</strong>" in page
    )
    assert WAITING.label in page and 'type="radio"' in page and "Thanh toán</button>" in page
    assert "Tiền mặt tại Bộ phận Một cửa" not in page  # the desk's, not the applicant's
    assert "Hồ sơ được giải quyết sau khi khoản này được thanh toán." in page
    refused = client.post(url, {}).content.decode()
    assert "Có lỗi cần sửa" in refused and "Chọn một hình thức thanh toán." in refused
    assert not Attempt.objects.exists()
    response = client.post(url, {"provider": WAITING.code})
    attempt = Attempt.objects.get()
    assert response["Location"] == f"/thanh-toan/{payment.code}/lan/{attempt.reference}/"
    waiting = client.get(response["Location"]).content.decode()
    assert "Đang kết nối tới đơn vị thanh toán" in waiting and "hx-get=" in waiting
    token = f"due.{AttemptStatus.CREATED}.0"
    poll = client.get(response["Location"], {"partial": "1", "seen": token})
    assert poll.status_code == 204
    # The platform's INIT reply stored the page to go to: the next poll sends the browser there.
    Attempt.objects.filter(pk=attempt.pk).update(
        status=AttemptStatus.OPEN, redirect_url="https://thanhtoan.example/trang/123"
    )
    poll = client.get(response["Location"], {"partial": "1", "seen": token})
    assert poll["HX-Redirect"] == "https://thanhtoan.example/trang/123"
    page = client.get(response["Location"]).content.decode()
    assert 'href="https://thanhtoan.example/trang/123"' in page
    # It failed: said so, with "Thử lại".
    Attempt.objects.filter(pk=attempt.pk).update(
        status=AttemptStatus.FAILED, failure="Khách hàng hủy giao dịch."
    )
    assert client.get(response["Location"], {"partial": "1", "seen": token})["HX-Refresh"]
    failed = client.get(response["Location"]).content.decode()
    assert "Thanh toán không thành công" in failed and "Khách hàng hủy giao dịch." in failed
    assert f'href="/thanh-toan/{payment.code}/">Thử lại' in failed


def test_vietqr_attempt_shows_what_to_transfer(client, criminal_record, submit, make_citizen):
    citizen = make_citizen()
    payment = payment_of(submit(citizen, criminal_record))
    # As the VietQR provider leaves it: open, with its EMVCo payload.
    attempt = Attempt.objects.create(
        payment=payment,
        provider="vietqr",
        reference="THUNGHIEMVIETQRL1",
        amount=FEE,
        status=AttemptStatus.OPEN,
        qr_payload="00020101021238570010A00000072701270006970415011311300001234502080QRIBFTTA",
    )
    client.force_login(citizen)
    page = client.get(f"/thanh-toan/{payment.code}/lan/{attempt.reference}/").content.decode()
    for text in (
        "Ngân hàng TMCP Công thương Việt Nam (VietinBank)",
        "113000012345",
        "SO TU PHAP TINH QUANG NINH",
        "<strong>200.000 đồng</strong>",
        "THUNGHIEMVIETQRL1",
        "sau khi cơ quan đối chiếu sao kê ngân hàng",
    ):
        assert text in page, text
    assert "every 15s" in page


def test_strangers_do_not_find_a_payment(
    client,
    criminal_record,
    submit,
    make_citizen,
    other_agency,
    make_official,
    login_with_mfa,
    online,  # noqa: F811
):
    payment = payment_of(submit(make_citizen(), criminal_record))
    url = f"/thanh-toan/{payment.code}/"
    assert "login" in client.get(url)["Location"]
    assert client.post(url, {"provider": WAITING.code}).status_code == 302
    client.force_login(make_citizen())
    assert client.get(url).status_code == 404
    assert client.post(url, {"provider": WAITING.code}).status_code == 404
    client.logout()
    login_with_mfa(make_official(other_agency, [Role.RECEIVER], username="khac").user)
    assert client.get(url).status_code == 404
    assert client.get(f"/thanh-toan/quay/{payment.code}/").status_code == 404
    assert (
        client.post(
            f"/thanh-toan/quay/{payment.code}/", {"amount": FEE, "confirm": "on"}
        ).status_code
        == 404
    )
    assert not Attempt.objects.exists()
    assert payment_of(payment.dossier).status == PaymentStatus.DUE


def test_the_desk_takes_cash(client, criminal_record, submit, make_citizen, staff, login_with_mfa):
    citizen = make_citizen()
    dossier = submit(citizen, criminal_record)
    onestop.receive_online(actor=actor(staff.receiver), dossier=dossier.code)
    payment = payment_of(dossier)
    # A citizen cannot reach the desk's page.
    client.force_login(citizen)
    assert client.get(f"/thanh-toan/quay/{payment.code}/").status_code == 403
    client.logout()
    login_with_mfa(staff.receiver.user)
    page = client.get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    assert "Yêu cầu thực hiện nghĩa vụ tài chính" in page and "Chưa thanh toán" in page
    assert f'href="/thanh-toan/quay/ho-so/{dossier.code}/">Thu tiền mặt' in page
    assert "thao-tac/payment_received/" not in page  # cash goes through the desk page
    start = client.get(f"/thanh-toan/quay/ho-so/{dossier.code}/")
    assert start["Location"] == f"/thanh-toan/quay/{payment.code}/"
    url = start["Location"]
    assert "Ghi nhận đã thu tiền mặt" in client.get(url).content.decode()
    wrong = client.post(url, {"amount": "150000", "confirm": "on"}).content.decode()
    assert "Có lỗi cần sửa" in wrong and "Nhập đúng 200.000 đồng." in wrong
    unconfirmed = client.post(url, {"amount": str(FEE)}).content.decode()
    assert "Xác nhận đã nhận đủ tiền mặt." in unconfirmed
    assert payment_of(dossier).status == PaymentStatus.DUE
    done = client.post(url, {"amount": str(FEE), "confirm": "on"}, follow=True).content.decode()
    assert "Đã ghi nhận thu tiền mặt 200.000 đồng" in done and "Đã thu 200.000 đồng." in done
    dossier.refresh_from_db()
    assert (dossier.status, dossier.payment_state) == (Status.PROCESSING, PaymentState.PAID)
    page = client.get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    assert "Đã thanh toán" in page and "đã nộp 200.000 đồng" in page


def test_portal_leads_to_paying_now_or_later(
    client,
    agency,
    criminal_record,
    make_citizen,
    staff,
    online,  # noqa: F811
):
    from egov.payments.services.cash import record_cash

    citizen = make_citizen()
    client.force_login(citizen)
    url = f"/thu-tuc/{CRIMINAL_RECORD}/nop-ho-so/"
    form = {"agency": agency.identifier, "result_delivery": "online", "action": "continue"}
    assert client.post(url, form).status_code == 302
    check = client.get(url + "kiem-tra/").content.decode()
    assert "<strong>200.000 đồng</strong>" in check and "thanh toán trực tuyến ngay" in check
    done = client.post(url + "kiem-tra/", {"confirm": "on"}, follow=True).content.decode()
    dossier = Dossier.objects.get()
    payment = payment_of(dossier)
    assert f'href="/thanh-toan/{payment.code}/">Thanh toán ngay' in done
    assert f'href="/ho-so-cua-toi/{dossier.code}/#thanh-toan">Thanh toán sau' in done
    listed = client.get("/ho-so-cua-toi/").content.decode()
    assert f'href="/ho-so-cua-toi/{dossier.code}/#thanh-toan">Chờ thanh toán' in listed
    mine = client.get(f"/ho-so-cua-toi/{dossier.code}/").content.decode()
    assert "Tình trạng thanh toán:" in mine and "Chưa thanh toán" in mine
    assert f'href="/thanh-toan/{payment.code}/">Thanh toán' in mine
    record_cash(actor=actor(staff.receiver), payment=payment.code, amount=FEE)
    mine = client.get(f"/ho-so-cua-toi/{dossier.code}/").content.decode()
    assert "Đã thanh toán 200.000 đồng lúc" in mine and "Tiền mặt tại Bộ phận Một cửa" in mine
    assert f'href="/thanh-toan/{payment.code}/">Thanh toán' not in mine


def test_the_result_is_not_downloaded_before_paying(
    client, criminal_record, submit, make_citizen, staff
):
    from egov.catalog.models import PaymentTiming, Procedure
    from egov.dossiers.models import DossierFile
    from egov.dossiers.tests.conftest import pdf_upload

    Procedure.objects.filter(pk=criminal_record.pk).update(
        payment_timing=PaymentTiming.BEFORE_RESULT
    )
    citizen = make_citizen()
    dossier = submit(citizen, criminal_record)
    onestop.receive_online(actor=actor(staff.receiver), dossier=dossier.code)
    onestop.record_result(
        actor=actor(staff.specialist), dossier=dossier.code, upload=pdf_upload("phieu.pdf")
    )
    onestop.forward(actor=actor(staff.specialist), dossier=dossier.code)
    onestop.forward(actor=actor(staff.leader), dossier=dossier.code)
    result = dossier.files.get(kind=DossierFile.Kind.RESULT)
    client.force_login(citizen)
    page = client.get(f"/ho-so-cua-toi/{dossier.code}/").content.decode()
    assert "Kết quả được trả sau khi ông/bà nộp đủ phí, lệ phí." in page
    refused = client.get(f"/ho-so-cua-toi/{dossier.code}/ket-qua/{result.pk}/", follow=True)
    assert "Vui lòng thanh toán trước khi tải kết quả." in refused.content.decode()
    assert refused.get("Content-Disposition") is None
