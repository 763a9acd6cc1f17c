"""Administration of officials: an official and its user account are created together (through
`egov.accounts.services.create_official`); the rest of the organisation is in egov.org.admin.
Registered when the accounts app is ready (AccountsConfig.ready)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from egov.core.admin import OperatorOnlyMixin, is_operator_request, operator_actor
from egov.org import services as org_services
from egov.org.admin import add_check_errors, probe
from egov.org.models import Official, OfficialRole, Role

from .admin import enrolment_codes_response
from .identity import normalize_phone
from .models import User
from .services import create_official, issue_enrolment_code

# --- officials -----------------------------------------------------------------------------------


class OfficialCreationForm(forms.ModelForm):
    """Create an official's account together with the official (through create_official)."""

    username = forms.CharField(
        label=_("Tên đăng nhập"),
        max_length=150,
        help_text=_("Chữ, số và các ký tự @ . + - _ (ví dụ stp.nguyenvana)."),
    )
    full_name = forms.CharField(label=_("Họ và tên"), max_length=150)
    email = forms.EmailField(label=_("Thư điện tử"), required=False)
    phone = forms.CharField(label=_("Số điện thoại"), max_length=20, required=False)
    roles = forms.MultipleChoiceField(
        label=_("Vai trò"), choices=Role.choices, widget=forms.CheckboxSelectMultiple
    )
    password1 = forms.CharField(
        label=_("Mật khẩu"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Nhập lại mật khẩu"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        model = Official
        fields = ["agency", "unit", "position"]

    def clean_username(self) -> str:
        username: str = self.cleaned_data["username"].strip()
        User.username_validator(username)
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError(_("Tên đăng nhập đã được dùng."))
        return username

    def clean_phone(self) -> str:
        phone: str = self.cleaned_data.get("phone", "")
        return normalize_phone(phone) if phone.strip() else ""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("Hai mật khẩu không khớp."))
        elif p1:
            user = User(
                username=data.get("username", ""),
                full_name=data.get("full_name", ""),
                email=data.get("email", ""),
            )
            try:
                validate_password(p1, user)
            except ValidationError as exc:
                self.add_error("password1", exc)
        official = probe(self, ("agency", "unit"))
        if official.agency_id is not None:
            add_check_errors(self, org_services.check_official(official))
        return data


class OfficialChangeForm(forms.ModelForm):
    class Meta:
        model = Official
        fields = ["agency", "unit", "position"]

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        official = probe(self, ("agency", "unit"))
        if official.agency_id is not None:
            add_check_errors(self, org_services.check_official(official))
        return data


class OfficialRoleInline(admin.TabularInline):
    model = OfficialRole
    extra = 1
    verbose_name_plural = _("vai trò")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_operator_request(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_operator_request(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_operator_request(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_operator_request(request)

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        base = super().get_formset(request, obj, **kwargs)
        own_user_id = request.user.pk

        class RoleFormSet(base):  # type: ignore[misc,valid-type]
            def clean(self) -> None:
                super().clean()
                if self.instance.user_id == own_user_id and Role.OPERATOR not in roles_of(self):
                    raise ValidationError(
                        _("Bạn không thể tự bỏ vai trò quản trị hệ thống của chính mình.")
                    )

        return RoleFormSet


def roles_of(formset: Any) -> list[str]:
    """The roles a submitted role formset asks for."""
    return [
        f.cleaned_data["role"]
        for f in formset.forms
        if getattr(f, "cleaned_data", None)
        and f.cleaned_data.get("role")
        and not f.cleaned_data.get("DELETE")
    ]


@admin.register(Official)
class OfficialAdmin(OperatorOnlyMixin, admin.ModelAdmin):
    form = OfficialChangeForm
    add_form = OfficialCreationForm
    list_display = ["username", "full_name", "agency", "unit", "position", "role_list", "active"]
    list_filter = [
        "roles__role",
        "agency__kind",
        ("agency", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["user__username", "user__full_name", "agency__name", "agency__identifier"]
    list_select_related = ["user", "agency", "unit", "unit__agency", "position"]
    autocomplete_fields = ["agency", "unit", "position"]
    readonly_fields = ["account"]
    fields = ["account", "agency", "unit", "position"]
    add_fieldsets = [
        (
            _("Tài khoản"),
            {"fields": ["username", "full_name", "email", "phone", "password1", "password2"]},
        ),
        (_("Công tác"), {"fields": ["agency", "unit", "position", "roles"]}),
    ]
    inlines = [OfficialRoleInline]
    ordering = ["agency__identifier", "user__username"]
    actions = ["issue_enrolment_code"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Official]:
        return super().get_queryset(request).prefetch_related("roles")

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return self.add_fieldsets
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [] if obj is None else self.readonly_fields

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change=change, **kwargs)

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        return [] if obj is None else self.inlines

    @admin.display(description=_("tên đăng nhập"), ordering="user__username")
    def username(self, obj: Official) -> str:
        return obj.user.username

    @admin.display(description=_("họ và tên"), ordering="user__full_name")
    def full_name(self, obj: Official) -> str:
        return obj.user.full_name

    @admin.display(description=_("vai trò"))
    def role_list(self, obj: Official) -> str:
        return ", ".join(sorted(str(r) for r in obj.roles.all()))

    @admin.display(description=_("đang hoạt động"), boolean=True)
    def active(self, obj: Official) -> bool:
        return obj.user.is_active

    @admin.display(description=_("tài khoản"))
    def account(self, obj: Official) -> str:
        url = reverse("admin:accounts_user_change", args=[obj.user_id])
        return format_html('<a href="{}">{}</a> — {}', url, obj.user.username, obj.user.full_name)

    def save_model(self, request: HttpRequest, obj: Official, form: Any, change: bool) -> None:
        actor = operator_actor(request)
        if change:
            org_services.save_official(actor=actor, official=obj)
            return
        data = form.cleaned_data
        created = create_official(
            actor=actor,
            username=data["username"],
            full_name=data["full_name"],
            password=data["password1"],
            agency=data["agency"],
            unit=data.get("unit"),
            position=data.get("position"),
            roles=list(data["roles"]),
            email=data.get("email", ""),
            phone=data.get("phone", ""),
        )
        obj.pk, obj.user = created.pk, created.user
        obj._state.adding = False
        # The new official sets up the second factor with this code, not the password alone.
        request._egov_enrolment_code = issue_enrolment_code(  # type: ignore[attr-defined]
            actor=actor, user=created.user
        )

    def response_add(
        self, request: HttpRequest, obj: Official, post_url_continue: Any = None
    ) -> Any:
        issued = getattr(request, "_egov_enrolment_code", None)
        if issued is None:
            return super().response_add(request, obj, post_url_continue)
        self.message_user(request, f"Đã tạo tài khoản công chức {obj.user.username}.")
        return enrolment_codes_response(
            request,
            [issued.user],
            lambda **kw: issued,
            back=reverse("admin:org_official_change", args=[obj.pk]),
        )

    @admin.action(description=_("Cấp mã kích hoạt xác thực hai lớp"))
    def issue_enrolment_code(self, request: HttpRequest, queryset: QuerySet[Official]) -> Any:
        users = [official.user for official in queryset.select_related("user")]
        return enrolment_codes_response(request, users, issue_enrolment_code)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not OfficialRole:
            super().save_formset(request, form, formset, change)
            return
        org_services.set_official_roles(
            actor=operator_actor(request), official=form.instance, roles=roles_of(formset)
        )
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
