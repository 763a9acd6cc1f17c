"""Documents issued at the same moment from several processes get distinct, consecutive numbers.

PostgreSQL runs 100 documents over 8 processes; the SQLite file database 20 over 4 (one writer at
a time there: more would only measure waiting)."""

from __future__ import annotations

import multiprocessing

import pytest
from django.core.files.base import ContentFile
from django.db import connection, connections

from egov.documents import services
from egov.documents.models import DocumentVersion, OutgoingDocument, OutgoingStatus

from .conftest import sign_as
from .test_outgoing import approve_chain, draft


def _issue_many(args: tuple[int, list[int]]) -> list[str]:
    clerk_user_id, document_ids = args
    from egov.accounts.models import User
    from egov.core.actors import actor_for_user

    connections.close_all()  # a fresh connection in this process
    if connection.vendor == "sqlite":
        # SQLite runs one writer at a time: eight processes each signing inside their issuing
        # transaction on a loaded two-core machine wait longer than the site's 20 s busy timeout.
        connection.settings_dict["OPTIONS"]["timeout"] = 300
    clerk = actor_for_user(User.objects.get(pk=clerk_user_id))
    symbols = []
    for pk in document_ids:
        document = OutgoingDocument.objects.get(pk=pk)
        symbols.append(services.issue(actor=clerk, document=document).symbol)
    connections.close_all()
    return symbols


@pytest.mark.django_db(transaction=True)
def test_documents_issued_concurrently_get_consecutive_numbers(people, vx_unit, certificates):
    processes, documents = (8, 100) if connection.vendor == "postgresql" else (4, 20)
    # One document goes through the whole chain; its leader-signed PDF is reused for the others
    # (signing each by hand would only slow the test down).
    first = approve_chain(draft(people, vx_unit), people)
    signed = sign_as(people["leader"], first)
    with signed.file.open("rb") as handle:
        pdf = handle.read()
    ids = [first.pk]
    for n in range(documents - 1):
        document = OutgoingDocument.objects.create(
            agency=first.agency,
            drafting_unit=vx_unit,
            drafted_by=people["drafter"],
            doc_type=first.doc_type,
            subject=f"Quyết định thứ {n + 2}",
            status=OutgoingStatus.SIGNED,
            signer=people["leader"],
            signer_name=first.signer_name,
        )
        version = DocumentVersion(
            document=document,
            seq=1,
            kind=DocumentVersion.Kind.SIGNED,
            original_name="van-ban-da-ky.pdf",
            content_type="application/pdf",
            size=len(pdf),
            sha256=signed.sha256,
        )
        version.file.save("van-ban-da-ky.pdf", ContentFile(pdf), save=False)
        version.save()
        document.current_version = version
        document.save(update_fields=["current_version"])
        ids.append(document.pk)
    connections.close_all()
    batches = [ids[i::processes] for i in range(processes)]
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(processes) as pool:
        results = pool.map(_issue_many, [(people["clerk"].user_id, b) for b in batches])
    symbols = [s for batch in results for s in batch]
    assert len(symbols) == len(set(symbols)) == documents
    numbers = sorted(OutgoingDocument.objects.values_list("number", flat=True))
    assert numbers == list(range(1, documents + 1))  # no number lost or used twice
    assert {s.split("/", 1)[1] for s in symbols} == {"QĐ-UBND"}
    assert OutgoingDocument.objects.filter(status=OutgoingStatus.SENT).count() == documents
