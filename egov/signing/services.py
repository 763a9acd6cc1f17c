"""Digital signatures: the public API of the signing app.

Signing and validating (no state change; re-exported from `pades` and `xmlsig`):
    sign_pdf(pdf, *, identity, role, appearance) -> bytes
    preview_pdf(pdf, [(identity, role, appearance), ...]) -> bytes (drawn, not signed)
    page_images(pdf) -> [PNG bytes] (poppler's pdftoppm)
    validate_pdf(pdf) -> PdfValidation
    pdfsig_report(pdf) -> str
    sign_xml(root, *, identity) -> lxml element
    verify_xml(data) -> XmlVerification
    identity_for_official(official) / identity_for_agency(agency) -> SigningIdentity

State changes (each in one transaction with its event; operators or the system only):
    import_pkcs12, register_pkcs11_identity, store_identity, revoke_identity,
    add_trust_anchor, set_trust_anchor_active, ensure_demo_ca, issue_demo_identity,
    rotate_keystore_secrets.

Every refusal is a `SigningError` (a DomainError) with a Vietnamese message.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cryptography import x509
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from egov.core.actors import Actor
from egov.core.errors import NotAllowed
from egov.events.catalogue import EventType
from egov.events.services import record_event

from . import ca, event_types, keystore
from .appearance import Appearance
from .error_codes import SigningErrorCode
from .errors import SigningError
from .event_types import SUBJECT_CA, SUBJECT_IDENTITY, SUBJECT_TRUST_ANCHOR
from .identities import (
    check_usable,
    identity_for_agency,
    identity_for_official,
    key_material,
    validate_pkcs11_config,
)
from .keystore import KeyMaterial
from .models import CertificateAuthority, RevokedCertificate, SigningIdentity, TrustAnchor
from .pades import (
    PdfValidation,
    SignatureInfo,
    page_images,
    pdfsig_can_use_trust_list,
    pdfsig_report,
    preview_pdf,
    sign_pdf,
    validate_pdf,
)
from .xmlsig import XmlVerification, sign_xml, verify_xml

if TYPE_CHECKING:
    from egov.org.models import Agency, Official

__all__ = [
    "Appearance",
    "DemoCaResult",
    "PdfValidation",
    "SignatureInfo",
    "SigningError",
    "XmlVerification",
    "add_trust_anchor",
    "check_usable",
    "ensure_demo_ca",
    "identity_for_agency",
    "identity_for_official",
    "import_pkcs12",
    "issue_demo_identity",
    "key_material",
    "page_images",
    "pdfsig_can_use_trust_list",
    "pdfsig_report",
    "preview_pdf",
    "register_pkcs11_identity",
    "revoke_identity",
    "rotate_keystore_secrets",
    "set_trust_anchor_active",
    "sign_pdf",
    "sign_xml",
    "store_identity",
    "validate_pdf",
    "validate_pkcs11_config",
    "verify_xml",
]


def _require_operator(actor: Actor) -> None:
    if not actor.is_operator:
        raise NotAllowed("Chỉ quản trị hệ thống được quản lý chứng thư số.")


# --- storing identities ------------------------------------------------------------------------


def _owner_check(official: Official | None, agency: Agency | None) -> None:
    if (official is None) == (agency is None):
        raise SigningError(
            "Chứng thư số phải thuộc về đúng một công chức hoặc một cơ quan.",
            code=SigningErrorCode.IDENTITY_OWNER,
            fields={"official": ["Chọn công chức hoặc cơ quan."]},
        )


def _certificate_fields(
    cert: x509.Certificate, chain: Iterable[x509.Certificate]
) -> dict[str, object]:
    return {
        "certificate_pem": keystore.to_pem(cert),
        "chain_pem": "".join(keystore.to_pem(c) for c in chain),
        "subject": keystore.name_text(cert.subject),
        "issuer": keystore.name_text(cert.issuer),
        "issuer_hash": keystore.name_hash(cert.issuer),
        "serial_hex": keystore.serial_hex(cert),
        "fingerprint_sha256": keystore.fingerprint(cert),
        "not_before": keystore.not_before(cert),
        "not_after": keystore.not_after(cert),
    }


def _duplicate_check(cert: x509.Certificate) -> None:
    if SigningIdentity.objects.filter(fingerprint_sha256=keystore.fingerprint(cert)).exists():
        raise SigningError(
            "Chứng thư số này đã được đăng ký.", code=SigningErrorCode.IDENTITY_DUPLICATE
        )


def _record_identity_event(
    actor: Actor, identity: SigningIdentity, event_type: EventType[Any], **extra: object
) -> None:
    record_event(
        actor=actor,
        event_type=event_type,
        subject_type=SUBJECT_IDENTITY,
        subject_id=identity.pk,
        agency_id=identity.owner_agency_id,
        payload={
            "official_id": identity.official_id,
            "agency_id": identity.agency_id,
            "kind": identity.kind,
            "subject": identity.subject,
            "serial": identity.serial_hex,
            "fingerprint": identity.fingerprint_sha256,
            "not_after": identity.not_after.isoformat(),
            **extra,
        },
    )


def store_identity(
    *,
    actor: Actor,
    material: KeyMaterial,
    official: Official | None = None,
    agency: Agency | None = None,
    label: str = "",
    issued_by: CertificateAuthority | None = None,
) -> SigningIdentity:
    """Keep a key and certificate as a PKCS#12 identity (re-wrapped under a random passphrase,
    itself encrypted with the keystore key)."""
    _require_operator(actor)
    _owner_check(official, agency)
    passphrase = keystore.new_passphrase()
    with transaction.atomic():
        _duplicate_check(material.certificate)
        identity = SigningIdentity.objects.create(
            official=official,
            agency=agency,
            label=label or keystore.common_name(material.certificate),
            kind=SigningIdentity.Kind.PKCS12,
            pkcs12_data=keystore.to_pkcs12(material, passphrase),
            secret_encrypted=keystore.encrypt_secret(passphrase),
            issued_by=issued_by,
            **_certificate_fields(material.certificate, material.chain),
        )
        _record_identity_event(actor, identity, event_types.IDENTITY_ADDED)
    return identity


def import_pkcs12(
    *,
    actor: Actor,
    data: bytes,
    passphrase: str | bytes,
    official: Official | None = None,
    agency: Agency | None = None,
    label: str = "",
) -> SigningIdentity:
    """Import a PKCS#12 (.p12/.pfx) issued by a CA, checking the passphrase."""
    if isinstance(passphrase, str):
        passphrase = passphrase.encode("utf-8")
    try:
        material = keystore.load_pkcs12(data, passphrase or None)
    except (ValueError, keystore.KeystoreError) as exc:
        raise SigningError(
            "Không đọc được tệp PKCS#12: sai mật khẩu hoặc tệp không chứa khóa và chứng thư.",
            code=SigningErrorCode.PKCS12_INVALID,
            fields={"pkcs12_file": ["Tệp hoặc mật khẩu không đúng."]},
        ) from exc
    return store_identity(
        actor=actor, material=material, official=official, agency=agency, label=label
    )


def register_pkcs11_identity(
    *,
    actor: Actor,
    certificate_pem: str,
    key_label: str,
    official: Official | None = None,
    agency: Agency | None = None,
    token_label: str = "",
    slot: int | None = None,
    chain_pem: str = "",
    pin: str | None = None,
    label: str = "",
) -> SigningIdentity:
    """Register a key that stays on a token/HSM: its certificate (PEM) and where the key is.
    The PIN, when given, is kept encrypted like a PKCS#12 passphrase; otherwise the setting
    `SIGNING_PKCS11_PIN` is used at signing time."""
    _require_operator(actor)
    _owner_check(official, agency)
    try:
        certs = keystore.load_pem_certificates(certificate_pem)
        chain = keystore.load_pem_certificates(chain_pem)
    except ValueError as exc:
        raise SigningError(
            "Chứng thư (PEM) không hợp lệ.",
            code=SigningErrorCode.CERTIFICATE_INVALID,
            fields={"certificate_pem": ["Không đọc được chứng thư."]},
        ) from exc
    if len(certs) != 1:
        raise SigningError(
            "Nhập đúng một chứng thư (PEM) của khóa ký.",
            code=SigningErrorCode.CERTIFICATE_INVALID,
            fields={"certificate_pem": ["Cần đúng một chứng thư."]},
        )
    identity = SigningIdentity(
        official=official,
        agency=agency,
        label=label or keystore.common_name(certs[0]),
        kind=SigningIdentity.Kind.PKCS11,
        pkcs11_token_label=token_label,
        pkcs11_slot=slot,
        pkcs11_key_label=key_label,
        secret_encrypted=keystore.encrypt_secret(pin.encode()) if pin else "",
        **_certificate_fields(certs[0], chain),
    )
    validate_pkcs11_config(identity)
    with transaction.atomic():
        _duplicate_check(certs[0])
        identity.save()
        _record_identity_event(actor, identity, event_types.IDENTITY_ADDED)
    return identity


def revoke_identity(
    *, actor: Actor, identity: SigningIdentity, reason: str = "", at: datetime | None = None
) -> SigningIdentity:
    """Revoke a certificate: it can no longer sign, and signatures it makes from then on are
    reported invalid. Revoking again changes nothing."""
    _require_operator(actor)
    at = at or timezone.now()
    with transaction.atomic():
        identity = SigningIdentity.objects.select_for_update().get(pk=identity.pk)
        if identity.revoked_at is not None:
            return identity
        identity.revoked_at = at
        identity.revocation_reason = reason[:255]
        identity.save(update_fields=["revoked_at", "revocation_reason"])
        RevokedCertificate.objects.update_or_create(
            issuer_hash=identity.issuer_hash,
            serial_hex=identity.serial_hex,
            defaults={
                "issuer": identity.issuer,
                "revoked_at": at,
                "reason": reason[:255],
                "identity": identity,
            },
        )
        _record_identity_event(actor, identity, event_types.IDENTITY_REVOKED, reason=reason)
    return identity


# --- trust list --------------------------------------------------------------------------------


def add_trust_anchor(*, actor: Actor, certificate_pem: str, name: str = "") -> TrustAnchor:
    """Trust a root CA (PEM). Adding the same certificate again re-activates it."""
    _require_operator(actor)
    try:
        certs = keystore.load_pem_certificates(certificate_pem)
    except ValueError as exc:
        raise SigningError(
            "Chứng thư CA gốc (PEM) không hợp lệ.", code=SigningErrorCode.CERTIFICATE_INVALID
        ) from exc
    if len(certs) != 1:
        raise SigningError(
            "Nhập đúng một chứng thư CA gốc.", code=SigningErrorCode.CERTIFICATE_INVALID
        )
    cert = certs[0]
    fp = keystore.fingerprint(cert)
    with transaction.atomic():
        anchor, created = TrustAnchor.objects.select_for_update().get_or_create(
            fingerprint_sha256=fp,
            defaults={
                "name": name or keystore.common_name(cert),
                "certificate_pem": keystore.to_pem(cert),
                "subject": keystore.name_text(cert.subject),
                "not_after": keystore.not_after(cert),
            },
        )
        if not created and anchor.is_active:
            return anchor
        if not created:
            anchor.is_active = True
            anchor.save(update_fields=["is_active"])
        record_event(
            actor=actor,
            event_type=event_types.TRUST_ANCHOR_ADDED,
            subject_type=SUBJECT_TRUST_ANCHOR,
            subject_id=anchor.pk,
            payload={"subject": anchor.subject, "fingerprint": fp},
        )
    return anchor


def set_trust_anchor_active(*, actor: Actor, anchor: TrustAnchor, active: bool) -> TrustAnchor:
    _require_operator(actor)
    with transaction.atomic():
        anchor = TrustAnchor.objects.select_for_update().get(pk=anchor.pk)
        if anchor.is_active == active:
            return anchor
        anchor.is_active = active
        anchor.save(update_fields=["is_active"])
        record_event(
            actor=actor,
            event_type=event_types.TRUST_ANCHOR_ACTIVATED
            if active
            else event_types.TRUST_ANCHOR_REMOVED,
            subject_type=SUBJECT_TRUST_ANCHOR,
            subject_id=anchor.pk,
            payload={"subject": anchor.subject, "fingerprint": anchor.fingerprint_sha256},
        )
    return anchor


def rotate_keystore_secrets(*, actor: Actor) -> int:
    """Re-encrypt every stored passphrase/PIN with the first SIGNING_KEYSTORE_KEY (after adding
    a new key in front of the old one). Returns how many secrets were re-encrypted."""
    _require_operator(actor)
    count = 0
    with transaction.atomic():
        for model in (SigningIdentity, CertificateAuthority):
            for row in model.objects.select_for_update().exclude(secret_encrypted=""):
                row.secret_encrypted = keystore.rotate_secret(row.secret_encrypted)
                row.save(update_fields=["secret_encrypted"])
                count += 1
        record_event(
            actor=actor,
            event_type=event_types.KEYSTORE_ROTATED,
            subject_type=SUBJECT_CA,
            subject_id="keystore",
            payload={"count": count},
        )
    return count


# --- the demo CA -------------------------------------------------------------------------------


@dataclass
class DemoCaResult:
    root: CertificateAuthority
    intermediate: CertificateAuthority
    tsa: CertificateAuthority | None = None
    created: list[SigningIdentity] = field(default_factory=list)
    kept: int = 0


@dataclass(frozen=True)
class DemoHierarchy:
    root: KeyMaterial
    intermediate: KeyMaterial
    tsa: KeyMaterial | None = None


def make_demo_hierarchy(key_type: ca.KeyType = "ec") -> DemoHierarchy:
    root = ca.make_root(key_type=key_type)
    intermediate = ca.make_intermediate(root, key_type=key_type)
    return DemoHierarchy(
        root=root, intermediate=intermediate, tsa=ca.issue_tsa_certificate(intermediate)
    )


def _store_ca(
    actor: Actor,
    material: KeyMaterial,
    name: str,
    parent: CertificateAuthority | None,
    event_type: EventType[Any] = event_types.CA_CREATED,
) -> CertificateAuthority:
    passphrase = keystore.new_passphrase()
    authority = CertificateAuthority.objects.create(
        name=name,
        parent=parent,
        certificate_pem=keystore.to_pem(material.certificate),
        fingerprint_sha256=keystore.fingerprint(material.certificate),
        pkcs12_data=keystore.to_pkcs12(material, passphrase, name),
        secret_encrypted=keystore.encrypt_secret(passphrase),
        not_after=keystore.not_after(material.certificate),
    )
    record_event(
        actor=actor,
        event_type=event_type,
        subject_type=SUBJECT_CA,
        subject_id=authority.pk,
        payload={"name": name, "fingerprint": authority.fingerprint_sha256},
    )
    return authority


def ca_material(authority: CertificateAuthority) -> KeyMaterial:
    passphrase = keystore.decrypt_secret(authority.secret_encrypted)
    return keystore.load_pkcs12(bytes(authority.pkcs12_data), passphrase)


def demo_issuing_ca() -> CertificateAuthority | None:
    return (
        CertificateAuthority.objects.filter(parent__isnull=False, parent__parent__isnull=True)
        .order_by("-created_at", "-pk")
        .first()
    )


def demo_tsa() -> CertificateAuthority | None:
    """The demo time-stamping authority: the key material one level under the demo issuing CA
    (`make_demo_ca`), still valid. Its certificate has the timeStamping key usage only."""
    return (
        CertificateAuthority.objects.filter(
            parent__parent__isnull=False,
            parent__parent__parent__isnull=True,
            not_after__gt=timezone.now(),
        )
        .order_by("-created_at", "-pk")
        .first()
    )


def _issue_identity(
    actor: Actor,
    issuing: CertificateAuthority,
    *,
    official: Official | None = None,
    agency: Agency | None = None,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    key_type: ca.KeyType = "ec",
) -> SigningIdentity:
    issuer = ca_material(issuing)
    if official is not None:
        owner_agency = official.agency
        province = owner_agency.admin_unit.name if owner_agency.admin_unit_id else ""  # type: ignore[union-attr]
        material = ca.issue_certificate(
            issuer,
            common_name=official.user.get_full_name() or official.user.username,
            organisation=owner_agency.name,
            unit=official.unit.name if official.unit_id else "",  # type: ignore[union-attr]
            locality=province,
            email=official.user.email,
            kind="personal",
            not_before=not_before,
            not_after=not_after,
            key_type=key_type,
        )
    else:
        assert agency is not None
        material = ca.issue_certificate(
            issuer,
            common_name=agency.name,
            organisation=agency.name,
            locality=agency.admin_unit.name if agency.admin_unit_id else "",  # type: ignore[union-attr]
            email=agency.email,
            kind="organisation",
            not_before=not_before,
            not_after=not_after,
            key_type=key_type,
        )
    return store_identity(
        actor=actor, material=material, official=official, agency=agency, issued_by=issuing
    )


def issue_demo_identity(
    *,
    actor: Actor,
    official: Official | None = None,
    agency: Agency | None = None,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    key_type: ca.KeyType = "ec",
) -> SigningIdentity:
    """A certificate from the demo CA for one official or agency (a past window gives an
    expired certificate, for tests)."""
    _require_operator(actor)
    _owner_check(official, agency)
    issuing = demo_issuing_ca()
    if issuing is None:
        raise SigningError(
            "Chưa có CA minh họa: chạy lệnh make_demo_ca trước.", code=SigningErrorCode.NO_DEMO_CA
        )
    with transaction.atomic():
        return _issue_identity(
            actor,
            issuing,
            official=official,
            agency=agency,
            not_before=not_before,
            not_after=not_after,
            key_type=key_type,
        )


def _has_usable(qs: object) -> bool:
    now = timezone.now()
    return qs.filter(revoked_at__isnull=True, not_before__lte=now, not_after__gt=now).exists()  # type: ignore[attr-defined]


def ensure_demo_ca(
    *,
    actor: Actor,
    all_officials: bool = False,
    hierarchy: DemoHierarchy | None = None,
    key_type: ca.KeyType = "ec",
) -> DemoCaResult:
    """Create (once) the demo root and intermediate CA and the demo time-stamping authority,
    trust the root, and give every active agency an organisation certificate and every leader and
    clerk (or every official) a personal certificate, unless they already have a valid one. Safe
    to run again."""
    from egov.org.models import Agency, Official, Role

    _require_operator(actor)
    with transaction.atomic():
        issuing = demo_issuing_ca()
        tsa_material: KeyMaterial | None = None
        if issuing is None:
            hierarchy = hierarchy or make_demo_hierarchy(key_type)
            root = _store_ca(actor, hierarchy.root, ca.DEMO_ROOT_NAME, None)
            issuing = _store_ca(actor, hierarchy.intermediate, ca.DEMO_INTERMEDIATE_NAME, root)
            tsa_material = hierarchy.tsa
        assert issuing.parent is not None
        root = issuing.parent
        add_trust_anchor(actor=actor, certificate_pem=root.certificate_pem, name=root.name)
        tsa = demo_tsa()
        if tsa is None or tsa.parent_id != issuing.pk:
            tsa_material = tsa_material or ca.issue_tsa_certificate(ca_material(issuing))
            tsa = _store_ca(
                actor, tsa_material, ca.DEMO_TSA_NAME, issuing, event_type=event_types.TSA_CREATED
            )
        result = DemoCaResult(root=root, intermediate=issuing, tsa=tsa)

        for agency in Agency.objects.filter(is_active=True).select_related("admin_unit"):
            if _has_usable(SigningIdentity.objects.filter(agency=agency)):
                result.kept += 1
                continue
            result.created.append(_issue_identity(actor, issuing, agency=agency, key_type=key_type))

        officials = Official.objects.filter(user__is_active=True).select_related(
            "user", "agency__admin_unit", "unit"
        )
        if not all_officials:
            officials = officials.filter(
                Q(roles__role=Role.LEADER) | Q(roles__role=Role.CLERK)
            ).distinct()
        for official in officials:
            if _has_usable(SigningIdentity.objects.filter(official=official)):
                result.kept += 1
                continue
            result.created.append(
                _issue_identity(actor, issuing, official=official, key_type=key_type)
            )
    return result
