"""The dossier code's serial has four digits (issue #13, 7): the 9,999th dossier of an agency's day
is the last one the format holds; the 10,000th is refused with a stable code and leaves nothing."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from egov.core.errors import Conflict
from egov.dossiers.codes import wide_generator
from egov.dossiers.models import Dossier, DossierCounter, DossierFile
from egov.dossiers.services import Submission, submit_online
from egov.events.models import Event

from .conftest import VALID_FORM, pdf_upload
from .test_security_input import api_as, api_payload
from .test_submission import stored_files

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


def _submit(procedure, agency, user):  # type: ignore[no-untyped-def]
    return submit_online(
        user=user,
        submission=Submission(
            procedure_code=procedure.code,
            agency_identifier=agency.identifier,
            form_data=VALID_FORM,
            uploads={"giay-chung-sinh": [pdf_upload()]},
            result_delivery="online",
        ),
    )


def _day_used(agency, last: int) -> None:  # type: ignore[no-untyped-def]
    DossierCounter.objects.create(
        agency_identifier=agency.identifier, day=timezone.localdate(), last=last
    )


def test_serial_9999_is_the_last_and_10000_is_refused_leaving_nothing(
    birth_procedure, agency, make_citizen
):
    citizen = make_citizen()
    _day_used(agency, 9_998)
    last = _submit(birth_procedure, agency, citizen)
    assert last.code == f"{agency.identifier}-{timezone.localdate():%y%m%d}-9999"
    before = (Dossier.objects.count(), DossierFile.objects.count(), Event.objects.count())
    with pytest.raises(Conflict) as refused:
        _submit(birth_procedure, agency, citizen)
    assert refused.value.code == "dossier_code_exhausted"
    assert (
        "9.999 hồ sơ trong ngày" in refused.value.message and ", số tối đa" in refused.value.message
    )
    assert (Dossier.objects.count(), DossierFile.objects.count(), Event.objects.count()) == before
    assert DossierCounter.objects.get(agency_identifier=agency.identifier).last == 9_999
    assert len(stored_files()) == 1  # the 9,999th dossier's paper only


def test_the_api_answers_409_with_the_code(birth_procedure, agency, make_citizen):
    _day_used(agency, 9_999)
    response = api_as(make_citizen()).post(
        "/api/v1/dossiers/",
        api_payload(birth_procedure, agency, json.dumps(VALID_FORM)),
        format="multipart",
    )
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "dossier_code_exhausted"
    assert not Dossier.objects.exists()


def test_the_wide_generator_gives_five_digits_to_every_code(agency):
    from django.db import transaction

    with transaction.atomic():
        first = wide_generator(agency.identifier, timezone.localdate())
    assert first.endswith("-00001")
