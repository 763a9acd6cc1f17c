"""Local stand-ins for remote systems, for tests and demonstrations.

`StandInServer` is a real HTTP server on 127.0.0.1 that accepts JSON POSTs the way a webhook
receiver or an SMS gateway would: it remembers each request, can be told to fail the first N
requests (to exercise retries) or to answer slowly, and, like a well-behaved provider,
recognises a repeated `Idempotency-Key` and does not accept it twice.

    with StandInServer(fail_first=2) as server:
        enqueue("webhook", {"url": server.url + "/hook", "body": {...}}, idempotency_key="k1")
        ...
        assert server.accepted_keys() == ["k1"]

Run one by hand as a demo SMS gateway (then set SMS_GATEWAY_URL=http://127.0.0.1:8025/sms):

    python -m egov.events.standins --port 8025
"""

from __future__ import annotations

import argparse
import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from egov.core.standin import LocalHTTPServer


@dataclass
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    body: Any
    status: int
    received_at: float = field(default_factory=time.time)

    @property
    def idempotency_key(self) -> str:
        return self.headers.get("idempotency-key", "")


class StandInServer(LocalHTTPServer):
    def __init__(
        self,
        *,
        port: int = 0,
        fail_first: int = 0,
        fail_status: int = 503,
        delay: float = 0.0,
        verbose: bool = False,
    ) -> None:
        self.fail_first = fail_first
        self.fail_status = fail_status
        self.delay = delay
        self.verbose = verbose
        self.requests: list[ReceivedRequest] = []
        self.accepted: dict[str, ReceivedRequest] = {}
        self._lock = threading.Lock()
        super().__init__(port)

    # -- what it saw -----------------------------------------------------------------------

    def accepted_keys(self) -> list[str]:
        with self._lock:
            return list(self.accepted)

    def attempts_for(self, key: str) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.idempotency_key == key)

    # -- handling --------------------------------------------------------------------------

    def _respond(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, Any]:
        try:
            body = json.loads(raw.decode("utf-8")) if raw else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            return 400, {"error": "invalid JSON"}
        key = headers.get("idempotency-key", "")
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            failing = len(self.requests) < self.fail_first
            duplicate = bool(key) and key in self.accepted
            status = self.fail_status if failing else 200
            request = ReceivedRequest(path, headers, body, status)
            self.requests.append(request)
            if not failing and key and not duplicate:
                self.accepted[key] = request
        if self.verbose:
            print(f"{status} {path} key={key} duplicate={duplicate} body={body}", flush=True)
        if failing:
            return status, {"error": "stand-in failure"}
        return 200, {"accepted": True, "duplicate": duplicate, "id": key}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, body = server._respond(self.path, headers, raw)
                self._send(status, body)

            def do_GET(self) -> None:
                with server._lock:
                    listing = [
                        {
                            "path": r.path,
                            "key": r.idempotency_key,
                            "status": r.status,
                            "body": r.body,
                        }
                        for r in server.requests
                    ]
                self._send(200, {"requests": listing})

            def _send(self, status: int, body: Any) -> None:
                data = json.dumps(body, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Stand-in webhook receiver / SMS gateway")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--fail-first", type=int, default=0)
    args = parser.parse_args(argv)
    server = StandInServer(port=args.port, fail_first=args.fail_first, verbose=True)
    print(f"Stand-in listening on {server.url} (Ctrl+C to stop)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
