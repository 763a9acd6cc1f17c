"""Operator administration of the procedure catalogue.

Every save and delete goes through the services (each change is an event). Process versions are
read-only here: a new version is published from a procedure's "Công bố quy trình mới" page.
The procedure list also imports and exports the catalogue (JSON, XLSX).
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.db.models.fields.files import FieldFile
from django.forms import BaseInlineFormSet, formset_factory
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from egov.core.admin import OperatorOnlyMixin, is_operator_request, operator_actor
from egov.core.text import normalize_vietnamese
from egov.core.uploads import DOCX, PDF, UploadRejected, UploadRules, check_upload
from egov.org.models import Role, Unit

from . import io as catalog_io
from . import services
from .models import (
    DossierComponent,
    Fee,
    IdentityRequirement,
    PaymentTiming,
    Procedure,
    ProcedureChain,
    ProcedureChainItem,
    ProcessStep,
    ProcessVersion,
    Sector,
    TimeUnit,
)
from .search import search_procedures
from .services import CatalogError, ComponentSpec, ExemptionSpec, FeeSpec, StepSpec


class OperatorOnlyAdmin(OperatorOnlyMixin, admin.ModelAdmin):
    pass


class OperatorInlineMixin:
    """Inlines follow the same rule as their page (model permissions are not used); removing a
    row goes through the services like every other change."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_operator_request(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_operator_request(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_operator_request(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_operator_request(request)


# --- sectors -------------------------------------------------------------------------------------


@admin.register(Sector)
class SectorAdmin(OperatorOnlyAdmin):
    list_display = ["code", "name", "procedure_count"]
    search_fields = ["code", "name"]
    fields = ["code", "name"]

    @admin.display(description=_("số thủ tục"))
    def procedure_count(self, obj: Sector) -> int:
        return obj.procedure_set.count()

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["code"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Sector, form: Any, change: bool) -> None:
        actor = operator_actor(request)
        if change:
            services.update_sector(actor=actor, sector=obj, name=obj.name)
        else:
            obj.pk = services.create_sector(actor=actor, code=obj.code, name=obj.name).pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # sectors are referenced by procedures and the history


# --- procedures ----------------------------------------------------------------------------------


def _code_from_name(name: str, taken: set[str]) -> str:
    """ "Tờ khai đăng ký khai sinh" → "to-khai-dang-ky-khai-sinh" (unique among `taken`)."""
    base = re.sub(r"[^a-z0-9]+", "-", normalize_vietnamese(name)).strip("-")[:36].rstrip("-")
    base = base or "thanh-phan"
    code, n = base, 2
    while code in taken:
        code, n = f"{base}-{n}", n + 1
    return code


class OptionalJSONField(forms.JSONField):
    """An empty box for "no online form" (Django shows `null`)."""

    def prepare_value(self, value: Any) -> Any:
        return "" if value is None else super().prepare_value(value)


class ComponentForm(forms.ModelForm):
    form_schema = OptionalJSONField(
        label=_("Biểu mẫu trực tuyến"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=_(
            'Để trống nếu đây là giấy tờ tải lên. Ví dụ: {"fields": [{"name": "ho_ten", '
            '"label": "Họ, chữ đệm, tên", "type": "text", "required": true}]}'
        ),
    )

    class Meta:
        model = DossierComponent
        fields = [
            "order",
            "code",
            "name",
            "required",
            "originals",
            "copies",
            "form_template",
            "form_schema",
        ]
        help_texts = {
            "order": _("Để trống: xếp theo thứ tự nhập."),
            "code": _("Để trống: tạo từ tên giấy tờ (chữ thường không dấu)."),
            "form_template": _(
                "Tệp PDF hoặc DOCX, tối đa 5 MB; người dân tải về từ trang thủ tục."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["order"].required = False
        self.fields["code"].required = False
        self.fields["code"].widget.attrs["size"] = 24
        self.fields["order"].widget.attrs["size"] = 4
        self.fields["name"].widget = forms.Textarea(attrs={"rows": 2, "cols": 60})

    def clean_form_template(self) -> Any:
        upload = self.cleaned_data.get("form_template")
        if not isinstance(upload, UploadedFile):
            return upload  # unchanged, cleared or none
        try:
            checked = check_upload(upload, rules=FORM_TEMPLATE_RULES, label="mẫu đơn, tờ khai")
        except UploadRejected as exc:
            raise ValidationError(exc.message) from exc
        return ContentFile(checked.content, name=checked.name)


FORM_TEMPLATE_RULES = UploadRules(allowed=(PDF, DOCX), max_bytes=5 * 1024 * 1024)


class ComponentFormSet(BaseInlineFormSet):
    def specs(self) -> list[ComponentSpec]:
        rows: list[tuple[int, int, ComponentSpec]] = []
        kept = [
            f.cleaned_data
            for f in self.forms
            if getattr(f, "cleaned_data", None) and not f.cleaned_data.get("DELETE")
        ]
        taken = {d["code"] for d in kept if d.get("code")}
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE"):
                continue
            if not data.get("code") and (data.get("name") or "").strip():
                data["code"] = _code_from_name(data["name"], taken)
                taken.add(data["code"])
            template = data.get("form_template")
            if template is False or template is None:
                template = ""  # none, or cleared
            elif isinstance(template, FieldFile):
                template = template.name or ""  # the stored file, unchanged
            rows.append(
                (
                    data.get("order") or 10_000,  # no number: after the numbered ones, as typed
                    len(rows),
                    ComponentSpec(
                        code=data.get("code") or "",
                        name=data.get("name") or "",
                        required=bool(data.get("required")),
                        originals=data.get("originals") or 0,
                        copies=data.get("copies") or 0,
                        form_schema=data.get("form_schema") or None,
                        form_template=template,
                    ),
                )
            )
        return [spec for _, _, spec in sorted(rows, key=lambda r: (r[0], r[1]))]

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        errors = services.check_components(self.specs())
        if errors:
            raise ValidationError(errors)


def _kind_from_name(name: str) -> str:
    """A charge when the name says "Lệ phí", otherwise a fee (what the names always start with)."""
    return Fee.Kind.CHARGE if normalize_vietnamese(name).startswith("le phi") else Fee.Kind.FEE


def format_exemptions(specs: Any) -> str:
    """One line per group: "group | percent | proof | legal source"."""
    return "\n".join(
        f"{e.group} | {e.percent} | {e.proof} | {e.legal_source}".rstrip(" |") for e in specs
    )


def parse_exemptions(text: str) -> tuple[ExemptionSpec, ...]:
    """The admin's text back into specs; a percent that is not a number is kept as text for
    check_fees to name."""
    specs = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")] + ["", "", ""]
        percent: Any = parts[1] or "100"
        if str(percent).rstrip("%").strip().isdigit():
            percent = int(str(percent).rstrip("%").strip())
        specs.append(ExemptionSpec(parts[0], percent, parts[2], parts[3]))
    return tuple(specs)


class FeeForm(forms.ModelForm):
    exemptions_text = forms.CharField(
        label=_("đối tượng miễn, giảm"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_(
            "Mỗi dòng một đối tượng: tên đối tượng | tỷ lệ miễn, giảm (%) | giấy tờ chứng minh | "
            "căn cứ. Ví dụ: Người khuyết tật | 100 | Giấy xác nhận khuyết tật | Thông tư "
            "244/2016/TT-BTC"
        ),
    )

    class Meta:
        model = Fee
        fields = ["order", "kind", "name", "amount", "rule", "optional", "unit", "legal_source"]
        help_texts = {
            "unit": _(
                "Để trống nếu thu một lần cho mỗi hồ sơ. Ví dụ: bản, trang: thu theo số lượng "
                "người nộp yêu cầu."
            ),
            "optional": _("Khoản thu cho dịch vụ người nộp tự chọn, ví dụ cấp thêm bản sao."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["order"].required = False
        self.fields["kind"].required = False
        kind: Any = self.fields["kind"]
        kind.choices = [("", _("theo tên")), *Fee.Kind.choices]
        self.fields["kind"].help_text = _('Để "theo tên": tên bắt đầu bằng "Lệ phí" là lệ phí.')
        sizes = {"order": 3, "amount": 10, "unit": 10, "legal_source": 22, "name": 30}
        for name, size in sizes.items():
            self.fields[name].widget.attrs["size"] = size
        self.fields["rule"].widget = forms.Textarea(attrs={"rows": 2, "cols": 28})
        if self.instance.pk:
            self.fields["exemptions_text"].initial = format_exemptions(
                self.instance.exemptions.all()
            )


class FeeFormSet(BaseInlineFormSet):
    def specs(self) -> list[FeeSpec]:
        rows: list[tuple[int, int, FeeSpec]] = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE"):
                continue
            name = data.get("name") or ""
            rows.append(
                (
                    data.get("order") or 10_000,
                    len(rows),
                    FeeSpec(
                        kind=data.get("kind") or _kind_from_name(name),
                        name=name,
                        amount=data.get("amount") if data.get("amount") is not None else -1,
                        rule=data.get("rule") or "",
                        optional=bool(data.get("optional")),
                        unit=data.get("unit") or "",
                        legal_source=data.get("legal_source") or "",
                        exemptions=parse_exemptions(data.get("exemptions_text") or ""),
                    ),
                )
            )
        return [spec for _, _, spec in sorted(rows, key=lambda r: (r[0], r[1]))]

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        errors = services.check_fees(self.specs())
        if errors:
            raise ValidationError(errors)


class ComponentInline(OperatorInlineMixin, admin.StackedInline):
    model = DossierComponent
    form = ComponentForm
    formset = ComponentFormSet
    extra = 0
    fields = [
        "name",
        ("order", "code"),
        ("required", "originals", "copies"),
        "form_template",
        "form_schema",
    ]
    verbose_name = _("thành phần hồ sơ")
    verbose_name_plural = _("thành phần hồ sơ")


class FeeInline(OperatorInlineMixin, admin.StackedInline):
    model = Fee
    form = FeeForm
    formset = FeeFormSet
    extra = 0
    fields = [
        "name",
        ("amount", "unit", "optional"),
        ("kind", "order"),
        "legal_source",
        "rule",
        "exemptions_text",
    ]


class ProcedureAdminForm(forms.ModelForm):
    class Meta:
        model = Procedure
        fields = [
            "code",
            "name",
            "sector",
            "level",
            "agencies",
            "is_published",
            "processing_time",
            "time_unit",
            "online_mode",
            "for_citizens",
            "for_businesses",
            "legal_basis",
            "requirements",
            "result_description",
            "electronic_original",
            "result_sealed",
            "result_signing_basis",
            "payment_timing",
            "min_identity_level",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Older forms and scripts post without it: the model's default then.
        self.fields["payment_timing"].required = False
        self.fields["min_identity_level"].required = False
        self.fields["min_identity_level"].help_text = _(
            "Tài khoản nộp hồ sơ trực tuyến phải được định danh điện tử (VNeID) ở mức này "
            "(Nghị định 69/2024/NĐ-CP). Mức độ 2: tài khoản đã được cơ quan Công an xác thực "
            "trực tiếp; chọn khi văn bản công bố thủ tục yêu cầu."
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("payment_timing"):
            data["payment_timing"] = (
                self.instance.payment_timing if self.instance.pk else PaymentTiming.BEFORE_RESULT
            )
        if data.get("min_identity_level") in (None, ""):
            data["min_identity_level"] = (
                self.instance.min_identity_level if self.instance.pk else IdentityRequirement.ANY
            )
        else:
            data["min_identity_level"] = int(data["min_identity_level"])
        values: dict[str, Any] = {
            k: data[k]
            for k in ("name", "level", "time_unit", "online_mode", "processing_time")
            if k in data
        }
        if "code" in data:
            data["code"] = (data["code"] or "").strip().upper()
            values["code"] = data["code"]
        values["for_citizens"] = data.get("for_citizens")
        values["for_businesses"] = data.get("for_businesses")
        for name, messages_ in services.check_procedure_values(values).items():
            for message in messages_:
                self.add_error(name if name in self.fields else None, message)
        instance = self.instance
        current = instance.current_process() if instance.pk else None
        if data.get("is_published") and current is None:
            self.add_error(
                "is_published",
                "Thủ tục chỉ được công bố khi đã có quy trình nội bộ: "
                "lưu thủ tục ở trạng thái chưa công bố, công bố quy trình rồi bật lại.",
            )
        if current is not None and (
            data.get("processing_time") is not None
            and (
                data["processing_time"] != current.processing_time
                or data.get("time_unit") != current.time_unit
            )
        ):
            self.add_error(
                "processing_time",
                "Thời hạn giải quyết phải khớp quy trình đang áp dụng "
                f"({services.format_time(current.processing_time, current.time_unit)}). Để đổi "
                'thời hạn, dùng trang "Công bố quy trình mới".',
            )
        return data


@admin.register(Procedure)
class ProcedureAdmin(OperatorOnlyAdmin):
    form = ProcedureAdminForm
    list_display = [
        "code",
        "name",
        "sector",
        "level",
        "online_mode",
        "legal_time",
        "is_published",
        "current_version",
    ]
    list_filter = ["is_published", "level", "online_mode", "min_identity_level", "sector"]
    search_fields = ["code", "name"]
    search_help_text = _("Tìm theo mã hoặc tên, gõ có dấu hay không dấu đều được.")
    list_select_related = ["sector"]
    filter_horizontal = ["agencies"]
    inlines = [ComponentInline, FeeInline]
    readonly_fields = ["process_summary", "submission_count", "updated_at"]
    fieldsets = [
        (None, {"fields": ["code", "name", "sector", "level", "agencies", "is_published"]}),
        (
            _("Thời hạn và mức độ trực tuyến"),
            {
                "fields": [
                    ("processing_time", "time_unit"),
                    "online_mode",
                    "min_identity_level",
                    "payment_timing",
                    "process_summary",
                ],
            },
        ),
        (
            _("Nội dung"),
            {
                "fields": [
                    "for_citizens",
                    "for_businesses",
                    "legal_basis",
                    "requirements",
                    "result_description",
                    "electronic_original",
                    "result_sealed",
                    "result_signing_basis",
                ],
            },
        ),
        (_("Thống kê"), {"fields": ["submission_count", "updated_at"], "classes": ["collapse"]}),
    ]
    actions = ["export_selected_json", "export_selected_xlsx"]
    change_list_template = "admin/catalog/procedure/change_list.html"

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial: dict[str, Any] = dict(super().get_changeform_initial_data(request))
        initial.setdefault("is_published", False)
        return initial

    @admin.display(description=_("thời hạn"), ordering="processing_time")
    def legal_time(self, obj: Procedure) -> str:
        return services.format_time(obj.processing_time, obj.time_unit)

    @admin.display(description=_("quy trình"))
    def current_version(self, obj: Procedure) -> str:
        current = obj.current_process()
        return f"v{current.version}" if current else "—"

    @admin.display(description=_("quy trình nội bộ đang áp dụng"))
    def process_summary(self, obj: Procedure) -> str:
        if obj.pk is None:
            return "Lưu thủ tục trước, sau đó công bố quy trình."
        link = reverse("admin:catalog_procedure_publish", args=[obj.pk])
        current = obj.current_process()
        if current is None:
            return format_html('Chưa có quy trình. <a href="{}">Công bố quy trình</a>', link)
        steps = format_html_join(
            "",
            "<li>{}. {} — {} — {}{}</li>",
            (
                (
                    s.order,
                    s.name,
                    role_name(s.role),
                    services.format_time(s.budget, current.time_unit),
                    f" — liên thông {s.agency_identifier}" if s.agency_identifier else "",
                )
                for s in current.steps.order_by("order")
            ),
        )
        return format_html(
            'Phiên bản {} (công bố {}):<ol class="catalog-steps">{}</ol>'
            '<a href="{}">Công bố quy trình mới</a>',
            current.version,
            timezone.localtime(current.published_at).strftime("%d/%m/%Y %H:%M"),
            steps,
            link,
        )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Procedure], search_term: str
    ) -> tuple[QuerySet[Procedure], bool]:
        if not search_term.strip():
            return queryset, False
        found = search_procedures(
            search_term, only_published=False, limit=500, actor=operator_actor(request)
        )
        return queryset.filter(pk__in=[p.pk for p in found]), False

    # -- saving through the services --

    def save_model(self, request: HttpRequest, obj: Procedure, form: Any, change: bool) -> None:
        actor = operator_actor(request)
        data = form.cleaned_data
        values = {name: data[name] for name in services.PROCEDURE_FIELDS if name in data}
        # The form checked the same rules; a refusal here (a race with another operator) comes
        # back as an error message through OperatorOnlyMixin, with nothing saved.
        if change:
            stored = Procedure.objects.get(pk=obj.pk)
            services.update_procedure(
                actor=actor,
                procedure=stored,
                changes=values,
                agencies=list(data.get("agencies") or []),
            )
        else:
            created = services.create_procedure(
                actor=actor, agencies=list(data.get("agencies") or []), **values
            )
            obj.pk = created.pk
        obj.refresh_from_db()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        actor = operator_actor(request)
        procedure = form.instance
        for formset in formsets:
            # The admin's change message reads these; the services record the real change.
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            if isinstance(formset, ComponentFormSet):
                services.set_components(
                    actor=actor, procedure=procedure, components=formset.specs()
                )
            elif isinstance(formset, FeeFormSet):
                services.set_fees(actor=actor, procedure=procedure, fees=formset.specs())

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_operator_request(request)  # through the service: refused once in use

    def delete_model(self, request: HttpRequest, obj: Procedure) -> None:
        try:
            services.delete_procedure(actor=operator_actor(request), procedure=obj)
        except CatalogError as exc:
            messages.error(request, exc.message)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Procedure]) -> None:
        for obj in queryset:
            self.delete_model(request, obj)

    # -- export actions --

    @admin.action(description=_("Xuất các thủ tục đã chọn ra JSON"))
    def export_selected_json(
        self, request: HttpRequest, queryset: QuerySet[Procedure]
    ) -> HttpResponse:
        return _download(catalog_io.export_json(queryset).encode(), "json")

    @admin.action(description=_("Xuất các thủ tục đã chọn ra Excel (XLSX)"))
    def export_selected_xlsx(
        self, request: HttpRequest, queryset: QuerySet[Procedure]
    ) -> HttpResponse:
        return _download(catalog_io.export_xlsx(queryset), "xlsx")

    # -- extra pages --

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        extra = [
            path(
                "<id:pk>/quy-trinh-moi/", view(self.publish_view), name="catalog_procedure_publish"
            ),
            path("nhap-danh-muc/", view(self.import_view), name="catalog_procedure_import"),
            path(
                "xuat-danh-muc/<str:fmt>/", view(self.export_view), name="catalog_procedure_export"
            ),
        ]
        return extra + super().get_urls()

    def export_view(self, request: HttpRequest, fmt: str) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        if fmt == "xlsx":
            return _download(catalog_io.export_xlsx(), "xlsx")
        return _download(catalog_io.export_json().encode(), "json")

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        errors: list[str] = []
        result = None
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                document = catalog_io.read_document(upload.read(), upload.name)
                result = catalog_io.import_catalog(
                    document,
                    actor=operator_actor(request),
                    dry_run=form.cleaned_data["dry_run"],
                    missing_agencies="skip"
                    if form.cleaned_data["skip_missing_agencies"]
                    else "error",
                )
            except catalog_io.CatalogImportError as exc:
                errors = exc.errors
            except CatalogError as exc:
                errors = [exc.message]
            if result is not None and not result.dry_run:
                messages.success(request, "Đã nhập danh mục: " + result.summary() + ".")
                for warning in result.warnings:
                    messages.warning(request, warning)
                return HttpResponseRedirect(reverse("admin:catalog_procedure_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Nhập danh mục thủ tục hành chính",
            "form": form,
            "errors": errors,
            "result": result,
        }
        return render(request, "admin/catalog/procedure/import.html", context)

    def publish_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        procedure = get_object_or_404(Procedure, pk=pk)
        current = procedure.current_process()
        StepFormSet = formset_factory(StepForm, extra=0, can_delete=True)
        if request.method == "POST" and request.POST.get("action") == "add_step":
            # "Thêm một bước": the same page with what was typed and one more empty row.
            header = PublishForm(
                initial={
                    k: request.POST.get(k, "") for k in ("processing_time", "time_unit", "note")
                }
            )
            rows = _typed_steps(request.POST, "steps")
            rows.append({"order": len(rows) + 1})
            formset = StepFormSet(prefix="steps", initial=rows)
        elif request.method == "POST":
            header = PublishForm(request.POST)
            formset = StepFormSet(request.POST, prefix="steps")
            if header.is_valid() and formset.is_valid():
                rows = [
                    f.cleaned_data
                    for f in formset.forms
                    if f.cleaned_data
                    and not f.cleaned_data.get("DELETE")
                    and f.cleaned_data.get("name")
                ]
                rows.sort(key=lambda d: d.get("order") or 0)
                steps = [
                    StepSpec(
                        name=d["name"],
                        role=d["role"],
                        budget=d["budget"],
                        unit_kind=d.get("unit_kind") or "",
                        agency_identifier=(d.get("agency_identifier") or "").strip(),
                    )
                    for d in rows
                ]
                try:
                    version = services.publish_process(
                        actor=operator_actor(request),
                        procedure=procedure,
                        steps=steps,
                        note=header.cleaned_data["note"],
                        processing_time=header.cleaned_data["processing_time"],
                        time_unit=header.cleaned_data["time_unit"],
                    )
                except CatalogError as exc:
                    for message in exc.fields.get("steps") or [exc.message]:
                        header.add_error(None, message)
                else:
                    messages.success(
                        request,
                        f"Đã công bố quy trình phiên bản {version.version} cho thủ tục "
                        f"{procedure.code}. Hồ sơ đang xử lý theo phiên bản cũ không thay đổi.",
                    )
                    return HttpResponseRedirect(
                        reverse("admin:catalog_procedure_change", args=[procedure.pk])
                    )
        else:
            header = PublishForm(
                initial={
                    "processing_time": procedure.processing_time,
                    "time_unit": procedure.time_unit,
                }
            )
            initial = [
                {
                    "order": s.order,
                    "name": s.name,
                    "role": s.role,
                    "unit_kind": s.unit_kind,
                    "agency_identifier": s.agency_identifier,
                    "budget": s.budget,
                }
                for s in (current.steps.order_by("order") if current else [])
            ]
            # A first process starts with one empty row; "Thêm một bước" adds more.
            formset = StepFormSet(prefix="steps", initial=initial or [{"order": 1}])
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Công bố quy trình mới — {procedure.code}",
            "procedure": procedure,
            "current": current,
            "header": header,
            "formset": formset,
        }
        return render(request, "admin/catalog/procedure/publish_process.html", context)


def _typed_steps(data: Any, prefix: str) -> list[dict[str, Any]]:
    """The step rows as typed (unchecked), rows marked for deletion left out."""
    try:
        total = min(int(data.get(f"{prefix}-TOTAL_FORMS", 0)), 200)
    except (TypeError, ValueError):
        total = 0
    names = ("order", "name", "role", "unit_kind", "agency_identifier", "budget")
    rows = []
    for i in range(total):
        if data.get(f"{prefix}-{i}-DELETE"):
            continue
        rows.append({n: data.get(f"{prefix}-{i}-{n}", "") for n in names})
    return rows


def _download(content: bytes, fmt: str) -> HttpResponse:
    content_type = (
        "application/json; charset=utf-8"
        if fmt == "json"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="danh-muc-tthc-{stamp}.{fmt}"'
    return response


class ImportForm(forms.Form):
    file = forms.FileField(label="Tệp danh mục (.json hoặc .xlsx)")
    dry_run = forms.BooleanField(label="Chỉ kiểm tra, chưa ghi", required=False, initial=True)
    skip_missing_agencies = forms.BooleanField(
        label="Bỏ qua mã cơ quan chưa có trong hệ thống", required=False
    )


class PublishForm(forms.Form):
    processing_time = forms.DecimalField(
        label="Thời hạn giải quyết", max_digits=6, decimal_places=1, min_value=0.5
    )
    time_unit = forms.ChoiceField(label="Đơn vị", choices=TimeUnit.choices)
    note = forms.CharField(label="Ghi chú phiên bản", max_length=500, required=False)


class StepForm(forms.Form):
    order = forms.IntegerField(label="Bước", min_value=1, required=False)
    name = forms.CharField(
        label="Tên bước",
        max_length=255,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    role = forms.ChoiceField(
        label="Vai trò",
        choices=[(r, label) for r, label in Role.choices if r in services.STEP_ROLES],
        required=False,
    )
    unit_kind = forms.ChoiceField(
        label="Loại phòng ban", choices=[("", "—"), *Unit.Kind.choices], required=False
    )
    agency_identifier = forms.CharField(label="Cơ quan liên thông", max_length=20, required=False)
    budget = forms.DecimalField(label="Thời gian", max_digits=7, decimal_places=2, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("name") and not data.get("DELETE"):
            if not data.get("role"):
                self.add_error("role", "Chọn vai trò.")
            if data.get("budget") is None:
                self.add_error("budget", "Nhập thời gian.")
        return data


# --- process versions (read-only) ----------------------------------------------------------------


def role_name(code: str) -> str:
    """A step's role by its Vietnamese name, never the stored code ("receiver")."""
    return str(Role(code).label) if code in Role.values else code


class ProcessStepInline(OperatorInlineMixin, admin.TabularInline):
    model = ProcessStep
    fields = readonly_fields = (
        "order",
        "name",
        "role_label",
        "unit_kind_label",
        "agency_identifier",
        "budget",
    )
    extra = 0
    can_delete = False

    @admin.display(description=_("vai trò thực hiện"))
    def role_label(self, obj: ProcessStep) -> str:
        return role_name(obj.role)

    @admin.display(description=_("loại phòng ban"))
    def unit_kind_label(self, obj: ProcessStep) -> str:
        kinds = dict(Unit.Kind.choices)
        return str(kinds.get(obj.unit_kind, obj.unit_kind or "—"))

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ProcessVersion)
class ProcessVersionAdmin(OperatorOnlyAdmin):
    """Published versions are history: viewed here, never edited."""

    list_display = ["procedure", "version", "is_current", "legal_time", "published_at"]
    list_filter = ["is_current"]
    search_fields = ["procedure__code", "procedure__name"]
    list_select_related = ["procedure"]
    fields = [
        "procedure",
        "version",
        "is_current",
        "processing_time",
        "time_unit",
        "published_at",
        "note",
        "publish_link",
    ]
    readonly_fields = [
        "procedure",
        "version",
        "is_current",
        "processing_time",
        "time_unit",
        "published_at",
        "note",
        "publish_link",
    ]
    inlines = [ProcessStepInline]

    @admin.display(description=_("thời hạn"))
    def legal_time(self, obj: ProcessVersion) -> str:
        return services.format_time(obj.processing_time, obj.time_unit)

    @admin.display(description=_("phiên bản mới"))
    def publish_link(self, obj: ProcessVersion) -> str:
        link = reverse("admin:catalog_procedure_publish", args=[obj.procedure_id])
        return format_html('<a href="{}">Công bố quy trình mới cho thủ tục này</a>', link)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ProcedureChainItemInline(OperatorInlineMixin, admin.TabularInline):
    model = ProcedureChainItem
    extra = 1
    autocomplete_fields = ["procedure"]


@admin.register(ProcedureChain)
class ProcedureChainAdmin(OperatorOnlyAdmin):
    list_display = ["code", "name", "is_active"]
    search_fields = ["code", "name"]
    inlines = [ProcedureChainItemInline]
