"""Validation of Vietnamese identifiers, as a citizen typing them would meet it."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from egov.accounts.identity import (
    BIRTH_PROVINCE_CODES,
    normalize_phone,
    normalize_tax_code,
    parse_personal_id,
    tax_check_digit,
)

TODAY = date(2026, 11, 23)


def _error_code(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return exc.value.error_list[0].code or ""


class TestPersonalId:
    def test_decodes_province_gender_and_birth_year(self) -> None:
        pid = parse_personal_id("022195001234", today=TODAY)
        assert (pid.province_code, pid.gender, pid.birth_year) == ("022", "female", 1995)
        pid = parse_personal_id("001205000001", today=TODAY)
        assert (pid.gender, pid.birth_year) == ("male", 2005)

    @pytest.mark.parametrize(
        ("value", "code"),
        [
            ("", "required"),
            ("02219500123", "length"),  # 11 digits
            ("0221950012345", "length"),  # 13 digits
            ("02219500123a", "not_digits"),
            ("003195001234", "province"),  # 003 is not a province code
            ("099195001234", "province"),
            ("022299001234", "birth_year"),  # born 2099: in the future
            ("022495001234", "birth_year"),  # 22nd century
            ("022227001234", "birth_year"),  # born 2027, after today
        ],
    )
    def test_refuses_implausible_numbers_with_a_reason(self, value: str, code: str) -> None:
        with pytest.raises(ValidationError) as exc:
            parse_personal_id(value, today=TODAY)
        assert _error_code(exc) == code
        assert exc.value.messages[0]  # a Vietnamese sentence, never empty

    def test_spaces_typed_between_groups_are_ignored(self) -> None:
        assert parse_personal_id("022 195 001 234", today=TODAY).number == "022195001234"

    @given(
        province=st.sampled_from(sorted(BIRTH_PROVINCE_CODES)),
        century_gender=st.sampled_from("0123"),
        yy=st.integers(0, 99),
        serial=st.integers(0, 999_999),
    )
    def test_every_plausible_number_is_accepted(
        self, province: str, century_gender: str, yy: int, serial: int
    ) -> None:
        year = 1900 + (int(century_gender) // 2) * 100 + yy
        number = f"{province}{century_gender}{yy:02d}{serial:06d}"
        if year <= TODAY.year:
            assert parse_personal_id(number, today=TODAY).birth_year == year
        else:
            with pytest.raises(ValidationError):
                parse_personal_id(number, today=TODAY)


class TestTaxCode:
    @pytest.mark.parametrize(
        "code", ["0100109106", "0101243150", "0100109106-001", "0100109106001"]
    )
    def test_accepts_real_tax_codes(self, code: str) -> None:
        assert normalize_tax_code(code).replace("-", "") == code.replace("-", "")

    def test_branch_suffix_is_normalised_with_a_dash(self) -> None:
        assert normalize_tax_code("0100109106001") == "0100109106-001"

    @pytest.mark.parametrize(
        ("value", "code"),
        [
            ("0100109107", "check_digit"),
            ("010010910", "format"),
            ("01001091061", "format"),  # 11 digits
            ("0100109106-000", "branch"),
            ("01001O9106", "format"),  # letter O
            ("", "required"),
        ],
    )
    def test_refuses_bad_tax_codes(self, value: str, code: str) -> None:
        with pytest.raises(ValidationError) as exc:
            normalize_tax_code(value)
        assert _error_code(exc) == code

    @given(st.text(alphabet="0123456789", min_size=9, max_size=9))
    def test_exactly_one_check_digit_is_valid(self, first_nine: str) -> None:
        valid = [d for d in range(10) if _accepts(first_nine + str(d))]
        expected = tax_check_digit(first_nine)
        assert valid == ([] if expected is None else [expected])


def _accepts(code: str) -> bool:
    try:
        normalize_tax_code(code)
    except ValidationError:
        return False
    return True


class TestPhone:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("0912345678", "+84912345678"),
            ("+84 912 345 678", "+84912345678"),
            ("0203 3835 555", "+842033835555"),
        ],
    )
    def test_normalises_vietnamese_numbers(self, value: str, expected: str) -> None:
        assert normalize_phone(value) == expected

    @pytest.mark.parametrize("value", ["12345", "0912", "+1 202 555 0100", "abc", "0" * 30])
    def test_refuses_other_numbers(self, value: str) -> None:
        with pytest.raises(ValidationError):
            normalize_phone(value)
