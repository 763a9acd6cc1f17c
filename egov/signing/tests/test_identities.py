"""Signing identities: the demo CA command, the key store, PKCS#12 import, PKCS#11
configuration, choosing the current certificate, events and visibility."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.utils import timezone

from egov.core.actors import SYSTEM, actor_for_user
from egov.core.errors import NotAllowed
from egov.core.scoping import visible_to
from egov.events.models import Event
from egov.org.models import Role
from egov.signing import ca, keystore, services
from egov.signing.models import (
    CertificateAuthority,
    RevokedCertificate,
    SigningIdentity,
    TrustAnchor,
)

pytestmark = pytest.mark.django_db


def test_make_demo_ca_is_idempotent(
    leader: Any, clerk: Any, agency: Any, other_agency: Any, make_official: Any
) -> None:
    specialist = make_official(agency, roles=[Role.SPECIALIST])
    out = StringIO()
    call_command("make_demo_ca", stdout=out)
    assert "Cấp mới 4 chứng thư" in out.getvalue()  # 2 agencies, the leader, the clerk

    assert CertificateAuthority.objects.count() == 3  # root, intermediate, demo TSA
    root = CertificateAuthority.objects.get(parent__isnull=True)
    assert TrustAnchor.objects.filter(fingerprint_sha256=root.fingerprint_sha256, is_active=True)
    assert not SigningIdentity.objects.filter(official=specialist).exists()

    personal = services.identity_for_official(leader)
    cert = x509.load_pem_x509_certificate(personal.certificate_pem.encode())
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == (
        "Nguyễn Thị Hồng Nhung"
    )
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == (
        "Ủy ban nhân dân tỉnh Quảng Ninh"
    )
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment
    assert personal.issued_by is not None and personal.issued_by.parent == root

    organisation = services.identity_for_agency(other_agency)
    assert organisation.subject.startswith("CN=Sở Tư pháp tỉnh Quảng Ninh")

    again = StringIO()
    call_command("make_demo_ca", "--all-officials", stdout=again)
    assert "Cấp mới 1 chứng thư, giữ nguyên 4" in again.getvalue()  # only the specialist
    assert CertificateAuthority.objects.count() == 3
    assert TrustAnchor.objects.count() == 1
    assert SigningIdentity.objects.count() == 5


def test_identities_are_recorded_as_events(demo_ca: Any, leader: Any, agency: Any) -> None:
    identity = services.identity_for_official(leader)
    added = Event.objects.get(event_type="signing.identity_added", subject_id=str(identity.pk))
    assert added.agency_id == agency.pk
    assert added.payload["serial"] == identity.serial_hex

    services.revoke_identity(actor=SYSTEM, identity=identity, reason="Nghỉ hưu")
    revoked = Event.objects.get(event_type="signing.identity_revoked")
    assert revoked.payload["reason"] == "Nghỉ hưu"
    record = RevokedCertificate.objects.get(serial_hex=identity.serial_hex)
    assert record.identity == identity
    # revoking twice changes nothing
    services.revoke_identity(actor=SYSTEM, identity=identity)
    assert Event.objects.filter(event_type="signing.identity_revoked").count() == 1


def test_only_operators_manage_identities(demo_ca: Any, leader: Any) -> None:
    official_actor = actor_for_user(leader.user)
    with pytest.raises(NotAllowed):
        services.revoke_identity(
            actor=official_actor, identity=services.identity_for_official(leader)
        )
    with pytest.raises(NotAllowed):
        services.ensure_demo_ca(actor=official_actor)


def test_passphrase_is_not_stored_in_clear(leader_identity: SigningIdentity) -> None:
    data = bytes(leader_identity.pkcs12_data or b"")
    passphrase = keystore.decrypt_secret(leader_identity.secret_encrypted)
    assert passphrase.decode() not in leader_identity.secret_encrypted
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(data, None)  # the PKCS#12 itself is encrypted
    key, cert, _ = pkcs12.load_key_and_certificates(data, passphrase)
    assert key is not None and cert is not None


def test_another_keystore_key_cannot_open_the_keys(
    leader_identity: SigningIdentity, document_pdf: bytes
) -> None:
    with (
        override_settings(SIGNING_KEYSTORE_KEY="a-different-key"),
        pytest.raises(services.SigningError) as exc,
    ):
        services.sign_pdf(document_pdf, identity=leader_identity, role="personal")
    assert exc.value.code == "keystore_error"


def test_keystore_key_rotation(leader_identity: SigningIdentity, document_pdf: bytes) -> None:
    with override_settings(SIGNING_KEYSTORE_KEY="new-key," + keystore.DEV_KEYSTORE_KEY):
        assert services.rotate_keystore_secrets(actor=SYSTEM) >= 1
    leader_identity.refresh_from_db()
    with override_settings(SIGNING_KEYSTORE_KEY="new-key"):
        assert services.sign_pdf(document_pdf, identity=leader_identity, role="personal")


def test_import_pkcs12_checks_the_passphrase(demo_ca: Any, clerk: Any) -> None:
    issuing = services.demo_issuing_ca()
    assert issuing is not None
    material = ca.issue_certificate(
        services.ca_material(issuing), common_name="Trần Văn Đức", organisation="UBND"
    )
    data = keystore.to_pkcs12(material, b"mat-khau-p12")

    with pytest.raises(services.SigningError) as exc:
        services.import_pkcs12(actor=SYSTEM, data=data, passphrase="sai", official=clerk)
    assert exc.value.code == "pkcs12_invalid"

    identity = services.import_pkcs12(
        actor=SYSTEM, data=data, passphrase="mat-khau-p12", official=clerk, label="Token mới"
    )
    assert identity.label == "Token mới"
    assert services.key_material(identity).certificate == material.certificate
    with pytest.raises(services.SigningError, match="đã được đăng ký"):
        services.import_pkcs12(actor=SYSTEM, data=data, passphrase="mat-khau-p12", official=clerk)


def test_an_identity_has_exactly_one_owner(demo_ca: Any, leader: Any, agency: Any) -> None:
    with pytest.raises(services.SigningError, match="đúng một công chức hoặc một cơ quan"):
        services.store_identity(
            actor=SYSTEM,
            material=ca.issue_certificate(ca.make_root(), common_name="X"),
            official=leader,
            agency=agency,
        )
    row = services.identity_for_official(leader)
    row.pk = None
    row.agency = agency
    row.fingerprint_sha256 = "0" * 64
    with pytest.raises(IntegrityError), transaction.atomic():
        row.save()  # the database refuses it too


def test_the_longest_valid_certificate_is_chosen(demo_ca: Any, leader: Any) -> None:
    first = services.identity_for_official(leader)
    now = timezone.now()
    renewed = services.issue_demo_identity(
        actor=SYSTEM, official=leader, not_after=now + timedelta(days=5 * 365)
    )
    services.issue_demo_identity(  # expired: never chosen
        actor=SYSTEM,
        official=leader,
        not_before=now - timedelta(days=9),
        not_after=now - timedelta(days=1),
    )
    assert services.identity_for_official(leader) == renewed
    services.revoke_identity(actor=SYSTEM, identity=renewed)
    assert services.identity_for_official(leader) == first


def test_official_without_certificate(make_official: Any, agency: Any) -> None:
    official = make_official(agency, roles=[Role.LEADER])
    with pytest.raises(services.SigningError) as exc:
        services.identity_for_official(official)
    assert exc.value.code == "no_certificate"
    assert (
        exc.value.message == f"Cán bộ {official.user.get_full_name()} chưa có chứng thư số để ký."
    )


def test_identities_visible_to_their_owner_and_agency(
    demo_ca: Any, leader: Any, clerk: Any, other_agency: Any, make_official: Any
) -> None:
    outsider = make_official(other_agency, roles=[Role.LEADER])
    services.issue_demo_identity(actor=SYSTEM, official=outsider)

    seen = visible_to(actor_for_user(clerk.user), SigningIdentity.objects.all())
    owners = {(i.official_id, i.agency_id) for i in seen}
    # the clerk's own certificate and the agency's, not a colleague's or another agency's
    assert owners == {(clerk.pk, None), (None, clerk.agency_id)}
    assert (leader.pk, None) not in owners and (outsider.pk, None) not in owners
    assert (
        visible_to(SYSTEM, SigningIdentity.objects.all()).count() == SigningIdentity.objects.count()
    )


# --- PKCS#11 (hardware token / HSM) ---------------------------------------------------------------


def _pkcs11_kwargs(leader: Any, leader_identity: SigningIdentity) -> dict[str, Any]:
    return {
        "actor": SYSTEM,
        "official": leader,
        "certificate_pem": ca_pem(),
        "token_label": "VNPT-CA",
        "key_label": "ky-so-chu-tich",
        "pin": "123456",
    }


def ca_pem() -> str:
    material = ca.issue_certificate(ca.make_root(), common_name="Nguyễn Thị Hồng Nhung")
    return keystore.to_pem(material.certificate)


def test_pkcs11_configuration_is_validated(
    leader: Any, leader_identity: SigningIdentity, tmp_path: Any
) -> None:
    kwargs = _pkcs11_kwargs(leader, leader_identity)
    with override_settings(SIGNING_PKCS11_MODULE=""), pytest.raises(services.SigningError) as exc:
        services.register_pkcs11_identity(**{**kwargs, "token_label": "", "key_label": ""})
    assert exc.value.code == "pkcs11_config"
    assert set(exc.value.fields) == {"module", "pkcs11_token_label", "pkcs11_key_label"}

    with (
        override_settings(SIGNING_PKCS11_MODULE=str(tmp_path / "missing.so")),
        pytest.raises(services.SigningError) as exc,
    ):
        services.register_pkcs11_identity(**kwargs)
    assert "Không tìm thấy thư viện PKCS#11" in exc.value.fields["module"][0]


def test_pkcs11_identity_is_registered_without_a_key(
    leader: Any, leader_identity: SigningIdentity, tmp_path: Any, document_pdf: bytes
) -> None:
    """The key stays on the token. Signing needs the vendor's module and a token, which this
    machine does not have: the refusal must be clear (no token can be tested here)."""
    module = tmp_path / "libvendor-pkcs11.so"
    module.write_bytes(b"not a real module")
    with override_settings(SIGNING_PKCS11_MODULE=str(module)):
        identity = services.register_pkcs11_identity(**_pkcs11_kwargs(leader, leader_identity))
        assert identity.kind == SigningIdentity.Kind.PKCS11
        assert not identity.pkcs12_data
        assert "123456" not in identity.secret_encrypted
        with pytest.raises(services.SigningError) as exc:
            services.sign_pdf(document_pdf, identity=identity, role="personal")
    assert exc.value.code in {"pkcs11_unavailable", "pkcs11_session"}


@override_settings(DEBUG=False)
def test_deploy_check_refuses_the_development_keystore_key() -> None:
    from egov.signing.checks import keystore_key_configured

    assert [e.id for e in keystore_key_configured()] == ["signing.E001"]
    with override_settings(SIGNING_KEYSTORE_KEY="a-long-production-secret"):
        assert keystore_key_configured() == []
