"""Fixture writers: our test data (EdxmlDocument / StatusMessage) written the way one deployed
sender writes it, signed the way that sender signs.

Shapes (issue #14):
  sdk_new       the national SDK sample for a new document: `<edXML xmlns=NS>`, `edXML:` on
                the envelope, day-first dates, OtherInfo/Direction, Bussiness/DocumentId,
                empty Appendix and FullName, each file zipped and its base64 in
                ContentTransferEncoded (ContentType application/zip), `cid:` ContentIds, the
                Signature unprefixed inside edXMLHeader (so in the edXML namespace)
  sdk_update    the SDK update sample: BussinessDocType 2 with BussinessDocumentInfo, and a
                DocumentId dated otherwise than PromulgationDate
  sdk_status    the SDK status sample: the status fields in edXMLHeader/MessageHeader
  bkav_status   Bkav eDoc's MessageStatus: the fields in edXMLHeader/Status
  java_package  a Java builder: a UUID MessageHeader/DocumentId, data in Value
  csharp_status a C# client: `dd/MM/yyyy HH:mm:ss` timestamps, the message in a SOAP envelope
  go_package    TypeScript/Go struct builders: the namespace redeclared as the default on
                every element, the manifest naming a part `<id>` and the attachment `cid:id`
"""

from __future__ import annotations

import base64
import io
import uuid
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from lxml import etree

from egov.exchange import edxml
from egov.exchange.edxml import NS, EdxmlDocument, StatusMessage

DS_NS = "http://www.w3.org/2000/09/xmldsig#"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"

DAY_FIRST = "%d/%m/%Y"
YEAR_FIRST = "%Y/%m/%d"
STAMP_YEAR_FIRST = "%Y/%m/%d %H:%M:%S"
STAMP_DAY_FIRST = "%d/%m/%Y %H:%M:%S"


class PeerSigner:
    """An agency on another platform holding a certificate from our test CA."""

    def __init__(self, hierarchy: Any, organ: edxml.Organ) -> None:
        from egov.signing import ca

        self.organ = organ
        self.material = ca.issue_certificate(
            hierarchy.intermediate,
            common_name=organ.organ_name,
            organisation=organ.organ_name,
            kind="organisation",
        )

    def sign(self, root: Any, *, default_ns: bool = False) -> Any:
        """Enveloped XML-DSig over the whole document. A `ds:Signature Id="placeholder"` in
        `root` says where it goes (else: last child of the root)."""
        from signxml import CanonicalizationMethod, DigestAlgorithm, SignatureMethod, XMLSigner

        from egov.signing import keystore

        signer = XMLSigner(
            signature_algorithm=SignatureMethod.ECDSA_SHA256,
            digest_algorithm=DigestAlgorithm.SHA256,
            # exclusive c14n, as the SDK sample: SignedInfo's canonical form does not take in
            # the edXML namespaces declared above the Signature, wherever it sits
            c14n_algorithm=EXC_C14N if default_ns else CanonicalizationMethod.CANONICAL_XML_1_1,
        )
        if default_ns:
            signer.namespaces = {None: DS_NS}
        chain = [keystore.to_pem(self.material.certificate)] + [
            keystore.to_pem(c) for c in self.material.chain
        ]
        return signer.sign(root, key=self.material.private_key, cert=chain)


def _to_bytes(root: Any) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


# ---------------------------------------------------------------------------------------------
# Packages
# ---------------------------------------------------------------------------------------------


def zip_one(name: str, data: bytes) -> bytes:
    """One file in a zip, as the SDK sender packs each attachment."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return out.getvalue()


class _Writer:
    """Writes the elements of a package in the order and forms one sender uses."""

    def __init__(
        self,
        *,
        date_format: str,
        stamp_format: str,
        q: Callable[[str], str] = lambda tag: f"{{{NS}}}{tag}",
        child_nsmap: dict[str | None, str] | None = None,
    ) -> None:
        self.date_format = date_format
        self.stamp_format = stamp_format
        self.q = q
        self.child_nsmap = child_nsmap  # Go: every element redeclares its namespace

    def el(self, parent: Any, tag: str, text: str | None = None, **attrib: str) -> Any:
        node = etree.SubElement(parent, self.q(tag), attrib, nsmap=self.child_nsmap)
        if text is not None:
            node.text = text
        return node

    def day(self, value: date | None) -> str:
        return value.strftime(self.date_format) if value else ""

    def organ(self, parent: Any, tag: str, organ: edxml.Organ) -> None:
        node = self.el(parent, tag)
        self.el(node, "OrganId", organ.organ_id)
        self.el(node, "OrganizationInCharge", organ.organization_in_charge)
        self.el(node, "OrganName", organ.organ_name)
        for name, value in (
            ("OrganAdd", organ.organ_add),
            ("Email", organ.email),
            ("Telephone", organ.telephone),
            ("Fax", organ.fax),
            ("Website", organ.website),
        ):
            self.el(node, name, value)

    def message_header(self, header: Any, doc: EdxmlDocument, document_id: str) -> None:
        message = self.el(header, "MessageHeader")
        self.organ(message, "From", doc.sender)
        for organ in doc.recipients:
            self.organ(message, "To", organ)
        self.el(message, "DocumentId", document_id)
        code = self.el(message, "Code")
        self.el(code, "CodeNumber", doc.code_number)
        self.el(code, "CodeNotation", doc.code_notation)
        info = self.el(message, "PromulgationInfo")
        self.el(info, "Place", doc.promulgation_place)
        self.el(info, "PromulgationDate", self.day(doc.promulgation_date))
        kind = self.el(message, "DocumentType")
        self.el(kind, "Type", str(doc.document_type))
        self.el(kind, "TypeDetail", doc.type_detail or "0")
        self.el(kind, "TypeName", doc.document_type_name)
        self.el(message, "Subject", doc.subject)
        self.el(message, "Content", doc.content)
        signer = self.el(message, "SignerInfo")
        self.el(signer, "Competence", doc.signer.competence)
        self.el(signer, "Position", doc.signer.position)
        self.el(signer, "FullName", doc.signer.full_name)
        self.el(message, "DueDate", self.day(doc.due_date))
        other = self.el(message, "OtherInfo")
        self.el(other, "Priority", str(doc.priority))
        self.el(other, "SphereOfPromulgation", doc.sphere_of_promulgation)
        self.el(other, "TyperNotation", doc.typer_notation)
        self.el(other, "PromulgationAmount", str(doc.promulgation_amount))
        self.el(other, "PageAmount", str(doc.page_amount))
        self.el(other, "Direction", "false")
        appendixes = self.el(other, "Appendixes")
        for text in doc.appendixes or [""]:  # the SDK writes one empty Appendix when none
            self.el(appendixes, "Appendix", text or None)
        self.el(message, "SteeringType", str(doc.steering_type))
        places = self.el(message, "ToPlaces")
        for place in doc.to_places:
            self.el(places, "Place", place)

    def trace(self, header: Any, doc: EdxmlDocument, *, business_document_id: str) -> None:
        traces = self.el(header, "TraceHeaderList")
        for trace in doc.trace or [edxml.TraceHeader(doc.sender.organ_id, datetime(2026, 3, 2))]:
            node = self.el(traces, "TraceHeader")
            self.el(node, "OrganId", trace.organ_id)
            self.el(node, "Timestamp", trace.timestamp.strftime(self.stamp_format))
        business = self.el(traces, "Bussiness")
        if business_document_id:
            self.el(business, "DocumentId", business_document_id)
        self.el(business, "BussinessDocType", str(int(doc.business_doc_type)))
        self.el(business, "BussinessDocReason", doc.business_doc_reason)
        self.el(business, "Paper", str(doc.paper))
        if doc.business_info is not None:
            info = self.el(business, "BussinessDocumentInfo")
            self.el(info, "DocumentInfo", str(doc.business_info.document_info))
            self.el(info, "DocumentReceiver", str(doc.business_info.document_receiver))
            receivers = self.el(info, "ReceiverList")
            for receiver in doc.business_info.receivers:
                node = self.el(receivers, "Receiver")
                self.el(node, "OrganId", receiver.organ_id)
                self.el(node, "ReceiverType", str(receiver.receiver_type))
        staff = self.el(business, "StaffInfo")
        self.el(staff, "Department", doc.business_staff.department)
        self.el(staff, "Staff", doc.business_staff.staff)
        self.el(staff, "Email", doc.business_staff.email)
        self.el(staff, "Mobile", doc.business_staff.mobile)


def _sdk_package(doc: EdxmlDocument, signer: PeerSigner, *, document_id: str) -> bytes:
    writer = _Writer(date_format=DAY_FIRST, stamp_format=STAMP_YEAR_FIRST)
    root = etree.Element(f"{{{NS}}}edXML", nsmap={None: NS})
    envelope = etree.SubElement(root, f"{{{NS}}}edXMLEnvelope", nsmap={"edXML": NS})
    header = writer.el(envelope, "edXMLHeader")
    writer.message_header(header, doc, document_id)
    writer.trace(header, doc, business_document_id=document_id)
    etree.SubElement(header, f"{{{DS_NS}}}Signature", Id="placeholder", nsmap={None: DS_NS})
    body = writer.el(envelope, "edXMLBody")
    manifest = writer.el(body, "edXMLManifest", version="1.0")
    encoded = writer.el(root, "AttachmentEncoded")
    for index, attachment in enumerate(doc.attachments, start=1):
        content_id = f"cid:{200 + index}"
        reference = writer.el(manifest, "Reference")
        writer.el(reference, "ContentId", content_id)
        writer.el(reference, "ContentType", "application/zip")
        writer.el(reference, "Description", attachment.name)
        writer.el(reference, "AttachmentName", attachment.name)
        item = writer.el(encoded, "Attachment")
        writer.el(item, "ContentId", content_id)
        writer.el(item, "AttachmentName", attachment.name)
        writer.el(item, "Description", attachment.name)
        writer.el(item, "ContentType", "application/zip")
        data = etree.SubElement(item, f"{{{NS}}}ContentTransferEncoded", nsmap={"edXML": NS})
        data.text = base64.b64encode(zip_one(attachment.name, attachment.data)).decode()
    signed = signer.sign(root, default_ns=True)
    raw = _to_bytes(signed)
    # The Java side re-serializes the signed tree without the Signature's own xmlns: the
    # unprefixed Signature then falls into the root's default namespace, edXML's.
    declared = f'<Signature xmlns="{DS_NS}">'.encode()
    assert raw.count(declared) == 1, raw[raw.find(b"Signature") - 100 :][:400]
    return raw.replace(declared, b"<Signature>")


def sdk_new(doc: EdxmlDocument, signer: PeerSigner) -> bytes:
    """Shape a: edoc_new.edxml (see the module docstring)."""
    return _sdk_package(doc, signer, document_id=doc.document_id)


def sdk_update(doc: EdxmlDocument, signer: PeerSigner, *, document_id: str) -> bytes:
    """Shape b: edoc_update.edxml; `document_id` dated otherwise than PromulgationDate."""
    assert doc.business_doc_type == edxml.BusinessDocType.UPDATE and doc.business_info
    return _sdk_package(doc, signer, document_id=document_id)


def java_package(doc: EdxmlDocument, signer: PeerSigner, *, document_id: str) -> bytes:
    """Shape e: a Java builder: `edXML:` everywhere, a UUID DocumentId, year-first dates,
    "base64" in ContentTransferEncoded and the data in Value, ds:Signature last in the root."""
    assert edxml.is_uuid(document_id)
    writer = _Writer(date_format=YEAR_FIRST, stamp_format=STAMP_YEAR_FIRST)
    root = etree.Element(f"{{{NS}}}edXML", nsmap={"edXML": NS})
    envelope = writer.el(root, "edXMLEnvelope")
    header = writer.el(envelope, "edXMLHeader")
    writer.message_header(header, doc, document_id)
    writer.trace(header, doc, business_document_id="")
    manifest = writer.el(writer.el(envelope, "edXMLBody"), "edXMLManifest")
    encoded = writer.el(root, "AttachmentEncoded")
    for attachment in doc.attachments:
        content_id = str(uuid.uuid4())
        reference = writer.el(manifest, "Reference")
        writer.el(reference, "ContentId", content_id)
        writer.el(reference, "ContentType", attachment.content_type)
        writer.el(reference, "Description", attachment.description)
        writer.el(reference, "AttachmentName", attachment.name)
        item = writer.el(encoded, "Attachment")
        writer.el(item, "ContentId", content_id)
        writer.el(item, "AttachmentName", attachment.name)
        writer.el(item, "ContentType", attachment.content_type)
        writer.el(item, "ContentTransferEncoded", "base64")
        writer.el(item, "Value", base64.b64encode(attachment.data).decode())
    return _to_bytes(signer.sign(root))


def go_package(doc: EdxmlDocument, signer: PeerSigner) -> bytes:
    """Shape g: a struct-tag builder (Go encoding/xml, TypeScript object-to-XML): no prefix,
    the namespace redeclared as the default on every element, the manifest ContentId as a
    message id `<n@peer>` and the attachment's as a URL `cid:n@peer`."""
    writer = _Writer(date_format=YEAR_FIRST, stamp_format=STAMP_YEAR_FIRST, child_nsmap={None: NS})
    root = etree.Element(f"{{{NS}}}edXML", nsmap={None: NS})
    envelope = writer.el(root, "edXMLEnvelope")
    header = writer.el(envelope, "edXMLHeader")
    writer.message_header(header, doc, doc.document_id)
    writer.trace(header, doc, business_document_id="")
    manifest = writer.el(writer.el(envelope, "edXMLBody"), "edXMLManifest")
    encoded = writer.el(root, "AttachmentEncoded")
    for index, attachment in enumerate(doc.attachments, start=1):
        part = f"{index}@{doc.sender.organ_id}"
        reference = writer.el(manifest, "Reference")
        writer.el(reference, "ContentId", f"<{part}>")
        writer.el(reference, "ContentType", attachment.content_type)
        writer.el(reference, "Description", attachment.description)
        writer.el(reference, "AttachmentName", attachment.name)
        item = writer.el(encoded, "Attachment")
        writer.el(item, "ContentId", f"cid:{part}")
        writer.el(item, "AttachmentName", attachment.name)
        writer.el(item, "ContentType", attachment.content_type)
        writer.el(item, "ContentTransferEncoded", "base64")
        writer.el(item, "Value", base64.b64encode(attachment.data).decode())
    return _to_bytes(signer.sign(root))


# ---------------------------------------------------------------------------------------------
# Status messages
# ---------------------------------------------------------------------------------------------


def _status_fields(
    writer: _Writer,
    parent: Any,
    message: StatusMessage,
    *,
    response: edxml.ResponseFor,
    with_to: bool = False,
) -> None:
    """From, ResponseFor, StaffInfo, StatusCode, Description, Timestamp: the order both the
    SDK sample and Bkav's MessageStatus write (neither writes a To)."""
    writer.organ(parent, "From", message.sender)
    if with_to:
        to = writer.el(parent, "To")
        writer.el(to, "OrganId", message.to_organ_id)
    answer = writer.el(parent, "ResponseFor")
    writer.el(answer, "OrganId", response.organ_id)
    writer.el(answer, "Code", response.code)
    writer.el(answer, "PromulgationDate", response.promulgation_date.strftime(YEAR_FIRST))
    writer.el(answer, "DocumentId", response.document_id)
    staff = writer.el(parent, "StaffInfo")
    writer.el(staff, "Department", message.staff.department)
    writer.el(staff, "Staff", message.staff.staff)
    writer.el(staff, "Mobile", message.staff.mobile)
    writer.el(staff, "Email", message.staff.email)
    writer.el(parent, "StatusCode", message.status_code)
    writer.el(parent, "Description", message.description)
    writer.el(parent, "Timestamp", message.timestamp.strftime(writer.stamp_format))


def _status_root(
    message: StatusMessage, response: edxml.ResponseFor, *, layout: str, stamp_format: str
) -> Any:
    writer = _Writer(date_format=YEAR_FIRST, stamp_format=stamp_format)
    root = etree.Element(f"{{{NS}}}edXML", nsmap={None: NS})
    envelope = etree.SubElement(root, f"{{{NS}}}edXMLEnvelope", nsmap={"edXML": NS})
    header = writer.el(envelope, "edXMLHeader")
    _status_fields(writer, writer.el(header, layout), message, response=response)
    return root


def java_status(
    message: StatusMessage, signer: PeerSigner, response: edxml.ResponseFor | None = None
) -> bytes:
    """Shape e's status: the Java builder's Status, `edXML:` everywhere, with a To naming
    the agency it is for, ResponseFor naming the document by the UUID the builder gave it,
    ds:Signature last in the root."""
    writer = _Writer(date_format=YEAR_FIRST, stamp_format=STAMP_YEAR_FIRST)
    root = etree.Element(f"{{{NS}}}edXML", nsmap={"edXML": NS})
    header = writer.el(writer.el(root, "edXMLEnvelope"), "edXMLHeader")
    status = writer.el(header, "Status")
    _status_fields(writer, status, message, response=response or message.response_for, with_to=True)
    return _to_bytes(signer.sign(root))


def sdk_status(
    message: StatusMessage, signer: PeerSigner, response: edxml.ResponseFor | None = None
) -> bytes:
    """Shape c: status_processing_05.edxml: the fields in edXMLHeader/MessageHeader; signed
    like the SDK's packages (Signature in the edXML namespace, inside edXMLHeader)."""
    root = _status_root(
        message,
        response or message.response_for,
        layout="MessageHeader",
        stamp_format=STAMP_YEAR_FIRST,
    )
    header = root[0][0]
    etree.SubElement(header, f"{{{DS_NS}}}Signature", Id="placeholder", nsmap={None: DS_NS})
    raw = _to_bytes(signer.sign(root, default_ns=True))
    declared = f'<Signature xmlns="{DS_NS}">'.encode()
    assert raw.count(declared) == 1
    return raw.replace(declared, b"<Signature>")


def bkav_status(
    message: StatusMessage, signer: PeerSigner, response: edxml.ResponseFor | None = None
) -> bytes:
    """Shape d: Bkav eDoc's MessageStatus: the fields in edXMLHeader/Status, a ds:Signature
    inside edXMLHeader after it."""
    root = _status_root(
        message, response or message.response_for, layout="Status", stamp_format=STAMP_YEAR_FIRST
    )
    etree.SubElement(root[0][0], f"{{{DS_NS}}}Signature", Id="placeholder", nsmap={"ds": DS_NS})
    return _to_bytes(signer.sign(root))


def csharp_status(
    message: StatusMessage, signer: PeerSigner, response: edxml.ResponseFor | None = None
) -> bytes:
    """Shape f: a C# client: the Status with `dd/MM/yyyy HH:mm:ss` timestamps, signed as a
    document (SignedXml, enveloped, last in the root), then put in a SOAP 1.1 Body."""
    root = _status_root(
        message, response or message.response_for, layout="Status", stamp_format=STAMP_DAY_FIRST
    )
    signed = etree.tostring(signer.sign(root), encoding="UTF-8")  # no XML declaration
    # The signed document's text goes into the Body as it is (its OuterXml). Not by moving the
    # element into an lxml SOAP tree: lxml reconciles the moved namespaces and rewrites the
    # envelope's `edXML:` prefix, which is no longer what was signed.
    return (
        (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="{SOAP_NS}">'
            "<soap:Header/><soap:Body>"
        ).encode()
        + signed
        + b"</soap:Body></soap:Envelope>"
    )
