"""The statements page and API: the accountant imports a statement and resolves lines; the
leader sees but does not act; anyone else is refused (attacks: another agency's accountant, a
receiver, a citizen, anonymous, API clients without the scope or of another agency) and
nothing changes."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from egov.accounts.services import create_api_client
from egov.conftest import login_client
from egov.core.actors import SYSTEM
from egov.events.models import Event
from egov.payments.models import (
    Collector,
    LineStatus,
    PaymentStatus,
    StatementImport,
    StatementLine,
)

from .conftest import FEE, payment_of
from .vietqr_support import csv_file, open_vietqr, xlsx_file

pytestmark = pytest.mark.django_db

AT = datetime(2026, 12, 4, 9, 15, 0)
PAGE = "/thanh-toan/sao-ke/"
API = "/api/v1/payments/statements/"
UNMATCHED_API = "/api/v1/payments/statements/unmatched-lines/"


@pytest.fixture
def transfer(criminal_record, submit, make_citizen):  # type: ignore[no-untyped-def]
    citizen = make_citizen()
    dossier = submit(citizen, criminal_record)
    return dossier, open_vietqr(payment_of(dossier), "TT-K7Q2M9XW", by_user=citizen), citizen


ROWS = [
    (AT, FEE, "NGUYEN VAN A chuyen tien TT K7Q2M9XW", "FT1", "NGUYEN VAN A"),
    (AT, 75_000, "Lai tien gui", "FT2", ""),
]


@pytest.fixture
def stranger(other_agency, make_official):  # type: ignore[no-untyped-def]
    Collector.objects.create(
        agency=other_agency,
        name=other_agency.name,
        tax_code="5700100257",
        receipt_template="01BLP0-001",
        receipt_series="XD-26E",
        bank_bin="970436",
        bank_account="0011000999",
    )
    return make_official(other_agency, ["accountant"], username="ketoan-khac")


def test_the_accountant_imports_and_resolves(staff, transfer):
    dossier, _attempt, _citizen = transfer
    assert reverse("payments:statements") == PAGE
    client = login_client(staff.accountant.user)
    page = client.get(PAGE)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Nhập sao kê" in body and "Không có dòng nào chờ đối chiếu." in body
    done = client.post(PAGE, {"file": csv_file(ROWS)}, follow=True)
    body = done.content.decode()
    assert "Đã nhập sao kê “saoke.csv”: 2 dòng ghi có mới, 1 dòng khớp tự động" in body
    assert payment_of(dossier).status == PaymentStatus.PAID
    interest = StatementLine.objects.get(bank_reference="FT2")
    assert "Lai tien gui" in body and "Khớp thủ công" in body and "Bỏ qua" in body
    url = reverse("payments:statement_line", args=[interest.pk])
    # Ignoring without a reason: the error in place, in Vietnamese, nothing changed.
    refused = client.post(url, {"hanh_dong": "bo_qua", "ghi_chu": ""})
    assert refused.status_code == 400
    assert "Chưa đối chiếu được dòng sao kê" in refused.content.decode()
    assert "Ghi rõ vì sao bỏ qua dòng sao kê này." in refused.content.decode()
    refused = client.post(url, {"hanh_dong": "khop", "ma_tham_chieu": "TT-K7Q2M9XW"})
    assert refused.status_code == 400
    assert "khác số tiền phải nộp" in refused.content.decode() or "đã được ghi nhận" in (
        refused.content.decode()
    )
    assert StatementLine.objects.get(pk=interest.pk).status == LineStatus.UNMATCHED
    ignored = client.post(url, {"hanh_dong": "bo_qua", "ghi_chu": "Lãi tiền gửi"}, follow=True)
    assert "Đã bỏ qua dòng FT2." in ignored.content.decode()
    assert StatementLine.objects.get(pk=interest.pk).status == LineStatus.IGNORED


def test_upload_errors_are_shown_in_vietnamese(staff, collector):
    client = login_client(staff.accountant.user)
    missing = client.post(PAGE, {})
    assert missing.status_code == 400
    assert "Chọn tệp sao kê cần nhập." in missing.content.decode()
    bad = client.post(PAGE, {"file": SimpleUploadedFile("x.csv", b"a,b\n1,2\n")})
    body = bad.content.decode()
    assert bad.status_code == 400
    assert "Chưa nhập được sao kê" in body and "Không tìm thấy dòng tiêu đề" in body
    assert 'href="#id_file"' in body
    # One workbook sent twice: openpyxl stamps each file it writes with the time.
    first = xlsx_file(ROWS)
    content = first.read()
    first.seek(0)
    client.post(PAGE, {"file": first})
    again = client.post(PAGE, {"file": SimpleUploadedFile(first.name, content, first.content_type)})
    assert again.status_code == 400
    assert "Tệp sao kê này đã được nhập trước đó." in again.content.decode()
    assert StatementImport.objects.count() == 1


def test_the_leader_sees_but_does_not_act(staff, transfer):
    client = login_client(staff.accountant.user)
    client.post(PAGE, {"file": csv_file(ROWS)})
    leader = login_client(staff.leader.user)
    page = leader.get(PAGE)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Lai tien gui" in body
    assert "Khớp thủ công" not in body and 'type="file"' not in body
    assert leader.post(PAGE, {"file": csv_file(ROWS[1:], name="b.csv")}).status_code == 403
    line = StatementLine.objects.get(bank_reference="FT2")
    url = reverse("payments:statement_line", args=[line.pk])
    assert leader.post(url, {"hanh_dong": "bo_qua", "ghi_chu": "x"}).status_code == 403
    assert StatementImport.objects.count() == 1
    assert StatementLine.objects.get(pk=line.pk).status == LineStatus.UNMATCHED


def test_attacks_on_the_pages(staff, transfer, stranger):
    _dossier, _attempt, citizen = transfer
    login_client(staff.accountant.user).post(PAGE, {"file": csv_file(ROWS)})
    line = StatementLine.objects.get(bank_reference="FT2")
    url = reverse("payments:statement_line", args=[line.pk])
    events = Event.objects.count()
    # Anonymous: sent to log in; a citizen, a receiver: refused.
    assert Client().get(PAGE).status_code == 302
    assert Client().post(url, {"hanh_dong": "bo_qua", "ghi_chu": "x"}).status_code == 302
    for user, mfa in ((citizen, False), (staff.receiver.user, True)):
        client = login_client(user, with_mfa=mfa)
        assert client.get(PAGE).status_code == 403
        assert client.post(PAGE, {"file": csv_file(ROWS, name="c.csv")}).status_code == 403
        assert client.post(url, {"hanh_dong": "bo_qua", "ghi_chu": "x"}).status_code == 403
    # Another agency's accountant: their own page shows none of ours; our line is not found.
    other = login_client(stranger.user)
    page = other.get(PAGE)
    assert page.status_code == 200 and "Lai tien gui" not in page.content.decode()
    assert other.post(url, {"hanh_dong": "bo_qua", "ghi_chu": "x"}).status_code == 404
    assert other.post(url, {"hanh_dong": "khop", "ma_tham_chieu": "TT-K7Q2M9XW"}).status_code == 404
    assert StatementLine.objects.get(pk=line.pk).status == LineStatus.UNMATCHED
    assert Event.objects.count() == events


def test_the_api(staff, agency, transfer, stranger):
    dossier, _attempt, _citizen = transfer
    client = Client()
    _c, none = create_api_client(actor=SYSTEM, name="Lịch", scopes=["calendar:read"], agency=agency)
    _c, reader = create_api_client(
        actor=SYSTEM, name="Đọc", scopes=["payments:read"], agency=agency
    )
    _c, writer = create_api_client(
        actor=SYSTEM, name="Ngân hàng", scopes=["payments:read", "payments:write"], agency=agency
    )
    _c, foreign = create_api_client(
        actor=SYSTEM,
        name="Khác",
        scopes=["payments:read", "payments:write"],
        agency=stranger.agency,
    )

    def auth(token: str) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    assert client.post(API, {"file": csv_file(ROWS)}).status_code in (401, 403)
    for token in (none, reader):
        refused = client.post(API, {"file": csv_file(ROWS)}, **auth(token))
        assert refused.status_code == 403
        assert refused.json()["code"] == "permission_denied"
    assert client.get(UNMATCHED_API, **auth(none)).status_code == 403
    assert not StatementImport.objects.exists()

    created = client.post(API, {"file": csv_file(ROWS)}, **auth(writer))
    assert created.status_code == 201, created.content
    assert {k: created.json()[k] for k in ("line_count", "matched_count", "skipped")} == {
        "line_count": 2,
        "matched_count": 1,
        "skipped": 0,
    }
    statement = StatementImport.objects.get()
    assert statement.uploaded_by is None and statement.uploaded_by_client.name == "Ngân hàng"
    assert payment_of(dossier).status == PaymentStatus.PAID
    assert Event.objects.get(event_type="payment.paid").actor_kind == "system"

    duplicate = client.post(API, {"file": csv_file(ROWS)}, **auth(writer))
    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "statement_duplicate")
    invalid = client.post(API, {"file": SimpleUploadedFile("x.csv", b"a;b\n1;2\n")}, **auth(writer))
    assert (invalid.status_code, invalid.json()["code"]) == (400, "statement_invalid")
    assert "Không tìm thấy dòng tiêu đề" in invalid.json()["fields"]["file"][0]
    missing = client.post(API, {}, **auth(writer))
    assert missing.status_code == 400

    lines = client.get(UNMATCHED_API, **auth(reader)).json()
    assert [line["bank_reference"] for line in lines["results"]] == ["FT2"]
    assert lines["next"] is None
    assert client.get(UNMATCHED_API, **auth(foreign)).json()["results"] == []
    bad_cursor = client.get(UNMATCHED_API + "?cursor=abc", **auth(reader))
    assert bad_cursor.status_code == 400
    # An official through the session: the accountant reads, a receiver may not.
    assert login_client(staff.accountant.user).get(UNMATCHED_API).status_code == 200
    assert login_client(staff.receiver.user).get(UNMATCHED_API).status_code == 403
    assert login_client(staff.leader.user).post(API, {"file": csv_file(ROWS)}).status_code == 403
    assert StatementImport.objects.count() == 1
