"""Issue #11, finding 2 (re-review): the password alone never enrols a second factor. An official
or operator without an authenticator sets one up only with the one-time enrolment code an
operator issued (accounts.services.issue_enrolment_code, the activation form
accounts.forms.ActivateTOTPForm): a password known to someone else before the first login is no
longer a permanent takeover (the attacker enrolling their own authenticator)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from egov.accounts.models import EnrolmentCode, User
from egov.accounts.services import (
    issue_enrolment_code,
    redeem_enrolment_code,
    reset_second_factor,
)
from egov.conftest import assert_mfa_refused, login_client, totp_now
from egov.core.actors import SYSTEM, actor_for_user
from egov.core.errors import DomainError
from egov.events.models import Event
from egov.org.models import Role

pytestmark = pytest.mark.django_db

ACTIVATE = "/accounts/2fa/totp/activate/"
PASSWORD = "Mat-khau-2026!"


@pytest.fixture
def operator(agency, make_official):  # type: ignore[no-untyped-def]
    return make_official(agency, roles=[Role.OPERATOR], username="quantri").user


def password_login(user: User) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"login": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def activate(client: Client, enrolment_code: str | None) -> object:
    assert client.get(ACTIVATE).status_code == 200
    data = {"code": totp_now(client.session["mfa.totp.secret"])}
    if enrolment_code is not None:
        data["enrolment_code"] = enrolment_code
    return client.post(ACTIVATE, data)


def assert_not_enrolled(client: Client, user: User, enrolments_before: int = 0) -> None:
    assert not Authenticator.objects.filter(user=user).exists()
    enrolled = Event.objects.filter(event_type="account.second_factor_enrolled").count()
    assert enrolled == enrolments_before
    # Still nothing but the set-up page and logout: no page, no API.
    response = client.get("/lam-viec/")
    assert response.status_code == 302 and response["Location"] == ACTIVATE
    assert_mfa_refused(client.get("/api/v1/org/agencies/"))


def test_password_alone_cannot_enrol_an_authenticator(agency, make_official, operator):
    official = make_official(agency, roles=[Role.RECEIVER])
    issue_enrolment_code(actor=actor_for_user(operator), user=official.user)
    attacker = password_login(official.user)
    page = attacker.get(ACTIVATE).content.decode()
    assert "Mã kích hoạt do quản trị hệ thống cấp" in page
    for code in (None, "", "AAAAA-AAAAA"):
        response = activate(attacker, code)
        assert response.status_code == 200
        assert_not_enrolled(attacker, official.user)


@pytest.mark.django_db(transaction=True)  # allauth records the activation on commit
def test_right_code_enrols_once_and_opens_the_workspace(agency, make_official, operator):
    official = make_official(agency, roles=[Role.RECEIVER])
    issued = issue_enrolment_code(actor=actor_for_user(operator), user=official.user)
    event = Event.objects.get(event_type="account.enrolment_code_issued")
    assert event.subject_id == str(official.user.pk) and event.actor_user_id == operator.pk
    stored = EnrolmentCode.objects.get(user=official.user)
    assert issued.code not in stored.code_hash and issued.code.replace("-", "") not in str(
        stored.__dict__
    )
    assert stored.expires_at - stored.issued_at == timedelta(days=7)

    client = password_login(official.user)
    response = activate(client, f" {issued.code.lower()} ")  # as typed off the paper
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=official.user, type="totp").exists()
    assert client.get("/lam-viec/").status_code == 200
    stored.refresh_from_db()
    assert stored.used_at is not None
    enrolled = Event.objects.get(event_type="account.second_factor_enrolled")
    assert enrolled.subject_id == str(official.user.pk)


@pytest.mark.parametrize("which", ["other_officials", "expired", "used", "voided"])
def test_code_of_another_official_expired_used_or_voided_is_refused(
    agency, make_official, operator, which
):
    official = make_official(agency)
    other = make_official(agency)
    by = actor_for_user(operator)
    if which == "other_officials":
        issue_enrolment_code(actor=by, user=official.user)
        code = issue_enrolment_code(actor=by, user=other.user).code
    else:
        code = issue_enrolment_code(actor=by, user=official.user).code
        if which == "expired":
            EnrolmentCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
        elif which == "used":
            redeem_enrolment_code(user=official.user, code=code)
        else:
            issue_enrolment_code(actor=by, user=official.user)  # a new code voids this one
    client = password_login(official.user)
    response = activate(client, code)
    assert response.status_code == 200
    assert "Mã kích hoạt không đúng" in response.content.decode()
    assert_not_enrolled(client, official.user, enrolments_before=int(which == "used"))


def test_only_an_operator_issues_codes(agency, make_official, make_citizen):
    official = make_official(agency, roles=[Role.RECEIVER, Role.LEADER])
    target = make_official(agency)
    for actor in (actor_for_user(official.user), actor_for_user(make_citizen())):
        with pytest.raises(DomainError):
            issue_enrolment_code(actor=actor, user=target.user)
        with pytest.raises(DomainError):
            reset_second_factor(actor=actor, user=target.user)
    # Nor through the administration, with a session that passed the second factor.
    client = login_client(official.user)
    response = client.post(
        "/quan-tri/accounts/user/",
        {"action": "issue_enrolment_code", "_selected_action": [target.user_id]},
    )
    assert response.status_code in (302, 403)
    assert not EnrolmentCode.objects.exists()
    assert not Event.objects.filter(event_type__startswith="account.enrolment").exists()
    assert not Event.objects.filter(event_type="account.second_factor_reset").exists()


def test_codes_are_not_issued_to_citizens(make_citizen, operator):
    with pytest.raises(DomainError):
        issue_enrolment_code(actor=actor_for_user(operator), user=make_citizen())
    assert not EnrolmentCode.objects.exists()


def test_guessing_is_throttled_per_account(agency, make_official, operator):
    official = make_official(agency)
    code = issue_enrolment_code(actor=actor_for_user(operator), user=official.user).code
    attacker = password_login(official.user)
    for _ in range(5):
        assert activate(attacker, "BBBBB-BBBBB").status_code == 200
    # Then even the right code is refused for a while, from this or any other address.
    other_address = password_login(official.user)
    for client in (attacker, other_address):
        response = activate(client, code)
        assert response.status_code == 200
        assert "quá nhiều lần" in response.content.decode()
        assert_not_enrolled(client, official.user)
    assert EnrolmentCode.objects.get().failed_attempts == 5


@pytest.mark.django_db(transaction=True)  # allauth records the activation on commit
def test_operator_issues_code_in_admin_and_it_is_shown_once(agency, make_official, operator):
    official = make_official(agency)
    client = login_client(operator)
    response = client.post(
        "/quan-tri/accounts/user/",
        {"action": "issue_enrolment_code", "_selected_action": [official.user_id]},
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    shown = response.content.decode()
    assert "Mã kích hoạt xác thực hai lớp" in shown
    code = shown.split('class="enrolment-code">')[1].split("<")[0]
    enrolling = password_login(official.user)
    assert activate(enrolling, code).status_code == 302
    assert enrolling.get("/lam-viec/").status_code == 200


def test_operator_resets_a_lost_authenticator_with_a_new_code(agency, make_official, operator):
    official = make_official(agency)
    login_client(official.user)  # has an authenticator now
    client = login_client(operator)
    response = client.post(
        "/quan-tri/accounts/user/",
        {"action": "reset_second_factor", "_selected_action": [official.user_id]},
    )
    assert response.status_code == 200
    assert not Authenticator.objects.filter(user=official.user).exists()
    assert Event.objects.get(event_type="account.second_factor_reset").subject_id == str(
        official.user_id
    )
    code = response.content.decode().split('class="enrolment-code">')[1].split("<")[0]
    # The password alone still does not re-enrol; the new code does.
    enrolling = password_login(official.user)
    assert activate(enrolling, None).status_code == 200
    assert activate(enrolling, code).status_code == 302


def test_new_official_created_in_admin_gets_a_code(agency, operator):
    client = login_client(operator)
    response = client.post(
        "/quan-tri/org/official/add/",
        {
            "username": "cb.moi",
            "full_name": "Cán bộ Mới",
            "email": "",
            "phone": "",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "agency": agency.pk,
            "unit": "",
            "position": "",
            "roles": [Role.RECEIVER],
        },
    )
    assert response.status_code == 200, response.content.decode()[:2000]
    code = response.content.decode().split('class="enrolment-code">')[1].split("<")[0]
    user = User.objects.get(username="cb.moi")
    assert EnrolmentCode.objects.filter(user=user, used_at__isnull=True).count() == 1
    assert activate(password_login(user), code).status_code == 302


def test_first_operator_gets_a_code_on_the_console(monkeypatch, agency):
    from io import StringIO

    monkeypatch.setenv("EGOV_OPERATOR_PASSWORD", PASSWORD)
    out = StringIO()
    call_command(
        "create_operator",
        "qt.dau",
        "--full-name",
        "Quản Trị",
        "--agency",
        agency.identifier,
        stdout=out,
    )
    code = out.getvalue().split("Mã kích hoạt: ")[1].strip()
    user = User.objects.get(username="qt.dau")
    client = password_login(user)
    assert activate(client, None).status_code == 200
    assert not Authenticator.objects.filter(user=user).exists()
    assert activate(client, code).status_code == 302
    assert SYSTEM.is_operator


def test_console_command_resets_the_last_operators_authenticator(operator):
    from io import StringIO

    login_client(operator)  # has an authenticator
    out = StringIO()
    call_command("issue_enrolment_code", operator.username, "--reset", stdout=out)
    code = out.getvalue().split(": ")[1].split(" ")[0]
    assert not Authenticator.objects.filter(user=operator).exists()
    assert Event.objects.get(event_type="account.second_factor_reset").actor_user_id is None
    assert activate(password_login(operator), code).status_code == 302
