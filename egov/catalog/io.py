"""Import and export of the procedure catalogue as JSON and XLSX.

Both formats carry the same document::

    {"format": "egov.catalog", "version": 1,
     "sectors": [{"code", "name"}],
     "procedures": [{"code", "name", "sector", "level", "agencies": [QCVN identifiers],
                     "legal_basis", "for_citizens", "for_businesses", "processing_time",
                     "time_unit", "result_description", "online_mode", "requirements",
                     "is_published", "electronic_original", "result_sealed",
                     "result_signing_basis", "payment_timing", "min_identity_level",
                     "components": [{"code", "name", "required", "originals", "copies",
                                     "form_template", "form_schema"}],
                     "fees": [{"kind", "name", "amount", "rule", "optional", "unit",
                              "legal_source",
                              "exemptions": [{"group", "percent", "proof",
                                              "legal_source"}]}],
                     "process": {"note", "steps": [{"name", "role", "unit_kind",
                                                    "agency_identifier", "budget"}]} | null}]}

The workbook has one sheet per list (Lĩnh vực, Thủ tục, Thành phần hồ sơ, Phí lệ phí, Miễn giảm
phí lệ phí — each row naming its fee by the fee's order —, Quy trình)
with Vietnamese column headers, plus a Hướng dẫn sheet listing the allowed values. The process is
the *current* version; its history stays in the database. `form_template` is the stored file's
name (the files themselves are not embedded).

Import is idempotent by procedure code: everything is read and checked first, and on any error
nothing is written (the errors name the sheet and row, or the procedure). Then everything is
written in one transaction through the services, so each change is an event; a procedure whose
process steps differ from its current process gets a new process version.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, QuerySet

from egov.core import xlsx
from egov.core.actors import Actor
from egov.core.text import normalize_vietnamese
from egov.org.models import Agency, Role, Unit

from . import services
from .error_codes import CatalogErrorCode
from .models import (
    Fee,
    IdentityRequirement,
    Level,
    OnlineMode,
    PaymentTiming,
    Procedure,
    ProcessVersion,
    Sector,
    TimeUnit,
)
from .services import (
    CatalogError,
    ComponentSpec,
    ExemptionSpec,
    FeeSpec,
    StepSpec,
    check_code,
    check_components,
    check_fees,
    check_procedure_values,
    check_steps,
    to_decimal,
)

FORMAT = "egov.catalog"
FORMAT_VERSION = 1
COMMUNE_AGENCIES = "@communes"  # starter catalogue: every commune-level People's Committee


class CatalogImportError(CatalogError):
    code = CatalogErrorCode.CATALOG_IMPORT_INVALID

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__(
            f"Tệp danh mục có {len(errors)} lỗi; chưa ghi gì vào cơ sở dữ liệu. "
            f"Lỗi đầu tiên: {errors[0]}",
            fields={"errors": errors},
        )


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    sectors_created: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False

    def summary(self) -> str:
        return (
            f"{len(self.created)} thủ tục mới, {len(self.updated)} thủ tục cập nhật, "
            f"{len(self.unchanged)} thủ tục không đổi, {len(self.sectors_created)} lĩnh vực mới"
            + (" (chạy thử, chưa ghi)" if self.dry_run else "")
        )


# --- export --------------------------------------------------------------------------------------


def _number(value: Decimal) -> int | float:
    """10 → 10, 0.50 → 0.5: what a person would type, exact for our 1–2 decimal places."""
    return int(value) if value == value.to_integral_value() else float(value)


def procedure_to_dict(procedure: Procedure) -> dict[str, Any]:
    """The document form of one procedure (uses prefetched relations when present)."""
    current = next((v for v in procedure.process_versions.all() if v.is_current), None)
    return {
        "code": procedure.code,
        "name": procedure.name,
        "sector": procedure.sector.code,
        "level": procedure.level,
        "agencies": sorted(a.identifier for a in procedure.agencies.all()),
        "legal_basis": procedure.legal_basis,
        "for_citizens": procedure.for_citizens,
        "for_businesses": procedure.for_businesses,
        "processing_time": _number(procedure.processing_time),
        "time_unit": procedure.time_unit,
        "result_description": procedure.result_description,
        "online_mode": int(procedure.online_mode),
        "requirements": procedure.requirements,
        "is_published": procedure.is_published,
        "electronic_original": procedure.electronic_original,
        "result_sealed": procedure.result_sealed,
        "result_signing_basis": procedure.result_signing_basis,
        "payment_timing": procedure.payment_timing,
        "min_identity_level": int(procedure.min_identity_level),
        "components": [
            {
                "code": c.code,
                "name": c.name,
                "required": c.required,
                "originals": c.originals,
                "copies": c.copies,
                "form_template": c.form_template.name or "",
                "form_schema": c.form_schema or None,
            }
            for c in sorted(procedure.components.all(), key=lambda c: (c.order, c.pk))
        ],
        "fees": [
            {
                "kind": f.kind,
                "name": f.name,
                "amount": f.amount,
                "rule": f.rule,
                "optional": f.optional,
                "unit": f.unit,
                "legal_source": f.legal_source,
                "exemptions": [
                    {
                        "group": e.group,
                        "percent": e.percent,
                        "proof": e.proof,
                        "legal_source": e.legal_source,
                    }
                    for e in sorted(f.exemptions.all(), key=lambda e: e.pk)
                ],
            }
            for f in sorted(procedure.fees.all(), key=lambda f: (f.order, f.pk))
        ],
        "process": None
        if current is None
        else {
            "note": current.note,
            "steps": [
                {
                    "name": s.name,
                    "role": s.role,
                    "unit_kind": s.unit_kind,
                    "agency_identifier": s.agency_identifier,
                    "budget": _number(s.budget),
                }
                for s in sorted(current.steps.all(), key=lambda s: s.order)
            ],
        },
    }


def _export_queryset(queryset: QuerySet[Procedure] | None) -> QuerySet[Procedure]:
    qs = queryset if queryset is not None else Procedure.objects.all()
    return (
        qs.select_related("sector")
        .prefetch_related(
            "agencies",
            "components",
            "fees__exemptions",
            Prefetch(
                "process_versions",
                queryset=ProcessVersion.objects.filter(is_current=True).prefetch_related("steps"),
            ),
        )
        .order_by("code")
    )


def export_catalog(queryset: QuerySet[Procedure] | None = None) -> dict[str, Any]:
    """The catalogue (or the procedures of `queryset`) as a document. With a queryset, only the
    sectors those procedures use are included."""
    procedures = list(_export_queryset(queryset))
    sectors = (
        Sector.objects.all()
        if queryset is None
        else Sector.objects.filter(pk__in={p.sector_id for p in procedures})
    )
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "sectors": [{"code": s.code, "name": s.name} for s in sectors.order_by("code")],
        "procedures": [procedure_to_dict(p) for p in procedures],
    }


def export_json(queryset: QuerySet[Procedure] | None = None) -> str:
    return json.dumps(export_catalog(queryset), ensure_ascii=False, indent=2) + "\n"


# --- the workbook layout -------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"  # text, bool, int, decimal, json, list
    width: int = 18


SHEET_SECTORS = "Lĩnh vực"
SHEET_PROCEDURES = "Thủ tục"
SHEET_COMPONENTS = "Thành phần hồ sơ"
SHEET_FEES = "Phí, lệ phí"
SHEET_EXEMPTIONS = "Miễn, giảm phí, lệ phí"
SHEET_STEPS = "Quy trình"
SHEET_HELP = "Hướng dẫn"

SHEETS: dict[str, tuple[Column, ...]] = {
    SHEET_SECTORS: (
        Column("code", "Mã lĩnh vực", width=14),
        Column("name", "Tên lĩnh vực", width=50),
    ),
    SHEET_PROCEDURES: (
        Column("code", "Mã thủ tục", width=26),
        Column("name", "Tên thủ tục", width=60),
        Column("sector", "Mã lĩnh vực", width=14),
        Column("level", "Cấp thực hiện", width=12),
        Column("agencies", "Cơ quan thực hiện", "list", 30),
        Column("legal_basis", "Căn cứ pháp lý", width=50),
        Column("for_citizens", "Công dân", "bool", 10),
        Column("for_businesses", "Tổ chức, doanh nghiệp", "bool", 10),
        Column("processing_time", "Thời hạn giải quyết", "decimal", 12),
        Column("time_unit", "Đơn vị thời hạn", width=10),
        Column("result_description", "Kết quả thực hiện", width=40),
        Column("online_mode", "Mức độ trực tuyến", "int", 10),
        Column("requirements", "Yêu cầu, điều kiện", width=40),
        Column("is_published", "Đang công bố", "bool", 10),
        Column("electronic_original", "Trả bản chính điện tử", "bool", 10),
        Column("result_sealed", "Kết quả có dấu cơ quan", "bool", 10),
        Column("result_signing_basis", "Căn cứ ký số, đóng dấu kết quả", width=40),
        Column("payment_timing", "Thời điểm nộp phí", width=18),
        Column("min_identity_level", "Mức độ định danh điện tử tối thiểu", "int", 12),
        Column("process_note", "Ghi chú quy trình", width=30),
    ),
    SHEET_COMPONENTS: (
        Column("procedure", "Mã thủ tục", width=26),
        Column("order", "Thứ tự", "int", 8),
        Column("code", "Mã thành phần", width=18),
        Column("name", "Tên giấy tờ", width=60),
        Column("required", "Bắt buộc", "bool", 10),
        Column("originals", "Số bản chính", "int", 10),
        Column("copies", "Số bản sao", "int", 10),
        Column("form_template", "Mẫu đơn, tờ khai (tệp)", width=30),
        Column("form_schema", "Biểu mẫu trực tuyến (JSON)", "json", 50),
    ),
    SHEET_FEES: (
        Column("procedure", "Mã thủ tục", width=26),
        Column("order", "Thứ tự", "int", 8),
        Column("kind", "Loại", width=10),
        Column("name", "Tên khoản thu", width=40),
        Column("amount", "Số tiền (đồng)", "int", 14),
        Column("rule", "Cách tính, miễn giảm", width=60),
        Column("optional", "Chỉ thu khi người nộp yêu cầu", "bool", 12),
        Column("unit", "Đơn vị tính", width=10),
        Column("legal_source", "Căn cứ thu", width=30),
    ),
    SHEET_EXEMPTIONS: (
        Column("procedure", "Mã thủ tục", width=26),
        Column("fee", "Thứ tự khoản thu", "int", 10),
        Column("group", "Đối tượng miễn, giảm", width=40),
        Column("percent", "Tỷ lệ miễn, giảm (%)", "int", 10),
        Column("proof", "Giấy tờ chứng minh", width=40),
        Column("legal_source", "Căn cứ miễn, giảm", width=30),
    ),
    SHEET_STEPS: (
        Column("procedure", "Mã thủ tục", width=26),
        Column("order", "Bước", "int", 8),
        Column("name", "Tên bước", width=50),
        Column("role", "Vai trò", width=14),
        Column("unit_kind", "Loại phòng ban", width=14),
        Column("agency_identifier", "Cơ quan liên thông", width=18),
        Column("budget", "Thời gian", "decimal", 10),
    ),
}
REQUIRED_COLUMNS = {
    SHEET_SECTORS: {"code", "name"},
    SHEET_PROCEDURES: {"code", "name", "sector", "level", "processing_time"},
    SHEET_COMPONENTS: {"procedure", "code", "name"},
    SHEET_FEES: {"procedure", "kind", "name", "amount"},
    SHEET_EXEMPTIONS: {"procedure", "fee", "group", "proof"},
    SHEET_STEPS: {"procedure", "name", "role", "budget"},
}


def _help_rows() -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    rows += [("Cấp thực hiện", str(v), str(label)) for v, label in Level.choices]
    rows += [("Đơn vị thời hạn", str(v), str(label)) for v, label in TimeUnit.choices]
    rows += [("Mức độ trực tuyến", str(v), str(label)) for v, label in OnlineMode.choices]
    rows += [("Loại khoản thu", str(v), str(label)) for v, label in Fee.Kind.choices]
    rows += [("Thời điểm nộp phí", str(v), str(label)) for v, label in PaymentTiming.choices]
    rows += [
        ("Mức độ định danh điện tử tối thiểu", str(v), str(label))
        for v, label in IdentityRequirement.choices
    ]
    rows += [
        (
            "Thứ tự khoản thu",
            "1",
            "Khoản thu được miễn, giảm: số thứ tự của khoản thu trong trang 'Phí, lệ phí'",
        )
    ]
    rows += [("Vai trò", r, str(Role(r).label)) for r in services.STEP_ROLES]
    rows += [("Loại phòng ban", str(v), str(label)) for v, label in Unit.Kind.choices]
    rows += [("Kiểu trường biểu mẫu", k, v) for k, v in services.FORM_FIELD_TYPES.items()]
    rows += [
        (
            "Cơ quan thực hiện",
            "000.00.01.H41, 000.01.50.H41",
            "Mã định danh cơ quan, cách nhau bởi dấu phẩy",
        ),
        ("Có / không", "TRUE / FALSE", "Cũng chấp nhận: có, không, x, 1, 0"),
        ("Thời gian các bước", "", "Tổng thời gian các bước phải bằng thời hạn giải quyết"),
    ]
    return rows


def _cell_value(column: Column, value: Any) -> Any:
    if column.kind == "decimal":
        return value
    if column.kind == "json":
        return "" if value is None else json.dumps(value, ensure_ascii=False)
    if column.kind == "list":
        return ", ".join(value)
    return value


def export_xlsx(queryset: QuerySet[Procedure] | None = None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    document = export_catalog(queryset)
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in SHEETS}
    rows[SHEET_SECTORS] = document["sectors"]
    for p in document["procedures"]:
        process = p["process"]
        rows[SHEET_PROCEDURES].append({**p, "process_note": process["note"] if process else ""})
        for i, c in enumerate(p["components"], start=1):
            rows[SHEET_COMPONENTS].append({"procedure": p["code"], "order": i, **c})
        for i, f in enumerate(p["fees"], start=1):
            rows[SHEET_FEES].append({"procedure": p["code"], "order": i, **f})
            for e in f["exemptions"]:
                rows[SHEET_EXEMPTIONS].append({"procedure": p["code"], "fee": i, **e})
        for i, s in enumerate(process["steps"] if process else [], start=1):
            rows[SHEET_STEPS].append({"procedure": p["code"], "order": i, **s})

    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    for name, columns in SHEETS.items():
        sheet = workbook.create_sheet(name)
        sheet.append([c.label for c in columns])
        for i, column in enumerate(columns, start=1):
            sheet.cell(row=1, column=i).font = bold
            letter = sheet.cell(row=1, column=i).column_letter
            sheet.column_dimensions[letter].width = column.width
        sheet.freeze_panes = "A2"
        for row in rows[name]:
            # Text is text: never a formula, even when it starts with "=".
            sheet.append(xlsx.row(sheet, [_cell_value(c, row.get(c.key)) for c in columns]))
        for row_cells in sheet.iter_rows(min_row=2):
            for cell in row_cells:
                if isinstance(cell.value, str) and "\n" in cell.value:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
    help_sheet = workbook.create_sheet(SHEET_HELP)
    help_sheet.append(["Mục", "Giá trị", "Ý nghĩa"])
    for help_row in _help_rows():
        help_sheet.append(list(help_row))
    for letter, width in (("A", 24), ("B", 30), ("C", 60)):
        help_sheet.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- reading -------------------------------------------------------------------------------------


def read_json(data: bytes | str) -> dict[str, Any]:
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CatalogImportError([f"Tệp JSON không đọc được: {exc}"]) from exc
    if not isinstance(document, dict):
        raise CatalogImportError(["Tệp JSON phải là một đối tượng có khóa 'procedures'."])
    return document


_TRUE = {"true", "1", "x", "co", "yes", "dung"}
_FALSE = {"false", "0", "", "khong", "no", "sai"}


class _CellError(ValueError):
    pass


def _parse_cell(column: Column, value: Any) -> Any:
    if column.kind == "bool":
        if isinstance(value, bool):
            return value
        if value is None:
            return None
        text = normalize_vietnamese(str(value))
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise _CellError("phải là có hoặc không (TRUE/FALSE)")
    if value is None or (isinstance(value, str) and not value.strip()):
        return {"list": [], "json": None}.get(column.kind)
    if column.kind == "int":
        if isinstance(value, bool):
            raise _CellError("phải là số nguyên")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        text = str(value).strip().replace(".", "").replace(" ", "")
        if text.isdigit():
            return int(text)
        raise _CellError("phải là số nguyên")
    if column.kind == "decimal":
        number = to_decimal(value, 2)
        if number is None:
            raise _CellError("phải là số, tối đa hai chữ số thập phân")
        return number
    if column.kind == "json":
        if isinstance(value, dict | list):
            return value
        try:
            return json.loads(str(value))
        except ValueError as exc:
            raise _CellError(f"không phải JSON hợp lệ ({exc})") from exc
    if column.kind == "list":
        return [
            part
            for part in str(value).replace(";", ",").replace("\n", ",").split(",")
            if part.strip()
        ]
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx(data: bytes) -> dict[str, Any]:
    """Read a workbook laid out as `export_xlsx` writes it into a document; every item carries
    `_where` (sheet and row) for the error messages."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise CatalogImportError([f"Tệp Excel không đọc được: {exc}"]) from exc
    errors: list[str] = []
    tables: dict[str, list[dict[str, Any]]] = {}
    for name, columns in SHEETS.items():
        if name not in workbook.sheetnames:
            if name in (SHEET_PROCEDURES,):
                errors.append(f"Thiếu trang tính '{name}'.")
            tables[name] = []
            continue
        tables[name] = _read_sheet(workbook[name], name, columns, errors)
    workbook.close()
    if errors:
        raise CatalogImportError(errors)

    procedures: dict[str, dict[str, Any]] = {}
    document_procedures: list[dict[str, Any]] = []
    for row in tables[SHEET_PROCEDURES]:
        note = row.pop("process_note", "") or ""
        item = {**row, "components": [], "fees": [], "process": None, "_note": note}
        document_procedures.append(item)
        procedures.setdefault(str(row.get("code") or "").strip().upper(), item)
    for sheet, key in (
        (SHEET_COMPONENTS, "components"),
        (SHEET_FEES, "fees"),
        (SHEET_STEPS, "steps"),
    ):
        grouped: dict[str, list[dict[str, Any]]] = {}
        for row in tables[sheet]:
            code = str(row.pop("procedure") or "").strip().upper()
            if code not in procedures:
                errors.append(
                    f"{row['_where']}: mã thủ tục '{code}' không có trong trang tính "
                    f"'{SHEET_PROCEDURES}'."
                )
                continue
            grouped.setdefault(code, []).append(row)
        for code, items in grouped.items():
            orders = [r.get("order") for r in items]
            if any(o is not None for o in orders):
                if any(o is None for o in orders) or len(set(orders)) != len(orders):
                    errors.append(
                        f"Trang '{sheet}', thủ tục {code}: cột thứ tự phải được điền "
                        "đủ và không trùng."
                    )
                    continue
                items.sort(key=lambda r: r["order"])
            for r in items:
                r.pop("order", None)
            if key == "steps":
                procedures[code]["process"] = {"note": procedures[code]["_note"], "steps": items}
            else:
                procedures[code][key] = items
    for row in tables[SHEET_EXEMPTIONS]:
        code = str(row.pop("procedure") or "").strip().upper()
        fees = procedures[code]["fees"] if code in procedures else []
        number = row.pop("fee", None)
        if not isinstance(number, int) or not 1 <= number <= len(fees):
            errors.append(
                f"{row['_where']}: thủ tục '{code}' không có khoản thu thứ {number} trong trang "
                f"'{SHEET_FEES}'."
            )
            continue
        fees[number - 1].setdefault("exemptions", []).append(row)
    for item in document_procedures:
        item.pop("_note", None)
    if errors:
        raise CatalogImportError(errors)
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "sectors": tables[SHEET_SECTORS],
        "procedures": document_procedures,
    }


def _read_sheet(
    sheet: Any, name: str, columns: Sequence[Column], errors: list[str]
) -> list[dict[str, Any]]:
    by_label: dict[str, Column] = {}
    for column in columns:
        by_label[normalize_vietnamese(column.label)] = column
        by_label[normalize_vietnamese(column.key)] = column
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        return []
    positions: dict[int, Column] = {}
    for i, title in enumerate(header):
        found = by_label.get(normalize_vietnamese(str(title or "")))
        if found is not None:
            positions[i] = found
    missing = REQUIRED_COLUMNS[name] - {c.key for c in positions.values()}
    if missing:
        labels = [c.label for c in columns if c.key in missing]
        errors.append(f"Trang '{name}': thiếu cột {', '.join(labels)}.")
        return []
    result: list[dict[str, Any]] = []
    for number, values in enumerate(rows, start=2):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        where = f"Trang '{name}', dòng {number}"
        row: dict[str, Any] = {"_where": where}
        for i, column in positions.items():
            value = values[i] if i < len(values) else None
            try:
                parsed = _parse_cell(column, value)
            except _CellError as exc:
                errors.append(f"{where}, cột '{column.label}': {exc}.")
                continue
            if parsed is not None:
                row[column.key] = parsed
        result.append(row)
    return result


# --- checking a document -------------------------------------------------------------------------


@dataclass
class _PlannedProcedure:
    code: str
    values: dict[str, Any]
    sector_code: str
    agencies: list[Agency]
    components: list[ComponentSpec]
    fees: list[FeeSpec]
    steps: list[StepSpec] | None
    note: str


_TEXT_FIELDS = ("name", "legal_basis", "result_description", "requirements", "result_signing_basis")
_BOOL_FIELDS = {
    "for_citizens": True,
    "for_businesses": False,
    "is_published": False,
    "electronic_original": False,
    "result_sealed": False,
}


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _plan(
    document: dict[str, Any], missing_agencies: str, warnings: list[str]
) -> tuple[list[tuple[str, str]], list[_PlannedProcedure]]:
    errors: list[str] = []
    if document.get("format", FORMAT) != FORMAT:
        errors.append(f"Tệp không phải danh mục thủ tục (format phải là '{FORMAT}').")
    version = document.get("version", FORMAT_VERSION)
    if not isinstance(version, int) or version > FORMAT_VERSION:
        errors.append(f"Phiên bản định dạng {version} chưa được hỗ trợ.")
    raw_sectors = document.get("sectors") or []
    raw_procedures = document.get("procedures")
    if not isinstance(raw_sectors, list) or not isinstance(raw_procedures, list):
        raise CatalogImportError([*errors, "'sectors' và 'procedures' phải là danh sách."])

    sectors: dict[str, str] = {s.code: s.name for s in Sector.objects.all()}
    file_sectors: list[tuple[str, str]] = []
    seen_sectors: set[str] = set()
    for i, item in enumerate(raw_sectors, start=1):
        where = item.get("_where") if isinstance(item, dict) else None
        where = where or f"Lĩnh vực thứ {i}"
        if not isinstance(item, dict):
            errors.append(f"{where}: phải là một đối tượng.")
            continue
        code, name = _text(item.get("code")).strip(), _text(item.get("name")).strip()
        if not services.SECTOR_CODE_RE.match(code):
            errors.append(f"{where}: mã lĩnh vực '{code}' không hợp lệ.")
        elif code in seen_sectors:
            errors.append(f"{where}: mã lĩnh vực '{code}' bị trùng.")
        if not name or len(name) > 255:
            errors.append(f"{where}: tên lĩnh vực không được để trống, tối đa 255 ký tự.")
        seen_sectors.add(code)
        sectors[code] = name
        file_sectors.append((code, name))

    agency_ids = {a.identifier: a for a in Agency.objects.select_related("admin_unit")}
    commune_agencies = (
        [
            a
            for a in agency_ids.values()
            if a.kind == Agency.Kind.PEOPLES_COMMITTEE
            and a.is_active
            and a.admin_unit is not None
            and a.admin_unit.level == "commune"
        ]
        if any(
            COMMUNE_AGENCIES in (p.get("agencies") or [])
            for p in raw_procedures
            if isinstance(p, dict)
        )
        else []
    )

    planned: list[_PlannedProcedure] = []
    seen_codes: set[str] = set()
    for i, item in enumerate(raw_procedures, start=1):
        if not isinstance(item, dict):
            errors.append(f"Thủ tục thứ {i}: phải là một đối tượng.")
            continue
        code = _text(item.get("code")).strip().upper()
        where = item.get("_where") or f"Thủ tục thứ {i}"
        where = f"{where} (thủ tục {code})" if code else where
        for key in ("code", "name", "sector", "level", "processing_time"):
            if item.get(key) in (None, ""):
                errors.append(f"{where}: thiếu '{key}'.")
        if any(
            item.get(k) in (None, "")
            for k in ("code", "name", "sector", "level", "processing_time")
        ):
            continue
        if code in seen_codes:
            errors.append(f"{where}: mã thủ tục bị trùng trong tệp.")
            continue
        seen_codes.add(code)
        errors.extend(f"{where}: {m}" for m in check_code(code))
        values: dict[str, Any] = {
            "code": code,
            "level": _text(item["level"]).strip(),
            "time_unit": _text(item.get("time_unit") or "days").strip(),
            "payment_timing": _text(
                item.get("payment_timing") or PaymentTiming.BEFORE_RESULT
            ).strip(),
        }
        for key in _TEXT_FIELDS:
            values[key] = _text(item.get(key))
        for key, default in _BOOL_FIELDS.items():
            value = item.get(key, default)
            if value is None:
                value = default
            if not isinstance(value, bool):
                errors.append(f"{where}: '{key}' phải là true hoặc false.")
                value = default
            values[key] = value
        mode = item.get("online_mode", OnlineMode.NONE)
        values["online_mode"] = (
            int(mode) if isinstance(mode, int | str) and str(mode).strip().isdigit() else mode
        )
        # Files from before the field: any account (0).
        required_level = item.get("min_identity_level")
        values["min_identity_level"] = (
            IdentityRequirement.ANY
            if required_level in (None, "")
            else int(required_level)
            if not isinstance(required_level, bool)
            and isinstance(required_level, int | str)
            and str(required_level).strip().isdigit()
            else required_level
        )
        time = to_decimal(item["processing_time"], 1)
        values["processing_time"] = time if time is not None else item["processing_time"]
        for field_name, messages in check_procedure_values(values).items():
            if field_name != "code":
                errors.extend(f"{where}: {m}" for m in messages)
        sector_code = _text(item["sector"]).strip()
        if sector_code not in sectors:
            errors.append(
                f"{where}: lĩnh vực '{sector_code}' chưa có trong danh mục hoặc trong tệp."
            )

        agencies: list[Agency] = []
        raw_agencies = item.get("agencies") or []
        if not isinstance(raw_agencies, list):
            errors.append(f"{where}: 'agencies' phải là danh sách mã định danh cơ quan.")
            raw_agencies = []
        for identifier in raw_agencies:
            identifier = _text(identifier).strip()
            if identifier == COMMUNE_AGENCIES:
                agencies.extend(commune_agencies)
            elif identifier in agency_ids:
                agencies.append(agency_ids[identifier])
            elif missing_agencies == "skip":
                warnings.append(f"{where}: bỏ qua cơ quan '{identifier}' chưa có trong hệ thống.")
            else:
                errors.append(f"{where}: cơ quan '{identifier}' chưa có trong hệ thống.")

        components, labels = _components(item.get("components"), where, errors)
        errors.extend(
            f"{m}" if m.startswith(("Trang", where)) else f"{where}: {m}"
            for m in check_components(components, labels)
        )
        fees, fee_labels = _fees(item.get("fees"), where, errors)
        errors.extend(
            f"{m}" if m.startswith(("Trang", where)) else f"{where}: {m}"
            for m in check_fees(fees, fee_labels)
        )
        steps: list[StepSpec] | None = None
        note = ""
        process = item.get("process")
        if process is not None:
            if not isinstance(process, dict) or not isinstance(process.get("steps"), list):
                errors.append(f"{where}: 'process' phải có danh sách 'steps'.")
            else:
                note = _text(process.get("note"))
                steps, step_labels = _steps(process["steps"], where, errors)
                if time is not None:
                    errors.extend(
                        m if m.startswith(("Trang", where)) else f"{where}: {m}"
                        for m in check_steps(steps, time, values["time_unit"], step_labels)
                    )
        if (
            values["is_published"]
            and not steps
            and not Procedure.objects.filter(code=code, process_versions__is_current=True).exists()
        ):
            errors.append(f"{where}: thủ tục chỉ được công bố khi đã có quy trình nội bộ.")
        planned.append(
            _PlannedProcedure(
                code=code,
                values=values,
                sector_code=sector_code,
                agencies=agencies,
                components=components,
                fees=fees,
                steps=steps,
                note=note,
            )
        )
    if errors:
        raise CatalogImportError(errors)
    return file_sectors, planned


def _items(raw: Any, where: str, what: str, errors: list[str]) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(x, dict) for x in raw):
        errors.append(f"{where}: '{what}' phải là danh sách các đối tượng.")
        return []
    return raw


def _int(value: Any, default: int) -> Any:
    return default if value is None else value


def _components(raw: Any, where: str, errors: list[str]) -> tuple[list[ComponentSpec], list[str]]:
    specs, labels = [], []
    for i, item in enumerate(_items(raw, where, "components", errors), start=1):
        labels.append(item.get("_where") or f"{where}, thành phần hồ sơ {i}")
        specs.append(
            ComponentSpec(
                code=_text(item.get("code")).strip(),
                name=_text(item.get("name")),
                required=True if item.get("required") is None else item["required"],
                originals=_int(item.get("originals"), 1),
                copies=_int(item.get("copies"), 0),
                form_schema=item.get("form_schema") or None,
                form_template=_text(item.get("form_template")).strip(),
            )
        )
    return specs, labels


def _fees(raw: Any, where: str, errors: list[str]) -> tuple[list[FeeSpec], list[str]]:
    specs, labels = [], []
    for i, item in enumerate(_items(raw, where, "fees", errors), start=1):
        labels.append(item.get("_where") or f"{where}, khoản thu {i}")
        specs.append(
            FeeSpec(
                kind=_text(item.get("kind")).strip(),
                name=_text(item.get("name")),
                amount=item.get("amount"),  # type: ignore[arg-type]
                rule=_text(item.get("rule")),
                # None (an empty cell) is no; anything else but a boolean is refused by check_fees.
                optional=False if item.get("optional") is None else item["optional"],
                unit=_text(item.get("unit")).strip(),
                legal_source=_text(item.get("legal_source")).strip(),
                exemptions=_exemptions(item.get("exemptions"), labels[-1], errors),
            )
        )
    return specs, labels


def _exemptions(raw: Any, where: str, errors: list[str]) -> tuple[ExemptionSpec, ...]:
    return tuple(
        ExemptionSpec(
            group=_text(item.get("group")),
            percent=100 if item.get("percent") is None else item["percent"],
            proof=_text(item.get("proof")),
            legal_source=_text(item.get("legal_source")).strip(),
        )
        for item in _items(raw, where, "exemptions", errors)
    )


def _steps(raw: Any, where: str, errors: list[str]) -> tuple[list[StepSpec], list[str]]:
    specs, labels = [], []
    for i, item in enumerate(_items(raw, where, "steps", errors), start=1):
        labels.append(item.get("_where") or f"{where}, bước {i}")
        specs.append(
            StepSpec(
                name=_text(item.get("name")),
                role=_text(item.get("role")).strip(),
                budget=item.get("budget"),  # type: ignore[arg-type]
                unit_kind=_text(item.get("unit_kind")).strip(),
                agency_identifier=_text(item.get("agency_identifier")).strip(),
            )
        )
    return specs, labels


# --- writing -------------------------------------------------------------------------------------


class _DryRun(Exception):
    pass


def _snapshot(code: str) -> dict[str, Any] | None:
    procedure = _export_queryset(Procedure.objects.filter(code=code)).first()
    return procedure_to_dict(procedure) if procedure is not None else None


def import_catalog(
    document: dict[str, Any],
    *,
    actor: Actor,
    missing_agencies: str = "error",
    only_new: bool = False,
    dry_run: bool = False,
) -> ImportResult:
    """Check the whole document, then write it in one transaction (nothing on any error).

    `missing_agencies="skip"` drops unknown agency identifiers with a warning instead of failing.
    `only_new=True` leaves existing procedures as they are (an operator's edits survive), except
    that one without any implementing agency receives the document's agencies.
    `dry_run=True` checks and applies, then rolls back, and reports what would change."""
    services._require_operator(actor)
    result = ImportResult(dry_run=dry_run)
    file_sectors, planned = _plan(document, missing_agencies, result.warnings)
    try:
        with transaction.atomic():
            _write(actor, file_sectors, planned, only_new, result)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return result


def _write(
    actor: Actor,
    file_sectors: Iterable[tuple[str, str]],
    planned: list[_PlannedProcedure],
    only_new: bool,
    result: ImportResult,
) -> None:
    sectors = {s.code: s for s in Sector.objects.all()}
    for code, name in file_sectors:
        sector = sectors.get(code)
        if sector is None:
            sectors[code] = services.create_sector(actor=actor, code=code, name=name)
            result.sectors_created.append(code)
        elif sector.name != name and not only_new:
            services.update_sector(actor=actor, sector=sector, name=name)
    for plan in planned:
        before = _snapshot(plan.code)
        values = {**plan.values, "sector": sectors[plan.sector_code]}
        if before is None:
            services.create_procedure(
                actor=actor,
                **values,
                agencies=plan.agencies,
                components=plan.components,
                fees=plan.fees,
                steps=plan.steps,
                process_note=plan.note,
            )
            result.created.append(plan.code)
            continue
        procedure = Procedure.objects.get(code=plan.code)
        if only_new:
            if not before["agencies"] and plan.agencies:
                services.update_procedure(actor=actor, procedure=procedure, agencies=plan.agencies)
                result.updated.append(plan.code)
            else:
                result.unchanged.append(plan.code)
            continue
        # Components and fees first: publishing may depend on nothing else, and a procedure
        # being unpublished should not briefly show new fees.
        services.set_components(actor=actor, procedure=procedure, components=plan.components)
        services.set_fees(actor=actor, procedure=procedure, fees=plan.fees)
        changes = {k: v for k, v in values.items() if k != "code"}
        services.update_procedure(
            actor=actor,
            procedure=procedure,
            changes=changes,
            agencies=plan.agencies,
            steps=plan.steps,
            process_note=plan.note,
        )
        after = _snapshot(plan.code)
        (result.unchanged if after == before else result.updated).append(plan.code)


def read_document(data: bytes, filename: str = "") -> dict[str, Any]:
    """A JSON or XLSX catalogue file, told apart by its name or its first bytes."""
    name = filename.lower()
    if name.endswith(".xlsx") or (not name.endswith(".json") and data[:2] == b"PK"):
        return read_xlsx(data)
    return read_json(data)


def clean_document(document: dict[str, Any]) -> dict[str, Any]:
    """The document without the reader's `_where` markers (for comparisons)."""

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if k != "_where"}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    result: dict[str, Any] = clean(document)
    return result


__all__ = [
    "CatalogImportError",
    "ImportResult",
    "clean_document",
    "export_catalog",
    "export_json",
    "export_xlsx",
    "import_catalog",
    "read_document",
    "read_json",
    "read_xlsx",
]
