"""A local stand-in for a time-stamping authority (RFC 3161 over HTTP), for tests and the demo.

`TsaStandIn` is a real HTTP server on 127.0.0.1: it answers a POST of application/timestamp-query
(any path) with application/timestamp-reply, signing tokens with a TSA certificate and key (the
demo CA's TSA, made by `make_demo_ca`). Like a remote service it can misbehave, by `mode`
(constructor, `--mode`, or at run time a POST to `/mode` whose body is the mode's name):

    ok             tokens as a TSA should give them
    fail           HTTP 500
    slow           the answer comes after `delay` seconds (longer than the client waits)
    wrong-imprint  a well-signed token over another digest
    wrong-nonce    a well-signed token carrying another nonce
    untrusted      a token signed by a TSA certificate outside the trust list
    bad-signature  a token whose signature bytes were altered
    wrong-time     a well-signed token dated a day ahead (a TSA whose clock is wrong)

Run it by hand (after `make_demo_ca`; `scripts/run` does), then set
TSA_URL=http://127.0.0.1:8026/tsa:

    python -m egov.signing.tsa_standin --port 8026 [--mode ok]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any

from asn1crypto import tsp  # type: ignore[import-untyped, unused-ignore]

from egov.core.standin import LocalHTTPServer

from . import ca
from .keystore import KeyMaterial

MODES = (
    "ok",
    "fail",
    "slow",
    "wrong-imprint",
    "wrong-nonce",
    "untrusted",
    "bad-signature",
    "wrong-time",
)
REPLY_TYPE = "application/timestamp-reply"


def _altered_request(request: tsp.TimeStampReq, mode: str) -> tsp.TimeStampReq:
    """The request a lying TSA pretends it got: another digest, or another nonce."""
    imprint = request["message_imprint"]
    fields: dict[str, Any] = {
        "version": "v1",
        "message_imprint": tsp.MessageImprint(
            {
                "hash_algorithm": imprint["hash_algorithm"],
                "hashed_message": imprint["hashed_message"].native,
            }
        ),
        "cert_req": True,
    }
    nonce = request["nonce"].native
    if nonce is not None:
        fields["nonce"] = nonce
    if mode == "wrong-imprint":
        other = hashlib.sha256(b"another content" + imprint["hashed_message"].native).digest()
        fields["message_imprint"] = tsp.MessageImprint(
            {"hash_algorithm": imprint["hash_algorithm"], "hashed_message": other}
        )
    elif mode == "wrong-nonce":
        fields["nonce"] = (nonce or 0) + 1
    return tsp.TimeStampReq(fields)


def _with_altered_signature(response: tsp.TimeStampResp) -> tsp.TimeStampResp:
    altered = tsp.TimeStampResp.load(response.dump())
    signer = altered["time_stamp_token"]["content"]["signer_infos"][0]
    signature = bytearray(signer["signature"].native)
    signature[len(signature) // 2] ^= 0x01
    signer["signature"] = bytes(signature)
    return tsp.TimeStampResp.load(altered.dump(force=True))


class TsaStandIn(LocalHTTPServer):
    def __init__(
        self,
        material: KeyMaterial,
        *,
        port: int = 0,
        mode: str = "ok",
        delay: float = 5.0,
        verbose: bool = False,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; one of {', '.join(MODES)}")
        self.mode = mode
        self.delay = delay
        self.verbose = verbose
        self.authority = ca.DemoTimestampAuthority(material)
        self._untrusted: ca.DemoTimestampAuthority | None = None
        self.answers: list[tuple[str, int]] = []  # (mode, HTTP status) of each request
        self.requests: list[tsp.TimeStampReq] = []  # each well-formed request, as received
        self._lock = threading.Lock()
        super().__init__(port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/tsa"

    # -- answering -------------------------------------------------------------------------

    def _untrusted_authority(self) -> ca.DemoTimestampAuthority:
        """A TSA whose certificate comes from a CA nobody trusts (made once, on first use)."""
        with self._lock:
            if self._untrusted is None:
                root = ca.make_root("CA không được tin cậy (giả mạo)", key_type="ec")
                self._untrusted = ca.DemoTimestampAuthority(ca.issue_tsa_certificate(root))
            return self._untrusted

    def answer(self, body: bytes) -> tuple[int, str, bytes]:
        mode = self.mode
        if mode == "fail":
            return 500, "text/plain", b"stand-in failure"
        if mode == "slow":
            time.sleep(self.delay)
        try:
            request = tsp.TimeStampReq.load(body)
            request.native  # noqa: B018 - parse it all now
        except Exception:  # whatever was posted
            return 400, "text/plain", b"not a TimeStampReq"
        with self._lock:
            self.requests.append(request)
        if mode in ("wrong-imprint", "wrong-nonce"):
            request = _altered_request(request, mode)
        authority = self._untrusted_authority() if mode == "untrusted" else self.authority
        at = datetime.now(UTC) + timedelta(days=1) if mode == "wrong-time" else None
        response = authority.respond(request, at=at)
        if mode == "bad-signature":
            response = _with_altered_signature(response)
        return 200, REPLY_TYPE, response.dump()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(min(length, 64 * 1024))
                if self.path.rstrip("/") == "/mode":
                    mode = raw.decode("ascii", "replace").strip()
                    if mode not in MODES:
                        self._send(400, "text/plain", f"modes: {', '.join(MODES)}".encode())
                        return
                    server.mode = mode
                    self._send(200, "text/plain", mode.encode())
                    return
                mode = server.mode
                status, kind, body = server.answer(raw)
                with server._lock:
                    server.answers.append((mode, status))
                if server.verbose:
                    print(f"{status} {mode} {len(raw)} bytes", flush=True)
                self._send(status, kind, body)

            def _send(self, status: int, kind: str, body: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting ("slow")

            def log_message(self, format: str, *args: Any) -> None:
                return None

        return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Stand-in RFC 3161 time-stamping authority")
    parser.add_argument("--port", type=int, default=8026)
    parser.add_argument("--mode", choices=MODES, default="ok")
    parser.add_argument("--delay", type=float, default=30.0, help="seconds, in mode 'slow'")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "egov.settings.dev")
    import django

    django.setup()
    from django.db import connections

    from .services import ca_material, demo_tsa

    authority = demo_tsa()
    if authority is None:
        sys.exit("Chưa có TSA minh họa: chạy `manage.py make_demo_ca` trước.")
    material = ca_material(authority)
    connections.close_all()
    server = TsaStandIn(material, port=args.port, mode=args.mode, delay=args.delay, verbose=True)
    print(f"TSA stand-in on {server.url} as {authority.name} (Ctrl+C to stop)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
