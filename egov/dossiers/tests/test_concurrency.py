"""Dossier codes stay unique when several processes submit at the same moment.

PostgreSQL (CI's production database) runs the full 8 x 25; the SQLite file database runs 4 x 5:
SQLite takes one writer at a time, so more would only measure waiting, not prove more."""

from __future__ import annotations

import multiprocessing

import pytest
from django.db import connection, connections

from egov.dossiers.models import Dossier

from .conftest import VALID_FORM, pdf_upload


def scale() -> tuple[int, int]:
    """(processes, submissions per process) for the database under test."""
    return (8, 25) if connection.vendor == "postgresql" else (4, 5)


def _submit_many(args: tuple[int, int, str, str, str, list[int]]) -> list[str]:
    worker, per_process, procedure_code, agency_identifier, media_root, user_ids = args
    from django.conf import settings

    from egov.accounts.models import User
    from egov.dossiers.services import Submission, submit_online

    settings.MEDIA_ROOT = media_root
    # Eight processes each inspecting PDFs on a small loaded machine: the test is about codes,
    # not the inspector's wall-clock bound.
    settings.PDF_INSPECT_WALL_SECONDS = 120
    connections.close_all()  # a fresh connection in this process
    codes = []
    user = User.objects.select_related("citizen").get(pk=user_ids[worker % len(user_ids)])
    for _ in range(per_process):
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
def test_concurrent_submissions_from_several_processes_get_distinct_consecutive_codes(
    birth_procedure, agency, make_citizen, tmp_path
):
    processes, per_process = scale()
    total = processes * per_process
    users = [make_citizen().pk for _ in range(4)]
    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(processes) as pool:
        results = pool.map(
            _submit_many,
            [
                (i, per_process, birth_procedure.code, agency.identifier, str(tmp_path), users)
                for i in range(processes)
            ],
        )
    codes = [code for batch in results for code in batch]
    assert len(codes) == len(set(codes)) == total
    assert Dossier.objects.count() == total
    serials = sorted(int(code.rsplit("-", 1)[1]) for code in codes)
    assert serials == list(range(1, total + 1))  # consecutive: no serial lost or reused
