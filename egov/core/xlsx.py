"""Cells for every XLSX the platform writes: text is always text, never a live formula.

openpyxl stores any string beginning with "=" as a formula, so a citizen named
`=HYPERLINK("http://x","click")` became a clickable link in an official's register. Per OWASP's
CSV/formula-injection guidance, a string is written with the string type and, when it begins with
a character a spreadsheet treats as the start of a formula (= + - @ tab CR LF), with the "quote
prefix" style so that editing the cell in Excel/LibreOffice keeps it text. The value itself is
unchanged (the register shows what was recorded). Characters XML cannot hold are dropped rather
than failing the export.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


def cell(sheet: Any, value: Any) -> Any:
    """A cell for `sheet` (normal or write-only) holding `value`; a string stays a string."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    result = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        result.data_type = "s"
        if value.startswith(FORMULA_TRIGGERS):
            result.quotePrefix = True
    return result


def row(sheet: Any, values: Iterable[Any]) -> list[Any]:
    """Cells for `sheet.append(...)`."""
    return [cell(sheet, v) for v in values]
