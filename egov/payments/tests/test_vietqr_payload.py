"""The VietQR payload against strings built by hand here (their CRC computed independently with
binascii.crc_hqx, CRC16-CCITT from 0xFFFF) and against a published one; the PNG decoded by
zbarimg gives the payload back; values a QR cannot carry are refused."""

from __future__ import annotations

import binascii
import shutil
import subprocess

import pytest

from egov.payments import vietqr
from egov.payments.vietqr import QRInputError, crc16, payload, qr_png, qr_svg


def with_crc(body: str) -> str:
    """The body, "6304" and its CRC computed by the standard library (not by vietqr.crc16)."""
    body += "6304"
    return body + f"{binascii.crc_hqx(body.encode('ascii'), 0xFFFF):04X}"


# The collector of the tests' conftest: VietinBank (BIN 970415), account 113000012345, the
# criminal-record fee of 200.000 đồng, the attempt's reference as purpose. Every length by hand.
HAND_BUILT = with_crc(
    "000201"  # payload format indicator 01
    "010212"  # point of initiation: dynamic
    "3856"  # merchant account information, 56 characters:
    "0010A000000727"  # NAPAS GUID
    "0126" "0006970415" "0112113000012345"  # beneficiary: BIN, account (12)
    "0208QRIBFTTA"  # service: to an account
    "5303704"  # VND
    "5406200000"  # 200000
    "5802VN"
    "6215" "0811TT-K7Q2M9XW"  # additional data: purpose (11)
)  # fmt: skip


def test_the_payload_equals_the_hand_built_string():
    built = payload(bin="970415", account="113000012345", amount=200_000, purpose="TT-K7Q2M9XW")
    assert built == HAND_BUILT


def test_a_published_vietqr_string_is_reproduced():
    # A transfer of 120.000 đồng to VietinBank account 0011001932418, purpose "ủng hộ lũ lụt",
    # as published with a public VietQR generator (its CRC C15C checked below independently).
    published = (
        "00020101021238570010A00000072701270006970415011300110019324180208QRIBFTTA5303704"
        "54061200005802VN62170813ung ho lu lut6304C15C"
    )
    assert with_crc(published[:-8]) == published
    built = payload(bin="970415", account="0011001932418", amount=120_000, purpose="ủng hộ lũ lụt")
    assert built == published


@pytest.mark.parametrize(
    "data", ["", "123456789", "00020101021238570010A000000727", HAND_BUILT[:-4], "Đ".encode().hex()]
)
def test_crc16_is_crc_ccitt_from_ffff(data):
    assert crc16(data) == f"{binascii.crc_hqx(data.encode('ascii'), 0xFFFF):04X}"
    if data == "123456789":
        assert crc16(data) == "29B1"  # the CRC-16/CCITT-FALSE check value


def test_the_purpose_loses_its_diacritics_and_extra_spaces():
    built = payload(bin="970415", account="113000012345", amount=5, purpose="  Nộp  phí Đợt 1 ")
    assert "0813Nop phi Dot 1" in built
    assert built.isascii()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"bin": "97041"}, "bin"),
        ({"bin": "9704150"}, "bin"),
        ({"bin": "97O415"}, "bin"),
        ({"account": ""}, "account"),
        ({"account": "1" * 20}, "account"),
        ({"account": "1130 0001"}, "account"),
        ({"account": "113-000"}, "account"),
        ({"amount": 0}, "amount"),
        ({"amount": -200_000}, "amount"),
        ({"amount": 10_000_000_000_000}, "amount"),
        ({"amount": 200_000.0}, "amount"),
        ({"amount": "200000"}, "amount"),
        ({"amount": True}, "amount"),
        ({"purpose": ""}, "purpose"),
        ({"purpose": "   "}, "purpose"),
        ({"purpose": "X" * 26}, "purpose"),
        ({"purpose": "Thanh toán hồ sơ số 000.00.01.H41"}, "purpose"),  # 33 once stripped
        ({"purpose": "TT#1"}, "purpose"),
        ({"purpose": "TT\x071"}, "purpose"),
        ({"purpose": "phí 100€"}, "purpose"),
        ({"purpose": "缴费"}, "purpose"),
    ],
)
def test_values_a_qr_cannot_carry_are_refused(kwargs, field):
    good = {"bin": "970415", "account": "113000012345", "amount": 200_000, "purpose": "TT-1"}
    with pytest.raises(QRInputError) as refused:
        payload(**{**good, **kwargs})
    assert field in refused.value.fields
    assert refused.value.message  # Vietnamese, shown as is


def test_the_largest_amount_and_longest_values_fit():
    built = payload(bin="970415", account="A" * 19, amount=vietqr.MAX_AMOUNT, purpose="Z" * 25)
    assert "54139999999999999" in built
    assert built[-4:] == f"{binascii.crc_hqx(built[:-4].encode(), 0xFFFF):04X}"


def test_the_svg_is_inline_and_named():
    svg = qr_svg(HAND_BUILT)
    assert svg.startswith('<svg role="img" aria-label="Mã VietQR để chuyển khoản"')
    assert "<?xml" not in svg


@pytest.mark.skipif(
    shutil.which("zbarimg") is None, reason="zbarimg (Debian zbar-tools) is not installed"
)
@pytest.mark.parametrize(
    ("account", "amount", "purpose"),
    [("113000012345", 200_000, "TT-K7Q2M9XW"), ("0011001932418", 9_999_999_999_999, "ung ho")],
)
def test_the_png_decodes_to_the_payload(tmp_path, account, amount, purpose):
    data = payload(bin="970415", account=account, amount=amount, purpose=purpose)
    image = tmp_path / "qr.png"
    image.write_bytes(qr_png(data))
    decoded = subprocess.run(
        ["zbarimg", "--raw", "--quiet", "-Sdisable", "-Sqrcode.enable", str(image)],
        capture_output=True,
        check=True,
        text=True,
        timeout=60,
    )
    assert decoded.stdout.strip() == data
