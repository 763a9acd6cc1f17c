"""Operators declare external endpoints (administration or command), with a peer token shown
once; package and status logs are read-only."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command

from egov.core.actors import SYSTEM, actor_for_user
from egov.core.errors import NotAllowed
from egov.events.models import Event
from egov.exchange import common, endpoints
from egov.exchange.models import ExternalEndpoint
from egov.org.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(agency, make_official, login_with_mfa):  # type: ignore[no-untyped-def]
    user = make_official(agency, roles=[Role.OPERATOR]).user
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="exchange"))
    login_with_mfa(user)
    return user


def test_an_operator_declares_an_endpoint_and_gets_the_peer_token_once(client, operator):
    response = client.post(
        "/quan-tri/exchange/externalendpoint/add/",
        {
            "organ_id": "000.00.00.H56",
            "organ_name": "Ủy ban nhân dân tỉnh Thái Bình",
            "url": "https://vpdt.thaibinh.gov.vn/api/v1/exchange/",
            "auth_token": "edxml_given-to-us-by-thai-binh-0123456789",
            "timeout_seconds": "30",
            "dialect": "sdk",
            "zip_attachments": "on",
            "is_active": "on",
            "new_inbound_token": "on",
        },
        follow=True,
    )
    assert response.status_code == 200
    endpoint = ExternalEndpoint.objects.get()
    shown = [str(m) for m in response.context["messages"]]
    [line] = [m for m in shown if "chỉ hiện một lần" in m]
    token = line.rsplit(" ", 1)[-1]
    assert token.startswith("edxml_")
    assert endpoint.inbound_token_hash == ExternalEndpoint.hash_token(token)
    assert token not in str(Event.objects.get(event_type="exchange.endpoint_created").payload)
    assert endpoints.peer_organs_for_token(token) == frozenset({"000.00.00.H56"})

    listing = client.get("/quan-tri/exchange/externalendpoint/")
    assert "Thái Bình" in listing.content.decode()
    for page in ("outgoingpackage", "incomingpackage", "statusrecord"):
        assert client.get(f"/quan-tri/exchange/{page}/").status_code == 200
        assert client.get(f"/quan-tri/exchange/{page}/add/").status_code == 403


def test_an_endpoint_for_an_agency_of_this_platform_is_refused(agency):
    with pytest.raises(common.ExchangeError) as exc:
        endpoints.save_endpoint(
            actor=SYSTEM,
            organ_id=agency.identifier,
            organ_name=agency.name,
            url="https://example.gov.vn/api/v1/exchange/",
        )
    assert "organ_id" in exc.value.fields
    with pytest.raises(common.ExchangeError) as exc:
        endpoints.save_endpoint(
            actor=SYSTEM, organ_id="bad id!", organ_name="", url="ftp://x", inbound_token="short"
        )
    assert set(exc.value.fields) == {"organ_id", "organ_name", "url", "inbound_token"}


def test_only_operators_declare_endpoints(agency, make_official):
    clerk = actor_for_user(make_official(agency, roles=[Role.CLERK]).user)
    with pytest.raises(NotAllowed):
        endpoints.save_endpoint(
            actor=clerk,
            organ_id="000.00.00.H56",
            organ_name="UBND tỉnh Thái Bình",
            url="https://example.gov.vn/api/v1/exchange/",
        )


def test_the_endpoint_command(db):
    out = StringIO()
    call_command(
        "exchange_endpoint",
        "000.00.00.H56",
        "--name",
        "Ủy ban nhân dân tỉnh Thái Bình",
        "--url",
        "https://vpdt.thaibinh.gov.vn/api/v1/exchange/",
        "--token",
        "edxml_abc",
        "--new-inbound-token",
        stdout=out,
    )
    token = out.getvalue().strip().rsplit(" ", 1)[-1]
    endpoint = ExternalEndpoint.objects.get()
    assert endpoint.auth_token == "edxml_abc"
    assert endpoint.inbound_token_hash == ExternalEndpoint.hash_token(token)

    with pytest.raises(CommandError, match="URL"):
        call_command("exchange_endpoint", "000.00.00.H56", "--name", "X", "--url", "nope")
