"""Issue #11, finding 2: the one-stop API was the only one that checked the second factor, in a
permission of its own. The check is now the accounts middleware's, for every API: officials
whose session did not pass TOTP handle no dossier and read none (one-stop and dossiers API)."""

from __future__ import annotations

import pytest

from egov.conftest import assert_mfa_refused
from egov.dossiers.models import Dossier
from egov.dossiers.tests.conftest import pdf_upload
from egov.events.models import Event
from egov.onestop.models import DossierStep, StepStatus

from .test_api import receive_by_api

pytestmark = pytest.mark.django_db
API = "/api/v1/onestop"


@pytest.fixture
def received(staff, procedure, mfa_session):  # type: ignore[no-untyped-def]
    """A dossier received at the desk by a receiver who did pass the second factor."""
    return receive_by_api({"receiver": mfa_session(staff.receiver.user)}, procedure)


def state(code: str) -> tuple[object, ...]:
    dossier = Dossier.objects.get(code=code)
    active = DossierStep.objects.get(dossier=dossier, status=StepStatus.ACTIVE)
    return (dossier.status, dossier.version, active.order, active.assignee_id)


@pytest.mark.parametrize("with_totp", [False, True], ids=["no-authenticator", "skipped-totp"])
def test_officials_without_second_factor_neither_read_nor_handle_dossiers(
    staff, procedure, received, password_only, with_totp
):
    code = received["code"]
    before = state(code)
    dossiers, events = (
        Dossier.objects.count(),
        Event.objects.exclude(event_type="account.logged_in").count(),
    )
    holder = staff.specialist.user
    reused = None if with_totp else password_only(holder)
    attacks = [
        ("get", f"{API}/queue/"),
        ("get", f"{API}/dossiers/{code}/"),
        ("post", f"{API}/dossiers/{code}/forward/"),
        ("post", f"{API}/dossiers/{code}/send-back/"),
        ("get", "/api/v1/dossiers/"),
        ("get", f"/api/v1/dossiers/{code}/"),
        ("get", f"/api/v1/dossiers/{code}/receipt.pdf"),
    ]
    for method, url in attacks:
        client = reused or password_only(holder, with_totp=True)
        if method == "get":
            response = client.get(url)
        else:
            response = client.post(url, {"note": "x"}, content_type="application/json")
        assert_mfa_refused(response)
        assert response.json()["code"] == "mfa_required", url
        assert "Lê Thị Hoa" not in response.content.decode()
    # The desk cannot register a new dossier either.
    desk = password_only(staff.leader.user, with_totp=with_totp)
    response = desk.post(
        f"{API}/dossiers/",
        {
            "procedure": procedure.code,
            "applicant_kind": "citizen",
            "applicant_name": "Kẻ Giả Mạo",
            "applicant_id_number": "022195001235",
            "applicant_phone": "0912345679",
            "file__to-khai": pdf_upload("to-khai.pdf"),
        },
    )
    assert_mfa_refused(response)
    assert state(code) == before
    assert Dossier.objects.count() == dossiers
    assert Event.objects.exclude(event_type="account.logged_in").count() == events


def test_the_holder_after_the_totp_step_forwards_it(staff, received, mfa_session):
    client = mfa_session(staff.specialist.user)
    response = client.post(
        f"{API}/dossiers/{received['code']}/forward/", {}, content_type="application/json"
    )
    assert response.status_code == 200, response.json()
