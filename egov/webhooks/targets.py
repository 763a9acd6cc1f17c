"""Which target URLs a subscription may name (server-side request forgery).

- https only; plain http only to the loopback host when WEBHOOK_ALLOW_LOCALHOST (dev, tests);
- no user:password@ in the URL, no fragment, bounded length;
- the host must not be (nor resolve to) a loopback, private, link-local (cloud metadata),
  shared, multicast, reserved or unspecified address, unless WEBHOOK_ALLOW_PRIVATE_TARGETS
  (loopback also when WEBHOOK_ALLOW_LOCALHOST).

Checked when a subscription is written and again before every delivery (a name may be made to
resolve elsewhere later). Redirects are never followed (egov.webhooks.delivery).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

from .models import MAX_URL_LENGTH

LOCAL_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


class TargetRefused(ValueError):
    pass


def _allow_localhost() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_LOCALHOST", False))


def _allow_private() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_PRIVATE_TARGETS", False))


def _address_refused(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return "" if (_allow_localhost() or _allow_private()) else "loopback"
    if _allow_private():
        return ""
    if (
        address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    ):
        return "private"
    return ""


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    return [str(info[4][0]) for info in infos]


def check_target(url: str, *, resolve: bool = True) -> None:
    """Raise TargetRefused (Vietnamese message) when `url` may not receive webhooks."""
    if not url or len(url) > MAX_URL_LENGTH:
        raise TargetRefused(f"Địa chỉ nhận phải có từ 1 đến {MAX_URL_LENGTH} ký tự.")
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise TargetRefused("Địa chỉ nhận không được chứa khoảng trắng hay ký tự điều khiển.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused("Địa chỉ nhận không hợp lệ.") from exc
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise TargetRefused("Địa chỉ nhận thiếu tên máy.")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("Địa chỉ nhận không được chứa tên đăng nhập hay mật khẩu.")
    if parts.fragment:
        raise TargetRefused("Địa chỉ nhận không được có phần '#'.")
    scheme = parts.scheme.lower()
    local = host in LOCAL_NAMES
    if scheme == "http":
        if not (local and _allow_localhost()):
            raise TargetRefused("Địa chỉ nhận phải dùng https.")
    elif scheme != "https":
        raise TargetRefused("Địa chỉ nhận phải dùng https.")
    if local and not (_allow_localhost() or _allow_private()):
        raise TargetRefused("Không được gửi sự kiện về máy chủ nội bộ (localhost).")
    try:
        literal: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    addresses: list[str] = [str(literal)] if literal is not None else []
    if literal is None and resolve and not local:
        addresses = _resolve(host, port or (443 if scheme == "https" else 80))
    for text in addresses:
        try:
            address = ipaddress.ip_address(text.split("%", 1)[0])
        except ValueError:
            continue
        problem = _address_refused(address)
        if problem:
            raise TargetRefused(
                "Không được gửi sự kiện tới địa chỉ mạng nội bộ, loopback hay địa chỉ dành riêng "
                f"({host} → {address})."
            )
