"""Logging in: officials need a second factor; citizens register with their id number;
nobody reaches another person's data."""

from __future__ import annotations

import pytest
from django.core import mail  # noqa: F401
from django.test import Client

from egov.accounts.models import CitizenProfile, User
from egov.accounts.services import issue_enrolment_code
from egov.conftest import fresh_totp, totp_now
from egov.core.actors import SYSTEM
from egov.events.models import Event
from egov.org.models import Role

pytestmark = pytest.mark.django_db


def test_official_login_asks_for_totp_then_reaches_workspace(
    client, agency, make_official, give_totp
):
    official = make_official(agency, roles=[Role.RECEIVER])
    give_totp(official.user)
    response = client.post(
        "/accounts/login/", {"login": official.user.username, "password": "Mat-khau-2026!"}
    )
    assert response["Location"].startswith("/accounts/2fa/authenticate")
    # Without the code the workspace stays closed.
    assert client.get("/lam-viec/").status_code == 302
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_now()})
    assert response.status_code == 302
    page = client.get(response["Location"], follow=True)
    assert page.status_code == 200
    assert "Không gian làm việc" in page.content.decode()
    assert agency.name in page.content.decode()


@pytest.mark.parametrize(("steps_ago", "accepted"), [(1, True), (2, False)])
def test_code_from_the_window_just_ended_is_accepted_but_not_an_older_one(
    client, agency, make_official, give_totp, steps_ago, accepted
):
    official = make_official(agency, roles=[Role.RECEIVER])
    give_totp(official.user)
    client.post("/accounts/login/", {"login": official.user.username, "password": "Mat-khau-2026!"})
    code = fresh_totp(margin=2, steps_ago=steps_ago)
    response = client.post("/accounts/2fa/authenticate/", {"code": code})
    assert (response.status_code == 302) is accepted
    assert (client.get("/lam-viec/").status_code == 200) is accepted


def test_official_without_second_factor_is_sent_to_set_it_up(client, agency, make_official):
    official = make_official(agency)
    response = client.post(
        "/accounts/login/", {"login": official.user.username, "password": "Mat-khau-2026!"}
    )
    assert response.status_code == 302
    response = client.get("/lam-viec/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"


def test_session_that_skipped_the_second_factor_is_thrown_out(
    client, agency, make_official, give_totp
):
    official = make_official(agency)
    give_totp(official.user)
    client.force_login(official.user)  # e.g. a session obtained without the TOTP step
    response = client.get("/lam-viec/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db(transaction=True)
def test_activating_totp_in_session_opens_the_workspace(client, agency, make_official):
    # A transactional test: allauth reports the activation on commit, as in production.
    official = make_official(agency)
    issued = issue_enrolment_code(actor=SYSTEM, user=official.user)  # handed over by an operator
    client.post("/accounts/login/", {"login": official.user.username, "password": "Mat-khau-2026!"})
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = client.session["mfa.totp.secret"]
    response = client.post(
        "/accounts/2fa/totp/activate/", {"code": totp_now(secret), "enrolment_code": issued.code}
    )
    assert response.status_code == 302
    assert client.get("/lam-viec/").status_code == 200
    assert Event.objects.filter(
        event_type="account.mfa_added", subject_id=str(official.user.pk)
    ).exists()


def test_citizen_cannot_open_workspace_or_admin(client, make_citizen):
    citizen = make_citizen()
    client.force_login(citizen)
    assert client.get("/lam-viec/").status_code == 403
    response = client.get("/quan-tri/")
    assert response.status_code == 302 and "/quan-tri/login/" in response["Location"]


def test_repeated_failed_logins_lock_the_account(client, make_citizen):
    citizen = make_citizen()
    for _ in range(5):
        client.post("/accounts/login/", {"login": citizen.username, "password": "wrong-password"})
    response = client.post(
        "/accounts/login/", {"login": citizen.username, "password": "Mat-khau-2026!"}
    )
    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 429)
    # Another account from the same place is not affected.
    other = make_citizen()
    fresh = Client()
    fresh.post("/accounts/login/", {"login": other.username, "password": "Mat-khau-2026!"})
    assert fresh.session.get("_auth_user_id") == str(other.pk)
    assert Event.objects.filter(event_type="account.login_failed").count() >= 5


class TestCitizenRegistration:
    def test_registers_with_personal_id_and_phone_then_logs_in(self, client):
        response = client.post(
            "/dang-ky/cong-dan/",
            {
                "personal_id": "022195001234",
                "full_name": "Trần Thị Bích",
                "phone": "0912 345 678",
                "password": "Mat-khau-2026!",
            },
        )
        assert response.status_code == 302
        user = User.objects.get(username="022195001234")
        assert user.kind == "citizen" and user.phone == "+84912345678"
        assert user.citizen.birth_year == 1995 and user.citizen.gender == "female"
        assert Event.objects.filter(event_type="account.citizen_registered").count() == 1
        assert client.session["_auth_user_id"] == str(user.pk)

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"personal_id": "12345"}, "12 chữ số"),
            ({"personal_id": "003195001234"}, "mã tỉnh"),
            ({"phone": "12345"}, "Số điện thoại không hợp lệ"),
            ({"phone": "", "email": ""}, "ít nhất số điện thoại hoặc thư điện tử"),
            ({"email": "not-an-email"}, "thư điện tử không hợp lệ"),
            ({"full_name": "A" * 151}, "150"),
            ({"password": "123"}, "mật khẩu"),
        ],
    )
    def test_bad_input_is_explained_and_creates_nothing(self, client, data, message):
        form = {
            "personal_id": "022195001234",
            "full_name": "Trần Thị Bích",
            "phone": "0912345678",
            "password": "Mat-khau-2026!",
            **data,
        }
        response = client.post("/dang-ky/cong-dan/", form)
        assert response.status_code == 200
        assert message.lower() in response.content.decode().lower()
        assert not User.objects.exists() and not Event.objects.exists()

    def test_same_id_cannot_register_twice(self, client, make_citizen):
        make_citizen(personal_id="022195001234")
        response = client.post(
            "/dang-ky/cong-dan/",
            {
                "personal_id": "022195001234",
                "full_name": "Kẻ Giả Mạo",
                "phone": "0987654321",
                "password": "Mat-khau-2026!",
            },
        )
        assert "đã có tài khoản" in response.content.decode()
        assert CitizenProfile.objects.count() == 1


class TestBusinessRegistration:
    def test_registers_with_valid_tax_code(self, client):
        response = client.post(
            "/dang-ky/doanh-nghiep/",
            {
                "tax_code": "0100109106-001",
                "name": "Chi nhánh Công ty ABC",
                "representative": "Lê Văn C",
                "email": "abc@example.vn",
                "password": "Mat-khau-2026!",
            },
        )
        assert response.status_code == 302
        assert User.objects.get(username="0100109106-001").business.name == "Chi nhánh Công ty ABC"

    def test_wrong_check_digit_is_refused(self, client):
        response = client.post(
            "/dang-ky/doanh-nghiep/",
            {
                "tax_code": "0100109107",
                "name": "Công ty X",
                "representative": "Lê Văn C",
                "email": "abc@example.vn",
                "password": "Mat-khau-2026!",
            },
        )
        assert "sai chữ số kiểm tra" in response.content.decode()
        assert not User.objects.exists()


def test_an_active_session_stays_alive_and_an_idle_one_expires(client, make_citizen, settings):
    """Inactivity expiry slides forward with use, but a session is written at most once every
    few minutes, not on every page."""
    from datetime import UTC, datetime, timedelta

    import time_machine
    from django.contrib.sessions.models import Session

    citizen = make_citizen()
    start = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        client.force_login(citizen)
        key = client.cookies[settings.SESSION_COOKIE_NAME].value
        assert client.get("/ho-so-cua-toi/").status_code == 200
        first = Session.objects.get(session_key=key).expire_date
        clock.shift(timedelta(minutes=2))
        assert client.get("/ho-so-cua-toi/").status_code == 200
        assert Session.objects.get(session_key=key).expire_date == first  # no write
        clock.shift(timedelta(minutes=4))
        assert client.get("/ho-so-cua-toi/").status_code == 200
        refreshed = Session.objects.get(session_key=key).expire_date
        assert refreshed == first + timedelta(minutes=6)
        # Idle longer than the session age: logged out.
        clock.shift(timedelta(seconds=settings.SESSION_COOKIE_AGE + 60))
        assert client.get("/ho-so-cua-toi/").status_code == 302
