"""Secrets of the key store and certificate helpers.

The PKCS#12 passphrases (and PKCS#11 PINs) are encrypted with Fernet (AES-128-CBC + HMAC-SHA256)
under a key derived with HKDF-SHA256 from `SIGNING_KEYSTORE_KEY` (a setting, else the environment
variable of that name). Several comma-separated keys may be given: the first encrypts, all
decrypt, so the key can be rotated (`rotate_keystore_secrets` re-encrypts). Without a key a
development default is used; the deploy check `signing.E001` refuses it in production.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from .conf import setting_list

DEV_KEYSTORE_KEY = "dev-insecure-signing-keystore-key"

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


class KeystoreError(Exception):
    pass


def keystore_keys() -> list[str]:
    return setting_list("SIGNING_KEYSTORE_KEY") or [DEV_KEYSTORE_KEY]


def uses_dev_key() -> bool:
    return keystore_keys() == [DEV_KEYSTORE_KEY]


def _fernet_key(secret: str) -> bytes:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"egov.signing.keystore.v1"
    ).derive(secret.encode())
    return base64.urlsafe_b64encode(derived)


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(_fernet_key(k)) for k in keystore_keys()])


def encrypt_secret(value: bytes) -> str:
    return _fernet().encrypt(value).decode("ascii")


def decrypt_secret(token: str) -> bytes:
    try:
        return _fernet().decrypt(token.encode("ascii"))
    except InvalidToken as exc:
        raise KeystoreError("keystore key does not decrypt this secret") from exc


def rotate_secret(token: str) -> str:
    return _fernet().rotate(token.encode("ascii")).decode("ascii")


def new_passphrase() -> bytes:
    return secrets.token_urlsafe(32).encode("ascii")


# --- PKCS#12 --------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyMaterial:
    """A certificate, its private key and the issuing chain (closest issuer first)."""

    certificate: x509.Certificate
    private_key: PrivateKey
    chain: tuple[x509.Certificate, ...] = ()


def to_pkcs12(material: KeyMaterial, passphrase: bytes, friendly_name: str = "") -> bytes:
    encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(20000)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
        .build(passphrase)
    )
    return pkcs12.serialize_key_and_certificates(
        (friendly_name or common_name(material.certificate)).encode("utf-8"),
        material.private_key,
        material.certificate,
        list(material.chain) or None,
        encryption,
    )


def load_pkcs12(data: bytes, passphrase: bytes | None) -> KeyMaterial:
    key, cert, extra = pkcs12.load_key_and_certificates(data, passphrase)
    if key is None or cert is None:
        raise KeystoreError("PKCS#12 has no private key or no certificate")
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise KeystoreError("only RSA and EC keys are supported")
    return KeyMaterial(certificate=cert, private_key=key, chain=tuple(order_chain(cert, extra)))


def order_chain(leaf: x509.Certificate, others: Any) -> list[x509.Certificate]:
    """The issuers of `leaf` found in `others`, closest first; unrelated certificates last."""
    pool = [c for c in (others or []) if c != leaf]
    ordered: list[x509.Certificate] = []
    current = leaf
    while True:
        issuer = next((c for c in pool if c.subject == current.issuer and c not in ordered), None)
        if issuer is None or issuer == current:
            break
        ordered.append(issuer)
        current = issuer
    return ordered + [c for c in pool if c not in ordered]


# --- certificates -----------------------------------------------------------------------------


def load_pem_certificates(text: str) -> list[x509.Certificate]:
    text = (text or "").strip()
    if not text:
        return []
    return x509.load_pem_x509_certificates(text.encode("ascii"))


def to_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


def serial_hex(cert: x509.Certificate) -> str:
    return format(cert.serial_number, "x")


def name_hash(name: x509.Name) -> str:
    return hashlib.sha256(name.public_bytes()).hexdigest()


def name_text(name: x509.Name) -> str:
    return name.rfc4514_string({NameOID.EMAIL_ADDRESS: "E"})[:500]


def common_name(cert: x509.Certificate) -> str:
    attrs = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(attrs[0].value) if attrs else name_text(cert.subject)


def organisation(cert: x509.Certificate) -> str:
    attrs = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    return str(attrs[0].value) if attrs else ""


def not_before(cert: x509.Certificate) -> datetime:
    return cert.not_valid_before_utc


def not_after(cert: x509.Certificate) -> datetime:
    return cert.not_valid_after_utc
