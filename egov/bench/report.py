"""docs/benchmarks.md: the figures section is rendered here and replaced on every written run.

The text before the start marker (how to run, what the figures mean) is left as it is, so
it can be edited by hand; everything between the markers belongs to the command.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .scenarios import ScenarioResult, Table

if TYPE_CHECKING:
    from .runner import BenchReport

START = "<!-- bench:figures:start — written by `python manage.py bench`; do not edit by hand -->"
END = "<!-- bench:figures:end -->"

INTRO = """# Benchmarks

How fast the platform is, measured by one command on one machine:

```sh
make bench                                          # PostgreSQL at PG_URL; writes the figures below
.venv/bin/python manage.py bench --quick --only events,calendar   # a quick look, writes nothing
```

**Rule:** the figures below are written only by the command (`--write`, on by default under
`make bench`), together with the machine they come from, the date and the git commit. Never type
or edit them by hand. Performance is measured here, never by timed unit tests. Re-running
replaces the *Figures* section; the text above it stays.

## What the command does

1. Creates its own database: `egov_bench` on the PostgreSQL server `DATABASE_URL` points at
   (dropped and created fresh, migrated programmatically, dropped at the end unless `--keep`),
   or a temporary SQLite file when `DATABASE_URL` is SQLite. The database named by
   `DATABASE_URL` is never touched.
2. Seeds through the services: four agencies, a published procedure with one online form
   component and one PDF component, and citizens, each with a login session and a CSRF token.
3. Runs the scenarios (`--only name,...` to pick some):
   - `events` — `record_event` appends per second, in-process: one thread on one agency chain,
     then four threads on four agency chains in parallel.
   - `calendar` — `WorkingCalendar.add_working_days(start, 15)` calls per second, in-process.
   - `submit_http` — online submissions per second through `POST /api/v1/dossiers/` (multipart
     with the form JSON and a ~50 KB PDF), every request as a different logged-in citizen.
     Checked afterwards: new dossiers = successful responses, all codes distinct.
   - `tracking_http` — public lookups per second through `POST /api/v1/tracking/` (dossier code +
     id number) over the dossiers created in the run.
   - `pgbench` — the reference: `pgbench -i -s 10` into a scratch database `egov_pgbench` on the
     same server, then select-only (`-S`) and TPC-B-like runs, 16 clients, 2 threads; the report
     gives tracking_http ÷ select-only and submit_http ÷ TPC-B-like.
   - `memory` — peak RSS (VmHWM) of the gunicorn workers over the HTTP scenarios, and of a Huey
     consumer draining the outbox work the submissions queued.
4. HTTP runs go to gunicorn on `127.0.0.1` (4 workers; sync and gthread workers are both probed
   and the faster serves the measured runs) with `egov.settings.bench`: production settings
   minus HTTPS-only ones, DEBUG off, persistent database connections, a real Huey queue in a
   temporary file, logging at WARNING. The load generator (`egov/bench/loadgen.py`, stdlib only)
   runs 16 concurrent keep-alive clients in 2 processes on the same machine, a short warm-up,
   then a fixed measured window (15 s; 3 s with `--quick`).

## Reading the figures

- **req/s, appends/s, calls/s, TPS** — operations completed per second in the measured window
  (warm-up excluded).
- **p50 / p95 / p99 ms** — latency percentiles of single requests/operations as the client saw
  them (for HTTP: from sending the request to reading the whole response).
- **errors** — responses with another status than expected (201 for submissions, 200 for
  lookups) or connection errors, warm-up included. Must be 0: the command exits non-zero and
  lists the problems otherwise.
- The load generator and the server share the machine's cores, so the HTTP figures are a lower
  bound of what the server alone would do; compare runs on the same machine only.
- `--quick` figures are for checking that the benchmark works, not for comparison.

"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table_md(table: Table) -> str:
    lines = []
    if table.title:
        lines.append(f"*{table.title}*\n")
    lines.append("| " + " | ".join(_cell(c) for c in table.columns) + " |")
    lines.append("|" + "|".join("---" for _ in table.columns) + "|")
    for row in table.rows:
        lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
    return "\n".join(lines)


def _pairs(rows: list[tuple[str, str]]) -> str:
    return table_md(Table(["", ""], [[k, v] for k, v in rows]))


def _scenario_md(result: ScenarioResult) -> str:
    parts = [f"### {result.title} (`{result.name}`)", ""]
    if result.meaning:
        parts += [result.meaning, ""]
    if result.skipped:
        parts += [f"Not run: {result.skipped}.", ""]
    for table in result.tables:
        parts += [table_md(table), ""]
    for note in result.notes:
        parts.append(f"- {note}")
    for problem in result.problems:
        parts.append(f"- **Problem:** {problem}")
    return "\n".join(parts).rstrip() + "\n"


def busy(report: BenchReport) -> bool:
    """More runnable processes than half the cores, on average over the last minute."""
    try:
        one_minute = float(report.machine.load_before.split("/")[0])
    except ValueError:
        return False
    return one_minute > report.machine.cores / 2


def render_figures(report: BenchReport) -> str:
    prov = report.provenance
    parts = [
        START,
        "## Figures",
        "",
        f"Run on **{prov.date}** at commit **`{prov.commit}`**, "
        f"{'quick' if report.config.quick else 'full'} run, {report.seconds:.0f} s in all, "
        f"on the {report.database}.",
        "",
        "### Machine",
        "",
        _pairs(report.machine.rows()),
        "",
        "### Run",
        "",
        _pairs(
            [
                *report.config.describe(),
                ("Load average after the run (1/5/15 min)", report.load_after or "unknown"),
            ]
        ),
        "",
    ]
    if busy(report):
        parts += [
            f"> **The machine was busy** (load average {report.machine.load_before} before "
            f"the run on {report.machine.cores} cores): other work competed for the CPUs and "
            "the figures are lower than the machine can do.",
            "",
        ]
    for result in report.results:
        parts.append(_scenario_md(result))
    problems = report.problems
    parts.append("### Problems\n")
    if problems:
        parts += [f"- {p}" for p in problems]
    else:
        parts.append("None: every request and every check succeeded.")
    parts += ["", END, ""]
    return "\n".join(parts)


def write_section(path: Path, section: str, start: str, end: str) -> None:
    """Put `section` (which begins with the marker `start` and ends with `end`) in place of the
    one between those markers in `path`, or at its end: a benchmark rewrites only its own
    figures in docs/benchmarks.md."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if start in text and end in text:
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1]
        text = before + section + after.lstrip("\n")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")


def write_report(report: BenchReport, path: Path) -> None:
    """Replace the figures section of `path` (creating the file with the intro if needed)."""
    figures = render_figures(report)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    start, end = text.find(START), text.find(END)
    if start != -1 and end > start:
        text = text[:start] + figures + text[end + len(END) :].lstrip("\n")
    elif text:
        text = text.rstrip("\n") + "\n\n" + figures
    else:
        text = INTRO + figures
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
