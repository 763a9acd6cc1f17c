"""The payments benchmark (issue #17): callbacks per second from the national payment platform,
with the receipts issued.

One run on a fresh database (`manage.py bench_payments`, `make bench-payments`):
1. N dossiers submitted online with a 200.000 đồng fee (their payments opened by the dossier's
   own event), and N attempts started through the national platform: each INIT sent to the
   stand-in platform (egov/payments/standin.py, in this process) and the attempt opened;
2. the application under gunicorn and one Huey consumer (`run_huey`) as in production
   (egov.settings.bench);
3. the floor: `/healthz` through the same server, with the same number of concurrent clients
   and the same HTTP client as the platform's callbacks, in the same run;
4. the N payments made on the stand-in, `concurrency` at a time: each sends its signed CONFIRM
   to our callback address and waits for the answer (the latency measured is that wait: the
   callback verified, kept raw, the payment settled with its event and the receipt's outbox
   message, in one transaction). The worker issues the receipts meanwhile (services/receipts.py:
   numbered by the gap-free counter of the agency's series, printed as a PDF sealed with the
   agency's demo certificate, and as a signed XML): measured until the N-th receipt exists;
5. the same N callbacks sent again (the platform repeating itself): each a duplicate, kept and
   answered the same, nothing else written;
6. the time of one receipt: the interval between consecutive receipts while the worker was
   busy (their issue is serialised per series: the counter row stays locked from the number to
   the commit, while the PDF is rendered and sealed and the XML signed), and the same work for
   one receipt timed alone in this process, step by step.
The figures go to their own section of docs/benchmarks.md (the other sections are untouched).
"""

from __future__ import annotations

import importlib
import importlib.util
import itertools
import logging
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Max, Min
from django.test.utils import override_settings
from django.utils.crypto import get_random_string

from egov.core.actors import SYSTEM, actor_for_user

from .database import BenchDatabase
from .loadgen import percentile
from .machine import Machine, Provenance, describe, load_average, provenance
from .report import write_section
from .scenarios import ScenarioResult, Table, fmt
from .server import AppServer, _stop, bench_env

START = (
    "<!-- bench:payments:start — written by `python manage.py bench_payments`; "
    "do not edit by hand -->"
)
END = "<!-- bench:payments:end -->"
Log = Callable[[str], None]
FEE = 200_000
PARTNER = "000.00.90.H41"
PROCEDURE = "9.000488.000.00.00.H41"
RECEIPT_SAMPLES = 20


RECEIPTS_BY = (
    "services.receipts.issue: the gap-free number of the series, a PDF (WeasyPrint) sealed "
    "PAdES with the agency's demo organisation certificate, an XML signed with the same key"
)


@dataclass
class PaymentsConfig:
    attempts: int = 300
    concurrency: int = 16
    workers: int = 4
    huey_workers: int = 4
    db_name: str = "egov_bench_payments"
    keep: bool = False


@dataclass
class PaymentsReport:
    config: PaymentsConfig
    machine: Machine
    provenance: Provenance
    database: str
    receipts_by: str = RECEIPTS_BY
    results: list[ScenarioResult] = field(default_factory=list)
    seconds: float = 0.0
    load_after: str = ""

    @property
    def problems(self) -> list[str]:
        return [p for r in self.results for p in r.problems]


def _ms(seconds: float) -> str:
    return fmt(seconds * 1000, 1)


def _latency_row(
    label: str, count: int, wall: float, latencies: list[float], errors: int
) -> list[str]:
    ordered = sorted(latencies)
    return [
        label,
        str(count),
        f"{wall:.2f} s",
        fmt(count / wall if wall else 0.0, 1),
        _ms(percentile(ordered, 0.5)),
        _ms(percentile(ordered, 0.99)),
        _ms(ordered[-1] if ordered else 0.0),
        str(errors),
    ]


COLUMNS = ["measure", "count", "wall time", "per second", "p50 ms", "p99 ms", "max ms", "errors"]


# --- seeding ----------------------------------------------------------------------------------


def _seed(config: PaymentsConfig) -> tuple[Any, list[Any]]:
    """An agency that collects (receipt series), a procedure with a 200.000 đồng fee paid before
    processing, citizens, and N dossiers submitted online (each opens its payment)."""
    from egov.accounts.services import register_citizen
    from egov.catalog import services as catalog
    from egov.catalog.models import OnlineMode, PaymentTiming, Procedure
    from egov.dossiers.models import ResultDelivery
    from egov.dossiers.services import Submission, submit_online
    from egov.org.models import AdministrativeUnit, Agency, Role
    from egov.payments.models import Collector, Payment

    from .seed import FAST_HASHER, bench_sector

    province = AdministrativeUnit.objects.create(
        code="22", name="Tỉnh Quảng Ninh", level=AdministrativeUnit.Level.PROVINCE
    )
    agency = Agency.objects.create(
        identifier=PARTNER,
        name="Sở Tư pháp (thử tải)",
        abbreviation="STP",
        kind=Agency.Kind.DEPARTMENT,
        admin_unit=province,
    )
    Collector.objects.create(
        agency=agency,
        name=agency.name,
        tax_code="5700100256",
        receipt_template="01BLP0-001",
        receipt_series="TT-26E",
    )
    procedure = catalog.create_procedure(
        actor=SYSTEM,
        code=PROCEDURE,
        name="Cấp Phiếu lý lịch tư pháp (thử tải)",
        sector=bench_sector(),
        level="province",
        processing_time=10,
        online_mode=OnlineMode.FULL,
        agencies=[agency],
        is_published=True,
        components=[catalog.ComponentSpec(code="to-khai", name="Tờ khai", required=False)],
        fees=[
            catalog.FeeSpec(kind="fee", name="Phí cung cấp thông tin lý lịch tư pháp", amount=FEE)
        ],
        steps=[
            catalog.StepSpec("Tiếp nhận", Role.RECEIVER, "1"),
            catalog.StepSpec("Xử lý", Role.SPECIALIST, "9"),
        ],
    )
    Procedure.objects.filter(pk=procedure.pk).update(payment_timing=PaymentTiming.BEFORE_PROCESSING)
    with override_settings(PASSWORD_HASHERS=FAST_HASHER):
        citizens = [
            register_citizen(
                personal_id=f"0220950{n:05d}",
                full_name=f"Công dân thử tải {n}",
                password=get_random_string(24),
                phone=f"09{n:08d}",
            )
            for n in range(1, min(config.attempts, 20) + 1)
        ]
    for n in range(config.attempts):
        submit_online(
            user=citizens[n % len(citizens)],
            submission=Submission(
                procedure_code=PROCEDURE,
                agency_identifier=PARTNER,
                form_data={},
                uploads={},
                result_delivery=ResultDelivery.ONLINE,
            ),
        )
    payments = list(Payment.objects.select_related("dossier__applicant").order_by("pk"))
    return agency, payments


def _start_attempt(payment: Any) -> Any:
    """The applicant starts paying through the national platform: checkout's
    services.attempts.start where it exists, else the same action done here."""
    from egov.cases import perform
    from egov.payments import event_types as E
    from egov.payments.cases import PAYMENT
    from egov.payments.models import Attempt
    from egov.payments.providers import get as get_provider

    actor = actor_for_user(payment.dossier.applicant)
    if importlib.util.find_spec("egov.payments.services.attempts") is not None:
        attempts: Any = importlib.import_module("egov.payments.services.attempts")
        return attempts.start(actor=actor, payment=payment.code, provider="national")
    provider = get_provider("national")
    assert provider is not None
    reference = f"QG{secrets.token_hex(7).upper()}"
    with perform(PAYMENT, "start_attempt", actor=actor, case=payment.code) as act:
        attempt = Attempt.objects.create(
            payment=act.case,
            provider="national",
            reference=reference,
            amount=act.case.amount,
            started_by_id=actor.user_id,
        )
        provider.start(act, attempt)
        act.record(E.ATTEMPT_STARTED, attempt=reference, provider="national")
    return attempt


def _open_attempts(payments: list[Any], result: ScenarioResult) -> list[str]:
    """Start an attempt per payment; its INIT is delivered at once (inline in this process)."""
    from egov.payments.models import Attempt, AttemptStatus

    began = time.perf_counter()
    for payment in payments:
        _start_attempt(payment)
    took = time.perf_counter() - began
    opened = list(
        Attempt.objects.filter(status=AttemptStatus.OPEN)
        .order_by("pk")
        .values_list("reference", flat=True)
    )
    result.tables.append(
        Table(
            ["step", "count", "total", "per second"],
            [
                [
                    "attempt started + INIT to the platform + attempt opened",
                    str(len(payments)),
                    f"{took:.2f} s",
                    fmt(len(payments) / took if took else 0.0, 1),
                ]
            ],
        )
    )
    if len(opened) != len(payments):
        result.problems.append(f"{len(opened)} of {len(payments)} attempts opened")
    return opened


# --- HTTP -------------------------------------------------------------------------------------


def _floor(base_url: str, count: int, concurrency: int) -> tuple[float, list[float], int]:
    """GET /healthz `count` times, `concurrency` at a time, with the callbacks' HTTP client."""

    def one(_: int) -> tuple[float, bool]:
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=60) as response:  # noqa: S310
                response.read()
                ok = response.status == 200
        except OSError:
            ok = False
        return time.perf_counter() - started, ok

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(one, range(count)))
    wall = time.perf_counter() - began
    return wall, [r[0] for r in results], sum(1 for r in results if not r[1])


class _ReceiptWatch:
    """When the N-th receipt exists (polled from a thread of this process)."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.done_at: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        from django.db import close_old_connections

        from egov.payments.models import Receipt

        try:
            while not self._stop.is_set():
                if Receipt.objects.count() >= self.target:
                    self.done_at = time.perf_counter()
                    return
                time.sleep(0.05)
        finally:
            close_old_connections()
            connection.close()

    def wait(self, timeout: float) -> bool:
        self._thread.join(timeout)
        self._stop.set()
        return self.done_at is not None


def _receipt_lags() -> list[float]:
    """Per payment: from its callback's arrival to its receipt."""
    from egov.payments.models import Callback, Receipt

    arrived = dict(
        Callback.objects.filter(verdict="accepted").values_list(
            "attempt__payment_id", "received_at"
        )
    )
    return [
        (r.issued_at - arrived[r.payment_id]).total_seconds()
        for r in Receipt.objects.all()
        if r.payment_id in arrived
    ]


def _receipt_gaps(after: Any) -> tuple[list[float], list[float]]:
    """Seconds between consecutive receipts (their payment.receipt_issued events, recorded in
    the issuing transaction just before its commit): all of them, and those once the last
    callback had come (the worker draining its backlog, one receipt after the other)."""
    from egov.events.models import Event

    moments = list(
        Event.objects.filter(event_type="payment.receipt_issued")
        .order_by("occurred_at", "pk")
        .values_list("occurred_at", flat=True)
    )
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(moments)]
    backlog = [
        (b - a).total_seconds()
        for a, b in itertools.pairwise(moments)
        if after is not None and a >= after
    ]
    return gaps, backlog


def _time_one_receipt(samples: int) -> dict[str, list[float]]:
    """The work the issue does while it holds the series' counter row, for one receipt, timed
    alone in this process (nothing written): the PDF rendered, sealed, the XML signed."""
    from django.utils import timezone

    from egov.payments.models import Receipt
    from egov.payments.services import receipts

    receipt = Receipt.objects.select_related("payment__agency").order_by("pk").first()
    times: dict[str, list[float]] = {"render": [], "seal": [], "xml": [], "total": []}
    if receipt is None:
        return times
    seal = receipts.seal_of(receipt.payment)
    fields = receipt.fields
    receipts.seal_pdf(receipts.receipt_pdf(fields), fields, seal, timezone.now())  # warm-up
    for _ in range(samples):
        t0 = time.perf_counter()
        pdf = receipts.receipt_pdf(fields)
        t1 = time.perf_counter()
        receipts.seal_pdf(pdf, fields, seal, timezone.now())
        t2 = time.perf_counter()
        receipts.signed_xml(fields, seal)
        t3 = time.perf_counter()
        times["render"].append(t1 - t0)
        times["seal"].append(t2 - t1)
        times["xml"].append(t3 - t2)
        times["total"].append(t3 - t0)
    return times


def _receipt_time(
    config: PaymentsConfig, gaps: list[float], backlog: list[float], samples: int
) -> ScenarioResult:
    result = ScenarioResult(
        "receipt_time",
        "The time of one receipt",
        "Receipts of one series are issued one at a time: the gap-free counter's row stays "
        "locked from the number taken to the commit, and meanwhile the PDF is rendered "
        "(WeasyPrint), sealed (PAdES, the agency's certificate) and the XML signed. So a "
        "series issues at most 1 / (this time) receipts per second, whatever the number of "
        "worker threads. Measured twice: the interval between consecutive receipts in the run "
        "above, and the same work for one receipt timed alone in the benchmark's process "
        f"({samples} times after one warm-up, nothing written, the server and worker idle).",
    )

    def row(label: str, values: list[float]) -> list[str]:
        ordered = sorted(values)
        return [
            label,
            str(len(ordered)),
            _ms(statistics.median(ordered) if ordered else 0.0),
            _ms(percentile(ordered, 0.9)),
            _ms(ordered[-1] if ordered else 0.0),
        ]

    alone = _time_one_receipt(samples)
    result.tables.append(
        Table(
            ["measure", "count", "median ms", "p90 ms", "max ms"],
            [
                row("interval between consecutive receipts (whole run)", gaps),
                row("interval between consecutive receipts (after the last callback)", backlog),
                row("alone: PDF rendered (WeasyPrint)", alone["render"]),
                row("alone: PDF sealed (PAdES)", alone["seal"]),
                row("alone: XML signed", alone["xml"]),
                row("alone: one receipt's PDF + seal + XML", alone["total"]),
            ],
        )
    )
    one = statistics.median(alone["total"]) if alone["total"] else 0.0
    drained = statistics.median(backlog) if backlog else 0.0
    if one:
        result.notes.append(
            f"One receipt's documents take {_ms(one)} ms alone: at most "
            f"{fmt(1 / one, 1)} receipts per second per series on one core."
        )
    if drained:
        result.notes.append(
            f"While the worker drained its backlog ({config.huey_workers} threads, one series) "
            f"a receipt followed the previous one every {_ms(drained)} ms "
            f"({fmt(1 / drained, 1)} per second), against {_ms(one)} ms for one receipt "
            "alone: the receipts are made one after the other. The consumer's threads wait "
            "for each other at the series' counter (and share one Python interpreter lock, "
            "so more threads would not help either); more consumer processes or more cores "
            "would help only across series (agencies)."
        )
    return result


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "manage.py", "run_huey", "--no-periodic"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


# --- the run ----------------------------------------------------------------------------------


def run_payments_bench(config: PaymentsConfig, log: Log) -> PaymentsReport:
    from huey.contrib.djhuey import HUEY

    from egov.payments.models import Callback, Payment, PaymentStatus, Receipt
    from egov.payments.standin import PaymentPlatformStandIn
    from egov.signing.services import ensure_demo_ca

    started = time.monotonic()
    load_before = load_average()
    work_dir = Path(tempfile.mkdtemp(prefix="egov-bench-payments-"))
    db = BenchDatabase.plan(name=config.db_name, work_dir=work_dir, keep=False)
    secret_key = get_random_string(50)
    secret = secrets.token_urlsafe(32)
    platform = PaymentPlatformStandIn(
        secret=secret, partner=PARTNER, callback_timeout=120.0
    ).start()
    server: AppServer | None = None
    worker: subprocess.Popen[bytes] | None = None
    was_immediate = HUEY.immediate
    huey_logger = logging.getLogger("huey")
    huey_level = huey_logger.level
    huey_logger.setLevel(logging.WARNING)  # this process runs its INITs inline: no task log
    try:
        log(f"database: {db.label} (created fresh) ...")
        db.prepare()
        machine = describe()
        machine = Machine(**{**machine.__dict__, "load_before": load_before})
        report = PaymentsReport(config, machine, provenance(), db.label)
        prep = ScenarioResult(
            "payment_init",
            "Starting N payments through the national platform",
            "In-process, through the services: each attempt started (an action), its INIT "
            "signed and POSTed to the stand-in platform by the outbox deliverer, the answer "
            "verified and the attempt opened with its payment page (a second action).",
        )
        HUEY.immediate = True  # this process delivers its own messages inline
        with override_settings(
            PAYMENT_PLATFORM_URL=platform.url,
            PAYMENT_PARTNER_CODE=PARTNER,
            PAYMENT_PARTNER_SECRET=secret,
            PAYMENT_PUBLIC_URL="http://127.0.0.1:1",  # replaced once gunicorn has its port
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
            SMS_GATEWAY="egov.bench.support.DiscardSmsGateway",
        ):
            log(f"seeding {config.attempts} dossiers with fees ...")
            _agency, payments = _seed(config)
            ensure_demo_ca(actor=SYSTEM)  # the agency's seal signs its receipts
            connection.close()

            env = bench_env(database_url=db.url, secret_key=secret_key, work_dir=work_dir)
            env.update(
                PAYMENT_PLATFORM_URL=platform.url,
                PAYMENT_PARTNER_CODE=PARTNER,
                PAYMENT_PARTNER_SECRET=secret,
                PAYMENT_CALLBACK_RATE_LIMIT_PER_MINUTE=str(10**9),
                HUEY_WORKERS=str(config.huey_workers),
            )
            server = AppServer(env=env, log_path=work_dir / "gunicorn.log", workers=config.workers)
            log(f"starting gunicorn ({server.label}) and run_huey ...")
            server.start(timeout=300)  # a loaded machine boots four workers slowly
            worker = _start_worker(env, work_dir / "huey.log")
            with override_settings(PAYMENT_PUBLIC_URL=server.base_url):
                log(f"starting {config.attempts} attempts (INIT) ...")
                references = _open_attempts(payments, prep)
            report.results.append(prep)
        HUEY.immediate = was_immediate

        http = ScenarioResult(
            "payment_callbacks",
            f"{config.attempts} callbacks, {config.concurrency} at a time, with the receipts "
            "issued",
            f"The stand-in platform confirms the {config.attempts} payments with "
            f"{config.concurrency} concurrent senders; each waits for our answer (latency: "
            "the CONFIRM verified, kept raw, the payment settled, the dossier updated, the "
            "`payment.paid` event and the receipt's outbox message, one transaction). One "
            f"Huey consumer ({config.huey_workers} threads) issues the receipts meanwhile: "
            "receipts per second is counted from the first callback to the last receipt, the "
            "lag from a callback's arrival to its receipt. Then the same callbacks again "
            "(duplicates: kept, answered the same, nothing else written). The floor is "
            "`/healthz` through the same gunicorn, same client, same concurrency, same run.",
        )
        log("floor: /healthz ...")
        _floor(server.base_url, config.concurrency * 4, config.concurrency)  # warm-up
        wall, lat, errors = _floor(server.base_url, config.attempts, config.concurrency)
        rows = [_latency_row("floor GET /healthz", config.attempts, wall, lat, errors)]

        log(f"paying {len(references)} attempts, {config.concurrency} callbacks at a time ...")
        watch = _ReceiptWatch(len(references))
        began = time.perf_counter()
        watch.start()
        platform.pay_many(references, concurrency=config.concurrency)
        paid_wall = time.perf_counter() - began
        sent = list(platform.callbacks)
        accepted = [c for c in sent if c.accepted]
        rows.append(
            _latency_row(
                "callbacks accepted (payment settled)",
                len(accepted),
                paid_wall,
                [c.seconds for c in sent],
                len(sent) - len(accepted),
            )
        )
        log("waiting for the receipts ...")
        issued = watch.wait(timeout=600)
        receipts_wall = (watch.done_at or time.perf_counter()) - began
        receipt_count = Receipt.objects.count()
        lags = sorted(_receipt_lags())
        span = Receipt.objects.aggregate(first=Min("issued_at"), last=Max("issued_at"))
        steady = (
            (span["last"] - span["first"]).total_seconds() if span["first"] is not None else 0.0
        )
        missing = str(len(references) - receipt_count)
        rows.append(
            [
                "receipts issued (worker), lag from callback",
                str(receipt_count),
                f"{receipts_wall:.2f} s",
                fmt(receipt_count / receipts_wall if receipts_wall else 0.0, 1),
                _ms(percentile(lags, 0.5)),
                _ms(percentile(lags, 0.99)),
                _ms(lags[-1] if lags else 0.0),
                missing,
            ]
        )
        rows.append(
            [
                "receipts, first to last (worker busy)",
                str(receipt_count),
                f"{steady:.2f} s",
                fmt((receipt_count - 1) / steady if steady else 0.0, 1),
                "—",
                "—",
                "—",
                missing,
            ]
        )

        log("the same callbacks again (duplicates) ...")
        first_copy = {c.reference: c.message for c in accepted}
        platform.callbacks.clear()
        txns = [platform.transactions[r] for r in first_copy]
        began = time.perf_counter()
        with ThreadPoolExecutor(max_workers=config.concurrency) as pool:
            list(pool.map(lambda t: platform.send_callback(t, first_copy[t.reference]), txns))
        dup_wall = time.perf_counter() - began
        dups = list(platform.callbacks)
        rows.append(
            _latency_row(
                "duplicate callbacks (answered the same)",
                len(dups),
                dup_wall,
                [c.seconds for c in dups],
                sum(1 for c in dups if not c.accepted),
            )
        )
        http.tables.append(Table(COLUMNS, rows))
        # What must hold after all that.
        paid = Payment.objects.filter(status=PaymentStatus.PAID).count()
        if paid != len(references):
            http.problems.append(f"{paid} payments paid for {len(references)} callbacks")
        if not issued or receipt_count != len(references):
            http.problems.append(f"{receipt_count} receipts for {len(references)} payments")
        verdicts = dict(Callback.objects.values_list("verdict").annotate(n=Count("pk")))
        if verdicts.get("accepted") != len(references) or verdicts.get("duplicate") != len(dups):
            http.problems.append(f"callback verdicts {verdicts}")
        if errors:
            http.problems.append(f"floor: {errors} errors")
        median = statistics.median([c.seconds for c in sent]) if sent else 0.0
        floor_median = statistics.median(lat) if lat else 0.0
        http.notes.append(
            f"Callback latency median {_ms(median)} ms against the floor's {_ms(floor_median)} ms."
        )
        http.notes.append(
            "The receipt lag includes the Huey consumer's idle polling: an idle consumer looks "
            "for work less and less often (up to every 10 s, Huey's default), so the first "
            "receipts after a quiet period wait for its next look; once busy it takes each "
            "message as it comes (the first-to-last rate)."
        )
        report.results.append(http)

        log("the time of one receipt ...")
        last_callback = Callback.objects.filter(verdict="accepted").aggregate(
            last=Max("received_at")
        )["last"]
        gaps, backlog = _receipt_gaps(last_callback)
        report.results.append(_receipt_time(config, gaps, backlog, RECEIPT_SAMPLES))
        report.seconds = time.monotonic() - started
        report.load_after = load_average()
        return report
    finally:
        HUEY.immediate = was_immediate
        huey_logger.setLevel(huey_level)
        if worker is not None:
            _stop(worker)
        if server is not None:
            server.stop()
        platform.stop()
        db.drop()
        shutil.rmtree(work_dir, ignore_errors=True)


def render(report: PaymentsReport) -> str:
    from .report import _pairs, _scenario_md

    cfg = report.config
    machine = [(k, v) for k, v in report.machine.rows() if not k.startswith("Load average")]
    lines = [
        START,
        "",
        "## Payments",
        "",
        f"Written by `python manage.py bench_payments` (`make bench-payments`) on "
        f"{report.provenance.date}, commit `{report.provenance.commit}`; the run took "
        f"{report.seconds / 60:.1f} minutes.",
        "",
        _pairs(
            [
                *machine,
                ("Benchmark database", report.database),
                (
                    "Load average before / after",
                    f"{report.machine.load_before} / {report.load_after}",
                ),
                (
                    "Processes",
                    f"gunicorn sync × {cfg.workers} workers; one `run_huey` consumer "
                    f"({cfg.huey_workers} threads); the stand-in platform (threads) and the "
                    "measuring clients in the benchmark's process — all on the same cores",
                ),
                ("Receipts issued by", report.receipts_by),
            ]
        ),
        "",
    ]
    for result in report.results:
        lines.append(_scenario_md(result))
        lines.append("")
    lines.append("### Problems\n")
    lines += [f"- {p}" for p in report.problems] or ["None."]
    lines += ["", END]
    return "\n".join(lines) + "\n"


def write_payments_report(report: PaymentsReport, path: Path) -> None:
    write_section(path, render(report), START, END)
