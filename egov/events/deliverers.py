"""Built-in outbox deliverers: email, webhook (HTTP POST of JSON) and SMS (through a gateway).

Each deliverer returns when the remote side accepted the message and raises `DeliveryError`
(retry later) or `PermanentDeliveryError` (never going to work: the message goes dead). Each
passes the message's idempotency key on, so a repeated delivery can be recognised remotely.

Payloads:
- email:   {"to": "a@b.vn" | [...], "subject": str, "body": str, "html": str?, "from": str?,
            "attachments": [{"filename": str, "content_type": str, "content": str}]?}
           (an attachment's content is text, e.g. an iCalendar invitation; binary files are
           linked, never mailed)
- webhook: {"url": "https://...", "body": {...}, "headers": {...}?}
- sms:     {"to": "+84912345678", "text": str}
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import BadHeaderError, EmailMultiAlternatives, get_connection
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.module_loading import import_string

from .models import OutboxMessage
from .services import DeliveryError, PermanentDeliveryError, register_deliverer

USER_AGENT = "egov-outbox/1.0"
# Statuses worth retrying; any other 4xx means the request itself is wrong.
RETRYABLE_STATUSES = frozenset({408, 409, 425, 429})


# ---------------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A POST is never silently re-sent elsewhere: a redirect is an error to fix."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post_json(
    url: str,
    body: Any,
    *,
    idempotency_key: str,
    headers: dict[str, str] | None = None,
    timeout: float | None = None,
    signing_key: str = "",
) -> int:
    """POST `body` as JSON with an `Idempotency-Key` header; return the 2xx status.

    Raises DeliveryError for network errors, timeouts, 5xx and 408/409/425/429, and
    PermanentDeliveryError for other statuses and for URLs that are not http(s).
    """
    if not url.lower().startswith(("http://", "https://")):
        raise PermanentDeliveryError(f"Địa chỉ nhận không hợp lệ: {url!r}")
    data = json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False).encode("utf-8")
    all_headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Accept": "application/json",
        "User-Agent": USER_AGENT,
        **(headers or {}),
        "Idempotency-Key": idempotency_key,
    }
    if signing_key:
        digest = hmac.new(signing_key.encode(), data, hashlib.sha256).hexdigest()
        all_headers["X-Egov-Signature"] = f"sha256={digest}"
    request = urllib.request.Request(url, data=data, method="POST", headers=all_headers)  # noqa: S310 - scheme checked above
    if timeout is None:
        timeout = float(getattr(settings, "OUTBOX_HTTP_TIMEOUT_SECONDS", 10))
    try:
        with _opener.open(request, timeout=timeout) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        detail = exc.read(300).decode("utf-8", "replace") if exc.fp else ""
        message = f"HTTP {exc.code} từ {url}: {detail}".strip()
        if exc.code >= 500 or exc.code in RETRYABLE_STATUSES:
            raise DeliveryError(message) from exc
        raise PermanentDeliveryError(message) from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise DeliveryError(f"Không kết nối được {url}: {exc}") from exc
    if not 200 <= status < 300:
        raise DeliveryError(f"HTTP {status} từ {url}")
    return status


@register_deliverer(OutboxMessage.Topic.WEBHOOK)
def deliver_webhook(message: OutboxMessage) -> None:
    payload = message.payload
    url = payload.get("url")
    if not isinstance(url, str):
        raise PermanentDeliveryError("Thiếu địa chỉ webhook (payload['url']).")
    post_json(
        url,
        payload.get("body", {}),
        idempotency_key=message.idempotency_key,
        headers={str(k): str(v) for k, v in (payload.get("headers") or {}).items()},
        signing_key=str(getattr(settings, "OUTBOX_WEBHOOK_SIGNING_KEY", "") or ""),
    )


# ---------------------------------------------------------------------------------------------
# Email
# ---------------------------------------------------------------------------------------------


def _message_id(idempotency_key: str, from_email: str) -> str:
    """The same key always gives the same Message-ID, so a resent mail is a duplicate."""
    domain = from_email.rsplit("@", 1)[-1].strip("> ") or "localhost"
    return f"<{hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]}@{domain}>"


@register_deliverer(OutboxMessage.Topic.EMAIL)
def deliver_email(message: OutboxMessage) -> None:
    payload = message.payload
    recipients = payload.get("to")
    if isinstance(recipients, str):
        recipients = [recipients]
    if not recipients:
        raise PermanentDeliveryError("Thư không có người nhận (payload['to']).")
    from_email = str(payload.get("from") or settings.DEFAULT_FROM_EMAIL)
    email = EmailMultiAlternatives(
        subject=str(payload.get("subject", "")),
        body=str(payload.get("body", "")),
        from_email=from_email,
        to=[str(r) for r in recipients],
        headers={
            "Message-ID": _message_id(message.idempotency_key, from_email),
            "X-Idempotency-Key": message.idempotency_key,
        },
        connection=get_connection(
            fail_silently=False, timeout=getattr(settings, "EMAIL_TIMEOUT", None) or 30
        ),
    )
    if payload.get("html"):
        email.attach_alternative(str(payload["html"]), "text/html")
    for attachment in payload.get("attachments") or []:
        email.attach(
            str(attachment["filename"]),
            str(attachment["content"]),
            str(attachment.get("content_type") or "text/plain"),
        )
    try:
        email.send(fail_silently=False)
    except (BadHeaderError, ValueError) as exc:
        raise PermanentDeliveryError(str(exc)) from exc


# ---------------------------------------------------------------------------------------------
# SMS
# ---------------------------------------------------------------------------------------------


class SmsGateway(Protocol):
    """What an SMS provider adapter implements (Viettel, VNPT, ... each get a small class)."""

    def send(self, *, to: str, text: str, idempotency_key: str) -> None:
        """Return when the provider accepted the message; raise DeliveryError otherwise."""


class HttpSmsGateway:
    """A JSON-over-HTTP gateway: POST {to, text, idempotency_key} with a bearer token.

    This is also what the stand-in gateway (`egov.events.standins.StandInServer`) speaks.
    """

    def __init__(self, url: str, token: str = "", timeout: float | None = None) -> None:
        self.url = url
        self.token = token
        self.timeout = timeout

    def send(self, *, to: str, text: str, idempotency_key: str) -> None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        post_json(
            self.url,
            {"to": to, "text": text, "idempotency_key": idempotency_key},
            idempotency_key=idempotency_key,
            headers=headers,
            timeout=self.timeout,
        )


def get_sms_gateway() -> SmsGateway:
    """The configured gateway: settings.SMS_GATEWAY (a dotted class path taking no arguments)
    or an HttpSmsGateway on settings.SMS_GATEWAY_URL / SMS_GATEWAY_TOKEN."""
    path = getattr(settings, "SMS_GATEWAY", "")
    if path:
        gateway: SmsGateway = import_string(path)()
        return gateway
    url = getattr(settings, "SMS_GATEWAY_URL", "")
    if not url:
        raise DeliveryError("Chưa cấu hình cổng gửi SMS (SMS_GATEWAY_URL).")
    return HttpSmsGateway(url, token=getattr(settings, "SMS_GATEWAY_TOKEN", ""))


@register_deliverer(OutboxMessage.Topic.SMS)
def deliver_sms(message: OutboxMessage) -> None:
    payload = message.payload
    to, text = payload.get("to"), payload.get("text")
    if not to or not text:
        raise PermanentDeliveryError("Tin nhắn thiếu số điện thoại hoặc nội dung.")
    get_sms_gateway().send(to=str(to), text=str(text), idempotency_key=message.idempotency_key)
