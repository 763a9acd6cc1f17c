"""Signed requests: a profile of HTTP Message Signatures (RFC 9421) with Ed25519.

A client that registered a public key (ClientKey) may sign its requests, and must when its key
says `signatures_required`. A signed request carries three headers:

    Content-Digest: sha-256=:<base64 SHA-256 of the body (of b"" when there is none)>:
    Signature-Input: sig1=("@method" "@path" "@query" "content-digest");created=<unix time>;\
nonce="<8-128 of A-Z a-z 0-9 . _ ->";keyid="<the key id>";alg="ed25519"
    Signature: sig1=:<base64 Ed25519 signature of the signature base>:

The signature base is RFC 9421's (section 2.5), one line per covered component and the
parameters last:

    "@method": POST
    "@path": /api/v1/sharing/results/lookup/
    "@query": ?
    "content-digest": sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:
    "@signature-params": ("@method" "@path" "@query" "content-digest");created=...;nonce="...";\
keyid="...";alg="ed25519"

The four components are required (any order), so the method, path, query and body are all
covered. `created` must be within SHARING_SIGNATURE_WINDOW seconds of the server's clock, and a
nonce is accepted once per client (the replay cache, SeenNonce, keeps nonces for twice the
window). Any RFC 9421 library that can produce an Ed25519 signature over these components (e.g.
`http-message-signatures`) makes a valid request; `sign_request` below is the reference client.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
import time
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .error_codes import SharingErrorCode

REQUIRED_COMPONENTS = frozenset({"@method", "@path", "@query", "content-digest"})
_LABEL = r"[a-z*][a-z0-9_\-.*]{0,31}"
_INPUT = re.compile(rf"^\s*(?P<label>{_LABEL})=(?P<value>\((?P<items>[^()]*)\)(?P<params>.*))$")
_PARAM = re.compile(r';(?P<key>[a-z][a-z0-9_\-]*)=(?P<value>-?\d{1,15}|"[^"\\]{0,200}")')
_SIG = re.compile(rf"^\s*(?P<label>{_LABEL})=:(?P<sig>[A-Za-z0-9+/=]{{1,200}}):\s*$")
_DIGEST = re.compile(r"^\s*sha-256=:(?P<digest>[A-Za-z0-9+/=]{1,100}):\s*$")
_NONCE = re.compile(r"^[A-Za-z0-9._\-]{8,128}$")
MAX_HEADER = 1000


class SignatureRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ParsedSignature:
    components: tuple[str, ...]
    params_text: str
    created: int
    nonce: str
    keyid: str
    signature: bytes


def content_digest(body: bytes) -> str:
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii") + ":"


def signature_base(
    *, components: tuple[str, ...], values: dict[str, str], params_text: str
) -> bytes:
    lines = [f'"{name}": {values[name]}' for name in components]
    lines.append(f'"@signature-params": {params_text}')
    return "\n".join(lines).encode("utf-8")


def component_values(method: str, path: str, query: str, body_digest: str) -> dict[str, str]:
    return {
        "@method": method.upper(),
        "@path": path,
        "@query": "?" + query,
        "content-digest": body_digest,
    }


def parse(signature_input: str, signature: str) -> ParsedSignature:
    def invalid(why: str) -> SignatureRefused:
        return SignatureRefused(SharingErrorCode.SIGNATURE_INVALID, why)

    if len(signature_input) > MAX_HEADER or len(signature) > MAX_HEADER:
        raise invalid("Tiêu đề chữ ký quá dài.")
    found = _INPUT.match(signature_input)
    sig = _SIG.match(signature)
    if found is None or sig is None or found["label"] != sig["label"]:
        raise invalid("Tiêu đề Signature-Input/Signature không đúng định dạng RFC 9421.")
    items = found["items"].split()
    if not items or any(not (i.startswith('"') and i.endswith('"')) for i in items):
        raise invalid("Danh sách thành phần được ký không đúng định dạng.")
    components = tuple(i[1:-1] for i in items)
    if len(set(components)) != len(components) or set(components) != REQUIRED_COMPONENTS:
        raise invalid('Chữ ký phải phủ đúng "@method" "@path" "@query" "content-digest".')
    params_rest = found["params"]
    params: dict[str, str] = {}
    consumed = 0
    for match in _PARAM.finditer(params_rest):
        if match.start() != consumed or match["key"] in params:
            raise invalid("Tham số chữ ký không đúng định dạng.")
        params[match["key"]] = match["value"].strip('"')
        consumed = match.end()
    if consumed != len(params_rest.rstrip()):
        raise invalid("Tham số chữ ký không đúng định dạng.")
    if not {"created", "nonce", "keyid"} <= params.keys():
        raise invalid("Chữ ký thiếu created, nonce hoặc keyid.")
    if params.get("alg", "ed25519") != "ed25519":
        raise invalid("Chỉ chấp nhận thuật toán ed25519.")
    if not params["created"].lstrip("-").isdigit() or not _NONCE.match(params["nonce"]):
        raise invalid("created hoặc nonce không hợp lệ.")
    try:
        raw = base64.b64decode(sig["sig"], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise invalid("Chữ ký không phải base64.") from exc
    return ParsedSignature(
        components=components,
        params_text=found["value"].rstrip(),
        created=int(params["created"]),
        nonce=params["nonce"],
        keyid=params["keyid"],
        signature=raw,
    )


def load_public_key(pem: str) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem.encode("ascii"))
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def key_id_of(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:32]


def verify(
    *,
    parsed: ParsedSignature,
    public_key: Ed25519PublicKey,
    key_id: str,
    method: str,
    path: str,
    query: str,
    body: bytes,
    digest_header: str | None,
    now: float,
    window: int,
) -> None:
    """Raise SignatureRefused unless the signature holds (replay is the caller's check)."""
    if parsed.keyid != key_id:
        raise SignatureRefused(
            SharingErrorCode.SIGNATURE_INVALID, "Chữ ký dùng khóa không đăng ký cho ứng dụng."
        )
    if abs(now - parsed.created) > window:
        raise SignatureRefused(
            SharingErrorCode.SIGNATURE_STALE, "Thời điểm ký nằm ngoài khoảng cho phép."
        )
    expected = content_digest(body)
    if digest_header is None or _DIGEST.match(digest_header) is None:
        raise SignatureRefused(SharingErrorCode.DIGEST_MISMATCH, "Thiếu tiêu đề Content-Digest.")
    if digest_header.strip() != expected:
        raise SignatureRefused(
            SharingErrorCode.DIGEST_MISMATCH, "Content-Digest không khớp với nội dung yêu cầu."
        )
    base = signature_base(
        components=parsed.components,
        values=component_values(method, path, query, expected),
        params_text=parsed.params_text,
    )
    try:
        public_key.verify(parsed.signature, base)
    except InvalidSignature as exc:
        raise SignatureRefused(
            SharingErrorCode.SIGNATURE_INVALID, "Chữ ký không khớp với yêu cầu."
        ) from exc


def sign_request(
    *,
    private_key: Ed25519PrivateKey,
    key_id: str,
    method: str,
    path: str,
    query: str = "",
    body: bytes = b"",
    created: int | None = None,
    nonce: str | None = None,
    label: str = "sig1",
) -> dict[str, str]:
    """The reference client: the three headers of a signed request."""
    digest = content_digest(body)
    components = ("@method", "@path", "@query", "content-digest")
    params_text = (
        "(" + " ".join(f'"{c}"' for c in components) + ")"
        f";created={int(time.time()) if created is None else created}"
        f';nonce="{nonce or secrets.token_urlsafe(16)}";keyid="{key_id}";alg="ed25519"'
    )
    base = signature_base(
        components=components,
        values=component_values(method, path, query, digest),
        params_text=params_text,
    )
    signature = base64.b64encode(private_key.sign(base)).decode("ascii")
    return {
        "Content-Digest": digest,
        "Signature-Input": f"{label}={params_text}",
        "Signature": f"{label}=:{signature}:",
    }
