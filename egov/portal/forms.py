from __future__ import annotations

from typing import Any

from django import forms

from egov.catalog.models import DossierComponent, Procedure, ProcedureChain
from egov.dossiers.models import Rating, ResultDelivery
from egov.onestop.forms import MultipleFileField

FIELD_WIDGETS: dict[str, Any] = {
    "textarea": forms.Textarea(attrs={"rows": 3}),
    "date": forms.DateInput(attrs={"type": "date"}),
    "email": forms.EmailInput(),
    "number": forms.NumberInput(),
}


class SubmissionForm(forms.Form):
    """Built from the procedure: agency, one field per online-form field, one upload per paper."""

    def __init__(self, procedure: Procedure, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.procedure = procedure
        agencies = list(procedure.agencies.filter(is_active=True))
        self.fields["agency"] = forms.ChoiceField(
            label="Cơ quan tiếp nhận",
            choices=[(a.identifier, a.name) for a in agencies],
            initial=agencies[0].identifier if len(agencies) == 1 else None,
        )
        self.component_fields: list[tuple[DossierComponent, list[str]]] = []
        for component in procedure.components.all():
            names: list[str] = []
            if component.is_online_form:
                for spec in (component.form_schema or {}).get("fields", []):
                    name = f"{component.code}__{spec['name']}"
                    kind = spec.get("type", "text")
                    if kind in ("select", "choice"):
                        field: forms.Field = forms.ChoiceField(
                            choices=[("", "— Chọn —")] + [(c, c) for c in spec.get("choices", [])]
                        )
                    elif kind == "checkbox":
                        field = forms.BooleanField()
                    else:
                        field = forms.CharField(widget=FIELD_WIDGETS.get(kind, forms.TextInput()))
                    field.label = spec.get("label", spec["name"])
                    # Required-ness and formats are checked by the service from the schema.
                    field.required = False
                    field.widget.attrs["data-required"] = "1" if spec.get("required") else "0"
                    self.fields[name] = field
                    names.append(name)
            else:
                name = f"file__{component.code}"
                self.fields[name] = forms.FileField(
                    label=component.name,
                    required=False,
                    widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
                    help_text=("Bắt buộc. " if component.required else "Không bắt buộc. ")
                    + "PDF, JPEG hoặc PNG, tối đa 10 MB.",
                )
                names.append(name)
            self.component_fields.append((component, names))
        self.fields["result_delivery"] = forms.ChoiceField(
            label="Cách nhận kết quả",
            choices=ResultDelivery.choices,
            widget=forms.RadioSelect,
            initial=ResultDelivery.ONLINE,
        )
        self.fields["delivery_address"] = forms.CharField(
            label="Địa chỉ nhận kết quả (khi nhận qua bưu chính)", required=False, max_length=500
        )
        chains = ProcedureChain.objects.filter(
            is_active=True, items__order=1, items__procedure=procedure
        ).distinct()
        if chains:
            self.fields["chain"] = forms.ChoiceField(
                label="Đồng thời đề nghị giải quyết liên thông",
                required=False,
                choices=[("", "Không")] + [(c.code, c.name) for c in chains],
                help_text="Các cơ quan liên quan nhận hồ sơ của bạn cùng lúc, không cần nộp lại.",
            )
        self.fields["confirm"] = forms.BooleanField(
            label="Tôi đã xem lại hồ sơ và cam đoan những thông tin đã khai là đúng sự thật",
            required=False,
        )
        self.fields["idempotency_key"] = forms.CharField(widget=forms.HiddenInput, required=False)

    def component_data(self) -> dict[str, dict[str, Any]]:
        data: dict[str, dict[str, Any]] = {}
        for component, names in self.component_fields:
            if component.is_online_form:
                data[component.code] = {
                    n.split("__", 1)[1]: self.cleaned_data.get(n, "")
                    for n in names
                    if self.cleaned_data.get(n, "") not in ("", None)
                }
        return data


class LookupForm(forms.Form):
    code = forms.CharField(label="Mã hồ sơ", max_length=40)
    second_factor = forms.CharField(
        label="Số định danh cá nhân, mã số thuế hoặc số điện thoại của chủ hồ sơ", max_length=20
    )


class RatingForm(forms.Form):
    level = forms.TypedChoiceField(
        label="Mức độ hài lòng", choices=Rating.Level.choices, coerce=int, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label="Góp ý", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class SupplementForm(forms.Form):
    """The applicant's answer to a supplement request: one upload per paper the request names
    (`item-0`, `item-1`, ...), each taking several files. What is required and each file's
    checks are the service's (onestop.services.provide_supplement)."""

    def __init__(
        self,
        *args: Any,
        papers: list[dict[str, str]] | None = None,
        structured: bool = True,
        max_files: int = 10,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.papers = papers or []
        for index, paper in enumerate(self.papers):
            self.fields[f"item-{index}"] = MultipleFileField(
                label=paper["name"],
                required=False,
                help_text=("Bắt buộc. " if structured else "")
                + f"Chọn được nhiều tệp (tối đa {max_files}): PDF, JPEG hoặc PNG, tối đa 10 MB "
                "mỗi tệp.",
            )
        self.fields["note"] = forms.CharField(
            label="Ghi chú gửi cơ quan (không bắt buộc)",
            required=False,
            max_length=2000,
            widget=forms.Textarea(attrs={"rows": 2}),
        )

    def by_item(self) -> dict[int, list[Any]]:
        return {
            index: list(self.cleaned_data.get(f"item-{index}") or [])
            for index in range(len(self.papers))
        }


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Lý do rút hồ sơ",
        max_length=2000,
        help_text="Ví dụ: đã nộp nhầm thủ tục, không còn nhu cầu giải quyết.",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Nhập lý do rút hồ sơ."},
    )
