"""Administration of accounts: users, citizen and business profiles, API clients.

Only operators use it. Accounts are created by registration and by the official form (Official
admin); API clients through `create_api_client`, whose token is shown once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from egov.core.errors import DomainError
from egov.events.catalogue import EventType
from egov.events.services import record_event
from egov.org.admin import OperatorOnlyMixin, request_actor

from . import event_types, services
from .error_codes import AccountErrorCode
from .models import ApiClient, BusinessProfile, CitizenProfile, User
from .services import API_SCOPES, IssuedEnrolmentCode, create_api_client

USER_EDITABLE = ("full_name", "email", "phone", "is_active")
API_CLIENT_EDITABLE = ("is_active", "expires_at")


def _save_with_event(
    request: HttpRequest,
    obj: Any,
    fields: tuple[str, ...],
    event_type: EventType[event_types.Changes],
    subject_type: str,
    agency_id: int | None = None,
) -> None:
    """Store the changed `fields` of `obj` and record them as one event, in one transaction.

    TODO(lead): move into egov.accounts.services (update_user / update_api_client).
    """
    with transaction.atomic():
        old = type(obj).objects.select_for_update().get(pk=obj.pk)
        changes = {
            f: [getattr(old, f), getattr(obj, f)]
            for f in fields
            if getattr(old, f) != getattr(obj, f)
        }
        if not changes:
            return
        obj.save(update_fields=list(changes))
        record_event(
            actor=request_actor(request),
            event_type=event_type,
            subject_type=subject_type,
            subject_id=obj.pk,
            agency_id=agency_id,
            payload={"changes": changes},
        )


@admin.register(User)
class UserAdmin(OperatorOnlyMixin, DjangoUserAdmin):
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Thông tin cá nhân"), {"fields": ("full_name", "email", "phone")}),
        (
            _("Loại tài khoản và quyền"),
            {"fields": ("kind", "is_active", "is_staff", "is_superuser")},
        ),
        (_("Thời điểm"), {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = ("username", "kind", "is_staff", "is_superuser", "last_login", "date_joined")
    list_display = ("username", "full_name", "kind", "email", "phone", "is_active", "last_login")
    list_filter = ("kind", "is_active")
    search_fields = ("username", "full_name", "email", "phone")
    ordering = ("username",)
    filter_horizontal = ()
    actions = ["issue_enrolment_code", "reset_second_factor"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        # Citizens and businesses register themselves; officials are created from "Công chức".
        return False

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        if obj.pk == request.user.pk and not obj.is_active:
            raise_self_lockout()
        _save_with_event(
            request, obj, USER_EDITABLE, event_types.USER_UPDATED, "user", agency_id=_agency_of(obj)
        )

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                user = User.objects.get(pk=id)
                record_event(
                    actor=request_actor(request),
                    event_type=event_types.PASSWORD_SET_BY_OPERATOR,
                    subject_type="user",
                    subject_id=user.pk,
                    agency_id=_agency_of(user),
                    payload={"username": user.username},
                )
        return response

    @admin.action(description=_("Cấp mã kích hoạt xác thực hai lớp"))
    def issue_enrolment_code(self, request: HttpRequest, queryset: Any) -> HttpResponse:
        return enrolment_codes_response(request, queryset, services.issue_enrolment_code)

    @admin.action(description=_("Đặt lại xác thực hai lớp (gỡ thiết bị cũ, cấp mã kích hoạt mới)"))
    def reset_second_factor(self, request: HttpRequest, queryset: Any) -> HttpResponse:
        return enrolment_codes_response(request, queryset, services.reset_second_factor)


def enrolment_codes_response(
    request: HttpRequest,
    users: Any,
    issue: Callable[..., IssuedEnrolmentCode],
    back: str | None = None,
) -> HttpResponse:
    """Issue a code to each user (through `issue`, a service) and show the codes once, on a page
    that is not cached: never in a message, which would be stored in the session or a cookie."""
    actor = request_actor(request)
    issued, refused = [], []
    for user in users:
        try:
            issued.append(issue(actor=actor, user=user))
        except DomainError as exc:
            refused.append(exc.message)
    response = TemplateResponse(
        request,
        "admin/accounts/enrolment_codes.html",
        {
            **admin.site.each_context(request),
            "issued": issued,
            "refused": refused,
            "back": back or request.get_full_path(),
        },
    )
    response["Cache-Control"] = "private, no-store"
    return response


def raise_self_lockout() -> None:
    from egov.core.errors import DomainError

    raise DomainError(
        "Bạn không thể tự khóa tài khoản của chính mình.", code=AccountErrorCode.SELF_LOCKOUT
    )


def _agency_of(user: User) -> int | None:
    official = getattr(user, "official", None) if user.needs_second_factor else None
    return official.agency_id if official is not None else None


@admin.register(CitizenProfile)
class CitizenProfileAdmin(OperatorOnlyMixin, admin.ModelAdmin):
    """Identity data comes from registration; it is shown, never edited here."""

    list_display = (
        "personal_id",
        "full_name",
        "birth_year",
        "gender",
        "birth_province_code",
        "identity_verified_method",
    )
    search_fields = ("=personal_id", "user__full_name")
    list_select_related = ("user",)
    list_filter = ("gender", "identity_verified_method")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    @admin.display(description=_("họ và tên"), ordering="user__full_name")
    def full_name(self, obj: CitizenProfile) -> str:
        return obj.user.full_name


@admin.register(BusinessProfile)
class BusinessProfileAdmin(OperatorOnlyMixin, admin.ModelAdmin):
    list_display = ("tax_code", "name", "representative", "address", "identity_verified_method")
    search_fields = ("=tax_code", "name")
    list_select_related = ("user",)
    list_filter = ("identity_verified_method",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    @admin.display(description=_("người đại diện"), ordering="user__full_name")
    def representative(self, obj: BusinessProfile) -> str:
        return obj.user.full_name


class ApiClientCreationForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("Phạm vi"),
        choices=[(k, f"{k} — {v}") for k, v in API_SCOPES.items()],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = ApiClient
        fields = ["name", "agency", "scopes"]


@admin.register(ApiClient)
class ApiClientAdmin(OperatorOnlyMixin, admin.ModelAdmin):
    list_display = (
        "name",
        "agency",
        "key_prefix",
        "scope_list",
        "is_active",
        "expires_at",
        "last_used_at",
    )
    list_filter = ("is_active", ("agency", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "=key_prefix")
    list_select_related = ("agency",)
    autocomplete_fields = ("agency",)
    fields = (
        "name",
        "agency",
        "scope_list",
        "key_prefix",
        "is_active",
        "expires_at",
        "created_at",
        "last_used_at",
    )
    readonly_fields = ("name", "agency", "scope_list", "key_prefix", "created_at", "last_used_at")

    @admin.display(description=_("phạm vi"))
    def scope_list(self, obj: ApiClient) -> str:
        return ", ".join(obj.scopes or []) or "—"

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("name", "agency", "scopes") if obj is None else self.fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else self.readonly_fields

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = ApiClientCreationForm
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request: HttpRequest, obj: ApiClient, form: Any, change: bool) -> None:
        if change:
            _save_with_event(
                request,
                obj,
                API_CLIENT_EDITABLE,
                event_types.API_CLIENT_UPDATED,
                "api_client",
                agency_id=obj.agency_id,
            )
            return
        data = form.cleaned_data
        client, token = create_api_client(
            actor=request_actor(request),
            name=data["name"],
            scopes=list(data["scopes"]),
            agency=data.get("agency"),
        )
        obj.pk, obj.key_prefix, obj.key_hash = client.pk, client.key_prefix, client.key_hash
        obj._state.adding = False
        messages.warning(
            request,
            f"Mã truy cập của «{client.name}» (chỉ hiển thị một lần, hãy lưu lại ngay): {token}",
        )
