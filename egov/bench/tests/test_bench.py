"""The benchmark command works end to end (tiny numbers: this is not a performance test)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from egov.bench import loadgen
from egov.bench.machine import Machine, Provenance
from egov.bench.report import END, START, write_report
from egov.bench.runner import BenchConfig, BenchReport
from egov.bench.scenarios import ScenarioResult, Table

BASE_DIR = Path(settings.BASE_DIR)


def test_bench_command_runs_the_smallest_scenarios_and_writes_the_report(tmp_path):
    output = tmp_path / "benchmarks.md"
    command = [
        sys.executable,
        "manage.py",
        "bench",
        "--quick",
        "--only",
        "events,calendar",
        "--inproc-seconds",
        "0.3",
        "--citizens",
        "2",
        "--write",
        "--output",
        str(output),
    ]
    if connection.vendor == "postgresql":
        command += ["--db-name", "test_egov_bench"]  # never the suite's own database
    done = subprocess.run(
        command, cwd=BASE_DIR, env=dict(os.environ), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "done: no errors" in done.stdout

    text = output.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks")
    assert START in text and END in text
    assert "### Event log appends (in-process) (`events`)" in text
    assert "### Working calendar (in-process) (`calendar`)" in text
    assert "| 1 thread, 1 agency chain |" in text
    assert "| Cores (logical CPUs) | " in text and "| Python | CPython 3.11" in text
    assert "at commit **`" in text
    assert "None: every request and every check succeeded." in text
    row = next(line for line in text.splitlines() if line.startswith("| calendar loaded once |"))
    calls_per_second = float(row.split("|")[4].replace(",", ""))
    assert calls_per_second > 0


def _report(figure: str) -> BenchReport:
    machine = Machine("CPU X", 2, "1.0 GiB", "Debian", "Linux", "CPython 3.11", "PG", "27", "0")
    report = BenchReport(
        config=BenchConfig.make(quick=True, only=["calendar"]),
        machine=machine,
        provenance=Provenance("2026-01-01T00:00:00Z", "abc"),
        database="SQLite file x",
    )
    report.results.append(
        ScenarioResult("calendar", "Calendar", "", tables=[Table(["calls/s"], [[figure]])])
    )
    return report


def test_rerunning_replaces_only_the_figures_section(tmp_path):
    path = tmp_path / "benchmarks.md"
    write_report(_report("111.0"), path)
    edited = path.read_text(encoding="utf-8").replace("# Benchmarks", "# Benchmarks (edited)")
    path.write_text(edited + "\nA note kept after the figures.\n", encoding="utf-8")

    write_report(_report("222.0"), path)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks (edited)")
    assert "| 222.0 |" in text and "| 111.0 |" not in text
    assert text.count(START) == 1 and text.count(END) == 1
    assert text.rstrip().endswith("A note kept after the figures.")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    counter = 0
    lock = threading.Lock()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        self.rfile.read(length)
        with self.lock:
            type(self).counter += 1
            n = type(self).counter
        status = 500 if self.path == "/fail" else 201
        body = json.dumps({"code": f"C{n}"}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_load_generator_counts_requests_errors_and_collects_codes():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        spec = {
            "host": "127.0.0.1",
            "port": server.server_address[1],
            "clients": 4,
            "processes": 1,
            "warmup": 0,
            "duration": 5,
            "max_requests": 40,
            "expect": [201],
            "collect_field": "code",
            "requests": [
                {"method": "POST", "path": "/ok", "body": "{}"},
                {"method": "POST", "path": "/ok", "body": "{}"},
                {"method": "POST", "path": "/ok", "body": "{}"},
                {"method": "POST", "path": "/fail", "body": "{}"},
            ],
        }
        summary = loadgen.run(spec)
    finally:
        server.shutdown()
        server.server_close()
    assert summary["requests"] == 40
    assert summary["errors"] == 10  # client 3 always sends the failing request
    assert summary["statuses"] == {"201": 30, "500": 10}
    assert len(summary["collected"]) == 30 == len(set(summary["collected"]))
    lat = summary["latency_ms"]
    assert 0 < lat["p50"] <= lat["p95"] <= lat["p99"] <= lat["max"]


def test_load_generator_refuses_other_hosts():
    with pytest.raises(ValueError, match=r"127\.0\.0\.1"):
        loadgen.run({"host": "example.org", "port": 80, "clients": 1, "requests": []})
