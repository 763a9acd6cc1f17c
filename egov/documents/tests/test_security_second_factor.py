"""Issue #11, finding 2: a new leader who had not set up an authenticator read, approved and
signed a document through the API with the password alone. A session without the second factor
now carries no official's rights (accounts.middleware): every call is refused and nothing
changes."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from egov.conftest import assert_mfa_refused, fresh_totp
from egov.documents import services
from egov.documents.models import OutgoingDocument, OutgoingStatus
from egov.events.models import Event

from .conftest import actor
from .test_outgoing import draft

pytestmark = pytest.mark.django_db
API = "/api/v1/documents"


@pytest.fixture
def awaiting_leader(people, vx_unit):  # type: ignore[no-untyped-def]
    """A draft submitted straight to the leader for approval."""
    document = draft(people, vx_unit)
    services.submit_for_review(
        actor=actor(people["drafter"]), document=document, reviewer=people["leader"]
    )
    document.refresh_from_db()
    return document


@pytest.mark.parametrize("with_totp", [False, True], ids=["no-authenticator", "skipped-totp"])
def test_leader_without_second_factor_can_neither_read_approve_nor_sign(
    people, awaiting_leader, password_only, with_totp
):
    document = awaiting_leader
    leader = people["leader"].user
    before = (document.status, document.version)
    events = Event.objects.exclude(event_type="account.logged_in").count()
    attacks = [
        ("get", f"{API}/outgoing/", None),
        ("get", f"{API}/outgoing/{document.pk}/", None),
        ("get", f"{API}/incoming/", None),
        ("get", f"{API}/search/?q=chuyển đổi số", None),
        ("post", f"{API}/outgoing/{document.pk}/review/", {"decision": "approve"}),
        ("post", f"{API}/outgoing/{document.pk}/sign/", {}),
        ("post", f"{API}/outgoing/{document.pk}/issue/", {}),
    ]
    # A session that skipped the TOTP step is thrown out at its first request: one per attack.
    reused = None if with_totp else password_only(leader)
    for method, url, data in attacks:
        client = reused or password_only(leader, with_totp=True)
        if method == "get":
            response = client.get(url)
        else:
            response = client.post(url, data, content_type="application/json")
        assert_mfa_refused(response)
        assert response.json()["code"] == "mfa_required", url
        assert document.subject not in response.content.decode()
    document.refresh_from_db()
    assert (document.status, document.version) == before == (OutgoingStatus.IN_REVIEW, before[1])
    assert Event.objects.exclude(event_type="account.logged_in").count() == events


def test_the_same_leader_after_the_totp_step_approves_and_signs(
    people, awaiting_leader, mfa_session, certificates, give_totp
):
    give_totp(people["leader"].user)  # a known secret: signing asks for a fresh code
    client = mfa_session(people["leader"].user)
    url = f"{API}/outgoing/{awaiting_leader.pk}"
    response = client.post(
        f"{url}/review/", {"decision": "approve"}, content_type="application/json"
    )
    assert response.status_code == 200, response.json()
    cache.clear()  # the login's code may still be in its window
    response = client.post(
        f"{url}/sign/", {"code": fresh_totp(margin=3)}, content_type="application/json"
    )
    assert response.json()["status"] == "signed"
    assert OutgoingDocument.objects.get(pk=awaiting_leader.pk).status == OutgoingStatus.SIGNED
