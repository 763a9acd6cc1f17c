"""The meetings benchmark (issue #16): one meeting of 50 members with 200 MB of materials.

Measured, in one run on a fresh database (`manage.py bench_meetings`, `make bench-meetings`):
1. attaching the materials (ten 20 MB PDFs through `add_material`: checks, SHA-256, storage);
2. publishing: invitations to every participant on three channels with the ICS file, through
   the outbox, in one action;
3. 50 members at once (50 concurrent keep-alive clients, each its own logged-in member with the
   second factor) opening the meeting's page (the agenda), then downloading a 20 MB material,
   then its first page rendered for reading — each beside the floor (`/healthz` through the same
   server and middleware, the same 50 clients, the same run);
4. a vote: 50 ballots cast (open and secret), then the close that counts them under the rule,
   signs the participation list and records the outcome.
The figures go to their own section of docs/benchmarks.md (the other sections are untouched).
"""

from __future__ import annotations

import itertools
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import override_settings
from django.utils import timezone
from django.utils.crypto import get_random_string

from egov.core.actors import SYSTEM, Actor, actor_for_user

from .database import BenchDatabase
from .loadgen import percentile
from .machine import Machine, Provenance, describe, load_average, provenance
from .report import write_section
from .scenarios import ScenarioResult, Table, fmt, run_tool
from .seed import login_session, make_pdf
from .server import AppServer, bench_env

START = (
    "<!-- bench:meetings:start — written by `python manage.py bench_meetings`; "
    "do not edit by hand -->"
)
END = "<!-- bench:meetings:end -->"
Log = Callable[[str], None]
HTTP_COLUMNS = ["request", "clients", "requests", "p50 ms", "p99 ms", "max ms", "errors"]


@dataclass
class MeetingsConfig:
    members: int = 50
    materials: int = 10
    material_mb: int = 20
    ballots_secret: bool = True
    workers: int = 4
    db_name: str = "egov_bench_meetings"
    keep: bool = False


@dataclass
class MeetingsReport:
    config: MeetingsConfig
    machine: Machine
    provenance: Provenance
    database: str
    results: list[ScenarioResult] = field(default_factory=list)
    seconds: float = 0.0
    load_after: str = ""

    @property
    def problems(self) -> list[str]:
        return [p for r in self.results for p in r.problems]


@dataclass
class Seeded:
    agency_id: int
    secretariat: Any
    chair: Any
    secretary: Any
    members: list[Any]
    sessions: dict[int, str]  # official pk -> session key


def _ms(seconds: float) -> str:
    return fmt(seconds * 1000, 1)


def _seed(config: MeetingsConfig, secret_key: str) -> Seeded:
    """An agency, its secretariat, a chair, a secretary and the members (through the account
    services), each member with a login session that passed the second factor."""
    from egov.accounts.services import create_official
    from egov.org.models import AdministrativeUnit, Agency, Position, Role

    unit = AdministrativeUnit.objects.create(
        code="22", name="Tỉnh Quảng Ninh", level=AdministrativeUnit.Level.PROVINCE
    )
    agency = Agency.objects.create(
        identifier="000.00.00.H41",
        name="Ủy ban nhân dân tỉnh Quảng Ninh",
        abbreviation="UBND",
        kind=Agency.Kind.PEOPLES_COMMITTEE,
        admin_unit=unit,
    )
    position, _ = Position.objects.get_or_create(
        code="uy-vien", defaults={"name": "Ủy viên", "is_leader": True}
    )

    phones = itertools.count(1)

    def official(username: str, roles: list[str]) -> Any:
        return create_official(
            actor=SYSTEM,
            username=username,
            full_name=f"Thành viên {username}",
            password=get_random_string(24),
            agency=agency,
            position=position,
            roles=roles,
            email=f"{username}@thutai.invalid",
            phone=f"0913{next(phones):06d}",
        )

    # Hashing 50 passwords with Argon2 is not what is measured.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        secretariat = official("vanphong", [Role.SECRETARIAT])
        chair = official("chutich", [Role.LEADER])
        secretary = official("thuky", [Role.SPECIALIST])
        members = [official(f"uyvien{n:02d}", [Role.LEADER]) for n in range(1, config.members)]
    # The agency's seal signs a secret vote's participation list (demo CA, as the demo run).
    from egov.signing.services import ensure_demo_ca

    ensure_demo_ca(actor=SYSTEM)
    sessions: dict[int, str] = {}
    with override_settings(SECRET_KEY=secret_key):
        for person in [chair, *members]:
            sessions[person.pk] = login_session(person.user, second_factor=True)
    return Seeded(agency.pk, secretariat, chair, secretary, members, sessions)


def _act(official: Any) -> Actor:
    return actor_for_user(official.user)


def _prepare(config: MeetingsConfig, seeded: Seeded, result: ScenarioResult) -> Any:
    """The meeting, its agenda and its materials; returns the meeting (timed: the materials)."""
    from egov.meetings.services import materials, meetings

    organiser = _act(seeded.secretariat)
    start = timezone.now() + timedelta(days=2)
    meeting = meetings.create_meeting(
        actor=organiser,
        data=meetings.MeetingInput(
            title="Phiên họp thường kỳ (thử tải)",
            kind="regular",
            chair=seeded.chair,
            secretary=seeded.secretary,
            starts_at=start,
            ends_at=start + timedelta(hours=4),
            place="Phòng họp số 1",
            members=seeded.members,
        ),
    )
    items = [
        meetings.add_item(
            actor=organiser, meeting=meeting, title=f"Nội dung {n}", duration_minutes=20
        )
        for n in range(1, config.materials + 1)
    ]
    pdf = make_pdf(config.material_mb * 1024 * 1024)
    timings = []
    material_ids = []
    for n, item in enumerate(items, 1):
        began = time.perf_counter()
        material = materials.add_material(
            actor=organiser,
            meeting=meeting,
            title=f"Tờ trình số {n}",
            upload=SimpleUploadedFile(f"to-trinh-{n}.pdf", pdf, "application/pdf"),
            item=item,
        )
        timings.append(time.perf_counter() - began)
        material_ids.append(material.pk)
    total_mb = config.materials * config.material_mb
    result.tables.append(
        Table(
            ["step", "count", "total", "each (median)", "each (max)"],
            [
                [
                    f"attach a {config.material_mb} MB PDF",
                    str(config.materials),
                    f"{sum(timings):.2f} s ({total_mb} MB)",
                    f"{_ms(statistics.median(timings))} ms",
                    f"{_ms(max(timings))} ms",
                ]
            ],
        )
    )
    meeting.refresh_from_db()
    meeting._bench_materials = material_ids  # type: ignore[attr-defined]
    return meeting


def _publish(seeded: Seeded, meeting: Any, result: ScenarioResult) -> None:
    from egov.events.models import OutboxMessage
    from egov.meetings.services import meetings

    before = OutboxMessage.objects.count()
    began = time.perf_counter()
    meetings.publish(actor=_act(seeded.secretariat), meeting=meeting)
    took = time.perf_counter() - began
    queued = OutboxMessage.objects.count() - before
    result.tables.append(
        Table(
            ["step", "participants", "outbox messages", "time"],
            [
                [
                    "publish (invitations with ICS, e-mail + SMS + in-app)",
                    str(meeting.participants.count()),
                    str(queued),
                    f"{_ms(took)} ms",
                ]
            ],
        )
    )


def _http(
    ctx: dict[str, Any],
    server: AppServer,
    seeded: Seeded,
    paths: list[tuple[str, str]],
) -> list[list[str]]:
    """Each (label, path) fetched once by every member at the same time (50 clients)."""
    rows = []
    voters = [seeded.chair, *seeded.members]
    cookie = settings.SESSION_COOKIE_NAME
    for number, (label, path) in enumerate(paths):
        requests = [
            {
                "method": "GET",
                "path": path,
                "headers": {"Cookie": f"{cookie}={seeded.sessions[v.pk]}"},
            }
            for v in voters
        ]
        # One unmeasured shot first (each worker's first request loads what it caches), then
        # the measured one.
        for shot in ("warm", "measured"):
            summary = _shot(ctx, server, requests, f"{number}-{shot}", len(voters))
        lat = summary["latency_ms"]
        rows.append(
            [
                label,
                str(len(voters)),
                str(summary["requests"]),
                fmt(lat["p50"]),
                fmt(lat["p99"]),
                fmt(lat["max"]),
                str(summary["errors"]),
            ]
        )
        ctx.setdefault("summaries", []).append((label, summary))
    return rows


def _shot(
    ctx: dict[str, Any], server: AppServer, requests: list[dict[str, Any]], name: str, n: int
) -> dict[str, Any]:
    """Every request sent once, all at the same time."""
    summary: dict[str, Any] = run_tool(
        ctx["tool_ctx"],
        "egov.bench.loadgen",
        {
            "host": "127.0.0.1",
            "port": server.port,
            "clients": n,
            "processes": 2,
            "warmup": 0.0,
            "duration": 600.0,
            "max_requests": n,
            "timeout": 120.0,
            "expect": [200],
            "collect_field": None,
            "body_files": [],
            "requests": requests,
        },
        name=f"meetings-{name}",
        timeout=900,
    )
    return summary


def _vote(seeded: Seeded, meeting: Any, kind: str, result: ScenarioResult) -> None:
    from egov.meetings.models import Participant
    from egov.meetings.services import votes
    from egov.meetings.services.session import open_meeting

    presiding = _act(seeded.chair)
    if meeting.status != "in_session":
        Participant.objects.filter(meeting=meeting).update(present=True)
        open_meeting(actor=presiding, meeting=meeting)
        meeting.refresh_from_db()
    item = meeting.items.order_by("position").first()
    vote = votes.create_vote(
        actor=presiding, item=item, question=f"Thông qua tờ trình ({kind})", kind=kind
    )
    votes.open_vote(actor=presiding, vote=vote)
    casts = []
    for n, voter in enumerate([seeded.chair, *seeded.members]):
        choice = "for" if n % 3 else "against"
        began = time.perf_counter()
        votes.cast_ballot(actor=_act(voter), vote=vote, choice=choice)
        casts.append(time.perf_counter() - began)
    began = time.perf_counter()
    votes.close_vote(actor=presiding, vote=vote)
    close = time.perf_counter() - began
    vote.refresh_from_db()
    casts.sort()
    result.tables[0].rows.append(
        [
            "Bỏ phiếu kín" if kind == "secret" else "Biểu quyết công khai",
            str(len(casts)),
            f"{_ms(percentile(casts, 0.5))} / {_ms(percentile(casts, 0.99))} ms",
            f"{_ms(close)} ms",
            "thông qua" if vote.passed else "không thông qua",
        ]
    )
    if vote.ballots.count() != len(casts):
        result.problems.append(f"{kind} vote: {vote.ballots.count()} ballots for {len(casts)}")


def run_meetings_bench(config: MeetingsConfig, log: Log) -> MeetingsReport:
    started = time.monotonic()
    load_before = load_average()
    work_dir = Path(tempfile.mkdtemp(prefix="egov-bench-meetings-"))
    media = work_dir / "media"
    db = BenchDatabase.plan(name=config.db_name, work_dir=work_dir, keep=config.keep)
    secret_key = get_random_string(50)
    server: AppServer | None = None
    try:
        log(f"database: {db.label} (created fresh) ...")
        db.prepare()
        machine = describe()
        machine = Machine(**{**machine.__dict__, "load_before": load_before})
        report = MeetingsReport(config, machine, provenance(), db.label)
        with override_settings(MEDIA_ROOT=str(media)):
            log(f"seeding {config.members} members ...")
            seeded = _seed(config, secret_key)
            prep = ScenarioResult(
                "meeting_prepare",
                "Preparing and publishing a meeting of 50 members with 200 MB of materials",
                f"In-process, through the services: {config.materials} PDF materials of "
                f"{config.material_mb} MB attached one by one (upload checks, SHA-256, storage, "
                "event), then the publication that sends every participant the invitation with "
                "its ICS file on three channels through the outbox (one action, one transaction).",
            )
            log("attaching the materials ...")
            meeting = _prepare(config, seeded, prep)
            log("publishing ...")
            _publish(seeded, meeting, prep)
            report.results.append(prep)
            connection.close()

            env = bench_env(database_url=db.url, secret_key=secret_key, work_dir=work_dir)
            server = AppServer(env=env, log_path=work_dir / "gunicorn.log", workers=config.workers)
            log(f"starting gunicorn ({server.label}) ...")
            server.start()
            material = meeting._bench_materials[0]
            http = ScenarioResult(
                "meeting_open",
                "50 members open the agenda and a 20 MB material at the same time",
                "Each of the 50 members (its own session, second factor passed) sends one "
                "request at the same moment (50 keep-alive clients in 2 processes on the same "
                "2 cores); the floor is `/healthz` through the same server and middleware in "
                "the same run. The material is streamed from storage after the access check; "
                "the page image is rendered once and served from the cache afterwards.",
            )
            base = f"/hop/{meeting.pk}"
            rows = _http(
                {"tool_ctx": _ToolCtx(work_dir, Path(settings.BASE_DIR))},
                server,
                seeded,
                [
                    ("floor /healthz", "/healthz"),
                    ("the meeting page (agenda)", f"{base}/"),
                    (
                        f"the {config.material_mb} MB material (download)",
                        f"{base}/tai-lieu/{material}/tep/",
                    ),
                    ("the material's first page (reader)", f"{base}/tai-lieu/{material}/"),
                ],
            )
            http.tables.append(Table(HTTP_COLUMNS, rows))
            for row in rows:
                if row[-1] != "0":
                    http.problems.append(f"{row[0]}: {row[-1]} errors")
            report.results.append(http)
            server.stop()
            server = None

            votes_result = ScenarioResult(
                "meeting_vote",
                "A vote with 50 ballots and its close",
                "In-process, through the services: the chair opens a vote, each of the 50 "
                "members casts a ballot (an action each: the vote row locked, eligibility "
                "checked, the ballot and the participation row written, an event), then the "
                "chair closes it: the count under the rule, the signed participation list "
                "(secret vote) and the outcome.",
                tables=[Table(["vote", "ballots", "cast p50 / p99", "close", "outcome"], [])],
            )
            log("voting ...")
            _vote(seeded, meeting, "open", votes_result)
            _vote(seeded, meeting, "secret", votes_result)
            report.results.append(votes_result)
        report.seconds = time.monotonic() - started
        report.load_after = load_average()
        return report
    finally:
        if server is not None:
            server.stop()
        db.drop()
        shutil.rmtree(work_dir, ignore_errors=True)


@dataclass
class _ToolCtx:
    """What `scenarios.run_tool` needs of a context."""

    work_dir: Path
    base_dir: Path


def render(report: MeetingsReport) -> str:
    from .report import _pairs, _scenario_md

    cfg = report.config
    machine = [(k, v) for k, v in report.machine.rows() if not k.startswith("Load average")]
    lines = [
        START,
        "",
        f"## Meeting figures ({cfg.members} members, "
        f"{cfg.materials * cfg.material_mb} MB of materials)",
        "",
        f"Written by `python manage.py bench_meetings` (`make bench-meetings`) on "
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
                ("HTTP", f"gunicorn sync × {cfg.workers} workers, on the same 2 cores"),
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


def write_meetings_report(report: MeetingsReport, path: Path) -> None:
    write_section(path, render(report), START, END)
