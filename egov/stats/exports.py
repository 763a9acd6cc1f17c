"""Export any dashboard view to XLSX (openpyxl) and PDF (WeasyPrint)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.utils import timezone

from egov.core import xlsx as xlsx_cells
from egov.core.pdfrender import render_pdf

Table = tuple[str, Sequence[str], Iterable[Sequence[Any]]]  # (sheet title, header, rows)
MAX_SHEET_TITLE = 31


def xlsx(title: str, subtitle: str, tables: list[Table]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for name, header, rows in tables:
        sheet = book.create_sheet(name[:MAX_SHEET_TITLE])
        sheet.append(xlsx_cells.row(sheet, [title]))
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.append(xlsx_cells.row(sheet, [subtitle]))
        sheet.append([])
        sheet.append(xlsx_cells.row(sheet, header))
        for cell in sheet[4]:
            cell.font = Font(bold=True)
        widths = [len(str(h)) for h in header]
        for row in rows:
            values = [_cell(v) for v in row]
            sheet.append(xlsx_cells.row(sheet, values))
            for i, v in enumerate(values):
                if i < len(widths):
                    widths[i] = max(widths[i], min(len(str(v)), 60))
        for i, width in enumerate(widths):
            sheet.column_dimensions[_column(i)].width = width + 2
        sheet.freeze_panes = "A5"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if hasattr(value, "tzinfo") and value.tzinfo is not None:
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def _column(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def pdf(title: str, subtitle: str, tables: list[Table]) -> bytes:
    return render_pdf(
        "stats/pdf/report.html",
        {
            "title": title,
            "subtitle": subtitle,
            "tables": [
                (name, header, [[_text(v) for v in row] for row in rows])
                for name, header, rows in tables
            ],
            "printed_at": timezone.localtime(),
        },
    )


def _text(value: Any) -> str:
    value = _cell(value)
    if hasattr(value, "strftime"):
        return (
            value.strftime("%d/%m/%Y %H:%M")
            if hasattr(value, "hour")
            else value.strftime("%d/%m/%Y")
        )
    if isinstance(value, float):
        return f"{value:,.2f}".replace(",", " ").replace(".", ",")
    return str(value)
