"""A local stand-in for the national public service portal's dossier sync, for tests, the demo
and the benchmark: a real HTTP server on 127.0.0.1 speaking adapter.py's protocol.

It VALIDATES every field of every record (required, types, lengths, code formats, date
formats, enumerations, unknown fields refused: `validate_record`, `validate_step`; the formats
are in docs/national.md), stores dossiers keyed by MaHoSo and steps keyed by (MaHoSo, STT) —
the same record twice is still one dossier — and answers `{"error_code", "message"}`.

    POST /hoso/them | /hoso/capnhat | /hoso/buocxuly    the three calls
    GET  /hoso/<MaHoSo>      what it holds for one dossier: {"record": ..., "steps": [...]}
    GET  /doisoat?ngay=YYYY-MM-DD[&donvi=CODE]           counts and codes per agency and day
                             (the day of NgayNopHoSo)
    POST /control            {"fail_rate": 0.3, "timeout_rate": 0.05, "timeout_delay": 2,
                              "slow": 0.1, "lose": ["MaHoSo", ...], "keep": ["MaHoSo", ...]}
    GET  /control            the flags and the call counts
    GET  /healthz            "ok"

Misbehaviour: `fail_rate` of calls answer HTTP 500 or error_code "99" (half each) without
storing; `timeout_rate` of calls are stored and then answered only after `timeout_delay`
seconds (longer than the client waits: the client must send again, and the store must take it
twice); `slow` seconds are added to every answer; a code in `lose` is acknowledged "0" but not
stored (what reconciliation must find). With a token set, a call without
`Authorization: Bearer <token>` is refused (HTTP 401, error_code "3").

    python manage.py national_portal_standin --port 8028 [--token ...] [--fail-rate 0.3]
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
import urllib.parse
from collections import Counter
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

from egov.core.standin import LocalHTTPServer

from . import records

MAX_BODY = 2 * 1024 * 1024
MAX_STEPS_PER_CALL = 200

DOSSIER_CODE = re.compile(r"^[0-9A-Z]{2,3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[A-Z][0-9]{2}-\d{6}-\d{4,5}$")
PROCEDURE_CODE = re.compile(r"^\d\.\d{6}(\.\d{3}\.\d{2}\.\d{2}\.[A-Z0-9]{3})?$")
AGENCY_CODE = re.compile(r"^[0-9A-Z]{2,3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[A-Z][0-9]{2}$")
SECTOR_CODE = re.compile(r"^[0-9A-Za-z._-]{1,20}$")
ID_NUMBER = re.compile(r"^[0-9A-Za-z]{1,20}$")
STATUSES = frozenset(str(n) for n in range(1, 11))
FLAG = frozenset({"0", "1"})

Problems = list[str]


def _date(value: Any) -> bool:
    if not isinstance(value, str) or len(value) != 14 or not value.isdigit():
        return False
    try:
        datetime.strptime(value, records.TIME_FORMAT)
    except ValueError:
        return False
    return True


class _Check:
    def __init__(self, data: Any, where: str) -> None:
        self.data = data if isinstance(data, dict) else {}
        self.where = where
        self.problems: Problems = []
        if not isinstance(data, dict):
            self.problems.append(f"{where}: phải là đối tượng JSON")

    def bad(self, name: str, why: str) -> None:
        self.problems.append(f"{self.where}.{name}: {why}")

    def text(self, name: str, *, required: bool = True, max_len: int = 255) -> None:
        value = self.data.get(name)
        if not isinstance(value, str):
            self.bad(name, "thiếu hoặc không phải chuỗi")
        elif required and not value.strip():
            self.bad(name, "bắt buộc")
        elif len(value) > max_len:
            self.bad(name, f"dài quá {max_len} ký tự")

    def match(self, name: str, pattern: re.Pattern[str]) -> None:
        value = self.data.get(name)
        if not isinstance(value, str) or not pattern.match(value):
            self.bad(name, "sai định dạng mã")

    def choice(self, name: str, allowed: frozenset[str]) -> None:
        if self.data.get(name) not in allowed:
            self.bad(name, "giá trị không thuộc danh mục")

    def when(self, name: str, *, required: bool = False) -> None:
        value = self.data.get(name)
        if value == "" and not required:
            return
        if not _date(value):
            self.bad(name, "ngày giờ phải có dạng yyyyMMddHHmmss")

    def items(self, name: str) -> list[Any]:
        value = self.data.get(name)
        if not isinstance(value, list):
            self.bad(name, "phải là danh sách")
            return []
        if len(value) > 500:
            self.bad(name, "quá 500 phần tử")
            return []
        return value

    def only(self, names: tuple[str, ...]) -> None:
        for extra in sorted(set(self.data) - set(names)):
            self.bad(extra[:40], "trường không có trong đặc tả")


FILE_FIELDS = (
    "MaThanhPhanHoSo",
    "DuongDanTaiTepTin",
    "DuocSoHoa",
    "DuocTaiSuDung",
    "DuocLayTuKhoDMQG",
)
FEE_FIELDS = ("TenPhiLePhi", "MaPhiLePhi", "HinhThucThu", "Gia", "LoaiPhiLePhi")
SUPPLEMENT_FIELDS = ("NgayYeuCauBoSung", "NoiDungYeuCau", "HanBoSung", "NgayBoSung")
RESULT_FIELDS = ("MaGiayToKetQua", "DuongDanTepTinKetQua")


def validate_record(data: Any) -> Problems:
    """Every problem of a dossier record (empty: valid)."""
    c = _Check(data, "HoSo")
    if c.problems:
        return c.problems
    c.only(records.RECORD_FIELDS)
    c.match("MaHoSo", DOSSIER_CODE)
    c.match("MaTTHC", PROCEDURE_CODE)
    c.text("TenTTHC", max_len=500)
    c.match("MaLinhVuc", SECTOR_CODE)
    c.text("TenLinhVuc")
    c.choice("KenhThucHien", frozenset({"1", "2", "3"}))
    c.text("ChuHoSo")
    c.match("SoGiayToChuHoSo", ID_NUMBER)
    c.choice("LoaiDoiTuong", frozenset({"1", "2"}))
    c.text("TrichYeuHoSo", required=False, max_len=500)
    c.choice("TrangThaiHoSo", STATUSES)
    c.match("DonViXuLy", AGENCY_CODE)
    c.when("NgayNopHoSo", required=True)
    for name in ("NgayTiepNhan", "NgayHenTra", "NgayTra", "NgayKetThucXuLy", "NgayTuChoi"):
        c.when(name)
    for name in ("HoSoCoThanhPhanSoHoa", "TaiKhoanDuocXacThucVoiVNeID", "DuocThanhToanTrucTuyen"):
        c.choice(name, FLAG)
    status = c.data.get("TrangThaiHoSo")
    if status == "10" and not c.data.get("NgayTra"):
        c.bad("NgayTra", "bắt buộc khi đã trả kết quả")
    if status == "3" and not c.data.get("NgayTuChoi"):
        c.bad("NgayTuChoi", "bắt buộc khi từ chối tiếp nhận")
    for n, item in enumerate(c.items("TaiLieuNop")):
        f = _Check(item, f"HoSo.TaiLieuNop[{n}]")
        f.only(FILE_FIELDS)
        f.text("MaThanhPhanHoSo", required=False, max_len=60)
        f.text("DuongDanTaiTepTin", max_len=500)
        for flag in ("DuocSoHoa", "DuocTaiSuDung", "DuocLayTuKhoDMQG"):
            f.choice(flag, FLAG)
        c.problems += f.problems
    for n, item in enumerate(c.items("DanhSachLePhi")):
        f = _Check(item, f"HoSo.DanhSachLePhi[{n}]")
        f.only(FEE_FIELDS)
        f.text("TenPhiLePhi")
        f.text("MaPhiLePhi", required=False, max_len=50)
        f.choice("HinhThucThu", frozenset({"1", "2", "3", "4"}))
        f.choice("LoaiPhiLePhi", frozenset({"1", "2"}))
        price = f.data.get("Gia")
        if isinstance(price, bool) or not isinstance(price, int) or price < 0:
            f.bad("Gia", "phải là số nguyên đồng, không âm")
        c.problems += f.problems
    for n, item in enumerate(c.items("DanhSachHoSoBoSung")):
        f = _Check(item, f"HoSo.DanhSachHoSoBoSung[{n}]")
        f.only(SUPPLEMENT_FIELDS)
        f.when("NgayYeuCauBoSung", required=True)
        f.text("NoiDungYeuCau", max_len=1000)
        f.when("HanBoSung")
        f.when("NgayBoSung")
        c.problems += f.problems
    for n, item in enumerate(c.items("DanhSachGiayToKetQua")):
        f = _Check(item, f"HoSo.DanhSachGiayToKetQua[{n}]")
        f.only(RESULT_FIELDS)
        f.text("MaGiayToKetQua", max_len=64)
        f.text("DuongDanTepTinKetQua", max_len=500)
        c.problems += f.problems
    return c.problems


def validate_step(data: Any, where: str = "BuocXuLy") -> Problems:
    c = _Check(data, where)
    if c.problems:
        return c.problems
    c.only(records.STEP_FIELDS)
    c.match("MaHoSo", DOSSIER_CODE)
    stt = c.data.get("STT")
    if isinstance(stt, bool) or not isinstance(stt, int) or not 1 <= stt <= 100_000:
        c.bad("STT", "phải là số nguyên từ 1")
    c.text("NguoiXuLy", max_len=150)
    c.text("ChucDanh", required=False, max_len=120)
    c.when("ThoiDiemXuLy", required=True)
    c.text("PhongBanXuLy", required=False)
    c.text("NoiDungXuLy", max_len=1000)
    c.choice("TrangThai", STATUSES)
    c.when("NgayBatDau", required=True)
    c.when("NgayKetThucTheoQuyDinh")
    return c.problems


class NationalPortalStandIn(LocalHTTPServer):
    def __init__(
        self,
        port: int = 0,
        *,
        token: str = "",
        fail_rate: float = 0.0,
        timeout_rate: float = 0.0,
        timeout_delay: float = 2.0,
        slow: float = 0.0,
        seed: int | None = None,
        verbose: bool = False,
    ) -> None:
        super().__init__(port)
        self.token = token
        self.fail_rate = fail_rate
        self.timeout_rate = timeout_rate
        self.timeout_delay = timeout_delay
        self.slow = slow
        self.lose: set[str] = set()
        self.verbose = verbose
        self.dossiers: dict[str, dict[str, Any]] = {}
        self.steps: dict[tuple[str, int], dict[str, Any]] = {}
        self.calls: Counter[str] = Counter()
        self.tokens_seen: list[str] = []
        self._lock = threading.Lock()
        self._rng = random.Random(seed)  # noqa: S311 - misbehaving on purpose, not security

    def control(self, flags: dict[str, Any]) -> None:
        with self._lock:
            for name in ("fail_rate", "timeout_rate", "timeout_delay", "slow"):
                if name in flags:
                    setattr(self, name, max(0.0, float(flags[name])))
            self.lose |= {str(c) for c in flags.get("lose", [])}
            self.lose -= {str(c) for c in flags.get("keep", [])}

    def status(self) -> dict[str, Any]:
        with self._lock:
            return {
                "fail_rate": self.fail_rate,
                "timeout_rate": self.timeout_rate,
                "timeout_delay": self.timeout_delay,
                "slow": self.slow,
                "lose": sorted(self.lose),
                "calls": dict(self.calls),
                "dossiers": len(self.dossiers),
                "steps": len(self.steps),
            }

    def steps_of(self, code: str) -> list[dict[str, Any]]:
        with self._lock:
            found = [s for (c, _n), s in self.steps.items() if c == code]
        return sorted(found, key=lambda s: int(s["STT"]))

    def counts(self, day: str, agency: str = "") -> list[dict[str, Any]]:
        wanted = day.replace("-", "")
        groups: dict[str, list[str]] = {}
        with self._lock:
            for code, record in self.dossiers.items():
                if str(record.get("NgayNopHoSo", ""))[:8] != wanted:
                    continue
                if agency and record.get("DonViXuLy") != agency:
                    continue
                groups.setdefault(str(record.get("DonViXuLy")), []).append(code)
        return [
            {"DonViXuLy": a, "Ngay": day, "SoLuong": len(codes), "MaHoSo": sorted(codes)}
            for a, codes in sorted(groups.items())
        ]

    def _roll(self) -> str:
        with self._lock:
            draw = self._rng.random()
        if draw < self.fail_rate:
            return "fail"
        if draw < self.fail_rate + self.timeout_rate:
            return "timeout"
        return "ok"

    def answer(self, path: str, body: Any) -> tuple[int, dict[str, Any]]:
        """Validate and store one call: (HTTP status, reply)."""
        if path in ("/hoso/them", "/hoso/capnhat"):
            problems: Problems = validate_record(body)
            if problems:
                return 200, {"error_code": "1", "message": "; ".join(problems)[:2000]}
            code = body["MaHoSo"]
            with self._lock:
                if code in self.lose:
                    return 200, {"error_code": "0", "message": "Đã tiếp nhận"}
                if path == "/hoso/capnhat" and code not in self.dossiers:
                    return 200, {"error_code": "2", "message": "Không tìm thấy hồ sơ"}
                self.dossiers[code] = body
            return 200, {"error_code": "0", "message": "Thành công"}
        if path == "/hoso/buocxuly":
            if not isinstance(body, dict) or set(body) != {"MaHoSo", "DanhSachBuocXuLy"}:
                return 200, {"error_code": "1", "message": "Cần MaHoSo và DanhSachBuocXuLy"}
            code, steps = body["MaHoSo"], body["DanhSachBuocXuLy"]
            if not isinstance(steps, list) or not 1 <= len(steps) <= MAX_STEPS_PER_CALL:
                return 200, {"error_code": "1", "message": "DanhSachBuocXuLy: 1..200 bước"}
            problems = []
            for n, step in enumerate(steps):
                problems += validate_step(step, f"DanhSachBuocXuLy[{n}]")
                if isinstance(step, dict) and step.get("MaHoSo") != code:
                    problems.append(f"DanhSachBuocXuLy[{n}].MaHoSo: khác hồ sơ")
            if problems:
                return 200, {"error_code": "1", "message": "; ".join(problems)[:2000]}
            with self._lock:
                if code in self.lose:
                    return 200, {"error_code": "0", "message": "Đã tiếp nhận"}
                if code not in self.dossiers:
                    return 200, {"error_code": "2", "message": "Không tìm thấy hồ sơ"}
                for step in steps:
                    self.steps[(code, int(step["STT"]))] = step
            return 200, {"error_code": "0", "message": "Thành công"}
        return 404, {"error_code": "1", "message": "Không có chức năng này"}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                if server.verbose:  # the path and status only: never a record's content
                    super().log_message(format, *args)

            def _json(self, status: int, data: Any) -> None:
                raw = json.dumps(data, ensure_ascii=False).encode("utf-8")
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                except OSError:
                    pass  # the client gave up (a timed-out call)

            def _authorised(self) -> bool:
                given = self.headers.get("Authorization", "")
                with server._lock:
                    server.tokens_seen.append(given)
                    del server.tokens_seen[:-50]
                if server.token and given != f"Bearer {server.token}":
                    self._json(401, {"error_code": "3", "message": "Sai mã truy cập"})
                    return False
                return True

            def do_GET(self) -> None:
                parsed = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(parsed.query))
                if parsed.path == "/healthz":
                    self._json(200, "ok")
                elif parsed.path == "/control":
                    self._json(200, server.status())
                elif not self._authorised():
                    return
                elif parsed.path == "/doisoat":
                    day = query.get("ngay", "")
                    if not re.match(r"^\d{4}-\d{2}-\d{2}$", day):
                        self._json(200, {"error_code": "1", "message": "ngay: YYYY-MM-DD"})
                        return
                    items = server.counts(day, query.get("donvi", ""))
                    self._json(200, {"error_code": "0", "message": "", "items": items})
                elif parsed.path.startswith("/hoso/"):
                    code = urllib.parse.unquote(parsed.path.removeprefix("/hoso/"))
                    with server._lock:
                        record = server.dossiers.get(code)
                    if record is None:
                        self._json(404, {"error_code": "2", "message": "Không tìm thấy hồ sơ"})
                        return
                    steps = server.steps_of(code)
                    self._json(200, {"error_code": "0", "record": record, "steps": steps})
                else:
                    self._json(404, {"error_code": "1", "message": "Không có chức năng này"})

            def do_POST(self) -> None:
                path = urllib.parse.urlsplit(self.path).path
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    self._json(413, {"error_code": "1", "message": "Nội dung quá lớn"})
                    return
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"null")
                except ValueError:
                    self._json(400, {"error_code": "1", "message": "Không phải JSON"})
                    return
                if path == "/control":
                    if not isinstance(body, dict):
                        self._json(400, {"error_code": "1", "message": "Cần đối tượng JSON"})
                        return
                    server.control(body)
                    self._json(200, server.status())
                    return
                if not self._authorised():
                    return
                with server._lock:
                    server.calls[path] += 1
                if server.slow:
                    time.sleep(server.slow)
                outcome = server._roll()
                if outcome == "fail":
                    with server._lock:
                        server.calls["failed"] += 1
                        flip = server._rng.random() < 0.5
                    if flip:
                        self._json(500, {"error_code": "99", "message": "Lỗi hệ thống"})
                    else:
                        self._json(200, {"error_code": "99", "message": "Hệ thống bận"})
                    return
                status, reply = server.answer(path, body)
                if outcome == "timeout":
                    with server._lock:
                        server.calls["timed_out"] += 1
                    time.sleep(server.timeout_delay)
                self._json(status, reply)

        return Handler
