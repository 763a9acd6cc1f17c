"""Runs the benchmark: database, seed, scenarios, then the report.

    config = BenchConfig.make(quick=False, only=None)
    report = run_bench(config, log=print)
    write_report(report, path)          # egov.bench.report

Order: the in-process scenarios (events, calendar), then the HTTP ones under gunicorn
(dossiers for the lookups are submitted first; with `worker_class="auto"` sync and gthread
workers are both probed with the lookup load and the faster one serves the measured runs),
then pgbench (with the server idle), then memory (the Huey consumer drains what the
submissions queued).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils.crypto import get_random_string

from . import scenarios
from .database import BenchDatabase
from .machine import Machine, Provenance, describe, load_average, provenance
from .scenarios import HTTP_SCENARIOS, SCENARIOS, ScenarioResult, Table
from .seed import Seeded, make_pdf, seed
from .server import AppServer, bench_env

Log = Callable[[str], None]


@dataclass
class BenchConfig:
    quick: bool = False
    only: tuple[str, ...] = SCENARIOS
    db_name: str = "egov_bench"
    keep: bool = False
    clients: int = 16
    client_processes: int = 2
    duration: float = 15.0  # measured seconds per HTTP scenario
    warmup: float = 2.0
    probe_seconds: float = 5.0  # per worker class when choosing
    inproc_seconds: float = 5.0
    inproc_limit: int = 200_000
    citizens: int = 1500
    prime: int = 200  # dossiers submitted before anything is measured (for the lookups)
    warm_submissions: int = 64  # after each server start, before measuring
    worker_class: str = "auto"  # auto, sync, gthread
    workers: int = 4
    threads: int = 4
    pgbench_scale: int = 10
    pgbench_seconds: float = 15.0
    huey_seconds: float = 90.0  # at most: the consumer stops once the outbox is empty
    pdf_bytes: int = 50_000

    @classmethod
    def make(
        cls, *, quick: bool = False, only: list[str] | None = None, **overrides: Any
    ) -> BenchConfig:
        selected = tuple(only) if only else SCENARIOS
        unknown = [s for s in selected if s not in SCENARIOS]
        if unknown:
            raise ValueError(
                f"unknown scenario(s): {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}"
            )
        values: dict[str, Any] = {"quick": quick, "only": selected}
        if quick:
            values.update(
                duration=3.0,
                warmup=1.0,
                probe_seconds=1.5,
                inproc_seconds=1.0,
                citizens=300,
                prime=40,
                warm_submissions=16,
                pgbench_scale=1,
                pgbench_seconds=3.0,
                huey_seconds=30.0,
            )
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def needs_http(self) -> bool:
        return any(s in self.only for s in (*HTTP_SCENARIOS, "memory"))

    def describe(self) -> list[tuple[str, str]]:
        return [
            ("Scenarios", ", ".join(self.only)),
            ("Mode", "quick (small counts: not for comparison)" if self.quick else "full"),
            (
                "HTTP load",
                f"{self.clients} concurrent keep-alive clients ({self.client_processes} "
                f"processes), {self.warmup:g} s warm-up then {self.duration:g} s measured",
            ),
            (
                "Application server",
                f"gunicorn, {self.workers} workers, settings egov.settings.bench, 127.0.0.1",
            ),
            ("In-process scenarios", f"{self.inproc_seconds:g} s per case"),
            ("Citizens seeded", str(self.citizens)),
        ]


@dataclass
class BenchContext:
    config: BenchConfig
    db: BenchDatabase
    seeded: Seeded
    work_dir: Path
    env: dict[str, str]
    base_dir: Path
    submission_body_path: Path
    server: AppServer | None = None
    http_summaries: dict[str, dict[str, Any]] = field(default_factory=dict)
    gunicorn_peaks: dict[str, dict[int, int]] = field(default_factory=dict)

    def require_server(self) -> AppServer:
        if self.server is None:
            raise RuntimeError("the application server is not running")
        return self.server


@dataclass
class BenchReport:
    config: BenchConfig
    machine: Machine
    provenance: Provenance
    database: str
    results: list[ScenarioResult] = field(default_factory=list)
    seconds: float = 0.0
    load_after: str = ""

    @property
    def problems(self) -> list[str]:
        return [p for r in self.results for p in r.problems]


def _run(
    name: str, func: Callable[[BenchContext], ScenarioResult], ctx: BenchContext, log: Log
) -> ScenarioResult:
    log(f"scenario {name} ...")
    started = time.monotonic()
    try:
        result = func(ctx)
    except Exception as exc:
        log(traceback.format_exc())
        result = ScenarioResult(name, name, "", problems=[f"{name}: {type(exc).__name__}: {exc}"])
    log(f"scenario {name} done in {time.monotonic() - started:.1f} s")
    log_result(result, log)
    return result


def log_result(result: ScenarioResult, log: Log) -> None:
    """A scenario's tables, notes and problems, one line each, as the run goes."""
    for table in result.tables:
        for row in table.rows:
            log("    " + " | ".join(row))
    for note in result.notes:
        log(f"    - {note}")
    for problem in result.problems:
        log(f"    PROBLEM: {problem}")


def _start(ctx: BenchContext, worker_class: str, label: str) -> AppServer:
    cfg = ctx.config
    server = AppServer(
        env=ctx.env,
        log_path=ctx.work_dir / f"gunicorn-{label}.log",
        worker_class=worker_class,
        workers=cfg.workers,
        threads=cfg.threads,
    )
    server.start()
    return server


def _http(ctx: BenchContext, log: Log) -> list[ScenarioResult]:
    cfg = ctx.config
    results: list[ScenarioResult] = []
    choice = ScenarioResult(
        "server",
        "Application server",
        "gunicorn worker classes probed with the lookup load "
        f"({fmt_s(cfg.probe_seconds)} measured each); the faster one served the measured "
        "HTTP scenarios.",
    )
    primed = False
    classes = ["sync", "gthread"] if cfg.worker_class == "auto" else [cfg.worker_class]
    if len(classes) > 1:
        probes: dict[str, float] = {}
        rows = []
        for worker_class in classes:
            server = _start(ctx, worker_class, f"probe-{worker_class}")
            try:
                if not primed:
                    log(f"submitting {cfg.prime} dossiers for the lookups ...")
                    scenarios.prime_dossiers(ctx, server.port, cfg.prime)
                    primed = True
                log(f"warming up {server.label} ...")
                scenarios.warm_up(ctx, server.port)
                log(f"probing {server.label} ...")
                summary = scenarios.probe_tracking(ctx, server.port)
            finally:
                server.stop()
            probes[worker_class] = summary["throughput"]
            rows.append(scenarios.http_row(server.label, summary))
            log("    " + " | ".join(rows[-1]))
            choice.problems += scenarios.load_problems(f"probe {worker_class}", summary)
        chosen = max(probes, key=lambda k: probes[k])
        choice.tables.append(Table(scenarios.HTTP_COLUMNS, rows, title="Probe (tracking_http)"))
    else:
        chosen = classes[0]
        choice.meaning = "gunicorn worker class chosen on the command line."
    server = _start(ctx, chosen, chosen)
    ctx.server = server
    choice.notes.append(f"Measured runs used: **{server.label}**.")
    choice.metrics["workers"] = cfg.workers
    log(f"application server: {server.label} on 127.0.0.1:{server.port}")
    results.append(choice)
    try:
        if not primed:
            log(f"submitting {cfg.prime} dossiers for the lookups ...")
            scenarios.prime_dossiers(ctx, server.port, cfg.prime)
        log(f"warming up {server.label} ...")
        scenarios.warm_up(ctx, server.port)
        for name in HTTP_SCENARIOS:
            if name in cfg.only:
                results.append(_run(name, getattr(scenarios, name), ctx, log))
        server.sample_memory()
    finally:
        server.stop()
        ctx.gunicorn_peaks[server.label] = dict(server.peaks_kib)
        ctx.server = None
    return results


def fmt_s(seconds: float) -> str:
    return f"{seconds:g} s"


def run_bench(config: BenchConfig, log: Log) -> BenchReport:
    started = time.monotonic()
    load_before = load_average()
    cores = os.cpu_count() or 1
    try:
        if float(load_before.split("/")[0]) > cores / 2:
            log(
                f"WARNING: the machine is busy (load average {load_before} on {cores} cores): "
                "other work will compete with the benchmark and lower the figures"
            )
    except ValueError:
        pass
    work_dir = Path(tempfile.mkdtemp(prefix="egov-bench-"))
    db = BenchDatabase.plan(name=config.db_name, work_dir=work_dir, keep=config.keep)
    secret_key = get_random_string(50)
    ctx: BenchContext | None = None
    try:
        log(f"database: {db.label} (created fresh{'; kept afterwards' if db.keep else ''}) ...")
        db.prepare()
        machine = describe()
        machine = Machine(**{**machine.__dict__, "load_before": load_before})
        report = BenchReport(
            config=config, machine=machine, provenance=provenance(), database=db.label
        )
        citizens = config.citizens if config.needs_http else 0
        log(f"seeding four agencies, a procedure and {citizens} citizens ...")
        seeded = seed(citizens=citizens, secret_key=secret_key)
        body_path = work_dir / "submission.bin"
        body_path.write_bytes(
            scenarios.submission_body(
                seeded.procedure_code, seeded.agency_identifier, make_pdf(config.pdf_bytes)
            )
        )
        connection.close()
        ctx = BenchContext(
            config=config,
            db=db,
            seeded=seeded,
            work_dir=work_dir,
            env=bench_env(database_url=db.url, secret_key=secret_key, work_dir=work_dir),
            base_dir=Path(settings.BASE_DIR),
            submission_body_path=body_path,
        )
        for name in ("events", "calendar", "signing", "exchange"):
            if name in config.only:
                report.results.append(_run(name, getattr(scenarios, name), ctx, log))
        if config.needs_http:
            try:
                report.results += _http(ctx, log)
            except Exception as exc:
                log(traceback.format_exc())
                report.results.append(
                    ScenarioResult(
                        "server",
                        "Application server",
                        "",
                        problems=[f"HTTP scenarios: {type(exc).__name__}: {exc}"],
                    )
                )
        for name in ("pgbench", "memory"):
            if name in config.only:
                report.results.append(_run(name, getattr(scenarios, name), ctx, log))
        report.seconds = time.monotonic() - started
        report.load_after = load_average()
        return report
    finally:
        if ctx is not None and ctx.server is not None:
            ctx.server.stop()
        db.drop()
        if not config.keep:
            shutil.rmtree(work_dir, ignore_errors=True)
        else:
            log(f"kept: {db.label} and {work_dir}")
