"""The administration of signing identities: operators only, revocation through the service."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from egov.events.models import Event
from egov.org.models import Role
from egov.signing import ca, keystore, services
from egov.signing.models import SigningIdentity, TrustAnchor

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(agency: Any, make_official: Any) -> Any:
    return make_official(agency, roles=[Role.OPERATOR], username="quantri.kyso").user


def test_operator_lists_identities_and_revokes_one(
    client: Any, login_with_mfa: Any, operator: Any, demo_ca: Any, leader: Any
) -> None:
    login_with_mfa(operator)
    page = client.get("/quan-tri/signing/signingidentity/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Nguyễn Thị Hồng Nhung" in html and "Còn hiệu lực" in html

    identity = services.identity_for_official(leader)
    assert client.get(f"/quan-tri/signing/signingidentity/{identity.pk}/change/").status_code == 200
    response = client.post(
        "/quan-tri/signing/signingidentity/",
        {"action": "revoke_selected", "_selected_action": [identity.pk]},
        follow=True,
    )
    assert "Đã thu hồi 1 chứng thư số." in response.content.decode()
    identity.refresh_from_db()
    assert identity.revoked_at is not None
    event = Event.objects.get(event_type="signing.identity_revoked")
    assert event.actor_label == "quantri.kyso"
    assert "Đã thu hồi" in client.get("/quan-tri/signing/signingidentity/").content.decode()


def test_operator_imports_a_pkcs12(
    client: Any, login_with_mfa: Any, operator: Any, demo_ca: Any, clerk: Any
) -> None:
    login_with_mfa(operator)
    assert client.get("/quan-tri/signing/signingidentity/add/").status_code == 200
    issuing = services.demo_issuing_ca()
    assert issuing is not None
    material = ca.issue_certificate(services.ca_material(issuing), common_name="Trần Văn Đức")
    p12 = keystore.to_pkcs12(material, b"bi-mat")

    wrong = client.post(
        "/quan-tri/signing/signingidentity/add/",
        {
            "official": clerk.pk,
            "label": "Token văn thư",
            "pkcs12_file": SimpleUploadedFile("vt.p12", p12),
            "passphrase": "sai-mat-khau",
        },
    )
    assert wrong.status_code == 200
    assert "Sai mật khẩu" in wrong.content.decode()

    client.post(
        "/quan-tri/signing/signingidentity/add/",
        {
            "official": clerk.pk,
            "label": "Token văn thư",
            "pkcs12_file": SimpleUploadedFile("vt.p12", p12),
            "passphrase": "bi-mat",
        },
    )
    identity = SigningIdentity.objects.get(label="Token văn thư")
    assert identity.fingerprint_sha256 == keystore.fingerprint(material.certificate)
    assert Event.objects.filter(event_type="signing.identity_added", subject_id=str(identity.pk))


def test_operator_adds_and_withdraws_a_trust_anchor(
    client: Any, login_with_mfa: Any, operator: Any
) -> None:
    login_with_mfa(operator)
    root = ca.make_root("CA gốc Chính phủ (thử)")
    client.post(
        "/quan-tri/signing/trustanchor/add/",
        {"name": "CA gốc Chính phủ", "certificate_pem": keystore.to_pem(root.certificate)},
    )
    anchor = TrustAnchor.objects.get(name="CA gốc Chính phủ")
    client.post(
        "/quan-tri/signing/trustanchor/",
        {"action": "withdraw_selected", "_selected_action": [anchor.pk]},
    )
    anchor.refresh_from_db()
    assert not anchor.is_active
    assert Event.objects.filter(event_type="signing.trust_anchor_removed").count() == 1


def test_an_official_cannot_open_the_signing_administration(
    client: Any, login_with_mfa: Any, leader: Any, demo_ca: Any
) -> None:
    login_with_mfa(leader.user)
    response = client.get("/quan-tri/signing/signingidentity/")
    assert response.status_code in (302, 403)
