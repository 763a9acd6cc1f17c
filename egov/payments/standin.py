"""A local stand-in for the national payment platform, for tests, the demo and the benchmark.

`PaymentPlatformStandIn` is a real HTTP server on 127.0.0.1 that speaks the protocol of
egov/payments/national.py. MaXacThuc = sha256("|".join(fields) + "|" + secret), hex, over:

    INIT        LoaiBanTin|PhienBan|MaDoiTac|MaThamChieu|SoTien|LoaiHinhThanhToan|MaTienTe|
                ThoiGianGD|UrlTraVe|UrlThongBao
    INIT reply  MaLoi|MaDoiTac|MaThamChieu|UrlThanhToan
    CONFIRM and QUERY reply
                LoaiBanTin|PhienBan|MaDoiTac|MaThamChieu|MaGiaoDich|SoTien|MaTienTe|MaLoi|
                ThoiGianGD
    QUERY       LoaiBanTin|PhienBan|MaDoiTac|MaThamChieu|ThoiGianGD

The endpoints:

    POST /api              INIT (LoaiBanTin "PAY"): checks MaXacThuc, answers a signed
                           UrlThanhToan pointing at its own payment page; the same
                           MaThamChieu again gets the same page. QUERY: the transaction's
                           state, signed like a CONFIRM (LoaiBanTin "QUERY").
    GET  /thanh-toan/<id>  the payment page, in Vietnamese: the amount, the fees, the
                           "Thanh toán" and "Hủy" buttons
    POST /thanh-toan/<id>  the button pressed: the CONFIRM is POSTed to UrlThongBao (as the
                           mode says), then the payer is sent back (303) to UrlTraVe
    POST /control          {"mode": ..., "reference": optional, "delay": optional}: how to
                           behave from now on (for every transaction, or for one MaThamChieu)
    GET  /control          the current modes and counts (JSON)
    GET  /healthz          "ok"

Modes (constructor, `--mode`, or /control; per MaThamChieu wins over the default):

    success        "Thanh toán" sends a signed CONFIRM with MaLoi "00"
    failure        "Thanh toán" sends MaLoi "03" (payment failed)
    late           the CONFIRM (paid, or cancelled by "Hủy") is sent `delay` seconds later
    duplicate      "Thanh toán" sends the success CONFIRM twice
    bad-signature  the success CONFIRM with a MaXacThuc made with another secret
    wrong-amount   the success CONFIRM for 1.000 đồng more, correctly signed
    no-callback    the payment is made but no CONFIRM is sent (only QUERY tells)
    init-fail      INIT refused (MaLoi "03", a definitive refusal)
    init-error     INIT answered HTTP 500 (the caller should send it again)
    init-timeout   INIT answered after `delay` seconds (longer than the caller waits)

"Hủy" always sends MaLoi "02" (cancelled by the payer), except in no-callback mode. With
`retries` > 0 a CONFIRM not answered "00" is sent again, `retry_delay` seconds apart, as the
platform does.

Run it by hand (`scripts/run` does), then set PAYMENT_PLATFORM_URL=http://127.0.0.1:8027/api
and the same PAYMENT_PARTNER_CODE / PAYMENT_PARTNER_SECRET in the platform:

    python manage.py payment_standin --port 8027 [--mode success] [--partner ...] [--secret ...]
"""

from __future__ import annotations

import contextlib
import html
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from egov.core.standin import LocalHTTPServer

from . import national
from .national import Code

MODES = (
    "success",
    "failure",
    "late",
    "duplicate",
    "bad-signature",
    "wrong-amount",
    "no-callback",
    "init-fail",
    "init-error",
    "init-timeout",
)
MAX_BODY = 64 * 1024


@dataclass
class Transaction:
    reference: str
    amount: int
    token: str
    return_url: str
    notify_url: str
    receipt: dict[str, Any]
    status: str = "open"  # open, paid, failed, cancelled
    transaction: str = ""
    paid_at: datetime | None = None
    code: str = Code.PENDING


@dataclass
class SentCallback:
    """A CONFIRM the stand-in sent, and what came back."""

    reference: str
    message: dict[str, Any]
    status: int | None
    answer: dict[str, Any] | None
    seconds: float
    error: str = ""
    sent_at: float = field(default_factory=time.monotonic)

    @property
    def accepted(self) -> bool:
        return bool(self.answer and self.answer.get("MaLoi") == "00")


class PaymentPlatformStandIn(LocalHTTPServer):
    def __init__(
        self,
        *,
        secret: str,
        partner: str,
        port: int = 0,
        mode: str = "success",
        delay: float = 3.0,
        retries: int = 0,
        retry_delay: float = 5.0,
        callback_timeout: float = 15.0,
        verbose: bool = False,
    ) -> None:
        if not secret:
            raise ValueError("the partner secret is empty")
        self._check_mode(mode)
        self.secret = secret
        self.partner = partner
        self.mode = mode
        self.delay = delay
        self.retries = retries
        self.retry_delay = retry_delay
        self.callback_timeout = callback_timeout
        self.verbose = verbose
        self.modes: dict[str, str] = {}  # MaThamChieu -> mode
        self.transactions: dict[str, Transaction] = {}
        self.by_token: dict[str, Transaction] = {}
        self.callbacks: list[SentCallback] = []
        self.inits: list[dict[str, Any]] = []
        self.queries: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._sent = threading.Condition(self._lock)
        super().__init__(port)

    # -- addresses and modes ----------------------------------------------------------------

    @property
    def url(self) -> str:
        """PAYMENT_PLATFORM_URL."""
        return f"http://127.0.0.1:{self.port}/api"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @staticmethod
    def _check_mode(mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; one of {', '.join(MODES)}")

    def set_mode(self, mode: str, reference: str | None = None, delay: float | None = None) -> None:
        self._check_mode(mode)
        with self._lock:
            if reference:
                self.modes[reference] = mode
            else:
                self.mode = mode
            if delay is not None:
                self.delay = delay

    def mode_for(self, reference: str) -> str:
        with self._lock:
            return self.modes.get(reference, self.mode)

    def _log(self, line: str) -> None:
        if self.verbose:
            print(f"{datetime.now():%H:%M:%S} {line}", flush=True)

    # -- INIT and QUERY ---------------------------------------------------------------------

    def answer_api(self, body: bytes) -> tuple[int, dict[str, Any]]:
        try:
            message = national.decode(body)
        except national.Malformed as exc:
            return 400, {"MaLoi": Code.MALFORMED, "MoTa": str(exc)}
        kind = message.get("LoaiBanTin")
        if kind == national.INIT:
            return self._init(message)
        if kind == national.QUERY:
            return self._query(message)
        return 400, {"MaLoi": Code.MALFORMED, "MoTa": "LoaiBanTin không hợp lệ."}

    def _init(self, message: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.inits.append(message)
        reference = str(message.get("MaThamChieu", ""))
        mode = self.mode_for(reference)
        if mode == "init-error":
            return 500, {"MoTa": "Lỗi máy chủ (mô phỏng)."}
        if mode == "init-timeout":
            time.sleep(self.delay)
        given = str(message.get("MaXacThuc", ""))
        if not national.verify(national.values(message, national.INIT_FIELDS), given, self.secret):
            return 200, {"MaLoi": Code.BAD_SIGNATURE, "MoTa": "Mã xác thực không đúng."}
        if message.get("MaDoiTac") != self.partner:
            return 200, {"MaLoi": Code.BAD_SIGNATURE, "MoTa": "Mã đối tác không đúng."}
        try:
            amount = national.parse_amount(message.get("SoTien"))
            national.parse_time(str(message.get("ThoiGianGD", "")))
        except national.Malformed as exc:
            return 200, {"MaLoi": Code.MALFORMED, "MoTa": str(exc)}
        notify, back = str(message.get("UrlThongBao", "")), str(message.get("UrlTraVe", ""))
        if not reference or not notify.startswith("http") or not back.startswith("http"):
            return 200, {
                "MaLoi": Code.MALFORMED,
                "MoTa": "Thiếu MaThamChieu, UrlTraVe hoặc UrlThongBao.",
            }
        if mode == "init-fail":
            return 200, self._signed_init_reply(
                Code.FAILED, reference, "", "Giao dịch bị từ chối (mô phỏng)."
            )
        with self._lock:
            txn = self.transactions.get(reference)
            if txn is not None and txn.amount != amount:
                return 200, {"MaLoi": Code.MALFORMED, "MoTa": "Trùng mã tham chiếu."}
            if txn is None:
                receipt = message.get("ThongTinBienLai")
                txn = Transaction(
                    reference=reference,
                    amount=amount,
                    token=secrets.token_urlsafe(12),
                    return_url=back,
                    notify_url=notify,
                    receipt=receipt if isinstance(receipt, dict) else {},
                )
                self.transactions[reference] = txn
                self.by_token[txn.token] = txn
        self._log(f"INIT {reference} {amount} đồng -> /thanh-toan/{txn.token}")
        return 200, self._signed_init_reply(Code.OK, reference, self.page_url(txn), "Thành công.")

    def _signed_init_reply(self, code: str, reference: str, url: str, text: str) -> dict[str, Any]:
        reply = {
            "MaLoi": code,
            "MoTa": text,
            "MaDoiTac": self.partner,
            "MaThamChieu": reference,
            "UrlThanhToan": url,
        }
        return national.sign(reply, national.INIT_REPLY_FIELDS, self.secret)

    def page_url(self, txn: Transaction) -> str:
        return f"{self.base}/thanh-toan/{txn.token}"

    def _query(self, message: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.queries.append(message)
        given = str(message.get("MaXacThuc", ""))
        if not national.verify(national.values(message, national.QUERY_FIELDS), given, self.secret):
            return 200, {"MaLoi": Code.BAD_SIGNATURE, "MoTa": "Mã xác thực không đúng."}
        reference = str(message.get("MaThamChieu", ""))
        with self._lock:
            txn = self.transactions.get(reference)
        if txn is None:
            return 200, {"MaLoi": Code.UNKNOWN_REFERENCE, "MaThamChieu": reference}
        if txn.status == "open":
            return 200, {"MaLoi": Code.PENDING, "MaThamChieu": reference}
        return 200, self.confirm(txn, kind=national.QUERY)

    # -- paying -----------------------------------------------------------------------------

    def confirm(
        self,
        txn: Transaction,
        *,
        kind: str = national.CONFIRM,
        secret: str | None = None,
        amount: int | None = None,
    ) -> dict[str, Any]:
        return national.confirm_message(
            partner=self.partner,
            secret=secret or self.secret,
            reference=txn.reference,
            code=txn.code,
            transaction=txn.transaction,
            amount=amount if amount is not None else txn.amount,
            at=txn.paid_at,
            kind=kind,
        )

    def pay(self, reference_or_token: str, action: str = "pay") -> str:
        """What pressing "Thanh toán" (action "pay") or "Hủy" (action "cancel") does: the
        CONFIRM sent as the mode says; returns where the payer is sent back (UrlTraVe)."""
        with self._lock:
            txn = self.transactions.get(reference_or_token) or self.by_token.get(reference_or_token)
            if txn is None:
                raise KeyError(reference_or_token)
            mode = self.modes.get(txn.reference, self.mode)
            if txn.status != "open":
                return txn.return_url  # a second press: the outcome is already told
            txn.paid_at = datetime.now(UTC)
            txn.transaction = "GD" + secrets.token_hex(8).upper()
            if action == "cancel":
                txn.status, txn.code = "cancelled", Code.CANCELLED
            elif mode == "failure":
                txn.status, txn.code = "failed", Code.FAILED
            else:
                txn.status, txn.code = "paid", Code.OK
        self._log(f"{txn.reference}: {txn.status} ({mode})")
        if mode == "no-callback":
            return txn.return_url
        if mode == "late":
            threading.Thread(target=self._later, args=(txn,), daemon=True).start()
            return txn.return_url
        message = self.confirm(txn)
        if action != "cancel":
            if mode == "bad-signature":
                message = self.confirm(txn, secret=self.secret + "-sai")
            elif mode == "wrong-amount":
                message = self.confirm(txn, amount=txn.amount + 1000)
        self.send_callback(txn, message)
        if mode == "duplicate" and action != "cancel":
            self.send_callback(txn, message)
        return txn.return_url

    def pay_many(self, references: Iterable[str], *, concurrency: int) -> list[str]:
        """Pay many transactions at once (the benchmark): `concurrency` payers at a time."""
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            return list(pool.map(self.pay, references))

    def _later(self, txn: Transaction) -> None:
        time.sleep(self.delay)
        self.send_callback(txn, self.confirm(txn))

    def send_callback(
        self, txn: Transaction, message: dict[str, Any], attempt: int = 0
    ) -> SentCallback:
        """POST a CONFIRM to UrlThongBao and record the answer."""
        data = json.dumps(message, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(  # noqa: S310 - our own callback address
            txn.notify_url,
            data=data,
            method="POST",
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        started = time.perf_counter()
        status: int | None = None
        answer: dict[str, Any] | None = None
        error = ""
        try:
            with urllib.request.urlopen(request, timeout=self.callback_timeout) as response:  # noqa: S310
                status, body = int(response.status), response.read(MAX_BODY)
        except urllib.error.HTTPError as exc:
            status, body = exc.code, (exc.read(MAX_BODY) if exc.fp else b"")
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            body, error = b"", str(exc)
        try:
            parsed = json.loads(body.decode("utf-8")) if body else None
            answer = parsed if isinstance(parsed, dict) else None
        except ValueError:
            answer = None
        sent = SentCallback(
            txn.reference, message, status, answer, time.perf_counter() - started, error
        )
        with self._sent:
            self.callbacks.append(sent)
            self._sent.notify_all()
        self._log(
            f"CONFIRM {txn.reference} MaLoi {message.get('MaLoi')} -> {status} {answer or error}"
        )
        if not sent.accepted and attempt < self.retries:
            timer = threading.Timer(
                self.retry_delay, self.send_callback, args=(txn, message, attempt + 1)
            )
            timer.daemon = True
            timer.start()
        return sent

    def wait_callbacks(self, count: int, timeout: float = 30.0) -> list[SentCallback]:
        """Wait until at least `count` CONFIRMs were sent (and answered)."""
        deadline = time.monotonic() + timeout
        with self._sent:
            while len(self.callbacks) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(self.callbacks)} of {count} callbacks sent")
                self._sent.wait(left)
            return list(self.callbacks)

    # -- the payment page -------------------------------------------------------------------

    def page(self, txn: Transaction) -> str:
        receipt = txn.receipt
        rows = [
            ("Đơn vị nhận", self.partner),
            ("Mã hồ sơ", str(receipt.get("MaHoSo", ""))),
            ("Thủ tục", str(receipt.get("TenTTHC") or receipt.get("MaTTHC", ""))),
            ("Người nộp", str(receipt.get("NguoiNop", ""))),
            ("Mã tham chiếu", txn.reference),
        ]
        facts = "".join(
            f"<div><dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd></div>" for k, v in rows if v
        )
        fees = receipt.get("DanhSachPhiLePhi") or []
        fee_rows = "".join(
            f"<tr><td>{html.escape(str(f.get('TenPhiLePhi', '')))}</td>"
            f"<td class='so'>{_dong(f.get('SoTien'))}</td></tr>"
            for f in fees
            if isinstance(f, dict)
        )
        fee_table = (
            "<table><caption>Các khoản phí, lệ phí</caption><thead><tr><th scope='col'>Khoản"
            f"</th><th scope='col' class='so'>Số tiền</th></tr></thead><tbody>{fee_rows}</tbody>"
            "</table>"
            if fee_rows
            else ""
        )
        if txn.status == "open":
            action = (
                "<form method='post'><button type='submit' name='action' value='pay'>"
                "Thanh toán</button> <button type='submit' name='action' value='cancel' "
                "class='phu'>Hủy</button></form>"
            )
        else:
            action = (
                "<p>Giao dịch đã kết thúc. <a href='"
                f"{html.escape(txn.return_url, quote=True)}'>Quay lại trang dịch vụ công</a></p>"
            )
        return (
            "<!doctype html><html lang='vi'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            "<title>Thanh toán phí, lệ phí — Nền tảng thanh toán (mô phỏng)</title>"
            f"<style>{_STYLE}</style></head><body><header><p>Nền tảng thanh toán trực tuyến "
            "(mô phỏng)</p></header><main><h1>Thanh toán phí, lệ phí</h1>"
            "<p class='chu-y'>Môi trường thử nghiệm: không có tiền thật được chuyển.</p>"
            f"<p class='tien'>Số tiền: <strong>{_dong(txn.amount)}</strong></p>"
            f"<dl>{facts}</dl>{fee_table}{action}</main></body></html>"
        )

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
                # The caller may have given up waiting (a timeout): nobody to answer then.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    for name, value in headers.items():
                        self.send_header(name.replace("_", "-"), value)
                    self.end_headers()
                    self.wfile.write(body)

            def _json(self, status: int, data: Any) -> None:
                body = json.dumps(data, ensure_ascii=False).encode("utf-8")
                self._send(status, body, "application/json; charset=utf-8")

            def _body(self) -> bytes | None:
                try:
                    length = int(self.headers.get("Content-Length") or 0)
                except ValueError:
                    length = 0
                if length > MAX_BODY:
                    self._json(413, {"MaLoi": Code.MALFORMED, "MoTa": "Bản tin quá lớn."})
                    return None
                return self.rfile.read(length) if length else b""

            def _transaction(self) -> Transaction | None:
                token = urlsplit(self.path).path.removeprefix("/thanh-toan/").strip("/")
                with server._lock:
                    return server.by_token.get(token)

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                if path == "/healthz":
                    self._send(200, b"ok", "text/plain; charset=utf-8")
                elif path == "/favicon.ico":  # browsers ask; nothing to show
                    self._send(204, b"", "image/x-icon")
                elif path == "/control":
                    with server._lock:
                        self._json(
                            200,
                            {
                                "mode": server.mode,
                                "modes": dict(server.modes),
                                "delay": server.delay,
                                "transactions": len(server.transactions),
                                "callbacks": len(server.callbacks),
                            },
                        )
                elif path.startswith("/thanh-toan/") and (txn := self._transaction()):
                    self._send(200, server.page(txn).encode("utf-8"), "text/html; charset=utf-8")
                else:
                    self._send(404, "Không tìm thấy.".encode(), "text/plain; charset=utf-8")

            def do_POST(self) -> None:
                path = urlsplit(self.path).path
                body = self._body()
                if body is None:
                    return
                if path.startswith("/api"):
                    self._json(*server.answer_api(body))
                elif path == "/control":
                    try:
                        data = json.loads(body or b"{}")
                        server.set_mode(
                            str(data.get("mode", server.mode)),
                            reference=data.get("reference") or None,
                            delay=data.get("delay"),
                        )
                    except (ValueError, AttributeError) as exc:
                        self._json(400, {"error": str(exc)})
                        return
                    self._json(200, {"ok": True})
                elif path.startswith("/thanh-toan/") and (txn := self._transaction()):
                    form = parse_qs(body.decode("utf-8", "replace"))
                    action = "cancel" if form.get("action") == ["cancel"] else "pay"
                    back = server.pay(txn.reference, action)
                    self._send(303, b"", "text/plain; charset=utf-8", Location=back)
                else:
                    self._send(404, "Không tìm thấy.".encode(), "text/plain; charset=utf-8")

        return Handler


def _dong(value: Any) -> str:
    try:
        amount = int(value)
    except (TypeError, ValueError):
        return html.escape(str(value))
    return f"{amount:,}".replace(",", ".") + " đồng"


_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:0;color:#0b0c0c;background:#f3f2f1}"
    "header{background:#0b3d91;color:#fff;padding:.5rem 1rem}header p{margin:0;font-weight:700}"
    "main{max-width:40rem;margin:1.5rem auto;background:#fff;padding:1.5rem}"
    ".chu-y{background:#fff7bf;padding:.5rem}.tien{font-size:1.5rem}"
    "dl div{display:flex;gap:1rem;border-bottom:1px solid #b1b4b6;padding:.25rem 0}"
    "dt{font-weight:700;min-width:9rem}dd{margin:0}table{border-collapse:collapse;width:100%;"
    "margin:1rem 0}th,td{text-align:left;border-bottom:1px solid #b1b4b6;padding:.25rem}"
    ".so{text-align:right}button{font-size:1.1rem;padding:.5rem 1.25rem;background:#00703c;"
    "color:#fff;border:0;cursor:pointer}button.phu{background:#505a5f}"
)
