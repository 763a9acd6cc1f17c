"""The local cluster's benchmark (`python manage.py bench_cluster`, `make bench-cluster`).

On the running cluster (egov/core/cluster.py), with a generated province of its own on the
cluster's primary (`egov_cluster_bench_<N>`, made by egov/bench/province.py once and kept;
streamed to the replica like everything else), the web instances pointed at it:

1. through HAProxy, 16 clients (egov.bench.loadgen): the floor (`/healthz`), public tracking
   lookups and the dashboard page (as the operator), with both web instances in HAProxy and
   then with one (the other disabled on HAProxy's admin socket);
2. the dashboard page with the web instances given DATABASE_REPLICA_URL (the read router sends
   the dashboard to the replica) and without it (everything on the primary).

The web instances go back to the demo database afterwards. On a two-core machine the second
web instance shares the same two cores with the first, HAProxy, PgBouncer, PostgreSQL and the
load generator: it shows the cost of the extra hop and processes, not a speed-up.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from egov.core import cluster as cl

from .machine import describe, load_average
from .report import write_section
from .scenarios import fmt

Log = Callable[[str], None]

START = (
    "<!-- bench:cluster:start — written by `python manage.py bench_cluster`; "
    "do not edit by hand -->"
)
END = "<!-- bench:cluster:end -->"


@dataclass
class ClusterBenchConfig:
    dossiers: int = 200_000
    clients: int = 16
    client_processes: int = 2
    duration: float = 15.0
    warmup: float = 3.0
    tracking_lookups: int = 5_000

    @property
    def db_name(self) -> str:
        return f"egov_cluster_bench_{self.dossiers}"


@dataclass
class Row:
    scenario: str
    setup: str
    summary: dict[str, Any]


@dataclass
class ClusterBenchReport:
    config: ClusterBenchConfig
    rows: list[Row] = field(default_factory=list)
    machine: str = ""
    load_before: str = ""
    load_after: str = ""
    router: str = ""
    problems: list[str] = field(default_factory=list)

    def throughput(self, scenario: str, setup: str) -> float:
        for row in self.rows:
            if row.scenario == scenario and row.setup == setup:
                return float(row.summary["throughput"])
        return 0.0


def prepare_database(config: ClusterBenchConfig, log: Log) -> None:
    """Create, migrate and fill the benchmark's database on the primary, once."""
    from egov.bench.province import GenConfig, generate
    from egov.dossiers.models import Dossier

    pair = cl.Cluster(cl.cluster_dir()).pair
    with pair.primary.connect() as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [config.db_name]
        ).fetchone()
    if not exists:
        log(f"creating {config.db_name} on the primary")
        pair.create_database(config.db_name)
    call_command("migrate", "--noinput", verbosity=0)
    if Dossier.objects.exists():
        log(f"{config.db_name} already holds its province: reused")
        return
    log(f"generating a province of {config.dossiers} dossiers (once; kept for the next run)")
    generate(GenConfig(dossiers=config.dossiers), log=log)


def _sessions() -> dict[str, str]:
    from egov.accounts.models import User

    from .scale import _session, _with_totp

    operator = User.objects.get(username="quantri")
    _with_totp([operator])
    return _session(operator, settings.SECRET_KEY)


def _tracking(limit: int) -> list[dict[str, Any]]:
    from egov.dossiers.models import Dossier

    pairs = list(
        Dossier.objects.exclude(applicant_id_number="")
        .order_by("pk")
        .values_list("code", "applicant_id_number")[: limit * 4]
    )
    random.Random(2026).shuffle(pairs)  # noqa: S311 -- reproducible spread over the table
    return [
        {
            "method": "POST",
            "path": "/api/v1/tracking/",
            "headers": {"Content-Type": "application/json", "Accept": "application/json"},
            "body": json.dumps({"code": code, "second_factor": secret}),
        }
        for code, secret in pairs[:limit]
    ]


def _load(config: ClusterBenchConfig, requests: list[dict[str, Any]], work: Path) -> Any:
    spec = {
        "host": "127.0.0.1",
        "port": cl.HAPROXY_PORT,
        "clients": config.clients,
        "processes": config.client_processes,
        "warmup": config.warmup,
        "duration": config.duration,
        "max_requests": 1_000_000,
        "timeout": 60.0,
        "expect": [200],
        "requests": requests,
    }
    path = work / "spec.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    done = subprocess.run(  # noqa: S603 -- our own stdlib driver
        [sys.executable, "-m", "egov.bench.loadgen", str(path)],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=config.warmup + config.duration + 300,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"loadgen failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout)


def _restart_webs(cluster: cl.Cluster, log: Log) -> None:
    log(f"web instances on {cluster.db} (replica URL given: {cluster.replica})")
    for name in cl.WEBS:
        cluster.terminate(name)
    for name in cl.WEBS:
        cluster.start_web(name)
    for port in cl.WEB_PORTS:
        cl.wait_http(f"http://127.0.0.1:{port}/healthz", 120)
    time.sleep(2)  # HAProxy's health checks see both up again


def _router(cluster: cl.Cluster) -> str:
    """Whether the web instances' settings (their environment, with DATABASE_REPLICA_URL) have
    a replica database and a router; without them both dashboard rows read the primary."""
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(len(s.DATABASES), len(s.DATABASE_ROUTERS))"
    )
    done = subprocess.run(  # noqa: S603 -- our own settings
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=cluster.web_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    parts = done.stdout.split()
    if len(parts) == 2 and int(parts[0]) > 1 and int(parts[1]) > 0:
        return "yes"
    return "no (both rows read the primary)"


def run_cluster_bench(config: ClusterBenchConfig, log: Log) -> ClusterBenchReport:
    machine = describe()
    report = ClusterBenchReport(
        config=config, machine=f"{machine.cpu_model}, {machine.cores} logical CPUs, {machine.ram}"
    )
    report.load_before = load_average()
    base = cl.Cluster(cl.cluster_dir())
    down = [name for name, up in base.status().items() if not up]
    if down:
        raise RuntimeError(f"the cluster is not running ({', '.join(down)}): make cluster")
    prepare_database(config, log)
    work = Path(tempfile.mkdtemp(prefix="egov-bench-cluster-"))
    session = _sessions()
    month = f"{timezone.localdate():%Y-%m}"
    dashboard = [
        {
            "method": "GET",
            "path": f"/dieu-hanh/?period=month&month={month}",
            "headers": {"Cookie": session["cookie"], "Accept": "text/html"},
        }
    ]
    scenarios = {
        "floor (/healthz)": [{"method": "GET", "path": "/healthz", "headers": {}}],
        "tracking lookup": _tracking(config.tracking_lookups),
        "dashboard page": dashboard,
    }
    bench = cl.Cluster(base.root, db=config.db_name, replica=True)
    try:
        _restart_webs(bench, log)
        for setup in ("two web instances", "one web instance"):
            if setup == "one web instance":
                bench.haproxy_command("disable server web/web2")
            try:
                for name, requests in scenarios.items():
                    log(f"{name}, {setup}")
                    report.rows.append(Row(name, setup, _load(config, requests, work)))
            finally:
                bench.haproxy_command("enable server web/web2")
        log("dashboard page, everything on the primary")
        _restart_webs(cl.Cluster(base.root, db=config.db_name, replica=False), log)
        report.rows.append(Row("dashboard page", "primary only", _load(config, dashboard, work)))
    finally:
        _restart_webs(base, log)
    report.router = _router(bench)
    report.load_after = load_average()
    for row in report.rows:
        errors = row.summary["errors"] + row.summary["warmup"]["errors"]
        if errors:
            report.problems.append(
                f"{row.scenario}, {row.setup}: {errors} errors "
                f"({'; '.join(row.summary['error_samples'][:2])})"
            )
    return report


COLUMNS = ["scenario", "set-up", "req/s", "× floor", "p50 ms", "p95 ms", "p99 ms", "errors"]


def render(report: ClusterBenchReport) -> str:
    cfg = report.config
    lines = [
        START,
        "",
        "## The local cluster (issue #19)",
        "",
        f"`make cluster` on this machine ({report.machine}): HAProxy → two gunicorn web "
        f"instances ({cl.WEB_WORKERS} workers × {cl.WEB_THREADS} threads each) → PgBouncer "
        "(transaction mode) → the "
        "PostgreSQL primary, a streaming replica, two Huey consumers, on a generated province "
        f"of {cfg.dossiers:,} dossiers in the cluster's primary. {cfg.clients} keep-alive "
        f"clients through HAProxy, {cfg.warmup:g} s warm-up, {cfg.duration:g} s measured per "
        "row; *one web instance* is the same cluster with the second disabled on HAProxy's "
        "admin socket. × floor is against the floor of the same set-up.",
        "",
        "On two cores a second web instance adds processes competing for the same cores "
        "(with HAProxy, PgBouncer, PostgreSQL and the load generator): the figures show its "
        "cost, not a speed-up. The second instance buys availability (the cluster check kills "
        "one under load) and, on a second machine, capacity.",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    for row in report.rows:
        s = row.summary
        floor_setup = row.setup if row.setup != "primary only" else "two web instances"
        floor = report.throughput("floor (/healthz)", floor_setup)
        ratio = s["throughput"] / floor if floor else 0.0
        lat = s["latency_ms"]
        lines.append(
            "| "
            + " | ".join(
                [
                    row.scenario,
                    row.setup,
                    fmt(s["throughput"]),
                    f"{ratio:.2f}×",
                    fmt(lat["p50"]),
                    fmt(lat["p95"]),
                    fmt(lat["p99"]),
                    str(s["errors"] + s["warmup"]["errors"]),
                ]
            )
            + " |"
        )
    replica = report.throughput("dashboard page", "two web instances")
    primary = report.throughput("dashboard page", "primary only")
    lines += [
        "",
        f"Dashboard read from the replica (two web instances, DATABASE_REPLICA_URL given): "
        f"{fmt(replica)} req/s; from the primary only: {fmt(primary)} req/s. Read router "
        f"configured in the web instances' settings: {report.router}.",
        "",
        f"Load average before: {report.load_before}; after: {report.load_after}.",
        "",
    ]
    if report.problems:
        lines += ["Problems:", ""] + [f"- {p}" for p in report.problems] + [""]
    lines += [END, ""]
    return "\n".join(lines)


def write_cluster_report(report: ClusterBenchReport, path: Path) -> None:
    write_section(path, render(report), START, END)
