"""Signed checkpoints of the event chains: format, keys and reading (no state change here).

A checkpoint says "at time T, chain C ended at event number N with hash H" for every chain
that moved since the previous checkpoint. It is signed with Ed25519 under a key derived
(HKDF-SHA256) from SECRET_KEY, which lives in the environment, not in the database: someone
who can rewrite the database (and so recompute the unkeyed chain hashes after cutting the log's
end) cannot make a checkpoint. `checkpoint_events --public-key` prints the public key, so a
receiver of the checkpoints can verify them without the secret. SECRET_KEY_FALLBACKS keep
verifying checkpoints made before a rotation.

One checkpoint is one line of canonical JSON:
    {"at": "2026-03-01T02:00:00.000000+00:00", "heads": {"agency:12": [418, "9f..."]},
     "key": "<key id>", "sig": "<base64 Ed25519 signature of the body>", "v": 1}
where the body is the same object without "key" and "sig", serialised the same way.

Not done: an RFC 3161 timestamp from an external authority would also pin *when*; the
platform has no timestamp authority client yet (see docs/security.md, finding 11).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

FORMAT_VERSION = 1
_HKDF_INFO = b"egov.events.checkpoint.ed25519.v1"

Heads = dict[str, tuple[int, str]]


def canonical(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=True, separators=(",", ":"))


def body_text(at: datetime, heads: Heads) -> str:
    return canonical(
        {
            "v": FORMAT_VERSION,
            "at": at.isoformat(timespec="microseconds"),
            "heads": {chain: [seq, digest] for chain, (seq, digest) in sorted(heads.items())},
        }
    )


# --- keys ---------------------------------------------------------------------------------------


def _private_key(secret: str | bytes) -> Ed25519PrivateKey:
    raw = secret.encode() if isinstance(secret, str) else secret
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(raw)
    return Ed25519PrivateKey.from_private_bytes(seed)


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def signing_key() -> Ed25519PrivateKey:
    return _private_key(settings.SECRET_KEY)


def verifying_keys() -> dict[str, Ed25519PublicKey]:
    """Public keys of SECRET_KEY and its fallbacks, by key id."""
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    keys = [_private_key(secret).public_key() for secret in secrets]
    return {key_id(key): key for key in keys}


def public_key_pem() -> str:
    return (
        signing_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def sign(body: str) -> tuple[str, str]:
    """(key id, base64 signature) of a body."""
    key = signing_key()
    signature = key.sign(body.encode("utf-8"))
    return key_id(key.public_key()), base64.b64encode(signature).decode("ascii")


def line_text(body: str, key: str, signature: str) -> str:
    return canonical({**json.loads(body), "key": key, "sig": signature})


# --- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """A parsed checkpoint; `problem` says why it cannot be trusted ("" when it can)."""

    source: str  # "tệp <path> dòng <n>" or "CSDL id=<n>"
    at: datetime | None
    heads: Heads
    key: str
    problem: str = ""
    unknown_key: bool = False


def parse(source: str, body: str, key: str, signature: str) -> Checkpoint:
    """Check the signature and read the body."""
    keys = verifying_keys()
    public = keys.get(key)
    if public is None:
        return Checkpoint(source, None, {}, key, unknown_key=True)
    try:
        public.verify(base64.b64decode(signature, validate=True), body.encode("utf-8"))
    except (InvalidSignature, binascii.Error, ValueError):
        return Checkpoint(source, None, {}, key, problem="chữ ký không hợp lệ")
    try:
        data = json.loads(body)
        if data.get("v") != FORMAT_VERSION:
            raise ValueError("version")
        at = datetime.fromisoformat(data["at"])
        heads = {str(c): (int(v[0]), str(v[1])) for c, v in data["heads"].items()}
    except (ValueError, KeyError, TypeError, IndexError, AttributeError):
        return Checkpoint(source, None, {}, key, problem="nội dung không đọc được")
    return Checkpoint(source, at, heads, key)


def parse_line(source: str, line: str) -> Checkpoint:
    try:
        data = json.loads(line)
        key, signature = str(data.pop("key")), str(data.pop("sig"))
    except (ValueError, KeyError, TypeError, AttributeError):
        return Checkpoint(source, None, {}, "", problem="dòng không phải một điểm chốt")
    return parse(source, canonical(data), key, signature)


def read_file(path: Path) -> Iterator[Checkpoint]:
    """Every checkpoint of a checkpoint file, one per non-empty line, in file order."""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield parse_line(f"tệp {path} dòng {number}", line)


def last_line_at(path: Path) -> datetime | None:
    """Time of the last well-formed checkpoint line of the file (None: empty or absent)."""
    if not path.exists():
        return None
    with path.open("rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(0, size - 1024 * 1024))
        tail = handle.read().decode("utf-8", "replace")
    for line in reversed(tail.splitlines()):
        try:
            return datetime.fromisoformat(json.loads(line)["at"])
        except (ValueError, KeyError, TypeError):
            continue
    return None
