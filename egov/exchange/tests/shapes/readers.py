"""Their readers: what a deployed reader would see in bytes we send, as a dict of fields.

Written by us from what those readers read (not their code):

- `bkav_document`: Bkav eDoc's package reader, used by the SDK and Bkav peers. It takes the
  root's child edXMLEnvelope in the edXML namespace, then everything below by *local name*
  (any prefix, any namespace): MessageHeader fields, PromulgationDate and DueDate as
  `yyyy/MM/dd`, TraceHeader Timestamp as `yyyy/MM/dd HH:mm:ss`, Bussiness (DocumentId,
  Bussiness/BusinessDocType, BussinessDocumentInfo), a `Signature` by local name among
  edXMLHeader's children. Attachments: the root's child `AttachmentEncoded` (local name), each
  Attachment's bytes are base64 of `ContentTransferEncoded` (it never reads Value); with
  ContentType application/zip and a name whose extension is not zip, the first entry of the
  zip is the file. `cid:` is stripped from ContentIds.
- `bkav_status`: Bkav's MessageStatus reader: edXMLHeader/`Status` by local name.
- `sdk_status`: the SDK's processing status: edXMLHeader/`MessageHeader` holding the status.
- `qcvn_document`: a namespace-strict reader of the letter of QCVN 102 (Go encoding/xml or a
  schema-bound reader): elements matched by namespace and local name, data in Value.
"""

from __future__ import annotations

import base64
import io
import zipfile
from datetime import date, datetime
from typing import Any

from lxml import etree

from egov.exchange.edxml import NS

UNREADABLE = "<unreadable>"


def _local(element: Any) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _child(parent: Any, name: str) -> Any:
    if parent is None:
        return None
    for child in parent:
        if _local(child) == name:
            return child
    return None


def _children(parent: Any, name: str) -> list[Any]:
    return [c for c in parent if _local(c) == name] if parent is not None else []


def _text(parent: Any, name: str) -> str | None:
    node = _child(parent, name)
    return None if node is None else (node.text or "")


def _date(text: str | None) -> date | str | None:
    if not text:
        return None
    try:
        return datetime.strptime(text.strip(), "%Y/%m/%d").date()
    except ValueError:
        return f"{UNREADABLE} {text}"  # SimpleDateFormat("yyyy/MM/dd") gets it wrong


def _stamp(text: str | None) -> datetime | str | None:
    if not text:
        return None
    try:
        return datetime.strptime(text.strip(), "%Y/%m/%d %H:%M:%S")
    except ValueError:
        return f"{UNREADABLE} {text}"


def _resolve_cid(value: str | None) -> str:
    value = value or ""
    return value[4:] if value.startswith("cid:") else value


def _header(root: Any) -> Any:
    envelope = root.find(f"{{{NS}}}edXMLEnvelope")
    return _child(envelope, "edXMLHeader")


def _organ(node: Any) -> dict[str, str | None]:
    return {"organ_id": _text(node, "OrganId"), "organ_name": _text(node, "OrganName")}


def _staff(node: Any) -> dict[str, str | None]:
    return {k: _text(node, k) for k in ("Department", "Staff", "Mobile", "Email")}


def _parse(raw: bytes) -> Any:
    return etree.fromstring(raw, etree.XMLParser(resolve_entities=False, huge_tree=True))


def bkav_document(raw: bytes) -> dict[str, Any]:
    root = _parse(raw)
    header = _header(root)
    message = _child(header, "MessageHeader")
    code = _child(message, "Code")
    info = _child(message, "PromulgationInfo")
    signer = _child(message, "SignerInfo")
    traces = _child(header, "TraceHeaderList")
    business = _child(traces, "Bussiness")
    # lxml elements are falsy when childless: choose by `is None`, never with `or`
    business_info = _child(business, "BussinessDocumentInfo")
    if business_info is None:
        business_info = _child(business, "BusinessDocumentInfo")
    doc_type = _text(business, "BussinessDocType") or _text(business, "BusinessDocType")
    attachments = []
    for item in _children(_child(root, "AttachmentEncoded"), "Attachment"):
        name = _text(item, "AttachmentName") or ""
        content_type = _text(item, "ContentType") or ""
        try:
            data = base64.b64decode(_text(item, "ContentTransferEncoded") or "", validate=True)
        except ValueError:
            data = UNREADABLE.encode()
        if content_type == "application/zip" and not name.lower().endswith(".zip"):
            try:
                with zipfile.ZipFile(io.BytesIO(data)) as archive:
                    data = archive.read(archive.namelist()[0])
            except (zipfile.BadZipFile, IndexError):
                data = UNREADABLE.encode()
        attachments.append((_resolve_cid(_text(item, "ContentId")), name, data))
    return {
        "document_id": _text(message, "DocumentId"),
        "from": _organ(_child(message, "From")),
        "to": [_organ(node) for node in _children(message, "To")],
        "code_number": _text(code, "CodeNumber"),
        "code_notation": _text(code, "CodeNotation"),
        "place": _text(info, "Place"),
        "promulgation_date": _date(_text(info, "PromulgationDate")),
        "type_name": _text(_child(message, "DocumentType"), "TypeName"),
        "subject": _text(message, "Subject"),
        "content": _text(message, "Content"),
        "signer": (
            _text(signer, "Competence"),
            _text(signer, "Position"),
            _text(signer, "FullName"),
        ),
        "due_date": _date(_text(message, "DueDate")),
        "trace": [
            (_text(t, "OrganId"), _stamp(_text(t, "Timestamp")))
            for t in _children(traces, "TraceHeader")
        ],
        "business_doc_type": int(doc_type) if doc_type and doc_type.isdigit() else doc_type,
        "business_reason": _text(business, "BussinessDocReason")
        or _text(business, "BusinessDocReason"),
        "business_info": None
        if business_info is None
        else {
            "document_info": _text(business_info, "DocumentInfo"),
            "document_receiver": _text(business_info, "DocumentReceiver"),
            "receivers": [
                (_text(r, "OrganId"), _text(r, "ReceiverType"))
                for r in _children(_child(business_info, "ReceiverList"), "Receiver")
            ],
        },
        "has_signature": _child(header, "Signature") is not None,
        "manifest": [
            (_resolve_cid(_text(r, "ContentId")), _text(r, "AttachmentName"))
            for r in _children(
                _child(_child(root.find(f"{{{NS}}}edXMLEnvelope"), "edXMLBody"), "edXMLManifest"),
                "Reference",
            )
        ],
        "attachments": attachments,
    }


def _status_fields(node: Any) -> dict[str, Any]:
    answer = _child(node, "ResponseFor")
    return {
        "from": _organ(_child(node, "From")),
        "response_for": None
        if answer is None
        else {
            "organ_id": _text(answer, "OrganId"),
            "code": _text(answer, "Code"),
            "promulgation_date": _date(_text(answer, "PromulgationDate")),
            "document_id": _text(answer, "DocumentId"),
        },
        "staff": _staff(_child(node, "StaffInfo")),
        "status_code": (_text(node, "StatusCode") or "").strip() or None,
        "description": _text(node, "Description"),
        "timestamp": _stamp(_text(node, "Timestamp")),
    }


def bkav_status(raw: bytes) -> dict[str, Any] | None:
    """None when there is no `Status` (what Bkav's reader returns then)."""
    node = _child(_header(_parse(raw)), "Status")
    return None if node is None else _status_fields(node)


def sdk_status(raw: bytes) -> dict[str, Any] | None:
    """None when edXMLHeader/MessageHeader carries no StatusCode."""
    node = _child(_header(_parse(raw)), "MessageHeader")
    if node is None or _child(node, "StatusCode") is None:
        return None
    return _status_fields(node)


def qcvn_document(raw: bytes) -> dict[str, Any]:
    """Namespace-strict: every element must be {edXML namespace}name; data in Value."""
    root = _parse(raw)
    ns = {"e": NS}

    def text(path: str) -> str | None:
        node = root.find(path, ns)
        return None if node is None else (node.text or "")

    message = "e:edXMLEnvelope/e:edXMLHeader/e:MessageHeader"
    attachments = []
    for item in root.findall("e:AttachmentEncoded/e:Attachment", ns):
        value = item.find("e:Value", ns)
        attachments.append(
            (
                (item.findtext("e:ContentId", "", ns)),
                item.findtext("e:AttachmentName", "", ns),
                base64.b64decode((value.text or "") if value is not None else ""),
            )
        )
    doc_type = text(
        "e:edXMLEnvelope/e:edXMLHeader/e:TraceHeaderList/e:Bussiness/e:BussinessDocType"
    )
    return {
        "document_id": text(f"{message}/e:DocumentId"),
        "from": {"organ_id": text(f"{message}/e:From/e:OrganId")},
        "code_number": text(f"{message}/e:Code/e:CodeNumber"),
        "code_notation": text(f"{message}/e:Code/e:CodeNotation"),
        "promulgation_date": _date(text(f"{message}/e:PromulgationInfo/e:PromulgationDate")),
        "subject": text(f"{message}/e:Subject"),
        "business_doc_type": int(doc_type) if doc_type and doc_type.isdigit() else doc_type,
        "attachments": attachments,
    }
