"""The signed-in user is read by one statement that also brings an official's record
(accounts.backends, org.Official.session_user): the same user, rights and refusals as the stock
backends gave, and sessions made before the change stay signed in (the round trips of an
official's request are pinned by onestop's test_queue_api_costs_three_queries)."""

from __future__ import annotations

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY

from egov.accounts.backends import ALLAUTH_BACKEND, MODEL_BACKEND, ModelBackend
from egov.accounts.models import User
from egov.conftest import login_client
from egov.org.models import Official, Role

pytestmark = pytest.mark.django_db


def _fields(user: User) -> dict[str, object]:
    return {f.attname: getattr(user, f.attname) for f in User._meta.concrete_fields}


def test_an_official_is_read_with_its_record_as_the_orm_reads_them(
    agency, one_stop_unit, make_official
):
    made = make_official(agency, roles=[Role.RECEIVER, Role.LEADER], unit=one_stop_unit)
    user = ModelBackend().get_user(made.user.pk)
    assert _fields(user) == _fields(User.objects.get(pk=made.user.pk))
    official = user._egov_official
    expected = Official.of_user(made.user.pk)
    assert official.pk == expected.pk and official.user is user
    assert official.role_codes == {Role.RECEIVER, Role.LEADER} == expected.role_codes
    assert (official.agency, official.unit, official.position) == (
        expected.agency,
        expected.unit,
        expected.position,
    )


def test_a_citizen_has_no_official_record(make_citizen):
    citizen = make_citizen()
    user = ModelBackend().get_user(citizen.pk)
    assert _fields(user) == _fields(User.objects.get(pk=citizen.pk))
    assert user._egov_official is None


def test_unknown_and_deactivated_users_are_nobody(make_citizen):
    citizen = make_citizen()
    assert ModelBackend().get_user(citizen.pk + 1000) is None
    User.objects.filter(pk=citizen.pk).update(is_active=False)
    assert ModelBackend().get_user(citizen.pk) is None


def test_a_deactivated_official_is_signed_out(agency, make_official, client):
    made = make_official(agency, roles=[Role.RECEIVER])
    client = login_client(made.user, client=client)
    assert client.get("/api/v1/onestop/queue/").status_code == 200
    User.objects.filter(pk=made.user.pk).update(is_active=False)
    assert client.get("/api/v1/onestop/queue/").status_code in (401, 403)


@pytest.mark.parametrize(
    ("stock", "ours"),
    [
        ("django.contrib.auth.backends.ModelBackend", MODEL_BACKEND),
        ("allauth.account.auth_backends.AuthenticationBackend", ALLAUTH_BACKEND),
    ],
)
def test_a_session_from_before_the_change_stays_signed_in(agency, make_official, stock, ours):
    made = make_official(agency, roles=[Role.RECEIVER])
    client = login_client(made.user)
    session = client.session
    session[BACKEND_SESSION_KEY] = stock  # as a login before accounts.backends recorded it
    session.save()
    response = client.get("/api/v1/onestop/queue/")
    assert response.status_code == 200, response.content[:300]
    assert client.session[BACKEND_SESSION_KEY] == ours
    assert client.get("/api/v1/onestop/queue/").status_code == 200
