"""Forms of the documents pages. They only read what a person typed; the rules live in the
services, whose DomainError fields the views put back on these forms."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import format_html

from egov.core.dates import BoundedDateField
from egov.core.ids import MAX_ID, IdChoiceField, IdMultipleChoiceField
from egov.org.models import AGENCY_ID_VALIDATOR, Agency, Official, Unit

from . import files
from .models import (
    Attachment,
    DocumentType,
    OutgoingDocument,
    OutgoingStatus,
    Priority,
    Recipient,
    Review,
    SigningAuthority,
)

DRAFT_ACCEPT = ".pdf,.docx"
ATTACHMENT_ACCEPT = ".pdf,.docx,.xlsx,.jpg,.jpeg,.png"


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class VersionForm(forms.Form):
    """Every action posts the version its page showed: a stale page gets a conflict message."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)


class OfficialChoiceField(IdChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        parts = [obj.user.get_full_name()]
        if obj.position_id:
            parts.append(obj.position.name)
        if obj.unit_id:
            parts.append(obj.unit.name)
        return " — ".join(parts)


class UnitChoiceField(IdChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class UnitMultipleChoiceField(IdMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class IssuedDocumentField(IdChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.symbol} — {obj.subject[:80]}"


class DraftForm(forms.Form):
    doc_type = forms.ModelChoiceField(
        label="Loại văn bản", queryset=DocumentType.objects.none(), to_field_name="code"
    )
    subject = forms.CharField(
        label="Trích yếu nội dung",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 500}),
        help_text="Tối đa 500 ký tự.",
    )
    content = forms.CharField(
        label="Nội dung văn bản",
        required=False,
        max_length=200_000,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text="Viết nội dung để hệ thống trình bày theo thể thức Nghị định 30, "
        "hoặc tải lên tệp dưới đây (mỗi đoạn cách nhau một dòng).",
    )
    file = forms.FileField(
        label="Tệp văn bản (DOCX hoặc PDF)",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": DRAFT_ACCEPT}),
    )
    drafting_unit = UnitChoiceField(
        label="Đơn vị soạn thảo", queryset=Unit.objects.none(), required=False
    )
    priority = forms.TypedChoiceField(
        label="Độ khẩn", choices=Priority.choices, coerce=int, initial=Priority.NORMAL
    )
    due_date = BoundedDateField(label="Hạn xử lý", required=False, widget=_date_input())
    signing_authority = forms.ChoiceField(
        label="Thẩm quyền ký",
        choices=SigningAuthority.choices,
        initial=SigningAuthority.AUTO,
        required=False,
        widget=forms.RadioSelect,
        help_text="Theo Điều 13 Nghị định 30/2020/NĐ-CP. Dòng quyền hạn, chức vụ trên chữ ký "
        "(ví dụ “KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC”) được lấy từ thẩm quyền này và chức vụ của "
        "lãnh đạo duyệt ký.",
    )
    place = forms.CharField(
        label="Địa danh", required=False, max_length=80, help_text="Để trống: theo địa bàn cơ quan."
    )
    copies = forms.IntegerField(label="Số lượng bản", min_value=1, max_value=1000, initial=1)
    internal_units = UnitMultipleChoiceField(
        label="Nơi nhận trong cơ quan",
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    platform_agencies = IdMultipleChoiceField(
        label="Cơ quan nhận trên nền tảng",
        queryset=Agency.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="Giữ phím CTRL (máy Mac: phím ⌘) khi bấm để chọn nhiều cơ quan.",
    )
    external = forms.CharField(
        label="Cơ quan ngoài nền tảng (qua trục liên thông)",
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=format_html(
            "Mỗi dòng: mã định danh | tên cơ quan, ví dụ <code>{}</code>",
            "000.00.00.G22 | Văn phòng Chính phủ",
        ),
    )
    notes = forms.CharField(label="Ghi chú", required=False, max_length=500)
    replaces = IssuedDocumentField(
        label="Thay thế văn bản số",
        queryset=OutgoingDocument.objects.none(),
        required=False,
        help_text="Chỉ khi văn bản này thay thế một văn bản đã ban hành của cơ quan: khi văn "
        "bản này được gửi đi, văn bản cũ được đánh dấu “Đã bị thay thế” ở nơi gửi và nơi nhận.",
    )
    replace_reason = forms.CharField(
        label="Lý do thay thế",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Bắt buộc khi chọn văn bản bị thay thế.",
    )

    def __init__(self, *args: Any, official: Official, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["replaces"].queryset = OutgoingDocument.objects.filter(  # type: ignore[attr-defined]
            agency_id=official.agency_id,
            status__in=[OutgoingStatus.ISSUED, OutgoingStatus.SENT],
        ).order_by("-issued_at")
        units = Unit.objects.filter(agency_id=official.agency_id, is_active=True).order_by("name")
        self.fields["doc_type"].queryset = DocumentType.objects.filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["drafting_unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["internal_units"].queryset = units  # type: ignore[attr-defined]
        self.fields["platform_agencies"].queryset = (  # type: ignore[attr-defined]
            Agency.objects.filter(is_active=True).exclude(pk=official.agency_id).order_by("name")
        )
        if official.unit_id and not self.is_bound:
            self.fields["drafting_unit"].initial = official.unit_id

    def clean_external(self) -> list[tuple[str, str]]:
        rows: list[tuple[str, str]] = []
        errors: list[str] = []
        for number, line in enumerate(self.cleaned_data.get("external", "").splitlines(), 1):
            if not line.strip():
                continue
            organ_id, _, name = line.partition("|")
            organ_id = organ_id.strip()
            try:
                AGENCY_ID_VALIDATOR(organ_id)
            except ValidationError:
                errors.append(f"Dòng {number}: mã định danh “{organ_id}” không đúng dạng.")
                continue
            rows.append((organ_id, name.strip() or organ_id))
        if errors:
            raise ValidationError(errors)
        return rows

    @staticmethod
    def external_text(rows: list[tuple[str, str]]) -> str:
        return "\n".join(f"{organ_id} | {name}" for organ_id, name in rows)


class SubmitForm(VersionForm):
    reviewer = OfficialChoiceField(label="Trình cho", queryset=Official.objects.none())
    comment = forms.CharField(
        label="Ý kiến trình",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, candidates: list[Official], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["reviewer"]
        field.queryset = Official.objects.filter(pk__in=[c.pk for c in candidates]).select_related(  # type: ignore[attr-defined]
            "user", "position", "unit"
        )


class ReviewForm(VersionForm):
    decision = forms.ChoiceField(
        label="Ý kiến", choices=Review.Decision.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label="Nội dung ý kiến",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    forward_to = OfficialChoiceField(
        label="Chuyển tiếp cho",
        queryset=Official.objects.none(),
        required=False,
        help_text="Để trống nếu anh/chị là lãnh đạo cơ quan duyệt để ký.",
    )

    def __init__(self, *args: Any, candidates: list[Official], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["forward_to"].queryset = Official.objects.filter(  # type: ignore[attr-defined]
            pk__in=[c.pk for c in candidates]
        ).select_related("user", "position", "unit")


class SignForm(VersionForm):
    """Signing: the version the preview showed, and a fresh code of the authenticator."""

    previewed = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)
    code = forms.CharField(
        label="Mã xác thực",
        max_length=12,
        help_text="Mở ứng dụng xác thực trên điện thoại và nhập mã 6 chữ số đang hiển thị.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 8}
        ),
        error_messages={"required": "Nhập mã xác thực để ký."},
    )


class UploadVersionForm(VersionForm):
    file = forms.FileField(
        label="Tệp phiên bản mới (DOCX hoặc PDF)",
        widget=forms.ClearableFileInput(attrs={"accept": DRAFT_ACCEPT}),
    )
    note = forms.CharField(label="Ghi chú", required=False, max_length=500)


class AttachmentForm(VersionForm):
    file = forms.FileField(
        label="Tệp đính kèm",
        widget=forms.ClearableFileInput(attrs={"accept": ATTACHMENT_ACCEPT}),
        help_text=f"PDF, DOCX, XLSX, JPEG hoặc PNG, tối đa {files.MAX_BYTES // (1024 * 1024)} MB.",
    )


class RevokeForm(VersionForm):
    """Thu hồi: the reason goes to every recipient; choosing some revokes from those only."""

    reason = forms.CharField(
        label="Lý do thu hồi",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Lý do được gửi tới nơi nhận cùng thông điệp thu hồi.",
    )
    recipients = IdMultipleChoiceField(
        label="Thu hồi từ nơi nhận",
        queryset=Recipient.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Để trống: thu hồi từ mọi nơi nhận (văn bản chuyển sang “Đã thu hồi”).",
    )

    def __init__(self, *args: Any, recipients: list[Recipient], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["recipients"]
        field.queryset = Recipient.objects.filter(pk__in=[r.pk for r in recipients])  # type: ignore[attr-defined]
        field.label_from_instance = lambda r: f"{r.name} ({r.organ_id})"  # type: ignore[attr-defined]


class UpdateForm(VersionForm):
    """Cập nhật: a corrected or missing attachment; the signed document is not edited."""

    reason = forms.CharField(
        label="Lý do cập nhật",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Lý do được gửi tới nơi nhận cùng thông điệp cập nhật.",
    )
    file = forms.FileField(
        label="Tệp đính kèm mới",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ATTACHMENT_ACCEPT}),
        help_text="Bản quét hoặc phụ lục đã sửa. Văn bản đã ký số không sửa được: "
        "cần sửa nội dung thì ban hành văn bản thay thế.",
    )
    supersede = IdMultipleChoiceField(
        label="Thôi gửi tệp đính kèm",
        queryset=Attachment.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Tệp cũ vẫn được lưu trong lịch sử văn bản.",
    )

    def __init__(self, *args: Any, attachments: list[Attachment], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["supersede"]
        field.queryset = Attachment.objects.filter(pk__in=[a.pk for a in attachments])  # type: ignore[attr-defined]
        field.label_from_instance = lambda a: a.original_name  # type: ignore[attr-defined]


# --- incoming -------------------------------------------------------------------------------------


class ReasonForm(VersionForm):
    reason = forms.CharField(
        label="Lý do", max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class HeldAcceptForm(forms.Form):
    note = forms.CharField(
        label="Ghi chú khi tiếp nhận",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Ví dụ: đã gọi điện xác nhận với văn thư cơ quan gửi.",
    )


class HeldRefuseForm(forms.Form):
    reason = forms.CharField(
        label="Lý do từ chối",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Lý do được gửi tới cơ quan gửi.",
    )


class RegisterForm(VersionForm):
    notes = forms.CharField(label="Ghi chú vào sổ", required=False, max_length=500)


class AssignForm(VersionForm):
    instruction = forms.CharField(
        label="Ý kiến chỉ đạo (bút phê)",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    main_unit = UnitChoiceField(
        label="Đơn vị chủ trì", queryset=Unit.objects.none(), required=False
    )
    cooperating_units = UnitMultipleChoiceField(
        label="Đơn vị phối hợp",
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    inform_units = UnitMultipleChoiceField(
        label="Đơn vị để biết",
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    working_days = forms.IntegerField(
        label="Thời hạn (ngày làm việc)",
        required=False,
        min_value=0,
        max_value=365,
        help_text="Tính theo lịch làm việc của cơ quan (bỏ ngày nghỉ, ngày lễ).",
    )
    due_date = BoundedDateField(
        label="Hoặc hạn xử lý đến ngày", required=False, widget=_date_input()
    )

    def __init__(self, *args: Any, agency_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = Unit.objects.filter(agency_id=agency_id, is_active=True).order_by("name")
        for name in ("main_unit", "cooperating_units", "inform_units"):
            self.fields[name].queryset = units  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("working_days") is not None and data.get("due_date"):
            raise ValidationError("Chọn số ngày làm việc hoặc ngày hạn, không chọn cả hai.")
        return data


class ReportForm(forms.Form):
    assignment = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)
    report = forms.CharField(
        label="Báo cáo kết quả xử lý", max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class StartForm(forms.Form):
    assignment = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)


class CompleteForm(VersionForm):
    note = forms.CharField(label="Ghi chú kết thúc", required=False, max_length=500)


class PaperForm(forms.Form):
    """A paper document arriving by post or by hand, typed in by the clerk."""

    sender_name = forms.CharField(label="Cơ quan ban hành (tác giả)", max_length=255)
    sender_organ_id = forms.CharField(
        label="Mã định danh cơ quan gửi",
        required=False,
        max_length=20,
        validators=[AGENCY_ID_VALIDATOR],
    )
    code_number = forms.CharField(label="Số", required=False, max_length=20)
    code_notation = forms.CharField(
        label="Ký hiệu", required=False, max_length=60, help_text="Ví dụ: QĐ-UBND"
    )
    issued_date = BoundedDateField(label="Ngày văn bản", required=False, widget=_date_input())
    doc_type = forms.ModelChoiceField(
        label="Loại văn bản",
        queryset=DocumentType.objects.filter(is_active=True),
        to_field_name="code",
        required=False,
    )
    subject = forms.CharField(
        label="Trích yếu nội dung", max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    signer_name = forms.CharField(label="Người ký", required=False, max_length=150)
    priority = forms.TypedChoiceField(
        label="Độ khẩn", choices=Priority.choices, coerce=int, initial=Priority.NORMAL
    )
    due_date = BoundedDateField(label="Hạn trả lời (nếu có)", required=False, widget=_date_input())
    file = forms.FileField(
        label="Bản quét văn bản (PDF)",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf"}),
    )


class RegisterPeriodForm(forms.Form):
    kind = forms.ChoiceField(
        label="Sổ", choices=[("di", "Sổ đăng ký văn bản đi"), ("den", "Sổ đăng ký văn bản đến")]
    )
    tu_ngay = BoundedDateField(label="Từ ngày", widget=_date_input())
    den_ngay = BoundedDateField(label="Đến ngày", widget=_date_input())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("tu_ngay"), data.get("den_ngay")
        if isinstance(start, date) and isinstance(end, date):
            if end < start:
                raise ValidationError("Ngày kết thúc phải sau ngày bắt đầu.")
            if (end - start).days > 366:
                raise ValidationError("Mỗi lần in tối đa một năm.")
        return data


class SearchForm(forms.Form):
    q = forms.CharField(label="Tìm văn bản", max_length=200, required=False)
    loai = forms.ChoiceField(
        label="Trong",
        required=False,
        choices=[
            ("all", "Văn bản đi và đến"),
            ("outgoing", "Văn bản đi"),
            ("incoming", "Văn bản đến"),
        ],
    )
