"""HTTP adapter to another platform's exchange API (the receiving side is `api.py`).

    POST <endpoint.url>packages/   body: the signed edXML package (application/xml)
    POST <endpoint.url>statuses/   body: a signed status message

Headers: `Authorization: Bearer <endpoint.auth_token>`, `Idempotency-Key`, and for packages
`X-Edxml-To: <recipient OrganId>`. Answers are JSON `{code, message, fields, status}`.

Outcomes: 2xx = delivered (the answer's status, normally 01); a 4xx whose body carries a
status 02 = refused by the recipient (recorded, not retried), likewise a status message
answered 422, or 400 with a status-flow code (status_out_of_order...); 408/409/425/429, 5xx, network
errors and timeouts = `DeliveryError` (the outbox retries); any other 4xx (authentication,
configuration) = `PermanentDeliveryError` (dead message for an operator to look at).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from egov.events.services import DeliveryError, PermanentDeliveryError

from .edxml import ARRIVED, REJECTED, EdxmlError, parse_timestamp
from .error_codes import ExchangeErrorCode

if TYPE_CHECKING:
    from .models import ExternalEndpoint
    from .receiving import ReceiveResult

USER_AGENT = "egov-edxml/1.0"
RETRYABLE_STATUSES = frozenset({408, 409, 425, 429})
STATUS_FLOW_CODES = frozenset(
    {ExchangeErrorCode.STATUS_OUT_OF_ORDER, ExchangeErrorCode.STATUS_NOT_ALLOWED_FOR_SENDER}
)
MAX_ANSWER_BYTES = 64 * 1024


@dataclass
class Answer:
    """What the recipient said about a package: 01 arrived (maybe again) or 02 refused."""

    status_code: str
    description: str = ""
    timestamp: datetime | None = None
    duplicate: bool = False
    error_code: str = ""

    @property
    def accepted(self) -> bool:
        return self.status_code != REJECTED

    @classmethod
    def from_receipt(cls, result: ReceiveResult) -> Answer:
        return cls(
            status_code=result.status_code,
            description=result.description,
            timestamp=result.timestamp,
            duplicate=result.duplicate,
            error_code=result.error_code,
        )

    @classmethod
    def from_body(cls, body: dict[str, Any], default_code: str) -> Answer:
        status = body.get("status") if isinstance(body.get("status"), dict) else {}
        assert isinstance(status, dict)
        code = str(status.get("status_code") or default_code)
        moment: datetime | None = None
        if status.get("timestamp"):
            try:
                moment = parse_timestamp(str(status["timestamp"]), "status.timestamp")
            except EdxmlError:
                moment = None
        return cls(
            status_code=code,
            description=str(status.get("description") or body.get("message") or "")[:2000],
            timestamp=moment or timezone.now().replace(microsecond=0),
            duplicate=bool(body.get("duplicate")),
            error_code=str(body.get("code") or "")[:50],
        )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A package is never silently re-posted elsewhere: a redirect is a configuration error."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _post(
    endpoint: ExternalEndpoint, kind: str, raw: bytes, headers: dict[str, str], key: str
) -> tuple[int, dict[str, Any]]:
    url = endpoint.endpoint_url(kind)
    if not url.lower().startswith(("http://", "https://")):
        raise PermanentDeliveryError(f"Địa chỉ trục liên thông không hợp lệ: {url!r}")
    all_headers = {
        "Content-Type": "application/xml; charset=utf-8",
        "Accept": "application/json",
        "User-Agent": USER_AGENT,
        **headers,
        "Idempotency-Key": key,
    }
    if endpoint.auth_token:
        all_headers["Authorization"] = f"Bearer {endpoint.auth_token}"
    request = urllib.request.Request(url, data=raw, method="POST", headers=all_headers)  # noqa: S310 - scheme checked above
    try:
        with _opener.open(request, timeout=float(endpoint.timeout_seconds or 30)) as response:
            status = int(response.status)
            body = response.read(MAX_ANSWER_BYTES)
    except urllib.error.HTTPError as exc:
        status = exc.code
        body = exc.read(MAX_ANSWER_BYTES) if exc.fp else b""
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise DeliveryError(f"Không kết nối được {url}: {exc}") from exc
    try:
        parsed = json.loads(body.decode("utf-8")) if body else {}
    except (UnicodeDecodeError, json.JSONDecodeError):
        parsed = {}
    if not isinstance(parsed, dict):
        parsed = {}
    if 300 <= status < 400:
        raise PermanentDeliveryError(f"HTTP {status} từ {url}: không theo chuyển hướng.")
    if status >= 500 or status in RETRYABLE_STATUSES:
        raise DeliveryError(f"HTTP {status} từ {url}: {body[:300].decode('utf-8', 'replace')}")
    return status, parsed


def post_package(
    endpoint: ExternalEndpoint, raw: bytes, *, recipient_organ_id: str, idempotency_key: str
) -> Answer:
    """POST a package; the recipient's answer (01, or 02 with its reason)."""
    status, body = _post(
        endpoint, "packages", raw, {"X-Edxml-To": recipient_organ_id}, idempotency_key
    )
    if 200 <= status < 300:
        return Answer.from_body(body, ARRIVED)
    answer_status = body.get("status")
    if isinstance(answer_status, dict) and answer_status.get("status_code") == REJECTED:
        return Answer.from_body(body, REJECTED)
    message = str(body.get("message") or "")[:300]
    raise PermanentDeliveryError(
        f"HTTP {status} từ {endpoint.endpoint_url('packages')}: {message}".strip()
    )


def post_status(endpoint: ExternalEndpoint, raw: bytes, *, idempotency_key: str) -> str:
    """POST a status message; "" when accepted, the reason when the other side refused it."""
    status, body = _post(endpoint, "statuses", raw, {}, idempotency_key)
    if 200 <= status < 300:
        return ""
    if status == 422 or (status == 400 and body.get("code") in STATUS_FLOW_CODES):
        # 422: refused (signature, unknown document...); 400: not a step the flow allows.
        return str(body.get("message") or "Bên nhận từ chối thông điệp trạng thái.")[:2000]
    message = str(body.get("message") or "")[:300]
    raise PermanentDeliveryError(
        f"HTTP {status} từ {endpoint.endpoint_url('statuses')}: {message}".strip()
    )
