"""The scale benchmark: the one-stop system and the dashboard on a generated province.

    python manage.py bench_scale --dossiers 1000000        # make bench-scale

1. A PostgreSQL database of its own (`egov_scale_<N>`), filled by the generator
   (egov/bench/province.py) with N dossiers; kept afterwards and reused by the next run with
   the same N (`--fresh` regenerates), since generating is the slow part.
2. gunicorn on it, then, with 16 concurrent clients unless said otherwise:
   - lifecycle: whole dossier lifecycles through the REST API (receive in person with a PDF,
     four processing steps each forwarded by the official holding it, return), with several
     officials per role acting concurrently;
   - work queue: the officials' work-queue page (/mot-cua/) and its API, each request as a
     different official among the busiest ones (their queues are the longest);
   - dashboard: the dashboard page and the 766 index page for the whole province, current
     month, as the operator;
   - tracking: public lookups by dossier code over the whole table; submission: online
     submissions through the REST API, each as a different citizen;
   - public: the catalogue list, a procedure page, search, home and transparency pages as
     anonymous visitors on a generated catalogue of 2,000 procedures, and a change to a
     procedure checked on the next request (egov/bench/public.py);
   - aggregates vs naive: the dashboard's figures for a month and a year from the aggregate
     tables, timed in-process, against the same counts by GROUP BY over the dossier table;
   - drill: the first two pages of the dossier lists behind the figures, in-process;
   - memory: peak RSS of the web workers over all of the above, and of a Huey consumer
     delivering the outbox messages the submissions queued;
   - pgbench on the same server in the same run (the physical reference), and the ratios.
3. The figures go to docs/benchmarks.md between their own markers (the main `bench`
   figures are left as they are).
"""

from __future__ import annotations

import gc
import json
import shutil
import statistics
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from django.utils.crypto import get_random_string

from . import scenarios
from .database import BenchDatabase
from .loadgen import percentile
from .machine import describe, load_average, provenance
from .public import ensure_catalogue, public_pages
from .report import write_section
from .runner import log_result
from .scenarios import ScenarioResult, Table, fmt
from .seed import FAST_HASHER, bench_sector, login_session, make_pdf, personal_id
from .server import AppServer, bench_env

Log = Callable[[str], None]

START = (
    "<!-- bench:scale:start — written by `python manage.py bench_scale`; do not edit by hand -->"
)
END = "<!-- bench:scale:end -->"

LIFECYCLE_AGENCY = "000.00.98.H41"
LIFECYCLE_PROCEDURE = "9.000002.000.00.00.H41"
LIFECYCLE_COMPONENT = "don-de-nghi"
BOUNDARY = "egovscale3Hq8ZtVbW1x"


SCENARIOS = (
    "data",
    "aggregates",
    "drill",
    "floor",
    "work_queue",
    "dashboard",
    "tracking",
    "submission",
    "lifecycle",
    "public",
    "memory",
    "pgbench",
)
HTTP_SCENARIOS = (
    "floor",
    "work_queue",
    "dashboard",
    "tracking",
    "submission",
    "lifecycle",
    "public",
)


@dataclass
class ScaleConfig:
    dossiers: int = 1_000_000
    only: frozenset[str] | None = None  # None: every scenario
    fresh: bool = False
    clients: int = 16
    client_processes: int = 2
    lifecycle_clients: int = 16
    duration: float = 20.0
    warmup: float = 3.0
    workers: int = 4
    queue_officials: int = 300
    aggregate_runs: int = 40
    naive_runs: int = 3
    pgbench_scale: int = 10
    pgbench_seconds: float = 15.0
    pdf_bytes: int = 50_000
    tracking_lookups: int = 20_000
    citizens: int = 2_000
    huey_seconds: float = 120.0
    procedures: int = 2_000  # the public pages' catalogue (egov/bench/catalogue.py)
    # The servers the HTTP scenarios run under, one after the other in the same run (SERVERS).
    servers: tuple[str, ...] = ("gunicorn",)
    granian_workers: int = 2
    granian_threads: int = 2
    database: str = ""  # another database than egov_scale_<N> (e.g. a helper's own)

    def wants(self, scenario: str) -> bool:
        return self.only is None or scenario in self.only

    @property
    def db_name(self) -> str:
        return self.database or f"egov_scale_{self.dossiers}"


@dataclass
class ScaleContext:
    """What scenarios.run_load and scenarios.pgbench read (duck-typed BenchContext)."""

    config: ScaleConfig
    db: BenchDatabase
    work_dir: Path
    base_dir: Path
    env: dict[str, str]
    http_summaries: dict[str, dict[str, Any]] = field(default_factory=dict)
    gunicorn_peaks: dict[str, dict[int, int]] = field(default_factory=dict)  # label -> pid -> KiB
    server_label: str = ""  # the server the HTTP scenarios are running under now
    server_pid: int | None = None  # its master process (CPU accounting: egov.bench.cpu)


@dataclass
class ScaleReport:
    config: ScaleConfig
    machine: Any
    provenance: Any
    results: list[ScenarioResult] = field(default_factory=list)
    seconds: float = 0.0
    load_before: str = ""
    load_after: str = ""


# --- set-up -----------------------------------------------------------------------------------


def _lifecycle_setup() -> None:
    """An agency with several officials per role and a procedure of four processing steps."""
    from egov.accounts.services import create_official
    from egov.catalog import services as catalog
    from egov.catalog.models import OnlineMode, Procedure
    from egov.core.actors import SYSTEM
    from egov.demo.data import DEMO_PASSWORD
    from egov.org import services as org
    from egov.org.models import Agency, Role, Unit

    if Procedure.objects.filter(code=LIFECYCLE_PROCEDURE).exists():
        return
    parent = Agency.objects.get(identifier="000.00.00.H41")
    agency = org.create_agency(
        actor=SYSTEM,
        identifier=LIFECYCLE_AGENCY,
        name="Trung tâm thử tải vòng đời hồ sơ",
        abbreviation="TTVĐ",
        kind=Agency.Kind.DEPARTMENT,
        admin_unit=parent.admin_unit,
        parent=parent,
    )
    K = Unit.Kind
    units = {
        code: org.create_unit(actor=SYSTEM, agency=agency, code=code, name=name, kind=kind)
        for code, name, kind in (
            ("MC", "Bộ phận Một cửa", K.ONE_STOP_DESK),
            ("CM", "Phòng Chuyên môn", K.PROFESSIONAL),
            ("LD", "Lãnh đạo", K.LEADERSHIP),
        )
    }
    staff = (
        [("MC", Role.RECEIVER)] * 4
        + [("CM", Role.SPECIALIST)] * 8
        + [("CM", Role.UNIT_HEAD)] * 3
        + [("LD", Role.LEADER)] * 3
    )
    with override_settings(PASSWORD_HASHERS=FAST_HASHER):
        for n, (unit, role) in enumerate(staff, start=1):
            create_official(
                actor=SYSTEM,
                username=f"vongdoi.cb{n:02d}",
                full_name=f"Cán bộ thử tải {n}",
                password=DEMO_PASSWORD,
                agency=agency,
                unit=units[unit],
                roles=[role],
            )
    sector = bench_sector()
    catalog.create_procedure(
        actor=SYSTEM,
        code=LIFECYCLE_PROCEDURE,
        name="Cấp giấy phép (thử tải vòng đời hồ sơ)",
        sector=sector,
        level="province",
        processing_time=Decimal("9"),
        online_mode=OnlineMode.NONE,
        agencies=[agency],
        is_published=True,
        components=[catalog.ComponentSpec(code=LIFECYCLE_COMPONENT, name="Đơn đề nghị")],
        fees=[],
        steps=[
            catalog.StepSpec("Tiếp nhận hồ sơ", "receiver", "0.5", "one_stop"),
            catalog.StepSpec("Thụ lý hồ sơ", "specialist", "3", "professional"),
            catalog.StepSpec("Thẩm định", "specialist", "3", "professional"),
            catalog.StepSpec("Xem xét, trình ký", "unit_head", "1", "professional"),
            catalog.StepSpec("Phê duyệt", "leader", "1", "leadership"),
            catalog.StepSpec("Trả kết quả", "receiver", "0.5", "one_stop"),
        ],
    )


def _reception_body(pdf: bytes) -> bytes:
    def field_part(name: str, value: str) -> bytes:
        return (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        ).encode()

    body = b"".join(
        field_part(k, v)
        for k, v in (
            ("procedure", LIFECYCLE_PROCEDURE),
            ("applicant_kind", "citizen"),
            ("applicant_name", "Nguyễn Văn Thử"),
            ("applicant_id_number", personal_id(99999)),
            ("channel", "1"),
            ("result_delivery", "desk"),
        )
    )
    body += (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file__{LIFECYCLE_COMPONENT}"; '
        f'filename="don.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
    ).encode()
    return body + pdf + f"\r\n--{BOUNDARY}--\r\n".encode()


def _session(user: Any, secret_key: str) -> dict[str, str]:
    """Cookie and CSRF token of a logged-in session that passed the second factor."""
    with override_settings(SECRET_KEY=secret_key):
        session_key = login_session(user, second_factor=True)
    csrf = get_random_string(32)
    return {
        "cookie": f"{settings.SESSION_COOKIE_NAME}={session_key}; "
        f"{settings.CSRF_COOKIE_NAME}={csrf}",
        "csrf": csrf,
    }


def _with_totp(users: list[Any]) -> None:
    from allauth.mfa.models import Authenticator

    from egov.demo.data import ensure_totp

    have = set(
        Authenticator.objects.filter(user__in=users, type=Authenticator.Type.TOTP).values_list(
            "user_id", flat=True
        )
    )
    for user in users:
        if user.pk not in have:
            ensure_totp(user)


# --- scenarios --------------------------------------------------------------------------------


LIFECYCLE_COLUMNS = ["call", "calls", "calls/s", "p50 ms", "p95 ms", "p99 ms"]


def lifecycle(ctx: ScaleContext, port: int, secret_key: str) -> ScenarioResult:
    from egov.org.models import Official, Role

    cfg = ctx.config
    officials = list(
        Official.objects.filter(agency__identifier=LIFECYCLE_AGENCY).select_related("user")
    )
    _with_totp([o.user for o in officials])
    sessions = {o.pk: _session(o.user, secret_key) for o in officials}
    receivers = [sessions[o.pk] for o in officials if o.has_role(Role.RECEIVER)]
    body_path = ctx.work_dir / "reception.bin"
    body_path.write_bytes(_reception_body(make_pdf(cfg.pdf_bytes)))
    spec = {
        "host": "127.0.0.1",
        "port": port,
        "clients": cfg.lifecycle_clients,
        "warmup": cfg.warmup,
        "duration": cfg.duration,
        "body_file": str(body_path),
        "content_type": f"multipart/form-data; boundary={BOUNDARY}",
        "receivers": receivers,
        "officials": {str(k): v for k, v in sessions.items()},
    }
    out = scenarios.run_tool(
        ctx,  # type: ignore[arg-type]
        "egov.bench.lifecycle_load",
        spec,
        name="lifecycle",
        timeout=cfg.warmup + cfg.duration + 300,
    )
    result = ScenarioResult(
        "lifecycle",
        "Dossier lifecycles through the REST API (issue #4)",
        f"{cfg.lifecycle_clients} desks at once, each taking dossier after dossier through "
        "its whole life: received in person with a scanned PDF (receipt, appointment date, "
        "steps created), forwarded through four processing steps (specialist, specialist, "
        "unit head, leader — each call made by the official the engine assigned, among "
        f"{len(officials)} officials of the agency), then the result returned at the desk: "
        "6 API calls and 6+ events per lifecycle, on the generated province's database.",
    )
    result.tables.append(
        Table(
            ["desks", "seconds", "lifecycles", "lifecycles/s", "lifecycle p50 ms", "p99 ms"],
            [
                [
                    str(out["clients"]),
                    fmt(out["duration"], 0),
                    str(out["lifecycles"]),
                    fmt(out["lifecycles_per_s"], 2),
                    fmt(out["lifecycle_ms"]["p50"], 0),
                    fmt(out["lifecycle_ms"]["p99"], 0),
                ]
            ],
        )
    )
    result.tables.append(
        Table(
            LIFECYCLE_COLUMNS,
            [
                [
                    kind,
                    str(v["count"]),
                    fmt(v["per_s"]),
                    fmt(v["p50"], 1),
                    fmt(v["p95"], 1),
                    fmt(v["p99"], 1),
                ]
                for kind, v in out["actions"].items()
            ],
            title="Per call",
        )
    )
    result.metrics = {"lifecycles_per_s": out["lifecycles_per_s"]}
    if out["errors"]:
        result.problems.append(
            f"lifecycle: {out['errors']} failed lifecycles: " + "; ".join(out["error_samples"])
        )
    if not out["lifecycles"]:
        result.problems.append("lifecycle: no lifecycle completed in the measured window")
    return result


def _busiest_officials(limit: int) -> list[Any]:
    from django.db.models import Count, Q

    from egov.onestop.models import StepStatus
    from egov.org.models import Official

    return list(
        Official.objects.annotate(
            active=Count("assigned_steps", filter=Q(assigned_steps__status=StepStatus.ACTIVE))
        )
        .filter(active__gt=0)
        .exclude(agency__identifier=LIFECYCLE_AGENCY)
        .select_related("user")
        .order_by("-active")[:limit]
    )


def _get_requests(paths: list[str], sessions: list[dict[str, str]], accept: str) -> list[Any]:
    return [
        {
            "method": "GET",
            "path": path,
            "headers": {"Cookie": s["cookie"], "Accept": accept},
        }
        for s in sessions
        for path in paths
    ]


def _http_scenario(
    ctx: ScaleContext,
    port: int,
    name: str,
    title: str,
    meaning: str,
    requests: list[Any],
    *,
    body_files: list[str] | None = None,
    expect: list[int] | None = None,
    collect_field: str | None = None,
) -> ScenarioResult:
    cfg = ctx.config
    summary = scenarios.run_load(
        ctx,  # type: ignore[arg-type]
        port=port,
        requests=requests,
        body_files=body_files or [],
        expect=expect or [200],
        duration=cfg.duration,
        warmup=cfg.warmup,
        max_requests=10**7,
        collect_field=collect_field,
        name=name,
        server_pid=ctx.server_pid,
    )
    ctx.http_summaries[name] = summary
    result = ScenarioResult(name, title, meaning)
    label = ctx.server_label or f"sync, {cfg.workers} workers"
    result.tables.append(Table(scenarios.HTTP_COLUMNS, [scenarios.http_row(label, summary)]))
    scenarios.add_cpu(result, label, summary)
    result.metrics.update(
        throughput=summary["throughput"],
        p50=summary["latency_ms"]["p50"],
        p99=summary["latency_ms"]["p99"],
    )
    result.problems += scenarios.load_problems(name, summary)
    return result


def work_queue(ctx: ScaleContext, port: int, secret_key: str) -> list[ScenarioResult]:
    from egov.onestop.models import DossierStep, StepStatus

    officials = _busiest_officials(ctx.config.queue_officials)
    _with_totp([o.user for o in officials])
    sessions = [_session(o.user, secret_key) for o in officials]
    active = DossierStep.objects.filter(status=StepStatus.ACTIVE).count()
    per = [o.active for o in officials]
    described = (
        f"Each request as a different official, cycling over the {len(officials)} officials "
        f"with the most active steps (their queues: {min(per) if per else 0}–"
        f"{max(per) if per else 0} dossiers; {active:,} active steps in all), "
        f"{ctx.config.clients} concurrent clients."
    )
    return [
        _http_scenario(
            ctx,
            port,
            "work_queue_page",
            "Officials' work-queue page /mot-cua/ (issue #4, #6)",
            "The HTML page an official opens all day: first page of their queue, most urgent "
            "first, with on-time/near-due/overdue marks (keyset pagination). " + described,
            _get_requests(["/mot-cua/"], sessions, "text/html"),
        ),
        _http_scenario(
            ctx,
            port,
            "work_queue_api",
            "Work queue through the API /api/v1/onestop/queue/",
            "The same queue as JSON. " + described,
            _get_requests(["/api/v1/onestop/queue/"], sessions, "application/json"),
        ),
    ]


def floor(ctx: ScaleContext, port: int) -> ScenarioResult:
    """The least a request can cost here: the health check through the whole middleware stack
    and one `SELECT 1`. What every other figure is bounded by on this machine."""
    return _http_scenario(
        ctx,
        port,
        "http_floor",
        "The floor: health check through the whole stack",
        "`GET /healthz` (anonymous: every middleware, URL routing, one `SELECT 1`, a small JSON "
        f"answer), {ctx.config.clients} concurrent keep-alive clients: the most requests per "
        "second this server setup can answer on this machine, whatever the view does. The "
        "load generator shares the two cores.",
        [{"method": "GET", "path": "/healthz", "headers": {"Accept": "application/json"}}],
    )


def tracking(ctx: ScaleContext, port: int) -> ScenarioResult:
    """Public lookups by dossier code over the whole generated table (issue #6, figure 2)."""
    import random

    from egov.dossiers.models import Dossier

    top = Dossier.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    rng = random.Random(2026)  # noqa: S311 - spread the lookups over the table
    ids = rng.sample(range(1, top + 1), min(ctx.config.tracking_lookups, top))
    pairs = list(
        Dossier.objects.filter(pk__in=ids)
        .exclude(applicant_id_number="")
        .values_list("code", "applicant_id_number")
    )
    rng.shuffle(pairs)
    requests = [
        {
            "method": "POST",
            "path": "/api/v1/tracking/",
            "headers": {"Content-Type": "application/json", "Accept": "application/json"},
            "body": json.dumps({"code": code, "second_factor": secret}),
        }
        for code, secret in pairs
    ]
    result = _http_scenario(
        ctx,
        port,
        "tracking_http",
        "Public tracking lookup over HTTP (issue #6)",
        "Anonymous lookups through `POST /api/v1/tracking/` (dossier code + the applicant's id "
        f"number), over {len(pairs):,} dossiers drawn at random from the whole table, "
        f"{ctx.config.clients} concurrent keep-alive clients. Each lookup passes the per-address "
        "rate limit (raised for the run), finds the dossier by its code and builds its "
        "timeline.",
        requests,
    )
    return result


def submission(ctx: ScaleContext, port: int, secret_key: str) -> ScenarioResult:
    """Online submissions through the REST API, each as a different citizen (figure 3)."""
    from egov.dossiers.models import Dossier

    from . import seed as seeding

    cfg = ctx.config
    with override_settings(PASSWORD_HASHERS=FAST_HASHER):
        seeded = seeding.seed(citizens=cfg.citizens, secret_key=secret_key)
    body = ctx.work_dir / "submission.bin"
    body.write_bytes(
        scenarios.submission_body(
            seeded.procedure_code, seeded.agency_identifier, make_pdf(cfg.pdf_bytes)
        )
    )
    submitted = Dossier.objects.filter(procedure__code=seeded.procedure_code)
    before = submitted.count()
    connection.close()
    result = _http_scenario(
        ctx,
        port,
        "submit_http",
        "Online submission over HTTP (issue #6)",
        "Online submissions through `POST /api/v1/dossiers/` (multipart: the form as JSON and a "
        f"~{cfg.pdf_bytes // 1000} KB PDF), each request as a different citizen (session cookie "
        f"+ CSRF token, {len(seeded.citizens):,} citizens), {cfg.clients} concurrent keep-alive "
        "clients, on the generated province's database. Each submission validates the PDF, "
        "stores it, takes the next dossier code, computes the due date, appends to the agency's "
        "event chain and queues an e-mail and an SMS in the outbox.",
        scenarios.submit_requests(seeded.citizens),
        body_files=[str(body)],
        expect=[201],
        collect_field="code",
    )
    summary = ctx.http_summaries["submit_http"]
    codes = summary["collected"]
    made = submitted.count() - before
    if made != len(codes) or len(set(codes)) != len(codes):
        result.problems.append(
            f"submit_http: {len(codes)} successful responses but {made} new dossiers"
        )
    else:
        result.notes.append(
            f"Checked after the run: {made:,} new dossiers = {len(codes):,} successful "
            "responses (warm-up included), all codes distinct."
        )
    return result


def dashboard(ctx: ScaleContext, port: int, secret_key: str) -> list[ScenarioResult]:
    from egov.accounts.models import User

    operator = User.objects.get(username="quantri")
    _with_totp([operator])
    session = _session(operator, secret_key)
    today = timezone.localdate()
    month = f"{today:%Y-%m}"
    year = today.year - 1
    pages = [
        f"/dieu-hanh/?period=month&month={month}",
        f"/dieu-hanh/?period=year&year={year}",
    ]
    return [
        _http_scenario(
            ctx,
            port,
            "dashboard_page",
            "Dashboard page, whole province (issue #6)",
            "The leaders' dashboard as the operator (every agency): the current month and last "
            "year, alternately; figures, trend, ranking and the late steps come from the "
            "aggregate tables.",
            _get_requests(pages, [session], "text/html") * 50,
        ),
        _http_scenario(
            ctx,
            port,
            "index766_page",
            "766 index page, whole province (issue #6)",
            f"The 766 service index of every agency for {year}, with group totals.",
            _get_requests([f"/dieu-hanh/chi-so-766/?year={year}"], [session], "text/html") * 50,
        ),
    ]


NAIVE_SQL = """
SELECT d.agency_id,
       COUNT(*) FILTER (WHERE d.received_at >= %(start)s AND d.received_at < %(end)s),
       COUNT(*) FILTER (WHERE d.received_at >= %(start)s AND d.received_at < %(end)s
                        AND d.channel = 2),
       COUNT(*) FILTER (WHERE d.status IN (9, 10) AND d.finished_at >= %(start)s
                        AND d.finished_at < %(end)s
                        AND (d.finished_at > d.appointment_at OR d.supplement_count > 1)),
       COUNT(*) FILTER (WHERE d.status IN (9, 10) AND d.finished_at >= %(start)s
                        AND d.finished_at < %(end)s
                        AND NOT (d.finished_at > d.appointment_at OR d.supplement_count > 1)),
       COUNT(*) FILTER (WHERE d.status = 10 AND d.returned_at >= %(start)s
                        AND d.returned_at < %(end)s),
       COUNT(*) FILTER (WHERE d.status = 3 AND d.finished_at >= %(start)s
                        AND d.finished_at < %(end)s),
       COUNT(*) FILTER (WHERE d.received_at < %(end)s
                        AND (d.finished_at IS NULL OR d.finished_at >= %(end)s)
                        AND d.received_at IS NOT NULL)
FROM dossiers_dossier d
GROUP BY d.agency_id
"""


def _timed(func: Callable[[], Any], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        out.append((time.perf_counter() - started) * 1000)
    return out


def _periods() -> list[tuple[str, Any]]:
    """The periods the in-process scenarios read: this month (live) and last year (closed)."""
    from egov.stats.periods import month_period, year_period

    today = timezone.localdate()
    return [
        ("current month", month_period(today.year, today.month)),
        ("last year", year_period(today.year - 1)),
    ]


def aggregates_vs_naive(ctx: ScaleContext) -> ScenarioResult:
    from egov.core.actors import SYSTEM
    from egov.stats import queries
    from egov.stats.views import index_context

    cfg = ctx.config
    cases = _periods()
    result = ScenarioResult(
        "aggregates",
        "Dashboard and 766 index queries: aggregate tables vs the naive GROUP BY (issue #6)",
        "In-process, one connection, whole province as the operator, "
        f"{cfg.aggregate_runs} runs each. *Dashboard*: everything the dashboard page reads per "
        "request — the figures per agency (`stats.queries.by_agency`, summed for the totals, "
        "rolled up for the ranking and the tree), the trend (`trend`) and where time is lost "
        "(`late_steps`). *766 index*: the whole 766 page's data (`stats.views.index_context`: "
        "every indicator and group for the province and for each compared agency). *Naive*: one "
        "GROUP BY over the dossier table giving a subset of the same counts per agency "
        "(received, online, resolved on time / late, returned, refused, in progress), "
        f"{cfg.naive_runs} runs. The ratio is naive p50 ÷ aggregates p50. After one warm-up "
        "call the process's loaded heap is frozen out of the garbage collector "
        "(`gc.freeze()`), as web workers do at start-up (egov/wsgi.py).",
    )
    rows = []
    tz = timezone.get_current_timezone()
    for label, period in cases:
        start = datetime.combine(period.start, dtime.min, tz)
        end = datetime.combine(period.end + timedelta(days=1), dtime.min, tz)

        def dashboard(period: Any = period) -> None:
            sel = queries.select(SYSTEM, period)
            queries.total(queries.by_agency(sel).values())
            queries.trend(sel)
            queries.late_steps(sel)

        def index766(period: Any = period) -> None:
            index_context(queries.select(SYSTEM, period))

        def naive(start: Any = start, end: Any = end) -> None:
            with connection.cursor() as cursor:
                cursor.execute(NAIVE_SQL, {"start": start, "end": end})
                cursor.fetchall()

        slow = _timed(naive, cfg.naive_runs)
        p50_slow = statistics.median(slow)
        for what, func in (("dashboard", dashboard), ("766 index", index766)):
            func()  # warm caches (agency tree, calendars) as a running server has them
            # The loaded heap out of the collector's view, as egov/wsgi.py does in web workers.
            gc.collect()
            gc.freeze()
            fast = _timed(func, cfg.aggregate_runs)
            p50_fast = statistics.median(fast)
            rows.append(
                [
                    what,
                    label,
                    fmt(p50_fast, 1),
                    fmt(_p99(fast), 1),
                    fmt(p50_slow, 0),
                    fmt(max(slow), 0),
                    f"{p50_slow / p50_fast:,.0f}×" if p50_fast else "-",
                ]
            )
            result.metrics[f"{what}, {label} p99"] = _p99(fast)
    result.tables.append(
        Table(
            [
                "queries",
                "period",
                "aggregates p50 ms",
                "p99 ms",
                "naive p50 ms",
                "naive max ms",
                "ratio",
            ],
            rows,
        )
    )
    over = [k for k, v in result.metrics.items() if v >= 100]
    result.notes.append(
        "Target p99 under 100 ms: "
        + ("met for every case." if not over else "missed for " + "; ".join(over) + ".")
    )
    return result


DRILL_METRICS = (
    "received",
    "resolved_late",
    "returned",
    "overdue",
    "late_steps",
    "dissatisfied",
    "supplements",
)


def drill_pages(ctx: ScaleContext) -> ScenarioResult:
    """The dossier lists behind the dashboard's figures: first page and the next one."""
    from egov.core.actors import SYSTEM
    from egov.stats import drill, queries

    runs = 5
    cases = _periods()
    result = ScenarioResult(
        "drill",
        "Drill-down: the dossiers behind a figure (issue #6)",
        "In-process, whole province as the operator: the first page (50 dossiers) of the list "
        "behind each figure, then the page after it through the list's cursor, "
        f"{runs} runs each; p50 and max ms. Lists run newest first by the moment the figure "
        "counts (received, resolved, returned) over its index; in-progress lists for the "
        "current month come from the tracker.",
    )
    rows = []
    for label, period in cases:
        sel = queries.select(SYSTEM, period)
        for metric in DRILL_METRICS:
            behind = drill.dossiers_behind(sel, metric, {})
            first, after = behind.page("", 50)  # warm
            firsts = _timed(partial(behind.page, "", 50), runs)
            nexts = _timed(partial(behind.page, after, 50), runs) if after else []
            rows.append(
                [
                    metric,
                    label,
                    str(len(first)),
                    fmt(statistics.median(firsts), 1),
                    fmt(max(firsts), 1),
                    fmt(statistics.median(nexts), 1) if nexts else "-",
                    fmt(max(nexts), 1) if nexts else "-",
                ]
            )
            result.metrics[f"{metric}, {label}"] = max(firsts + nexts)
    result.tables.append(
        Table(
            [
                "list",
                "period",
                "rows",
                "first page p50 ms",
                "max",
                "next page p50 ms",
                "max",
            ],
            rows,
        )
    )
    slow = [k for k, v in result.metrics.items() if v >= 500]
    if slow:
        result.notes.append("Over half a second: " + "; ".join(slow) + ".")
    return result


def _p99(values: list[float]) -> float:
    return percentile(sorted(values), 0.99)


def data_sizes(generated: dict[str, Any] | None) -> ScenarioResult:
    tables = [
        "dossiers_dossier",
        "onestop_dossierstep",
        "onestop_supplementrequest",
        "dossiers_rating",
        "stats_dailyfact",
        "stats_monthlyfact",
        "stats_stepdaily",
        "stats_opendaily",
        "stats_opendossier",
        "events_event",
    ]
    rows = []
    with connection.cursor() as cursor:
        for table in tables:
            # Summed over the partitions (events_event is partitioned; a plain table is its own).
            cursor.execute(
                f"SELECT (SELECT COUNT(*) FROM {table}), "  # noqa: S608
                f"coalesce((SELECT sum(pg_total_relation_size(relid)) "
                f"FROM pg_partition_tree('{table}')), pg_total_relation_size('{table}'))"
            )
            count, size = cursor.fetchone()
            rows.append([table, f"{count:,}", f"{size / 2**20:,.0f}"])
        cursor.execute(
            "SELECT COUNT(*) FROM org_agency WHERE is_active",
        )
        agencies = cursor.fetchone()[0]
    result = ScenarioResult(
        "data",
        "The generated province",
        f"{agencies} agencies. Rows and on-disk size (table + indexes) when the scenarios ran.",
    )
    result.tables.append(Table(["table", "rows", "MiB"], rows))
    if generated:
        result.tables.append(
            Table(
                ["generator phase", "seconds"],
                [[k, fmt(v, 0)] for k, v in generated.items()],
                title="Generation (egov/bench/province.py)",
            )
        )
    return result


# --- running ----------------------------------------------------------------------------------


def _run(name: str, func: Callable[[], Any], log: Log) -> list[ScenarioResult]:
    log(f"scenario {name} ...")
    started = time.monotonic()
    try:
        out = func()
        results = out if isinstance(out, list) else [out]
    except Exception as exc:
        log(traceback.format_exc())
        results = [
            ScenarioResult(name, name, "", problems=[f"{name}: {type(exc).__name__}: {exc}"])
        ]
    for r in results:
        log_result(r, log)
    log(f"scenario {name} done in {time.monotonic() - started:.0f} s")
    return results


def _app_server(ctx: ScaleContext, kind: str) -> AppServer:
    cfg = ctx.config
    if kind == "granian":
        return AppServer.granian(
            env=ctx.env,
            log_path=ctx.work_dir / "granian.log",
            workers=cfg.granian_workers,
            threads=cfg.granian_threads,
        )
    return AppServer(
        env=ctx.env,
        log_path=ctx.work_dir / "gunicorn.log",
        worker_class="sync",
        workers=cfg.workers,
    )


def _http_scenarios(
    ctx: ScaleContext, names: list[str], secret_key: str, log: Log
) -> list[ScenarioResult]:
    """The scenarios measured over HTTP, under each server of the configuration in turn; one
    table per scenario with a row per server, each figure also relative to that server's floor
    (`/healthz` through the same server and middleware, in the same run)."""
    per_server: list[tuple[str, list[ScenarioResult]]] = []
    for kind in ctx.config.servers:
        server = _app_server(ctx, kind)
        ctx.server_label = server.label
        log(f"HTTP scenarios under {server.label} ...")
        per_server.append((server.label, _http_scenarios_on(ctx, server, names, secret_key, log)))
    return merge_server_results(per_server)


FLOOR = "http_floor"


def merge_server_results(
    per_server: list[tuple[str, list[ScenarioResult]]],
) -> list[ScenarioResult]:
    """One result per scenario: the first server's, with the other servers' table rows added
    under its own, and a note of every HTTP figure as a fraction of the same server's floor."""
    merged: dict[str, ScenarioResult] = {}
    floors: dict[str, float] = {}
    figures: dict[str, list[tuple[str, float, float]]] = {}  # name -> (label, req/s, p99)
    floor_cpu: dict[str, float] = {}  # label -> the floor's CPU ms per request
    cpu_ms: dict[str, dict[str, float]] = {}  # name -> label -> CPU ms per request
    for label, results in per_server:
        for r in results:
            throughput = r.metrics.get("throughput")
            if "cpu_ms" in r.metrics:
                cpu_ms.setdefault(r.name, {})[label] = r.metrics["cpu_ms"]
                if r.name == FLOOR:
                    floor_cpu[label] = r.metrics["cpu_ms"]
            if throughput is not None:
                if r.name == FLOOR:
                    floors[label] = float(throughput)
                figures.setdefault(r.name, []).append(
                    (label, float(throughput), float(r.metrics.get("p99", 0.0)))
                )
            first = merged.get(r.name)
            if first is None:
                merged[r.name] = r
                continue
            for table in r.tables:  # a row per server under the first server's same table
                same = next((t for t in first.tables if t.columns == table.columns), None)
                if same is not None:
                    same.rows += table.rows
                else:
                    first.tables.append(table)
            first.notes += r.notes
            first.problems += r.problems
            first.metrics.update({f"{label}: {k}": v for k, v in r.metrics.items()})
    for name, rows in figures.items():
        result = merged[name]
        parts = []
        for label, throughput, p99 in rows:
            floor_rps = floors.get(label)
            if floor_rps:
                ratio = throughput / floor_rps
                result.metrics[f"{label}: × floor"] = ratio
                if name != FLOOR:
                    parts.append(f"{label}: {ratio:.2f} × its floor (p99 {p99:,.0f} ms)")
        if parts:
            result.notes.append("Relative to the floor in the same run — " + "; ".join(parts) + ".")
        bounds = []
        for label, ms in cpu_ms.get(name, {}).items():
            floor_ms = floor_cpu.get(label)
            if name != FLOOR and floor_ms and ms > 0:
                bounds.append(
                    f"{label}: {ms:,.2f} ms against the floor's {floor_ms:,.2f} ms, so at most "
                    f"{floor_ms / ms:.2f} × its floor"
                )
        if bounds:
            result.notes.append(
                "CPU per request (web server, PostgreSQL and load generator, all sharing the "
                "cores), against the floor's in the same run: when both are CPU-bound, the "
                "ratio to the floor cannot exceed the inverse ratio of their CPU costs — "
                + "; ".join(bounds)
                + "."
            )
    return list(merged.values())


def _http_scenarios_on(
    ctx: ScaleContext, server: AppServer, names: list[str], secret_key: str, log: Log
) -> list[ScenarioResult]:
    """The scenarios measured over HTTP, against one server started for them."""
    runs: dict[str, Callable[[int], Any]] = {
        "work_queue": lambda port: work_queue(ctx, port, secret_key),
        "dashboard": lambda port: dashboard(ctx, port, secret_key),
        "floor": lambda port: floor(ctx, port),
        "tracking": lambda port: tracking(ctx, port),
        "submission": lambda port: submission(ctx, port, secret_key),
        "lifecycle": lambda port: lifecycle(ctx, port, secret_key),
        "public": lambda port: public_pages(ctx, port),
    }
    results: list[ScenarioResult] = []
    server.start(timeout=180)  # a busy machine (parallel runs) imports Django slowly
    ctx.server_pid = server.process.pid if server.process else None
    try:
        # Warm every worker (imports, URL resolver, connections) before measuring.
        scenarios.run_load(
            ctx,  # type: ignore[arg-type]
            port=server.port,
            requests=[{"method": "GET", "path": "/", "headers": {}}],
            body_files=[],
            expect=[200],
            duration=2,
            warmup=0,
            max_requests=10**6,
            name="warm",
        )
        for name in names:
            results += _run(name, lambda name=name: runs[name](server.port), log)  # type: ignore[misc]
            server.sample_memory()
    finally:
        server.stop()
        ctx.gunicorn_peaks[server.label] = dict(server.peaks_kib)
    return results


def run_scale(config: ScaleConfig, log: Log) -> ScaleReport:
    from egov.dossiers.models import Dossier

    from .province import GenConfig, generate

    started = time.monotonic()
    report = ScaleReport(
        config=config, machine=describe(), provenance=provenance(), load_before=load_average()
    )
    work_dir = Path(tempfile.mkdtemp(prefix="egov-scale-"))
    db = BenchDatabase.plan(name=config.db_name, work_dir=work_dir, keep=True)
    if db.server is None:
        raise RuntimeError("the scale benchmark needs PostgreSQL (set DATABASE_URL)")
    secret_key = get_random_string(50)
    generated: dict[str, Any] | None = None
    try:
        if config.fresh:
            db.server.drop(db.name)
        db.prepare()
        count = Dossier.objects.count()
        if count == 0:
            log(f"generating {config.dossiers:,} dossiers into {db.name} ...")
            gen = generate(GenConfig(dossiers=config.dossiers), log=log)
            generated = gen.seconds
        else:
            log(f"reusing {db.name}: {count:,} dossiers (--fresh regenerates)")
        _lifecycle_setup()
        if config.wants("public"):
            ensure_catalogue(config.procedures, log)
        ctx = ScaleContext(
            config=config,
            db=db,
            work_dir=work_dir,
            base_dir=Path(settings.BASE_DIR),
            env=bench_env(database_url=db.url, secret_key=secret_key, work_dir=work_dir),
        )
        if config.wants("data"):
            report.results += _run("data", lambda: data_sizes(generated), log)
        if config.wants("aggregates"):
            report.results += _run("aggregates", lambda: aggregates_vs_naive(ctx), log)
        if config.wants("drill"):
            report.results += _run("drill", lambda: drill_pages(ctx), log)
        connection.close()
        http = [name for name in HTTP_SCENARIOS if config.wants(name)]
        if http:
            report.results += _http_scenarios(ctx, http, secret_key, log)
        if config.wants("memory"):
            report.results += _run("memory", lambda: scenarios.memory(ctx), log)  # type: ignore[arg-type]
        if config.wants("pgbench"):
            report.results += _run("pgbench", lambda: scenarios.pgbench(ctx), log)  # type: ignore[arg-type]
    finally:
        db.drop()  # keep=True: only points the connection back
        shutil.rmtree(work_dir, ignore_errors=True)
    report.seconds = time.monotonic() - started
    report.load_after = load_average()
    return report


# --- report -----------------------------------------------------------------------------------


def render(report: ScaleReport) -> str:
    from .report import _pairs, _scenario_md

    cfg = report.config
    machine = [(k, v) for k, v in report.machine.rows() if not k.startswith("Load average")]
    lines = [
        START,
        "",
        f"## Scale figures ({cfg.dossiers:,} generated dossiers)",
        "",
        f"Written by `python manage.py bench_scale --dossiers {cfg.dossiers}` "
        f"(`make bench-scale DOSSIERS={cfg.dossiers}`) on {report.provenance.date}, commit "
        f"`{report.provenance.commit}`; the run took {report.seconds / 60:.0f} minutes "
        "(generation excluded when the database was reused).",
        "",
        _pairs(
            [
                *machine,
                ("Load average before / after", f"{report.load_before} / {report.load_after}"),
                (
                    "HTTP",
                    f"{_servers_text(cfg)}; {cfg.clients} keep-alive clients "
                    f"({cfg.client_processes} processes); {cfg.warmup:g} s warm-up, "
                    f"{cfg.duration:g} s measured; the clients run on the same 2 cores",
                ),
            ]
        ),
        "",
    ]
    for result in report.results:
        lines.append(_scenario_md(result))
        lines.append("")
    lines.append(END)
    return "\n".join(lines) + "\n"


def _servers_text(cfg: ScaleConfig) -> str:
    texts = {
        "gunicorn": f"gunicorn sync × {cfg.workers} workers",
        "granian": f"granian (WSGI) × {cfg.granian_workers} workers × {cfg.granian_threads} "
        "blocking threads",
    }
    return ", then ".join(texts[s] for s in cfg.servers)


def write_scale_report(report: ScaleReport, path: Path) -> None:
    write_section(path, render(report), START, END)
