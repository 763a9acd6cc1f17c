from __future__ import annotations

from typing import Any

from django import forms

from egov.catalog.models import DossierComponent, Fee, Procedure, ProcedureChain, reduced
from egov.dossiers.fee_fields import FeeChoice, FeeRow, add_fee_fields, fee_rows, money, requested
from egov.dossiers.models import Rating, ResultDelivery
from egov.identity import prefill
from egov.onestop.forms import MultipleFileField

FIELD_WIDGETS: dict[str, Any] = {
    "textarea": forms.Textarea(attrs={"rows": 3}),
    "date": forms.DateInput(attrs={"type": "date"}),
    "email": forms.EmailInput(),
    "number": forms.NumberInput(),
}


# Where a "prefill" field of an online form takes its value from the applicant's account.
def account_values(user: Any) -> dict[str, str]:
    values = {"phone": getattr(user, "phone", "") or "", "email": getattr(user, "email", "") or ""}
    citizen = getattr(user, "citizen", None) if getattr(user, "kind", "") == "citizen" else None
    business = getattr(user, "business", None) if getattr(user, "kind", "") == "business" else None
    if citizen is not None:
        values["full_name"] = user.get_full_name()
        values["personal_id"] = citizen.personal_id
        if citizen.birth_year:
            values["birth_year"] = str(citizen.birth_year)
    if business is not None:
        values["address"] = business.address
    return {k: v for k, v in values.items() if v}


# Values a verified identity vouches for: shown, not typed (the dossier's applicant is the account).
LOCKED_SOURCES = frozenset({"full_name", "personal_id", "birth_year"})


def identity_verified(user: Any) -> bool:
    profile = getattr(user, "citizen", None) if getattr(user, "kind", "") == "citizen" else None
    return bool(profile is not None and profile.is_identity_verified)


OPTIONAL_MARK = " (không bắt buộc)"


def proof_key(fee_id: Any) -> str:
    """Where a fee's exemption proof is kept among the draft's papers (no component code has
    a colon)."""
    return f"proof:{fee_id}"


def exemption_label(fee: Fee, exemption: Any) -> str:
    """ "Người khuyết tật — miễn phí" / "Sinh viên — giảm 50%, còn 100.000 đồng"."""
    if exemption.percent >= 100:
        return f"{exemption.group} — miễn phí"
    due = money(reduced(fee.amount, exemption.percent)) + (f"/{fee.unit}" if fee.unit else "")
    return f"{exemption.group} — giảm {exemption.percent}%, còn {due}"


class ConfirmForm(forms.Form):
    """The declaration on the check-answers page, before the dossier is sent."""

    confirm = forms.BooleanField(
        label="Tôi cam đoan những thông tin đã khai là đúng sự thật và chịu trách nhiệm trước "
        "pháp luật về lời khai của mình",
        required=True,
        error_messages={"required": "Vui lòng đánh dấu lời cam đoan trước khi gửi hồ sơ."},
    )


class SubmissionForm(forms.Form):
    """Built from the procedure: agency, one field per online-form field, one upload per paper,
    the optional fees the applicant asks for, how to receive the result.

    Fields are not `required` for Django: the service checks the schema and reports every error
    at once; `optional` fields carry "(không bắt buộc)" in their label, required ones
    aria-required. Fields marked "prefill" in the schema start from the account; a verified
    citizen's name and personal id number are the account's and cannot be changed here.

    `verified_claims` (given once the applicant consented to the prefill from their electronic
    identity): the fields those claims fill take the claims' values, read-only and marked
    "Đã xác thực qua VNeID"; whatever is posted for them is replaced by the claim (the server
    ignores a changed value, so the mark is never on a value the provider did not verify)."""

    def __init__(
        self,
        procedure: Procedure,
        *args: Any,
        user: Any = None,
        stored_files: dict[str, list[dict[str, Any]]] | None = None,
        verified_claims: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.procedure = procedure
        # The applicant consented to the prefill (even if the claims fill nothing here).
        self.identity_prefill = verified_claims is not None
        self.verified: set[str] = set()
        self.stored_files = stored_files or {}
        account = account_values(user) if user is not None else {}
        lock = identity_verified(user)
        self.locked: dict[str, str] = {}
        self.prefilled: set[str] = set()
        agencies = list(procedure.agencies.filter(is_active=True))
        self.fields["agency"] = forms.ChoiceField(
            label="Cơ quan tiếp nhận",
            choices=[("", "— Chọn cơ quan —")] + [(a.identifier, a.name) for a in agencies],
            initial=agencies[0].identifier if len(agencies) == 1 else None,
            required=False,  # the service names a missing agency with the other errors
        )
        self.fields["agency"].widget.attrs["aria-required"] = "true"
        self.component_fields: list[tuple[DossierComponent, list[str]]] = []
        self.form_components: list[tuple[DossierComponent, list[str]]] = []
        self.paper_components: list[tuple[DossierComponent, str]] = []
        for component in procedure.components.all():
            names: list[str] = []
            if component.is_online_form:
                from_claims = prefill.schema_values(component.form_schema, verified_claims or {})
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
                    if spec.get("help_text"):
                        field.help_text = spec["help_text"]
                    # Required-ness and formats are checked by the service from the schema.
                    field.required = False
                    if spec.get("required"):
                        field.widget.attrs["aria-required"] = "true"
                    elif kind != "checkbox":
                        field.label = f"{field.label}{OPTIONAL_MARK}"
                    if kind in ("personal_id", "phone", "number"):
                        field.widget.attrs["inputmode"] = "numeric"
                    source = spec.get("prefill")
                    if spec["name"] in from_claims:
                        self._mark_verified(name, field, from_claims[spec["name"]])
                    elif source and source in account:
                        field.initial = account[source]
                        self.prefilled.add(name)
                        if lock and source in LOCKED_SOURCES:
                            self.locked[name] = account[source]
                            field.widget.attrs["readonly"] = "readonly"
                            field.help_text = "Theo tài khoản đã xác thực danh tính của bạn."
                        else:
                            field.help_text = (
                                field.help_text or "Lấy từ tài khoản của bạn; sửa nếu cần."
                            )
                    self.fields[name] = field
                    names.append(name)
                self.form_components.append((component, names))
            else:
                name = f"file__{component.code}"
                stored = self.stored_files.get(component.code, [])
                self.fields[name] = MultipleFileField(
                    label=component.name + ("" if component.required else OPTIONAL_MARK),
                    required=False,
                    help_text="PDF, JPEG hoặc PNG, tối đa 10 MB mỗi tệp."
                    + (" Chọn tệp mới để thay tệp đã tải lên." if stored else ""),
                )
                if component.required:
                    self.fields[name].widget.attrs["aria-required"] = "true"
                if stored:
                    self.fields[f"remove__{component.code}"] = forms.BooleanField(
                        label="Bỏ tệp đã tải lên", required=False
                    )
                names.append(name)
                self.paper_components.append((component, name))
            self.component_fields.append((component, names))
        self.fee_choices: list[FeeChoice] = add_fee_fields(self, procedure.fees.all())
        self.exemption_fees: list[Fee] = []
        for fee in procedure.fees.all():
            groups = list(fee.exemptions.all())
            if not groups or not fee.amount:
                continue
            self.exemption_fees.append(fee)
            self.fields[f"exemption__{fee.pk}"] = forms.ChoiceField(
                label=f"{fee.name}: bạn có thuộc đối tượng được miễn, giảm không?",
                choices=[("", "Không thuộc đối tượng miễn, giảm")]
                + [(str(e.pk), exemption_label(fee, e)) for e in groups],
                widget=forms.RadioSelect,
                initial="",
                required=False,
            )
            self.fields[f"proof__{fee.pk}"] = MultipleFileField(
                label=f"Giấy tờ chứng minh được miễn, giảm {fee.name.lower()}"
                + OPTIONAL_MARK.replace("không bắt buộc", "khi thuộc đối tượng miễn, giảm"),
                required=False,
                help_text="Theo đối tượng đã chọn: "
                + "; ".join(f"{e.group.lower()}: {e.proof.lower()}" for e in groups)
                + ". PDF, JPEG hoặc PNG, tối đa 10 MB mỗi tệp."
                + (
                    " Chọn tệp mới để thay tệp đã tải lên."
                    if self.stored_files.get(proof_key(fee.pk))
                    else ""
                ),
            )
        self.fields["result_delivery"] = forms.ChoiceField(
            label="Cách nhận kết quả",
            choices=ResultDelivery.choices,
            widget=forms.RadioSelect,
            initial=ResultDelivery.ONLINE,
            required=False,
        )
        self.fields["delivery_address"] = forms.CharField(
            label="Địa chỉ nhận kết quả",
            required=False,
            max_length=500,
            help_text="Bắt buộc khi nhận kết quả qua bưu chính công ích.",
        )
        chains = ProcedureChain.objects.filter(
            is_active=True, items__order=1, items__procedure=procedure
        ).distinct()
        if chains:
            self.fields["chain"] = forms.ChoiceField(
                label="Đồng thời đề nghị giải quyết liên thông",
                required=False,
                choices=[("", "Không")] + [(c.code, c.name) for c in chains],
                widget=forms.RadioSelect,
                help_text="Các cơ quan liên quan nhận hồ sơ của bạn cùng lúc, không cần nộp lại.",
            )
        self.fields["idempotency_key"] = forms.CharField(widget=forms.HiddenInput, required=False)
        if self.is_bound and self.locked:
            # What is posted for a locked field is never used, nor shown back.
            data: Any = self.data.copy()  # type: ignore[attr-defined]
            for key, value in self.locked.items():
                data[key] = value
            self.data = data

    def _mark_verified(self, name: str, field: forms.Field, value: str) -> None:
        """A field the verified claims fill: their value, read-only, marked for every reader."""
        if isinstance(field, forms.ChoiceField):
            # A select cannot be read-only: the value is shown as read-only text instead.
            field.widget = forms.TextInput()
        field.initial = value
        field.widget.attrs["readonly"] = "readonly"
        field.widget.attrs["aria-readonly"] = "true"
        field.help_text = (
            "Thông tin đã được xác thực qua tài khoản định danh điện tử (VNeID), không sửa "
            "được ở đây. Để khai khác, chọn “Không dùng thông tin từ VNeID”."
        )
        field.verified_by = prefill.PROVIDER_LABEL  # type: ignore[attr-defined]
        self.locked[name] = value
        self.prefilled.add(name)
        self.verified.add(name)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cleaned.update(self.locked)  # whatever was posted: the account's values
        return cleaned

    @property
    def fee_rows(self) -> list[FeeRow]:
        return fee_rows(self, self.fee_choices)

    def requested_fees(self) -> dict[str, int]:
        return requested(self.fee_choices, getattr(self, "cleaned_data", {}))

    def requested_exemptions(self) -> dict[str, str]:
        """{fee id: exemption id} ("" for none), as dossiers.fees reads it."""
        cleaned = getattr(self, "cleaned_data", {})
        return {str(f.pk): cleaned.get(f"exemption__{f.pk}") or "" for f in self.exemption_fees}

    def exemption_rows(self) -> list[tuple[Fee, Any, Any, list[dict[str, Any]]]]:
        """(fee, its group choice, its proof upload, the proof files already uploaded)."""
        return [
            (
                f,
                self[f"exemption__{f.pk}"],
                self[f"proof__{f.pk}"],
                self.stored_files.get(proof_key(f.pk), []),
            )
            for f in self.exemption_fees
        ]

    def paper_rows(self) -> list[tuple[DossierComponent, Any, list[dict[str, Any]], Any]]:
        """(component, file field, files already uploaded, their removal checkbox)."""
        rows = []
        for component, name in self.paper_components:
            remove = f"remove__{component.code}"
            rows.append(
                (
                    component,
                    self[name],
                    self.stored_files.get(component.code, []),
                    self[remove] if remove in self.fields else None,
                )
            )
        return rows

    def form_rows(self) -> list[tuple[DossierComponent, list[Any]]]:
        return [(c, [self[n] for n in names]) for c, names in self.form_components]

    def component_data(self) -> dict[str, dict[str, Any]]:
        data: dict[str, dict[str, Any]] = {}
        cleaned = getattr(self, "cleaned_data", {})
        for component, names in self.component_fields:
            if component.is_online_form:
                data[component.code] = {
                    n.split("__", 1)[1]: cleaned.get(n, "")
                    for n in names
                    if cleaned.get(n, "") not in ("", None)
                }
        return data

    def field_for_error(self, key: str) -> str | None:
        """The form field a service error key ("to-khai.child_name", "giay-chung-sinh",
        "fees.12", "agency") belongs to."""
        if key.startswith(("exemption.", "exemption_proof.")):
            kind, fee_id = key.split(".", 1)
            target = f"{'exemption' if kind == 'exemption' else 'proof'}__{fee_id}"
            return target if target in self.fields else None
        if key.startswith("fees."):
            fee_id = key.split(".", 1)[1]
            choice = next((c for c in self.fee_choices if str(c.fee.pk) == fee_id), None)
            return (choice.quantity or choice.checkbox) if choice else None
        target = key.replace(".", "__")
        if target in self.fields:
            return target
        if f"file__{key}" in self.fields:
            return f"file__{key}"
        return None

    def error_links(self) -> list[tuple[str, str]]:
        """The error summary: (anchor, message) in the order of the page; anchor "" for an
        error of the whole form."""
        links = [("", str(e)) for e in self.non_field_errors()]
        for bound in self:
            if bound.is_hidden:
                continue
            for error in bound.errors:
                anchor = bound.auto_id
                if isinstance(bound.field.widget, forms.RadioSelect):
                    anchor = f"{bound.auto_id}_0"
                links.append((anchor, str(error)))
        return links


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
