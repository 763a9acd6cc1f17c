"""A signed package written the way deployed senders write it is received like ours: the
handler gets the same document, and the raw package (with what we ignored) is kept as sent."""

from __future__ import annotations

from typing import Any

import pytest
from lxml import etree

from egov.exchange import edxml, receiving, signature
from egov.exchange.edxml import NS
from egov.exchange.models import IncomingPackage

pytestmark = pytest.mark.django_db


def deployed_sender_shape(doc: Any) -> Any:
    """Our unsigned package rewritten with every accepted variant: day-first dates and
    timestamp, `cid:` ContentIds, data in ContentTransferEncoded, OtherInfo/Direction,
    Bussiness/DocumentId, an empty Appendix, an unqualified root with another prefix."""
    raw = edxml.build_document(doc)
    start = raw.index(b"<edXML:ContentId>") + len(b"<edXML:ContentId>")
    content_id = raw[start : raw.index(b"<", start)]
    for old, new in (
        (b">2026/03/02<", b">02/03/2026<"),
        (b">2026/03/20<", b">20/03/2026<"),
        (b"<edXML:ContentId>" + content_id, b"<edXML:ContentId>cid:" + content_id),
        (b"</edXML:OtherInfo>", b"<edXML:Direction>0</edXML:Direction></edXML:OtherInfo>"),
        (b"<edXML:Appendixes/>", b"<edXML:Appendixes><edXML:Appendix/></edXML:Appendixes>"),
        (
            b"</edXML:Bussiness>",
            b"<edXML:DocumentId>0b9e6c1e-5f1a-4d7e-8a11-3c2d9f0e7b64</edXML:DocumentId>"
            b"</edXML:Bussiness>",
        ),
        (
            b'<edXML:edXML xmlns:edXML="' + NS.encode() + b'">',
            b'<edXML xmlns:ns1="' + NS.encode() + b'">',
        ),
        (b"</edXML:edXML>", b"</edXML>"),
        (b"<edXML:", b"<ns1:"),
        (b"</edXML:", b"</ns1:"),
    ):
        assert old in raw, old
        raw = raw.replace(old, new)
    root = etree.fromstring(raw)
    ns = {"e": NS}
    stamp = root.find(".//e:TraceHeader/e:Timestamp", ns)
    year_first = stamp.text  # yyyy/MM/dd HH:mm:ss
    stamp.text = f"{year_first[8:10]}/{year_first[5:7]}/{year_first[:4]}{year_first[10:]}"
    for item in root.findall("e:AttachmentEncoded/e:Attachment", ns):
        value = item.find("e:Value", ns)
        item.find("e:ContentTransferEncoded", ns).text = value.text
        value.text = ""
    return root


def test_a_package_in_the_deployed_senders_shape_is_received_like_ours(
    certified, recorder, make_doc
):
    a, b = certified
    doc = make_doc(a, [b])
    raw = edxml.to_bytes(signature.sign_root(deployed_sender_shape(doc), agency=a))
    assert b"cid:" in raw and b"02/03/2026" in raw and b"<edXML " in raw

    result = receiving.receive_package(raw, via="http")

    assert result.status_code == "01", result.description
    [received] = recorder.packages
    assert received.document_id == doc.document_id == f"{a.identifier},2026/03/02,101/UBND-VP"
    got = received.document
    assert (got.promulgation_date, got.due_date) == (doc.promulgation_date, doc.due_date)
    assert got.signer == doc.signer and got.appendixes == []
    assert [(x.name, x.content_type, x.data) for x in got.attachments] == [
        (x.name, x.content_type, x.data) for x in doc.attachments
    ]
    # strict in what we record, but the package itself is kept exactly as it came
    package = IncomingPackage.objects.get(status="arrived")
    assert bytes(package.data.raw) == raw


@pytest.mark.parametrize("kind", ["uuid", "another date"])
def test_a_package_with_the_senders_document_id_is_received(certified, recorder, make_doc, kind):
    a, b = certified
    doc = make_doc(a, [b])
    ours = doc.document_id
    sent = (
        "0b9e6c1e-5f1a-4d7e-8a11-3c2d9f0e7b64"
        if kind == "uuid"
        else ours.replace(",2026/03/02,", ",2026/02/27,")
    )
    root = etree.fromstring(edxml.build_document(doc).replace(ours.encode(), sent.encode()))
    raw = edxml.to_bytes(signature.sign_root(root, agency=a))

    result = receiving.receive_package(raw, via="http")

    assert result.status_code == "01", result.description
    [received] = recorder.packages
    # a UUID is replaced by the id built from the header; a standard id is kept as sent
    expected = ours if kind == "uuid" else sent
    assert received.document_id == result.document_id == expected
    assert received.document.sent_document_id == sent
    assert received.document.promulgation_date == doc.promulgation_date
    package = IncomingPackage.objects.get(status="arrived")
    assert package.document_id == expected
    assert bytes(package.data.raw) == raw and sent.encode() in raw
