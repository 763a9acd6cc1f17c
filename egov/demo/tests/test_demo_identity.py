"""The demo's eID on the portal: the criminal-record certificate asks for level 2, An holds a
level-2 link with claims, Bình a level-1 link; loading again changes nothing, and an operator's
own choice of level is kept."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from egov.catalog import services as catalog
from egov.catalog.models import Procedure
from egov.core.actors import SYSTEM
from egov.demo.data import CITIZENS
from egov.demo.identity import LEVEL_2_PROCEDURES, load_demo_identity
from egov.identity.models import IdentityLink
from egov.identity.selectors import level_of, verified_claims

pytestmark = pytest.mark.django_db


def test_demo_identity_levels_and_claims():
    call_command("load_demo", "--quiet", stdout=StringIO())
    assert Procedure.objects.get(code=LEVEL_2_PROCEDURES[0]).min_identity_level == 2
    an = IdentityLink.objects.get(user__username=CITIZENS[0].personal_id).user
    binh = IdentityLink.objects.get(user__username=CITIZENS[1].personal_id).user
    assert (level_of(an), level_of(binh)) == (2, 1)
    claims = verified_claims(an)
    assert claims["personal_id"] == CITIZENS[0].personal_id
    assert claims["full_name"] == CITIZENS[0].full_name and claims["birth_date"] == "1985-03-12"
    assert load_demo_identity() == 0  # again: nothing changes

    record = Procedure.objects.get(code=LEVEL_2_PROCEDURES[0])
    catalog.update_procedure(actor=SYSTEM, procedure=record, changes={"min_identity_level": 0})
    assert load_demo_identity() == 0
    assert Procedure.objects.get(code=LEVEL_2_PROCEDURES[0]).min_identity_level == 0
