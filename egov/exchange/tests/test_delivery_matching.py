"""Issue #14, "a delivery bug": a document, its update and its revoke sent in quick succession,
answered in interleaved order. Status messages carry no business type (the three packages share
one DocumentId), yet every package is delivered exactly once and every status lands on the
package it answers: a repeated 01 stays on the package it repeats, and a status never settles
another package's delivery."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import transaction
from lxml import etree
from rest_framework.test import APIClient

from egov.core.actors import SYSTEM
from egov.events.models import Event, OutboxMessage
from egov.exchange import answers, common, delivery, edxml, receiving, sending, statuses, transport
from egov.exchange.edxml import BusinessDocType, Organ, ResponseFor
from egov.exchange.hub import TOPIC_PACKAGE, TOPIC_STATUS
from egov.exchange.models import IncomingPackage, OutgoingPackage, StatusRecord
from egov.exchange.tests.test_api import (  # noqa: F401 - thai_binh is a fixture
    STATUSES,
    THAI_BINH,
    post,
    thai_binh,
)

pytestmark = pytest.mark.django_db

NEW, UPDATE, REVOKE = "new", "update", "revoke"


@pytest.fixture
def clock(monkeypatch):  # type: ignore[no-untyped-def]
    """Exchange time moving one second per stamp (things happen in quick succession, but
    statuses travel with second precision)."""
    now = {"t": common.exchange_now()}

    def tick() -> Any:
        now["t"] += timedelta(seconds=1)
        return now["t"]

    for module in (common, receiving, answers, statuses):
        monkeypatch.setattr(module, "exchange_now", tick)
    return tick


def send_three(make_doc: Any, sender: Any, recipient: Any) -> dict[str, OutgoingPackage]:
    """The document, its update and its revoke, all queued before any delivery."""
    doc = make_doc(sender, [recipient])
    sent: dict[str, OutgoingPackage] = {}
    for name, changes in (
        (NEW, {}),
        (
            UPDATE,
            {
                "business_doc_type": BusinessDocType.UPDATE,
                "business_doc_reason": "Sửa trích yếu",
                "subject": "Về việc triển khai liên thông văn bản điện tử (sửa)",
            },
        ),
        (
            REVOKE,
            {
                "business_doc_type": BusinessDocType.REVOKE,
                "business_doc_reason": "Ban hành nhầm đối tượng",
            },
        ),
    ):
        version = make_doc(sender, [recipient], code_number=doc.code_number, **changes)
        assert version.document_id == doc.document_id
        with transaction.atomic():
            [sent[name]] = sending.send(version, actor=SYSTEM, sender_agency=sender)
    return sent


def outbox_for(package: OutgoingPackage) -> OutboxMessage:
    [message] = OutboxMessage.objects.filter(topic=TOPIC_PACKAGE, payload__package_id=package.pk)
    return message


def run(message: OutboxMessage) -> None:
    message.attempts += 1
    message.save(update_fields=["attempts"])
    delivery.deliver_package(message)


def deliver_statuses() -> None:
    """Carry the status messages queued so far, in the order they were sent."""
    for message in OutboxMessage.objects.filter(topic=TOPIC_STATUS).order_by("id"):
        record = StatusRecord.objects.get(pk=message.payload["status_id"])
        if record.delivery_status == StatusRecord.Delivery.PENDING:
            delivery.deliver_status(message)


def linked(package: OutgoingPackage) -> list[str]:
    return list(
        StatusRecord.objects.filter(direction="in", outgoing_package=package)
        .order_by("timestamp", "id")
        .values_list("status_code", flat=True)
    )


def assert_delivered_once(sent: dict[str, OutgoingPackage], posts: dict[int, int]) -> None:
    for name, package in sent.items():
        package.refresh_from_db()
        assert package.delivery_status == "delivered", name
        assert package.answered_at is not None, name
        assert posts[package.pk] == 1, name  # carried exactly once
        assert (
            Event.objects.filter(
                event_type="exchange.package_delivered", subject_id=str(package.pk)
            ).count()
            == 1
        ), name


# --- an HTTP peer: its answers come back on the POST, its statuses as messages ----------------

# Each step: deliver a package (the peer answers 01 on the POST), the peer's status message
# repeating that 01 ("dup"), 15 agreeing the update, 03 agreeing the revoke. "early01:revoke"
# is the peer's 01 message about the revoke overtaking the POST's answer.
ORDERS = [
    [
        "deliver:new",
        "deliver:update",
        "dup:update",
        "15",
        "deliver:revoke",
        "dup:revoke",
        "03",
        "dup:new",
    ],
    # the sequence: the update's repeated 01 arrives while the revoke still waits
    [
        "deliver:new",
        "deliver:update",
        "dup:new",
        "dup:update",
        "15",
        "deliver:revoke",
        "03",
        "dup:revoke",
    ],
    [
        "deliver:new",
        "dup:new",
        "deliver:update",
        "15",
        "early01:revoke",
        "dup:update",
        "deliver:revoke",
        "03",
    ],
    [
        "deliver:new",
        "deliver:update",
        "deliver:revoke",
        "03",
        "dup:update",
        "dup:revoke",
        "15",
        "dup:new",
    ],
]


@pytest.mark.parametrize("order", ORDERS, ids=lambda o: "-".join(o))
def test_new_update_revoke_to_a_peer_answered_interleaved(
    certified,
    thai_binh,  # noqa: F811
    make_doc,
    clock,
    monkeypatch,
    order,
):
    a, _b = certified
    posts: dict[int, int] = {}
    current: dict[str, Any] = {}

    def post_package(endpoint: Any, raw: bytes, **kwargs: Any) -> transport.Answer:
        package = current["package"]
        posts[package.pk] = posts.get(package.pk, 0) + 1
        return transport.Answer("01", "Đã nhận", timestamp=current["answered"])

    monkeypatch.setattr(transport, "post_package", post_package)
    sent = send_three(make_doc, a, Organ(THAI_BINH.organ_id, THAI_BINH.organ_name))
    document_id = sent[NEW].document_id
    arrived: dict[str, Any] = {}  # when the peer received each package (its 01)
    client = APIClient()

    def peer_says(code: str, at: Any) -> None:
        message = edxml.StatusMessage(
            document_id=document_id,
            sender=THAI_BINH,
            status_code=code,
            timestamp=at,
            to_organ_id=a.identifier,
        )
        response = post(
            client, STATUSES, thai_binh.sign(edxml.status_element(message)), thai_binh.token
        )
        assert response.status_code in (200, 201), (code, response.json())

    for step in order:
        kind, _, name = step.partition(":")
        if kind == "deliver":
            current["package"] = sent[name]
            current["answered"] = arrived.setdefault(name, clock())
            run(outbox_for(sent[name]))
        elif kind in ("dup", "early01"):
            peer_says("01", arrived.setdefault(name, clock()))
        else:
            peer_says(kind, clock())

    # the outbox may run every package message again (a crash, a sweep): nothing goes twice
    for package in sent.values():
        run(outbox_for(package))

    assert_delivered_once(sent, posts)
    assert linked(sent[NEW]) == ["01", "01"]
    assert linked(sent[UPDATE]) == ["01", "01", "15"]
    assert sorted(linked(sent[REVOKE])) == ["01", "01", "03"]
    assert not Event.objects.filter(event_type__endswith="_status_refused").exists()
    assert not StatusRecord.objects.filter(direction="in", outgoing_package__isnull=True).exists()
    for package in sent.values():
        package.refresh_from_db()
    assert (sent[NEW].status_code, sent[UPDATE].status_code, sent[REVOKE].status_code) == (
        "01",
        "15",
        "03",
    )

    # the sender's view: the revoke's answers on the revoke, the update's on the update
    [row] = statuses.statuses_for(document_id)
    assert (row.business_doc_type, row.status_code) == (BusinessDocType.REVOKE, "03")
    assert sorted(h.status_code for h in row.history) == ["01", "01", "03"]
    assert [(e.business_doc_type, e.status_code) for e in row.earlier] == [
        (BusinessDocType.UPDATE, "15"),
        (BusinessDocType.NEW, "01"),
    ]
    assert [h.status_code for h in row.earlier[0].history] == ["01", "01", "15"]


def test_a_status_never_settles_a_package_still_waiting_for_its_answer(
    certified,
    thai_binh,  # noqa: F811
    make_doc,
    clock,
    monkeypatch,
):
    """The bug as it was: a 01 message lands on the revoke before the revoke's POST; the
    revoke must still be carried (the outbox does not take it as answered)."""
    a, _b = certified
    posts: list[int] = []
    monkeypatch.setattr(
        transport,
        "post_package",
        lambda endpoint, raw, **kw: posts.append(1) or transport.Answer("01", timestamp=clock()),
    )
    sent = send_three(make_doc, a, Organ(THAI_BINH.organ_id, THAI_BINH.organ_name))
    run(outbox_for(sent[NEW]))
    run(outbox_for(sent[UPDATE]))
    message = edxml.StatusMessage(
        document_id=sent[NEW].document_id,
        sender=THAI_BINH,
        status_code="01",
        timestamp=clock(),  # later than every answer: it can only be the revoke's
        to_organ_id=a.identifier,
    )
    response = post(
        APIClient(), STATUSES, thai_binh.sign(edxml.status_element(message)), thai_binh.token
    )
    assert response.status_code == 201
    revoke = OutgoingPackage.objects.get(pk=sent[REVOKE].pk)
    assert (revoke.delivery_status, revoke.answered_at, revoke.status_code) == (
        "pending",
        None,
        "01",
    )
    run(outbox_for(revoke))
    revoke.refresh_from_db()
    assert len(posts) == 3 and revoke.delivery_status == "delivered"
    assert linked(revoke) == ["01", "01"]


# --- two agencies on this platform ----------------------------------------------------------


@pytest.mark.parametrize(
    "order",
    [
        [NEW, UPDATE, REVOKE, "15", "03"],
        [NEW, UPDATE, "15", REVOKE, "03"],
        [REVOKE, NEW, UPDATE, "03", "15"],
        [UPDATE, REVOKE, "03", NEW, "15"],
    ],
)
def test_new_update_revoke_between_two_agencies(certified, make_doc, clock, order):
    a, b = certified
    sent = send_three(make_doc, a, b)
    document_id = sent[NEW].document_id
    delivered: list[int] = []
    original = receiving.receive_package

    for step in order:
        if step in (NEW, UPDATE, REVOKE):
            delivered.append(sent[step].pk)
            run(outbox_for(sent[step]))
        else:
            # B answers: 15 the update agreed, 03 the revoke agreed (as the documents app does)
            with transaction.atomic():
                statuses.send_status(
                    document_id, to_organ_id=a.identifier, status_code=step, from_agency=b
                )
            deliver_statuses()
    for package in sent.values():
        run(outbox_for(package))  # again: already answered, not carried twice
    assert receiving.receive_package is original

    assert IncomingPackage.objects.filter(recipient_agency=b, status="arrived").count() == 3
    posts = {pk: delivered.count(pk) for pk in delivered}
    assert_delivered_once(sent, posts)
    assert linked(sent[NEW]) == ["01"]
    assert linked(sent[UPDATE]) == ["01", "15"]
    assert linked(sent[REVOKE]) == ["01", "03"]
    # B's side: each of its records is linked to the package it received
    for name, code in ((UPDATE, "15"), (REVOKE, "03")):
        incoming = IncomingPackage.objects.get(
            recipient_agency=b, business_doc_type=sent[name].business_doc_type
        )
        assert list(
            StatusRecord.objects.filter(direction="out", incoming_package=incoming)
            .order_by("id")
            .values_list("status_code", flat=True)
        ) == ["01", code]
    [row] = statuses.statuses_for(document_id)
    assert [h.status_code for h in row.history] == ["01", "03"]
    assert [[h.status_code for h in e.history] for e in row.earlier] == [["01", "15"], ["01"]]


# --- replace: its own DocumentId --------------------------------------------------------------


def test_statuses_of_a_replaced_document_and_its_replacement_stay_apart(certified, make_doc, clock):
    a, b = certified
    old = make_doc(a, [b])
    with transaction.atomic():
        [old_package] = sending.send(old, actor=SYSTEM, sender_agency=a)
    replacement = make_doc(
        a,
        [b],
        business_doc_type=BusinessDocType.REPLACE,
        business_doc_reason="Thay thế văn bản ban hành sai",
        replaces=[old.document_id],
    )
    assert replacement.document_id != old.document_id
    with transaction.atomic():
        [new_package] = sending.send(replacement, actor=SYSTEM, sender_agency=a)
    run(outbox_for(new_package))  # the replacement overtakes the replaced document
    run(outbox_for(old_package))
    for document_id, code in ((old.document_id, "03"), (replacement.document_id, "03")):
        with transaction.atomic():
            statuses.send_status(
                document_id, to_organ_id=a.identifier, status_code=code, from_agency=b
            )
        deliver_statuses()
    with transaction.atomic():
        statuses.send_status(
            replacement.document_id, to_organ_id=a.identifier, status_code="04", from_agency=b
        )
    deliver_statuses()

    assert linked(old_package) == ["01", "03"]
    assert linked(new_package) == ["01", "03", "04"]
    [old_row] = statuses.statuses_for(old.document_id)
    [new_row] = statuses.statuses_for(replacement.document_id)
    assert [h.status_code for h in old_row.history] == ["01", "03"]
    assert [h.status_code for h in new_row.history] == ["01", "03", "04"]
    assert (old_row.package_id, new_row.package_id) == (old_package.pk, new_package.pk)


# --- a UUID DocumentId ------------------------------------------------------------------------


UUID = "0f8e2a52-6a1b-4a53-9d3c-2f1f5a0c7e11"


def test_a_package_sent_under_a_uuid_is_matched_by_that_uuid(
    certified,
    thai_binh,  # noqa: F811
    make_doc,
    recorder,
):
    """A Java builder names its document by a UUID: we know it by the standard id, its
    statuses naming the UUID find the package, and ours go back naming the UUID."""
    _a, b = certified
    doc = make_doc(b, [b])
    doc.sender = thai_binh.organ
    doc.code_notation = "UBND-VP"
    root = etree.fromstring(
        edxml.build_document(doc).replace(doc.document_id.encode(), UUID.encode())
    )
    raw = thai_binh.sign(root)
    result = receiving.receive_package(raw, via="http", recipient_organ_id=b.identifier)
    assert result.accepted, result.description
    package = IncomingPackage.objects.get(status="arrived")
    assert (package.document_id, package.sent_document_id) == (doc.document_id, UUID)

    # their 13 names the UUID, with the rest of ResponseFor
    message = edxml.StatusMessage(
        document_id=UUID,
        sender=THAI_BINH,
        status_code="13",
        timestamp=common.exchange_now(),
        to_organ_id=b.identifier,
        response=ResponseFor(THAI_BINH.organ_id, doc.code, doc.promulgation_date, UUID),
    )
    response = post(
        APIClient(), STATUSES, thai_binh.sign(edxml.status_element(message)), thai_binh.token
    )
    assert response.status_code == 201, response.json()
    record = StatusRecord.objects.get(direction="in")
    assert (record.incoming_package_id, record.document_id) == (package.pk, doc.document_id)

    # our 15 goes back naming their UUID
    with transaction.atomic():
        ours = statuses.send_status(
            doc.document_id, to_organ_id=THAI_BINH.organ_id, status_code="15", from_agency=b
        )
    assert ours.incoming_package_id == package.pk
    sent_back = edxml.parse_status(bytes(ours.raw))
    assert sent_back.document_id == UUID
    assert sent_back.response_for == ResponseFor(
        THAI_BINH.organ_id, doc.code, doc.promulgation_date, UUID
    )

    # a later package replacing it names it by the UUID in ReplacementInfo: accepted, and the
    # documents app finds the replaced document by the id we know it by
    replacement = make_doc(
        b,
        [b],
        business_doc_type=BusinessDocType.REPLACE,
        business_doc_reason="Thay thế",
        replaces=[UUID],
    )
    replacement.sender = thai_binh.organ
    edxml.validate_document(replacement)
    assert statuses.known_document_ids(b, THAI_BINH.organ_id, [UUID, "khác"]) == [
        doc.document_id,
        "khác",
    ]


def test_a_uuid_needs_the_rest_of_response_for():
    message = edxml.StatusMessage(
        document_id=UUID,
        sender=THAI_BINH,
        status_code="01",
        timestamp=common.exchange_now(),
        to_organ_id="000.00.00.G22",
    )
    with pytest.raises(edxml.EdxmlError):
        edxml.validate_status(message)
    message.response = ResponseFor(THAI_BINH.organ_id, "12/UBND-VP", date(2026, 3, 2), UUID)
    edxml.validate_status(message)
