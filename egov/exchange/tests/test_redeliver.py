"""After the upgrade: packages a status wrongly marked delivered before their own answer (the
#14 bug) are carried again by `exchange_redeliver_unanswered`; answered ones are left alone."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from egov.core.actors import SYSTEM
from egov.events.models import Event
from egov.exchange import sending
from egov.exchange.edxml import BusinessDocType
from egov.exchange.models import IncomingPackage, OutgoingPackage

from .test_exchange import deliver  # noqa: F401

pytestmark = pytest.mark.django_db


def test_a_package_marked_delivered_by_a_status_alone_is_carried_again(
    certified,
    recorder,
    make_doc,
    deliver,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    a, b = certified
    doc = make_doc(a, [b])
    [new] = deliver(doc, a)
    assert new.answered_at is not None
    revoke = make_doc(
        a,
        [b],
        code_number=doc.code_number,
        business_doc_type=BusinessDocType.REVOKE,
        business_doc_reason="Ban hành nhầm đối tượng",
    )
    with transaction.atomic():  # queued, never carried: the outbox message is lost with it
        [stuck] = sending.send(revoke, actor=SYSTEM, sender_agency=a)
    # what the bug left behind: delivered by someone else's status, no answer of its own
    OutgoingPackage.objects.filter(pk=stuck.pk).update(delivery_status="delivered")

    out = StringIO()
    call_command("exchange_redeliver_unanswered", "--dry-run", stdout=out)
    assert f"Sẽ gửi lại: {doc.document_id} → {b.identifier} (nghiệp vụ 1)" in out.getvalue()
    assert "1 gói tin." in out.getvalue()
    assert not IncomingPackage.objects.filter(business_doc_type=1).exists()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("exchange_redeliver_unanswered", stdout=StringIO())

    stuck.refresh_from_db()
    assert (stuck.delivery_status, stuck.resend_count) == ("delivered", 1)
    assert stuck.answered_at is not None
    assert IncomingPackage.objects.filter(
        business_doc_type=1, recipient_agency=b, status="arrived"
    ).exists()
    assert Event.objects.filter(
        event_type="exchange.package_sent", subject_id=str(stuck.pk), payload__resend=1
    ).exists()
    # the answered document was left alone, and a second run finds nothing
    new.refresh_from_db()
    assert new.resend_count == 0
    again = StringIO()
    call_command("exchange_redeliver_unanswered", stdout=again)
    assert "0 gói tin." in again.getvalue()
