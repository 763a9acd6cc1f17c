"""Reading bank statement files into credit lines: CSV and XLSX as Vietnamese banks export them,
and ISO 20022 CAMT.053 (bank-to-customer statement) XML. Pure parsing, no database: the import
service (services/statements.py) stores and matches what this returns.

CSV and XLSX: the header row is looked for among the first rows (exports start with the bank's
name, the account and the period), and each column is recognised by its title, compared without
accents, case or punctuation (`COLUMNS`: "Ngày giao dịch", "Số tiền ghi có", "Nội dung",
"Số tham chiếu", "Tên tài khoản đối ứng"..., and their English forms). Only credits (money in)
are returned; debits, blank rows and the totals row are passed over. Times are the bank's local
time (Asia/Ho_Chi_Minh) unless the file says otherwise. Amounts are whole đồng: "200.000",
"200,000", "200000", "200.000,00" and numeric cells are read; a fraction of a đồng is an error.

CAMT.053: parsed with lxml without entities, DTDs or network access (a DOCTYPE is refused), the
size bounded by the caller; booked credit entries (`CdtDbtInd` CRDT, `Sts` BOOK, not reversals)
in VND become lines, the bank's reference from `AcctSvcrRef`, the description from the
unstructured remittance information.

Anything unreadable is refused as a whole with the rows at fault (StatementInvalid): an import
is all or nothing.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone

from egov.core.dates import in_range
from egov.core.errors import DomainError
from egov.core.text import nfc, normalize_vietnamese

from .error_codes import PaymentErrorCode

CSV = "csv"
XLSX = "xlsx"
CAMT053 = "camt053"

HEADER_SCAN = 30  # rows looked at for the header
MAX_ERRORS = 20  # row errors listed before giving up
MAX_UNZIPPED = 64 * 1024 * 1024  # an XLSX's parts, uncompressed
MAX_AMOUNT = 9_999_999_999_999
MAX_REFERENCE = 64
CAMT_NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053."


class StatementInvalid(DomainError):
    code: str = PaymentErrorCode.STATEMENT_INVALID

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message, fields={"file": list(problems) or [message]})


@dataclass(frozen=True)
class Line:
    row: int  # the row (CSV/XLSX, 1-based) or entry (CAMT) number, for messages
    booked_at: datetime
    amount: int
    description: str
    counterparty: str
    bank_reference: str


@dataclass
class Statement:
    file_format: str
    lines: list[Line] = field(default_factory=list)
    # The account the statement is of, when the file says (CAMT.053).
    account: str = ""


# --- columns --------------------------------------------------------------------------------------
# Each field with the titles it is known by, best first (compared as normalize_vietnamese gives
# them, a trailing currency "(VND)" dropped).

DATE, TIME, CREDIT, DEBIT, AMOUNT, DESCRIPTION, REFERENCE, COUNTERPARTY = (
    "date",
    "time",
    "credit",
    "debit",
    "amount",
    "description",
    "reference",
    "counterparty",
)
COLUMNS: dict[str, tuple[str, ...]] = {
    DATE: (
        "ngay giao dich",
        "ngay gio giao dich",
        "thoi gian giao dich",
        "ngay gd",
        "ngay hach toan",
        "ngay ghi so",
        "ngay hieu luc",
        "ngay",
        "thoi gian",
        "transaction date",
        "booking date",
        "posting date",
        "value date",
        "date",
    ),
    TIME: ("gio giao dich", "gio gd", "gio", "transaction time", "time"),
    CREDIT: (
        "so tien ghi co",
        "ghi co",
        "so tien co",
        "phat sinh co",
        "so tien vao",
        "tien vao",
        "co",
        "credit amount",
        "credit",
    ),
    DEBIT: (
        "so tien ghi no",
        "ghi no",
        "so tien no",
        "phat sinh no",
        "so tien ra",
        "tien ra",
        "no",
        "debit amount",
        "debit",
    ),
    AMOUNT: ("so tien giao dich", "so tien", "transaction amount", "amount"),
    DESCRIPTION: (
        "noi dung",
        "noi dung giao dich",
        "noi dung chuyen khoan",
        "dien giai",
        "mo ta",
        "chi tiet giao dich",
        "chi tiet",
        "description",
        "transaction details",
        "details",
        "remarks",
        "remark",
        "narrative",
    ),
    REFERENCE: (
        "so tham chieu",
        "ma tham chieu",
        "so giao dich",
        "ma giao dich",
        "ma so giao dich",
        "ma gd",
        "so but toan",
        "so chung tu",
        "so ct",
        "reference number",
        "reference",
        "ref no",
        "transaction reference",
        "transaction id",
    ),
    COUNTERPARTY: (
        "ten tai khoan doi ung",
        "ten doi ung",
        "ten tk doi ung",
        "ten nguoi chuyen",
        "nguoi chuyen",
        "ben chuyen",
        "don vi chuyen",
        "ten doi tac",
        "doi tac",
        "tai khoan doi ung",
        "so tai khoan doi ung",
        "counterparty name",
        "counterparty",
        "remitter",
    ),
}
LABELS = {
    DATE: "Ngày giao dịch",
    CREDIT: "Số tiền ghi có",
    DESCRIPTION: "Nội dung",
    REFERENCE: "Số tham chiếu",
}
_CURRENCY_SUFFIX = re.compile(r"(?: (?:vnd|dong|d))+$")


def _title(value: Any) -> str:
    return _CURRENCY_SUFFIX.sub("", normalize_vietnamese(str(value or "")))


def header_map(row: Sequence[Any]) -> dict[str, int]:
    """Which column holds which field (by the best-ranked title), for a candidate header row."""
    best: dict[str, tuple[int, int]] = {}
    for index, value in enumerate(row):
        title = _title(value)
        if not title:
            continue
        for name, titles in COLUMNS.items():
            if title in titles:
                rank = titles.index(title)
                if name not in best or rank < best[name][0]:
                    best[name] = (rank, index)
    return {name: index for name, (_rank, index) in best.items()}


def _complete(columns: dict[str, int]) -> bool:
    has_amount = CREDIT in columns or AMOUNT in columns
    return has_amount and all(k in columns for k in (DATE, DESCRIPTION, REFERENCE))


# --- values ---------------------------------------------------------------------------------------


class CellError(ValueError):
    pass


def parse_amount(value: Any) -> int | None:
    """Whole đồng from a cell; None when empty; negative for a debit written with a sign or in
    parentheses. Raises CellError for anything else (a fraction of a đồng included)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise CellError("số tiền không hợp lệ")
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal):
        number = Decimal(str(value))
        if number != number.to_integral_value():
            raise CellError("số tiền có phần lẻ dưới một đồng")
        return int(number)
    text = str(value).strip().replace("\u00a0", "").replace(" ", "")
    text = re.sub(r"(?i)(vnd|vnđ|đồng|đ)$", "", text)
    if not text or text == "-":
        return None
    sign = 1
    if text.startswith("(") and text.endswith(")"):
        sign, text = -1, text[1:-1]
    if text[:1] in "+-":
        sign, text = (-1 if text[0] == "-" else 1) * sign, text[1:]
    whole, fraction = _split_number(text)
    if fraction.strip("0"):
        raise CellError("số tiền có phần lẻ dưới một đồng")
    return sign * int(whole)


def _split_number(text: str) -> tuple[str, str]:
    """("200000", "00") from "200.000,00", "200,000.00", "200000" ...; CellError otherwise."""
    if re.fullmatch(r"[0-9]+", text):
        return text, ""
    separators = [c for c in text if c in ".,"]
    if not separators or not re.fullmatch(r"[0-9.,]+", text):
        raise CellError(f"“{text}” không phải số tiền")
    kinds = set(separators)
    if len(kinds) == 2:
        decimal_sep = text[max(text.rfind("."), text.rfind(","))]
        head, _, fraction = text.rpartition(decimal_sep)
        thousands = ({".", ","} - {decimal_sep}).pop()
        groups = head.split(thousands)
    else:
        sep = separators[0]
        parts = text.split(sep)
        if len(parts) == 2 and 1 <= len(parts[1]) <= 2:
            groups, fraction = [parts[0]], parts[1]
        else:
            groups, fraction = parts, ""
    if not fraction.isdigit() and fraction:
        raise CellError(f"“{text}” không phải số tiền")
    if not groups[0].isdigit() or any(len(g) != 3 or not g.isdigit() for g in groups[1:]):
        raise CellError(f"“{text}” không phải số tiền")
    if len(groups) > 1 and len(groups[0]) > 3:
        raise CellError(f"“{text}” không phải số tiền")
    return "".join(groups), fraction


_DATE_FORMATS = (
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d",
)


def parse_moment(value: Any, at: Any = None) -> datetime:
    """An aware moment from a date (and optional separate time) cell; local time unless the
    text carries its offset."""
    moment: datetime | None = None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif value is not None:
        text = " ".join(str(value).split())
        for fmt in _DATE_FORMATS:
            try:
                moment = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        if moment is None:
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:
                raise CellError(f"“{text[:40]}” không phải ngày giao dịch") from None
    if moment is None:
        raise CellError("thiếu ngày giao dịch")
    if at not in (None, "") and moment.time() == time():
        moment = datetime.combine(moment.date(), _parse_time(at))
    if not in_range(moment.date()):
        raise CellError(f"ngày {moment:%d/%m/%Y} nằm ngoài khoảng cho phép")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment


def _parse_time(value: Any) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, datetime):
        return value.time()
    text = str(value).strip()
    for fmt in ("%H:%M:%S", "%H:%M"):
        try:
            return datetime.strptime(text, fmt).time()
        except ValueError:
            continue
    raise CellError(f"“{text[:20]}” không phải giờ giao dịch")


def _text(value: Any, limit: int) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return nfc(" ".join(str(value).split()))[:limit]


def _reference(value: Any) -> str:
    text = _text(value, 10_000)
    if len(text) > MAX_REFERENCE:
        raise CellError(f"số tham chiếu dài quá {MAX_REFERENCE} ký tự")
    return text


# --- tables (CSV, XLSX) ---------------------------------------------------------------------------


def _missing_columns_message() -> str:
    return (
        "Không tìm thấy dòng tiêu đề của sao kê. Cần các cột: "
        + ", ".join(f"“{label}”" for label in LABELS.values())
        + " (hoặc tên tương đương của ngân hàng, ví dụ “Ghi có”, “Diễn giải”, “Mã giao dịch”)."
    )


def read_table(rows: Iterable[Sequence[Any]], *, max_lines: int, file_format: str) -> Statement:
    """Credit lines of a table whose header is among its first rows."""
    iterator = iter(rows)
    columns: dict[str, int] = {}
    row_number = 0
    for row in iterator:
        row_number += 1
        columns = header_map(row)
        if _complete(columns):
            break
        if row_number >= HEADER_SCAN:
            columns = {}
            break
    if not _complete(columns):
        raise StatementInvalid(_missing_columns_message())
    statement = Statement(file_format=file_format)
    errors: list[str] = []
    data_rows = blank_rows = 0
    for row in iterator:
        row_number += 1
        if not any(cell not in (None, "") for cell in row):
            blank_rows += 1
            if blank_rows > max_lines:  # a sheet padded with empty rows: bounded too
                raise StatementInvalid("Tệp có quá nhiều dòng trống.")
            continue
        data_rows += 1
        if data_rows > max_lines:
            raise StatementInvalid(
                f"Sao kê có quá {max_lines} dòng giao dịch: hãy tách thành nhiều tệp."
            )
        try:
            line = _table_line(row, columns, row_number)
        except CellError as exc:
            errors.append(f"Dòng {row_number}: {exc}.")
            if len(errors) >= MAX_ERRORS:
                break
            continue
        if line is not None:
            statement.lines.append(line)
    if errors:
        raise StatementInvalid(
            f"Không nhập được sao kê: {len(errors)} dòng có lỗi"
            f"{' (và có thể còn nữa)' if len(errors) >= MAX_ERRORS else ''}. {errors[0]}",
            errors,
        )
    return statement


def _cell(row: Sequence[Any], columns: dict[str, int], name: str) -> Any:
    index = columns.get(name)
    if index is None or index >= len(row):
        return None
    value = row[index]
    return value.strip() if isinstance(value, str) else value


def _table_line(row: Sequence[Any], columns: dict[str, int], number: int) -> Line | None:
    raw_date = _cell(row, columns, DATE)
    raw_ref = _cell(row, columns, REFERENCE)
    if raw_date in (None, "") and raw_ref in (None, ""):
        return None  # a totals or closing-balance row
    if CREDIT in columns:
        amount = parse_amount(_cell(row, columns, CREDIT))
        if amount is not None and amount < 0:
            raise CellError("số tiền ghi có âm")
    else:
        amount = parse_amount(_cell(row, columns, AMOUNT))
    if not amount or amount < 0:
        return None  # a debit
    if amount > MAX_AMOUNT:
        raise CellError("số tiền quá lớn")
    reference = _reference(raw_ref)
    if not reference:
        raise CellError("thiếu số tham chiếu")
    return Line(
        row=number,
        booked_at=parse_moment(raw_date, _cell(row, columns, TIME)),
        amount=amount,
        description=_text(_cell(row, columns, DESCRIPTION), 500),
        counterparty=_text(_cell(row, columns, COUNTERPARTY), 255),
        bank_reference=reference,
    )


def _decode(content: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with a BOM, else Windows-1258 (Vietnamese Windows),
    as older bank exports are; NFC either way (1258 writes tone marks as combining marks)."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = content.decode("utf-16")
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = content.decode("cp1258")
            except UnicodeDecodeError as exc:
                raise StatementInvalid("Tệp CSV không đọc được (bảng mã không rõ).") from exc
    return nfc(text)


DELIMITERS = (",", ";", "\t", "|")


def _delimiter(text: str) -> str:
    """The delimiter with which a complete header row appears among the first rows (exports
    open with title lines, which fool a statistical sniffer); "," when none does."""
    head = "\n".join(text.splitlines()[:HEADER_SCAN])
    for delimiter in DELIMITERS:
        try:
            rows = list(csv.reader(io.StringIO(head, newline=""), delimiter=delimiter))
        except csv.Error:
            continue
        if any(_complete(header_map(row)) for row in rows):
            return delimiter
    return ","


def read_csv(content: bytes, *, max_lines: int) -> Statement:
    text = _decode(content)
    if "\x00" in text:
        raise StatementInvalid("Tệp không phải CSV, XLSX hay CAMT.053.")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))

    def rows() -> Iterator[list[str]]:
        try:
            yield from reader
        except csv.Error as exc:
            raise StatementInvalid(f"Tệp CSV không đọc được: {exc}.") from exc

    return read_table(rows(), max_lines=max_lines, file_format=CSV)


def read_xlsx(content: bytes, *, max_lines: int) -> Statement:
    """The first sheet of a workbook, read streaming (openpyxl read_only, cached values)."""
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = archive.namelist()
            unzipped = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise StatementInvalid("Tệp Excel không đọc được.") from exc
    if "xl/workbook.xml" not in names:
        raise StatementInvalid("Tệp nén không phải bảng tính Excel (XLSX).")
    if unzipped > MAX_UNZIPPED or any("vbaProject" in n for n in names):
        raise StatementInvalid("Tệp Excel quá lớn khi giải nén hoặc có macro: không nhập.")
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        raise StatementInvalid("Tệp Excel không đọc được.") from exc
    try:
        if not workbook.worksheets:
            raise StatementInvalid("Tệp Excel không có trang tính nào.")
        sheet = workbook.worksheets[0]
        # Some exporters write a wrong <dimension>: read the rows as they are, not as declared.
        sheet.reset_dimensions()
        return read_table(sheet.iter_rows(values_only=True), max_lines=max_lines, file_format=XLSX)
    except StatementInvalid:
        raise
    except Exception as exc:
        raise StatementInvalid("Tệp Excel không đọc được.") from exc
    finally:
        workbook.close()


# --- CAMT.053 -------------------------------------------------------------------------------------


def read_camt053(content: bytes, *, max_lines: int) -> Statement:
    from lxml import etree  # type: ignore[import-untyped, unused-ignore]

    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as exc:
        raise StatementInvalid(f"Tệp XML không hợp lệ: {exc}.") from exc
    if root.getroottree().docinfo.doctype:
        raise StatementInvalid("Tệp XML có khai báo DOCTYPE: không nhận (CAMT.053 không dùng).")
    namespace = etree.QName(root).namespace or ""
    if not namespace.startswith(CAMT_NAMESPACE) or etree.QName(root).localname != "Document":
        raise StatementInvalid("Tệp XML không phải sao kê ISO 20022 CAMT.053.")
    ns = {"c": namespace}
    statement = Statement(file_format=CAMT053)
    errors: list[str] = []
    number = 0
    for stmt in root.iterfind("c:BkToCstmrStmt/c:Stmt", ns):
        account = stmt.findtext("c:Acct/c:Id/c:Othr/c:Id", default="", namespaces=ns).strip()
        if account:
            if statement.account and statement.account != account:
                raise StatementInvalid("Tệp có sao kê của nhiều tài khoản: hãy tách riêng.")
            statement.account = account
        for entry in stmt.iterfind("c:Ntry", ns):
            number += 1
            if number > max_lines:
                raise StatementInvalid(
                    f"Sao kê có quá {max_lines} dòng giao dịch: hãy tách thành nhiều tệp."
                )
            try:
                line = _camt_line(entry, ns, number)
            except CellError as exc:
                errors.append(f"Giao dịch thứ {number}: {exc}.")
                if len(errors) >= MAX_ERRORS:
                    break
                continue
            if line is not None:
                statement.lines.append(line)
    if errors:
        raise StatementInvalid(
            f"Không nhập được sao kê: {len(errors)} giao dịch có lỗi. {errors[0]}", errors
        )
    return statement


def _camt_line(entry: Any, ns: dict[str, str], number: int) -> Line | None:
    def text(path: str) -> str:
        return str(entry.findtext(path, default="", namespaces=ns) or "").strip()

    if text("c:CdtDbtInd") != "CRDT" or text("c:RvslInd").lower() == "true":
        return None
    status = text("c:Sts") or text("c:Sts/c:Cd")
    if status and status != "BOOK":
        return None  # pending or informational: not money on the account yet
    amount_element = entry.find("c:Amt", ns)
    if amount_element is None:
        raise CellError("thiếu số tiền (Amt)")
    if (amount_element.get("Ccy") or "").upper() != "VND":
        raise CellError(f"đơn vị tiền “{amount_element.get('Ccy')}” không phải VND")
    try:
        value = Decimal((amount_element.text or "").strip())
    except InvalidOperation:
        raise CellError("số tiền không hợp lệ") from None
    if value != value.to_integral_value() or value <= 0 or value > MAX_AMOUNT:
        raise CellError("số tiền không hợp lệ (phải là số nguyên đồng dương)")
    when = (
        text("c:BookgDt/c:DtTm")
        or text("c:BookgDt/c:Dt")
        or text("c:ValDt/c:DtTm")
        or text("c:ValDt/c:Dt")
    )
    details = "c:NtryDtls/c:TxDtls"
    reference = (
        text("c:AcctSvcrRef")
        or text(f"{details}/c:Refs/c:AcctSvcrRef")
        or text("c:NtryRef")
        or text(f"{details}/c:Refs/c:TxId")
    )
    if not reference:
        raise CellError("thiếu số tham chiếu của ngân hàng (AcctSvcrRef)")
    remittance = [
        (node.text or "").strip()
        for node in entry.iterfind(f"{details}/c:RmtInf/c:Ustrd", ns)
        if (node.text or "").strip()
    ]
    description = " ".join(remittance) or text(f"{details}/c:AddtlTxInf") or text("c:AddtlNtryInf")
    counterparty = (
        text(f"{details}/c:RltdPties/c:Dbtr/c:Nm")
        or text(f"{details}/c:RltdPties/c:Dbtr/c:Pty/c:Nm")
        or text(f"{details}/c:RltdPties/c:DbtrAcct/c:Id/c:Othr/c:Id")
    )
    return Line(
        row=number,
        booked_at=parse_moment(when or None),
        amount=int(value),
        description=_text(description, 500),
        counterparty=_text(counterparty, 255),
        bank_reference=_reference(reference),
    )


# --- any of them ----------------------------------------------------------------------------------


def read(content: bytes, *, max_lines: int) -> Statement:
    """The statement in `content`, its format told by the bytes themselves (not the name)."""
    if content.startswith(b"PK\x03\x04"):
        return read_xlsx(content, max_lines=max_lines)
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise StatementInvalid(
            "Tệp Excel 97–2003 (.xls) không được hỗ trợ: hãy lưu lại dưới dạng .xlsx hoặc CSV."
        )
    head = content[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return read_camt053(content, max_lines=max_lines)
    if content.startswith(b"%PDF"):
        raise StatementInvalid("Sao kê dạng PDF không đọc được: hãy tải sao kê CSV hoặc XLSX.")
    return read_csv(content, max_lines=max_lines)
