"""Payments of fees and charges (phí, lệ phí) on dossiers, the attempts to pay through a provider,
what providers said (callbacks, bank statement lines), electronic receipts and refunds.

Amounts are integer VND everywhere. A Payment is a case (egov.cases kernel, cases.py): it is
opened by the dossier's own events (projector.py: a submission with fees due, a payment request
at the desk) and changes only through the services, each change a declared event.
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Collector(models.Model):
    """How an agency collects (đơn vị thu phí, lệ phí): the receipt's seller block and series,
    and the bank account VietQR transfers go to. One per collecting agency; set by an operator."""

    agency = models.OneToOneField(
        "org.Agency", verbose_name=_("cơ quan thu"), on_delete=models.PROTECT, related_name="+"
    )
    # The collector's name and tax code as printed on receipts (tên, mã số thuế tổ chức thu).
    name = models.CharField(_("tên tổ chức thu phí, lệ phí"), max_length=255)
    tax_code = models.CharField(_("mã số thuế"), max_length=14)
    address = models.CharField(_("địa chỉ"), max_length=255, blank=True)
    # Receipt template and series (mẫu số, ký hiệu biên lai), e.g. "01BLP0-001" / "AB-26E".
    receipt_template = models.CharField(_("ký hiệu mẫu biên lai"), max_length=20)
    receipt_series = models.CharField(_("ký hiệu biên lai"), max_length=20)
    # VietQR: the receiving bank's BIN (6 digits, NAPAS) and the account number and name.
    bank_bin = models.CharField(_("mã ngân hàng (BIN)"), max_length=8, blank=True)
    bank_name = models.CharField(_("tên ngân hàng"), max_length=120, blank=True)
    bank_account = models.CharField(_("số tài khoản"), max_length=19, blank=True)
    bank_account_name = models.CharField(_("tên tài khoản"), max_length=120, blank=True)
    # Which providers the agency offers (provider codes, providers/); empty: every configured one.
    providers = models.JSONField(_("hình thức thanh toán nhận"), default=list, blank=True)

    class Meta:
        verbose_name = _("đơn vị thu phí, lệ phí")
        verbose_name_plural = _("đơn vị thu phí, lệ phí")

    def __str__(self) -> str:
        return self.name


class PaymentStatus(models.TextChoices):
    DUE = "due", _("Chờ thanh toán")
    PAID = "paid", _("Đã thanh toán")
    # Nothing to pay any more (the dossier was refused or withdrawn before paying, or exempted).
    CANCELLED = "cancelled", _("Không phải thanh toán")
    REFUND_REQUESTED = "refund_requested", _("Đề nghị hoàn trả")
    REFUNDED = "refunded", _("Đã hoàn trả")


class Purpose(models.TextChoices):
    SUBMISSION = "submission", _("Phí, lệ phí khi nộp hồ sơ")
    REQUESTED = "requested", _("Nghĩa vụ tài chính theo yêu cầu")


class Payment(models.Model):
    """What one dossier owes for one reason, until it is paid (and maybe refunded)."""

    # The reference shown to people and sent to providers as MaThamChieu's prefix.
    code = models.CharField(_("mã thanh toán"), max_length=40, unique=True)
    dossier = models.ForeignKey(
        "dossiers.Dossier", verbose_name=_("hồ sơ"), on_delete=models.PROTECT, related_name="+"
    )
    agency = models.ForeignKey(
        "org.Agency", verbose_name=_("cơ quan thu"), on_delete=models.PROTECT, related_name="+"
    )
    purpose = models.CharField(_("khoản thu"), max_length=12, choices=Purpose.choices)
    # The dossier event that opened it (its id): one payment per opening event.
    opened_by_event = models.BigIntegerField(unique=True, null=True, blank=True)
    # The lines as they applied (dossiers.fees.FeeLine as JSON; an exemption shows on its line).
    lines = models.JSONField(_("các khoản"), default=list, blank=True)
    amount = models.PositiveBigIntegerField(_("số tiền phải nộp (đồng)"))
    status = models.CharField(
        _("trạng thái"), max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.DUE
    )
    # Payment needed before the dossier is processed (the procedure's rule when it was opened).
    before_processing = models.BooleanField(_("nộp trước khi giải quyết"), default=False)
    paid_at = models.DateTimeField(_("thời điểm thanh toán"), null=True, blank=True)
    paid_provider = models.CharField(_("hình thức thanh toán"), max_length=20, blank=True)
    settled_attempt = models.ForeignKey(
        "Attempt", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("khoản thanh toán")
        verbose_name_plural = _("khoản thanh toán")
        indexes = [
            models.Index(fields=["agency", "status", "created_at"]),
            models.Index(fields=["agency", "paid_at"]),
            models.Index(fields=["dossier", "status"]),
        ]

    def __str__(self) -> str:
        return self.code


class AttemptStatus(models.TextChoices):
    CREATED = "created", _("Đang khởi tạo")
    # The provider gave a payment page (national platform) or the QR is shown (VietQR).
    OPEN = "open", _("Chờ người nộp thanh toán")
    SUCCEEDED = "succeeded", _("Thành công")
    FAILED = "failed", _("Không thành công")
    # Superseded by another attempt, or left unfinished past its validity.
    ABANDONED = "abandoned", _("Đã hủy")


class Attempt(models.Model):
    """One try to pay a payment through one provider."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="attempts")
    provider = models.CharField(_("hình thức thanh toán"), max_length=20)
    # Sent to the provider (MaThamChieu; the VietQR purpose text): unique, never reused.
    reference = models.CharField(_("mã tham chiếu"), max_length=40, unique=True)
    amount = models.PositiveBigIntegerField(_("số tiền (đồng)"))
    status = models.CharField(
        _("trạng thái"), max_length=12, choices=AttemptStatus.choices, default=AttemptStatus.CREATED
    )
    # National platform: the payment page (UrlThanhToan); VietQR: the EMVCo payload.
    redirect_url = models.URLField(_("địa chỉ trang thanh toán"), max_length=1000, blank=True)
    qr_payload = models.CharField(_("nội dung mã QR"), max_length=512, blank=True)
    # What the provider calls the transaction (MaGiaoDich; the bank's reference).
    provider_transaction = models.CharField(_("mã giao dịch"), max_length=64, blank=True)
    failure = models.CharField(_("lý do không thành công"), max_length=255, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("lần thanh toán")
        verbose_name_plural = _("lần thanh toán")
        indexes = [
            models.Index(fields=["provider", "status", "created_at"]),
            models.Index(fields=["payment", "-created_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_transaction"],
                condition=~models.Q(provider_transaction=""),
                name="attempt_provider_txn_uniq",
            )
        ]

    def __str__(self) -> str:
        return self.reference


class Verdict(models.TextChoices):
    ACCEPTED = "accepted", _("Đã ghi nhận")
    DUPLICATE = "duplicate", _("Trùng, đã ghi nhận trước đó")
    REFUSED = "refused", _("Bị từ chối")


class Callback(models.Model):
    """What a provider sent us, byte for byte, and what we made of it. Append-only evidence:
    written before anything else is decided, never edited (the verdict is written with it)."""

    provider = models.CharField(max_length=20)
    received_at = models.DateTimeField(auto_now_add=True)
    remote_addr = models.CharField(max_length=45, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    body = models.TextField()
    sha256 = models.CharField(max_length=64)
    attempt = models.ForeignKey(
        Attempt, on_delete=models.PROTECT, null=True, blank=True, related_name="callbacks"
    )
    verdict = models.CharField(max_length=10, choices=Verdict.choices)
    # The refusal's code (PaymentErrorCode) and why, for the reconciliation's flag list.
    reason_code = models.CharField(max_length=40, blank=True)
    reason = models.CharField(max_length=255, blank=True)
    # What we answered (the same answer to a duplicate).
    answer = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("thông báo từ đơn vị thanh toán")
        verbose_name_plural = _("thông báo từ đơn vị thanh toán")
        indexes = [
            models.Index(fields=["provider", "verdict", "received_at"]),
            models.Index(fields=["received_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.received_at:%Y-%m-%d %H:%M:%S} {self.verdict}"


class ReceiptCounter(models.Model):
    """Gap-free receipt numbers per template, series and year (egov.core.counters)."""

    template = models.CharField(max_length=20)
    series = models.CharField(max_length=20)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["template", "series", "year"], name="receipt_counter_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.template} {self.series} {self.year}: {self.last}"


class ReceiptStatus(models.TextChoices):
    ISSUED = "issued", _("Đã lập")
    # Replaced or cancelled after a refund (the receipt itself is never edited).
    CANCELLED = "cancelled", _("Đã hủy")


# Receipt lookup codes: no 0/O, 1/I/L, so a code read off paper is typed right; 12 of 31 symbols
# (about 59 bits) cannot be guessed at the lookup page's rate limit.
LOOKUP_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LOOKUP_LENGTH = 12


def new_lookup_code() -> str:
    return "".join(secrets.choice(LOOKUP_ALPHABET) for _ in range(LOOKUP_LENGTH))


class Receipt(models.Model):
    """The electronic receipt (biên lai điện tử) of one paid payment."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="receipt")
    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="+")
    template = models.CharField(_("ký hiệu mẫu biên lai"), max_length=20)
    series = models.CharField(_("ký hiệu biên lai"), max_length=20)
    year = models.PositiveSmallIntegerField(_("năm"))
    number = models.PositiveIntegerField(_("số biên lai"))
    issued_at = models.DateTimeField(_("ngày lập"))
    amount = models.PositiveBigIntegerField(_("tổng tiền (đồng)"))
    # Every printed field as issued (payer, collector, lines, amount in words, provider...).
    fields = models.JSONField(default=dict)
    pdf = models.FileField(upload_to="receipts/%Y/", blank=True)
    xml = models.FileField(upload_to="receipts/%Y/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    xml_sha256 = models.CharField(max_length=64, blank=True)
    status = models.CharField(
        max_length=10, choices=ReceiptStatus.choices, default=ReceiptStatus.ISSUED
    )
    # Printed on the receipt: anyone holding it checks it online (payments:receipt_lookup).
    lookup_code = models.CharField(
        _("mã tra cứu"), max_length=16, unique=True, default=new_lookup_code
    )

    class Meta:
        verbose_name = _("biên lai điện tử")
        verbose_name_plural = _("biên lai điện tử")
        constraints = [
            models.UniqueConstraint(
                fields=["template", "series", "year", "number"], name="receipt_number_uniq"
            )
        ]
        indexes = [models.Index(fields=["agency", "issued_at"])]

    def __str__(self) -> str:
        return f"{self.series} {self.number:07d}"


class RefundStatus(models.TextChoices):
    REQUESTED = "requested", _("Chờ phê duyệt")
    APPROVED = "approved", _("Đã phê duyệt, chờ chi trả")
    REJECTED = "rejected", _("Không phê duyệt")
    PAID = "paid", _("Đã hoàn trả")


class Refund(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.PositiveBigIntegerField(_("số tiền hoàn trả (đồng)"))
    reason = models.CharField(_("lý do"), max_length=500)
    # The fee rule that allows it (text cited on the approval).
    basis = models.CharField(_("căn cứ hoàn trả"), max_length=255, blank=True)
    status = models.CharField(
        max_length=10, choices=RefundStatus.choices, default=RefundStatus.REQUESTED
    )
    # Empty when the system asked for it (a dossier refused or withdrawn under a rule that
    # hands the whole fee back: services.refunds.on_dossier_ended).
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision_note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    # Who paid it out (the accountant) and how (the transfer's reference, the cash voucher).
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    payout_reference = models.CharField(_("chứng từ chi trả"), max_length=100, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("hoàn trả phí, lệ phí")
        verbose_name_plural = _("hoàn trả phí, lệ phí")
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["paid_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.payment_id}: {self.amount}"


class DossierOutcome(models.TextChoices):
    """How a dossier ended without its result (the dossier events that may hand fees back)."""

    REFUSED = "refused", _("Không được tiếp nhận")
    WITHDRAWN = "withdrawn", _("Rút hồ sơ")
    STOPPED = "stopped", _("Dừng xử lý")


class RefundRule(models.Model):
    """When fees already paid are handed back (hoàn trả), as data an operator keeps: a dossier
    that ended this way (and, if `before_processing_only`, before any processing step was done)
    gets `percent` of what it paid back. A rule naming a procedure overrides the general one
    (procedure empty) for that procedure, the newest active one first; `percent` 0 says
    "nothing is refunded" there. `automatic`: the refund is requested by the system as the
    dossier ends (a leader still approves it); otherwise an accountant or the desk requests it,
    and the rule is the basis quoted on the request. No rule: no refund."""

    outcome = models.CharField(_("hồ sơ kết thúc"), max_length=10, choices=DossierOutcome.choices)
    procedure = models.ForeignKey(
        "catalog.Procedure",
        verbose_name=_("thủ tục (để trống: mọi thủ tục)"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    before_processing_only = models.BooleanField(
        _("chỉ khi chưa giải quyết"),
        default=True,
        help_text=_("Chỉ hoàn trả khi chưa có bước xử lý chuyên môn nào được thực hiện."),
    )
    percent = models.PositiveSmallIntegerField(
        _("tỷ lệ hoàn trả (%)"), default=100, validators=[MaxValueValidator(100)]
    )
    automatic = models.BooleanField(_("tự động đề nghị hoàn trả"), default=True)
    legal_source = models.CharField(_("căn cứ hoàn trả"), max_length=255)
    is_active = models.BooleanField(_("đang áp dụng"), default=True)

    class Meta:
        verbose_name = _("quy định hoàn trả phí, lệ phí")
        verbose_name_plural = _("quy định hoàn trả phí, lệ phí")
        ordering = ["outcome", "procedure_id", "id"]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()}: {self.percent}%"


class StatementImport(models.Model):
    """One bank statement file (CSV, XLSX, CAMT.053) of a collector's account."""

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="+")
    # The accountant who uploaded it, or the API client that posted it (one of the two).
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    uploaded_by_client = models.ForeignKey(
        settings.API_CLIENT_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    filename = models.CharField(max_length=255)
    file_format = models.CharField(max_length=10)  # csv, xlsx, camt053
    sha256 = models.CharField(max_length=64)
    line_count = models.PositiveIntegerField(default=0)
    matched_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "sha256"], name="statement_file_uniq")
        ]

    def __str__(self) -> str:
        return self.filename


class LineStatus(models.TextChoices):
    MATCHED = "matched", _("Đã khớp")
    UNMATCHED = "unmatched", _("Chưa khớp")
    # Not a fee transfer (the accountant says so, with a note).
    IGNORED = "ignored", _("Không phải khoản thu phí")


class StatementLine(models.Model):
    statement = models.ForeignKey(StatementImport, on_delete=models.PROTECT, related_name="lines")
    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="+")
    booked_at = models.DateTimeField()
    amount = models.BigIntegerField()  # VND; credits positive
    description = models.CharField(max_length=500, blank=True)
    counterparty = models.CharField(max_length=255, blank=True)
    # The bank's own reference for the line: one line once, whatever file repeats it.
    bank_reference = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=LineStatus.choices)
    attempt = models.ForeignKey(
        Attempt, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "bank_reference"], name="statement_line_ref_uniq"
            )
        ]
        indexes = [models.Index(fields=["agency", "status", "booked_at"])]

    def __str__(self) -> str:
        return self.bank_reference
