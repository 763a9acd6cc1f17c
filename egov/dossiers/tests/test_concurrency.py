"""Dossier codes stay unique when several processes submit at the same moment (PostgreSQL)."""

from __future__ import annotations

import multiprocessing

import pytest
from django.db import connection, connections

from egov.dossiers.models import Dossier

from .conftest import VALID_FORM, pdf_upload

PROCESSES = 8
PER_PROCESS = 25


def _submit_many(args: tuple[int, str, str, str, list[int]]) -> list[str]:
    worker, procedure_code, agency_identifier, media_root, user_ids = args
    from django.conf import settings

    from egov.accounts.models import User
    from egov.dossiers.services import Submission, submit_online

    settings.MEDIA_ROOT = media_root
    connections.close_all()  # a fresh connection in this process
    codes = []
    user = User.objects.select_related("citizen").get(pk=user_ids[worker % len(user_ids)])
    for _ in range(PER_PROCESS):
        dossier = submit_online(
            user=user,
            submission=Submission(
                procedure_code=procedure_code,
                agency_identifier=agency_identifier,
                form_data=VALID_FORM,
                uploads={"giay-chung-sinh": [pdf_upload()]},
                result_delivery="online",
            ),
        )
        codes.append(dossier.code)
    connections.close_all()
    return codes


@pytest.mark.django_db(transaction=True)
def test_200_concurrent_submissions_from_several_processes_get_distinct_codes(
    birth_procedure, agency, make_citizen, tmp_path
):
    if connection.vendor != "postgresql":
        pytest.skip("several writer processes need PostgreSQL (CI runs this on PostgreSQL)")
    users = [make_citizen().pk for _ in range(4)]
    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(PROCESSES) as pool:
        results = pool.map(
            _submit_many,
            [
                (i, birth_procedure.code, agency.identifier, str(tmp_path), users)
                for i in range(PROCESSES)
            ],
        )
    codes = [code for batch in results for code in batch]
    assert len(codes) == PROCESSES * PER_PROCESS == 200
    assert len(set(codes)) == 200
    assert Dossier.objects.count() == 200
    serials = sorted(int(code.rsplit("-", 1)[1]) for code in codes)
    assert serials == list(range(1, 201))  # consecutive: no serial lost or reused
