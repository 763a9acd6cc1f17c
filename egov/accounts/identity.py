"""Validation of Vietnamese identifiers: personal id number (CCCD), tax code, phone number.

Messages are in Vietnamese because they are shown to citizens as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import phonenumbers
from django.core.exceptions import ValidationError

# Province codes of the place of birth registration (first three digits of a personal id number),
# Circular 07/2016/TT-BCA as amended by 59/2021/TT-BCA: the 63 pre-2025 provinces.
BIRTH_PROVINCE_CODES = frozenset(
    [
        "001",
        "002",
        "004",
        "006",
        "008",
        "010",
        "011",
        "012",
        "014",
        "015",
        "017",
        "019",
        "020",
        "022",
        "024",
        "025",
        "026",
        "027",
        "030",
        "031",
        "033",
        "034",
        "035",
        "036",
        "037",
        "038",
        "040",
        "042",
        "044",
        "045",
        "046",
        "048",
        "049",
        "051",
        "052",
        "054",
        "056",
        "058",
        "060",
        "062",
        "064",
        "066",
        "067",
        "068",
        "070",
        "072",
        "074",
        "075",
        "077",
        "079",
        "080",
        "082",
        "083",
        "084",
        "086",
        "087",
        "089",
        "091",
        "092",
        "093",
        "094",
        "095",
        "096",
    ]
)

# [0-9], not \d: \d and str.isdigit() also match fullwidth and Arabic-Indic digits, which would
# let "022０８５..." register a look-alike second account for one person.
_DIGITS_12 = re.compile(r"^[0-9]{12}$")
_TAX_CODE = re.compile(r"^([0-9]{10})(?:-?([0-9]{3}))?$")
_TAX_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)
NON_ASCII_DIGITS_MESSAGE = (
    "Chỉ nhập chữ số 0-9 thông thường (không dùng chữ số toàn độ rộng hoặc chữ số của "
    "bảng chữ khác)."
)


def _has_non_ascii_digit(value: str) -> bool:
    return any(ch.isdigit() and not ch.isascii() for ch in value)


@dataclass(frozen=True)
class PersonalId:
    number: str
    province_code: str
    gender: str  # "male" / "female"
    birth_year: int


def parse_personal_id(value: str, *, today: date | None = None) -> PersonalId:
    """Check a 12-digit personal id number and decode what it carries.

    Digits 1-3: province of birth registration; digit 4: century and gender (0/1 = 1900s
    male/female, 2/3 = 2000s, ...); digits 5-6: last two digits of the birth year.
    """
    number = (value or "").strip().replace(" ", "")
    if not number:
        raise ValidationError("Vui lòng nhập số định danh cá nhân.", code="required")
    if _has_non_ascii_digit(number):
        raise ValidationError(NON_ASCII_DIGITS_MESSAGE, code="non_ascii_digits")
    if not (number.isascii() and number.isdigit()):
        raise ValidationError("Số định danh cá nhân chỉ gồm chữ số.", code="not_digits")
    if not _DIGITS_12.match(number):
        raise ValidationError(
            "Số định danh cá nhân phải có đúng 12 chữ số (bạn đã nhập %(n)d).",
            code="length",
            params={"n": len(number)},
        )
    province = number[:3]
    if province not in BIRTH_PROVINCE_CODES:
        raise ValidationError(
            "Ba chữ số đầu (%(code)s) không phải mã tỉnh nơi đăng ký khai sinh.",
            code="province",
            params={"code": province},
        )
    century_gender = int(number[3])
    century_start = 1900 + (century_gender // 2) * 100
    birth_year = century_start + int(number[4:6])
    current_year = (today or date.today()).year
    if birth_year > current_year or birth_year < current_year - 130:
        raise ValidationError(
            "Chữ số thứ 4 đến 6 cho năm sinh %(year)d, không hợp lệ.",
            code="birth_year",
            params={"year": birth_year},
        )
    gender = "male" if century_gender % 2 == 0 else "female"
    return PersonalId(number, province, gender, birth_year)


def tax_check_digit(first_nine: str) -> int | None:
    """The tenth digit of a tax code; None where the serial is never issued (remainder 10)."""
    total = sum(int(d) * w for d, w in zip(first_nine, _TAX_WEIGHTS, strict=True))
    check = 10 - total % 11
    return None if check == 10 else check


def normalize_tax_code(value: str) -> str:
    """Return a valid tax code as `NNNNNNNNNN` or `NNNNNNNNNN-NNN`, or raise."""
    raw = (value or "").strip().replace(" ", "").replace(".", "")
    if not raw:
        raise ValidationError("Vui lòng nhập mã số thuế.", code="required")
    if _has_non_ascii_digit(raw):
        raise ValidationError(NON_ASCII_DIGITS_MESSAGE, code="non_ascii_digits")
    match = _TAX_CODE.match(raw)
    if not match:
        raise ValidationError(
            "Mã số thuế gồm 10 chữ số, hoặc 13 chữ số với 3 số cuối là mã đơn vị phụ thuộc "
            "(ví dụ 0100109106 hoặc 0100109106-001).",
            code="format",
        )
    main, branch = match.groups()
    expected = tax_check_digit(main[:9])
    if expected is None or int(main[9]) != expected:
        raise ValidationError(
            "Mã số thuế %(code)s sai chữ số kiểm tra.", code="check_digit", params={"code": main}
        )
    if branch is not None:
        if branch == "000":
            raise ValidationError("Mã đơn vị phụ thuộc phải từ 001 đến 999.", code="branch")
        return f"{main}-{branch}"
    return main


def normalize_phone(value: str) -> str:
    """Return a Vietnamese phone number in E.164 (+84...), or raise."""
    raw = (value or "").strip()
    if not raw:
        raise ValidationError("Vui lòng nhập số điện thoại.", code="required")
    if len(raw) > 20:
        raise ValidationError("Số điện thoại quá dài.", code="max_length")
    try:
        parsed = phonenumbers.parse(raw, "VN")
    except phonenumbers.NumberParseException as exc:
        raise ValidationError("Số điện thoại không hợp lệ.", code="invalid") from exc
    if not phonenumbers.is_valid_number(parsed) or parsed.country_code != 84:
        raise ValidationError(
            "Số điện thoại không hợp lệ: hãy nhập số di động hoặc cố định Việt Nam, "
            "ví dụ 0912345678.",
            code="invalid",
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
