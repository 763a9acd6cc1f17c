"""HTTP load generator: N keep-alive clients spread over processes and threads, stdlib only.

Run as `python -m egov.bench.loadgen SPEC.json`; it prints one JSON object with the figures.
It imports nothing from Django, so it can fork freely. The spec (written by `run_load`):

    {"host": "127.0.0.1", "port": 8123, "clients": 16, "processes": 2,
     "warmup": 2.0, "duration": 15.0, "max_requests": 100000, "timeout": 30.0,
     "start_at": 1764900000.0,  (optional: when the clients start, time.time(); else soon)
     "expect": [200], "collect_field": "code",
     "body_files": ["/tmp/.../body0.bin"],
     "requests": [{"method": "POST", "path": "/api/v1/tracking/",
                   "headers": {"Content-Type": "application/json"},
                   "body": "{...}"  or  "body_file": 0}]}

Client `c` sends requests `c, c + clients, c + 2*clients, ...` (cycling), so with as many
requests as needed no two clients ever send the same one. Requests started during the warm-up
are counted apart; the measured window is `duration` seconds after it. The loops are bounded
by the deadline and by `max_requests`. Only 127.0.0.1 / localhost is accepted as host.
"""

from __future__ import annotations

import http.client
import json
import math
import multiprocessing
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None


@dataclass
class ClientResult:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: int = 0
    warmup_requests: int = 0
    warmup_errors: int = 0
    collected: list[str] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)
    last_done: float = 0.0


def _load_requests(spec: dict[str, Any]) -> list[Request]:
    bodies = [Path(p).read_bytes() for p in spec.get("body_files", [])]
    requests = []
    for item in spec["requests"]:
        if "body_file" in item:
            body: bytes | None = bodies[int(item["body_file"])]
        elif item.get("body") is not None:
            body = str(item["body"]).encode("utf-8")
        else:
            body = None
        requests.append(Request(item["method"], item["path"], dict(item.get("headers", {})), body))
    if not requests:
        raise ValueError("the spec has no requests")
    return requests


def _client(
    index: int,
    spec: dict[str, Any],
    requests: list[Request],
    result: ClientResult,
) -> None:
    host, port = spec["host"], int(spec["port"])
    clients = int(spec["clients"])
    start_at = float(spec["start_at"])
    measure_at = start_at + float(spec.get("warmup", 0))
    end_at = measure_at + float(spec["duration"])
    budget = math.ceil(int(spec.get("max_requests", 10**9)) / clients)
    expect = set(spec.get("expect", [200]))
    collect_field = spec.get("collect_field")
    timeout = float(spec.get("timeout", 30))
    conn: http.client.HTTPConnection | None = None
    position = index
    sent = 0
    while time.time() < start_at:
        time.sleep(0.001)
    while sent < budget:
        started = time.time()
        if started >= end_at:
            break
        request = requests[position % len(requests)]
        position += clients
        sent += 1
        status = 0
        data = b""
        problem = ""
        t0 = time.perf_counter()
        try:
            if conn is None:
                conn = http.client.HTTPConnection(host, port, timeout=timeout)
            conn.request(request.method, request.path, body=request.body, headers=request.headers)
            response = conn.getresponse()
            data = response.read()
            status = response.status
            if response.will_close:
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException) as exc:
            problem = f"{type(exc).__name__}: {exc}"
            if conn is not None:
                conn.close()
            conn = None
        elapsed_ms = (time.perf_counter() - t0) * 1000
        ok = not problem and status in expect
        if ok and collect_field:
            try:
                result.collected.append(str(json.loads(data)[collect_field]))
            except (ValueError, KeyError, TypeError):
                ok = False
                problem = f"no '{collect_field}' in the response"
        if not ok and len(result.error_samples) < 5:
            text = data[:300].decode("utf-8", "replace")
            result.error_samples.append(
                f"{request.method} {request.path} -> {status} {problem} {text}"
            )
        if started < measure_at:
            result.warmup_requests += 1
            result.warmup_errors += 0 if ok else 1
            continue
        result.latencies_ms.append(elapsed_ms)
        result.statuses[status] += 1
        result.errors += 0 if ok else 1
        result.last_done = time.time()
    if conn is not None:
        conn.close()


def _run_process(args: tuple[dict[str, Any], int]) -> list[ClientResult]:
    spec, process_index = args
    requests = _load_requests(spec)
    clients, processes = int(spec["clients"]), int(spec["processes"])
    mine = [c for c in range(clients) if c % processes == process_index]
    results = [ClientResult() for _ in mine]
    threads = [
        threading.Thread(target=_client, args=(c, spec, requests, r), daemon=True)
        for c, r in zip(mine, results, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list (0.0 for an empty list)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarise(spec: dict[str, Any], results: list[ClientResult]) -> dict[str, Any]:
    latencies = sorted(x for r in results for x in r.latencies_ms)
    statuses: Counter[int] = Counter()
    for r in results:
        statuses.update(r.statuses)
    measure_at = float(spec["start_at"]) + float(spec.get("warmup", 0))
    last = max((r.last_done for r in results), default=measure_at)
    elapsed = max(last - measure_at, 1e-9) if latencies else 0.0
    errors = sum(r.errors for r in results)
    return {
        "clients": int(spec["clients"]),
        "processes": int(spec["processes"]),
        "duration": round(elapsed, 3),
        "requests": len(latencies),
        "ok": len(latencies) - errors,
        "errors": errors,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "throughput": round(len(latencies) / elapsed, 2) if elapsed else 0.0,
        "latency_ms": {
            "p50": round(percentile(latencies, 0.50), 2),
            "p95": round(percentile(latencies, 0.95), 2),
            "p99": round(percentile(latencies, 0.99), 2),
            "mean": round(sum(latencies) / len(latencies), 2) if latencies else 0.0,
            "max": round(latencies[-1], 2) if latencies else 0.0,
        },
        "warmup": {
            "requests": sum(r.warmup_requests for r in results),
            "errors": sum(r.warmup_errors for r in results),
        },
        "collected": [x for r in results for x in r.collected],
        "error_samples": [x for r in results for x in r.error_samples][:5],
    }


def run(spec: dict[str, Any]) -> dict[str, Any]:
    """Run the load described by `spec` and return the summary (see the module docstring)."""
    if spec["host"] not in LOCAL_HOSTS:
        raise ValueError("the load generator only targets this machine (127.0.0.1)")
    processes = max(1, min(int(spec.get("processes", 1)), int(spec["clients"])))
    # A caller that samples the machine during the measured window sets the start itself.
    start_at = float(spec.get("start_at") or time.time() + 0.3 + 0.2 * processes)
    spec = {**spec, "processes": processes, "start_at": start_at}
    if processes == 1:
        results = _run_process((spec, 0))
    else:
        context = multiprocessing.get_context("fork")
        with context.Pool(processes) as pool:
            per_process = pool.map(_run_process, [(spec, p) for p in range(processes)])
        results = [r for chunk in per_process for r in chunk]
    return summarise(spec, results)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m egov.bench.loadgen SPEC.json", file=sys.stderr)
        return 2
    spec = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    json.dump(run(spec), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
