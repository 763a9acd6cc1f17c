"""Step-up confirmation: an act with legal weight (signing a result or an official document) is
confirmed by a fresh code from the official's authenticator, not by the session alone.

The session already proved the second factor at login; a stolen or unattended session must still
not be able to sign. The code is single use (allauth marks it used) and wrong codes are throttled
per user like logins (five in a quarter of an hour), so a code cannot be guessed by retrying.
"""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.core.cache import cache

from egov.core.errors import DomainError

from .error_codes import AccountErrorCode

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60


def _failures_key(user: Any) -> str:
    return f"egov.stepup.failures:{user.pk}"


def verify_second_factor(user: Any, code: str) -> None:
    """Raise a DomainError unless `code` is a current, unused TOTP code of `user`."""
    key = _failures_key(user)
    failures = int(cache.get(key, 0))
    if failures >= MAX_FAILURES:
        raise DomainError(
            "Nhập sai mã xác thực quá nhiều lần. Vui lòng thử lại sau 15 phút.",
            code=AccountErrorCode.TOO_MANY_ATTEMPTS,
            fields={"code": "Nhập sai quá nhiều lần."},
        )
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None:
        raise DomainError(
            "Tài khoản chưa cài ứng dụng xác thực nên không thể ký. Vui lòng cài đặt xác thực "
            "hai lớp trước.",
            code=AccountErrorCode.NO_SECOND_FACTOR,
        )
    cleaned = "".join(ch for ch in (code or "") if ch.isdigit())
    if len(cleaned) != 6 or not TOTP(authenticator).validate_code(cleaned):
        cache.set(key, failures + 1, WINDOW_SECONDS)
        raise DomainError(
            "Mã xác thực không đúng hoặc đã được dùng. Nhập mã mới trên ứng dụng xác thực.",
            code=AccountErrorCode.SECOND_FACTOR_INVALID,
            fields={"code": "Mã xác thực không đúng."},
        )
    cache.delete(key)
