"""The national payment platform's protocol (Nền tảng thanh toán trực tuyến of the national public
service portal), as pure functions: building and reading its messages, and their MaXacThuc.
No I/O and no database here: services/national.py sends and receives, standin.py answers.

Every message is a JSON object POSTed to one address (PAYMENT_PLATFORM_URL; the confirm
callback to our UrlThongBao); `LoaiBanTin` says which message it is. Values are strings;
amounts (`SoTien`) are whole đồng written as digits only ("200000": no sign, separator,
decimals or exponent); times (`ThoiGianGD`) are yyyyMMddHHmmss in Vietnam's local time.

MaXacThuc (the message's authentication code) is the lower-case SHA-256 hex digest of the
UTF-8 bytes of the message's fields, in the order below, joined by "|", followed by "|" and
the partner secret:

    sha256("v1|v2|...|vn|<secret>")

A field the message leaves out counts as the empty string. The orders:

    INIT (we → platform, LoaiBanTin "PAY"):
        LoaiBanTin|PhienBan|MaDoiTac|MaThamChieu|SoTien|LoaiHinhThanhToan|MaTienTe|
        ThoiGianGD|UrlTraVe|UrlThongBao
    INIT reply (platform → we; checked when the reply carries a MaXacThuc):
        MaLoi|MaDoiTac|MaThamChieu|UrlThanhToan
    CONFIRM (platform → our UrlThongBao, LoaiBanTin "CONFIRM"), and the QUERY reply
    (LoaiBanTin "QUERY"):
        LoaiBanTin|PhienBan|MaDoiTac|MaThamChieu|MaGiaoDich|SoTien|MaTienTe|MaLoi|ThoiGianGD
    QUERY (we → platform, LoaiBanTin "QUERY"):
        LoaiBanTin|PhienBan|MaDoiTac|MaThamChieu|ThoiGianGD

`ThongTinBienLai` (the receipt information of the INIT: MaHoSo, MaTTHC, the fee lines) and
`MoTa` (free text) are not covered, as in the platform's published protocol: nothing we decide
rests on them.

The platform's MaLoi: "00" paid (INIT: accepted), "01" not paid yet (QUERY), "02" cancelled
by the payer, "03" payment failed, "04" unknown MaThamChieu, "05" MaXacThuc does not verify,
"06" malformed message, "99" the platform's own error (send again later).

Our answer to a CONFIRM ({"MaLoi": ..., "MoTa": ...}; the platform sends the callback again
until it gets "00"): "00" recorded (a duplicate too: it gets the first answer again), "01"
malformed, "02" MaXacThuc does not verify, "03" unknown MaThamChieu, "04" SoTien differs from
the attempt's, "05" the attempt is closed (another outcome was recorded), "99" not processed
(our error: send again).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

VERSION = "2.0.0"
INIT = "PAY"
CONFIRM = "CONFIRM"
QUERY = "QUERY"
PAY = "PAY"  # LoaiHinhThanhToan: a payment (not a refund)
CURRENCY = "VND"
LOCAL_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
TIME_FORMAT = "%Y%m%d%H%M%S"

INIT_FIELDS = (
    "LoaiBanTin",
    "PhienBan",
    "MaDoiTac",
    "MaThamChieu",
    "SoTien",
    "LoaiHinhThanhToan",
    "MaTienTe",
    "ThoiGianGD",
    "UrlTraVe",
    "UrlThongBao",
)
INIT_REPLY_FIELDS = ("MaLoi", "MaDoiTac", "MaThamChieu", "UrlThanhToan")
CONFIRM_FIELDS = (
    "LoaiBanTin",
    "PhienBan",
    "MaDoiTac",
    "MaThamChieu",
    "MaGiaoDich",
    "SoTien",
    "MaTienTe",
    "MaLoi",
    "ThoiGianGD",
)
QUERY_FIELDS = ("LoaiBanTin", "PhienBan", "MaDoiTac", "MaThamChieu", "ThoiGianGD")


class Code:
    """The platform's MaLoi."""

    OK = "00"
    PENDING = "01"
    CANCELLED = "02"
    FAILED = "03"
    UNKNOWN_REFERENCE = "04"
    BAD_SIGNATURE = "05"
    MALFORMED = "06"
    SYSTEM_ERROR = "99"


class Answer:
    """Our MaLoi answering a CONFIRM."""

    OK = "00"
    MALFORMED = "01"
    BAD_SIGNATURE = "02"
    UNKNOWN_REFERENCE = "03"
    AMOUNT_MISMATCH = "04"
    CLOSED = "05"
    NOT_PROCESSED = "99"


PLATFORM_MESSAGES = {
    Code.OK: "Thanh toán thành công",
    Code.PENDING: "Chưa thanh toán",
    Code.CANCELLED: "Người nộp hủy thanh toán",
    Code.FAILED: "Thanh toán không thành công",
    Code.UNKNOWN_REFERENCE: "Không có giao dịch với mã tham chiếu này",
    Code.BAD_SIGNATURE: "Mã xác thực không đúng",
    Code.MALFORMED: "Bản tin không hợp lệ",
    Code.SYSTEM_ERROR: "Lỗi hệ thống của Nền tảng thanh toán",
}

# Field lengths we accept from the platform (a bound on what is stored and compared).
MAX_FIELD = 255
_DIGITS = re.compile(r"[0-9]{1,15}")
_TIME = re.compile(r"[0-9]{14}")
_TEXT = re.compile(r"[^\x00-\x1f\x7f]*")


class Malformed(ValueError):
    """A message that does not follow the protocol (missing field, wrong format)."""


# --- MaXacThuc -------------------------------------------------------------------------------


def mac(fields: Sequence[str], secret: str) -> str:
    """MaXacThuc: SHA-256 hex of "|".join(fields) + "|" + secret (UTF-8)."""
    if not secret:
        raise ValueError("the partner secret is empty")
    data = "|".join(fields) + "|" + secret
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def verify(fields: Sequence[str], given: str, secret: str) -> bool:
    """Whether `given` is the MaXacThuc of `fields` (compared in constant time)."""
    if not isinstance(given, str) or not secret:
        return False
    return hmac.compare_digest(mac(fields, secret), given.strip().lower())


def values(message: Mapping[str, Any], order: Iterable[str]) -> list[str]:
    """The message's fields in `order`, as strings (missing: empty)."""
    out = []
    for name in order:
        value = message.get(name, "")
        out.append("" if value is None else str(value))
    return out


def sign(message: dict[str, Any], order: Iterable[str], secret: str) -> dict[str, Any]:
    """The message with its MaXacThuc over `order`."""
    return {**message, "MaXacThuc": mac(values(message, order), secret)}


# --- values ----------------------------------------------------------------------------------


def amount_text(amount: int) -> str:
    """SoTien of a whole amount of đồng; anything else (a float, a Decimal, a bool, zero or
    less) is refused: amounts are integers from end to end."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ValueError(f"SoTien must be a whole number of đồng, not {amount!r}")
    if amount <= 0:
        raise ValueError(f"SoTien must be positive, not {amount}")
    return str(amount)


def parse_amount(text: Any) -> int:
    """SoTien as received: digits only ("200000"); "200000.00", "2e5", "-1", "" are refused."""
    if isinstance(text, bool) or not isinstance(text, (str, int)):
        raise Malformed("SoTien phải là số nguyên (đồng).")
    raw = str(text)
    if not _DIGITS.fullmatch(raw):
        raise Malformed(f"SoTien “{raw[:30]}” không phải số nguyên dương (đồng).")
    value = int(raw)
    if value <= 0:
        raise Malformed("SoTien phải lớn hơn 0.")
    return value


def format_time(moment: datetime) -> str:
    """ThoiGianGD: yyyyMMddHHmmss in Vietnam's local time."""
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is needed")
    return moment.astimezone(LOCAL_ZONE).strftime(TIME_FORMAT)


def parse_time(text: str) -> datetime:
    if not isinstance(text, str) or not _TIME.fullmatch(text):
        raise Malformed("ThoiGianGD phải có dạng yyyyMMddHHmmss.")
    try:
        return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=LOCAL_ZONE)
    except ValueError as exc:
        raise Malformed("ThoiGianGD không phải thời điểm hợp lệ.") from exc


def _text(message: Mapping[str, Any], name: str, *, required: bool = True) -> str:
    value = message.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Malformed(f"{name} phải là chuỗi ký tự.")
    if required and not value:
        raise Malformed(f"Thiếu {name}.")
    if len(value) > MAX_FIELD or not _TEXT.fullmatch(value):
        raise Malformed(f"{name} không hợp lệ.")
    return value


# --- INIT ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeeLine:
    name: str
    amount: int


def init_request(
    *,
    partner: str,
    secret: str,
    reference: str,
    amount: int,
    at: datetime,
    return_url: str,
    notify_url: str,
    dossier_code: str,
    procedure_code: str,
    procedure_name: str = "",
    payer: str = "",
    lines: Sequence[FeeLine] = (),
) -> dict[str, Any]:
    """The signed INIT (LoaiBanTin "PAY") for one attempt."""
    message: dict[str, Any] = {
        "LoaiBanTin": INIT,
        "PhienBan": VERSION,
        "MaDoiTac": partner,
        "MaThamChieu": reference,
        "SoTien": amount_text(amount),
        "LoaiHinhThanhToan": PAY,
        "MaTienTe": CURRENCY,
        "ThoiGianGD": format_time(at),
        "UrlTraVe": return_url,
        "UrlThongBao": notify_url,
        "ThongTinBienLai": {
            "MaHoSo": dossier_code,
            "MaTTHC": procedure_code,
            "TenTTHC": procedure_name,
            "NguoiNop": payer,
            "DanhSachPhiLePhi": [
                {"TenPhiLePhi": line.name, "SoTien": amount_text(line.amount)} for line in lines
            ],
        },
    }
    return sign(message, INIT_FIELDS, secret)


@dataclass(frozen=True)
class InitOutcome:
    """What an INIT reply means: the payment page (ok), a definitive refusal (not ok, not
    retry), or a failure worth sending again (retry)."""

    ok: bool
    retry: bool = False
    url: str = ""
    code: str = ""
    reason: str = ""


def read_init_reply(reply: Any, *, partner: str, reference: str, secret: str) -> InitOutcome:
    """Check an INIT reply: MaLoi "00" with an http(s) UrlThanhToan for our MaThamChieu (and,
    when the reply carries one, a MaXacThuc that verifies)."""
    if not isinstance(reply, Mapping):
        return InitOutcome(False, retry=True, reason="Trả lời không phải bản tin JSON.")
    code = reply.get("MaLoi")
    if not isinstance(code, str) or not code:
        return InitOutcome(False, retry=True, reason="Trả lời không có MaLoi.")
    description = str(reply.get("MoTa") or PLATFORM_MESSAGES.get(code, ""))[:200]
    given = reply.get("MaXacThuc")
    if given and not verify(values(reply, INIT_REPLY_FIELDS), str(given), secret):
        # Whoever answered does not hold the secret: the page it names is not trusted.
        return InitOutcome(False, code=code, reason="Mã xác thực của trả lời không đúng.")
    if code == Code.SYSTEM_ERROR:
        return InitOutcome(False, retry=True, code=code, reason=description)
    if code != Code.OK:
        return InitOutcome(False, code=code, reason=description or f"Mã lỗi {code}")
    if str(reply.get("MaThamChieu", reference)) != reference:
        return InitOutcome(False, code=code, reason="Trả lời cho mã tham chiếu khác.")
    if given and str(reply.get("MaDoiTac", "")) != partner:
        return InitOutcome(False, code=code, reason="Trả lời cho mã đối tác khác.")
    url = reply.get("UrlThanhToan")
    if not isinstance(url, str) or not url.lower().startswith(("https://", "http://")):
        return InitOutcome(False, code=code, reason="Trả lời không có UrlThanhToan hợp lệ.")
    if len(url) > 1000:
        return InitOutcome(False, code=code, reason="UrlThanhToan quá dài.")
    return InitOutcome(True, url=url, code=code)


# --- CONFIRM and the QUERY reply -------------------------------------------------------------


@dataclass(frozen=True)
class Confirm:
    """A CONFIRM callback or a QUERY reply, read (not yet verified)."""

    kind: str
    version: str
    partner: str
    reference: str
    transaction: str
    amount: int | None  # None: a QUERY reply for a payment not made, without SoTien
    currency: str
    code: str
    at: datetime | None
    description: str
    given_mac: str
    fields: tuple[str, ...]  # the values MaXacThuc covers, as received

    @property
    def paid(self) -> bool:
        return self.code == Code.OK

    @property
    def reason(self) -> str:
        return self.description or PLATFORM_MESSAGES.get(self.code, f"Mã lỗi {self.code}")

    def verifies(self, secret: str) -> bool:
        return verify(self.fields, self.given_mac, secret)


def decode(body: bytes) -> dict[str, Any]:
    """A JSON object from the wire (UTF-8), else Malformed."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise Malformed("Nội dung không phải JSON (UTF-8).") from exc
    if not isinstance(data, dict):
        raise Malformed("Nội dung phải là một đối tượng JSON.")
    return data


def read_confirm(message: Mapping[str, Any], *, kind: str = CONFIRM) -> Confirm:
    """Read a CONFIRM (or, with kind=QUERY, a QUERY reply); Malformed if it is not one. A
    payment (MaLoi "00") must carry MaGiaoDich, SoTien and ThoiGianGD."""
    if message.get("LoaiBanTin") != kind:
        raise Malformed(f"LoaiBanTin phải là “{kind}”.")
    code = _text(message, "MaLoi")
    if not re.fullmatch(r"[0-9A-Za-z]{1,4}", code):
        raise Malformed("MaLoi không hợp lệ.")
    paid = code == Code.OK
    given = _text(message, "MaXacThuc")
    raw_amount = message.get("SoTien", "")
    amount = parse_amount(raw_amount) if (paid or raw_amount not in ("", None)) else None
    raw_time = message.get("ThoiGianGD", "")
    at = parse_time(raw_time) if (paid or raw_time not in ("", None)) else None
    currency = _text(message, "MaTienTe", required=paid)
    if currency and currency != CURRENCY:
        raise Malformed("MaTienTe phải là VND.")
    return Confirm(
        kind=kind,
        version=_text(message, "PhienBan", required=False),
        partner=_text(message, "MaDoiTac"),
        reference=_text(message, "MaThamChieu"),
        transaction=_text(message, "MaGiaoDich", required=paid),
        amount=amount,
        currency=currency,
        code=code,
        at=at,
        description=str(message.get("MoTa") or "")[:MAX_FIELD],
        given_mac=given,
        fields=tuple(values(message, CONFIRM_FIELDS)),
    )


def confirm_message(
    *,
    partner: str,
    secret: str,
    reference: str,
    code: str,
    transaction: str = "",
    amount: int | None = None,
    at: datetime | None = None,
    description: str = "",
    kind: str = CONFIRM,
) -> dict[str, Any]:
    """A signed CONFIRM (or QUERY reply): what the platform sends (the stand-in uses it)."""
    message: dict[str, Any] = {
        "LoaiBanTin": kind,
        "PhienBan": VERSION,
        "MaDoiTac": partner,
        "MaThamChieu": reference,
        "MaGiaoDich": transaction,
        "SoTien": str(amount) if amount is not None else "",
        "MaTienTe": CURRENCY,
        "MaLoi": code,
        "ThoiGianGD": format_time(at) if at is not None else "",
        "MoTa": description or PLATFORM_MESSAGES.get(code, ""),
    }
    return sign(message, CONFIRM_FIELDS, secret)


# --- QUERY -----------------------------------------------------------------------------------


def query_request(*, partner: str, secret: str, reference: str, at: datetime) -> dict[str, Any]:
    message = {
        "LoaiBanTin": QUERY,
        "PhienBan": VERSION,
        "MaDoiTac": partner,
        "MaThamChieu": reference,
        "ThoiGianGD": format_time(at),
    }
    return sign(message, QUERY_FIELDS, secret)


# --- our answers -----------------------------------------------------------------------------

ANSWER_TEXTS = {
    Answer.OK: "Đã ghi nhận kết quả thanh toán.",
    Answer.MALFORMED: "Bản tin không hợp lệ.",
    Answer.BAD_SIGNATURE: "Mã xác thực không đúng.",
    Answer.UNKNOWN_REFERENCE: "Không có giao dịch với mã tham chiếu này.",
    Answer.AMOUNT_MISMATCH: "Số tiền không khớp với số tiền phải nộp.",
    Answer.CLOSED: "Giao dịch đã được ghi nhận với kết quả khác.",
    Answer.NOT_PROCESSED: "Chưa xử lý được, vui lòng gửi lại sau.",
}


def answer(code: str) -> dict[str, str]:
    return {"MaLoi": code, "MoTa": ANSWER_TEXTS[code]}
