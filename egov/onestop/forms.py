"""Forms of the officials' one-stop pages. They only read what a person typed; the rules live in
services.py, whose errors the views put back on these forms."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.safestring import SafeString

from egov.catalog.models import DossierComponent, Procedure
from egov.core.ids import MAX_ID
from egov.dossiers.fee_fields import FeeChoice, FeeRow, add_fee_fields, fee_rows, requested
from egov.dossiers.models import Channel, ResultDelivery, Status

from .filters import ProcedureOptions

ACCEPT = ".pdf,.jpg,.jpeg,.png"
FILE_HELP = "PDF, JPEG hoặc PNG, tối đa 10 MB mỗi tệp."


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several scans of one paper: returns a list of uploads (empty when none)."""

    widget = MultipleFileInput

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        cleaned = [super(MultipleFileField, self).clean(f, initial) for f in files]
        if self.required and not cleaned:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return cleaned


# --- dossier actions --------------------------------------------------------------------------


class ChoicesMixin:
    fields: dict[str, forms.Field]

    def _choice(self, name: str) -> forms.ChoiceField:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        return field


class ActionForm(ChoicesMixin, forms.Form):
    """Every action posts the dossier version its page was rendered with: a stale page gets the
    conflict message instead of acting on a dossier that changed meanwhile."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


def _reason(label: str, required: bool = True, rows: int = 3) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class ReasonForm(ActionForm):
    reason = _reason("Lý do")

    def __init__(self, *args: Any, reason_label: str = "Lý do", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = reason_label


class SupplementRequestForm(ActionForm):
    """Form 02 as the official fills it: which papers (the procedure's components, and others
    typed one a line), why, and by when (working days)."""

    components = forms.MultipleChoiceField(
        label="Giấy tờ cần bổ sung (thành phần hồ sơ của thủ tục)",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    other = forms.CharField(
        label="Giấy tờ khác cần bổ sung",
        required=False,
        max_length=4000,
        help_text="Mỗi dòng một giấy tờ.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    reason = _reason("Lý do cần bổ sung")
    answer_days = forms.IntegerField(
        label="Hạn bổ sung (số ngày làm việc)",
        min_value=1,
        max_value=60,
        help_text="Tính theo lịch làm việc của cơ quan, kể từ hôm nay.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(
        self, *args: Any, components: Sequence[tuple[str, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["components"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = list(components)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("components") and not (data.get("other") or "").strip():
            self.add_error(
                "components", "Chọn ít nhất một giấy tờ cần bổ sung hoặc ghi giấy tờ khác."
            )
        return data


class ForwardForm(ActionForm):
    note = _reason("Ý kiến xử lý", required=False, rows=2)


class ApproveSignForm(ActionForm):
    """The leader's approval that signs the result, confirmed by a fresh authenticator code."""

    note = _reason("Ý kiến phê duyệt", required=False, rows=2)
    code = forms.CharField(
        label="Mã xác thực",
        max_length=12,
        help_text="Mã 6 chữ số đang hiện trên ứng dụng xác thực của bạn (mỗi mã dùng một lần).",
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9 ]*"}
        ),
    )


class SendBackForm(ActionForm):
    to_order = forms.TypedChoiceField(label="Trả lại bước", coerce=int)
    reason = _reason("Lý do trả lại")

    def __init__(self, *args: Any, steps: Iterable[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._choice("to_order").choices = [(o, f"Bước {o}: {name}") for o, name in steps]


class AssignForm(ActionForm):
    official = forms.TypedChoiceField(label="Giao cho", coerce=int)

    def __init__(
        self, *args: Any, officials: Sequence[tuple[int, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._choice("official").choices = list(officials)


class PaymentForm(ActionForm):
    amount = forms.IntegerField(
        label="Số tiền (đồng)", min_value=1, max_value=10**12, widget=forms.NumberInput()
    )
    reason = _reason("Nội dung nghĩa vụ tài chính", rows=2)


class PaymentReceivedForm(ActionForm):
    receipt_number = forms.CharField(label="Số biên lai (nếu có)", required=False, max_length=60)


class ResultForm(ActionForm):
    file = forms.FileField(
        label="Tệp kết quả giải quyết",
        help_text=FILE_HELP,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )


class ReturnForm(ActionForm):
    method = forms.ChoiceField(
        label="Hình thức trả kết quả", choices=ResultDelivery.choices, widget=forms.RadioSelect
    )


class ApologyForm(ActionForm):
    reason = _reason("Lý do chậm trả kết quả")
    new_date = forms.DateField(
        label="Ngày hẹn trả mới",
        help_text="Phải là ngày làm việc, sau ngày hẹn hiện tại. Hẹn trả trước 17 giờ ngày đó.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )


class DecideApologyForm(ActionForm):
    # Bounded like a row id: a 20-digit number overflowed the SQLite driver.
    letter = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)
    decision = forms.ChoiceField(choices=[("approve", "Duyệt"), ("reject", "Không duyệt")])


# --- work queue ------------------------------------------------------------------------------

DEADLINE_CHOICES = [
    ("", "Tất cả"),
    ("overdue", "Quá hạn"),
    ("near", "Sắp đến hạn"),
    ("ok", "Còn hạn"),
]


class QueueFilterForm(ChoicesMixin, forms.Form):
    # Rendered by the page from filters.ProcedureOptions (cached), not by the Select widget.
    thu_tuc = forms.ChoiceField(label="Thủ tục", required=False)
    trang_thai = forms.TypedChoiceField(
        label="Trạng thái hồ sơ",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "Tất cả")] + [(v, f"{v}. {label}") for v, label in Status.choices],
    )
    han = forms.ChoiceField(label="Thời hạn", required=False, choices=DEADLINE_CHOICES)

    def __init__(
        self, *args: Any, procedures: Iterable[tuple[str, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._choice("thu_tuc").choices = [("", "Tất cả"), *procedures]

    def procedure_select(self, options: ProcedureOptions) -> SafeString:
        """The procedure <select> from the cached options, the asked procedure selected."""
        field = self["thu_tuc"]
        chosen = str(self.data.get(field.html_name) or "")
        return options.select(field.html_name, field.auto_id, chosen)


# --- in-person reception (tiếp nhận trực tiếp) ------------------------------------------------


class ProcedureChoiceForm(ChoicesMixin, forms.Form):
    q = forms.CharField(
        label="Tìm thủ tục (gõ không dấu cũng được)", required=False, max_length=200
    )
    thu_tuc = forms.ChoiceField(label="Thủ tục hành chính", required=False)

    def __init__(self, *args: Any, procedures: Iterable[Procedure] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        groups: dict[str, list[tuple[str, str]]] = {}
        for p in procedures:
            groups.setdefault(p.sector.name if p.sector_id else "Khác", []).append(
                (p.code, f"{p.name} ({p.code})")
            )
        self._choice("thu_tuc").choices = [("", "— Chọn thủ tục —")] + [
            (sector, items) for sector, items in groups.items()
        ]


class ReceptionForm(forms.Form):
    """What the desk types in and scans when a dossier is brought in person or by post."""

    applicant_kind = forms.ChoiceField(
        label="Chủ hồ sơ là",
        choices=[("citizen", "Công dân"), ("business", "Tổ chức, doanh nghiệp")],
        widget=forms.RadioSelect,
        initial="citizen",
    )
    applicant_name = forms.CharField(label="Họ tên công dân hoặc tên tổ chức", max_length=255)
    applicant_id_number = forms.CharField(
        label="Số định danh cá nhân hoặc mã số thuế",
        max_length=20,
        help_text="Công dân: 12 chữ số trên căn cước. Doanh nghiệp: mã số thuế.",
    )
    applicant_phone = forms.CharField(label="Số điện thoại", required=False, max_length=20)
    applicant_email = forms.EmailField(label="Thư điện tử", required=False)
    applicant_address = forms.CharField(label="Địa chỉ", required=False, max_length=255)
    set_count = forms.IntegerField(
        label="Số lượng hồ sơ (bộ)",
        min_value=1,
        max_value=99,
        initial=1,
        required=False,  # empty: one set
    )

    def __init__(self, procedure: Procedure, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.procedure = procedure
        self.components: list[tuple[DossierComponent, str]] = []
        self.needed: set[str] = set()
        for component in procedure.components.all():
            name = f"file__{component.code}"
            needed = component.required and not component.is_online_form
            self.fields[name] = MultipleFileField(
                label=component.name,
                required=False,  # the service reports missing papers, all at once
                help_text=("Bắt buộc. " if needed else "Không bắt buộc. ") + FILE_HELP,
            )
            if needed:
                self.needed.add(name)
            self.components.append((component, name))
        self.fields["channel"] = forms.TypedChoiceField(
            label="Hồ sơ nộp",
            coerce=int,
            choices=[
                (Channel.IN_PERSON, "Trực tiếp tại Bộ phận Một cửa"),
                (Channel.POST, "Qua bưu chính công ích"),
            ],
            widget=forms.RadioSelect,
            initial=Channel.IN_PERSON,
        )
        self.fields["result_delivery"] = forms.ChoiceField(
            label="Cách nhận kết quả",
            choices=ResultDelivery.choices,
            widget=forms.RadioSelect,
            initial=ResultDelivery.DESK,
        )
        self.fields["delivery_address"] = forms.CharField(
            label="Địa chỉ nhận kết quả (khi nhận qua bưu chính)", required=False, max_length=500
        )
        self.fields["summary"] = forms.CharField(
            label="Trích yếu (không bắt buộc)",
            required=False,
            max_length=500,
            help_text="Để trống: dùng tên thủ tục.",
        )
        # The receiver ticks what the applicant asked for among the optional fees.
        self.fee_choices: list[FeeChoice] = add_fee_fields(self, procedure.fees.all())

    @property
    def fee_rows(self) -> list[FeeRow]:
        return fee_rows(self, self.fee_choices)

    def requested_fees(self) -> dict[str, int]:
        return requested(self.fee_choices, self.cleaned_data)

    def uploads(self) -> dict[str, list[UploadedFile]]:
        return {
            component.code: self.cleaned_data.get(name) or []
            for component, name in self.components
            if self.cleaned_data.get(name)
        }

    def component_field(self, code: str) -> str | None:
        if code.startswith("fees."):
            choice = next(
                (c for c in self.fee_choices if str(c.fee.pk) == code.split(".", 1)[1]), None
            )
            return (choice.quantity or choice.checkbox) if choice else None
        return f"file__{code}" if f"file__{code}" in self.fields else None
