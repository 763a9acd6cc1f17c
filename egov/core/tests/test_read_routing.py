"""Read routing against a real primary and streaming replica (issue #19).

The application runs in its own gunicorn processes with DATABASE_URL on the primary and
DATABASE_REPLICA_URL on the replica (egov.core.pgpair), so every request goes through the router
and the middleware as in production. With the replica's replay paused (pg_wal_replay_pause()):

- a client that wrote reads its write (sticky to the primary: a signed cookie for browsers, a
  cache key for API tokens); a client that did not write is served the replica's older data,
  unless the lag bound sends it to the primary (both bounds tested);
- reads inside an atomic block, and of the models that say who the client is, use the primary.

With the replica stopped, pages answer 200 from the primary (a failure in the middle of a page is
retried there) and writes work; restarted, reads go back to it.

The pair lives in var/pgpair-routing-test and stays between runs (stopped at the end); the
migrated, seeded database is a template rebuilt only when a migration changes, so a run after
the first one takes seconds rather than a migration.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings

from egov.core import pgpair

ROOT = Path(settings.BASE_DIR)
BASE = Path(settings.VAR_DIR) / "pgpair-routing-test"
PG_PORT = int(os.environ.get("EGOV_ROUTING_TEST_PG_PORT", "55600"))
WEB_PORT = int(os.environ.get("EGOV_ROUTING_TEST_WEB_PORT", "8200"))
DB = "rt_app"
HEADER = "X-Egov-Read"


def _fingerprint() -> str:
    digest = hashlib.sha256()
    files = [
        *sorted(ROOT.glob("egov/*/migrations/*.py")),
        ROOT / "egov" / "core" / "tests" / "routing_app.py",
        *sorted((ROOT / "egov" / "catalog" / "data").glob("*.json")),
    ]
    for path in files:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "DB_REPLICA_"))}
    env.update(DJANGO_SETTINGS_MODULE="egov.core.tests.routing_settings", **extra)
    return env


def _run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@dataclass
class Site:
    pair: pgpair.PgPair
    code: str
    name: str
    token: str
    # Lag bound 1 h, probed once while up: a replica dying under a page meets the retry.
    lagging_ok: str
    strict: str  # lag bound 0, probed every 0.1 s: any lag reads the primary

    def primary_sql(self, sql: str) -> Any:
        with self.pair.primary.connect(DB) as conn:
            return conn.execute(sql).fetchall()


def _template(pair: pgpair.PgPair) -> tuple[str, dict[str, str]]:
    """A migrated, seeded database to copy: built once per state of the migrations."""
    name = f"rt_tpl_{_fingerprint()}"
    seed_file = BASE / f"{name}.json"
    with pair.primary.connect() as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and seed_file.exists():
            return name, json.loads(seed_file.read_text())
        for (old,) in conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'rt_tpl_%'"
        ).fetchall():
            conn.execute(f'DROP DATABASE "{old}" WITH (FORCE)')
            (BASE / f"{old}.json").unlink(missing_ok=True)
        conn.execute(f'CREATE DATABASE "{name}"')
    env = _env(DATABASE_URL=pair.primary.url(name))
    _run(["manage.py", "migrate", "-v0"], env)
    out = _run(
        [
            "-c",
            "import django; django.setup(); from egov.core.tests.routing_app import seed; seed()",
        ],
        env,
    )
    seed = json.loads(out.strip().splitlines()[-1])
    seed_file.write_text(json.dumps(seed))
    return name, seed


def _serve(port: int, log: Path, **extra: str) -> subprocess.Popen[bytes]:
    env = _env(**extra)
    with log.open("wb") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "egov.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--threads",
                "2",
                "--timeout",
                "60",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _wait_up(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 300  # a busy machine: Django starts slowly
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited: {log.read_text()[-3000:]}")
        try:
            if requests.get(f"{url}/healthz", timeout=20).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer: {log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def site() -> Iterator[Site]:
    if not pgpair.available():
        pytest.skip("PostgreSQL server binaries (initdb, pg_basebackup) are not installed")
    pair = pgpair.PgPair(BASE, PG_PORT, PG_PORT + 1)
    pair.create(fsync=False)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        pair.resume_replay()  # a run cut short may have left it paused
        template, seed = _template(pair)
        with pair.primary.connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{DB}" TEMPLATE "{template}"')
        pair.wait_caught_up()
        common = {
            "DATABASE_URL": pair.primary.url(DB),
            "DATABASE_REPLICA_URL": pair.replica.url(DB),
            "DB_REPLICA_STICKY_SECONDS": "3",
            "DB_REPLICA_RETRY_SECONDS": "0.2",
            "DB_REPLICA_CONNECT_TIMEOUT": "2",
            # The router itself is under test: the anonymous page cache (built on the primary
            # after every catalogue change, egov.core.pagecache) would answer without reading
            # either database. tests/test_public_cache.py covers the cache with the router.
            "PAGE_CACHE_SECONDS": "0",
        }
        kinds = {
            "lagging_ok": {
                "DB_REPLICA_MAX_LAG_SECONDS": "3600",
                "DB_REPLICA_CHECK_SECONDS": "3600",
            },
            "strict": {"DB_REPLICA_MAX_LAG_SECONDS": "0", "DB_REPLICA_CHECK_SECONDS": "0.1"},
        }
        urls = {}
        started = []
        for i, (kind, env) in enumerate(kinds.items()):
            log = BASE / f"web-{kind}.log"
            procs.append(_serve(WEB_PORT + i, log, **common, **env))
            urls[kind] = f"http://127.0.0.1:{WEB_PORT + i}"
            started.append((urls[kind], procs[-1], log))
        for url, proc, log in started:
            _wait_up(url, proc, log)
        yield Site(pair=pair, code=seed["code"], name=seed["name"], token=seed["token"], **urls)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        pair.stop()


def _page(site: Site) -> str:
    return f"/thu-tuc/{site.code}/"


def _api(site: Site) -> str:
    return f"/api/v1/catalog/procedures/{site.code}/"


def _until(check: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_marked_views_read_the_replica_and_say_so(site: Site) -> None:
    for url in (site.lagging_ok, site.strict):
        page = requests.get(url + _page(site), timeout=10)
        assert page.status_code == 200
        assert page.headers[HEADER] == "replica"
        assert site.name in page.text
    api = requests.get(site.lagging_ok + _api(site), timeout=10)
    assert api.status_code == 200 and api.headers[HEADER] == "replica"
    assert api.json()["name"] == site.name
    for path in ("/thu-tuc/", "/cong-khai/", "/api/v1/stats/public/on-time/", "/"):
        response = requests.get(site.lagging_ok + path, timeout=10)
        assert response.status_code == 200, path
        assert response.headers[HEADER] == "replica", path
    # Unmarked views are not routed (and carry no header); the header holds one word.
    lookup = requests.get(site.lagging_ok + "/tra-cuu/", timeout=10)
    assert lookup.status_code == 200 and HEADER not in lookup.headers


def test_read_your_writes_while_the_replica_lags(site: Site) -> None:
    token = {"Authorization": f"Bearer {site.token}"}
    old = requests.get(site.lagging_ok + _api(site), timeout=10).json()["name"]
    site.pair.pause_replay()
    try:
        # A browser session writes (the catalogue's own service renames the procedure)...
        browser = requests.Session()
        new = f"{old} (đổi tên lúc {time.time():.0f})"
        wrote_at = time.monotonic()
        done = browser.post(
            f"{site.lagging_ok}/_routing-test/{site.code}/rename/", data={"name": new}, timeout=10
        )
        assert done.status_code == 200
        assert "egov_wrote" in browser.cookies
        # ... and reads its write, from the primary, although the replica lags.
        mine = browser.get(site.lagging_ok + _page(site), timeout=10)
        assert mine.headers[HEADER] == "primary" and new in mine.text
        # Another visitor is served the replica's older page (lag within the 1 h bound) ...
        theirs = requests.get(site.lagging_ok + _page(site), timeout=10)
        assert theirs.headers[HEADER] == "replica"
        assert old in theirs.text and new not in theirs.text
        # ... or the primary's, where the bound is 0 s.
        # (Once the standby has received the write — until then it cannot know it is behind, and
        # asynchronous streaming takes a few milliseconds the faster pages no longer leave — and
        # the strict server has probed since: a probe just before the receipt saw a caught-up
        # replica, and its answer stands for the 0.1 s check interval.)
        site.pair.wait_received()
        time.sleep(0.25)
        strict = requests.get(site.strict + _page(site), timeout=10)
        assert strict.headers[HEADER] == "primary" and new in strict.text

        # An API client keeps no cookie: its token marks it after a write.
        newer = f"{old} (API {time.time():.0f})"
        done = requests.post(
            f"{site.lagging_ok}/_routing-test/{site.code}/rename/",
            data={"name": newer},
            headers=token,
            timeout=10,
        )
        assert done.status_code == 200
        mine_api = requests.get(site.lagging_ok + _api(site), headers=token, timeout=10)
        assert mine_api.headers[HEADER] == "primary"
        assert mine_api.json()["name"] == newer
        anyone = requests.get(site.lagging_ok + _api(site), timeout=10)
        assert anyone.headers[HEADER] == "replica" and anyone.json()["name"] == old

        # The router itself: an atomic block, use_primary() and the models that say who the
        # client is read the primary even inside replica_reads().
        script = (
            "import django, json; django.setup()\n"
            "from django.db import router, transaction\n"
            "from egov.accounts.models import ApiClient, User\n"
            "from egov.catalog.models import Procedure\n"
            "from egov.core.dbrouting import replica_reads, use_primary\n"
            f"code = {site.code!r}\n"
            "name = lambda: Procedure.objects.get(code=code).name\n"
            "with replica_reads():\n"
            "    out = {'replica': name(), 'dbs': [router.db_for_read(m)"
            " for m in (Procedure, User, ApiClient)]}\n"
            "    with transaction.atomic():\n"
            "        out['atomic'] = name()\n"
            "    with use_primary():\n"
            "        out['forced'] = name()\n"
            "out['outside'] = name()\n"
            "print(json.dumps(out))\n"
        )
        env = _env(
            DATABASE_URL=site.pair.primary.url(DB),
            DATABASE_REPLICA_URL=site.pair.replica.url(DB),
            DB_REPLICA_MAX_LAG_SECONDS="3600",
        )
        seen = json.loads(_run(["-c", script], env).strip().splitlines()[-1])
        assert seen == {
            "replica": old,
            "dbs": ["replica", "default", "default"],
            "atomic": newer,
            "forced": newer,
            "outside": newer,
        }
    finally:
        site.pair.resume_replay()
    site.pair.wait_caught_up()
    # Caught up: everyone reads the replica again, and it has the writes; the browser's few
    # sticky seconds (DB_REPLICA_STICKY_SECONDS=3 here) run out.
    time.sleep(max(0.0, wrote_at + 3.2 - time.monotonic()))
    for client in (browser, requests.Session()):
        page = client.get(site.lagging_ok + _page(site), timeout=10)
        assert page.headers[HEADER] == "replica" and newer in page.text
    strict = requests.get(site.strict + _page(site), timeout=10)
    assert strict.headers[HEADER] == "replica" and newer in strict.text


def test_replica_down_reads_the_primary_writes_work_and_it_comes_back(site: Site) -> None:
    token = {"Authorization": f"Bearer {site.token}"}
    # This server probed the replica once (up) and will not look again while it stays up.
    assert requests.get(site.lagging_ok + _page(site), timeout=10).headers[HEADER] == "replica"
    site.pair.replica.stop()
    try:
        # A replica dying under a page: the page is retried on the primary.
        page = requests.get(site.lagging_ok + _page(site), timeout=10)
        assert page.status_code == 200 and page.headers[HEADER] == "primary"
        for url in (site.lagging_ok, site.strict):
            for path in (_page(site), _api(site), "/thu-tuc/", "/cong-khai/"):
                response = requests.get(url + path, timeout=10)
                assert response.status_code == 200, (url, path, response.text[-500:])
                assert response.headers[HEADER] == "primary"
        # Writes never need the replica: a service's write, a token's use.
        renamed = f"Khi bản sao dừng {time.time():.0f}"
        done = requests.post(
            f"{site.lagging_ok}/_routing-test/{site.code}/rename/",
            data={"name": renamed},
            timeout=10,
        )
        assert done.status_code == 200
        api = requests.get(site.lagging_ok + _api(site), headers=token, timeout=10)
        assert api.status_code == 200 and api.json()["name"] == renamed
        assert site.primary_sql(
            f"SELECT name FROM catalog_procedure WHERE code = '{site.code}'"
        ) == [(renamed,)]
    finally:
        site.pair.replica.start()

    def back(url: str) -> bool:
        response = requests.get(url + _page(site), timeout=10)
        return response.headers[HEADER] == "replica" and renamed in response.text

    for url in (site.lagging_ok, site.strict):
        _until(lambda url=url: back(url))  # type: ignore[misc]


def test_header_and_cookie_hold_nothing_sensitive(site: Site) -> None:
    """The header is one word; the sticky cookie holds no identity, only a signed time."""
    session = requests.Session()
    session.post(f"{site.lagging_ok}/_routing-test/{site.code}/rename/", data={"name": site.name})
    value = session.cookies["egov_wrote"] or ""
    assert value.split(":")[0] == "1"  # "1", the signing time, the signature: nothing else
    cookie = next(c for c in session.cookies if c.name == "egov_wrote")
    assert cookie.has_nonstandard_attr("HttpOnly")
    read = session.get(site.lagging_ok + _page(site), timeout=10).headers[HEADER]
    assert read in {"replica", "primary"}
