"""The bench's application servers (gunicorn and granian) and the side-by-side report (#19)."""

from __future__ import annotations

import http.client

import pytest

from egov.bench.scale import merge_server_results
from egov.bench.scenarios import HTTP_COLUMNS, ScenarioResult, Table
from egov.bench.server import AppServer, bench_env


def _result(name: str, label: str, rps: float, p99: float) -> ScenarioResult:
    row = [label, "16", "15.0", "100", f"{rps:,.1f}", "1.0", "2.0", f"{p99:.1f}", "0"]
    return ScenarioResult(
        name,
        name,
        "",
        tables=[Table(HTTP_COLUMNS, [row])],
        metrics={"throughput": rps, "p50": 1.0, "p99": p99},
    )


def test_servers_share_one_table_per_scenario_with_figures_relative_to_their_own_floor():
    merged = merge_server_results(
        [
            ("sync, 4 workers", [_result("http_floor", "g", 1000, 10), _result("t", "g", 500, 40)]),
            ("granian", [_result("http_floor", "r", 2000, 8), _result("t", "r", 600, 30)]),
        ]
    )
    assert [r.name for r in merged] == ["http_floor", "t"]
    floor, tracking = merged
    assert [row[0] for row in tracking.tables[0].rows] == ["g", "r"]
    assert tracking.metrics["sync, 4 workers: × floor"] == pytest.approx(0.5)
    assert tracking.metrics["granian: × floor"] == pytest.approx(0.3)
    assert "sync, 4 workers: 0.50 × its floor (p99 40 ms)" in tracking.notes[-1]
    assert "granian: 0.30 × its floor (p99 30 ms)" in tracking.notes[-1]
    assert len(floor.tables[0].rows) == 2


@pytest.mark.parametrize("kind", ["gunicorn", "granian"])
def test_each_server_answers_the_health_check_and_stops(kind, tmp_path):
    env = bench_env(
        database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        secret_key="bench-server-test-" + "x" * 40,
        work_dir=tmp_path,
    )
    log = tmp_path / f"{kind}.log"
    if kind == "granian":
        server = AppServer.granian(env=env, log_path=log, workers=1, threads=2)
    else:
        server = AppServer(env=env, log_path=log, workers=1)
    with server:
        assert server.worker_pids(), "its workers are its own children"
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        assert response.status == 200 and b"ok" in response.read()
        conn.close()
        process = server.process
    assert process is not None and process.poll() is not None
    assert server.label.startswith("granian" if kind == "granian" else "sync")
