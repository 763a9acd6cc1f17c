"""The national portal sync benchmark (issue #18): sync throughput to the stand-in portal and
the lag between a dossier's event and the portal's acknowledgement, under submission load.

One run on a database of its own (`manage.py bench_national`, `make bench-national`):
1. the benchmark province's seed (egov/bench/seed.py: agencies, the birth-registration
   procedure, citizens), the stand-in national portal (egov/national/standin.py) in this
   process, NATIONAL_PORTAL_URL pointed at it;
2. `submitters` threads submit N dossiers online (dossiers.services.submit_online: the form,
   a 50 kB PDF inspected, the events, the sync projector queueing the outbox message) — the
   submission benchmark's work, in process;
3. meanwhile `senders` threads run the outbox (events.services.dispatch_due), as Huey workers
   would: each message sends the dossier's latest record and its steps to the stand-in;
4. then every record queued again from scratch (reconcile.resend) and sent by the senders
   alone: the sync's own throughput;
5. measured: submissions per second, records acknowledged per second (first submission to last
   acknowledgement, and the drain alone after the last submission), and per dossier the lag
   from its `dossier.submitted` event to the portal's acknowledgement (p50, p99, max).
The figures go to their own section of docs/benchmarks.md.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import override_settings
from django.utils import timezone

from .database import BenchDatabase
from .loadgen import percentile
from .report import write_section
from .seed import FORM_DATA, PDF_COMPONENT, make_pdf, seed

START = (
    "<!-- bench:national:start — written by `python manage.py bench_national`; "
    "do not edit by hand -->"
)
END = "<!-- bench:national:end -->"
Log = Callable[[str], None]
TOKEN = "bench-national-token"  # the stand-in's, for this run only


@dataclass
class NationalConfig:
    dossiers: int = 300
    submitters: int = 4
    senders: int = 2
    db_name: str = "egov_bench_national"


@dataclass
class NationalReport:
    config: NationalConfig
    database: str
    submit_seconds: float = 0.0
    total_seconds: float = 0.0
    drain_seconds: float = 0.0
    acknowledged: int = 0
    lags: list[float] = field(default_factory=list)
    alone_seconds: float = 0.0  # phase 2: every record sent again, the senders alone
    portal_calls: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    load_after: str = ""


def _submitter(
    n: int, config: NationalConfig, users: list[int], procedure: str, agency: str, errors: list[str]
) -> None:
    from egov.accounts.models import User
    from egov.dossiers.services import Submission, submit_online

    pdf = make_pdf()
    try:
        for i in range(n, config.dossiers, config.submitters):
            user = User.objects.get(pk=users[i % len(users)])
            submit_online(
                user=user,
                submission=Submission(
                    procedure_code=procedure,
                    agency_identifier=agency,
                    form_data=FORM_DATA,
                    uploads={
                        PDF_COMPONENT: [
                            SimpleUploadedFile("giay.pdf", pdf, content_type="application/pdf")
                        ]
                    },
                    result_delivery="online",
                ),
            )
    except Exception as exc:  # reported, not hidden
        errors.append(f"submitter {n}: {type(exc).__name__}: {exc}")
    finally:
        connection.close()


def _sender(stop: threading.Event, errors: list[str]) -> None:
    from egov.events.services import dispatch_due

    try:
        while not stop.is_set():
            if not dispatch_due(limit=50).claimed:
                time.sleep(0.02)
    except Exception as exc:
        errors.append(f"sender: {type(exc).__name__}: {exc}")
    finally:
        connection.close()


def run_national_bench(config: NationalConfig, log: Log) -> NationalReport:
    from egov.events.models import Event
    from egov.national.models import SyncRecord
    from egov.national.standin import NationalPortalStandIn

    work_dir = Path(tempfile.mkdtemp(prefix="egov-bench-national-"))
    db = BenchDatabase.plan(name=config.db_name, work_dir=work_dir, keep=False)
    report = NationalReport(config=config, database=db.label)
    errors: list[str] = []
    try:
        log(f"preparing {db.label}")
        db.prepare()
        seeded = seed(citizens=min(config.dossiers, 50), secret_key=settings.SECRET_KEY)
        users = [c.user_id for c in seeded.citizens]
        with (
            NationalPortalStandIn(token=TOKEN) as portal,
            override_settings(
                NATIONAL_PORTAL_URL=portal.url,
                NATIONAL_PORTAL_TOKEN=TOKEN,
                MEDIA_ROOT=str(work_dir / "media"),
            ),
        ):
            stop = threading.Event()
            senders = [
                threading.Thread(target=_sender, args=(stop, errors)) for _ in range(config.senders)
            ]
            submitters = [
                threading.Thread(
                    target=_submitter,
                    args=(
                        n,
                        config,
                        users,
                        seeded.procedure_code,
                        seeded.agency_identifier,
                        errors,
                    ),
                )
                for n in range(config.submitters)
            ]
            log(
                f"{config.dossiers} submissions by {config.submitters} threads, "
                f"{config.senders} senders"
            )
            started = time.monotonic()
            for t in senders + submitters:
                t.start()
            for t in submitters:
                t.join()
            submitted = time.monotonic()
            report.submit_seconds = submitted - started
            deadline = submitted + 600
            while time.monotonic() < deadline:
                waiting = SyncRecord.objects.filter(remote_known=False).count()
                if not waiting and SyncRecord.objects.count() >= config.dossiers:
                    break
                time.sleep(0.2)
            finished = time.monotonic()
            stop.set()
            for t in senders:
                t.join()
            report.total_seconds = finished - started
            report.drain_seconds = finished - submitted
            firsts = dict(
                Event.objects.filter(event_type="dossier.submitted").values_list(
                    "subject_id", "occurred_at"
                )
            )
            for code, acked_at in SyncRecord.objects.filter(remote_known=True).values_list(
                "code", "acked_at"
            ):
                if code in firsts and acked_at is not None:
                    report.lags.append((acked_at - firsts[code]).total_seconds())
            report.acknowledged = len(report.lags)
            if report.acknowledged < config.dossiers:
                report.problems.append(
                    f"only {report.acknowledged} of {config.dossiers} acknowledged"
                )
            # Phase 2, the sync alone: every record queued again from scratch (as
            # reconciliation does), then the senders drain it with nothing else running.
            from egov.core.actors import SYSTEM
            from egov.national.reconcile import resend

            for code in SyncRecord.objects.values_list("code", flat=True):
                resend(actor=SYSTEM, code=code, reason="bench")
            stop = threading.Event()
            senders = [
                threading.Thread(target=_sender, args=(stop, errors)) for _ in range(config.senders)
            ]
            log("phase 2: every record sent again, the senders alone")
            started = time.monotonic()
            for t in senders:
                t.start()
            while time.monotonic() < started + 600:
                if not SyncRecord.objects.filter(remote_known=False).exists():
                    break
                time.sleep(0.05)
            report.alone_seconds = time.monotonic() - started
            stop.set()
            for t in senders:
                t.join()
            report.portal_calls = dict(portal.calls)
            connection.close()
    finally:
        report.problems += errors
        report.load_after = " ".join(f"{x:.2f}" for x in os.getloadavg())
        db.drop()
    return report


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}".replace(",", ".")


def render(report: NationalReport) -> str:
    c = report.config
    lags = sorted(report.lags)
    rate = report.acknowledged / report.total_seconds if report.total_seconds else 0.0
    submit_rate = c.dossiers / report.submit_seconds if report.submit_seconds else 0.0
    p50 = percentile(lags, 0.5) if lags else 0.0
    p99 = percentile(lags, 0.99) if lags else 0.0
    alone = c.dossiers / report.alone_seconds if report.alone_seconds else 0.0
    calls = ", ".join(f"{k} {v}" for k, v in sorted(report.portal_calls.items()))
    lines = [
        START,
        "## National portal sync (issue #18)",
        "",
        f"Run {timezone.now():%Y-%m-%d %H:%M} UTC on {report.database}, {os.cpu_count()} CPUs "
        f"(load average after: {report.load_after}). {c.dossiers} dossiers submitted online by "
        f"{c.submitters} threads (form, 50 kB PDF inspected, events) while {c.senders} outbox "
        "threads sent each dossier's record and steps to the stand-in national portal "
        "(egov/national/standin.py, validating every field) in the same process.",
        "",
        "| Figure | Value |",
        "|---|---|",
        f"| Submissions per second (the load) | {submit_rate:.1f} |",
        f"| Records acknowledged | {report.acknowledged} of {c.dossiers} |",
        f"| Sync throughput, first submission to last acknowledgement | {rate:.1f} records/s |",
        f"| Drain after the last submission | {report.drain_seconds:.1f} s |",
        f"| Sync alone ({c.dossiers} records sent again, {c.senders} senders) "
        f"| {alone:.1f} records/s |",
        f"| Lag event → acknowledged, p50 | {_ms(p50)} ms |",
        f"| Lag event → acknowledged, p99 | {_ms(p99)} ms |",
        f"| Lag event → acknowledged, max | {_ms(lags[-1] if lags else 0.0)} ms |",
        f"| Portal calls | {calls} |",
        "",
        "Problems: " + ("; ".join(report.problems) if report.problems else "none."),
        "",
        END,
        "",
    ]
    return "\n".join(lines)


def write_national_report(report: NationalReport, path: Path) -> None:
    write_section(path, render(report), START, END)
