"""A demo certification authority for development and tests (never for real documents).

Pure cryptography, no database: a root CA, an intermediate (issuing) CA, and end-entity
certificates for officials (personal signatures) and agencies (organisation signatures), with
Vietnamese names in UTF-8, and a time-stamping authority (TSA) certificate for the demo TSA
(`tsa_standin`, RFC 3161). `services.ensure_demo_ca` stores what this module makes.

Keys are EC P-256 by default (fast to generate; pyHanko, signxml, poppler/NSS all verify ECDSA);
`key_type="rsa"` gives RSA-2048 like most licensed Vietnamese CAs issue.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Literal

from asn1crypto import keys as asn1_keys  # type: ignore[import-untyped, unused-ignore]
from asn1crypto import tsp  # type: ignore[import-untyped, unused-ignore]
from asn1crypto import x509 as asn1_x509  # type: ignore[import-untyped, unused-ignore]
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

from .keystore import KeyMaterial, PrivateKey

KeyType = Literal["ec", "rsa"]
EntityKind = Literal["personal", "organisation"]

DEMO_ROOT_NAME = "CA gốc minh họa (KHÔNG DÙNG THẬT)"
DEMO_INTERMEDIATE_NAME = "CA cấp chứng thư minh họa (KHÔNG DÙNG THẬT)"
DEMO_TSA_NAME = "TSA minh họa (KHÔNG DÙNG THẬT)"
DEMO_CA_ORGANISATION = "Nền tảng chính quyền điện tử — môi trường thử nghiệm"


def new_key(key_type: KeyType = "ec") -> PrivateKey:
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def _attr(oid: x509.ObjectIdentifier, value: str) -> x509.NameAttribute:
    """X.520 bounds count characters (64 for a common name); cryptography counts UTF-8 bytes,
    which a Vietnamese name of fewer than 64 characters can exceed."""
    value = value[:64]
    return x509.NameAttribute(oid, value, _validate=len(value.encode("utf-8")) <= 64)


def _name(
    common_name: str,
    organisation: str = "",
    unit: str = "",
    locality: str = "",
    email: str = "",
) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if locality:
        attrs.append(_attr(NameOID.STATE_OR_PROVINCE_NAME, locality))
    if organisation:
        attrs.append(_attr(NameOID.ORGANIZATION_NAME, organisation))
    if unit:
        attrs.append(_attr(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    attrs.append(_attr(NameOID.COMMON_NAME, common_name))
    if email:
        attrs.append(x509.NameAttribute(NameOID.EMAIL_ADDRESS, email))
    return x509.Name(attrs)


def _window(
    not_before: datetime | None, not_after: datetime | None, days: int
) -> tuple[datetime, datetime]:
    start = not_before or (datetime.now(UTC) - timedelta(hours=1))
    end = not_after or (start + timedelta(days=days))
    return start, end


def _builder(
    subject: x509.Name,
    issuer_name: x509.Name,
    public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey,
    issuer_public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey,
    start: datetime,
    end: datetime,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public_key), critical=False
        )
    )


def _ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def make_root(
    common_name: str = DEMO_ROOT_NAME,
    organisation: str = DEMO_CA_ORGANISATION,
    *,
    key: PrivateKey | None = None,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    key_type: KeyType = "ec",
) -> KeyMaterial:
    key = key or new_key(key_type)
    start, end = _window(not_before, not_after, 20 * 365)
    name = _name(common_name, organisation)
    cert = (
        _builder(name, name, key.public_key(), key.public_key(), start, end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_ca_key_usage(), critical=True)
        .sign(key, hashes.SHA256())
    )
    return KeyMaterial(certificate=cert, private_key=key, chain=())


def make_intermediate(
    root: KeyMaterial,
    common_name: str = DEMO_INTERMEDIATE_NAME,
    organisation: str = DEMO_CA_ORGANISATION,
    *,
    key: PrivateKey | None = None,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    key_type: KeyType = "ec",
) -> KeyMaterial:
    key = key or new_key(key_type)
    start, end = _window(not_before, not_after, 10 * 365)
    cert = (
        _builder(
            _name(common_name, organisation),
            root.certificate.subject,
            key.public_key(),
            root.private_key.public_key(),
            start,
            end,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_ca_key_usage(), critical=True)
        .sign(root.private_key, hashes.SHA256())
    )
    return KeyMaterial(certificate=cert, private_key=key, chain=(root.certificate, *root.chain))


def issue_certificate(
    issuer: KeyMaterial,
    *,
    common_name: str,
    organisation: str = "",
    unit: str = "",
    locality: str = "",
    email: str = "",
    kind: EntityKind = "personal",
    key: PrivateKey | None = None,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    days: int = 3 * 365,
    key_type: KeyType = "ec",
) -> KeyMaterial:
    """An end-entity signing certificate (digitalSignature + nonRepudiation). A personal
    certificate names the person (CN) and the agency (O); an organisation certificate names the
    agency in both. A past window (`not_after` < now) makes an expired certificate for tests."""
    key = key or new_key(key_type)
    start, end = _window(not_before, not_after, days)
    if kind == "organisation":
        organisation = organisation or common_name
    builder = _signer_builder(
        _name(common_name, organisation, unit, locality, email), issuer, key, start, end
    )
    if email:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=False
        )
    cert = builder.sign(issuer.private_key, hashes.SHA256())
    return KeyMaterial(certificate=cert, private_key=key, chain=(issuer.certificate, *issuer.chain))


def _signer_builder(
    subject: x509.Name, issuer: KeyMaterial, key: PrivateKey, start: datetime, end: datetime
) -> x509.CertificateBuilder:
    """An end-entity certificate whose key signs (digital signature and non-repudiation): what a
    signer's and a time-stamping authority's certificates share."""
    return (
        _builder(
            subject,
            issuer.certificate.subject,
            key.public_key(),
            issuer.private_key.public_key(),
            start,
            end,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )


def issue_tsa_certificate(
    issuer: KeyMaterial,
    common_name: str = DEMO_TSA_NAME,
    organisation: str = DEMO_CA_ORGANISATION,
    *,
    key: PrivateKey | None = None,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    days: int = 3 * 365,
) -> KeyMaterial:
    """A time-stamping authority's certificate: extended key usage timeStamping only, critical
    (RFC 3161 section 2.3). RSA: pyHanko's token issuer (the demo TSA) signs with RSA only."""
    key = key or new_key("rsa")
    start, end = _window(not_before, not_after, days)
    cert = (
        _signer_builder(_name(common_name, organisation), issuer, key, start, end)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(issuer.private_key, hashes.SHA256())
    )
    return KeyMaterial(certificate=cert, private_key=key, chain=(issuer.certificate, *issuer.chain))


class DemoTimestampAuthority:
    """An RFC 3161 time-stamping authority with a TSA certificate and its key (pyHanko's
    DummyTimeStamper issues the tokens): the demo CA's TSA, in-process (`timestamping`) or
    behind the HTTP stand-in (`tsa_standin`). Embeds its certificate and chain in every token."""

    ALGORITHMS = frozenset({"sha256", "sha384", "sha512"})

    def __init__(self, material: KeyMaterial) -> None:
        if not isinstance(material.private_key, rsa.RSAPrivateKey):
            raise ValueError("the demo TSA signs with an RSA key")

        def der(cert: x509.Certificate) -> asn1_x509.Certificate:
            return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))

        key = material.private_key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self.certificate = material.certificate
        self._lock = threading.Lock()
        self._stamper = DummyTimeStamper(
            tsa_cert=der(material.certificate),
            tsa_key=asn1_keys.PrivateKeyInfo.load(key),
            certs_to_embed=SimpleCertificateStore.from_certs([der(c) for c in material.chain]),
        )

    def respond(
        self, request: tsp.TimeStampReq, *, at: datetime | None = None
    ) -> tsp.TimeStampResp:
        """The TimeStampResp (asn1crypto) to a TimeStampReq: a token (dated now, or `at`), or a
        rejection for a request this TSA does not serve (RFC 3161 section 2.4.2)."""
        try:
            algorithm = request["message_imprint"]["hash_algorithm"]["algorithm"].native
            digest = request["message_imprint"]["hashed_message"].native
            supported = request["version"].native == "v1" and algorithm in self.ALGORITHMS
        except (ValueError, TypeError, KeyError):
            supported, algorithm, digest = False, "", b""
        expected = {"sha256": 32, "sha384": 48, "sha512": 64}.get(algorithm)
        if not supported or len(digest) != expected:
            return tsp.TimeStampResp(
                {
                    "status": tsp.PKIStatusInfo(
                        {"status": "rejection", "fail_info": tsp.PKIFailureInfo({"bad_alg"})}
                    )
                }
            )
        with self._lock:
            self._stamper.fixed_dt = at
            try:
                return self._stamper.request_tsa_response(request)
            finally:
                self._stamper.fixed_dt = None
