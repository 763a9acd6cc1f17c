"""Administration of the organisation: administrative units, agencies, units, positions, officials.

Only operators use the administration. Saves go through `egov.org.services`, so every change is
recorded as an event. Officials, whose accounts accounts creates, are administered by
egov.accounts.official_admin.
"""

from __future__ import annotations

import copy
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from egov.core.admin import OperatorOnlyMixin, is_operator_request, operator_actor

from . import services
from .models import AdministrativeUnit, Agency, Position, Unit


def add_check_errors(form: forms.BaseForm, errors: dict[str, list[str]]) -> None:
    for name, msgs in errors.items():
        for msg in msgs:
            form.add_error(name if name in form.fields else None, msg)


def probe(form: forms.ModelForm, names: tuple[str, ...]) -> Any:
    """A copy of the form's instance carrying the submitted values of `names`, for the service
    checks (the instance itself is only updated after `clean`)."""
    instance = copy.copy(form.instance)
    for name in names:
        if name in form.cleaned_data:
            setattr(instance, name, form.cleaned_data[name])
    return instance


# --- administrative units ------------------------------------------------------------------------


@admin.register(AdministrativeUnit)
class AdministrativeUnitAdmin(OperatorOnlyMixin, admin.ModelAdmin):
    list_display = ["code", "name", "division_type", "level", "scheme", "parent", "valid_to"]
    list_filter = ["scheme", "level", "division_type"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]
    list_per_page = 100

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Units from the official list (vietnam-provinces) are changed by re-importing only.
        if obj is not None and services.is_imported(obj):
            return False
        return super().has_change_permission(request, obj)

    def save_model(
        self, request: HttpRequest, obj: AdministrativeUnit, form: Any, change: bool
    ) -> None:
        services.save_admin_unit(actor=operator_actor(request), unit=obj)


# --- agencies and units --------------------------------------------------------------------------


class ParentAgencyFilter(admin.SimpleListFilter):
    """Walk the tree: agencies directly under the chosen one."""

    title = _("cơ quan cấp trên")
    parameter_name = "parent"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        parents = Agency.objects.filter(children__isnull=False).distinct().order_by("identifier")
        return [("none", "(Cấp cao nhất)")] + [(str(a.pk), a.name) for a in parents]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value == "none":
            return queryset.filter(parent__isnull=True)
        if value and value.isdigit():
            return queryset.filter(parent_id=int(value))
        return queryset


class AgencyForm(forms.ModelForm):
    website = forms.URLField(label=_("Trang web"), required=False, assume_scheme="https")

    class Meta:
        model = Agency
        fields = list(services.AGENCY_FIELDS)

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        add_check_errors(self, services.check_agency(probe(self, ("parent",))))
        return data


class UnitInline(admin.TabularInline):
    model = Unit
    fields = ["code", "name", "abbreviation", "kind", "is_active"]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_operator_request(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_operator_request(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_operator_request(request)


@admin.register(Agency)
class AgencyAdmin(OperatorOnlyMixin, admin.ModelAdmin):
    form = AgencyForm
    list_display = ["tree_name", "identifier", "abbreviation", "kind", "admin_unit", "is_active"]
    list_filter = ["kind", "is_active", ParentAgencyFilter]
    search_fields = ["identifier", "name", "abbreviation"]
    list_select_related = ["admin_unit", "parent", "parent__parent"]
    autocomplete_fields = ["admin_unit", "parent"]
    readonly_fields = ["subordinates"]
    fieldsets = [
        (None, {"fields": ["identifier", "name", "abbreviation", "kind", "is_active"]}),
        (_("Vị trí trong bộ máy"), {"fields": ["parent", "admin_unit", "subordinates"]}),
        (_("Liên hệ"), {"fields": ["address", "email", "phone", "website"]}),
    ]
    inlines = [UnitInline]
    ordering = ["identifier"]

    @admin.display(description=_("tên cơ quan"), ordering="name")
    def tree_name(self, obj: Agency) -> str:
        depth, node, seen = 0, obj.parent, set()
        while node is not None and node.pk not in seen and depth < 10:
            seen.add(node.pk)
            depth += 1
            node = node.parent
        return f"{'— ' * depth}{obj.name}"

    @admin.display(description=_("cơ quan trực thuộc"))
    def subordinates(self, obj: Agency) -> str:
        if obj.pk is None:
            return "—"
        children = obj.children.order_by("identifier")
        if not children:
            return "—"
        return format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            ((reverse("admin:org_agency_change", args=[c.pk]), c.name) for c in children),
        )

    def save_model(self, request: HttpRequest, obj: Agency, form: Any, change: bool) -> None:
        services.save_agency(actor=operator_actor(request), agency=obj)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not Unit:
            super().save_formset(request, form, formset, change)
            return
        actor = operator_actor(request)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for unit_form in formset.forms:
            if not unit_form.has_changed():
                continue
            unit = unit_form.instance
            unit.agency = form.instance
            is_new = unit._state.adding
            services.save_unit(actor=actor, unit=unit)
            if is_new:
                formset.new_objects.append(unit)
            else:
                formset.changed_objects.append((unit, unit_form.changed_data))


class UnitForm(forms.ModelForm):
    class Meta:
        model = Unit
        fields = list(services.UNIT_FIELDS)

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        unit = probe(self, ("agency", "parent"))
        previous = None
        if unit.pk is not None:
            previous = Unit.objects.filter(pk=unit.pk).values_list("agency_id", flat=True).first()
        if unit.agency_id is not None:
            add_check_errors(self, services.check_unit(unit, previous_agency_id=previous))
        return data


@admin.register(Unit)
class UnitAdmin(OperatorOnlyMixin, admin.ModelAdmin):
    form = UnitForm
    list_display = ["name", "code", "agency", "kind", "parent", "is_active"]
    list_filter = ["kind", "is_active", ("agency", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["code", "name", "agency__name", "agency__identifier"]
    list_select_related = ["agency", "parent", "parent__agency"]
    autocomplete_fields = ["agency", "parent"]
    ordering = ["agency__identifier", "code"]
    fieldsets = [
        (
            None,
            {"fields": ["agency", "code", "name", "abbreviation", "kind", "parent", "is_active"]},
        ),
        (
            _("Nơi tiếp nhận hồ sơ (bộ phận Một cửa)"),
            {
                "description": _(
                    "Địa chỉ và giờ tiếp nhận hiện trên trang thủ tục của Cổng dịch vụ công, "
                    "ví dụ Thứ Hai–Thứ Sáu 7:30–11:30, 13:30–17:00."
                ),
                "fields": [
                    "address",
                    "phone",
                    ("morning_opens", "morning_closes"),
                    ("afternoon_opens", "afternoon_closes"),
                    "saturday",
                ],
            },
        ),
    ]

    def save_model(self, request: HttpRequest, obj: Unit, form: Any, change: bool) -> None:
        services.save_unit(actor=operator_actor(request), unit=obj)


@admin.register(Position)
class PositionAdmin(OperatorOnlyMixin, admin.ModelAdmin):
    list_display = ["name", "code", "is_leader"]
    list_filter = ["is_leader"]
    search_fields = ["code", "name"]

    def save_model(self, request: HttpRequest, obj: Position, form: Any, change: bool) -> None:
        services.save_position(actor=operator_actor(request), position=obj)
