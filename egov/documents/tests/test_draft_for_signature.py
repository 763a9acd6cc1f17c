"""A document the system drafts for a named leader (a written consultation's result): put
straight to the signer, numbered and sealed by the system as soon as it is signed (no clerk
step); the system cannot number any other document."""

from __future__ import annotations

import pytest
from django.utils import timezone

from egov.core.actors import SYSTEM
from egov.core.errors import NotAllowed
from egov.documents import services
from egov.documents.models import OutgoingStatus
from egov.documents.registers import build_register
from egov.events.models import Event

from .conftest import sign_as

pytestmark = pytest.mark.django_db


def _data(**overrides):  # type: ignore[no-untyped-def]
    return services.DraftInput(
        doc_type=overrides.pop("doc_type", "thong-bao"),
        subject=overrides.pop("subject", "Kết quả lấy ý kiến thành viên"),
        content=overrides.pop("content", "Kết quả: 4 đồng ý, 2 không đồng ý.\n\nThông qua."),
        **overrides,
    )


def test_drafted_for_the_signer_and_issued_by_the_system_once_signed(people, certificates) -> None:  # type: ignore[no-untyped-def]
    leader, drafter = people["leader"], people["drafter"]
    document = services.draft_for_signature(
        actor=SYSTEM, data=_data(), signer=leader, drafted_by=drafter, origin="consultation:1"
    )
    assert document.status == OutgoingStatus.APPROVED and document.signer_id == leader.pk
    assert document.issue_on_signature and document.current_version.for_signing
    assert document.signer_title  # the lines above the signature, from the leader's position
    kinds = list(
        Event.objects.filter(subject_type="outgoing_document", subject_id=str(document.pk))
        .order_by("seq")
        .values_list("event_type", flat=True)
    )
    assert kinds == ["document.drafted", "document.put_to_signature"]

    sign_as(leader, document)
    document.refresh_from_db()
    assert document.status in (OutgoingStatus.ISSUED, OutgoingStatus.SENT)
    assert document.symbol == "01/TB-UBND" and document.issued_by is None
    day = timezone.localtime(document.issued_at).date()
    row = build_register("di", document.agency, day, day).rows[0]
    assert row[0] == "01/TB-UBND" and "Hệ thống (tự động)" in row[-1]


def test_the_signer_must_be_a_leader_of_the_agency(people) -> None:  # type: ignore[no-untyped-def]
    from egov.documents.services import DocumentError

    with pytest.raises(DocumentError):
        services.draft_for_signature(
            actor=SYSTEM, data=_data(), signer=people["clerk"], drafted_by=people["drafter"]
        )


def test_the_system_does_not_number_a_document_of_the_review_chain(people, certificates) -> None:  # type: ignore[no-untyped-def]
    from .test_outgoing import draft

    document = draft(people, people["drafter"].unit)
    services.submit_for_review(
        actor=_actor(people["drafter"]), document=document, reviewer=people["leader"]
    )
    services.review(actor=_actor(people["leader"]), document=document, decision="approve")
    sign_as(people["leader"], document)
    document.refresh_from_db()
    assert document.status == OutgoingStatus.SIGNED  # waits for the clerk
    with pytest.raises(NotAllowed):
        services.issue(actor=SYSTEM, document=document)
    document.refresh_from_db()
    assert document.status == OutgoingStatus.SIGNED and not document.symbol


def _actor(official):  # type: ignore[no-untyped-def]
    from .conftest import actor

    return actor(official)


def test_signing_on_the_documents_page_issues_it_at_once(people, certificates) -> None:  # type: ignore[no-untyped-def]
    from allauth.mfa.totp.internal.auth import TOTP
    from django.core.cache import cache
    from django.urls import reverse

    from egov.conftest import DEMO_TOTP_SECRET, fresh_totp, login_client

    leader = people["leader"]
    document = services.draft_for_signature(
        actor=SYSTEM, data=_data(), signer=leader, drafted_by=people["drafter"]
    )
    TOTP.activate(leader.user, DEMO_TOTP_SECRET)
    client = login_client(leader.user)
    cache.clear()
    response = client.post(
        reverse("documents:sign", args=[document.pk]),
        {
            "version": document.version,
            "previewed": document.current_version.seq,
            "code": fresh_totp(margin=3),
        },
        follow=True,
    )
    document.refresh_from_db()
    assert document.symbol == "01/TB-UBND"
    assert "Hệ thống đã cấp số 01/TB-UBND" in response.content.decode()
    assert "Hệ thống (tự động)" in response.content.decode()
