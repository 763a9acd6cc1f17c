"""The national public service portal's sync interface, and its HTTP implementation.

Calls (JSON over HTTPS POST, `Authorization: Bearer <NATIONAL_PORTAL_TOKEN>`), each answered
`{"error_code": "...", "message": "..."}` with "0" = accepted:

    POST <url>/hoso/them        add a dossier record (the same MaHoSo again: replaced, not a
                                second dossier)
    POST <url>/hoso/capnhat     update a dossier record (error_code "2": unknown MaHoSo)
    POST <url>/hoso/buocxuly    {"MaHoSo": ..., "DanhSachBuocXuLy": [step, ...]} one chunk of
                                process steps (keyed by MaHoSo and STT: the same step again
                                replaces it)
    GET  <url>/doisoat?ngay=YYYY-MM-DD[&donvi=CODE]
                                what the portal holds per agency and day (reconciliation):
                                {"error_code": "0", "items": [{"DonViXuLy", "Ngay",
                                "SoLuong", "MaHoSo": [...]}]}

error_code: "0" accepted, "1" the record is invalid (a field; never worth sending again as is),
"2" unknown MaHoSo, "3" not authorised, "99" the portal's own error (send again later). The
portal's message is kept short and never quotes the record (no personal data in our logs).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from django.conf import settings

OK, INVALID, UNKNOWN, UNAUTHORISED, PORTAL_ERROR = "0", "1", "2", "3", "99"
MAX_REPLY_BYTES = 1024 * 1024


class PortalError(Exception):
    """A call the portal did not accept. `code`: its error_code ("" for transport errors)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"[{code or 'mạng'}] {message}"[:300])
        self.code = code

    @property
    def permanent(self) -> bool:
        return self.code == INVALID


@dataclass(frozen=True)
class RemoteCount:
    agency: str
    day: str  # YYYY-MM-DD
    count: int
    codes: frozenset[str]


class NationalPortal(Protocol):
    def add(self, record: dict[str, Any]) -> None: ...

    def update(self, record: dict[str, Any]) -> None: ...

    def push_steps(self, code: str, steps: Sequence[dict[str, Any]]) -> None: ...

    def counts(self, day: date, agency: str = "") -> list[RemoteCount]: ...


class HttpNationalPortal:
    def __init__(self, url: str, token: str = "", timeout: float | None = None) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = float(
            timeout if timeout is not None else getattr(settings, "NATIONAL_PORTAL_TIMEOUT", 10)
        )

    def _call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        if not self.url.lower().startswith(("http://", "https://")):
            raise PortalError("", "Chưa cấu hình địa chỉ Cổng Dịch vụ công quốc gia.")
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = {"Accept": "application/json", "User-Agent": "egov-national/1.0"}
        if data is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(  # noqa: S310 - scheme checked above
            self.url + path, data=data, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                raw = response.read(MAX_REPLY_BYTES)
        except urllib.error.HTTPError as exc:
            code = PORTAL_ERROR
            try:
                said = json.loads(exc.read(4096)) if exc.fp else None
            except ValueError:
                said = None
            if isinstance(said, dict) and str(said.get("error_code", "")) in (UNAUTHORISED,):
                code = UNAUTHORISED
            raise PortalError(code, f"HTTP {exc.code}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise PortalError(
                "", f"Không kết nối được Cổng quốc gia: {type(exc).__name__}"
            ) from exc
        try:
            reply = json.loads(raw)
        except ValueError as exc:
            raise PortalError(PORTAL_ERROR, "Trả lời không phải JSON") from exc
        if not isinstance(reply, dict):
            raise PortalError(PORTAL_ERROR, "Trả lời không đúng dạng")
        code = str(reply.get("error_code", ""))
        if code != OK:
            raise PortalError(code or PORTAL_ERROR, str(reply.get("message") or "")[:200])
        return reply

    def add(self, record: dict[str, Any]) -> None:
        self._call("POST", "/hoso/them", record)

    def update(self, record: dict[str, Any]) -> None:
        self._call("POST", "/hoso/capnhat", record)

    def push_steps(self, code: str, steps: Sequence[dict[str, Any]]) -> None:
        self._call("POST", "/hoso/buocxuly", {"MaHoSo": code, "DanhSachBuocXuLy": list(steps)})

    def counts(self, day: date, agency: str = "") -> list[RemoteCount]:
        query = {"ngay": day.isoformat()}
        if agency:
            query["donvi"] = agency
        reply = self._call("GET", "/doisoat?" + urllib.parse.urlencode(query))
        items = reply.get("items")
        if not isinstance(items, list):
            raise PortalError(PORTAL_ERROR, "Trả lời đối soát không đúng dạng")
        return [
            RemoteCount(
                agency=str(i.get("DonViXuLy", "")),
                day=str(i.get("Ngay", "")),
                count=int(i.get("SoLuong", 0)),
                codes=frozenset(str(c) for c in i.get("MaHoSo", [])),
            )
            for i in items
            if isinstance(i, dict)
        ]


def get_portal() -> NationalPortal:
    return HttpNationalPortal(
        str(getattr(settings, "NATIONAL_PORTAL_URL", "")),
        str(getattr(settings, "NATIONAL_PORTAL_TOKEN", "")),
    )
