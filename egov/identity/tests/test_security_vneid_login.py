"""Attacks on the VNeID login (issue #18): each refused, nobody logged in, a Vietnamese page with
a way back, an identity.login_refused event; never a 500."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from egov.accounts.models import User
from egov.events.models import Event
from egov.identity.models import IdentityLink

from .support import CLIENT_ID, CLIENT_SECRET, authorize_at_standin, start_login, vneid_login

pytestmark = pytest.mark.django_db


def _path(url: str) -> str:
    return url[url.index("/dang-nhap/") :]


def _refused(client, response, reason: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code in (400, 403), response.status_code
    page = response.content.decode()
    assert "Không đăng nhập được bằng VNeID" in page
    assert "Quay lại trang đăng nhập" in page
    assert client.get("/api/v1/me/").status_code in (401, 403)
    assert "_auth_user_id" not in client.session
    reasons = list(
        Event.objects.filter(event_type="identity.login_refused").values_list(
            "payload__reason", flat=True
        )
    )
    assert reason in reasons, reasons


def test_security_a_callback_without_the_state_of_this_session_is_refused(identity_standin, client):
    # The attacker's own code and state, sent to the victim's browser (login CSRF).
    attacker = type(client)()
    back = authorize_at_standin(start_login(attacker), "cuong")
    response = client.get(_path(back))
    _refused(client, response, "state")
    # A forged state in the victim's own session fails the same way.
    start_login(client)
    query = parse_qs(urlsplit(back).query)
    response = client.get(f"/dang-nhap/vneid/callback/?code={query['code'][0]}&state=gia-mao")
    _refused(client, response, "state")
    response = client.get("/dang-nhap/vneid/callback/")
    _refused(client, response, "state")
    assert not User.objects.filter(username="001088004321").exists()


def test_security_a_replayed_code_is_refused(identity_standin, client):
    back = authorize_at_standin(start_login(client), "cuong")
    assert client.get(_path(back)).status_code == 302
    client.logout()
    # The same callback again: its state was used up.
    _refused(client, client.get(_path(back)), "state")
    # The old code under a fresh state of this session: the provider refuses the code.
    fresh = authorize_at_standin(start_login(client), "cuong")
    state = parse_qs(urlsplit(fresh).query)["state"][0]
    code = parse_qs(urlsplit(back).query)["code"][0]
    response = client.get(f"/dang-nhap/vneid/callback/?code={code}&state={state}")
    _refused(client, response, "token")
    assert "invalid_grant" in identity_standin.refused


def test_security_the_stand_in_refuses_a_code_twice_and_a_wrong_verifier(identity_standin):
    location = authorize_at_standin(
        f"{identity_standin.url}/authorize?response_type=code&client_id={CLIENT_ID}"
        "&redirect_uri=http://127.0.0.1/cb&scope=openid&state=s&nonce=n"
        "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
    )
    code = parse_qs(urlsplit(location).query)["code"][0]
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": "http://127.0.0.1/cb",
        "code_verifier": "not-the-verifier",
    }
    auth = (CLIENT_ID, CLIENT_SECRET)
    token_url = f"{identity_standin.url}/token"
    assert requests.post(token_url, data=form, auth=auth, timeout=10).status_code == 400
    form["code_verifier"] = "dBjftJeZ4CVP-mJ92K9V2lZ3SB5hc0XHbWwQcrwh8dxbVTVvaV1mlPg"
    # The code was spent on the wrong verifier: the right one is too late.
    assert requests.post(token_url, data=form, auth=auth, timeout=10).status_code == 400
    bad_client = requests.post(token_url, data=form, auth=(CLIENT_ID, "sai"), timeout=10)
    assert bad_client.status_code == 401


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("wrong-nonce", "nonce"),
        ("other-key", "signature"),
        ("expired", "expired"),
        ("wrong-audience", "audience"),
        ("wrong-issuer", "issuer"),
    ],
)
def test_security_a_bad_id_token_is_refused(identity_standin, client, mode, reason):
    identity_standin.set_mode(mode)
    response = vneid_login(client, identity_standin, citizen="cuong")
    _refused(client, response, reason)
    assert not User.objects.filter(username="001088004321").exists()
    assert not IdentityLink.objects.exists()


def test_security_a_forged_token_does_not_reach_an_existing_account(
    identity_standin, client, make_citizen
):
    make_citizen("022085012345")
    identity_standin.set_mode("other-key")
    _refused(client, vneid_login(client, identity_standin, citizen="an"), "signature")
    assert not IdentityLink.objects.exists()


def test_security_a_cancelled_login_and_a_provider_error_are_refused(identity_standin, client):
    back = authorize_at_standin(start_login(client), "cuong", action="cancel")
    response = client.get(_path(back))
    _refused(client, response, "cancelled")
    assert "hủy" in response.content.decode()
    identity_standin.set_mode("error")
    _refused(client, vneid_login(client, identity_standin), "provider_error")


def test_security_claims_without_the_personal_id_are_refused(identity_standin, client):
    identity_standin.set_mode("no-personal-id")
    _refused(client, vneid_login(client, identity_standin, citizen="cuong"), "claims")
    assert not User.objects.filter(username="001088004321").exists()


def test_security_an_official_never_logs_in_through_vneid(
    identity_standin, client, agency, make_official
):
    official = make_official(agency)
    # An official whose login name is the person's id number (no citizen profile).
    User.objects.filter(pk=official.user.pk).update(username="001088004321")
    _refused(client, vneid_login(client, identity_standin, citizen="cuong"), "not_citizen")
    assert not IdentityLink.objects.exists()


def test_security_an_unreachable_provider_is_a_page_not_a_500(identity_standin, client, settings):
    settings.VNEID_DISCOVERY_URL = "http://127.0.0.1:1/.well-known/openid-configuration"
    response = client.get("/dang-nhap/vneid/")
    _refused(client, response, "provider_unavailable")


def test_security_a_subject_linked_to_another_person_is_refused(
    identity_standin, client, make_citizen
):
    from egov.identity.standin import DEMO_CITIZENS

    victim = make_citizen("022085012345")
    cuong = next(c for c in DEMO_CITIZENS if c.key == "cuong")
    # The provider's subject for Lê Văn Cường was (wrongly) linked to another person's account.
    IdentityLink.objects.create(user=victim, provider="vneid", subject=cuong.subject, level=2)
    _refused(client, vneid_login(client, identity_standin, citizen="cuong"), "subject_mismatch")
    assert not User.objects.filter(username="001088004321").exists()


def test_security_another_persons_subject_never_takes_over_an_account(make_citizen):
    """The subject follows the verified number only on that number's own account: a subject
    linked to one person, asserted with another person's number (or the reverse), is refused and
    changes no link."""
    from egov.identity.providers import IdentityRefused, VerifiedIdentity
    from egov.identity.services import login_identity

    an = make_citizen("022085012345")
    binh = make_citizen("022192067890")
    IdentityLink.objects.create(user=an, provider="vneid", subject="sub-an", level=2)
    IdentityLink.objects.create(user=binh, provider="vneid", subject="sub-binh", level=1)
    for subject, number in (("sub-binh", "022085012345"), ("sub-an", "022192067890")):
        identity = VerifiedIdentity("vneid", subject, 2, {"personal_id": number})
        with pytest.raises(IdentityRefused) as refused:
            login_identity(identity)
        assert refused.value.reason == "subject_mismatch"
    links = dict(IdentityLink.objects.values_list("user_id", "subject"))
    assert links == {an.pk: "sub-an", binh.pk: "sub-binh"}
    assert IdentityLink.objects.get(user=binh).level == 1
    assert not Event.objects.filter(event_type="identity.logged_in").exists()
