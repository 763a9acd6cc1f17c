"""Failed logins are throttled, never a long lockout anyone can trigger (OWASP ASVS 2.2.1).

A hard "5 failures lock the account for 15 minutes" lets anyone shut an official out by typing
their login (`stp.giamdoc`) with wrong passwords. Instead (AccountAdapter.pre_authenticate):

- per address and account: allauth's `login_failed` rate with the (address, account) pair as its
  key (`5/15m/key`): one address that keeps failing on one account is refused for that account;
  the owner, from their own address, is not;
- per address across accounts: allauth's `login_failed` per-address rate (`20/m/ip`);
- per account from every address (here): after LOGIN_ACCOUNT_FREE_FAILURES failures within
  LOGIN_ACCOUNT_WINDOW_SECONDS, each further attempt waits a delay doubling from
  LOGIN_BACKOFF_BASE_SECONDS to at most LOGIN_BACKOFF_MAX_SECONDS after the last failure: a guess
  spread over many addresses gets at most about one try a minute, and the owner waits at most
  that minute.

A successful password check clears the account's failures (only the owner's password does that).

The account-wide backoff alone would let a few addresses that fire one wrong password the moment
each wait ends keep the owner waiting for ever. So a browser that has completed a login to the
account (password and, for officials, TOTP) keeps a signed device cookie for it (OWASP's "device
cookies"); attempts carrying it skip the account-wide backoff, and still count against the
address limits.
Addresses come from egov.core.clientip, so behind the proxy each client is counted on its own.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest, HttpResponseBase

LOCK_SECONDS = 5
LOCK_WAIT_SECONDS = 1.0
# Far more than a window can hold at the capped delay; bounds the cached list.
MAX_REMEMBERED = 200


def login_of(credentials: Mapping[str, Any]) -> str:
    """The account a login attempt names, as allauth keys it (case-insensitive)."""
    return str(credentials.get("username") or credentials.get("email") or "").strip().lower()


def pair_key(ip: str, login: str) -> str:
    """allauth's per-key limit counts failures of this account from this address only."""
    return f"{ip}|{login}"


def _account_key(login: str) -> str:
    return "egov:login-failures:" + hashlib.sha256(login.encode()).hexdigest()


@contextmanager
def _locked(key: str) -> Iterator[None]:
    """Serialises read-modify-write of one account's failures across workers; if the lock cannot
    be had in time the update goes ahead (a lost count only makes the throttle milder)."""
    lock = f"{key}:lock"
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    acquired = cache.add(lock, 1, timeout=LOCK_SECONDS)
    while not acquired and time.monotonic() < deadline:
        time.sleep(0.02)
        acquired = cache.add(lock, 1, timeout=LOCK_SECONDS)
    try:
        yield
    finally:
        if acquired:
            cache.delete(lock)


def _recent(login: str, now: float) -> list[float]:
    window = settings.LOGIN_ACCOUNT_WINDOW_SECONDS
    history = cache.get(_account_key(login)) or []
    return [t for t in history if t > now - window]


def backoff_seconds(failures: int) -> int:
    """The wait after the `failures`-th failure within the window (0 while under the free ones)."""
    free = settings.LOGIN_ACCOUNT_FREE_FAILURES
    if failures < free:
        return 0
    delay = settings.LOGIN_BACKOFF_BASE_SECONDS * 2 ** min(failures - free, 30)
    return int(min(delay, settings.LOGIN_BACKOFF_MAX_SECONDS))


def account_wait_seconds(login: str) -> int:
    """Seconds before this account may be tried again from anywhere (0: now)."""
    if not login:
        return 0
    now = time.time()
    history = _recent(login, now)
    if not history:
        return 0
    wait = max(history) + backoff_seconds(len(history)) - now
    return math.ceil(wait) if wait > 0 else 0


def record_failure(login: str) -> None:
    if not login:
        return
    key = _account_key(login)
    with _locked(key):
        now = time.time()
        history = [*_recent(login, now), now][-MAX_REMEMBERED:]
        cache.set(key, history, timeout=settings.LOGIN_ACCOUNT_WINDOW_SECONDS)


def clear_failures(login: str) -> None:
    if login:
        cache.delete(_account_key(login))


def pair_window_seconds() -> int:
    """The longest window of allauth's `login_failed` rates: the most a refused address waits."""
    longest = 60
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    for rate in str(settings.ACCOUNT_RATE_LIMITS.get("login_failed") or "").split(","):
        parts = rate.strip().split("/")
        if len(parts) < 2 or not parts[1] or parts[1][-1] not in units:
            continue
        amount = parts[1][:-1] or "1"
        try:
            longest = max(longest, int(float(amount) * units[parts[1][-1]]))
        except ValueError:
            continue
    return longest


def wait_text(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} giây"
    return f"{math.ceil(seconds / 60)} phút"


def account_refusal(seconds: int) -> str:
    return (
        "Tài khoản này vừa bị nhập sai mật khẩu nhiều lần. "
        f"Vui lòng thử lại sau {wait_text(seconds)}."
    )


def address_refusal() -> str:
    return (
        "Đăng nhập sai quá nhiều lần. "
        f"Vui lòng thử lại sau tối đa {wait_text(pair_window_seconds())}."
    )


DEVICE_COOKIE = "egov_device"
DEVICE_COOKIE_SALT = "egov.accounts.lockout.device"
DEVICE_COOKIE_MAX_AGE = 180 * 24 * 3600


def remember_device(response: HttpResponseBase, login: str) -> None:
    """After a completed login: this browser is the account's, for the backoff's purpose."""
    value = signing.dumps(login.strip().lower(), salt=DEVICE_COOKIE_SALT, compress=True)
    response.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=DEVICE_COOKIE_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def known_device(request: HttpRequest, login: str) -> bool:
    """The browser completed a login to this account before (a valid, unexpired cookie)."""
    raw = request.COOKIES.get(DEVICE_COOKIE)
    if not raw or not login:
        return False
    try:
        value = signing.loads(raw, salt=DEVICE_COOKIE_SALT, max_age=DEVICE_COOKIE_MAX_AGE)
    except signing.BadSignature:
        return False
    return value == login
