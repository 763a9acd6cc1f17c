"""Drives whole dossier lifecycles through the one-stop REST API, as officials would.

Run as `python -m egov.bench.lifecycle_load SPEC.json`; prints one JSON object. Stdlib only
(and egov.bench.loadgen, which is too).

Each client is a desk: it receives a dossier in person (multipart, with a scanned PDF) as one
of the receivers, then the official who holds each step forwards it (the session of whoever
the engine assigned: least-loaded among several officials per role, so officials work
concurrently on different dossiers), and the desk returns the result. A lifecycle counts when
its last call ends inside the measured window.

    {"host": "127.0.0.1", "port": 8123, "clients": 8, "warmup": 3, "duration": 20,
     "body_file": "/tmp/.../reception.bin", "content_type": "multipart/form-data; boundary=...",
     "receivers": [{"cookie": "...", "csrf": "..."}],
     "officials": {"17": {"cookie": "...", "csrf": "..."}}}
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from egov.bench.loadgen import percentile


def _pct(values: list[float], p: float) -> float:
    return percentile(sorted(values), p / 100)


class Client(threading.Thread):
    def __init__(self, n: int, spec: dict[str, Any], body: bytes, t0: float) -> None:
        super().__init__(daemon=True)
        self.n = n
        self.spec = spec
        self.body = body
        self.start_measure = t0 + spec["warmup"]
        self.deadline = self.start_measure + spec["duration"]
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.lifecycles: list[float] = []
        self.errors: list[str] = []
        self.conn = http.client.HTTPConnection(spec["host"], spec["port"], timeout=60)

    def call(self, kind: str, who: dict[str, str], path: str, body: bytes, ctype: str) -> Any:
        headers = {
            "Cookie": who["cookie"],
            "X-CSRFToken": who["csrf"],
            "Content-Type": ctype,
            "Accept": "application/json",
            "Referer": f"http://{self.spec['host']}:{self.spec['port']}/",
        }
        started = time.monotonic()
        try:
            self.conn.request("POST", path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.spec["host"], self.spec["port"], timeout=60)
            raise
        ended = time.monotonic()
        if started >= self.start_measure and ended <= self.deadline:
            self.latencies[kind].append((ended - started) * 1000)
        if response.status not in (200, 201):
            raise RuntimeError(f"{kind} {path}: HTTP {response.status} {data[:300]!r}")
        return json.loads(data)

    def holder(self, state: dict[str, Any], fallback: dict[str, str]) -> dict[str, str]:
        step = state.get("active_step") or {}
        return self.spec["officials"].get(str(step.get("assignee_id")), fallback)

    def run(self) -> None:
        receivers = self.spec["receivers"]
        desk = receivers[self.n % len(receivers)]
        while time.monotonic() < self.deadline:
            began = time.monotonic()
            try:
                state = self.call(
                    "receive",
                    desk,
                    "/api/v1/onestop/dossiers/",
                    self.body,
                    self.spec["content_type"],
                )
                code = state["code"]
                while state["status"] != 9:
                    state = self.call(
                        "forward",
                        self.holder(state, desk),
                        f"/api/v1/onestop/dossiers/{code}/forward/",
                        json.dumps({"version": state["version"]}).encode(),
                        "application/json",
                    )
                self.call(
                    "return",
                    self.holder(state, desk),
                    f"/api/v1/onestop/dossiers/{code}/return/",
                    json.dumps({"version": state["version"], "method": "desk"}).encode(),
                    "application/json",
                )
            except Exception as exc:
                if len(self.errors) < 1000:
                    self.errors.append(f"{type(exc).__name__}: {exc}"[:400])
                continue
            ended = time.monotonic()
            if ended > self.start_measure and ended <= self.deadline:
                self.lifecycles.append((ended - began) * 1000)


def main(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    body = Path(spec["body_file"]).read_bytes()
    t0 = time.monotonic()
    clients = [Client(n, spec, body, t0) for n in range(spec["clients"])]
    for c in clients:
        c.start()
    for c in clients:
        c.join(spec["warmup"] + spec["duration"] + 120)
    lat: dict[str, list[float]] = defaultdict(list)
    for c in clients:
        for kind, values in c.latencies.items():
            lat[kind].extend(values)
    lifecycles = [v for c in clients for v in c.lifecycles]
    errors = [e for c in clients for e in c.errors]
    out = {
        "clients": spec["clients"],
        "duration": spec["duration"],
        "lifecycles": len(lifecycles),
        "lifecycles_per_s": len(lifecycles) / spec["duration"],
        "lifecycle_ms": {"p50": _pct(lifecycles, 50), "p99": _pct(lifecycles, 99)},
        "actions": {
            kind: {
                "count": len(v),
                "per_s": len(v) / spec["duration"],
                "p50": _pct(v, 50),
                "p95": _pct(v, 95),
                "p99": _pct(v, 99),
            }
            for kind, v in sorted(lat.items())
        },
        "errors": len(errors),
        "error_samples": errors[:5],
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
