"""The national platform's protocol (egov/payments/national.py): MaXacThuc over the documented
field orders, computed here independently of the module, and the messages read strictly."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from egov.payments import national

SECRET = "bi-mat-thu-nghiem"
AT = datetime(2026, 12, 4, 1, 8, 59, tzinfo=UTC)  # 08:08:59 in Hà Nội


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_mac_is_sha256_of_the_pipe_joined_fields_and_the_secret():
    assert national.mac(["PAY", "2.0.0", "Hồ sơ"], SECRET) == sha(f"PAY|2.0.0|Hồ sơ|{SECRET}")
    assert national.verify(["a", "b"], sha(f"a|b|{SECRET}"), SECRET)
    assert national.verify(["a", "b"], sha(f"a|b|{SECRET}").upper(), SECRET)
    assert not national.verify(["a", "b"], sha(f"a|b|{SECRET}x"), SECRET)
    assert not national.verify(["a", "b"], "", SECRET)
    with pytest.raises(ValueError):
        national.mac(["a"], "")


def test_init_request_fields_order_and_mac():
    message = national.init_request(
        partner="000.00.01.H41",
        secret=SECRET,
        reference="QG0001",
        amount=200_000,
        at=AT,
        return_url="https://dvc.example/thanh-toan/quoc-gia/ket-qua/QG0001/",
        notify_url="https://dvc.example/thanh-toan/quoc-gia/thong-bao/",
        dossier_code="000.00.01.H41-261204-0001",
        procedure_code="2.000488.000.00.00.H41",
        lines=[national.FeeLine("Phí cung cấp thông tin lý lịch tư pháp", 200_000)],
    )
    assert message["LoaiBanTin"] == "PAY"
    assert message["LoaiHinhThanhToan"] == "PAY"
    assert message["MaTienTe"] == "VND"
    assert message["SoTien"] == "200000"
    assert message["ThoiGianGD"] == "20261204080859"
    receipt = message["ThongTinBienLai"]
    assert receipt["MaHoSo"] == "000.00.01.H41-261204-0001"
    assert receipt["MaTTHC"] == "2.000488.000.00.00.H41"
    assert receipt["DanhSachPhiLePhi"] == [
        {"TenPhiLePhi": "Phí cung cấp thông tin lý lịch tư pháp", "SoTien": "200000"}
    ]
    expected = sha(
        "PAY|2.0.0|000.00.01.H41|QG0001|200000|PAY|VND|20261204080859|"
        "https://dvc.example/thanh-toan/quoc-gia/ket-qua/QG0001/|"
        f"https://dvc.example/thanh-toan/quoc-gia/thong-bao/|{SECRET}"
    )
    assert message["MaXacThuc"] == expected


def test_query_and_confirm_orders():
    query = national.query_request(partner="P", secret=SECRET, reference="QG1", at=AT)
    assert query["MaXacThuc"] == sha(f"QUERY|2.0.0|P|QG1|20261204080859|{SECRET}")
    confirm = national.confirm_message(
        partner="P", secret=SECRET, reference="QG1", code="00", transaction="GD9",
        amount=200_000, at=AT,
    )  # fmt: skip
    assert confirm["MaXacThuc"] == sha(
        f"CONFIRM|2.0.0|P|QG1|GD9|200000|VND|00|20261204080859|{SECRET}"
    )
    read = national.read_confirm(confirm)
    assert read.verifies(SECRET) and read.paid
    assert (read.reference, read.transaction, read.amount) == ("QG1", "GD9", 200_000)
    assert read.at == AT
    assert not read.verifies(SECRET + "x")


@pytest.mark.parametrize("amount", [Decimal("200000"), 200000.0, True, 0, -5])
def test_amounts_are_whole_positive_dong(amount):
    with pytest.raises(ValueError):
        national.amount_text(amount)


@pytest.mark.parametrize("text", ["200000.00", "2e5", "-1", "", " 1", "1 000", "0", 1.5, None])
def test_received_amounts_are_digits_only(text):
    with pytest.raises(national.Malformed):
        national.parse_amount(text)
    assert national.parse_amount("200000") == 200_000


def _confirm(**changes):
    message = national.confirm_message(
        partner="P", secret=SECRET, reference="QG1", code="00", transaction="GD9",
        amount=200_000, at=AT,
    )  # fmt: skip
    message.update(changes)
    return message


@pytest.mark.parametrize(
    "changes",
    [
        {"LoaiBanTin": "PAY"},
        {"MaThamChieu": ""},
        {"MaGiaoDich": ""},
        {"SoTien": "200000.5"},
        {"SoTien": 200000.0},
        {"MaTienTe": "USD"},
        {"ThoiGianGD": "2026-12-04"},
        {"ThoiGianGD": "20261340080859"},
        {"MaLoi": ""},
        {"MaXacThuc": ""},
        {"MaThamChieu": ["QG1"]},
        {"MaThamChieu": "QG1\n"},
    ],
)
def test_malformed_confirms_are_refused(changes):
    with pytest.raises(national.Malformed):
        national.read_confirm(_confirm(**changes))


def test_a_failure_needs_no_transaction_nor_amount():
    message = national.confirm_message(partner="P", secret=SECRET, reference="QG1", code="02")
    read = national.read_confirm(message)
    assert read.verifies(SECRET)
    assert (read.paid, read.amount, read.transaction, read.at) == (False, None, "", None)


def test_decode_wants_a_json_object():
    for body in (b"\xff\xfe", b"not json", b"[1, 2]", b'"x"'):
        with pytest.raises(national.Malformed):
            national.decode(body)


def _reply(code="00", url="http://127.0.0.1:1/thanh-toan/x", secret=SECRET, reference="QG1"):
    return national.sign(
        {"MaLoi": code, "MaDoiTac": "P", "MaThamChieu": reference, "UrlThanhToan": url},
        national.INIT_REPLY_FIELDS,
        secret,
    )


def test_init_replies():
    read = national.read_init_reply
    ok = read(_reply(), partner="P", reference="QG1", secret=SECRET)
    assert ok.ok and ok.url == "http://127.0.0.1:1/thanh-toan/x"
    forged = read(_reply(secret="khac"), partner="P", reference="QG1", secret=SECRET)
    assert not forged.ok and not forged.retry
    busy = read(_reply(code="99"), partner="P", reference="QG1", secret=SECRET)
    assert busy.retry
    refused = read(_reply(code="03"), partner="P", reference="QG1", secret=SECRET)
    assert (refused.ok, refused.retry, refused.code) == (False, False, "03")
    other = read(_reply(reference="QG2"), partner="P", reference="QG1", secret=SECRET)
    assert not other.ok
    script = read(_reply(url="javascript:alert(1)"), partner="P", reference="QG1", secret=SECRET)
    assert not script.ok
    assert read(None, partner="P", reference="QG1", secret=SECRET).retry
    unsigned = read(
        {"MaLoi": "00", "UrlThanhToan": "https://pay.example/x"},
        partner="P",
        reference="QG1",
        secret=SECRET,
    )
    assert unsigned.ok  # a reply without MaXacThuc is taken as it is (TLS to the platform)
