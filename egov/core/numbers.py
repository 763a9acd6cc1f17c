"""Numbers formatted as Django's `intcomma` and `floatformat:N` format them in the active
language, with the separators looked up once per table instead of once per cell: for the two
hundred agencies of a ranking, the per-call translation and format lookups cost more than the
queries behind the figures."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import get_format


class NumberFormat:
    def __init__(self) -> None:
        self.decimal_separator = str(get_format("DECIMAL_SEPARATOR"))
        self.thousand_separator = str(get_format("THOUSAND_SEPARATOR"))
        self.grouping = get_format("NUMBER_GROUPING")

    def _group(self, digits: str) -> str:
        if self.grouping != 3:  # no grouping (0) or an unusual scheme: leave as is
            return digits
        return f"{int(digits):,}".replace(",", self.thousand_separator)

    def integer(self, value: int) -> str:
        """As `intcomma`: 1234567 -> "1.234.567" in Vietnamese."""
        sign = "-" if value < 0 else ""
        return sign + self._group(str(abs(int(value))))

    def fixed(self, value: float | Decimal, places: int) -> str:
        """As `floatformat:places` (half up, no grouping): 12.95 -> "13,0" with 1 place."""
        number = value if isinstance(value, Decimal) else Decimal(repr(value))
        rounded = number.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
        if rounded == 0:
            rounded = abs(rounded)  # no "-0,0"
        return f"{rounded:f}".replace(".", self.decimal_separator)


# --- amounts in Vietnamese words (số tiền bằng chữ) ------------------------------------------

_DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
# Scales within one "tỷ" (10^9); above it the words repeat: nghìn tỷ, triệu tỷ, tỷ tỷ.
_SCALES = ("", "nghìn", "triệu")


def _three_digits(value: int, *, leading: bool) -> list[str]:
    """0 < value < 1000. A group after a higher one says its zero hundreds and tens ("một
    nghìn không trăm linh năm"); the leading group does not ("năm")."""
    hundreds, rest = divmod(value, 100)
    tens, units = divmod(rest, 10)
    words: list[str] = []
    if hundreds or not leading:
        words += [_DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units and words:
            words.append("linh")
    elif tens == 1:
        words.append("mười")
    else:
        words += [_DIGITS[tens], "mươi"]
    if units:
        if units == 1 and tens >= 2:
            words.append("mốt")
        elif units == 4 and tens >= 2:
            words.append("tư")
        elif units == 5 and tens >= 1:
            words.append("lăm")
        else:
            words.append(_DIGITS[units])
    return words


def _below_billion(value: int, *, leading: bool) -> list[str]:
    """0 < value < 10^9, as groups of three digits with their scale; zero groups are silent."""
    groups = []
    while value:
        value, group = divmod(value, 1000)
        groups.append(group)
    words: list[str] = []
    for scale in range(len(groups) - 1, -1, -1):
        group = groups[scale]
        if not group:
            continue
        words += _three_digits(group, leading=leading and not words)
        if _SCALES[scale]:
            words.append(_SCALES[scale])
    return words


def _words(value: int, *, leading: bool = True) -> list[str]:
    billions, rest = divmod(value, 1_000_000_000)
    words: list[str] = []
    if billions:
        words += [*_words(billions, leading=leading), "tỷ"]
    if rest:
        words += _below_billion(rest, leading=leading and not words)
    return words


def vietnamese_words(value: int) -> str:
    """A non-negative integer read out in Vietnamese, lower case: 200000 -> "hai trăm nghìn",
    1005 -> "một nghìn không trăm linh năm", 21 -> "hai mươi mốt", 0 -> "không"."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"not a non-negative integer: {value!r}")
    if value == 0:
        return _DIGITS[0]
    return " ".join(_words(value))


def amount_in_words(amount: int) -> str:
    """An amount of đồng as receipts and invoices write it (số tiền bằng chữ), capitalised:
    200000 -> "Hai trăm nghìn đồng"."""
    text = vietnamese_words(amount)
    return f"{text[0].upper()}{text[1:]} đồng"
