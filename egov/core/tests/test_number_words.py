"""Amounts in Vietnamese words (số tiền bằng chữ), as receipts and invoices print them."""

from __future__ import annotations

import pytest

from egov.core.numbers import amount_in_words, vietnamese_words

KNOWN = {
    0: "không",
    5: "năm",
    10: "mười",
    11: "mười một",
    14: "mười bốn",
    15: "mười lăm",
    20: "hai mươi",
    21: "hai mươi mốt",
    24: "hai mươi tư",
    25: "hai mươi lăm",
    101: "một trăm linh một",
    105: "một trăm linh năm",
    110: "một trăm mười",
    115: "một trăm mười lăm",
    1_000: "một nghìn",
    1_005: "một nghìn không trăm linh năm",
    1_050: "một nghìn không trăm năm mươi",
    10_000: "mười nghìn",
    35_400: "ba mươi lăm nghìn bốn trăm",
    200_000: "hai trăm nghìn",
    1_000_001: "một triệu không trăm linh một",
    1_050_000: "một triệu không trăm năm mươi nghìn",
    1_200_000: "một triệu hai trăm nghìn",
    200_015_000: "hai trăm triệu không trăm mười lăm nghìn",
    1_000_000_000: "một tỷ",
    1_000_000_005: "một tỷ không trăm linh năm",
    2_500_000_000: "hai tỷ năm trăm triệu",
    1_000_000_000_000: "một nghìn tỷ",
    1_200_000_000_000: "một nghìn hai trăm tỷ",
}


@pytest.mark.parametrize(("value", "words"), sorted(KNOWN.items()))
def test_known_readings(value: int, words: str) -> None:
    assert vietnamese_words(value) == words


def test_amounts_are_capitalised_with_the_currency() -> None:
    assert amount_in_words(200_000) == "Hai trăm nghìn đồng"
    assert amount_in_words(0) == "Không đồng"
    assert amount_in_words(1_005) == "Một nghìn không trăm linh năm đồng"


def test_every_group_below_a_million_reads_back_to_its_number() -> None:
    """An independent reader: parse the words back and get the number (every value to 10^6)."""
    digits = {
        w: n
        for n, w in enumerate(
            ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
        )
    }
    digits.update({"mốt": 1, "tư": 4, "lăm": 5})

    def parse(text: str) -> int:
        total, group, last = 0, 0, 0
        for word in text.split():
            if word in digits:
                last = digits[word]
                group += last
            elif word == "mười":
                group += 10
            elif word == "mươi":
                group += last * 9  # the digit was added once: make it tens
            elif word == "trăm":
                group += last * 99
            elif word == "linh":
                continue
            elif word == "nghìn":
                total, group = total + group * 1000, 0
            else:
                raise AssertionError(word)
        return total + group

    for value in range(0, 1_000_000, 7):
        assert parse(vietnamese_words(value)) == value, value


@pytest.mark.parametrize("bad", [-1, 1.5, "12", True])
def test_refuses_what_is_not_a_count_of_dong(bad: object) -> None:
    with pytest.raises(ValueError):
        vietnamese_words(bad)  # type: ignore[arg-type]
