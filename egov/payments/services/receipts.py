"""The electronic receipt (biên lai điện tử) of a paid payment: numbered per template, series
and year from the kernel's gap-free counter, printed as a PDF sealed (PAdES) with the collecting
agency's organisation certificate, and as an XML document with an enveloped XML signature by the
same key. Both files are kept under MEDIA with their SHA-256, and the event
`payment.receipt_issued` records the number and both digests.

`issue(payment_code)` runs from the outbox (topic RECEIPT_TOPIC, queued by settle.py in the
settling transaction) and is idempotent: the payment row is locked for the whole issue and a
payment has one receipt (Receipt.payment is one-to-one), so a repeated or concurrent delivery
returns the receipt already made. When the agency cannot issue (no collector set up, no usable
seal certificate) the issue fails with a logged error and changes nothing: the outbox message
stays and is retried with backoff; after its last attempt it is "dead" in the operators' outbox
list (/quan-tri/events/outboxmessage/?topic__exact=payment_receipt&status__exact=dead; the
retrying ones have status "failed" and the reason in "last error"), from where an operator sends
it again ("retry dead messages") once the certificate is in place.

LEGAL_BASIS (what the printed fields follow; see RECEIPT_FIELDS, the list kept as data):
- Decree 123/2020/NĐ-CP on invoices and documents, Article 32 (content of receipts for taxes,
  fees and charges): the receipt's name, the template symbol and the receipt symbol (ký hiệu mẫu
  biên lai, ký hiệu biên lai), the receipt number, the collecting organisation's name and tax
  code, the kind of fee or charge and the amount, the date of issue, and the collector's
  signature (an electronic receipt: the organisation's digital signature). Recalled from the
  decree's text, not re-read here: unverified against the official gazette.
- Circular 78/2021/TT-BTC (guidance on e-invoices and documents): the XML data format of
  e-invoices (abbreviated Vietnamese tags: HDon/DLHDon/TTChung/NDHDon/NBan/NMua/DSHHDVu/TToan,
  signatures under DSCKS). No published schema for fee receipts could be found: the XML here is
  modelled on the e-invoice one and is unverified (receipt_xml).
- Decree 70/2025/NĐ-CP (amending Decree 123/2020, in force 1 June 2025): what it changed for
  receipts could not be checked — the search corpora hold no text of it. Unverified; the field
  list below is data, so a change it made is one edit of RECEIPT_FIELDS.
- Platform additions (not required by the texts above, commonly printed by e-receipt systems):
  the payer's name, address and identity number, the payment method and transaction id, the
  dossier code and procedure, the amount in words, the signer's certificate, a lookup code to
  verify the receipt online.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from egov.cases import TransitionRefused, perform
from egov.core.actors import SYSTEM
from egov.core.counters import next_value
from egov.core.errors import Conflict, DomainError
from egov.core.numbers import NumberFormat, amount_in_words
from egov.core.pdfrender import render_pdf
from egov.dossiers.fees import KIND_LABELS
from egov.dossiers.models import Dossier
from egov.dossiers.pdf import qr_data_uri, register_receipt_reference
from egov.events.models import OutboxMessage
from egov.events.services import DeliveryError, PermanentDeliveryError, register_deliverer

from .. import event_types as E
from .. import providers
from ..cases import PAYMENT
from ..error_codes import PaymentErrorCode as Code
from ..models import (
    LOOKUP_LENGTH,
    Collector,
    Payment,
    Receipt,
    ReceiptCounter,
    ReceiptStatus,
    new_lookup_code,
)
from .settle import RECEIPT_TOPIC

logger = logging.getLogger("egov.payments.receipts")

RECEIPT_NAME = "BIÊN LAI THU PHÍ, LỆ PHÍ"
NUMBER_DIGITS = 7
LEGAL_BASIS = (
    "Nghị định 123/2020/NĐ-CP, Điều 32 (nội dung biên lai)",
    "Thông tư 78/2021/TT-BTC (định dạng dữ liệu hóa đơn, chứng từ điện tử)",
    "Nghị định 70/2025/NĐ-CP sửa đổi, bổ sung Nghị định 123/2020/NĐ-CP (chưa đối chiếu)",
)
# Every printed field, in order, with its label: the PDF, the page and the API read this list,
# so a field the law adds or renames is changed here (key: a path in Receipt.fields).
RECEIPT_FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "Tên biên lai"),
    ("template", "Ký hiệu mẫu biên lai"),
    ("series", "Ký hiệu biên lai"),
    ("number", "Số biên lai"),
    ("date", "Ngày lập"),
    ("collector.name", "Tổ chức thu phí, lệ phí"),
    ("collector.tax_code", "Mã số thuế"),
    ("collector.address", "Địa chỉ"),
    ("payer.name", "Người nộp"),
    ("payer.address", "Địa chỉ người nộp"),
    ("payer.id_number", "Số định danh cá nhân / mã số thuế"),
    ("lines", "Các khoản thu"),
    ("total", "Tổng số tiền (đồng)"),
    ("total_words", "Số tiền bằng chữ"),
    ("method.label", "Hình thức thanh toán"),
    ("method.transaction", "Mã giao dịch"),
    ("dossier.code", "Mã hồ sơ"),
    ("dossier.procedure", "Thủ tục hành chính"),
    ("signer.subject", "Người ký (chứng thư số của tổ chức thu)"),
    ("lookup_code", "Mã tra cứu"),
)
# Payment methods whose provider plugin is not loaded in this process (switched off since).
METHOD_LABELS = {
    "national": "Nền tảng thanh toán trực tuyến (Cổng Dịch vụ công quốc gia)",
    "vietqr": "Chuyển khoản ngân hàng (VietQR)",
    "cash": "Tiền mặt tại Bộ phận Một cửa",
}


class ReceiptNotIssued(Conflict):
    """The agency cannot issue receipts now (no collector, no usable seal): nothing changed."""

    code = Code.COLLECTOR_NOT_CONFIGURED


class _AlreadyIssued(Exception):
    """Another delivery issued it while this one waited for the payment's lock."""


# --- helpers -----------------------------------------------------------------------------------


def number_text(number: int) -> str:
    return f"{number:0{NUMBER_DIGITS}d}"


def receipt_label(receipt: Receipt) -> str:
    """ "TP-26E 0000001": how the event log and form 01 name a receipt."""
    return f"{receipt.series} {number_text(receipt.number)}"


def download_name(receipt: Receipt, extension: str) -> str:
    return f"bien-lai-{safe_name(receipt.series)}-{number_text(receipt.number)}.{extension}"


def normalise_lookup_code(text: str) -> str:
    """What a person typed (dashes, spaces, lower case) as stored."""
    return re.sub(r"[\s\-.]", "", text or "").upper()[: LOOKUP_LENGTH + 4]


def lookup_code_text(code: str) -> str:
    """ "ABCD-EFGH-JKMN": groups of four, as printed."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def lookup_url(code: str) -> str:
    base = str(getattr(settings, "PAYMENT_PUBLIC_URL", "") or "").rstrip("/")
    return f"{base}{reverse('payments:receipt_lookup')}?ma={lookup_code_text(code)}"


def method_label(provider: str) -> str:
    plugin = providers.get(provider)
    return str(plugin.label) if plugin is not None else METHOD_LABELS.get(provider, provider)


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-") or "bien-lai"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _collector(payment: Payment) -> Collector:
    collector = Collector.objects.filter(agency_id=payment.agency_id).first()
    if collector is None or not (collector.receipt_template and collector.receipt_series):
        raise ReceiptNotIssued(
            f"Cơ quan {payment.agency.name} chưa khai báo đơn vị thu phí, lệ phí (ký hiệu mẫu "
            "biên lai, ký hiệu biên lai, mã số thuế): chưa lập được biên lai."
        )
    return collector


def seal_of(payment: Payment) -> Any:
    """The agency's usable organisation certificate (a PKCS#12 key: the XML is signed too)."""
    from egov.signing.error_codes import SigningErrorCode
    from egov.signing.errors import SigningError
    from egov.signing.models import SigningIdentity
    from egov.signing.services import identity_for_agency

    try:
        identity = identity_for_agency(payment.agency)
    except SigningError as exc:
        raise ReceiptNotIssued(
            f"Không lập được biên lai: {exc.message} Cần chứng thư số (con dấu điện tử) của "
            f"cơ quan {payment.agency.name} để ký biên lai.",
            code=exc.code,
        ) from exc
    if identity.kind != SigningIdentity.Kind.PKCS12:
        raise ReceiptNotIssued(
            "Biên lai điện tử (PDF và XML) cần chứng thư số PKCS#12 của cơ quan; chứng thư trên "
            "thiết bị (PKCS#11) chưa ký được tệp XML của biên lai.",
            code=SigningErrorCode.XML_PKCS11_UNSUPPORTED,
        )
    return identity


# --- the printed fields ------------------------------------------------------------------------


def _lines(payment: Payment) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for n, line in enumerate(payment.lines or [], start=1):
        quantity = int(line.get("quantity") or 1)
        unit_amount = int(line.get("amount") or 0)
        total = int(line.get("total", unit_amount * quantity))
        kind = str(line.get("kind", ""))
        rows.append(
            {
                "no": n,
                "name": str(line.get("name", "")),
                "kind": kind,
                "kind_label": str(KIND_LABELS.get(kind, "")),
                "quantity": quantity,
                "unit": str(line.get("unit", "")),
                "unit_amount": unit_amount,
                "amount": total,
            }
        )
    if sum(r["amount"] for r in rows) != payment.amount:
        # Lines from before they were kept, or a requested amount: one line with what was paid.
        rows = [
            {
                "no": 1,
                "name": f"Phí, lệ phí hồ sơ {payment.dossier.code}",
                "kind": "",
                "kind_label": "Phí, lệ phí",
                "quantity": 1,
                "unit": "",
                "unit_amount": payment.amount,
                "amount": payment.amount,
            }
        ]
    return rows


def _local_date(moment: datetime) -> str:
    return timezone.localtime(moment).date().isoformat()


def _common_name(seal: Any) -> str:
    from egov.signing import keystore

    return str(keystore.common_name(keystore.load_pem_certificates(seal.certificate_pem)[0]))


def receipt_fields(
    payment: Payment,
    collector: Collector,
    *,
    number: int,
    issued_at: datetime,
    lookup_code: str,
    seal: Any,
) -> dict[str, Any]:
    """Everything the receipt prints (kept as issued on Receipt.fields)."""
    dossier = payment.dossier
    attempt = payment.settled_attempt
    provider = payment.paid_provider or (attempt.provider if attempt else "")
    return {
        "name": RECEIPT_NAME,
        "template": collector.receipt_template,
        "series": collector.receipt_series,
        "number": number_text(number),
        "date": _local_date(issued_at),
        "issued_at": issued_at.isoformat(),
        "collector": {
            "name": collector.name,
            "tax_code": collector.tax_code,
            "address": collector.address,
        },
        "payer": {
            "name": dossier.applicant_name,
            "address": dossier.applicant_address,
            "id_number": dossier.applicant_id_number,
        },
        "lines": _lines(payment),
        "total": payment.amount,
        "total_words": amount_in_words(payment.amount),
        "currency": "VND",
        "method": {
            "provider": provider,
            "label": method_label(provider),
            "transaction": attempt.provider_transaction if attempt else "",
            "reference": attempt.reference if attempt else "",
            "paid_at": payment.paid_at.isoformat() if payment.paid_at else "",
        },
        "payment": payment.code,
        "dossier": {
            "code": dossier.code,
            "procedure_code": dossier.procedure.code,
            "procedure": dossier.procedure.name,
        },
        "signer": {
            "subject": _common_name(seal),
            "subject_dn": seal.subject,
            "issuer": seal.issuer,
            "serial": seal.serial_hex,
            "fingerprint": seal.fingerprint_sha256,
        },
        "lookup_code": lookup_code,
        "lookup_url": lookup_url(lookup_code),
        "legal_basis": list(LEGAL_BASIS),
    }


def field_rows(fields: dict[str, Any]) -> list[tuple[str, Any]]:
    """(label, value) of RECEIPT_FIELDS for a page (lines and the lookup code shown apart)."""
    rows = []
    for key, label in RECEIPT_FIELDS:
        if key in ("lines", "lookup_code"):
            continue
        value: Any = fields
        for part in key.split("."):
            value = value.get(part, "") if isinstance(value, dict) else ""
        if key == "total" and isinstance(value, int):
            value = NumberFormat().integer(value)
        rows.append((label, value))
    return rows


# --- the PDF -----------------------------------------------------------------------------------


def receipt_pdf(fields: dict[str, Any]) -> bytes:
    """The receipt printed (unsigned): WeasyPrint from payments/pdf/receipt.html."""
    issued = datetime.fromisoformat(fields["issued_at"])
    paid_at = fields["method"]["paid_at"]
    return render_pdf(
        "payments/pdf/receipt.html",
        {
            "f": fields,
            "issued": timezone.localtime(issued),
            "paid_at": timezone.localtime(datetime.fromisoformat(paid_at)) if paid_at else None,
            "lookup_code": lookup_code_text(fields["lookup_code"]),
            "qr": qr_data_uri(fields["lookup_url"]),
        },
    )


def seal_pdf(pdf: bytes, fields: dict[str, Any], seal: Any, at: datetime) -> bytes:
    from egov.signing.services import Appearance, sign_pdf

    return sign_pdf(
        pdf,
        identity=seal,
        role="agency",
        appearance=Appearance(
            title=fields["collector"]["name"],
            number_symbol=f"{fields['series']} {fields['number']}",
            signing_time=at,
            placement="corner",
            page=0,
            reason="Lập biên lai thu phí, lệ phí điện tử",
        ),
    )


# --- the XML -----------------------------------------------------------------------------------

DS_NS = "http://www.w3.org/2000/09/xmldsig#"
XML_VERSION = "1.0.0"


def _text(parent: Any, tag: str, value: Any) -> Any:
    element = etree.SubElement(parent, tag)
    element.text = "" if value is None else str(value)
    return element


def receipt_xml(fields: dict[str, Any]) -> Any:
    """The receipt as XML, modelled on the e-invoice data format of Circular 78/2021 (HDon →
    BLai: abbreviated Vietnamese tags, the data under DLBLai, the signatures under DSCKS). The
    schema the tax authority publishes for fee receipts was not available: tag names beyond
    the e-invoice ones (BLai, DLBLai, NDBLai, NThu, NNop, DSKThu/KThu, KHMSBLai, KHBLai, SBLai)
    are this platform's, unverified. Returns the unsigned root, a placeholder where the
    signature goes (DSCKS/NThu)."""
    root = etree.Element("BLai")
    data = etree.SubElement(root, "DLBLai", Id="DLBLai")
    general = etree.SubElement(data, "TTChung")
    _text(general, "PBan", XML_VERSION)
    _text(general, "THDon", fields["name"])  # tên loại (as THDon on invoices)
    _text(general, "KHMSBLai", fields["template"])
    _text(general, "KHBLai", fields["series"])
    _text(general, "SBLai", fields["number"])
    _text(general, "NLap", fields["date"])
    _text(general, "DVTTe", fields["currency"])
    _text(general, "HTTToan", fields["method"]["label"])
    _text(general, "MTCuu", fields["lookup_code"])
    content = etree.SubElement(data, "NDBLai")
    collector = etree.SubElement(content, "NThu")
    _text(collector, "Ten", fields["collector"]["name"])
    _text(collector, "MST", fields["collector"]["tax_code"])
    _text(collector, "DChi", fields["collector"]["address"])
    payer = etree.SubElement(content, "NNop")
    _text(payer, "Ten", fields["payer"]["name"])
    _text(payer, "DChi", fields["payer"]["address"])
    _text(payer, "CCCDan", fields["payer"]["id_number"])
    lines = etree.SubElement(content, "DSKThu")
    for line in fields["lines"]:
        item = etree.SubElement(lines, "KThu")
        _text(item, "STT", line["no"])
        _text(item, "Ten", line["name"])
        _text(item, "LKThu", line["kind_label"])
        _text(item, "DVTinh", line["unit"])
        _text(item, "SLuong", line["quantity"])
        _text(item, "DGia", line["unit_amount"])
        _text(item, "ThTien", line["amount"])
    total = etree.SubElement(content, "TToan")
    _text(total, "TgTTTBSo", fields["total"])
    _text(total, "TgTTTBChu", fields["total_words"])
    other = etree.SubElement(content, "TTKhac")
    for name, value in (
        ("MaHoSo", fields["dossier"]["code"]),
        ("MaTTHC", fields["dossier"]["procedure_code"]),
        ("TenTTHC", fields["dossier"]["procedure"]),
        ("MaThanhToan", fields["payment"]),
        ("MaThamChieu", fields["method"]["reference"]),
        ("MaGiaoDich", fields["method"]["transaction"]),
        ("ThoiDiemThanhToan", fields["method"]["paid_at"]),
    ):
        info = etree.SubElement(other, "TTin")
        _text(info, "TTruong", name)
        _text(info, "KDLieu", "string")
        _text(info, "DLieu", value)
    signatures = etree.SubElement(root, "DSCKS")
    signer = etree.SubElement(signatures, "NThu")
    etree.SubElement(signer, f"{{{DS_NS}}}Signature", nsmap={"ds": DS_NS}, Id="placeholder")
    return root


def signed_xml(fields: dict[str, Any], seal: Any) -> bytes:
    from egov.signing.services import sign_xml

    signed = sign_xml(receipt_xml(fields), identity=seal)
    return bytes(etree.tostring(signed, xml_declaration=True, encoding="UTF-8"))


# --- issuing -----------------------------------------------------------------------------------


def issue(payment_code: str, *, now: datetime | None = None) -> Receipt:
    """The payment's receipt, issued now unless it exists (then that one, unchanged).

    ReceiptNotIssued when the agency cannot issue (no collector, no usable seal); the kernel's
    TransitionRefused for a payment that is not paid; NotFoundError for an unknown payment."""
    existing = Receipt.objects.filter(payment__code=payment_code).first()
    if existing is not None:
        return existing
    stored: list[Any] = []
    try:
        with perform(PAYMENT, "issue_receipt", actor=SYSTEM, case=payment_code) as act:
            payment = act.case
            # Checked again under the payment's lock: a concurrent delivery may have issued it.
            if Receipt.objects.filter(payment=payment).exists():
                raise _AlreadyIssued
            receipt = _issue_locked(act, payment, now or timezone.now(), stored)
    except _AlreadyIssued:
        return Receipt.objects.get(payment__code=payment_code)
    except BaseException:
        for file in stored:  # files written before the transaction failed: not kept
            file.delete(save=False)
        raise
    return receipt


def _issue_locked(act: Any, payment: Payment, now: datetime, stored: list[Any]) -> Receipt:
    collector = _collector(payment)
    seal = seal_of(payment)
    year = timezone.localtime(now).year
    number = next_value(
        ReceiptCounter,
        template=collector.receipt_template,
        series=collector.receipt_series,
        year=year,
    )
    lookup_code = new_lookup_code()
    fields = receipt_fields(
        payment, collector, number=number, issued_at=now, lookup_code=lookup_code, seal=seal
    )
    pdf = seal_pdf(receipt_pdf(fields), fields, seal, now)
    xml = signed_xml(fields, seal)
    receipt = Receipt(
        payment=payment,
        agency_id=payment.agency_id,
        template=collector.receipt_template,
        series=collector.receipt_series,
        year=year,
        number=number,
        issued_at=now,
        amount=payment.amount,
        fields=fields,
        pdf_sha256=_sha256(pdf),
        xml_sha256=_sha256(xml),
        status=ReceiptStatus.ISSUED,
        lookup_code=lookup_code,
    )
    base = f"bien-lai-{safe_name(collector.receipt_series)}-{year}-{number_text(number)}"
    receipt.pdf.save(f"{base}.pdf", ContentFile(pdf), save=False)
    stored.append(receipt.pdf)
    receipt.xml.save(f"{base}.xml", ContentFile(xml), save=False)
    stored.append(receipt.xml)
    receipt.save()
    act.record(
        E.RECEIPT_ISSUED,
        receipt=receipt_label(receipt),
        template=receipt.template,
        series=receipt.series,
        number=number,
        year=year,
        pdf_sha256=receipt.pdf_sha256,
        xml_sha256=receipt.xml_sha256,
    )
    return receipt


@register_deliverer(RECEIPT_TOPIC)
def deliver_receipt(message: OutboxMessage) -> None:
    """Outbox topic RECEIPT_TOPIC ({"payment": code}): issue the receipt. An agency that cannot
    issue yet is an error an operator fixes (logged; the message is retried, then dead in the
    outbox list until sent again); a payment that is unknown or not paid never will be."""
    code = message.payload.get("payment")
    if not isinstance(code, str) or not code:
        raise PermanentDeliveryError("Tin nhắn lập biên lai thiếu mã khoản thanh toán.")
    try:
        issue(code)
    except ReceiptNotIssued as exc:
        logger.error(
            "receipt for payment %s not issued (outbox message %s, attempt %s of %s): %s",
            code,
            message.pk,
            message.attempts,
            message.max_attempts,
            exc.message,
        )
        raise DeliveryError(exc.message) from exc
    except TransitionRefused as exc:
        raise PermanentDeliveryError(f"Khoản {code} chưa thanh toán: {exc.message}") from exc
    except DomainError as exc:
        if exc.http_status == 404:
            raise PermanentDeliveryError(f"Không có khoản thanh toán {code}.") from exc
        raise


# --- reading -----------------------------------------------------------------------------------


def references_for(dossier: Dossier) -> list[str]:
    """The issued receipts of a dossier ("số 0000001, ký hiệu TP-26E"), for form 01."""
    rows = (
        Receipt.objects.filter(payment__dossier=dossier, status=ReceiptStatus.ISSUED)
        .order_by("issued_at", "pk")
        .values_list("series", "number")
    )
    return [f"số {number_text(number)}, ký hiệu {series}" for series, number in rows]


register_receipt_reference(references_for)


def lookup(code: str) -> Receipt | None:
    """A receipt by its printed lookup code (the public check)."""
    normalised = normalise_lookup_code(code)
    if len(normalised) != LOOKUP_LENGTH:
        return None
    return (
        Receipt.objects.select_related("agency", "payment").filter(lookup_code=normalised).first()
    )


@dataclass
class ReceiptCheck:
    """What a reader is told about a stored receipt's files and signatures."""

    pdf_intact: bool = False  # the stored file is the one issued (SHA-256)
    xml_intact: bool = False
    pdf_valid: bool = False  # PAdES signature valid, chained to the trust list, not revoked
    xml_valid: bool = False
    signer: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.pdf_intact and self.xml_intact and self.pdf_valid and self.xml_valid


def _read(file: Any) -> bytes | None:
    if not file:
        return None
    try:
        with file.open("rb") as handle:
            return bytes(handle.read())
    except OSError:
        return None


def check(receipt: Receipt) -> ReceiptCheck:
    """Verify the stored files: their digests against the issue, and both signatures."""
    from egov.signing.services import validate_pdf, verify_xml

    result = ReceiptCheck()
    pdf = _read(receipt.pdf)
    xml = _read(receipt.xml)
    if pdf is None or xml is None:
        result.errors.append("Không đọc được tệp biên lai đã lưu.")
        return result
    result.pdf_intact = _sha256(pdf) == receipt.pdf_sha256
    result.xml_intact = _sha256(xml) == receipt.xml_sha256
    if not result.pdf_intact:
        result.errors.append("Tệp PDF đã lưu khác với tệp đã lập (mã băm SHA-256 không khớp).")
    if not result.xml_intact:
        result.errors.append("Tệp XML đã lưu khác với tệp đã lập (mã băm SHA-256 không khớp).")
    pdf_check = validate_pdf(pdf)
    result.pdf_valid = pdf_check.valid
    result.errors += pdf_check.errors
    if pdf_check.signatures:
        result.signer = pdf_check.signatures[0].signer_subject
    xml_check = verify_xml(xml)
    result.xml_valid = xml_check.valid
    result.errors += xml_check.errors
    return result
