"""The VNeID login end to end against the stand-in OpenID Connect provider (real HTTP)."""

from __future__ import annotations

import pytest
from django.conf import settings

from egov.accounts.models import CitizenProfile, IdentityMethod, User
from egov.events.models import Event
from egov.identity.models import IdentityLink
from egov.identity.selectors import level_of, verified_claims

from .support import vneid_login

pytestmark = pytest.mark.django_db


def test_a_new_citizen_gets_an_account_from_the_verified_claims(identity_standin, client):
    response = vneid_login(client, identity_standin, citizen="cuong")
    assert response.status_code == 302
    user = User.objects.get(username="001088004321")
    assert user.kind == User.Kind.CITIZEN
    assert user.full_name == "Lê Văn Cường"
    assert not user.has_usable_password()
    assert user.citizen.identity_verified_method == IdentityMethod.EID
    assert client.get("/api/v1/me/").json()["username"] == "001088004321"
    assert level_of(user) == 2
    claims = verified_claims(user)
    assert claims["personal_id"] == "001088004321"
    assert claims["birth_date"] == "1988-11-02"
    assert claims["current_address"].startswith("Tổ 4")
    kinds = set(Event.objects.filter(subject_id=str(user.pk)).values_list("event_type", flat=True))
    assert {"identity.linked", "identity.logged_in", "account.identity_verified"} <= kinds


def test_the_personal_id_lands_on_the_existing_account(identity_standin, client, make_citizen):
    existing = make_citizen("022085012345")
    response = vneid_login(client, identity_standin, citizen="an")
    assert response.status_code == 302
    assert CitizenProfile.objects.filter(personal_id="022085012345").count() == 1
    assert User.objects.filter(username="022085012345").count() == 1
    link = IdentityLink.objects.get()
    assert link.user == existing
    existing.citizen.refresh_from_db()
    assert existing.citizen.identity_verified_method == IdentityMethod.EID
    assert client.get("/api/v1/me/").json()["username"] == "022085012345"
    # The password still works too: the eID login added to the account, did not replace it.
    assert existing.has_usable_password()


def test_the_level_is_kept_and_updated_on_each_login(identity_standin, client):
    vneid_login(client, identity_standin, citizen="binh")
    user = User.objects.get(username="022192067890")
    assert level_of(user) == 1
    first = IdentityLink.objects.get(user=user).last_login_at
    client.logout()
    vneid_login(client, identity_standin, citizen="binh")
    link = IdentityLink.objects.get(user=user)
    assert link.level == 1 and link.last_login_at > first
    assert IdentityLink.objects.count() == 1


def test_the_login_renews_the_session_id(identity_standin, client):
    client.get("/accounts/login/")
    client.session.save()
    start = client.get("/dang-nhap/vneid/")
    before = client.cookies[settings.SESSION_COOKIE_NAME].value
    from .support import authorize_at_standin

    back = authorize_at_standin(start["Location"], "cuong")
    client.get(back[back.index("/dang-nhap/") :])
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before
    assert client.get("/api/v1/me/").status_code == 200


def test_the_login_page_shows_the_vneid_button(identity_standin, client):
    page = client.get("/accounts/login/").content.decode()
    assert "Đăng nhập bằng VNeID" in page
    assert 'href="/dang-nhap/vneid/"' in page
    page = client.get("/accounts/login/?next=/ho-so-cua-toi/").content.decode()
    assert 'href="/dang-nhap/vneid/?next=%2Fho-so-cua-toi%2F"' in page


def test_without_configuration_no_button_and_a_clear_page(client, settings):
    settings.VNEID_DISCOVERY_URL = ""
    assert "Đăng nhập bằng VNeID" not in client.get("/accounts/login/").content.decode()
    response = client.get("/dang-nhap/vneid/")
    assert response.status_code == 400
    assert "chưa được cấu hình" in response.content.decode()


def test_next_is_followed_only_on_this_site(identity_standin, client):
    from .support import authorize_at_standin

    start = client.get("/dang-nhap/vneid/?next=/ho-so-cua-toi/")
    back = authorize_at_standin(start["Location"], "cuong")
    assert client.get(back[back.index("/dang-nhap/") :])["Location"] == "/ho-so-cua-toi/"
    client.logout()
    start = client.get("/dang-nhap/vneid/?next=https://ke-gian.example/")
    back = authorize_at_standin(start["Location"], "cuong")
    assert "ke-gian" not in client.get(back[back.index("/dang-nhap/") :])["Location"]


def test_the_login_page_and_the_refusal_in_english(identity_standin, client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with VNeID" in page and "Đăng nhập bằng VNeID" not in page
    page = client.get("/dang-nhap/vneid/callback/").content.decode()
    assert "Could not sign in with VNeID" in page and "Back to the sign-in page" in page
