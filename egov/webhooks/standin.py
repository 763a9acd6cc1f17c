"""A local stand-in webhook receiver: a real HTTP server on 127.0.0.1 that verifies every
delivery with the `standardwebhooks` package, as a subscriber would, and remembers it.

    with ReceiverStandIn(secret) as receiver:
        ...  # subscription target: receiver.url + "/hook"
        assert receiver.verified[0]["type"] == "dossier.received"

Told to misbehave: `mode` "ok" (204), "fail" (503), "timeout" (answers after `delay` seconds),
"gone" (410); `fail_first` failures before answering normally. A delivery that does not verify
(bad signature, stale or future timestamp, missing headers) is answered 401 and kept in
`refused`. Several secrets can be given (a receiver during a rotation accepts either).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from egov.core.standin import LocalHTTPServer

MODES = ("ok", "fail", "timeout", "gone")
MAX_BODY = 1024 * 1024


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    status: int
    event: dict[str, Any] | None = None
    error: str = ""
    received_at: float = field(default_factory=time.time)


class ReceiverStandIn(LocalHTTPServer):
    def __init__(
        self,
        secrets: str | list[str],
        *,
        port: int = 0,
        mode: str = "ok",
        fail_first: int = 0,
        delay: float = 0.0,
        verbose: bool = False,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.secrets = [secrets] if isinstance(secrets, str) else list(secrets)
        self.mode = mode
        self.fail_first = fail_first
        self.delay = delay
        self.verbose = verbose
        self.requests: list[Received] = []
        self._lock = threading.Lock()
        super().__init__(port)

    # -- what it saw -----------------------------------------------------------------------------

    @property
    def verified(self) -> list[dict[str, Any]]:
        """The CloudEvents of the deliveries that verified and were accepted (2xx)."""
        with self._lock:
            return [r.event for r in self.requests if r.event is not None and r.status < 300]

    @property
    def refused(self) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if r.status == 401]

    def verify(self, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
        """The CloudEvent if one of the secrets verifies it; WebhookVerificationError else."""
        error: Exception = WebhookVerificationError("no secret")
        for secret in self.secrets:
            try:
                event: dict[str, Any] = Webhook(secret).verify(body, headers)
                return event
            except WebhookVerificationError as exc:
                error = exc
        raise error

    # -- handling --------------------------------------------------------------------------------

    def _respond(self, headers: dict[str, str], body: bytes) -> int:
        try:
            event = self.verify(body, headers)
        except (WebhookVerificationError, ValueError) as exc:
            self._keep(Received(headers, body, 401, error=str(exc)))
            return 401
        with self._lock:
            failing = sum(1 for r in self.requests if r.error == "") < self.fail_first
        if self.mode == "timeout" or (failing and self.delay):
            time.sleep(self.delay)
        if failing or self.mode == "fail":
            status = 503
        elif self.mode == "gone":
            status = 410
        else:
            status = 204
        self._keep(Received(headers, body, status, event=event))
        return status

    def _keep(self, received: Received) -> None:
        with self._lock:
            self.requests.append(received)
        if self.verbose:
            event = received.event or {}
            print(
                f"{received.status} id={received.headers.get('webhook-id', '')} "
                f"type={event.get('type', '')} subject={event.get('subject', '')} "
                f"{received.error}",
                flush=True,
            )

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = min(int(self.headers.get("Content-Length") or 0), MAX_BODY)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                status = server._respond(headers, body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:
                with server._lock:
                    listing = [
                        {"status": r.status, "event": r.event, "error": r.error}
                        for r in server.requests
                    ]
                data = json.dumps({"requests": listing}, ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler
