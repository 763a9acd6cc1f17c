"""A local stand-in for the national electronic identity (VNeID), for tests, the demo and by hand.

No public VNeID protocol specification exists, so this is a plain OpenID Connect provider
(authorisation code flow with PKCE S256, state, nonce, RS256 ID tokens), built with joserfc, on
which the relying party (egov/identity/providers.py) is tested. A real HTTP server on 127.0.0.1:

    GET  /.well-known/openid-configuration   the discovery document
    GET  /jwks                               the public signing key (JWKS)
    GET  /authorize                          checks client_id, redirect_uri, response_type,
                                             scope "openid", the PKCE challenge (S256 only);
                                             shows the demo citizens to pick and a consent step
    POST /authorize                          "Đồng ý" → back to redirect_uri with a one-time
                                             code and the state; "Hủy" → error=access_denied
    POST /token                              client_secret_basic or client_secret_post; the
                                             code (one use, 60 s), the same redirect_uri, the
                                             PKCE verifier; answers an access token and the
                                             signed ID token. A code used twice is refused
                                             (invalid_grant) and its access token revoked.
    GET  /userinfo                           the claims for a Bearer access token
    POST /control                            {"mode": ...}: how to behave from now on
    GET  /control                            the mode and counts (JSON)
    GET  /healthz                            "ok"

Modes (constructor, `--mode`, or /control), for the relying party's attack tests:

    normal          a correct ID token
    wrong-nonce     the ID token carries another nonce than the one asked for
    other-key       the ID token is signed by another RSA key under the published key's kid
    expired         the ID token expired an hour ago
    wrong-audience  the ID token is issued to another client
    wrong-issuer    the ID token names another issuer
    no-personal-id  the claims lack the personal id number
    error           the authorisation answers error=server_error instead of a code

The RSA key is generated at start, or read from (and written to) `key_path` so that a restarted
stand-in keeps its key (`manage.py identity_standin` keeps it in var/identity_standin_key.json).

    python manage.py identity_standin --port 8029 [--mode normal]
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey

from egov.core.standin import LocalHTTPServer

MODES = (
    "normal",
    "wrong-nonce",
    "other-key",
    "expired",
    "wrong-audience",
    "wrong-issuer",
    "no-personal-id",
    "error",
)
MAX_BODY = 16 * 1024
CODE_SECONDS = 60
TOKEN_SECONDS = 600


@dataclass(frozen=True)
class DemoCitizen:
    """A person the stand-in can assert; the claim names are the provider's (see CLAIM_MAP in
    egov/identity/providers.py for how the relying party maps them)."""

    key: str
    personal_id: str
    name: str
    birthdate: str
    gender: str
    level: int
    phone: str = ""
    email: str = ""
    address: str = ""
    current_address: str = ""

    @property
    def subject(self) -> str:
        # An opaque, stable subject per person (the provider's, not the id number).
        return "vneid-" + hashlib.sha256(self.personal_id.encode()).hexdigest()[:24]

    def claims(self) -> dict[str, Any]:
        claims: dict[str, Any] = {
            "sub": self.subject,
            "identity_number": self.personal_id,
            "name": self.name,
            "birthdate": self.birthdate,
            "gender": self.gender,
            "nationality": "VN",
            "identity_level": self.level,
            "acr": f"urn:vneid:level:{self.level}",
        }
        if self.phone:
            claims["phone_number"] = self.phone
        if self.email:
            claims["email"] = self.email
        if self.address:
            claims["address"] = {"formatted": self.address}
        if self.current_address:
            claims["current_address"] = {"formatted": self.current_address}
        return claims


# Nguyễn Văn An and Trần Thị Bình are the demo's citizen accounts (egov/demo/data.py): their
# VNeID login lands on those accounts. Lê Văn Cường and Phạm Thị Dung have no account yet.
DEMO_CITIZENS = (
    DemoCitizen(
        "an",
        "022085012345",
        "Nguyễn Văn An",
        "1985-03-12",
        "male",
        2,
        phone="+84912000001",
        email="an.nguyen@example.com",
        address="Số 12 đường Trần Hưng Đạo, phường Hồng Gai, thành phố Hạ Long, tỉnh Quảng Ninh",
        current_address="Số 12 đường Trần Hưng Đạo, phường Hồng Gai, thành phố Hạ Long, "
        "tỉnh Quảng Ninh",
    ),
    DemoCitizen(
        "binh",
        "022192067890",
        "Trần Thị Bình",
        "1992-07-30",
        "female",
        1,
        phone="+84912000002",
        address="Thôn 3, xã Quảng La, thành phố Hạ Long, tỉnh Quảng Ninh",
    ),
    DemoCitizen(
        "cuong",
        "001088004321",
        "Lê Văn Cường",
        "1988-11-02",
        "male",
        2,
        phone="+84983000003",
        email="cuong.le@example.com",
        address="Số 5 phố Hàng Bạc, phường Hàng Bạc, quận Hoàn Kiếm, thành phố Hà Nội",
        current_address="Tổ 4, phường Cao Xanh, thành phố Hạ Long, tỉnh Quảng Ninh",
    ),
    DemoCitizen(
        "dung",
        "079195008765",
        "Phạm Thị Dung",
        "1995-01-20",
        "female",
        1,
        email="dung.pham@example.com",
        address="Số 8 đường Lê Lợi, phường Bến Nghé, quận 1, Thành phố Hồ Chí Minh",
    ),
)


@dataclass
class Grant:
    """An authorisation: its code, then its access token."""

    code: str
    client_id: str
    redirect_uri: str
    nonce: str
    challenge: str
    citizen: DemoCitizen
    issued_at: float = field(default_factory=time.time)
    used: bool = False
    access_token: str = ""


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _new_key(kid: str | None = None) -> RSAKey:
    kid = kid or "standin-" + secrets.token_hex(4)
    return RSAKey.generate_key(
        2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"}, private=True
    )


def _load_key(path: Path | None) -> RSAKey:
    if path is not None and path.exists():
        return RSAKey.import_key(json.loads(path.read_text()))
    key = _new_key()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(key.as_dict(private=True)))
        path.chmod(0o600)
    return key


class IdentityStandIn(LocalHTTPServer):
    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        port: int = 0,
        mode: str = "normal",
        citizens: tuple[DemoCitizen, ...] = DEMO_CITIZENS,
        redirect_uris: tuple[str, ...] = (),
        redirect_hosts: tuple[str, ...] = ("127.0.0.1", "localhost"),
        key_path: Path | None = None,
        verbose: bool = False,
    ) -> None:
        if not client_id or not client_secret:
            raise ValueError("the client id and secret are required")
        self._check_mode(mode)
        self.client_id = client_id
        self.client_secret = client_secret
        self.mode = mode
        self.citizens = {c.key: c for c in citizens}
        # Registered redirect URIs; empty: any http(s) URI on `redirect_hosts` (a dev tool).
        self.redirect_uris = redirect_uris
        self.redirect_hosts = redirect_hosts
        self.verbose = verbose
        self.key = _load_key(key_path)
        # An attacker's key that claims the published key's kid.
        self.other_key = _new_key(self.key.kid)
        self.grants: dict[str, Grant] = {}
        self.tokens: dict[str, Grant] = {}
        self.token_requests = 0
        self.refused: list[str] = []
        self._lock = threading.Lock()
        super().__init__(port)

    # -- configuration ---------------------------------------------------------------------

    @property
    def issuer(self) -> str:
        return self.url

    @property
    def discovery_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    @staticmethod
    def _check_mode(mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")

    def set_mode(self, mode: str) -> None:
        self._check_mode(mode)
        with self._lock:
            self.mode = mode

    def _log(self, line: str) -> None:
        if self.verbose:
            print(line, flush=True)

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "userinfo_endpoint": f"{self.url}/userinfo",
            "jwks_uri": f"{self.url}/jwks",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["openid", "profile", "email", "phone", "address"],
            "claims_supported": sorted({*DEMO_CITIZENS[0].claims(), "iss", "aud", "nonce"}),
        }

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.key.as_dict(private=False)]}

    # -- authorisation ---------------------------------------------------------------------

    def _redirect_allowed(self, uri: str) -> bool:
        if self.redirect_uris:
            return uri in self.redirect_uris
        parts = urlsplit(uri)
        return parts.scheme in ("http", "https") and parts.hostname in self.redirect_hosts

    def check_authorize(self, params: dict[str, str]) -> str:
        """An error message to show (not redirect: the redirect URI may be the attacker's), or
        "" when the request is well formed."""
        if params.get("client_id") != self.client_id:
            return "Ứng dụng (client_id) không được đăng ký."
        if not self._redirect_allowed(params.get("redirect_uri", "")):
            return "Địa chỉ quay về (redirect_uri) không được đăng ký."
        if params.get("response_type") != "code":
            return "Chỉ hỗ trợ response_type=code."
        if "openid" not in params.get("scope", "").split():
            return "Thiếu phạm vi openid."
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return "Cần PKCE với code_challenge_method=S256."
        if not params.get("state") or not params.get("nonce"):
            return "Cần state và nonce."
        return ""

    def decide(self, params: dict[str, str], citizen_key: str, action: str) -> str:
        """The citizen consented (or cancelled): where the browser goes next."""
        back = params["redirect_uri"]
        sep = "&" if "?" in back else "?"
        state = params.get("state", "")
        if action != "consent":
            return back + sep + urlencode({"error": "access_denied", "state": state})
        if self.mode == "error":
            return back + sep + urlencode({"error": "server_error", "state": state})
        citizen = self.citizens.get(citizen_key)
        if citizen is None:
            return back + sep + urlencode({"error": "access_denied", "state": state})
        code = secrets.token_urlsafe(24)
        with self._lock:
            self.grants[code] = Grant(
                code=code,
                client_id=params["client_id"],
                redirect_uri=back,
                nonce=params["nonce"],
                challenge=params["code_challenge"],
                citizen=citizen,
            )
        self._log(f"code issued for {citizen.name}")
        return back + sep + urlencode({"code": code, "state": state})

    # -- token -----------------------------------------------------------------------------

    def _client_of(self, headers: Any, form: dict[str, str]) -> tuple[str, str]:
        auth = headers.get("Authorization") or ""
        if auth.startswith("Basic "):
            with contextlib.suppress(ValueError):
                raw = base64.b64decode(auth[6:]).decode("utf-8")
                user, _, password = raw.partition(":")
                return unquote(user), unquote(password)
        return form.get("client_id", ""), form.get("client_secret", "")

    def token(self, headers: Any, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.token_requests += 1
        client_id, secret = self._client_of(headers, form)
        if not (
            hmac.compare_digest(client_id, self.client_id)
            and hmac.compare_digest(secret, self.client_secret)
        ):
            return self._refuse(401, "invalid_client", "Sai thông tin xác thực ứng dụng.")
        if form.get("grant_type") != "authorization_code":
            return self._refuse(400, "unsupported_grant_type", "Chỉ hỗ trợ authorization_code.")
        with self._lock:
            grant = self.grants.get(form.get("code", ""))
            if grant is not None and grant.used:
                # A replayed code: refused, and what it gave is revoked (RFC 6749 4.1.2).
                self.tokens.pop(grant.access_token, None)
                replayed = True
            else:
                replayed = False
                if grant is not None:
                    grant.used = True
        if grant is None or replayed:
            return self._refuse(400, "invalid_grant", "Mã cấp quyền không hợp lệ hoặc đã dùng.")
        if time.time() - grant.issued_at > CODE_SECONDS:
            return self._refuse(400, "invalid_grant", "Mã cấp quyền đã hết hạn.")
        if grant.client_id != client_id or form.get("redirect_uri") != grant.redirect_uri:
            return self._refuse(400, "invalid_grant", "redirect_uri không khớp.")
        verifier = form.get("code_verifier", "")
        if not verifier or not hmac.compare_digest(_s256(verifier), grant.challenge):
            return self._refuse(400, "invalid_grant", "Sai code_verifier (PKCE).")
        access_token = secrets.token_urlsafe(32)
        with self._lock:
            grant.access_token = access_token
            self.tokens[access_token] = grant
        return 200, {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": TOKEN_SECONDS,
            "scope": "openid profile",
            "id_token": self.id_token(grant),
        }

    def _refuse(self, status: int, error: str, description: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.refused.append(error)
        self._log(f"token refused: {error} ({description})")
        return status, {"error": error, "error_description": description}

    def id_token(self, grant: Grant) -> str:
        mode = self.mode
        now = int(time.time())
        claims = grant.citizen.claims()
        if mode == "no-personal-id":
            claims.pop("identity_number", None)
        claims.update(
            {
                "iss": self.issuer if mode != "wrong-issuer" else "http://127.0.0.1:1/khac",
                "aud": grant.client_id if mode != "wrong-audience" else "ung-dung-khac",
                "iat": now if mode != "expired" else now - 7200,
                "exp": now + TOKEN_SECONDS if mode != "expired" else now - 3600,
                "auth_time": now,
                "nonce": grant.nonce if mode != "wrong-nonce" else secrets.token_urlsafe(16),
            }
        )
        key = self.other_key if mode == "other-key" else self.key
        return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)

    def userinfo(self, headers: Any) -> tuple[int, dict[str, Any]]:
        auth = headers.get("Authorization") or ""
        with self._lock:
            grant = self.tokens.get(auth.removeprefix("Bearer ").strip()) if auth else None
        if grant is None:
            return 401, {"error": "invalid_token"}
        return 200, grant.citizen.claims()

    # -- the pages -------------------------------------------------------------------------

    def authorize_page(self, params: dict[str, str]) -> str:
        hidden = "".join(
            f"<input type='hidden' name='{html.escape(k, quote=True)}' "
            f"value='{html.escape(v, quote=True)}'>"
            for k, v in params.items()
        )
        choices = "".join(
            "<div class='chon'><input type='radio' name='citizen' "
            f"id='c-{c.key}' value='{c.key}'{' checked' if i == 0 else ''}>"
            f"<label for='c-{c.key}'>{html.escape(c.name)} — số định danh {c.personal_id} "
            f"(mức độ {c.level})</label></div>"
            for i, c in enumerate(self.citizens.values())
        )
        return _html(
            "Đăng nhập bằng tài khoản định danh điện tử",
            "<p class='chu-y'>Môi trường thử nghiệm: chọn một công dân mẫu, không cần mật khẩu."
            "</p><form method='post' action='/authorize'>"
            f"{hidden}<fieldset><legend>Chọn công dân</legend>{choices}</fieldset>"
            "<h2>Đồng ý chia sẻ thông tin</h2><p>Cổng dịch vụ công của tỉnh đề nghị nhận: số "
            "định danh cá nhân, họ và tên, ngày sinh, giới tính, quốc tịch, số điện thoại, thư "
            "điện tử, nơi thường trú, nơi ở hiện tại và mức độ định danh.</p>"
            "<button type='submit' name='action' value='consent'>Đồng ý</button> "
            "<button type='submit' name='action' value='cancel' class='phu'>Hủy</button>"
            "</form>",
        )

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    self.send_header("Cache-Control", "no-store")
                    for name, value in headers.items():
                        self.send_header(name.replace("_", "-"), value)
                    self.end_headers()
                    self.wfile.write(body)

            def _json(self, status: int, data: Any) -> None:
                body = json.dumps(data, ensure_ascii=False).encode("utf-8")
                self._send(status, body, "application/json; charset=utf-8")

            def _page(self, status: int, text: str) -> None:
                self._send(status, text.encode("utf-8"), "text/html; charset=utf-8")

            def _body(self) -> bytes | None:
                try:
                    length = int(self.headers.get("Content-Length") or 0)
                except ValueError:
                    length = 0
                if length > MAX_BODY:
                    self._json(413, {"error": "invalid_request"})
                    return None
                return self.rfile.read(length) if length else b""

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                path = parts.path
                if path == "/healthz":
                    self._send(200, b"ok", "text/plain; charset=utf-8")
                elif path == "/favicon.ico":
                    self._send(204, b"", "image/x-icon")
                elif path == "/.well-known/openid-configuration":
                    self._json(200, server.discovery())
                elif path == "/jwks":
                    self._json(200, server.jwks())
                elif path == "/userinfo":
                    self._json(*server.userinfo(self.headers))
                elif path == "/control":
                    with server._lock:
                        self._json(
                            200,
                            {
                                "mode": server.mode,
                                "codes": len(server.grants),
                                "token_requests": server.token_requests,
                                "refused": list(server.refused),
                            },
                        )
                elif path == "/authorize":
                    params = {k: v[0] for k, v in parse_qs(parts.query).items()}
                    problem = server.check_authorize(params)
                    if problem:
                        self._page(400, _html("Yêu cầu không hợp lệ", f"<p>{problem}</p>"))
                    else:
                        self._page(200, server.authorize_page(params))
                else:
                    self._send(404, "Không tìm thấy.".encode(), "text/plain; charset=utf-8")

            def do_POST(self) -> None:
                path = urlsplit(self.path).path
                body = self._body()
                if body is None:
                    return
                if path == "/control":
                    try:
                        data = json.loads(body or b"{}")
                        server.set_mode(str(data.get("mode", server.mode)))
                    except (ValueError, AttributeError) as exc:
                        self._json(400, {"error": str(exc)})
                        return
                    self._json(200, {"ok": True, "mode": server.mode})
                    return
                form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
                if path == "/token":
                    self._json(*server.token(self.headers, form))
                elif path == "/authorize":
                    action = form.pop("action", "")
                    citizen = form.pop("citizen", "")
                    problem = server.check_authorize(form)
                    if problem:
                        self._page(400, _html("Yêu cầu không hợp lệ", f"<p>{problem}</p>"))
                        return
                    self._send(
                        303, b"", "text/plain", Location=server.decide(form, citizen, action)
                    )
                else:
                    self._send(404, "Không tìm thấy.".encode(), "text/plain; charset=utf-8")

        return Handler


def _html(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang='vi'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)} — VNeID (mô phỏng)</title><style>{_STYLE}</style></head>"
        "<body><header><p>Định danh điện tử VNeID (mô phỏng)</p></header>"
        f"<main><h1>{html.escape(title)}</h1>{body}</main></body></html>"
    )


_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:0;color:#0b0c0c;background:#f3f2f1}"
    "header{background:#a50e0e;color:#fff;padding:.5rem 1rem}header p{margin:0;font-weight:700}"
    "main{max-width:40rem;margin:1.5rem auto;background:#fff;padding:1.5rem}"
    ".chu-y{background:#fff7bf;padding:.5rem}fieldset{border:0;padding:0}"
    "legend{font-weight:700;font-size:1.2rem}.chon{padding:.35rem 0}"
    "button{font-size:1.1rem;padding:.5rem 1.25rem;background:#00703c;color:#fff;border:0;"
    "cursor:pointer}button.phu{background:#505a5f}"
)
