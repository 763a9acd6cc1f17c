"""Two agencies, a received dossier of the first (with steps, a fee and a signed result), and
API clients of both with grants; the clients call through Django's test client with their
bearer token (and, for signed requests, the reference signer)."""

from __future__ import annotations

import hashlib
from types import SimpleNamespace
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from egov.accounts.services import create_api_client
from egov.core.actors import SYSTEM
from egov.dossiers.models import DossierFile
from egov.dossiers.tests.conftest import make_pdf
from egov.onestop import services as onestop
from egov.onestop.models import SignedResult
from egov.onestop.tests.conftest import (  # noqa: F401 (fixtures)
    act,
    make_procedure,
    media,
    procedure,
    staff,
)
from egov.sharing import services
from egov.sharing.signatures import key_id_of, sign_request

ID_NUMBER = "022195001234"


class ApiCaller:
    """An API client as the other agency's system: token, optional signing key."""

    def __init__(self, client: Any, token: str) -> None:
        self.client = client
        self.token = token
        self.http = Client()
        self.private_key: Ed25519PrivateKey | None = None
        self.key_id = ""

    def register_key(self, *, required: bool = True) -> None:
        self.private_key = Ed25519PrivateKey.generate()
        pem = (
            self.private_key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )
        services.register_client_key(
            actor=SYSTEM, client=self.client, public_key_pem=pem, signatures_required=required
        )
        self.key_id = key_id_of(self.private_key.public_key())

    def headers(self, method: str, path: str, query: str, body: bytes, **sig: Any) -> dict:
        headers = {"Authorization": f"Bearer {self.token}"}
        if sig.pop("sign", self.private_key is not None):
            assert self.private_key is not None
            headers |= sign_request(
                private_key=sig.pop("private_key", self.private_key),
                key_id=self.key_id,
                method=method,
                path=path,
                query=query,
                body=body,
                **sig,
            )
        return headers

    def get(self, path: str, query: str = "", **sig: Any) -> Any:
        url = path + (f"?{query}" if query else "")
        return self.http.get(url, headers=self.headers("GET", path, query, b"", **sig))

    def post(self, path: str, data: dict, **sig: Any) -> Any:
        import json

        body = json.dumps(data).encode()
        return self.http.post(
            path,
            data=body,
            content_type="application/json",
            headers=self.headers("POST", path, "", body, **sig),
        )


def make_caller(
    name: str, agency: Any, services_granted: tuple[str, ...], scopes=None
) -> ApiCaller:  # type: ignore[no-untyped-def]
    client, token = create_api_client(
        actor=SYSTEM, name=name, scopes=scopes or ["sharing:use"], agency=agency
    )
    for code in services_granted:
        services.grant_service(actor=SYSTEM, client=client, service=code)
    return ApiCaller(client, token)


ALL = ("dossier-status", "procedures", "results", "payment-status")


@pytest.fixture
def dossier(staff, procedure):  # type: ignore[no-untyped-def]  # noqa: F811
    from egov.dossiers.tests.conftest import pdf_upload

    found = onestop.receive_in_person(
        actor=act(staff.receiver),
        procedure_code=procedure.code,
        applicant=onestop.Applicant("citizen", "Lê Thị Hoa", ID_NUMBER, "0912345678"),
        uploads={"to-khai": [pdf_upload("to-khai.pdf")]},
    )
    return found


@pytest.fixture
def signed_result(dossier):  # type: ignore[no-untyped-def]
    content = make_pdf(1)
    file = DossierFile(
        dossier=dossier,
        kind=DossierFile.Kind.RESULT,
        original_name="giay-xac-nhan.pdf",
        content_type="application/pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    file.file.save("ket-qua.pdf", ContentFile(content), save=False)
    file.save()
    return SignedResult.objects.create(
        dossier=dossier,
        file=file,
        source=SignedResult.Source.UPLOAD,
        signer_name="Nguyễn Văn An",
        signer_position="Chủ tịch",
        signed_at=timezone.now(),
    )


@pytest.fixture
def callers(agency, other_agency):  # type: ignore[no-untyped-def]
    return SimpleNamespace(
        own=make_caller("Hệ thống của sở", agency, ALL),
        other=make_caller("Hệ thống sở khác", other_agency, ALL),
        province=make_caller("Trục LGSP tỉnh", None, ALL),
        none=make_caller("Chưa được cấp quyền", other_agency, ()),
    )
