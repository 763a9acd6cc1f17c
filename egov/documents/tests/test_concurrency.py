"""100 documents issued at the same moment from several processes get 100 distinct, consecutive
numbers (PostgreSQL: several writer processes)."""

from __future__ import annotations

import multiprocessing

import pytest
from django.core.files.base import ContentFile
from django.db import connection, connections

from egov.documents import services
from egov.documents.models import DocumentVersion, OutgoingDocument, OutgoingStatus

from .conftest import actor
from .test_outgoing import approve_chain, draft

PROCESSES = 8
DOCUMENTS = 100


def _issue_many(args: tuple[int, list[int]]) -> list[str]:
    clerk_user_id, document_ids = args
    from egov.accounts.models import User
    from egov.core.actors import actor_for_user

    connections.close_all()  # a fresh connection in this process
    clerk = actor_for_user(User.objects.get(pk=clerk_user_id))
    symbols = []
    for pk in document_ids:
        document = OutgoingDocument.objects.get(pk=pk)
        symbols.append(services.issue(actor=clerk, document=document).symbol)
    connections.close_all()
    return symbols


@pytest.mark.django_db(transaction=True)
def test_100_documents_issued_concurrently_get_consecutive_numbers(people, vx_unit, certificates):
    if connection.vendor != "postgresql":
        pytest.skip("several writer processes need PostgreSQL (CI runs this on PostgreSQL)")
    # One document goes through the whole chain; its leader-signed PDF is reused for the others
    # (signing 100 times by hand would only slow the test down).
    first = approve_chain(draft(people, vx_unit), people)
    signed = services.sign(actor=actor(people["leader"]), document=first)
    with signed.file.open("rb") as handle:
        pdf = handle.read()
    ids = [first.pk]
    for n in range(DOCUMENTS - 1):
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
    batches = [ids[i::PROCESSES] for i in range(PROCESSES)]
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(PROCESSES) as pool:
        results = pool.map(_issue_many, [(people["clerk"].user_id, b) for b in batches])
    symbols = [s for batch in results for s in batch]
    assert len(symbols) == len(set(symbols)) == DOCUMENTS
    numbers = sorted(OutgoingDocument.objects.values_list("number", flat=True))
    assert numbers == list(range(1, DOCUMENTS + 1))  # no number lost or used twice
    assert {s.split("/", 1)[1] for s in symbols} == {"QĐ-UBND"}
    assert OutgoingDocument.objects.filter(status=OutgoingStatus.SENT).count() == DOCUMENTS
