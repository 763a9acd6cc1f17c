"""The local cluster's acceptance check (`make cluster-test`, issue #19).

Against the running cluster (egov/core/cluster.py), through HAProxy: online submissions (each
as a different citizen, egov.bench.loadgen) and whole dossier lifecycles at the desk
(egov.bench.lifecycle_load) run while, in turn,

1. one web instance is killed with kill -9 (its whole process group, as a crashed machine) and
   started again;
2. the replica is stopped and started again;
3. one Huey consumer (the one with the scheduler) is killed with kill -9 and started again;

and a poller asks for the dashboard page all along. Then it checks, on the primary:

- every acknowledged submission (2xx with its code) is there exactly once;
- every outbox message made during the run was delivered, and the stand-ins received them
  (SMS keys, webhook event ids, e-mail files, the national portal's records);
- the dashboard answered 200 throughout, including while the replica was down;
- the replica caught up (its replay LSN reached the primary's LSN).

Runs in the cluster's own environment (`scripts/cluster test`): production settings, the
database URL of the primary itself (not PgBouncer: the check counts what was committed).
"""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from egov.core import cluster as cl

from .scenarios import submission_body, submit_requests
from .seed import make_pdf, seed

Log = Callable[[str], None]


@dataclass
class CheckConfig:
    phase_seconds: float = 6.0
    submit_clients: int = 6
    lifecycle_clients: int = 3
    citizens: int = 200
    outbox_timeout: float = 240.0
    catch_up_timeout: float = 120.0


@dataclass
class CheckReport:
    checks: list[tuple[str, bool, str]] = field(default_factory=list)
    timeline: list[str] = field(default_factory=list)

    def check(self, name: str, ok: bool, detail: str) -> None:
        self.checks.append((name, ok, detail))

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(ok for _, ok, _ in self.checks)

    def render(self) -> str:
        lines = ["", "Cluster check (issue #19)", "", "Timeline:"]
        lines += [f"  {t}" for t in self.timeline]
        lines += ["", "Checks:"]
        for name, ok, detail in self.checks:
            lines.append(f"  [{'PASS' if ok else 'FAIL'}] {name}: {detail}")
        lines += ["", "RESULT: " + ("PASS" if self.passed else "FAIL"), ""]
        return "\n".join(lines)


class DashboardPoller(threading.Thread):
    """GETs the dashboard page through HAProxy every `interval` seconds, noting the phase."""

    def __init__(self, cookie: str, interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.cookie = cookie
        self.interval = interval
        self.phase = "load"
        self.results: list[tuple[str, int]] = []
        self.stop_event = threading.Event()

    def run(self) -> None:
        while not self.stop_event.is_set():
            status = 0
            conn = http.client.HTTPConnection("127.0.0.1", cl.HAPROXY_PORT, timeout=30)
            try:
                conn.request(
                    "GET", "/dieu-hanh/", headers={"Cookie": self.cookie, "Accept": "text/html"}
                )
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                status = 0
            finally:
                conn.close()
            self.results.append((self.phase, status))
            self.stop_event.wait(self.interval)


def _spawn_tool(module: str, spec: dict[str, Any], work: Path, name: str) -> subprocess.Popen[str]:
    path = work / f"{name}.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    return subprocess.Popen(  # noqa: S603 -- our own stdlib driver
        [sys.executable, "-m", module, str(path)],
        cwd=settings.BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _tool_output(proc: subprocess.Popen[str], timeout: float) -> dict[str, Any]:
    out, err = proc.communicate(timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"load driver failed:\n{err[-2000:]}")
    result: dict[str, Any] = json.loads(out)
    return result


def _get_json(url: str, headers: dict[str, str] | None = None) -> Any:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 -- local
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 -- local
        return json.loads(response.read())


def prepare(config: CheckConfig, work: Path, log: Log) -> dict[str, Any]:
    """Citizens with sessions, the lifecycle agency and its officials, the operator's session
    (all through the services, on the primary), and the request bodies."""
    from egov.accounts.models import User

    from .scale import (
        BOUNDARY as RECEPTION_BOUNDARY,
    )
    from .scale import (
        LIFECYCLE_AGENCY,
        _lifecycle_setup,
        _reception_body,
        _session,
        _with_totp,
    )

    log("seeding citizens, the lifecycle agency and sessions on the primary")
    seeded = seed(citizens=config.citizens, secret_key=settings.SECRET_KEY)
    _lifecycle_setup()
    from egov.org.models import Official, Role

    officials = list(
        Official.objects.filter(agency__identifier=LIFECYCLE_AGENCY).select_related("user")
    )
    _with_totp([o.user for o in officials])
    sessions = {o.pk: _session(o.user, settings.SECRET_KEY) for o in officials}
    operator = User.objects.get(username="quantri")
    _with_totp([operator])
    pdf = make_pdf(20_000)
    (work / "submit.bin").write_bytes(
        submission_body(seeded.procedure_code, seeded.agency_identifier, pdf)
    )
    (work / "reception.bin").write_bytes(_reception_body(pdf))
    return {
        "citizens": seeded.citizens,
        "receivers": [sessions[o.pk] for o in officials if o.has_role(Role.RECEIVER)],
        "officials": {str(k): v for k, v in sessions.items()},
        "operator": _session(operator, settings.SECRET_KEY),
        "reception_boundary": RECEPTION_BOUNDARY,
    }


def run_check(config: CheckConfig, log: Log) -> CheckReport:
    from egov.dossiers.models import Dossier
    from egov.events.models import OutboxMessage

    cluster = cl.Cluster(cl.cluster_dir())
    report = CheckReport()
    down = [name for name, up in cluster.status().items() if not up]
    if down:
        report.check("cluster running", False, f"not running: {', '.join(down)} (make cluster)")
        return report
    work = Path(tempfile.mkdtemp(prefix="egov-cluster-check-"))
    logs_at = _log_offsets(cluster)
    prepared = prepare(config, work, log)
    first_outbox = (OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first()) or 0
    p = config.phase_seconds
    duration = 8 * p + 30  # the phases and the restarts, with room
    submit = _spawn_tool(
        "egov.bench.loadgen",
        {
            "host": "127.0.0.1",
            "port": cl.HAPROXY_PORT,
            "clients": config.submit_clients,
            "processes": 1,
            "warmup": 0,
            "duration": duration,
            "max_requests": 100_000,
            "timeout": 60.0,
            "expect": [201],
            "collect_field": "code",
            "body_files": [str(work / "submit.bin")],
            "requests": submit_requests(prepared["citizens"]),
        },
        work,
        "submit",
    )
    lifecycle = _spawn_tool(
        "egov.bench.lifecycle_load",
        {
            "host": "127.0.0.1",
            "port": cl.HAPROXY_PORT,
            "clients": config.lifecycle_clients,
            "warmup": 0,
            "duration": duration,
            "body_file": str(work / "reception.bin"),
            "content_type": f"multipart/form-data; boundary={prepared['reception_boundary']}",
            "receivers": prepared["receivers"],
            "officials": prepared["officials"],
        },
        work,
        "lifecycle",
    )
    poller = DashboardPoller(prepared["operator"]["cookie"])
    poller.start()
    started = time.monotonic()

    def mark(phase: str, what: str) -> None:
        poller.phase = phase
        report.timeline.append(f"{time.monotonic() - started:6.1f} s  {what}")
        log(what)

    mark("load", f"load started through HAProxy :{cl.HAPROXY_PORT}")
    time.sleep(p)
    mark("web1 down", "kill -9 web1 (its process group)")
    cluster.kill9("web1")
    time.sleep(p)
    cluster.restart("web1")
    mark("load", "web1 started again and healthy")
    time.sleep(p)
    mark("replica down", "replica stopped (pg_ctl stop -m fast)")
    cluster.pair.replica.stop()
    time.sleep(p)
    cluster.restart("replica")
    mark("load", "replica started again")
    time.sleep(p)
    mark("huey1 down", "kill -9 huey1 (the consumer with the scheduler)")
    cluster.kill9("huey1")
    time.sleep(p)
    cluster.restart("huey1")
    mark("load", "huey1 started again")
    remaining = duration - (time.monotonic() - started)
    submitted = _tool_output(submit, remaining + 120)
    lifecycles = _tool_output(lifecycle, remaining + 180)
    mark("load", "load finished")
    poller.stop_event.set()
    poller.join(30)

    # -- acknowledged dossiers -------------------------------------------------------------------
    codes = [str(c) for c in submitted["collected"]]
    found: dict[str, int] = {}
    for start in range(0, len(codes), 1000):
        for code in Dossier.objects.filter(code__in=codes[start : start + 1000]).values_list(
            "code", flat=True
        ):
            found[code] = found.get(code, 0) + 1
    missing = [c for c in codes if c not in found]
    twice = [c for c, n in found.items() if n != 1] + [c for c in set(codes) if codes.count(c) > 1]
    report.check(
        "acknowledged submissions on the primary, once each",
        bool(codes) and not missing and not twice,
        f"{len(codes)} acknowledged (201 with a code), {len(missing)} missing, "
        f"{len(twice)} more than once; {submitted['errors']} requests failed during the kills "
        f"(not acknowledged: allowed; e.g. {submitted['error_samples'][:1]})",
    )
    report.check(
        "lifecycles through HAProxy",
        lifecycles["lifecycles"] > 0,
        f"{lifecycles['lifecycles']} whole lifecycles (receive, 4 forwards, return), "
        f"{lifecycles['errors']} calls failed during the kills "
        f"(e.g. {lifecycles['error_samples'][:1]})",
    )

    # -- the outbox and the stand-ins ------------------------------------------------------------
    log("waiting for the outbox to drain")
    deadline = time.monotonic() + config.outbox_timeout
    since = OutboxMessage.objects.filter(pk__gt=first_outbox)
    while time.monotonic() < deadline:
        if not since.exclude(status=OutboxMessage.Status.DELIVERED).exists():
            break
        time.sleep(2)
    mark("load", "outbox drained" if time.monotonic() < deadline else "outbox wait timed out")
    total = since.count()
    undelivered = list(
        since.exclude(status=OutboxMessage.Status.DELIVERED).values_list("topic", "status")[:10]
    )
    report.check(
        "every outbox message delivered",
        total > 0 and not undelivered,
        f"{total} messages made during the run; not delivered: {undelivered or 'none'}",
    )
    report.checks.extend(_standin_checks(cluster, since, codes))

    # -- the dashboard ---------------------------------------------------------------------------
    by_phase: dict[str, list[int]] = {}
    for phase, status in poller.results:
        by_phase.setdefault(phase, []).append(status)
    bad = [(ph, s) for ph, s in poller.results if s != 200]
    report.check(
        "dashboard answered 200 throughout",
        not bad and len(by_phase.get("replica down", [])) > 0,
        ", ".join(f"{ph}: {sum(1 for s in v if s == 200)}/{len(v)}" for ph, v in by_phase.items()),
    )

    # -- the replica -----------------------------------------------------------------------------
    try:
        cluster.pair.wait_caught_up(config.catch_up_timeout)
        with cluster.pair.replica.connect() as conn:
            row = conn.execute("SELECT pg_last_wal_replay_lsn()::text").fetchone()
        report.check(
            "replica caught up",
            True,
            f"replay LSN {row[0] if row else '?'} ≥ primary LSN at the check",
        )
    except TimeoutError as exc:
        report.check("replica caught up", False, str(exc))
    down = [name for name, up in cluster.status().items() if not up]
    report.check("every piece running at the end", not down, ", ".join(down) or "all running")

    # -- the application's own errors ------------------------------------------------------------
    # A request cut by a kill fails at the client (allowed above); an error the application
    # itself answers or logs is a bug whatever the kills: the first run of this line found
    # deadlocks between officials' actions and the national deliverer (issue #19).
    logged = _log_errors(cluster, logs_at)
    report.check(
        "no server error nor deadlock in the application's logs",
        not logged,
        "; ".join(f"{name}: {count} × {what}" for (name, what), count in logged.items()) or "none",
    )
    return report


APP_LOGS = ("web1", "web2", "huey1", "huey2")
LOG_ERRORS = ("Internal Server Error", "deadlock detected")


def _log_offsets(cluster: cl.Cluster) -> dict[str, int]:
    return {
        name: cluster.logfile(name).stat().st_size if cluster.logfile(name).exists() else 0
        for name in APP_LOGS
    }


def _log_errors(cluster: cl.Cluster, offsets: dict[str, int]) -> dict[tuple[str, str], int]:
    """How often each error appears in each application log since `offsets`."""
    found: dict[tuple[str, str], int] = {}
    for name in APP_LOGS:
        path = cluster.logfile(name)
        if not path.exists():
            continue
        with path.open("rb") as handle:
            handle.seek(offsets.get(name, 0))
            text = handle.read().decode(errors="replace")
        for what in LOG_ERRORS:
            if count := text.count(what):
                found[(name, what)] = count
    return found


def _standin_checks(cluster: cl.Cluster, since: Any, codes: list[str]) -> list[Any]:
    """What each stand-in says it received, against the outbox's delivered messages."""
    from egov.webhooks.services import TOPIC as CLOUDEVENT

    checks: list[tuple[str, bool, str]] = []
    delivered = since.filter(status="delivered")
    sms_keys = set(delivered.filter(topic="sms").values_list("idempotency_key", flat=True))
    listing = _get_json(f"http://127.0.0.1:{cl.SMS_PORT}/")["requests"]
    got = {r["key"] for r in listing if r["status"] == 200}
    checks.append(
        (
            "SMS stand-in received every delivered SMS",
            sms_keys <= got,
            f"{len(sms_keys)} delivered, {len(sms_keys & got)} counted by the stand-in",
        )
    )
    hooks = delivered.filter(topic=CLOUDEVENT).count()
    listing = _get_json(f"http://127.0.0.1:{cl.WEBHOOK_PORT}/")["requests"]
    ids = {r["event"]["id"] for r in listing if r["event"] and r["status"] < 300}
    checks.append(
        (
            "webhook receiver verified every delivered event",
            len(ids) >= hooks,
            f"{hooks} delivered during the run, {len(ids)} distinct verified events in total",
        )
    )
    email_keys = set(delivered.filter(topic="email").values_list("idempotency_key", flat=True))
    mail_dir = Path(settings.EMAIL_FILE_PATH)
    seen: set[str] = set()
    if mail_dir.is_dir():
        for path in mail_dir.iterdir():
            for line in path.read_text(errors="replace").splitlines():
                if line.startswith("X-Idempotency-Key:"):
                    seen.add(line.split(":", 1)[1].strip())
    checks.append(
        (
            "e-mails written for every delivered e-mail",
            email_keys <= seen,
            f"{len(email_keys)} delivered, {len(email_keys & seen)} found in {mail_dir}",
        )
    )
    token = cluster.secrets()["NATIONAL_PORTAL_TOKEN"]
    absent = []
    for code in codes:
        try:
            _get_json(
                f"http://127.0.0.1:{cl.NATIONAL_PORT}/hoso/{code}",
                {"Authorization": f"Bearer {token}"},
            )
        except OSError:
            absent.append(code)
    checks.append(
        (
            "national portal stand-in holds every acknowledged dossier",
            not absent,
            f"{len(codes) - len(absent)}/{len(codes)} records there",
        )
    )
    return checks
