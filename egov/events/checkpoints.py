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

Whoever holds SECRET_KEY can sign any body, including one dated in the past. So each checkpoint
also gets an RFC 3161 timestamp token from a time-stamping authority outside the platform
(`egov.signing.timestamping`) over the SHA-256 of its body (`body_digest`): the TSA attests what
the checkpoint said and when. The token is asked for after the checkpoint is stored (a TSA that
does not answer never holds the checkpoint back) and is kept as a record of its own, one line:
    {"at": "<when it was stored>", "of": "<the checkpoint's at>", "tst": "<base64 DER>", "v": 1}
The token's imprint, not "of", ties it to its checkpoint. Lines are in the order the records were
stored, so a file is appended to, never rewritten.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Generator
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


def body_digest(body: str) -> bytes:
    """What the timestamp token is over: SHA-256 of the signed body's exact text."""
    return hashlib.sha256(body.encode("utf-8")).digest()


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


def stamp_line_text(stored_at: datetime, checkpoint_at: datetime, token: str) -> str:
    """The line of a timestamp token (base64 DER) for the checkpoint of `checkpoint_at`."""
    return canonical(
        {
            "v": FORMAT_VERSION,
            "at": stored_at.isoformat(timespec="microseconds"),
            "of": checkpoint_at.isoformat(timespec="microseconds"),
            "tst": token,
        }
    )


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
    digest: bytes = b""  # body_digest of the signed body


@dataclass(frozen=True)
class Stamp:
    """A timestamp token as stored: `of` is the checkpoint time the record names, `token` the DER
    ("problem" when the record itself cannot be read)."""

    source: str
    of: datetime | None
    token: bytes
    problem: str = ""
    digest: bytes | None = None  # the checkpoint's body_digest when the record is linked to it


def parse(source: str, body: str, key: str, signature: str) -> Checkpoint:
    """Check the signature and read the body."""
    keys = verifying_keys()
    public = keys.get(key)
    digest = body_digest(body)
    if public is None:
        return Checkpoint(source, None, {}, key, unknown_key=True, digest=digest)
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
    return Checkpoint(source, at, heads, key, digest=digest)


def parse_stamp(source: str, of: str, token: str, digest: bytes | None = None) -> Stamp:
    try:
        return Stamp(
            source, datetime.fromisoformat(of), base64.b64decode(token, validate=True), "", digest
        )
    except (ValueError, TypeError, binascii.Error):
        return Stamp(source, None, b"", "dòng dấu thời gian không đọc được", digest)


def parse_line(source: str, line: str) -> Checkpoint | Stamp:
    try:
        data = json.loads(line)
        if "tst" in data and "sig" not in data:
            return parse_stamp(source, str(data["of"]), str(data["tst"]))
        key, signature = str(data.pop("key")), str(data.pop("sig"))
    except (ValueError, KeyError, TypeError, AttributeError):
        return Checkpoint(source, None, {}, "", problem="dòng không phải một điểm chốt")
    return parse(source, canonical(data), key, signature)


def read_file(path: Path) -> Generator[Checkpoint | Stamp, None, None]:
    """Every checkpoint and timestamp record of a checkpoint file, one per non-empty line, in
    file order."""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield parse_line(f"tệp {path} dòng {number}", line)


def last_line_at(path: Path) -> datetime | None:
    """Time of the last well-formed line of the file, checkpoint or timestamp record (None:
    empty or absent): what is stored later is not in the file yet."""
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
