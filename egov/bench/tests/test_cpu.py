"""Where a request's CPU goes (egov.bench.cpu): the groups, and processes that end mid-window."""

from __future__ import annotations

import http.client
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from egov.bench import cpu
from egov.bench.scale import merge_server_results
from egov.bench.scenarios import CPU_COLUMNS, HTTP_COLUMNS, ScenarioResult, Table, run_load
from egov.bench.server import AppServer, bench_env

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def _snap(
    at: float, procs: dict[int, tuple[int, str, int]], busy: int, stolen: int = 0
) -> cpu.Snapshot:
    return cpu.Snapshot(
        at=at,
        procs={pid: cpu.Proc(ppid=p, comm=c, ticks=t) for pid, (p, c, t) in procs.items()},
        busy_ticks=busy,
        total_ticks=busy * 2,
        stolen_ticks=stolen,
    )


def test_cpu_goes_to_the_group_of_the_nearest_root_and_survives_a_child_that_ended():
    tick = cpu.TICKS
    before = _snap(
        0.0,
        {
            10: (1, "gunicorn", 5 * tick),  # the web server's master (a root)
            11: (10, "gunicorn", 20 * tick),  # a worker
            12: (11, "python3.11", 3 * tick),  # its PDF inspector, replaced in the window
            20: (1, "postgres", 1 * tick),  # postmaster
            21: (20, "postgres", 7 * tick),  # a backend
            30: (1, "python3.11", 2 * tick),  # the load generator (a root)
            40: (1, "redis-server", 1 * tick),
        },
        busy=100 * tick,
    )
    after = _snap(
        2.0,
        {
            10: (1, "gunicorn", 5 * tick),
            # the old inspector (3 s before, 1 s in the window) was reaped: 4 s moved into the
            # worker's cutime; the worker itself ran 6 s; a new inspector ran 1 s.
            11: (10, "gunicorn", (20 + 6 + 4) * tick),
            13: (11, "python3.11", 1 * tick),
            20: (1, "postgres", 1 * tick),
            21: (20, "postgres", 10 * tick),
            30: (1, "python3.11", 3 * tick),
            40: (1, "redis-server", 2 * tick),
        },
        busy=103 * tick,
        stolen=1 * tick,
    )
    window = cpu.between(before, after, {10: cpu.WEB, 30: cpu.LOAD})
    assert window.cpu_seconds == {
        cpu.WEB: 6 + 1 + 1,  # worker, old inspector's last second, new inspector
        cpu.POSTGRES: 3,
        cpu.LOAD: 1,
        cpu.OTHER: 1,
    }
    assert window.seconds == 2.0
    assert window.busy_cores == pytest.approx(1.5)
    assert window.stolen_cores == pytest.approx(0.5)  # the hypervisor's, nobody's here
    assert window.per_request_ms(100)[cpu.WEB] == pytest.approx(80.0)


def test_a_real_snapshot_sees_this_process_and_its_cpu():
    snap = cpu.snapshot()
    assert snap is not None
    import os

    me = snap.procs[os.getpid()]
    assert me.ticks >= 0 and me.comm
    assert snap.total_ticks > snap.busy_ticks > 0


def test_a_load_run_says_where_each_request_spent_its_cpu(tmp_path):
    env = bench_env(
        database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        secret_key="bench-cpu-test-" + "x" * 40,
        work_dir=tmp_path,
    )
    with AppServer(env=env, log_path=tmp_path / "gunicorn.log", workers=1) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.request("GET", "/healthz")
        assert conn.getresponse().status == 200
        conn.close()
        ctx = SimpleNamespace(
            config=SimpleNamespace(clients=2, client_processes=1),
            work_dir=tmp_path,
            base_dir=Path(__file__).resolve().parents[3],
        )
        assert server.process is not None
        summary = run_load(
            ctx,  # type: ignore[arg-type]
            port=server.port,
            requests=[{"method": "GET", "path": "/healthz", "headers": {}}],
            body_files=[],
            expect=[200],
            duration=4,
            warmup=0.5,
            max_requests=10**6,
            name="cpu",
            server_pid=server.process.pid,
        )
    assert summary["errors"] == 0 and summary["requests"] > 0
    per = summary["cpu"]["ms_per_request"]
    assert set(per) == {cpu.WEB, cpu.POSTGRES, cpu.LOAD, cpu.OTHER}
    # Every request cost the server and the client something. (PostgreSQL's share is not
    # asserted: the server answers from SQLite, but other tests may keep PostgreSQL busy.)
    assert per[cpu.WEB] > 0 and per[cpu.LOAD] > 0
    cores = __import__("os").cpu_count() or 1
    assert 0 < summary["cpu"]["busy_cores"] <= cores + 0.2
    assert 0 <= summary["cpu"]["stolen_cores"] <= cores + 0.2


def _result(name: str, rps: float, cpu_ms: float) -> ScenarioResult:
    row = ["g", "16", "15.0", "100", f"{rps:,.1f}", "1.0", "2.0", "3.0", "0"]
    return ScenarioResult(
        name,
        name,
        "",
        tables=[
            Table(HTTP_COLUMNS, [row]),
            Table(CPU_COLUMNS, [["g", "1", "1", "1", "1", "2", "0", "9"]]),
        ],
        metrics={"throughput": rps, "p50": 1.0, "p99": 3.0, "cpu_ms": cpu_ms},
    )


def test_the_report_bounds_each_figure_by_its_cpu_against_the_floor():
    merged = merge_server_results(
        [
            ("gunicorn", [_result("http_floor", 1000, 1.0), _result("submit", 50, 25.0)]),
            ("granian", [_result("http_floor", 1500, 0.8), _result("submit", 40, 24.0)]),
        ]
    )
    submit = merged[1]
    # One CPU table with a row per server, beside the one HTTP table.
    assert [t.columns for t in submit.tables] == [HTTP_COLUMNS, CPU_COLUMNS]
    assert len(submit.tables[1].rows) == 2
    note = submit.notes[-1]
    assert "gunicorn: 25.00 ms against the floor's 1.00 ms, so at most 0.04 × its floor" in note
    assert "granian: 24.00 ms against the floor's 0.80 ms, so at most 0.03 × its floor" in note
