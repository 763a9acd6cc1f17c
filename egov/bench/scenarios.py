"""The scenarios. Each returns a `ScenarioResult`: tables for the report, metrics for the
cross-scenario ratios, and problems (errors, failed checks) that make the run fail."""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction

from egov.core.actors import SYSTEM

from . import cpu
from . import seed as seeding
from .loadgen import percentile

if TYPE_CHECKING:
    from .runner import BenchContext

SCENARIOS = (
    "events",
    "calendar",
    "signing",
    "exchange",
    "submit_http",
    "tracking_http",
    "pgbench",
    "memory",
)
HTTP_SCENARIOS = ("submit_http", "tracking_http")


@dataclass
class Table:
    columns: list[str]
    rows: list[list[str]]
    title: str = ""


@dataclass
class ScenarioResult:
    name: str
    title: str
    meaning: str  # what the figures measure, one or two sentences
    tables: list[Table] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: str = ""  # why it did not run here


def fmt(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"


# ---------------------------------------------------------------------------------------------
# In-process: the event log and the working calendar
# ---------------------------------------------------------------------------------------------


@dataclass
class Timed:
    operations: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.operations / self.seconds if self.seconds else 0.0

    def latency_cells(self) -> list[str]:
        ordered = sorted(self.latencies_ms)
        return [fmt(percentile(ordered, p), 2) for p in (0.5, 0.95, 0.99)]


def _repeat(
    operation: Callable[[int], None], *, seconds: float, limit: int, warm: int = 20
) -> Timed:
    """Call operation(i) until `seconds` pass or `limit` calls were made, after `warm` calls
    that are not timed (first-call costs: query compilation, per-year holiday tables)."""
    for i in range(warm):
        operation(limit + i)
    latencies = []
    started = time.perf_counter()
    deadline = started + seconds
    i = 0
    while i < limit:
        t0 = time.perf_counter()
        if t0 >= deadline:
            break
        operation(i)
        latencies.append((time.perf_counter() - t0) * 1000)
        i += 1
    return Timed(i, time.perf_counter() - started, latencies)


def _append_events(agency_id: int, tag: str, *, seconds: float, limit: int) -> Timed:
    from egov.events.services import record_event

    from . import event_types

    def append(i: int) -> None:
        with transaction.atomic():
            record_event(
                actor=SYSTEM,
                event_type=event_types.APPENDED,
                subject_type="bench",
                subject_id=f"{tag}-{i}",
                payload={"i": i, "run": tag, "text": "Hồ sơ thử tải"},
                agency_id=agency_id,
            )

    try:
        return _repeat(append, seconds=seconds, limit=limit)
    finally:
        connection.close()  # this thread's connection


def _parallel(agency_ids: list[int], tag: str, *, seconds: float, limit: int) -> Timed:
    results: list[Timed | BaseException] = [Timed(0, 0, []) for _ in agency_ids]

    def work(index: int, agency_id: int) -> None:
        try:
            results[index] = _append_events(
                agency_id, f"{tag}-{index}", seconds=seconds, limit=limit
            )
        except BaseException as exc:
            results[index] = exc

    started = time.perf_counter()
    threads = [
        threading.Thread(target=work, args=(i, a), daemon=True) for i, a in enumerate(agency_ids)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    for item in results:
        if isinstance(item, BaseException):
            raise item
    done = [r for r in results if isinstance(r, Timed)]
    return Timed(
        sum(r.operations for r in done), elapsed, [x for r in done for x in r.latencies_ms]
    )


def events(ctx: BenchContext) -> ScenarioResult:
    from egov.events.services import chain_for, verify_event_log

    cfg = ctx.config
    agencies = ctx.seeded.agency_ids
    result = ScenarioResult(
        "events",
        "Event log appends (in-process)",
        "`record_event` appends per second, each in its own transaction as a state change "
        "would be, with the chain head locked, hashed and updated. One thread on one agency "
        "chain, then four threads on four agency chains at once. No HTTP.",
    )
    tag = f"{int(time.time())}"
    single = _append_events(
        agencies[0], f"s{tag}", seconds=cfg.inproc_seconds, limit=cfg.inproc_limit
    )
    parallel = _parallel(
        agencies[:4], f"p{tag}", seconds=cfg.inproc_seconds, limit=cfg.inproc_limit
    )
    columns = ["case", "appends", "seconds", "appends/s", "p50 ms", "p95 ms", "p99 ms"]
    result.tables.append(
        Table(
            columns,
            [
                [
                    "1 thread, 1 agency chain",
                    str(single.operations),
                    fmt(single.seconds, 2),
                    fmt(single.rate),
                    *single.latency_cells(),
                ],
                [
                    "4 threads, 4 agency chains",
                    str(parallel.operations),
                    fmt(parallel.seconds, 2),
                    fmt(parallel.rate),
                    *parallel.latency_cells(),
                ],
            ],
        )
    )
    result.metrics = {"single_per_s": single.rate, "parallel_per_s": parallel.rate}
    for agency_id in agencies[:4]:
        check = verify_event_log(chain=chain_for(agency_id))
        if not check.ok:
            result.problems.append(f"chain of agency {agency_id} broken: {check.first_break}")
    if not result.problems:
        result.notes.append("The four chains verify (`verify_event_log`) after the run.")
    return result


def calendar(ctx: BenchContext) -> ScenarioResult:
    from egov.org.models import Agency
    from egov.workcalendar.services import VN_TZ, WorkingCalendar

    cfg = ctx.config
    result = ScenarioResult(
        "calendar",
        "Working calendar (in-process)",
        "`WorkingCalendar.add_working_days(start, 15)` calls per second: the due date of a "
        "15-working-day procedure, for start moments spread over a year. First on a calendar "
        "loaded once, then loading the agency's calendar (two queries) on every call, as "
        "`due_date` does for each submission.",
    )
    agency = Agency.objects.get(pk=ctx.seeded.agency_ids[0])
    base = datetime(2026, 1, 1, 7, 0, tzinfo=VN_TZ)
    starts = [base + timedelta(hours=7 * i, minutes=13 * i) for i in range(1251)]
    loaded = WorkingCalendar.for_agency(agency)
    sink: list[datetime] = []

    def cached(i: int) -> None:
        sink.append(loaded.add_working_days(starts[i % len(starts)], 15))

    def fresh(i: int) -> None:
        calendar = WorkingCalendar.for_agency(agency)
        sink.append(calendar.add_working_days(starts[i % len(starts)], 15))

    # Warm-up: every start moment once, so each year's statutory holiday table is built.
    for start in starts:
        loaded.add_working_days(start, 15)
    one = _repeat(cached, seconds=cfg.inproc_seconds, limit=cfg.inproc_limit * 20)
    two = _repeat(fresh, seconds=cfg.inproc_seconds, limit=cfg.inproc_limit)
    connection.close()
    columns = ["case", "calls", "seconds", "calls/s", "p50 ms", "p95 ms", "p99 ms"]
    result.tables.append(
        Table(
            columns,
            [
                [
                    "calendar loaded once",
                    str(one.operations),
                    fmt(one.seconds, 2),
                    fmt(one.rate),
                    *one.latency_cells(),
                ],
                [
                    "calendar loaded per call",
                    str(two.operations),
                    fmt(two.seconds, 2),
                    fmt(two.rate),
                    *two.latency_cells(),
                ],
            ],
        )
    )
    result.metrics = {"cached_per_s": one.rate, "loaded_per_s": two.rate}
    return result


# ---------------------------------------------------------------------------------------------
# HTTP: the load generator against gunicorn
# ---------------------------------------------------------------------------------------------


def run_load(
    ctx: BenchContext,
    *,
    port: int,
    requests: list[dict[str, Any]],
    body_files: list[str],
    expect: list[int],
    duration: float,
    warmup: float,
    max_requests: int,
    collect_field: str | None = None,
    name: str,
    server_pid: int | None = None,
) -> dict[str, Any]:
    """Run egov.bench.loadgen in its own process (it forks its clients) and return its JSON.
    With `server_pid` (the web server's master), the summary also says where the CPU of the
    measured window went, per request (`cpu`: egov.bench.cpu)."""
    cfg = ctx.config
    spec: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "clients": cfg.clients,
        "processes": cfg.client_processes,
        "warmup": warmup,
        "duration": duration,
        "max_requests": max_requests,
        "timeout": 60.0,
        "expect": expect,
        "collect_field": collect_field,
        "body_files": body_files,
        "requests": requests,
    }
    timeout = warmup + duration + 300
    if server_pid is None or duration < CPU_MIN_SECONDS:
        return run_tool(ctx, "egov.bench.loadgen", spec, name=f"load-{name}", timeout=timeout)
    return _load_with_cpu(ctx, spec, name=name, server_pid=server_pid, timeout=timeout)


CPU_MIN_SECONDS = 4.0  # shorter windows are all edges
CPU_START_DELAY = 2.0  # seconds for the load generator to start and read its requests
CPU_EDGE = 0.5  # seconds left out at each end of the measured window


def _load_with_cpu(
    ctx: BenchContext, spec: dict[str, Any], *, name: str, server_pid: int, timeout: float
) -> dict[str, Any]:
    """run_tool for the load generator, with the machine's processes sampled just inside the
    measured window (which starts at a time set here, so this process knows when)."""
    start_at = time.time() + CPU_START_DELAY
    measure_at = start_at + float(spec["warmup"])
    end_at = measure_at + float(spec["duration"])
    spec = {**spec, "start_at": start_at}
    spec_path = ctx.work_dir / f"load-{name}.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    with subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "egov.bench.loadgen", str(spec_path)],
        cwd=ctx.base_dir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        roots = {server_pid: cpu.WEB, process.pid: cpu.LOAD}
        before = after = None
        for moment in (measure_at + CPU_EDGE, end_at - CPU_EDGE):
            time.sleep(max(0.0, moment - time.time()))
            if process.poll() is not None:
                break
            snap = cpu.snapshot()
            before, after = (snap, None) if before is None else (before, snap)
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    if process.returncode != 0:
        raise RuntimeError(f"egov.bench.loadgen failed:\n{err[-3000:]}")
    summary: dict[str, Any] = json.loads(out)
    if before is not None and after is not None:
        window = cpu.between(before, after, roots)
        requests = summary["throughput"] * window.seconds
        summary["cpu"] = {
            "seconds": round(window.seconds, 2),
            "busy_cores": round(window.busy_cores, 2),
            "stolen_cores": round(window.stolen_cores, 2),
            "ms_per_request": {k: round(v, 3) for k, v in window.per_request_ms(requests).items()},
        }
    return summary


def run_tool(
    ctx: BenchContext, module: str, spec: dict[str, Any], *, name: str, timeout: float
) -> dict[str, Any]:
    """Run a stdlib-only driver (`python -m module SPEC.json`) in its own process, so it can
    fork and thread freely, and return the JSON object it prints."""
    spec_path = ctx.work_dir / f"{name}.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", module, str(spec_path)],
        cwd=ctx.base_dir,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{module} failed:\n{done.stderr[-3000:]}")
    summary: dict[str, Any] = json.loads(done.stdout)
    return summary


BOUNDARY = "egovbench7MA4YWxkTrZu0gW"


def submission_body(procedure_code: str, agency_identifier: str, pdf: bytes) -> bytes:
    """The multipart body of one online submission: the form as JSON and a PDF paper."""
    fields = {
        "procedure": procedure_code,
        "agency": agency_identifier,
        "result_delivery": "online",
        "form_data": json.dumps(seeding.FORM_DATA, ensure_ascii=False),
    }
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
        )
    parts.append(
        f"--{BOUNDARY}\r\nContent-Disposition: form-data; "
        f'name="file__{seeding.PDF_COMPONENT}"; filename="giay-chung-sinh.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode()
        + pdf
        + b"\r\n"
    )
    parts.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(parts)


def submit_requests(citizens: list[seeding.BenchCitizen]) -> list[dict[str, Any]]:
    return [
        {
            "method": "POST",
            "path": "/api/v1/dossiers/",
            "headers": {
                "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
                "Cookie": c.cookie(),
                "X-CSRFToken": c.csrf_token,
                "Accept": "application/json",
            },
            "body_file": 0,
        }
        for c in citizens
    ]


def tracking_requests(limit: int = 20000) -> list[dict[str, Any]]:
    from egov.dossiers.models import Dossier

    pairs = list(
        Dossier.objects.filter(procedure__code=seeding.PROCEDURE_CODE)
        .order_by("pk")
        .values_list("code", "applicant_id_number")[:limit]
    )
    random.Random(2026).shuffle(pairs)  # noqa: S311 - clients hit rows all over the table
    return [
        {
            "method": "POST",
            "path": "/api/v1/tracking/",
            "headers": {"Content-Type": "application/json", "Accept": "application/json"},
            "body": json.dumps({"code": code, "second_factor": secret}),
        }
        for code, secret in pairs
    ]


HTTP_COLUMNS = [
    "server",
    "clients",
    "seconds",
    "requests",
    "req/s",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "errors",
]


def http_row(server_label: str, summary: dict[str, Any]) -> list[str]:
    lat = summary["latency_ms"]
    return [
        server_label,
        str(summary["clients"]),
        fmt(summary["duration"], 1),
        str(summary["requests"]),
        fmt(summary["throughput"]),
        fmt(lat["p50"], 1),
        fmt(lat["p95"], 1),
        fmt(lat["p99"], 1),
        str(summary["errors"] + summary["warmup"]["errors"]),
    ]


CPU_COLUMNS = [
    "server",
    "web server ms",
    "PostgreSQL ms",
    "load generator ms",
    "other ms",
    "machine busy (cores)",
    "stolen (cores)",
    "CPU-bound at most, req/s",
]


def cpu_total_ms(summary: dict[str, Any]) -> float | None:
    """CPU per request of what serves it and what asks for it (web server, PostgreSQL, load
    generator); None when the run was not sampled."""
    per = summary.get("cpu", {}).get("ms_per_request")
    if not per:
        return None
    return float(per[cpu.WEB] + per[cpu.POSTGRES] + per[cpu.LOAD])


def cpu_row(server_label: str, summary: dict[str, Any], cores: int) -> list[str] | None:
    """Where one request's CPU went, and the most requests a second the cores left to this
    machine could serve at that cost if they did nothing else (a run near it is CPU-bound; far
    below it, the requests wait: on locks, on I/O, on each other). Time the hypervisor gave to
    other machines (steal) is nobody's here: it is left out of what the cores could do."""
    total = cpu_total_ms(summary)
    if total is None:
        return None
    sampled = summary["cpu"]
    per = sampled["ms_per_request"]
    available = max(cores - float(sampled.get("stolen_cores", 0.0)), 0.0)
    return [
        server_label,
        fmt(per[cpu.WEB], 2),
        fmt(per[cpu.POSTGRES], 2),
        fmt(per[cpu.LOAD], 2),
        fmt(per[cpu.OTHER], 2),
        fmt(sampled["busy_cores"], 2),
        fmt(float(sampled.get("stolen_cores", 0.0)), 2),
        fmt(available * 1000 / total) if total > 0 else "–",
    ]


def cpu_table(server_label: str, summary: dict[str, Any]) -> Table | None:
    import os

    row = cpu_row(server_label, summary, os.cpu_count() or 1)
    if row is None:
        return None
    return Table(CPU_COLUMNS, [row], title=CPU_TITLE)


def add_cpu(result: ScenarioResult, label: str, summary: dict[str, Any]) -> None:
    """The CPU table of a sampled run, and its total per request for the floor comparison."""
    table = cpu_table(label, summary)
    total = cpu_total_ms(summary)
    if table is not None and total is not None:
        result.tables.append(table)
        result.metrics["cpu_ms"] = total


CPU_TITLE = (
    "CPU per request in the measured window, by process (from /proc; web server = its master, "
    "workers and their PDF inspectors)"
)


def load_problems(name: str, summary: dict[str, Any]) -> list[str]:
    problems = []
    errors = summary["errors"] + summary["warmup"]["errors"]
    if errors:
        samples = "; ".join(summary["error_samples"][:3])
        problems.append(
            f"{name}: {errors} failed requests (statuses {summary['statuses']}): {samples}"
        )
    if not summary["requests"]:
        problems.append(f"{name}: no request completed in the measured window")
    return problems


def prime_dossiers(ctx: BenchContext, port: int, count: int) -> dict[str, Any]:
    """Submit `count` dossiers over HTTP before anything is measured: the lookups need them."""
    citizens = ctx.seeded.citizens[:count]
    summary = run_load(
        ctx,
        port=port,
        requests=submit_requests(citizens),
        body_files=[str(ctx.submission_body_path)],
        expect=[201],
        duration=600,
        warmup=0,
        max_requests=len(citizens),
        collect_field="code",
        name="prime",
    )
    if summary["errors"]:
        raise RuntimeError(
            "could not create the dossiers the lookups need: "
            + "; ".join(summary["error_samples"][:3])
        )
    return summary


def warm_up(ctx: BenchContext, port: int) -> None:
    """Bring every worker to its steady state before anything is measured: a worker imports
    pypdf and builds the holiday tables on its first submission, compiles URL patterns, opens
    its database connection... A bounded round of submissions, then a few seconds of lookups."""
    cfg = ctx.config
    citizens = ctx.seeded.citizens[cfg.prime : cfg.prime + cfg.warm_submissions]
    loads = [
        (
            "warm-submit",
            submit_requests(citizens),
            [str(ctx.submission_body_path)],
            [201],
            len(citizens),
            120.0,
        ),
        ("warm-tracking", tracking_requests(), [], [200], 10**7, cfg.warmup),
    ]
    for name, requests, bodies, expect, limit, seconds in loads:
        if not requests:
            continue
        summary = run_load(
            ctx,
            port=port,
            requests=requests,
            body_files=bodies,
            expect=expect,
            duration=seconds,
            warmup=0,
            max_requests=limit,
            name=name,
        )
        if summary["errors"]:
            raise RuntimeError(
                f"{name}: requests failed: " + "; ".join(summary["error_samples"][:3])
            )


def probe_tracking(ctx: BenchContext, port: int) -> dict[str, Any]:
    cfg = ctx.config
    return run_load(
        ctx,
        port=port,
        requests=tracking_requests(),
        body_files=[],
        expect=[200],
        duration=cfg.probe_seconds,
        warmup=cfg.warmup,
        max_requests=10**7,
        name="probe",
    )


def submit_http(ctx: BenchContext) -> ScenarioResult:
    from egov.dossiers.models import Dossier

    cfg = ctx.config
    server = ctx.require_server()
    result = ScenarioResult(
        "submit_http",
        "Online submission over HTTP",
        "Online submissions per second through `POST /api/v1/dossiers/` (multipart: the form "
        "as JSON and a ~50 KB PDF), each request logged in as a different citizen (session "
        "cookie + CSRF token), 16 concurrent keep-alive clients. Each submission validates the "
        "PDF, stores it, takes the next dossier code, computes the due date, appends to the "
        "agency's event chain and queues an e-mail and an SMS in the outbox.",
    )
    citizens = ctx.seeded.citizens[ctx.config.prime :] or ctx.seeded.citizens
    before = set(
        Dossier.objects.filter(procedure__code=seeding.PROCEDURE_CODE).values_list(
            "code", flat=True
        )
    )
    summary = run_load(
        ctx,
        port=server.port,
        requests=submit_requests(citizens),
        body_files=[str(ctx.submission_body_path)],
        expect=[201],
        duration=cfg.duration,
        warmup=cfg.warmup,
        max_requests=10**7,
        collect_field="code",
        name="submit",
    )
    server.sample_memory()
    connection.close()
    after = set(
        Dossier.objects.filter(procedure__code=seeding.PROCEDURE_CODE).values_list(
            "code", flat=True
        )
    )
    codes = summary["collected"]
    new = after - before
    result.tables.append(Table(HTTP_COLUMNS, [http_row(server.label, summary)]))
    result.metrics = {
        "throughput": summary["throughput"],
        "p50": summary["latency_ms"]["p50"],
        "p99": summary["latency_ms"]["p99"],
    }
    result.problems += load_problems("submit_http", summary)
    if len(codes) != len(set(codes)):
        result.problems.append("submit_http: two responses carried the same dossier code")
    if len(new) != len(codes) or set(codes) != new:
        result.problems.append(
            f"submit_http: {len(codes)} successful responses but {len(new)} new dossiers"
        )
    if len(codes) > len(citizens):
        result.notes.append(
            f"{len(codes)} submissions for {len(citizens)} citizens: some citizens submitted "
            "twice (the pool cycles)."
        )
    result.notes.append(
        f"Checked after the run: {len(new)} new dossiers = {len(codes)} successful responses "
        f"(warm-up included: {summary['warmup']['requests']} requests), all codes distinct."
        if not result.problems
        else "The check after the run failed (see problems)."
    )
    ctx.http_summaries["submit_http"] = summary
    return result


def tracking_http(ctx: BenchContext) -> ScenarioResult:
    cfg = ctx.config
    server = ctx.require_server()
    result = ScenarioResult(
        "tracking_http",
        "Public tracking lookup over HTTP",
        "Public lookups per second through `POST /api/v1/tracking/` (dossier code + the "
        "applicant's id number; anonymous, no session), 16 concurrent keep-alive clients, "
        "over all the dossiers created in this run in random order. Each lookup counts against "
        "the per-address rate limit (raised for the run), finds the dossier and builds its "
        "timeline from the event log.",
    )
    requests = tracking_requests()
    summary = run_load(
        ctx,
        port=server.port,
        requests=requests,
        body_files=[],
        expect=[200],
        duration=cfg.duration,
        warmup=cfg.warmup,
        max_requests=10**7,
        name="tracking",
    )
    server.sample_memory()
    result.tables.append(Table(HTTP_COLUMNS, [http_row(server.label, summary)]))
    result.metrics = {
        "throughput": summary["throughput"],
        "p50": summary["latency_ms"]["p50"],
        "p99": summary["latency_ms"]["p99"],
    }
    result.problems += load_problems("tracking_http", summary)
    result.notes.append(f"{len(requests)} different dossiers looked up.")
    ctx.http_summaries["tracking_http"] = summary
    return result


# ---------------------------------------------------------------------------------------------
# pgbench: the reference on the same server
# ---------------------------------------------------------------------------------------------

PGBENCH_DB = "egov_pgbench"


def _pgbench(args: list[str], env: dict[str, str], timeout: float) -> str:
    done = subprocess.run(  # noqa: S603
        ["pgbench", *args],  # noqa: S607
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"pgbench {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return done.stdout + done.stderr


def parse_pgbench(output: str) -> dict[str, float]:
    figures: dict[str, float] = {}
    tps = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", output)
    if tps is None:
        tps = re.search(r"tps = ([0-9.]+)", output)
    latency = re.search(r"latency average = ([0-9.]+) ms", output)
    failed = re.search(r"number of failed transactions: (\d+)", output)
    if tps:
        figures["tps"] = float(tps.group(1))
    if latency:
        figures["latency_ms"] = float(latency.group(1))
    figures["failed"] = float(failed.group(1)) if failed else 0.0
    return figures


def pgbench(ctx: BenchContext) -> ScenarioResult:
    import os

    cfg = ctx.config
    result = ScenarioResult(
        "pgbench",
        "PostgreSQL reference (pgbench)",
        f"What the same PostgreSQL server does on its own in the same run: `pgbench -i -s "
        f"{cfg.pgbench_scale}` into a scratch database, then select-only (`-S`) and the "
        f"TPC-B-like default script, {cfg.clients} clients, 2 threads, "
        f"{fmt(cfg.pgbench_seconds, 0)} s each. The ratios compare the application's HTTP "
        "throughput with them.",
    )
    server = ctx.db.server
    if server is None:
        result.skipped = "runs on PostgreSQL only (this run used SQLite)"
        return result
    if shutil.which("pgbench") is None:
        result.skipped = "pgbench not found (Debian: apt-get install postgresql-client)"
        return result
    env = {**os.environ, **server.env(), "PGDATABASE": PGBENCH_DB}
    seconds = str(int(max(1, cfg.pgbench_seconds)))
    common = ["-c", str(cfg.clients), "-j", "2", "-T", seconds, PGBENCH_DB]
    server.drop(PGBENCH_DB)
    server.create(PGBENCH_DB)
    try:
        _pgbench(["-i", "-q", "-s", str(cfg.pgbench_scale), PGBENCH_DB], env, 900)
        select = parse_pgbench(_pgbench(["-S", *common], env, cfg.pgbench_seconds + 120))
        tpcb = parse_pgbench(_pgbench(common, env, cfg.pgbench_seconds + 120))
    finally:
        server.drop(PGBENCH_DB)
    rows = []
    for label, figures in (("select-only (-S)", select), ("TPC-B-like (default)", tpcb)):
        rows.append(
            [
                label,
                str(cfg.clients),
                seconds,
                fmt(figures.get("tps", 0.0)),
                fmt(figures.get("latency_ms", 0.0), 2),
                str(int(figures["failed"])),
            ]
        )
        if figures["failed"]:
            result.problems.append(f"pgbench {label}: {int(figures['failed'])} failed")
    result.tables.append(
        Table(["script", "clients", "seconds", "TPS", "latency avg ms", "failed"], rows)
    )
    result.metrics = {"select_tps": select.get("tps", 0.0), "tpcb_tps": tpcb.get("tps", 0.0)}
    ratios = []
    tracking = ctx.http_summaries.get("tracking_http")
    submit = ctx.http_summaries.get("submit_http")
    if tracking and result.metrics["select_tps"]:
        ratio = tracking["throughput"] / result.metrics["select_tps"]
        result.metrics["tracking_ratio"] = ratio
        ratios.append(["tracking_http req/s ÷ pgbench select-only TPS", f"{ratio:.4f}"])
    if submit and result.metrics["tpcb_tps"]:
        ratio = submit["throughput"] / result.metrics["tpcb_tps"]
        result.metrics["submit_ratio"] = ratio
        ratios.append(["submit_http req/s ÷ pgbench TPC-B-like TPS", f"{ratio:.4f}"])
    floor = ctx.http_summaries.get("http_floor")
    if floor and result.metrics["select_tps"]:
        ratio = floor["throughput"] / result.metrics["select_tps"]
        result.metrics["floor_ratio"] = ratio
        ratios.append(["http_floor req/s ÷ pgbench select-only TPS (the ceiling)", f"{ratio:.4f}"])
    if ratios:
        result.tables.append(Table(["ratio", "value"], ratios, title="Ratios"))
    else:
        result.notes.append("No ratio: the HTTP scenarios did not run in this run.")
    return result


# ---------------------------------------------------------------------------------------------
# Memory
# ---------------------------------------------------------------------------------------------


def _mib(kib: int | None) -> str:
    return "n/a" if kib is None else fmt(kib / 1024, 1)


def huey_queue_length(work_dir: Path) -> int | None:
    try:
        from huey import SqliteHuey

        return int(SqliteHuey(name="egov", filename=str(work_dir / "huey.sqlite3")).pending_count())
    except Exception:
        return None


def memory(ctx: BenchContext) -> ScenarioResult:
    from egov.events.models import OutboxMessage

    from .server import run_huey_for

    cfg = ctx.config
    result = ScenarioResult(
        "memory",
        "Memory",
        "Peak resident memory (VmHWM from /proc/<pid>/status): of each web server worker "
        "(gunicorn's or granian's) over the HTTP scenarios, and of a Huey consumer "
        "(`run_huey --no-periodic`, thread workers) "
        "started afterwards and stopped once it has delivered the outbox messages the "
        "submissions queued (an e-mail and an SMS per dossier: e-mail to files, SMS to a "
        "stand-in gateway that discards).",
    )
    rows = []
    for label, peaks in ctx.gunicorn_peaks.items():
        if not peaks:
            continue
        values = sorted(peaks.values())
        rows.append(
            [
                f"web worker ({label})",
                str(len(values)),
                _mib(max(values)),
                _mib(int(sum(values) / len(values))),
            ]
        )
        result.metrics[f"gunicorn_max_mib:{label}"] = max(values) / 1024
    outstanding = [
        OutboxMessage.Status.PENDING,
        OutboxMessage.Status.DELIVERING,
        OutboxMessage.Status.FAILED,
    ]
    messages = OutboxMessage.objects.all()
    waiting_before = messages.filter(status__in=outstanding).count()
    delivered_before = messages.filter(status=OutboxMessage.Status.DELIVERED).count()
    queued = huey_queue_length(ctx.work_dir)

    def delivered() -> int:
        return messages.filter(status=OutboxMessage.Status.DELIVERED).count()

    def drained() -> bool:
        return not messages.filter(status__in=outstanding).exists()

    huey = run_huey_for(
        env=ctx.env,
        seconds=cfg.huey_seconds,
        log_path=ctx.work_dir / "huey.log",
        progress=delivered,
        done=drained,
    )
    sent = delivered() - delivered_before
    waiting_after = messages.filter(status__in=outstanding).count()
    connection.close()
    rows.append(["Huey consumer (run_huey)", "1", _mib(huey.peak_rss_kib), "—"])
    result.tables.append(Table(["process", "processes", "peak RSS MiB", "mean MiB"], rows))
    if huey.peak_rss_kib is not None:
        result.metrics["huey_mib"] = huey.peak_rss_kib / 1024
    else:
        result.problems.append("memory: could not read the Huey consumer's memory")
    drain = ""
    if huey.first_progress is not None and huey.finished is not None and sent:
        window = max(huey.finished - huey.first_progress, 0.25)
        result.metrics["outbox_per_s"] = sent / window
        drain = (
            f" It started delivering {fmt(huey.first_progress, 1)} s after launch and emptied "
            f"the outbox {fmt(window, 1)} s later: about {fmt(sent / window, 0)} messages/s "
            "(polled every 0.25 s)."
        )
    result.notes.append(
        f"The consumer found {waiting_before} outbox messages waiting "
        f"({queued if queued is not None else '?'} queued Huey tasks) and delivered {sent} in "
        f"{fmt(huey.seconds, 1)} s; {waiting_after} left waiting.{drain}"
    )
    if waiting_after and waiting_before:
        result.notes.append(
            f"The outbox was not drained within the {fmt(cfg.huey_seconds, 0)} s allowed."
        )
    if not ctx.gunicorn_peaks:
        result.notes.append("No HTTP scenario ran: no gunicorn figure.")
    return result


# ---------------------------------------------------------------------------------------------
# Official documents: PAdES signing and validation, edXML between two instances
# ---------------------------------------------------------------------------------------------


def signing(ctx: BenchContext) -> ScenarioResult:
    from egov.core.actors import SYSTEM
    from egov.org.models import Agency
    from egov.signing import services as signing_services
    from egov.signing.services import Appearance

    cfg = ctx.config
    result = ScenarioResult(
        "signing",
        "PAdES signatures (in-process)",
        "A one-page A4 PDF with Vietnamese text signed with the agency's certificate and the "
        "Decree 30 appearance (pyHanko, PAdES B-B, EC P-256), then validated against the trust "
        "list: signatures per second and validations per second, one process.",
    )
    from weasyprint import HTML

    agency = Agency.objects.get(pk=ctx.seeded.agency_ids[0])
    signing_services.ensure_demo_ca(actor=SYSTEM)
    identity = signing_services.identity_for_agency(agency)
    pdf = bytes(
        HTML(string="<h1>Quyết định</h1><p>Về việc phê duyệt kế hoạch năm 2026.</p>").write_pdf()
    )
    appearance = Appearance(
        title="CHỦ TỊCH", full_name="Nguyễn Văn Bình", number_symbol="15/QĐ-UBND"
    )
    signed: list[bytes] = []

    def sign(i: int) -> None:
        signed.append(
            signing_services.sign_pdf(pdf, identity=identity, role="agency", appearance=appearance)
        )

    def validate(i: int) -> None:
        report = signing_services.validate_pdf(signed[i % len(signed)])
        if not report.valid:
            raise RuntimeError(f"validation failed: {report.errors}")

    one = _repeat(sign, seconds=cfg.inproc_seconds, limit=cfg.inproc_limit, warm=2)
    two = _repeat(validate, seconds=cfg.inproc_seconds, limit=cfg.inproc_limit, warm=2)
    connection.close()
    columns = ["operation", "count", "seconds", "per second", "p50 ms", "p95 ms", "p99 ms"]
    result.tables.append(
        Table(
            columns,
            [
                [
                    "sign (agency signature)",
                    str(one.operations),
                    fmt(one.seconds, 2),
                    fmt(one.rate),
                    *one.latency_cells(),
                ],
                [
                    "validate",
                    str(two.operations),
                    fmt(two.seconds, 2),
                    fmt(two.rate),
                    *two.latency_cells(),
                ],
            ],
        )
    )
    result.metrics = {"sign_per_s": one.rate, "validate_per_s": two.rate}
    return result


def exchange(ctx: BenchContext) -> ScenarioResult:
    from egov.exchange import bench as exchange_bench

    seconds = 5.0 if ctx.config.quick else 20.0
    result = ScenarioResult(
        "exchange",
        "Signed edXML packages between two instances (HTTP)",
        "Instance A (agency A) sends signed edXML packages with a 50 KB PDF attachment to "
        "instance B (agency B), a separate process with its own database, over HTTP through the "
        "outbox: each package is built, XML-signed, sent, verified against the trust list, "
        "registered and answered with status 01. Four sending threads.",
    )
    figures = exchange_bench.run(seconds=seconds, concurrency=4)
    rows = [
        [str(key), str(value)]
        for key, value in figures.items()
        if not isinstance(value, dict | list)
    ]
    result.tables.append(Table(["figure", "value"], rows))
    result.metrics = {
        k: float(v)
        for k, v in figures.items()
        if isinstance(v, int | float) and not isinstance(v, bool)
    }
    if figures.get("received_rejected"):
        result.problems.append(f"{figures['received_rejected']} packages were rejected")
    return result
