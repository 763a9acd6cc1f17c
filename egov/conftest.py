"""Shared pytest fixtures: factories for the organisation and accounts."""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from egov.core.actors import SYSTEM
from egov.org.models import AdministrativeUnit, Agency, Position, Role, Unit


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Each test starts with an empty cache: used TOTP codes and rate-limit counters live there."""
    from django.core.cache import cache

    from egov.workcalendar.services import WorkingCalendar

    cache.clear()
    # Calendars kept in the process may hold rows of a previous test's rolled-back transaction.
    WorkingCalendar.clear_cache()


# Reference data written by data migrations; a transactional test's flush empties these tables,
# so they are put back before any test that uses the database.
# Per table, the migration functions that write it, in migration order.
SEEDED_BY_MIGRATIONS = [
    ("documents.DocumentType", [("egov.documents.migrations.0002_document_types", "forward")]),
    (
        "stats.IndexGroup",
        [
            ("egov.stats.migrations.0002_index_2025_defaults", "seed"),
            ("egov.stats.migrations.0007_index766_formulas", "describe"),
            ("egov.stats.migrations.0009_payment_indicators", "describe"),
        ],
    ),
    (
        "meetings.DecisionRule",
        [
            ("egov.meetings.migrations.0002_decision_rules", "seed"),
            ("egov.meetings.migrations.0007_decision_rule_citation", "cite"),
        ],
    ),
]


@pytest.fixture(autouse=True)
def _reference_data(request: pytest.FixtureRequest) -> None:
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(
        request.fixturenames
    )
    if not uses_db:
        return
    from importlib import import_module

    from django.apps import apps

    request.getfixturevalue("db")  # the marker decides: transactional or not
    for model, steps in SEEDED_BY_MIGRATIONS:
        if not apps.get_model(model).objects.exists():
            for module, function in steps:
                getattr(import_module(module), function)(apps, None)


@pytest.fixture
def province(db: None) -> AdministrativeUnit:
    return AdministrativeUnit.objects.create(
        code="22", name="Tỉnh Quảng Ninh", level=AdministrativeUnit.Level.PROVINCE
    )


@pytest.fixture
def agency(province: AdministrativeUnit) -> Agency:
    return Agency.objects.create(
        identifier="000.00.00.H41",
        name="Ủy ban nhân dân tỉnh Quảng Ninh",
        abbreviation="UBND",
        kind=Agency.Kind.PEOPLES_COMMITTEE,
        admin_unit=province,
    )


@pytest.fixture
def other_agency(province: AdministrativeUnit) -> Agency:
    return Agency.objects.create(
        identifier="000.00.01.H41",
        name="Sở Tư pháp tỉnh Quảng Ninh",
        abbreviation="STP",
        kind=Agency.Kind.DEPARTMENT,
        admin_unit=province,
    )


@pytest.fixture
def one_stop_unit(agency: Agency) -> Unit:
    return Unit.objects.create(
        agency=agency, code="MC", name="Bộ phận Một cửa", kind=Unit.Kind.ONE_STOP_DESK
    )


@pytest.fixture
def make_official(db: None):  # type: ignore[no-untyped-def]
    from egov.accounts.services import create_official

    counter = {"n": 0}

    def make(
        agency: Agency,
        roles: list[str] | None = None,
        unit: Unit | None = None,
        username: str | None = None,
        password: str = "Mat-khau-2026!",
    ):  # type: ignore[no-untyped-def]
        counter["n"] += 1
        position, _ = Position.objects.get_or_create(
            code="chuyen-vien", defaults={"name": "Chuyên viên"}
        )
        return create_official(
            actor=SYSTEM,
            username=username or f"cb{counter['n']}",
            full_name=f"Cán bộ {counter['n']}",
            password=password,
            agency=agency,
            unit=unit,
            position=position,
            roles=roles or [Role.SPECIALIST],
        )

    return make


@pytest.fixture
def make_citizen(db: None):  # type: ignore[no-untyped-def]
    from egov.accounts.services import register_citizen

    counter = {"n": 0}

    def make(personal_id: str | None = None, password: str = "Mat-khau-2026!"):  # type: ignore[no-untyped-def]
        counter["n"] += 1
        return register_citizen(
            personal_id=personal_id or f"0220950{counter['n']:05d}",
            full_name=f"Nguyễn Văn {counter['n']}",
            password=password,
            phone=f"09123{counter['n']:05d}",
        )

    return make


DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def totp_now(secret: str = DEMO_TOTP_SECRET) -> str:
    import pyotp

    return str(pyotp.TOTP(secret).now())


def fresh_totp(secret: str = DEMO_TOTP_SECRET, margin: float = 10.0, steps_ago: int = 0) -> str:
    """A code with at least `margin` seconds of its 30 s window left, so that the window does not
    turn between typing it and the server checking it (`steps_ago`: the code of an earlier
    window)."""
    import time

    import pyotp

    left = 30 - time.time() % 30
    if left < margin:
        time.sleep(left + 0.2)
    return str(pyotp.TOTP(secret).at(time.time() - 30 * steps_ago))


@pytest.fixture
def give_totp():  # type: ignore[no-untyped-def]
    """Give a user a TOTP authenticator with a known secret, as allauth stores it."""
    from allauth.mfa.totp.internal.auth import TOTP

    def give(user, secret: str = DEMO_TOTP_SECRET):  # type: ignore[no-untyped-def]
        return TOTP.activate(user, secret)

    return give


@pytest.fixture
def login_with_mfa(client, give_totp):  # type: ignore[no-untyped-def]
    """Log a user in through the real login form and the TOTP step."""

    def do_login(user, password: str = "Mat-khau-2026!"):  # type: ignore[no-untyped-def]
        from allauth.mfa.models import Authenticator
        from django.core.cache import cache

        cache.clear()  # allauth refuses a TOTP code already used in this 30-second window

        if not Authenticator.objects.filter(user=user, type="totp").exists():
            give_totp(user)
        response = client.post("/accounts/login/", {"login": user.username, "password": password})
        assert response.status_code == 302, response.content[:500]
        assert response["Location"].startswith("/accounts/2fa/authenticate")
        response = client.post(response["Location"], {"code": totp_now()})
        assert response.status_code == 302, response.content[:2000]
        return response

    return do_login


@pytest.fixture
def password_only():  # type: ignore[no-untyped-def]
    """A session of `user` that has NOT passed the second factor (finding 2 of issue #11).

    Without an authenticator, through the real login form: the password alone logs the user in,
    to set up TOTP. With one (`with_totp=True`), a session made without the TOTP step, as the
    administration's own login form once allowed."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP
    from django.test import Client

    def make(user, *, with_totp: bool = False, password: str = "Mat-khau-2026!"):  # type: ignore[no-untyped-def]
        client = Client()
        if with_totp:
            if not Authenticator.objects.filter(user=user, type="totp").exists():
                TOTP.activate(user, DEMO_TOTP_SECRET)
            client.force_login(user)
        else:
            assert not Authenticator.objects.filter(user=user).exists()
            response = client.post(
                "/accounts/login/", {"login": user.username, "password": password}
            )
            assert response.status_code == 302, response.content[:500]
        assert client.session.get("_auth_user_id") == str(user.pk)
        return client

    return make


class Background:
    """An action run in a thread of its own, with its own database connection (lock-order
    tests: the test holds a row lock in its transaction and watches what the action waits for).
    `outcome()` joins it: {"done": True}, or {"error": the exception it raised}."""

    def __init__(self, action: Callable[[], object]) -> None:
        self._outcome: dict[str, Any] = {}
        self._thread = threading.Thread(target=self._run, args=(action,))
        self._thread.start()

    def _run(self, action: Callable[[], object]) -> None:
        from django.db import connections

        try:
            action()
            self._outcome["done"] = True
        except Exception as exc:  # reported by the test's assertion on outcome()
            self._outcome["error"] = exc
        finally:
            connections.close_all()

    def outcome(self, timeout: float = 15.0) -> dict[str, Any]:
        self._thread.join(timeout)
        return self._outcome


def someone_waits_on_a_lock(timeout: float = 10.0) -> bool:
    """Whether another backend of this database comes to wait on a lock within `timeout`
    (PostgreSQL; callable inside the caller's transaction)."""
    from django.db import connection

    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # a fresh view in a transaction
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.05)
    return False


def login_client(user, *, with_mfa: bool = True, client=None):  # type: ignore[no-untyped-def]
    """`client` (a new one by default) logged in as `user`; with `with_mfa`, with the session
    allauth leaves after the TOTP step too (a TOTP authenticator is created if the user has
    none), which is what the second-factor middleware trusts."""
    import time

    from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.test import Client

    client = client or Client()
    client.force_login(user)
    if not with_mfa:
        return client
    authenticator = (
        Authenticator.objects.filter(user=user, type="totp").first()
        or TOTP.activate(user, generate_totp_secret()).instance
    )
    now = time.time()
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": now, "username": user.username},
        {"method": "mfa", "at": now, "id": authenticator.pk, "type": "totp"},
    ]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()
    return client


@pytest.fixture
def mfa_session():  # type: ignore[no-untyped-def]
    """A new client of `user` whose session passed the second factor, as allauth records it."""
    return login_client


def assert_mfa_refused(response) -> None:  # type: ignore[no-untyped-def]
    """The API's answer to a session that did not pass the second factor: no rights at all."""
    assert response.status_code in (401, 403), (response.status_code, response.content[:300])
    assert response.json()["code"] in ("mfa_required", "not_authenticated"), response.json()


def _allow_event_purge_when_flushing() -> None:
    """Resetting a test database is the deliberate purge the event-log triggers allow: Django
    flushes tables after transactional tests, so flushing switches the purge on for that
    statement batch only (the application never flushes)."""
    from django.db.backends.base.operations import BaseDatabaseOperations

    from egov.events.dbguard import purge_allowed

    original = BaseDatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):  # type: ignore[no-untyped-def]
        with purge_allowed(self.connection):
            return original(self, sql_list)

    BaseDatabaseOperations.execute_sql_flush = execute_sql_flush  # type: ignore[method-assign]


_allow_event_purge_when_flushing()


# --- browser (Playwright driving the system Chromium; never a downloaded browser) ---

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run scripts/setup --test")
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the test
    # itself (fixtures, assertions) are still plain synchronous code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import expect, sync_playwright

    # The assertions wait as long as the actions do: a loaded CI machine renders slowly, and
    # a check made before the next page has arrived is a false failure.
    expect.set_options(timeout=15000)
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, live_server):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    context.set_default_timeout(15000)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.base_url = live_server.url  # type: ignore[attr-defined]
    # A test that opens an error page on purpose (404, 403) takes Chromium's "Failed to load
    # resource" message for that page off this list.
    pg.console_errors = errors  # type: ignore[attr-defined]
    yield pg
    context.close()
    # A Content-Security-Policy violation or a script error is a bug the user would meet.
    assert not errors, errors


# --- what a person notices on any page: accessibility (axe-core), English left in Vietnamese ---

AXE_SOURCE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
AXE_BLOCKING = ("serious", "critical")


def assert_accessible(page, *, exclude: tuple[str, ...] = ()) -> None:  # type: ignore[no-untyped-def]
    """axe-core (npm, in the lock file) on the page as shown: no serious or critical violation.

    The script is evaluated through the DevTools protocol, which the page's Content-Security-Policy
    does not govern, so the page under test keeps its real policy."""
    if not AXE_SOURCE.exists():
        pytest.fail("axe-core missing: run scripts/setup --test (npm ci)")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE.read_text(encoding="utf-8"))
    context = {"exclude": [[sel] for sel in exclude]} if exclude else None
    result = page.evaluate(
        "async (ctx) => { const r = await axe.run(ctx || document, {resultTypes: ['violations']});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}));"
        " }",
        context,
    )
    blocking = [v for v in result if v["impact"] in AXE_BLOCKING]
    assert not blocking, f"axe violations on {page.url}: {blocking}"


# Vietnamese is written in syllables: an optional initial (one of these), a vowel nucleus and an
# optional final among c, ch, m, n, ng, nh, p, t. A word of the page that cannot be read as such a
# syllable (after removing diacritics) is a foreign word: "Please", "Error", "Choose", "receiver".
_VI_SYLLABLE = re.compile(
    r"^(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnpqrstvx])?[aeiouy]{1,3}(ng|nh|ch|c|m|n|p|t)?$"
)
# Words the interface may keep as they are: formats, products, units and standard names.
_ALLOWED_TEXT = """pdf xlsx xls docx doc odt csv xml json zip png jpg jpeg ics edxml email e-mail
    online website web internet wifi app sms otp qr vietqr totp pades pki ca pfx bkav
    google microsoft authenticator
    libreoffice excel word echarts chromium firefox api id url http https
    km kg byte mb kb gb ok"""
FOREIGN_WORDS_ALLOWED = frozenset(_ALLOWED_TEXT.split())
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*", re.UNICODE)


def foreign_words(text: str) -> list[str]:
    import unicodedata

    found: list[str] = []
    for word in _WORD.findall(text):
        if len(word) == 1:
            continue  # a letter of a code or a list (H41, "mẫu A"): no word of any language
        if len(word) > 1 and any(c.isupper() for c in word[1:]):
            continue  # an acronym or a code (UBND, CCCD, VNeID, edXML)
        folded = unicodedata.normalize("NFD", word.lower().replace("đ", "d"))
        folded = "".join(c for c in folded if not unicodedata.combining(c))
        if folded in FOREIGN_WORDS_ALLOWED or any(
            p in FOREIGN_WORDS_ALLOWED for p in folded.split("-")
        ):
            continue
        if not all(_VI_SYLLABLE.match(part) for part in folded.split("-")):
            found.append(word)
    return found


def assert_vietnamese(page, *, allow: tuple[str, ...] = ()) -> None:  # type: ignore[no-untyped-def]
    """No English (or other foreign) words in the visible text of a Vietnamese page.

    People's names, codes and user-typed values the test itself put there can be allowed by the
    caller (`allow`); form values, code samples, hidden text and text marked as another language
    (`lang="en"`: the language menu's "English") are not read."""
    text = page.evaluate(
        """() => {
          const skip = 'script,style,code,pre,textarea,[data-lang-skip],[lang]:not([lang|="vi"])';
          const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
          const parts = [];
          for (let n = walker.nextNode(); n; n = walker.nextNode()) {
            const el = n.parentElement;
            if (!el || el.closest(skip) || !el.checkVisibility()) continue;
            parts.push(n.nodeValue);
          }
          document.querySelectorAll('[title],[placeholder],[aria-label],img[alt]').forEach(el => {
            if (el.closest(skip)) return;
            for (const a of ['title', 'placeholder', 'aria-label', 'alt'])
              if (el.getAttribute(a)) parts.push(el.getAttribute(a));
          });
          return parts.join(' ');
        }"""
    )
    allowed = {a.lower() for a in allow}
    leaks = [w for w in foreign_words(text) if w.lower() not in allowed]
    assert not leaks, f"foreign words on {page.url}: {sorted(set(leaks))}"


def check_page(page, *, allow: tuple[str, ...] = (), exclude: tuple[str, ...] = ()) -> None:  # type: ignore[no-untyped-def]
    """What every browser test asserts of a page it lands on: accessible and in Vietnamese."""
    # A click on a link returns once the next page has started loading; read it when it is whole.
    page.wait_for_load_state()
    assert_vietnamese(page, allow=allow)
    assert_accessible(page, exclude=exclude)
