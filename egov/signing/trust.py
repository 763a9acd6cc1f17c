"""The trust list and revocations, as the validators (pyHanko, signxml) consume them."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Coroutine, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from asn1crypto import x509 as asn1_x509  # type: ignore[import-untyped, unused-ignore]
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko_certvalidator import ValidationContext

from .conf import setting_list
from .keystore import load_pem_certificates, name_hash, serial_hex
from .models import RevokedCertificate, TrustAnchor

T = TypeVar("T")


def to_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def from_asn1(cert: asn1_x509.Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(cert.dump())


def trust_roots() -> list[x509.Certificate]:
    """Active trust anchors from the database, plus PEM files listed in the setting
    `SIGNING_TRUST_ROOT_FILES` (e.g. the national root CA of the government PKI)."""
    roots: list[x509.Certificate] = []
    for pem in TrustAnchor.objects.filter(is_active=True).values_list("certificate_pem", flat=True):
        roots.extend(load_pem_certificates(pem))
    for path in setting_list("SIGNING_TRUST_ROOT_FILES"):
        roots.extend(load_pem_certificates(Path(path).read_text()))
    return roots


def validation_context(
    *, other_certs: Iterable[x509.Certificate] = (), moment: datetime | None = None
) -> ValidationContext:
    """A fresh context (contexts keep state): no network fetching; revocation comes from our
    own records (`revocation_of`), checked by the callers."""
    return ValidationContext(
        trust_roots=[to_asn1(c) for c in trust_roots()],
        other_certs=[to_asn1(c) for c in other_certs],
        allow_fetching=False,
        revocation_mode="soft-fail",
        moment=moment,
    )


def revocation_of(cert: x509.Certificate | asn1_x509.Certificate) -> RevokedCertificate | None:
    if isinstance(cert, asn1_x509.Certificate):
        cert = from_asn1(cert)
    return RevokedCertificate.objects.filter(
        issuer_hash=name_hash(cert.issuer), serial_hex=serial_hex(cert)
    ).first()


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run pyHanko's async API from synchronous code, also when this thread already runs an
    event loop (Playwright's sync API does, in browser tests): then in a worker thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
