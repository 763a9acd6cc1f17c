"""Issue #11, finding 12: five wrong passwords locked any account for 15 minutes, so anyone could
shut an official out by typing their login (`stp.giamdoc`). Failed logins are now throttled per
(address, account), per address, and per account with a short backoff (OWASP ASVS 2.2.1;
egov/accounts/lockout.py), so the attacker is stopped and the owner is not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from egov.accounts import lockout
from egov.conftest import totp_now
from egov.org.models import Role

pytestmark = pytest.mark.django_db
PASSWORD = "Mat-khau-2026!"
ATTACKER = "192.0.2.66"
OWNER = "198.51.100.7"
START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@pytest.fixture
def director(agency, make_official, give_totp):  # type: ignore[no-untyped-def]
    user = make_official(agency, roles=[Role.LEADER], username="stp.giamdoc").user
    give_totp(user)
    return user


def attempt(client: Client, login: str, password: str) -> str:
    response = client.post("/accounts/login/", {"login": login, "password": password})
    return response.content.decode() if response.status_code != 302 else response["Location"]


def logs_in_with_totp(client: Client, user) -> bool:  # type: ignore[no-untyped-def]
    location = attempt(client, user.username, PASSWORD)
    if not location.startswith("/accounts/2fa/authenticate"):
        return False
    response = client.post(location, {"code": totp_now()})
    return response.status_code == 302 and client.session.get("_auth_user_id") == str(user.pk)


def test_an_attacker_cannot_lock_the_official_out(director):
    with time_machine.travel(START, tick=False) as clock:
        attacker = Client(REMOTE_ADDR=ATTACKER)
        for _ in range(20):
            attempt(attacker, "stp.giamdoc", "doan-mo-123")
        # The official, from their own address, logs in at once (password + TOTP).
        assert logs_in_with_totp(Client(REMOTE_ADDR=OWNER), director)
        # The attacker is refused, even with the right password, and told how long to wait.
        page = attempt(attacker, "stp.giamdoc", PASSWORD)
        assert "Vui lòng thử lại sau tối đa 15 phút" in page
        assert "_auth_user_id" not in attacker.session
        # After the window the attacker's attempts are counted again (and checked normally).
        clock.shift(timedelta(minutes=15, seconds=1))
        page = attempt(attacker, "stp.giamdoc", "doan-mo-456")
        assert "thử lại sau" not in page
        assert "không đúng" in page.lower() or "incorrect" in page.lower()


def test_guesses_from_many_addresses_slow_the_account_down_but_only_briefly(director):
    with time_machine.travel(START, tick=False) as clock:
        for i in range(10):
            attempt(Client(REMOTE_ADDR=f"203.0.113.{i + 1}"), "stp.giamdoc", "doan-mo")
        # Ten failures: the next attempt waits 2 seconds, whoever makes it.
        owner = Client(REMOTE_ADDR=OWNER)
        page = attempt(owner, "stp.giamdoc", PASSWORD)
        assert "Vui lòng thử lại sau 2 giây" in page
        assert "_auth_user_id" not in owner.session
        clock.shift(timedelta(seconds=2))
        assert logs_in_with_totp(owner, director)


def test_the_backoff_doubles_and_is_capped_at_a_minute(director):
    with time_machine.travel(START, tick=False) as clock:
        waits = []
        for i in range(16):
            attacker = Client(REMOTE_ADDR=f"203.0.113.{i + 1}")
            page = attempt(attacker, "stp.giamdoc", "doan-mo")
            assert "thử lại sau" not in page  # each made after the previous wait
            waits.append(lockout.account_wait_seconds("stp.giamdoc"))
            clock.shift(timedelta(seconds=waits[-1]))
        assert waits == [0] * 9 + [2, 4, 8, 16, 32, 60, 60]
        # Guesses spread over many addresses: at most about one a minute, far under ASVS's 100
        # an hour; and no wait longer than a minute for the owner.
        owner = Client(REMOTE_ADDR=OWNER)
        attempt(Client(REMOTE_ADDR="203.0.113.99"), "stp.giamdoc", "doan-mo")
        clock.shift(timedelta(seconds=60))
        assert logs_in_with_totp(owner, director)
        # The right password clears the account's failures.
        assert lockout.account_wait_seconds("stp.giamdoc") == 0


def test_a_few_addresses_timing_guesses_cannot_keep_the_owner_out(director):
    # Three addresses (5 tries each per 15 minutes) fire a wrong password the moment each wait
    # ends: the account is always waiting, so the backoff alone would refuse the owner for ever.
    with time_machine.travel(START, tick=False) as clock:
        owner = Client(REMOTE_ADDR=OWNER)
        assert logs_in_with_totp(owner, director)  # the owner's browser, some day before
        owner.post("/accounts/logout/")
        clock.shift(timedelta(days=1))
        for i in range(15):
            clock.shift(timedelta(seconds=lockout.account_wait_seconds("stp.giamdoc")))
            page = attempt(Client(REMOTE_ADDR=f"203.0.113.{i % 3 + 1}"), "stp.giamdoc", "doan-mo")
            assert "thử lại sau" not in page
        assert lockout.account_wait_seconds("stp.giamdoc") > 0
        # A stranger's browser waits; the owner's logs in at once.
        assert "thử lại sau" in attempt(Client(REMOTE_ADDR=OWNER), "stp.giamdoc", PASSWORD)
        assert logs_in_with_totp(owner, director)
        # The cookie is bound to the account: it does not lift another account's wait.
        for i in range(12):
            attempt(Client(REMOTE_ADDR=f"203.0.113.{i + 10}"), "stp.truongphong", "doan-mo")
        browser = Client(REMOTE_ADDR=OWNER)
        browser.cookies[lockout.DEVICE_COOKIE] = owner.cookies[lockout.DEVICE_COOKIE].value
        assert "thử lại sau" in attempt(browser, "stp.truongphong", "doan-mo")
        # A forged cookie counts for nothing.
        forged = Client(REMOTE_ADDR=OWNER)
        forged.cookies[lockout.DEVICE_COOKIE] = "stp.giamdoc"
        for i in range(12):  # the owner's login above cleared the failures
            attempt(Client(REMOTE_ADDR=f"203.0.113.{i + 50}"), "stp.giamdoc", "doan-mo")
        assert lockout.account_wait_seconds("stp.giamdoc") > 0
        assert "thử lại sau" in attempt(forged, "stp.giamdoc", PASSWORD)


def test_one_address_guessing_many_accounts_is_stopped(make_citizen):
    with time_machine.travel(START, tick=False):
        attacker = Client(REMOTE_ADDR=ATTACKER)
        for i in range(20):
            attempt(attacker, f"0221950{i:05d}", "doan-mo")
        citizen = make_citizen()
        page = attempt(attacker, citizen.username, PASSWORD)
        assert "Vui lòng thử lại sau" in page
        assert "_auth_user_id" not in attacker.session
        other = Client(REMOTE_ADDR=OWNER)
        assert attempt(other, citizen.username, PASSWORD) != ""
        assert other.session.get("_auth_user_id") == str(citizen.pk)
