"""A client of an agency with `webhooks:manage`, its API session, the stand-in receiver, the
one-stop fixtures (a small agency, its staff, a procedure) for real dossier events."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from rest_framework.test import APIClient

from egov.accounts.models import ApiClient
from egov.dossiers.tests.conftest import pdf_upload
from egov.events.services import dispatch_due
from egov.onestop import services as onestop
from egov.onestop.tests.conftest import act, media, procedure, staff  # noqa: F401
from egov.webhooks.standin import ReceiverStandIn

SUBSCRIPTIONS = "/api/v1/webhooks/subscriptions/"


@pytest.fixture(autouse=True)
def _local_targets(settings: Any) -> None:
    # The stand-in receiver listens on 127.0.0.1 over http (allowed in development and tests
    # only; the attack tests switch it off).
    settings.WEBHOOK_ALLOW_LOCALHOST = True
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    settings.WEBHOOK_SOURCE_URL = "https://dichvucong.example.gov.vn"


def make_client(agency: Any, scopes: list[str] | None = None) -> tuple[ApiClient, APIClient]:
    raw, prefix, digest = ApiClient.new_token()
    client = ApiClient.objects.create(
        name=f"app-{prefix}",
        agency=agency,
        scopes=["webhooks:manage"] if scopes is None else scopes,
        key_prefix=prefix,
        key_hash=digest,
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client, api


@pytest.fixture
def app(agency: Any) -> tuple[ApiClient, APIClient]:
    return make_client(agency)


@pytest.fixture
def receiver() -> Iterator[ReceiverStandIn]:
    with ReceiverStandIn([]) as server:
        yield server


def subscribe(
    api: APIClient, receiver: ReceiverStandIn, types: list[str] | None = None, **extra: Any
) -> dict[str, Any]:
    response = api.post(
        SUBSCRIPTIONS,
        {
            "name": "Hệ thống của sở",
            "target_url": receiver.url + "/hook",
            "event_types": types or ["dossier.*"],
            **extra,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body: dict[str, Any] = response.json()
    receiver.secrets.append(body["secret"])
    return body


def receive_dossier(staff: Any, procedure: Any) -> Any:  # noqa: F811
    return onestop.receive_in_person(
        actor=act(staff.receiver),
        procedure_code=procedure.code,
        applicant=onestop.Applicant("citizen", "Lê Thị Hoa", "022195001234", "0912345678"),
        uploads={"to-khai": [pdf_upload("to-khai.pdf")]},
    )


def drain(now: Any = None, rounds: int = 20) -> int:
    """Dispatch until nothing is due; the number of messages claimed."""
    claimed = 0
    for _ in range(rounds):
        report = dispatch_due(now=now)
        claimed += report.claimed
        if not report.claimed:
            break
    return claimed
