"""The catalogue of administrative procedures (thủ tục hành chính) and their standard processes."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

PROCEDURE_CODE_VALIDATOR = RegexValidator(
    r"^[0-9]\.[0-9]{6}(\.[0-9A-Z]{2,3})+$",
    _("Mã thủ tục có dạng 1.000948.H38 hoặc 2.001218.000.00.00.H38."),
    code="invalid_procedure_code",
)


class Sector(models.Model):
    """Lĩnh vực: the field a procedure belongs to (hộ tịch, đất đai, ...)."""

    code = models.CharField(_("mã lĩnh vực"), max_length=20, unique=True)
    name = models.CharField(_("tên lĩnh vực"), max_length=255)

    class Meta:
        verbose_name = _("lĩnh vực")
        verbose_name_plural = _("lĩnh vực")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Level(models.TextChoices):
    PROVINCE = "province", _("Cấp tỉnh")
    DISTRICT = "district", _("Cấp huyện (trước 01/7/2025)")
    COMMUNE = "commune", _("Cấp xã")
    CENTRAL = "central", _("Cấp trung ương")


class OnlineMode(models.IntegerChoices):
    """Decree 42/2022; stored as the old levels, as national systems still do."""

    FULL = 4, _("Dịch vụ công trực tuyến toàn trình")
    PARTIAL = 3, _("Dịch vụ công trực tuyến một phần")
    NONE = 2, _("Không trực tuyến")


class TimeUnit(models.TextChoices):
    WORKING_DAYS = "days", _("ngày làm việc")
    WORKING_HOURS = "hours", _("giờ làm việc")


class PaymentTiming(models.TextChoices):
    """When the fees are paid (the procedure's published record says it, e.g. "nộp phí khi nộp
    hồ sơ"): before the dossier is processed, or before its result is handed over."""

    BEFORE_PROCESSING = "before_processing", _("Nộp trước khi giải quyết hồ sơ")
    BEFORE_RESULT = "before_result", _("Nộp trước khi nhận kết quả")


class IdentityRequirement(models.IntegerChoices):
    """The electronic identity level an applicant's account must hold to submit online.

    Decree 69/2024/NĐ-CP (electronic identification and authentication) sets the two levels of a
    VNeID account: level 1 registered with the card number and a face picture, level 2 issued
    once the police verified the holder in person or from the chip card. Decree 45/2020/NĐ-CP
    (administrative procedures by electronic means) has applicants identified by their account
    when submitting online. Which procedures need level 2 is the catalogue's choice, set from the
    procedure's published record (docs/identity-portal.md; article numbers unverified)."""

    ANY = 0, _("Mọi tài khoản")
    LEVEL_1 = 1, _("Tài khoản định danh điện tử mức độ 1 trở lên")
    LEVEL_2 = 2, _("Tài khoản định danh điện tử mức độ 2")


class Procedure(models.Model):
    code = models.CharField(
        _("mã thủ tục"), max_length=40, unique=True, validators=[PROCEDURE_CODE_VALIDATOR]
    )
    name = models.CharField(_("tên thủ tục"), max_length=500)
    sector = models.ForeignKey(Sector, verbose_name=_("lĩnh vực"), on_delete=models.PROTECT)
    level = models.CharField(_("cấp thực hiện"), max_length=10, choices=Level.choices)
    agencies = models.ManyToManyField(
        "org.Agency", verbose_name=_("cơ quan thực hiện"), related_name="procedures", blank=True
    )
    legal_basis = models.TextField(_("căn cứ pháp lý"), blank=True)
    for_citizens = models.BooleanField(_("đối tượng công dân"), default=True)
    for_businesses = models.BooleanField(_("đối tượng tổ chức, doanh nghiệp"), default=False)
    processing_time = models.DecimalField(
        _("thời hạn giải quyết"),
        max_digits=6,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.5"))],
    )
    time_unit = models.CharField(
        _("đơn vị thời hạn"),
        max_length=5,
        choices=TimeUnit.choices,
        default=TimeUnit.WORKING_DAYS,
    )
    payment_timing = models.CharField(
        _("thời điểm nộp phí, lệ phí"),
        max_length=20,
        choices=PaymentTiming.choices,
        default=PaymentTiming.BEFORE_RESULT,
    )
    result_description = models.CharField(_("kết quả thực hiện"), max_length=500, blank=True)
    # The result is an electronic original (bản chính điện tử): the leader who approves it signs
    # it (PAdES) in the approval step, and only then may the dossier be approved. Decree
    # 45/2020/NĐ-CP (administrative procedures online) gives a signed electronic result the value
    # of the paper one; set per procedure from its published record (the "kết quả" it promises).
    electronic_original = models.BooleanField(
        _("trả bản chính điện tử (kết quả có chữ ký số)"), default=False
    )
    # The agency's seal on the result (its organisation signature, Decree 30/2020/NĐ-CP: the seal
    # image over the left third of the signer's image), where the result's legal form asks for
    # one ("ký, ghi rõ họ tên, chức vụ và đóng dấu").
    result_sealed = models.BooleanField(
        _("kết quả có dấu của cơ quan (chữ ký số của cơ quan)"), default=False
    )
    result_signing_basis = models.CharField(
        _("căn cứ ký số, đóng dấu kết quả"), max_length=500, blank=True
    )
    online_mode = models.PositiveSmallIntegerField(
        _("mức độ trực tuyến"), choices=OnlineMode.choices, default=OnlineMode.NONE
    )
    requirements = models.TextField(_("yêu cầu, điều kiện"), blank=True)
    # Online submission needs an account linked to the national electronic identity at this
    # level (0: any account); checked by dossiers.services on every submission path.
    min_identity_level = models.PositiveSmallIntegerField(
        _("mức độ định danh điện tử tối thiểu khi nộp trực tuyến"),
        choices=IdentityRequirement.choices,
        default=IdentityRequirement.ANY,
    )
    is_published = models.BooleanField(_("đang công bố"), default=True)
    # Lower-case, accent-free copy of code, name and sector for search on any database.
    search_text = models.TextField(editable=False, default="")
    submission_count = models.PositiveIntegerField(_("số hồ sơ đã nộp"), default=0, editable=False)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    class Meta:
        verbose_name = _("thủ tục hành chính")
        verbose_name_plural = _("thủ tục hành chính")
        ordering = ["name"]
        indexes = [models.Index(fields=["is_published", "-submission_count"])]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    @property
    def is_online(self) -> bool:
        return self.online_mode in (OnlineMode.FULL, OnlineMode.PARTIAL)

    def current_process(self) -> ProcessVersion | None:
        return self.process_versions.filter(is_current=True).first()


class DossierComponent(models.Model):
    """Thành phần hồ sơ: one required (or optional) paper or online form."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="components")
    order = models.PositiveSmallIntegerField(_("thứ tự"))
    code = models.SlugField(_("mã thành phần"), max_length=40)
    name = models.CharField(_("tên giấy tờ"), max_length=500)
    required = models.BooleanField(_("bắt buộc"), default=True)
    originals = models.PositiveSmallIntegerField(_("số bản chính"), default=1)
    copies = models.PositiveSmallIntegerField(_("số bản sao"), default=0)
    form_template = models.FileField(_("mẫu đơn, tờ khai"), upload_to="catalog/forms/", blank=True)
    # JSON schema subset for an online form: {"fields": [{"name", "label", "type", "required",
    # "max_length", "choices"}]}; empty when the component is an uploaded paper.
    form_schema = models.JSONField(_("biểu mẫu trực tuyến"), null=True, blank=True)

    class Meta:
        verbose_name = _("thành phần hồ sơ")
        verbose_name_plural = _("thành phần hồ sơ")
        ordering = ["procedure", "order"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "code"], name="component_code_uniq")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_online_form(self) -> bool:
        return bool(self.form_schema)


class Fee(models.Model):
    class Kind(models.TextChoices):
        FEE = "fee", _("Phí")
        CHARGE = "charge", _("Lệ phí")

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="fees")
    order = models.PositiveSmallIntegerField(_("thứ tự"), default=1)
    kind = models.CharField(_("loại"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("tên khoản thu"), max_length=255)
    amount = models.PositiveBigIntegerField(_("số tiền (đồng)"))  # integer VND
    # The text that sets the amount (shown with the fee on the procedure page).
    legal_source = models.CharField(
        _("căn cứ thu"),
        max_length=255,
        blank=True,
        help_text=_("Văn bản quy định mức thu, ví dụ Thông tư 281/2016/TT-BTC."),
    )
    rule = models.CharField(_("cách tính, miễn giảm"), max_length=500, blank=True)
    # Charged only when the applicant asks for what it pays for (a copy, an extra extract): they
    # choose it when submitting, and the dossier's total counts it only then (dossiers.fees).
    optional = models.BooleanField(_("chỉ thu khi người nộp yêu cầu"), default=False)
    # Charged per unit (e.g. "bản"): the applicant says how many; empty: once per dossier.
    unit = models.CharField(_("đơn vị tính (thu theo số lượng)"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("phí, lệ phí")
        verbose_name_plural = _("phí, lệ phí")
        ordering = ["procedure", "order", "id"]

    def __str__(self) -> str:
        return f"{self.name}: {self.amount:,} đ"

    @property
    def amount_text(self) -> str:
        """ "8.000 đồng/bản": the amount, per unit when charged per unit."""
        text = f"{self.amount:,}".replace(",", ".") + " đồng"
        return f"{text}/{self.unit}" if self.unit else text


def reduced(amount: int, percent: int) -> int:
    """What is left to pay of `amount` (integer VND) after a `percent` exemption: the reduction
    is rounded down to the đồng, so the applicant never pays less than the rule says."""
    return amount - amount * percent // 100


class FeeExemption(models.Model):
    """A group of people a fee exempts or reduces (miễn, giảm), with the proof they show: the
    applicant claims it when submitting and attaches the proof; the desk checks it."""

    fee = models.ForeignKey(Fee, on_delete=models.CASCADE, related_name="exemptions")
    group = models.CharField(_("đối tượng được miễn, giảm"), max_length=255)
    # 100: exempt; less: the share taken off (a 50% reduction).
    percent = models.PositiveSmallIntegerField(
        _("tỷ lệ miễn, giảm (%)"), default=100, validators=[MinValueValidator(1)]
    )
    proof = models.CharField(_("giấy tờ chứng minh"), max_length=255)
    legal_source = models.CharField(_("căn cứ miễn, giảm"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("đối tượng miễn, giảm phí, lệ phí")
        verbose_name_plural = _("đối tượng miễn, giảm phí, lệ phí")
        ordering = ["fee", "id"]

    def __str__(self) -> str:
        return self.group

    @property
    def amount_due_text(self) -> str:
        """ "100.000 đồng/bản": what a member of the group pays (per unit for a per-unit fee)."""
        due = reduced(self.fee.amount, self.percent)
        text = f"{due:,}".replace(",", ".") + " đồng"
        return f"{text}/{self.fee.unit}" if self.fee.unit and due else text


# How many units (copies) of one fee an applicant may ask for in one dossier.
MAX_FEE_QUANTITY = 50


class ProcessVersion(models.Model):
    """A published version of a procedure's standard internal process (quy trình nội bộ)."""

    procedure = models.ForeignKey(
        Procedure, on_delete=models.PROTECT, related_name="process_versions"
    )
    version = models.PositiveIntegerField(_("phiên bản"))
    is_current = models.BooleanField(_("đang áp dụng"), default=False)
    # The legal time when this version was published: dossiers running on it keep it.
    processing_time = models.DecimalField(_("thời hạn giải quyết"), max_digits=6, decimal_places=1)
    time_unit = models.CharField(
        _("đơn vị thời hạn"),
        max_length=5,
        choices=TimeUnit.choices,
        default=TimeUnit.WORKING_DAYS,
    )
    published_at = models.DateTimeField(_("công bố lúc"), auto_now_add=True)
    note = models.CharField(_("ghi chú"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("quy trình nội bộ")
        verbose_name_plural = _("quy trình nội bộ")
        ordering = ["procedure", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "version"], name="process_version_uniq"),
            models.UniqueConstraint(
                fields=["procedure"],
                condition=models.Q(is_current=True),
                name="one_current_process",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.procedure.code} v{self.version}"


class ProcessStep(models.Model):
    version = models.ForeignKey(ProcessVersion, on_delete=models.PROTECT, related_name="steps")
    order = models.PositiveSmallIntegerField(_("bước"))
    name = models.CharField(_("tên bước"), max_length=255)
    role = models.CharField(_("vai trò thực hiện"), max_length=20)  # org.Role value
    unit_kind = models.CharField(_("loại phòng ban"), max_length=15, blank=True)
    # Another agency does this step (liên thông); empty means the receiving agency.
    agency_identifier = models.CharField(_("cơ quan thực hiện"), max_length=20, blank=True)
    # In the procedure's time unit (working days, or hours); the steps add up to the legal time.
    budget = models.DecimalField(_("thời gian thực hiện"), max_digits=7, decimal_places=2)

    class Meta:
        verbose_name = _("bước xử lý")
        verbose_name_plural = _("bước xử lý")
        ordering = ["version", "order"]
        constraints = [
            models.UniqueConstraint(fields=["version", "order"], name="process_step_order_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.name}"


class ProcedureChain(models.Model):
    """Liên thông TTHC: procedures a citizen asks for in one submission, each handled by its own
    agency (e.g. birth registration → permanent residence → health insurance card for a child
    under 6). Submitting the first procedure with the chain creates a linked dossier for each."""

    code = models.SlugField(_("mã nhóm liên thông"), max_length=60, unique=True)
    name = models.CharField(_("tên nhóm thủ tục liên thông"), max_length=500)
    is_active = models.BooleanField(_("đang áp dụng"), default=True)

    class Meta:
        verbose_name = _("nhóm thủ tục liên thông")
        verbose_name_plural = _("nhóm thủ tục liên thông")

    def __str__(self) -> str:
        return self.name


class ProcedureChainItem(models.Model):
    chain = models.ForeignKey(ProcedureChain, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveSmallIntegerField(_("thứ tự"))
    procedure = models.ForeignKey(Procedure, verbose_name=_("thủ tục"), on_delete=models.PROTECT)
    # The agency that handles this procedure for the chain; empty: the applicant's chosen agency.
    agency_identifier = models.CharField(_("cơ quan thực hiện"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("thủ tục trong nhóm")
        verbose_name_plural = _("thủ tục trong nhóm")
        ordering = ["chain", "order"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "order"], name="chain_item_order_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.procedure.name}"


# The legal source, cited where the rows are made and shown (the demo, the administration).
CENTRE_RECEPTION_BASIS = (
    "Nghị định số 61/2018/NĐ-CP về thực hiện cơ chế một cửa, một cửa liên thông trong giải quyết "
    "thủ tục hành chính, được sửa đổi, bổ sung bởi Nghị định số 107/2021/NĐ-CP: Trung tâm Phục vụ "
    "hành chính công cấp tỉnh tiếp nhận hồ sơ thủ tục hành chính thuộc thẩm quyền giải quyết của "
    "các sở, ngành theo danh mục do Chủ tịch Ủy ban nhân dân tỉnh quyết định, chuyển hồ sơ đến cơ "
    "quan có thẩm quyền giải quyết và trả kết quả cho tổ chức, cá nhân."
)


class ReceptionDesk(models.Model):
    """ "Procedure X of agency Y is received at the desk of agency Z": the provincial public
    administrative service centre (Trung tâm Phục vụ hành chính công) receives the dossiers of a
    department's procedure, the department's specialists handle them, the centre returns the
    result (Decree 61/2018/NĐ-CP, amended by Decree 107/2021/NĐ-CP; the list of procedures is the
    provincial chairman's decision, cited in `legal_basis`). Without a row an agency receives its
    own procedures at its own desk.

    The dossier stays the competent agency's (its code, appointment date, statistics); the
    one-stop engine puts the process's desk steps (reception, return of the result) at Z."""

    procedure = models.ForeignKey(
        Procedure,
        verbose_name=_("thủ tục"),
        on_delete=models.CASCADE,
        related_name="reception_desks",
    )
    agency = models.ForeignKey(
        "org.Agency",
        verbose_name=_("cơ quan giải quyết"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    desk_agency = models.ForeignKey(
        "org.Agency",
        verbose_name=_("nơi tiếp nhận, trả kết quả"),
        on_delete=models.PROTECT,
        related_name="desk_receptions",
    )
    legal_basis = models.CharField(
        _("căn cứ"),
        max_length=1000,
        blank=True,
        help_text=_("Quyết định công bố danh mục thủ tục tiếp nhận tại Trung tâm."),
    )

    class Meta:
        verbose_name = _("thủ tục tiếp nhận tại Trung tâm Phục vụ hành chính công")
        verbose_name_plural = _("thủ tục tiếp nhận tại Trung tâm Phục vụ hành chính công")
        constraints = [
            models.UniqueConstraint(fields=["procedure", "agency"], name="reception_desk_uniq")
        ]
        indexes = [models.Index(fields=["desk_agency", "procedure"], name="reception_desk_idx")]

    def __str__(self) -> str:
        return f"{self.procedure_id} / {self.agency_id} → {self.desk_agency_id}"
