"""VietQR: the EMVCo merchant-presented QR code that NAPAS member banks' apps read to make an
interbank transfer (NAPAS 247 "chuyển nhanh") to an account, with the amount and the purpose
filled in.

The payload is a string of EMVCo data objects, each `ID` (2 digits) + `length` (2 digits) +
`value`, in this order:

    00 02 01                    payload format indicator
    01 02 12                    point of initiation: 12 = dynamic (one amount, one payment)
    38 ..                       merchant account information (NAPAS):
       00 10 A000000727            the NAPAS GUID
       01 ..                       the beneficiary organisation:
          00 06 <BIN>                 the receiving bank's 6-digit BIN
          01 .. <account>             the account number (up to 19 letters and digits)
       02 08 QRIBFTTA              service: interbank transfer to an account
    53 03 704                   currency (ISO 4217: VND)
    54 .. <amount>              integer đồng
    58 02 VN                    country
    62 ..                       additional data:
       08 .. <purpose>             the transfer's purpose (nội dung chuyển khoản)
    63 04 <CRC>                 CRC16-CCITT (polynomial 0x1021, initial 0xFFFF, no reflection,
                                no final XOR) over everything before it, "6304" included, as
                                4 upper-case hexadecimal digits

(domain README section 13; EMVCo QRCPS-MPM; NAPAS VietQR specification.)

The purpose is what the payer's bank writes in the transfer's description, and what the bank
statement import looks for to match the transfer (services/statements.py): ASCII only, since
bank apps drop or mangle Vietnamese diacritics, and at most 25 characters.
"""

from __future__ import annotations

import io
import re
from html import escape

import qrcode
import qrcode.image.svg
from qrcode.constants import ERROR_CORRECT_M

from egov.core.error_codes import CoreErrorCode
from egov.core.errors import DomainError
from egov.core.text import strip_accents

from .error_codes import PaymentErrorCode

NAPAS_GUID = "A000000727"
SERVICE_TO_ACCOUNT = "QRIBFTTA"
CURRENCY_VND = "704"
COUNTRY = "VN"
DYNAMIC = "12"

MAX_AMOUNT = 9_999_999_999_999  # 13 digits: what the amount object (up to 13 chars) can carry
MAX_PURPOSE = 25
MAX_ACCOUNT = 19

_BIN = re.compile(r"[0-9]{6}")
_ACCOUNT = re.compile(r"[A-Za-z0-9]{1,19}")
# Printable ASCII without the characters bank apps are known to strip or refuse in a purpose.
_PURPOSE = re.compile(r"[A-Za-z0-9 .,\-_/]+")


class QRInputError(DomainError):
    """A value a VietQR payload cannot carry (the field named in `fields`)."""

    code: str = CoreErrorCode.INVALID


def crc16(data: str) -> str:
    """CRC16-CCITT (0x1021, initial 0xFFFF) of the payload's bytes, as 4 upper-case hex
    digits."""
    crc = 0xFFFF
    for byte in data.encode("ascii"):
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return f"{crc:04X}"


def _tlv(tag: str, value: str) -> str:
    if len(value) > 99:
        raise QRInputError(f"Trường {tag} của mã QR quá dài.", fields={"payload": [tag]})
    return f"{tag}{len(value):02d}{value}"


def clean_purpose(text: str) -> str:
    """The purpose as bank apps will carry it: Vietnamese diacritics removed (đ → d), runs of
    spaces collapsed. Validity (characters, length) is checked by `payload`."""
    return " ".join(strip_accents(text or "").split())


def _invalid(field: str, message: str) -> QRInputError:
    return QRInputError(message, fields={field: [message]})


def payload(*, bin: str, account: str, amount: int, purpose: str) -> str:
    """The dynamic VietQR payload of a transfer of `amount` đồng to `account` at the bank
    `bin`, with `purpose` as its description. Raises QRInputError for a value the QR cannot
    carry (nothing is shortened silently: a cut purpose would not match the statement)."""
    bank = (bin or "").strip()
    if not _BIN.fullmatch(bank):
        raise _invalid("bin", "Mã ngân hàng (BIN) phải gồm đúng 6 chữ số.")
    acct = (account or "").strip()
    if not _ACCOUNT.fullmatch(acct):
        raise _invalid(
            "account", f"Số tài khoản phải gồm từ 1 đến {MAX_ACCOUNT} chữ cái hoặc chữ số."
        )
    if isinstance(amount, bool) or not isinstance(amount, int) or not 1 <= amount <= MAX_AMOUNT:
        raise QRInputError(
            "Số tiền phải là số nguyên đồng, từ 1 đến 9.999.999.999.999.",
            code=PaymentErrorCode.INVALID_AMOUNT,
            fields={"amount": ["Số tiền không hợp lệ."]},
        )
    text = clean_purpose(purpose)
    if not text:
        raise _invalid("purpose", "Nội dung chuyển khoản không được để trống.")
    if len(text) > MAX_PURPOSE:
        raise _invalid("purpose", f"Nội dung chuyển khoản dài quá {MAX_PURPOSE} ký tự: “{text}”.")
    if not _PURPOSE.fullmatch(text):
        raise _invalid(
            "purpose",
            "Nội dung chuyển khoản chỉ gồm chữ không dấu, chữ số, khoảng trắng và . , - _ /.",
        )
    account_info = _tlv(
        "38",
        _tlv("00", NAPAS_GUID)
        + _tlv("01", _tlv("00", bank) + _tlv("01", acct))
        + _tlv("02", SERVICE_TO_ACCOUNT),
    )
    body = (
        _tlv("00", "01")
        + _tlv("01", DYNAMIC)
        + account_info
        + _tlv("53", CURRENCY_VND)
        + _tlv("54", str(amount))
        + _tlv("58", COUNTRY)
        + _tlv("62", _tlv("08", text))
        + "6304"
    )
    return body + crc16(body)


# --- the image ------------------------------------------------------------------------------------
# segno is the house's choice for QR codes but is not installed in this environment; qrcode (the
# library the dossier receipt's QR already uses) draws the same standard symbol. Error correction
# M, the usual level for payment QRs: readable from a phone screen and from print.


def _code(data: str) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4, box_size=8)
    code.add_data(data)
    code.make(fit=True)
    return code


def qr_svg(data: str, *, label: str = "Mã VietQR để chuyển khoản") -> str:
    """The QR code of `data` as an inline <svg> element (no XML declaration), scalable, named
    for screen readers by `label`."""
    image = _code(data).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    text = re.sub(r"^<\?xml[^>]*\?>\s*", "", image.to_string(encoding="unicode"))
    named = f'<svg role="img" aria-label="{escape(label)}" class="vietqr"'
    return text.replace("<svg", named, 1)


def qr_png(data: str, *, box_size: int = 8) -> bytes:
    """The QR code of `data` as a PNG image (black on white, quiet zone of 4 modules)."""
    code = _code(data)
    code.box_size = box_size
    buffer = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    return buffer.getvalue()
