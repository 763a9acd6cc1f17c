"""The demo's identity links (egov/demo/identity.py, standing for a past VNeID login) and a real
login through the stand-in identity provider agree: An and Bình land on their demo accounts, the
one link per account and provider is brought up to date (the provider's subject, level, claims),
no second account or link appears."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from egov.accounts.models import User
from egov.demo.identity import PROVIDER
from egov.events.models import Event
from egov.identity.models import IdentityLink
from egov.identity.selectors import level_of, verified_claims
from egov.identity.standin import DEMO_CITIZENS

from .support import vneid_login

pytestmark = pytest.mark.django_db

CITIZEN = {c.key: c for c in DEMO_CITIZENS}


def test_the_demo_citizens_log_in_on_their_demo_accounts(identity_standin):
    call_command("load_demo", "--quiet", stdout=StringIO())
    for key in ("an", "binh"):
        citizen = CITIZEN[key]
        account = User.objects.get(username=citizen.personal_id)
        before = IdentityLink.objects.get(user=account)
        assert before.provider == PROVIDER == "vneid"  # the name the login uses
        assert before.subject == citizen.subject  # the one the stand-in asserts

        client = Client()
        response = vneid_login(client, identity_standin, citizen=key)
        assert response.status_code == 302, response.content
        assert client.session["_auth_user_id"] == str(account.pk)
        link = IdentityLink.objects.get(user=account)
        assert (link.pk, link.subject) == (before.pk, before.subject)
        assert link.claims == before.claims
        assert level_of(account) == citizen.level
        assert verified_claims(account)["birth_date"] == citizen.birthdate
        assert User.objects.filter(citizen__personal_id=citizen.personal_id).count() == 1
    assert IdentityLink.objects.filter(provider="vneid").count() == 2
    assert not Event.objects.filter(event_type="identity.login_refused").exists()
    changed = Event.objects.filter(event_type="identity.logged_in", payload__subject_changed=True)
    assert not changed.exists()


def test_a_new_subject_for_the_same_number_updates_the_one_link(
    identity_standin, client, make_citizen
):
    account = make_citizen("022085012345")
    old = IdentityLink.objects.create(
        user=account, provider="vneid", subject="demo-022085012345", level=1
    )
    assert vneid_login(client, identity_standin, citizen="an").status_code == 302
    assert client.session["_auth_user_id"] == str(account.pk)
    link = IdentityLink.objects.get(user=account)
    assert link.pk == old.pk and link.subject == CITIZEN["an"].subject and link.level == 2
    event = Event.objects.get(event_type="identity.logged_in")
    assert event.payload["subject_changed"] is True and event.payload["previous_level"] == 1
