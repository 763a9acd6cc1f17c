"""Round trip per deployed shape (issue #14), on whichever database the suite runs on:

in:  their shape (writers) -> our receiver -> what we record (package, document, statuses)
out: the same internal document -> our sender in that peer's dialect -> the bytes posted to
     it -> their reader (readers) -> the same fields back.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from egov.core.actors import SYSTEM
from egov.exchange import edxml, endpoints, receiving, sending, statuses
from egov.exchange.common import StatusRefused
from egov.exchange.edxml import (
    BusinessDocType,
    BusinessDocumentInfo,
    BusinessReceiver,
    Organ,
    StaffInfo,
    StatusMessage,
)
from egov.exchange.models import IncomingPackage, OutgoingPackage, StatusRecord
from egov.exchange.tests.shapes import readers, writers
from egov.exchange.tests.test_transport import ARRIVED, ScriptedPeer

pytestmark = pytest.mark.django_db

PEER = Organ(
    "000.00.00.H35",
    "Ủy ban nhân dân tỉnh Hà Nam",
    organization_in_charge="Tỉnh Hà Nam",
    email="vanthu@hanam.gov.vn",
)
STAFF = StaffInfo("Văn thư văn phòng", "Nguyễn Thị Ngọc Trâm", "84912000001", "vt@hanam.gov.vn")


@pytest.fixture
def peer() -> Iterator[ScriptedPeer]:
    server = ScriptedPeer([])
    yield server
    server.close()


@pytest.fixture
def peer_signer(hierarchy: Any) -> writers.PeerSigner:
    return writers.PeerSigner(hierarchy, PEER)


PEER_TOKEN = endpoints.new_peer_token()


def declare_peer(peer: ScriptedPeer, dialect: str) -> Any:
    """Hà Nam's platform, with the dialect its reader expects (when endpoints know dialects)
    and the token it presents to our HTTP API."""
    extra: dict[str, Any] = {}
    if "dialect" in inspect.signature(endpoints.save_endpoint).parameters:
        extra["dialect"] = dialect
        # SDK peers get each file zipped, as the SDK sample sends them
        extra["zip_attachments"] = dialect == "sdk"
    return endpoints.save_endpoint(
        actor=SYSTEM,
        organ_id=PEER.organ_id,
        organ_name=PEER.organ_name,
        url=peer.url,
        auth_token="edxml_token-that-ha-nam-gave-us-0123456789",
        inbound_token=PEER_TOKEN,
        timeout_seconds=5,
        **extra,
    )


def their_document(make_doc: Any, ours: Any, **changes: Any) -> edxml.EdxmlDocument:
    """A document Hà Nam sends to our agency `ours`, with two files."""
    doc = make_doc(ours, [ours], **changes)
    doc.sender = PEER
    doc.attachments = [
        edxml.Attachment("cong-van.doc", "application/msword", b"\xd0\xcf\x11\xe0 doc bytes"),
        edxml.Attachment("phu-luc.pdf", "application/pdf", b"%PDF-1.4\n% phu luc\n%%EOF\n"),
    ]
    doc.business_staff = STAFF
    return doc


def files(doc: edxml.EdxmlDocument) -> list[tuple[str, bytes]]:
    return [(a.name, a.data) for a in doc.attachments]


def receive(raw: bytes) -> receiving.ReceiveResult:
    return receiving.receive_package(raw, via="http", peer_organ_ids=frozenset({PEER.organ_id}))


def assert_received_like(recorder: Any, result: Any, doc: edxml.EdxmlDocument) -> Any:
    """What the clerk of the recipient sees: the same header, files, sender, business type."""
    assert result.status_code == "01", result.description
    [received] = recorder.packages
    got = received.document
    assert got.sender.organ_id == PEER.organ_id
    assert (got.subject, got.code, got.promulgation_date, got.due_date) == (
        doc.subject,
        doc.code,
        doc.promulgation_date,
        doc.due_date,
    )
    assert got.business_type == doc.business_type
    assert files(got) == files(doc), "each file's bytes as the sender attached it"
    package = IncomingPackage.objects.get(status="arrived")
    assert package.sender_organ_id == PEER.organ_id
    assert package.business_doc_type == int(doc.business_doc_type)
    return received


# ---------------------------------------------------------------------------------------------
# in: their shape -> our receiver
# ---------------------------------------------------------------------------------------------


def test_in_a_sdk_new(certified, recorder, make_doc, peer, peer_signer):
    _a, b = certified
    declare_peer(peer, "sdk")
    doc = their_document(make_doc, b)
    doc.signer.full_name = ""  # the SDK sample leaves FullName empty
    raw = writers.sdk_new(doc, peer_signer)
    assert b"<Signature>" in raw and b"cid:201" in raw and b"02/03/2026" in raw

    received = assert_received_like(recorder, receive(raw), doc)
    assert received.document_id == doc.document_id
    assert received.document.signer.full_name == ""
    # unzipped, each file is labelled by its own type, not "application/zip"
    assert [x.content_type for x in received.document.attachments] == [
        "application/msword",
        "application/pdf",
    ]


def test_in_a_sdk_new_over_http(certified, recorder, make_doc, peer, peer_signer, client):
    """The same package POSTed to our API by Hà Nam's platform with its token."""
    _a, b = certified
    declare_peer(peer, "sdk")
    doc = their_document(make_doc, b)
    answer = client.post(
        "/api/v1/exchange/packages/",
        writers.sdk_new(doc, peer_signer),
        content_type="application/xml",
        HTTP_AUTHORIZATION=f"Bearer {PEER_TOKEN}",
    )
    assert answer.status_code == 201, answer.json()
    assert answer.json()["status"]["status_code"] == "01"
    [received] = recorder.packages
    assert files(received.document) == files(doc)


def test_in_b_sdk_update(certified, recorder, make_doc, peer, peer_signer):
    _a, b = certified
    declare_peer(peer, "sdk")
    doc = their_document(
        make_doc,
        b,
        business_doc_type=BusinessDocType.UPDATE,
        business_doc_reason="Cập nhật văn bản điện tử",
        business_info=BusinessDocumentInfo(1, 1, [BusinessReceiver(b.identifier, 0)]),
    )
    sent_id = f"{PEER.organ_id},2026/02/27,{doc.code}"  # dated otherwise than PromulgationDate
    raw = writers.sdk_update(doc, peer_signer, document_id=sent_id)

    received = assert_received_like(recorder, receive(raw), doc)
    assert received.document_id == sent_id
    assert received.document.business_info == doc.business_info
    assert received.document.business_staff == STAFF  # who sent it, for the clerk to call


def test_in_e_java_uuid(certified, recorder, make_doc, peer, peer_signer):
    _a, b = certified
    declare_peer(peer, "sdk")
    doc = their_document(make_doc, b)
    sent_id = str(uuid.uuid4())
    raw = writers.java_package(doc, peer_signer, document_id=sent_id)

    received = assert_received_like(recorder, receive(raw), doc)
    assert received.document.sent_document_id == sent_id


def test_in_g_go_builder(certified, recorder, make_doc, peer, peer_signer):
    _a, b = certified
    declare_peer(peer, "qcvn")
    doc = their_document(make_doc, b)
    raw = writers.go_package(doc, peer_signer)
    assert b"<ContentId>&lt;1@" in raw and b"cid:1@" in raw

    received = assert_received_like(recorder, receive(raw), doc)
    assert received.document_id == doc.document_id


# statuses Hà Nam sends about documents we sent it


def send_two(certified: Any, make_doc: Any, capture: Any, peer: ScriptedPeer) -> list[Any]:
    """Our agency sends Hà Nam two documents (each answered 01)."""
    a, _b = certified
    peer.script = [ARRIVED, ARRIVED]
    packages = []
    for _ in range(2):
        with capture(execute=True), transaction.atomic():
            [package] = sending.send(make_doc(a, [PEER]), actor=SYSTEM, sender_agency=a)
        packages.append(package)
    return packages


def their_status(package: OutgoingPackage, code: str, minute: int) -> StatusMessage:
    return StatusMessage(
        document_id=package.document_id,
        sender=PEER,
        status_code=code,
        timestamp=datetime(2026, 3, 2, 10, minute, 0, tzinfo=edxml.LOCAL_TZ),
        description=edxml.status_label(code),
        staff=STAFF,
    )


STATUS_SHAPES = [
    pytest.param(writers.sdk_status, "sdk", id="c-sdk-status-05"),
    pytest.param(writers.bkav_status, "bkav", id="d-bkav-status"),
    pytest.param(writers.csharp_status, "bkav", id="f-csharp-soap"),
]


@pytest.mark.parametrize(("write", "dialect"), STATUS_SHAPES)
def test_in_status_reaches_the_right_package(
    write, dialect, certified, make_doc, peer, peer_signer, django_capture_on_commit_callbacks
):
    declare_peer(peer, dialect)
    first, second = send_two(certified, make_doc, django_capture_on_commit_callbacks, peer)

    for code, minute in (("03", 10), ("05", 20)):
        raw = write(their_status(second, code, minute), peer_signer)
        statuses.receive_status(raw, via="http", peer_organ_ids=frozenset({PEER.organ_id}))

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status_code, second.status_code) == ("01", "05")
    assert timezone.localtime(second.status_at).strftime("%d/%m/%Y %H:%M") == "02/03/2026 10:20"
    records = StatusRecord.objects.filter(direction="in", status_code__in=["03", "05"])
    assert sorted(r.status_code for r in records) == ["03", "05"]
    assert {r.document_id for r in records} == {second.document_id}


def take_back_request(doc: edxml.EdxmlDocument, sent_id: str, ours: Any) -> tuple[Any, Any]:
    message = StatusMessage(
        document_id=sent_id,
        sender=PEER,
        status_code="13",
        timestamp=datetime(2026, 3, 2, 11, 0, 0, tzinfo=edxml.LOCAL_TZ),
        description="Đề nghị lấy lại văn bản",
        staff=STAFF,
        to_organ_id=ours.identifier,
    )
    return message, edxml.ResponseFor(PEER.organ_id, doc.code, doc.promulgation_date, sent_id)


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(writers.java_status, id="e-java-status-with-To"),
        pytest.param(writers.bkav_status, id="e-bkav-status-without-To"),
    ],
)
def test_in_e_status_about_their_uuid_document(
    write, certified, recorder, make_doc, peer, peer_signer, django_capture_on_commit_callbacks
):
    """The Java peer sent us a UUID-identified document, then asks to take it back (13)
    naming it by that UUID: the request lands on that package."""
    _a, b = certified
    declare_peer(peer, "bkav")
    doc = their_document(make_doc, b)
    sent_id = str(uuid.uuid4())
    assert receive(writers.java_package(doc, peer_signer, document_id=sent_id)).accepted
    message, response = take_back_request(doc, sent_id, b)
    with django_capture_on_commit_callbacks(execute=True):
        statuses.receive_status(
            write(message, peer_signer, response),
            via="http",
            peer_organ_ids=frozenset({PEER.organ_id}),
        )
    package = IncomingPackage.objects.get()
    assert package.sent_document_id == sent_id
    record = StatusRecord.objects.get(direction="in", status_code="13")
    assert record.document_id == package.document_id


def test_in_e_status_without_to_for_a_document_two_of_ours_hold_is_refused(
    certified, recorder, make_doc, peer, peer_signer, django_capture_on_commit_callbacks
):
    """Hà Nam sent one document to two of our agencies, then asks to take it back with no To:
    which agency it is for cannot be told, so it is refused, saying To is needed; with To it
    lands on that agency's package."""
    a, b = certified
    declare_peer(peer, "bkav")
    doc = make_doc(b, [a, b])
    doc.sender, doc.business_staff = PEER, STAFF
    sent_id = str(uuid.uuid4())
    raw = writers.java_package(doc, peer_signer, document_id=sent_id)
    for ours in (a, b):
        assert receiving.receive_package(
            raw,
            via="http",
            peer_organ_ids=frozenset({PEER.organ_id}),
            recipient_organ_id=ours.identifier,
        ).accepted
    message, response = take_back_request(doc, sent_id, b)

    with pytest.raises(StatusRefused) as refused:
        statuses.receive_status(
            writers.bkav_status(message, peer_signer, response),
            via="http",
            peer_organ_ids=frozenset({PEER.organ_id}),
        )
    assert refused.value.code == "recipient_required"
    assert "To/OrganId" in refused.value.message and a.identifier in refused.value.message
    assert not StatusRecord.objects.filter(direction="in", status_code="13").exists()

    with django_capture_on_commit_callbacks(execute=True):
        statuses.receive_status(
            writers.java_status(message, peer_signer, response),
            via="http",
            peer_organ_ids=frozenset({PEER.organ_id}),
        )
    record = StatusRecord.objects.get(direction="in", status_code="13")
    assert record.agency == b
    assert record.incoming_package == IncomingPackage.objects.get(recipient_agency=b)


# ---------------------------------------------------------------------------------------------
# out: our sender in the peer's dialect -> their reader
# ---------------------------------------------------------------------------------------------


def posted_package(certified, make_doc, capture, peer, **changes: Any) -> tuple[Any, bytes]:
    a, _b = certified
    doc = make_doc(a, [PEER], **changes)
    doc.attachments = [
        edxml.Attachment("cong-van.doc", "application/msword", b"\xd0\xcf\x11\xe0 doc bytes"),
        edxml.Attachment("bang-ke.txt", "text/plain", "Bảng kê".encode()),
    ]
    doc.business_staff = STAFF
    peer.script = [ARRIVED]
    with capture(execute=True), transaction.atomic():
        sending.send(doc, actor=SYSTEM, sender_agency=a)
    [(path, _headers, body)] = peer.requests
    assert path.endswith("/packages/")
    return doc, body


def assert_read_back(seen: dict[str, Any], doc: edxml.EdxmlDocument) -> None:
    assert seen["document_id"] == doc.document_id
    assert seen["from"]["organ_id"] == doc.sender.organ_id
    assert (seen["code_number"], seen["code_notation"]) == (doc.code_number, doc.code_notation)
    assert seen["promulgation_date"] == doc.promulgation_date
    assert seen["subject"] == doc.subject
    assert seen["business_doc_type"] == int(doc.business_doc_type)
    assert [(name, data) for _cid, name, data in seen["attachments"]] == files(doc)


def test_out_a_sdk_new(certified, make_doc, peer, django_capture_on_commit_callbacks):
    declare_peer(peer, "sdk")
    doc, body = posted_package(certified, make_doc, django_capture_on_commit_callbacks, peer)
    seen = readers.bkav_document(body)
    assert_read_back(seen, doc)
    assert seen["due_date"] == doc.due_date
    assert seen["signer"] == (doc.signer.competence, doc.signer.position, doc.signer.full_name)
    assert seen["has_signature"], "Bkav looks for the Signature among edXMLHeader's children"
    assert [cid for cid, _ in seen["manifest"]] == [cid for cid, _n, _d in seen["attachments"]]


def test_out_b_sdk_update(certified, make_doc, peer, django_capture_on_commit_callbacks):
    declare_peer(peer, "sdk")
    info = BusinessDocumentInfo(1, 0, [BusinessReceiver(PEER.organ_id, 0)])
    doc, body = posted_package(
        certified,
        make_doc,
        django_capture_on_commit_callbacks,
        peer,
        business_doc_type=BusinessDocType.UPDATE,
        business_doc_reason="Cập nhật văn bản điện tử",
        business_info=info,
    )
    seen = readers.bkav_document(body)
    assert_read_back(seen, doc)
    assert seen["business_info"] == {
        "document_info": "1",
        "document_receiver": "0",
        "receivers": [(PEER.organ_id, "0")],
    }


def test_out_g_qcvn_for_a_strict_reader(
    certified, make_doc, peer, django_capture_on_commit_callbacks
):
    declare_peer(peer, "qcvn")
    doc, body = posted_package(certified, make_doc, django_capture_on_commit_callbacks, peer)
    assert_read_back(readers.qcvn_document(body), doc)


# statuses we send about a document Hà Nam sent us


def posted_status(
    certified, make_doc, capture, peer, peer_signer, *, uuid_id: str = ""
) -> tuple[edxml.EdxmlDocument, Any, bytes]:
    _a, b = certified
    doc = their_document(make_doc, b)
    raw = (
        writers.java_package(doc, peer_signer, document_id=uuid_id)
        if uuid_id
        else writers.go_package(doc, peer_signer)
    )
    result = receive(raw)
    assert result.accepted, result.description
    peer.script = [(201, {"code": "status_recorded"})]
    with capture(execute=True), transaction.atomic():
        statuses.send_status(
            result.document_id,
            to_organ_id=PEER.organ_id,
            status_code="03",
            staff="Trần Thị Văn Thư",
            from_agency=b,
        )
    [(path, _headers, body)] = peer.requests
    assert path.endswith("/statuses/")
    return doc, b, body


def assert_status_read_back(seen: dict[str, Any] | None, doc: Any, ours: Any, doc_id: str) -> None:
    assert seen is not None, "their reader finds no status where it looks"
    assert seen["from"]["organ_id"] == ours.identifier
    assert seen["response_for"]["document_id"] == doc_id
    assert seen["response_for"]["organ_id"] == PEER.organ_id
    assert seen["status_code"] == "03"
    assert isinstance(seen["timestamp"], datetime), seen["timestamp"]
    assert seen["staff"]["Staff"] == "Trần Thị Văn Thư"


OUT_STATUS = [
    pytest.param("sdk", readers.sdk_status, id="c-sdk-messageheader"),
    pytest.param("bkav", readers.bkav_status, id="d-bkav-status"),
    pytest.param("bkav", readers.bkav_status, id="f-csharp-reads-status"),
]


@pytest.mark.parametrize(("dialect", "read"), OUT_STATUS)
def test_out_status_in_the_peers_layout(
    dialect, read, certified, make_doc, peer, peer_signer, django_capture_on_commit_callbacks
):
    declare_peer(peer, dialect)
    doc, ours, body = posted_status(
        certified, make_doc, django_capture_on_commit_callbacks, peer, peer_signer
    )
    assert_status_read_back(read(body), doc, ours, doc.document_id)


def test_out_e_status_names_their_uuid(
    certified, make_doc, peer, peer_signer, django_capture_on_commit_callbacks
):
    """Our 03 about the Java peer's document names it by the UUID it gave it, the id its
    reader knows the document by."""
    declare_peer(peer, "bkav")
    sent_id = str(uuid.uuid4())
    doc, ours, body = posted_status(
        certified, make_doc, django_capture_on_commit_callbacks, peer, peer_signer, uuid_id=sent_id
    )
    assert_status_read_back(readers.bkav_status(body), doc, ours, sent_id)


def test_the_fixtures_are_what_their_readers_read(make_doc, certified, peer_signer):
    """Our writers agree with our readers of the same shape (the fixtures are faithful)."""
    _a, b = certified
    doc = their_document(make_doc, b)
    seen = readers.bkav_document(writers.sdk_new(doc, peer_signer))
    assert seen["has_signature"] and seen["document_id"] == doc.document_id
    assert [(n, d) for _c, n, d in seen["attachments"]] == files(doc)
    assert seen["promulgation_date"] != doc.promulgation_date  # day-first: Bkav misreads it
    status = StatusMessage(
        document_id=doc.document_id,
        sender=PEER,
        status_code="05",
        timestamp=datetime(2026, 3, 2, 10, 0),
        staff=STAFF,
    )
    assert readers.sdk_status(writers.sdk_status(status, peer_signer))["status_code"] == "05"
    assert readers.bkav_status(writers.bkav_status(status, peer_signer))["status_code"] == "05"
    assert date(2026, 3, 2) == doc.promulgation_date
