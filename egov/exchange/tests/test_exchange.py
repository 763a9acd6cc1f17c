"""The hub between two agencies on this platform: a signed package goes out through the outbox,
is checked and registered once on arrival, and the sender sees each status come back. Every
kind of bad package is refused with 02 and a reason, and nothing is registered."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings

from egov.core.actors import SYSTEM, actor_for_user
from egov.core.errors import NotAllowed, NotFoundError
from egov.events.models import Event, OutboxMessage
from egov.exchange import common, edxml, receiving, sending, signature, statuses
from egov.exchange.edxml import Attachment, BusinessDocType, Organ
from egov.exchange.models import IncomingPackage, OutgoingPackage, PackageData, StatusRecord
from egov.org.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def deliver(django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """Send in a committed transaction and let the outbox deliver right after (tests run
    Huey in immediate mode)."""

    def run(doc: Any, sender: Any, actor: Any = SYSTEM) -> list[OutgoingPackage]:
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            packages = sending.send(doc, actor=actor, sender_agency=sender)
        for package in packages:
            package.refresh_from_db()
        return packages

    return run


@pytest.fixture
def flush(django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """Run something that queues messages, then deliver them."""

    def run(func: Any, *args: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            return func(*args, **kwargs)

    return run


def signed_package(doc: Any, agency: Any) -> bytes:
    return edxml.to_bytes(signature.sign_root(edxml.document_element(doc), agency=agency))


def arrived(agency: Any) -> int:
    return IncomingPackage.objects.filter(
        recipient_agency=agency, status=IncomingPackage.Status.ARRIVED
    ).count()


# --- the round trip ---------------------------------------------------------------------------


def test_a_package_goes_to_another_agency_and_every_status_comes_back(
    certified, recorder, make_doc, deliver
):
    a, b = certified
    recorder.answer = ["03", "04", "05", "06"]
    doc = make_doc(a, [b])

    [package] = deliver(doc, a)

    # B's handler got the document as it was sent, with the signer's certificate
    [received] = recorder.packages
    assert received.agency == b
    assert received.document_id == doc.document_id == f"{a.identifier},2026/03/02,101/UBND-VP"
    assert received.document.subject == doc.subject
    assert received.document.signer == doc.signer
    assert [(x.name, x.data) for x in received.document.attachments] == [
        ("cong-van.txt", "Nội dung công văn".encode())
    ]
    assert received.business_doc_type is BusinessDocType.NEW
    assert received.signer_subject == a.name
    assert arrived(b) == 1

    # A sees B's answers: 01 arrived (the delivery answer), then 03..06 as status messages
    assert package.delivery_status == OutgoingPackage.Delivery.DELIVERED
    assert package.status_code == "06"
    [row] = statuses.statuses_for(doc.document_id)
    assert row.recipient_organ_id == b.identifier
    assert row.status_code == "06" and row.status_label == "Đã hoàn thành"
    assert [h.status_code for h in row.history] == ["01", "03", "04", "05", "06"]
    assert row.history[1].staff == "Trần Thị Văn Thư"
    assert [s.status_code for s in recorder.statuses] == ["01", "03", "04", "05", "06"]

    # each status is in the log twice: sent by B, received by A; every message delivered
    assert StatusRecord.objects.filter(direction="out", agency=b).count() == 5
    assert StatusRecord.objects.filter(direction="in", agency=a).count() == 5
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"delivered"}
    assert set(
        Event.objects.filter(event_type__startswith="exchange.").values_list(
            "event_type", flat=True
        )
    ) == {
        "exchange.package_sent",
        "exchange.package_received",
        "exchange.package_delivered",
        "exchange.status_sent",
        "exchange.status_received",
    }


def test_a_package_for_several_recipients_is_stored_once(
    certified, recorder, make_doc, deliver, province
):
    from egov.core.actors import SYSTEM as actor
    from egov.org.services import create_agency
    from egov.signing.services import ensure_demo_ca

    a, b = certified
    c = create_agency(
        actor=actor,
        identifier="000.00.02.H41",
        name="Sở Tài chính tỉnh Quảng Ninh",
        abbreviation="STC",
        kind="so",
    )
    ensure_demo_ca(actor=actor)
    packages = deliver(make_doc(a, [b, c]), a)

    assert [p.recipient_organ_id for p in packages] == [b.identifier, c.identifier]
    assert {p.delivery_status for p in packages} == {"delivered"}
    assert PackageData.objects.count() == 1
    assert {r.agency for r in recorder.packages} == {b, c}


def test_unknown_recipient_is_refused_and_nothing_is_stored(certified, make_doc, deliver):
    a, b = certified
    stranger = Organ("000.00.99.H41", "Cơ quan không tồn tại")

    with pytest.raises(common.UnknownRecipient) as exc:
        deliver(make_doc(a, [b, stranger]), a)

    assert "000.00.99.H41" in exc.value.message
    assert exc.value.fields == {"recipients": ["000.00.99.H41"]}
    assert not OutgoingPackage.objects.exists()
    assert not OutboxMessage.objects.exists()
    assert not PackageData.objects.exists()


def test_sending_the_same_document_again_does_not_send_it_twice(
    certified, recorder, make_doc, deliver
):
    a, b = certified
    doc = make_doc(a, [b])
    [first] = deliver(doc, a)
    [again] = deliver(doc, a)

    assert again.pk == first.pk
    assert OutboxMessage.objects.filter(topic="edxml").count() == 1
    assert len(recorder.packages) == 1


def test_a_resent_package_is_recognised_by_document_id_and_not_registered_twice(
    certified, recorder, make_doc, deliver
):
    a, b = certified
    doc = make_doc(a, [b])
    deliver(doc, a)

    # the same bytes again (a delivery repeated after a crash), and a fresh signature of it
    raw = bytes(OutgoingPackage.objects.get().data.raw)
    for package in (raw, signed_package(doc, a)):
        result = receiving.receive_package(package, via="http")
        assert result.status_code == "01"
        assert result.duplicate
        assert "không vào sổ lần nữa" in result.description

    assert len(recorder.packages) == 1
    assert arrived(b) == 1


def test_sending_needs_the_right_to_act_for_the_agency(certified, make_doc, make_official):
    a, b = certified
    stranger = actor_for_user(make_official(b, roles=[Role.CLERK]).user)
    with pytest.raises(NotAllowed):
        sending.send(make_doc(a, [b]), actor=stranger, sender_agency=a)

    clerk = actor_for_user(make_official(a, roles=[Role.CLERK]).user)
    [package] = sending.send(make_doc(a, [b]), actor=clerk, sender_agency=a)
    assert package.created_by == clerk.label


def test_the_sender_in_the_package_must_be_the_sending_agency(certified, make_doc):
    a, b = certified
    doc = make_doc(b, [a])
    with pytest.raises(common.ExchangeError) as exc:
        sending.send(doc, actor=SYSTEM, sender_agency=a)
    assert exc.value.code == "sender_mismatch"


# --- refusals at the door ---------------------------------------------------------------------


def refused(result: receiving.ReceiveResult, code: str) -> IncomingPackage:
    assert result.status_code == "02"
    assert result.error_code == code, result.description
    assert result.package is not None
    assert result.package.status == IncomingPackage.Status.REJECTED
    assert result.package.error == result.description
    return result.package


def test_malformed_xml_is_refused_with_02(certified, recorder):
    result = receiving.receive_package(b"<edXML:edXML><oops", via="http")

    refused(result, "edxml_malformed")
    assert "không phải XML hợp lệ" in result.description
    assert recorder.packages == []
    assert not IncomingPackage.objects.filter(status="arrived").exists()
    assert Event.objects.filter(event_type="exchange.package_refused").count() == 1


def test_a_package_altered_after_signing_is_refused(certified, recorder, make_doc):
    a, b = certified
    raw = signed_package(make_doc(a, [b]), a)
    tampered = raw.replace("triển khai".encode(), "hủy bỏ".encode(), 1)

    result = receiving.receive_package(tampered, via="http")

    refused(result, "signature_invalid")
    assert "Chữ ký số của gói tin không hợp lệ" in result.description
    assert recorder.packages == [] and arrived(b) == 0
    # B answers the sender: rejected
    out = StatusRecord.objects.get(direction="out")
    assert (out.status_code, out.from_organ_id, out.to_organ_id) == (
        "02",
        b.identifier,
        a.identifier,
    )


def test_an_unsigned_package_is_held_not_registered(certified, recorder, make_doc):
    # Was refused (02); now held for the clerk (01 "waiting for a check"), never registered
    # without a decision: test_receiving_held.py follows it through.
    a, b = certified
    result = receiving.receive_package(edxml.build_document(make_doc(a, [b])), via="http")
    assert (result.status_code, result.held) == ("01", True)
    assert "không có chữ ký" in result.package.hold_reason
    assert recorder.packages == [] and arrived(b) == 0


def test_a_package_signed_by_another_agency_is_refused(certified, recorder, make_doc):
    a, b = certified
    # "from A", but signed with B's certificate
    raw = edxml.to_bytes(signature.sign_root(edxml.document_element(make_doc(a, [b])), agency=b))
    result = receiving.receive_package(raw, via="http")
    refused(result, "signer_mismatch")
    assert recorder.packages == []


def test_a_certificate_outside_the_trust_list_is_held_not_registered(certified, recorder, make_doc):
    from signxml import DigestAlgorithm, SignatureMethod, XMLSigner

    from egov.signing import ca, keystore
    from egov.signing.services import make_demo_hierarchy

    a, b = certified
    rogue = make_demo_hierarchy()  # a CA nobody trusts, issuing a look-alike certificate
    material = ca.issue_certificate(
        rogue.intermediate, common_name=a.name, organisation=a.name, kind="organisation"
    )
    signer = XMLSigner(
        signature_algorithm=SignatureMethod.ECDSA_SHA256, digest_algorithm=DigestAlgorithm.SHA256
    )
    root = edxml.document_element(make_doc(a, [b]))
    chain = [keystore.to_pem(material.certificate)] + [keystore.to_pem(c) for c in material.chain]
    raw = edxml.to_bytes(signer.sign(root, key=material.private_key, cert=chain))

    # Was refused (02); now held for the clerk: we cannot tell a CA we do not know from a bad one.
    result = receiving.receive_package(raw, via="http")
    assert (result.status_code, result.held) == ("01", True)
    assert "tin cậy" in result.package.hold_reason
    assert recorder.packages == [] and arrived(b) == 0


def test_a_package_over_the_size_limit_is_refused(certified, recorder, make_doc, settings):
    a, b = certified
    raw = signed_package(make_doc(a, [b]), a)
    settings.EXCHANGE_MAX_PACKAGE_BYTES = len(raw) - 1

    result = receiving.receive_package(raw, via="http")
    package = refused(result, "package_too_large")
    assert package.data is None and package.size == len(raw)
    assert recorder.packages == []

    with pytest.raises(common.ExchangeError) as exc:
        sending.send(make_doc(a, [b]), actor=SYSTEM, sender_agency=a)
    assert exc.value.code == "package_too_large"
    assert not OutgoingPackage.objects.exists()


def test_a_package_for_an_agency_not_on_this_platform_is_refused(certified, recorder, make_doc):
    a, b = certified
    raw = signed_package(make_doc(a, [Organ("000.00.77.H41", "Sở ở tỉnh khác")]), a)
    result = receiving.receive_package(raw, via="http")
    refused(result, "unknown_recipient")

    raw = signed_package(make_doc(a, [b]), a)
    result = receiving.receive_package(raw, via="http", recipient_organ_id="000.00.77.H41")
    refused(result, "recipient_not_addressed")


def test_the_recipient_may_refuse_and_nothing_stays_registered(
    certified, recorder, make_doc, deliver
):
    a, b = certified
    recorder.refuse_with = "Văn bản không thuộc thẩm quyền của Sở Tư pháp."

    [package] = deliver(make_doc(a, [b]), a)

    assert package.delivery_status == OutgoingPackage.Delivery.REJECTED
    assert package.status_code == "02"
    assert package.status_description == "Văn bản không thuộc thẩm quyền của Sở Tư pháp."
    [row] = statuses.statuses_for(package.document_id)
    assert (row.status_code, row.delivery_status) == ("02", "rejected")
    assert arrived(b) == 0
    assert IncomingPackage.objects.get().error_code == "not_ours"


# --- PDF attachments --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plain_pdf() -> bytes:
    from weasyprint import HTML

    pdf: bytes = HTML(
        string="<html lang=vi><body><h1>QUYẾT ĐỊNH</h1><p>Về việc thử nghiệm.</p></body></html>"
    ).write_pdf()
    return pdf


def signed_pdf(pdf: bytes, agency: Any) -> bytes:
    from egov.signing.services import Appearance, identity_for_agency, sign_pdf

    return sign_pdf(
        pdf,
        identity=identity_for_agency(agency),
        role="agency",
        appearance=Appearance(number_symbol="101/UBND-VP"),
    )


def test_a_signed_pdf_attachment_is_checked_and_accepted(certified, recorder, make_doc, plain_pdf):
    a, b = certified
    pdf = signed_pdf(plain_pdf, a)
    doc = make_doc(a, [b], attachments=[Attachment("101-UBND.pdf", "application/pdf", pdf)])

    result = receiving.receive_package(signed_package(doc, a), via="http")

    assert result.status_code == "01", result.description
    assert recorder.packages[0].document.attachments[0].data == pdf


def test_a_pdf_whose_signature_is_broken_is_refused(certified, recorder, make_doc, plain_pdf):
    a, b = certified
    pdf = bytearray(signed_pdf(plain_pdf, a))
    marker = pdf.find(b"/ByteRange")
    assert marker > 0
    # change one byte of the signed content (inside the first signed range)
    position = pdf.find(b"QUY") if pdf.find(b"QUY") > 0 else 200
    pdf[position] ^= 0x01
    doc = make_doc(a, [b], attachments=[Attachment("101-UBND.pdf", "application/pdf", bytes(pdf))])

    result = receiving.receive_package(signed_package(doc, a), via="http")

    refused(result, "attachment_signature_invalid")
    assert "101-UBND.pdf" in result.description
    assert recorder.packages == []


def test_an_unsigned_pdf_attachment_passes(certified, recorder, make_doc, plain_pdf):
    a, b = certified
    doc = make_doc(a, [b], attachments=[Attachment("phu-luc.pdf", "application/pdf", plain_pdf)])
    assert receiving.receive_package(signed_package(doc, a), via="http").status_code == "01"


# --- revoke, update, replace and taking back --------------------------------------------------


def test_revoke_reaches_the_handler_with_its_business_type(certified, recorder, make_doc, deliver):
    a, b = certified
    recorder.answer = ["03"]
    doc = make_doc(a, [b])
    deliver(doc, a)
    revoke = make_doc(
        a,
        [b],
        code_number=doc.code_number,
        business_doc_type=BusinessDocType.REVOKE,
        business_doc_reason="Ban hành nhầm đối tượng",
    )
    assert revoke.document_id == doc.document_id

    [package] = deliver(revoke, a)

    assert [r.business_doc_type for r in recorder.packages] == [
        BusinessDocType.NEW,
        BusinessDocType.REVOKE,
    ]
    assert recorder.packages[1].document.business_doc_reason == "Ban hành nhầm đối tượng"
    assert package.business_doc_type == 1 and package.delivery_status == "delivered"
    assert arrived(b) == 2  # the document and its revocation, each once
    [row] = statuses.statuses_for(doc.document_id)
    assert (row.business_doc_type, row.status_code) == (1, "03")
    assert Event.objects.filter(
        event_type="exchange.package_received", payload__business_doc_type=1
    ).exists()


def test_take_back_request_and_answer(certified, recorder, make_doc, deliver, flush):
    a, b = certified
    doc = make_doc(a, [b])
    deliver(doc, a)
    recorder.statuses.clear()

    # A asks to take the document back (13); B's handler sees it about the package it received
    flush(
        statuses.send_status,
        doc.document_id,
        to_organ_id=b.identifier,
        status_code="13",
        description="Đề nghị trả lại để sửa sai sót",
        from_agency=a,
    )
    [request] = recorder.statuses
    assert request.status_code == "13" and request.agency == b
    assert request.incoming is not None and request.outgoing is None
    assert IncomingPackage.objects.get(status="arrived").status_code == "13"

    # B agrees (15): A sees it as the recipient's latest status
    flush(
        statuses.send_status,
        doc.document_id,
        to_organ_id=a.identifier,
        status_code="15",
        from_agency=b,
    )
    [row] = statuses.statuses_for(doc.document_id)
    assert row.status_code == "15" and row.status_label == "Đồng ý lấy lại/cập nhật"
    assert [h.status_code for h in row.history] == ["01", "15"]


def test_statuses_need_a_document_between_the_two_agencies(certified, make_doc, deliver):
    a, b = certified
    with pytest.raises(NotFoundError):
        statuses.send_status(
            "000.00.00.H41,2026/01/01,1/UBND",
            to_organ_id=b.identifier,
            status_code="03",
            from_agency=a,
        )
    with pytest.raises(common.ExchangeError) as exc:
        statuses.send_status("x", to_organ_id=b.identifier, status_code="99")
    assert exc.value.code == "unknown_status_code"


def test_a_forged_or_repeated_status_is_refused_or_ignored(certified, recorder, make_doc, deliver):
    a, b = certified
    doc = make_doc(a, [b])
    deliver(doc, a)
    message = edxml.StatusMessage(
        document_id=doc.document_id,
        sender=Organ(b.identifier, b.name),
        status_code="03",
        timestamp=common.exchange_now(),
    )
    good = edxml.to_bytes(signature.sign_root(edxml.status_element(message), agency=b))
    first = statuses.receive_status(good, via="http")
    again = statuses.receive_status(good, via="http")
    assert not first.duplicate and again.duplicate
    assert StatusRecord.objects.filter(direction="in", status_code="03").count() == 1

    tampered = good.replace(b"<edXML:StatusCode>03<", b"<edXML:StatusCode>04<")
    with pytest.raises(common.StatusRefused) as exc:
        statuses.receive_status(tampered, via="http")
    assert exc.value.code == "signature_invalid"

    # signed by A "as B"
    forged = edxml.to_bytes(signature.sign_root(edxml.status_element(message), agency=a))
    with pytest.raises(common.StatusRefused) as exc:
        statuses.receive_status(forged, via="http")
    assert exc.value.code == "signer_mismatch"

    unrelated = edxml.StatusMessage(
        document_id=f"{a.identifier},2026/01/01,9/UBND-VP",
        sender=Organ(b.identifier, b.name),
        status_code="03",
        timestamp=common.exchange_now(),
    )
    raw = edxml.to_bytes(signature.sign_root(edxml.status_element(unrelated), agency=b))
    with pytest.raises(common.StatusRefused) as exc:
        statuses.receive_status(raw, via="http")
    assert exc.value.code == "unknown_document"


def test_a_late_older_status_is_history_and_a_backward_one_is_refused(certified, make_doc, deliver):
    from datetime import timedelta

    a, b = certified
    doc = make_doc(a, [b])
    [package] = deliver(doc, a)
    now = common.exchange_now()

    def post(code: str, offset: int) -> statuses.StatusResult:
        message = edxml.StatusMessage(
            document_id=doc.document_id,
            sender=Organ(b.identifier, b.name),
            status_code=code,
            timestamp=now + timedelta(seconds=offset),
        )
        raw = edxml.to_bytes(signature.sign_root(edxml.status_element(message), agency=b))
        return statuses.receive_status(raw, via="http")

    for code, offset in (("03", 1), ("04", 5), ("05", 10)):
        assert not post(code, offset).stale
    # an 04 stamped before the 05, delivered after it: kept in the history, changes nothing
    assert post("04", 4).stale
    package.refresh_from_db()
    assert (package.status_code, package.processing_code) == ("05", "05")
    [row] = statuses.statuses_for(doc.document_id)
    assert [h.status_code for h in row.history] == ["01", "03", "04", "04", "05"]
    # an 03 stamped after the 05 goes backwards: refused
    with pytest.raises(common.StatusFlowRefused) as exc:
        post("03", 20)
    assert exc.value.code == "status_out_of_order"
    package.refresh_from_db()
    assert package.status_code == "05"


@override_settings(EXCHANGE_REQUIRE_SIGNER_MATCH=False)
def test_signer_match_can_be_switched_off(certified, recorder, make_doc):
    a, b = certified
    raw = edxml.to_bytes(signature.sign_root(edxml.document_element(make_doc(a, [b])), agency=b))
    assert receiving.receive_package(raw, via="http").status_code == "01"


def test_statuses_for_is_scoped_to_the_sender(certified, make_doc, deliver, make_official):
    a, b = certified
    doc = make_doc(a, [b])
    deliver(doc, a)
    own = actor_for_user(make_official(a).user)
    other = actor_for_user(make_official(b).user)
    assert len(statuses.statuses_for(doc.document_id, actor=own)) == 1
    assert statuses.statuses_for(doc.document_id, actor=other) == []
