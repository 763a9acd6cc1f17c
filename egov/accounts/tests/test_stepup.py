"""Signing is confirmed by a fresh authenticator code: wrong, reused, guessed codes are refused."""

from __future__ import annotations

import pytest

from egov.accounts.stepup import MAX_FAILURES, verify_second_factor
from egov.conftest import fresh_totp
from egov.core.errors import DomainError
from egov.org.models import Role

pytestmark = pytest.mark.django_db


def test_fresh_code_confirms_once(agency, make_official, give_totp):
    official = make_official(agency, roles=[Role.LEADER], username="ld")
    give_totp(official.user)
    code = fresh_totp()
    verify_second_factor(official.user, code)
    with pytest.raises(DomainError) as reused:
        verify_second_factor(official.user, code)
    assert reused.value.code == "second_factor_invalid"


def test_without_authenticator_refused(agency, make_official):
    official = make_official(agency, roles=[Role.LEADER], username="ld2")
    with pytest.raises(DomainError) as err:
        verify_second_factor(official.user, "123456")
    assert err.value.code == "no_second_factor"


def test_guessing_is_throttled(agency, make_official, give_totp):
    official = make_official(agency, roles=[Role.LEADER], username="ld3")
    give_totp(official.user)
    for _ in range(MAX_FAILURES):
        with pytest.raises(DomainError):
            verify_second_factor(official.user, "000000")
    with pytest.raises(DomainError) as err:
        verify_second_factor(official.user, fresh_totp())
    assert err.value.code == "too_many_attempts"
