"""Fixtures for documents: two agencies with units, and the officials of the review chain."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from egov.core.actors import actor_for_user
from egov.org.models import Agency, Position, Role, Unit


@pytest.fixture(autouse=True)
def media(tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


def make_pdf(text: str = "Nội dung văn bản", pages: int = 1) -> bytes:
    """A small PDF with a text layer (rendered by WeasyPrint so Vietnamese text is real)."""
    from weasyprint import HTML

    body = "".join(f"<p style='page-break-after: always'>{text}</p>" for _ in range(pages))
    return bytes(HTML(string=f"<html><body>{body}</body></html>").write_pdf())


def make_docx(text: str = "Nội dung dự thảo") -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
            'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/>'
            "</Types>",
        )
        z.writestr(
            "word/document.xml",
            '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats'
            f'.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p>'
            "</w:body></w:document>",
        )
    return buffer.getvalue()


def pdf_upload(name: str = "du-thao.pdf", text: str = "Nội dung văn bản") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, make_pdf(text), content_type="application/pdf")


def docx_upload(name: str = "du-thao.docx", text: str = "Nội dung dự thảo") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name,
        make_docx(text),
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )


@pytest.fixture
def vx_unit(agency: Agency) -> Unit:
    return Unit.objects.create(
        agency=agency,
        code="VX",
        name="Phòng Văn hóa - Xã hội",
        abbreviation="VX",
        kind=Unit.Kind.PROFESSIONAL,
    )


@pytest.fixture
def office_unit(agency: Agency) -> Unit:
    return Unit.objects.create(
        agency=agency, code="VP", name="Văn phòng", abbreviation="VP", kind=Unit.Kind.OFFICE
    )


@pytest.fixture
def other_unit(other_agency: Agency) -> Unit:
    return Unit.objects.create(
        agency=other_agency,
        code="HCTP",
        name="Phòng Hành chính tư pháp",
        abbreviation="HCTP",
        kind=Unit.Kind.PROFESSIONAL,
    )


@pytest.fixture
def people(agency, vx_unit, office_unit, make_official):  # type: ignore[no-untyped-def]
    """drafter (specialist), head (unit head), leader, clerk of the agency."""
    chairman, _ = Position.objects.get_or_create(
        code="chu-tich", defaults={"name": "Chủ tịch", "is_leader": True}
    )
    drafter = make_official(agency, roles=[Role.SPECIALIST], unit=vx_unit, username="chuyenvien")
    head = make_official(agency, roles=[Role.UNIT_HEAD], unit=vx_unit, username="truongphong")
    leader = make_official(agency, roles=[Role.LEADER], unit=office_unit, username="chutich")
    leader.position = chairman
    leader.save()
    clerk = make_official(agency, roles=[Role.CLERK], unit=office_unit, username="vanthu")
    return {"drafter": drafter, "head": head, "leader": leader, "clerk": clerk}


def actor(official):  # type: ignore[no-untyped-def]
    return actor_for_user(official.user)


@pytest.fixture(scope="session")
def demo_hierarchy():  # type: ignore[no-untyped-def]
    from egov.signing import services

    return services.make_demo_hierarchy()


@pytest.fixture
def certificates(people, demo_hierarchy, other_agency):  # type: ignore[no-untyped-def]
    """Demo CA certificates for every agency, leader and clerk present when called."""
    from egov.core.actors import SYSTEM
    from egov.signing import services

    return services.ensure_demo_ca(actor=SYSTEM, hierarchy=demo_hierarchy)


def sign_as(official, document, **kwargs):  # type: ignore[no-untyped-def]
    """The official signs `document` as the sign page does: with a fresh authenticator code
    (given an authenticator first if they have none)."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP
    from django.core.cache import cache

    from egov.conftest import DEMO_TOTP_SECRET, fresh_totp
    from egov.documents import services

    if not Authenticator.objects.filter(user=official.user, type="totp").exists():
        TOTP.activate(official.user, DEMO_TOTP_SECRET)
    cache.clear()  # a code is accepted once per 30-second window
    return services.sign(
        actor=actor(official), document=document, second_factor=fresh_totp(margin=3), **kwargs
    )
