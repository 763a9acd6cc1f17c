"""What every admin page shares: only operators get in, and service refusals become messages."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from .actors import Actor, actor_for_user
from .errors import DomainError


def is_operator_request(request: HttpRequest) -> bool:
    """An active operator (or a superuser made with createsuperuser, who is held to TOTP too)."""
    user: Any = request.user
    return bool(user.is_active and (getattr(user, "kind", "") == "operator" or user.is_superuser))


def admin_login(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """Stands in for the administration's own login view, which would take a password without
    the TOTP step or the failed-login throttle: it never shows a form nor authenticates. Anyone
    not logged in goes to the platform login; a user without administration rights is refused;
    an administrator goes on to `next`."""
    index = reverse("admin:index")
    target = request.GET.get("next") or index
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ) or target.startswith(reverse("admin:login")):
        target = index
    if not request.user.is_authenticated:
        return redirect_to_login(target, login_url=reverse("account_login"))
    if admin.site.has_permission(request):
        return HttpResponseRedirect(target)
    raise PermissionDenied


def operator_actor(request: HttpRequest) -> Actor:
    """The acting operator; a superuser without the operator kind acts as one."""
    actor = actor_for_user(request.user)
    if is_operator_request(request) and not actor.is_operator:
        actor = dataclasses.replace(actor, kind="operator")
    return actor


class OperatorOnlyMixin:
    """Only operators see and change these models; nothing is deleted unless a subclass allows
    it (through a service). A DomainError from a service comes back as an error message."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_operator_request(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_operator_request(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return is_operator_request(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_operator_request(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(  # type: ignore[misc]
                request, object_id, form_url, extra_context
            )
        except DomainError as exc:
            details = "; ".join(
                f"{name}: {', '.join(map(str, msgs))}" for name, msgs in exc.fields.items()
            )
            messages.error(request, f"{exc.message} {details}".strip())
            return HttpResponseRedirect(request.get_full_path())


class OperatorReadOnlyMixin(OperatorOnlyMixin):
    """Records nobody may add, change or delete through the administration (the event log)."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _boolean_icon(field_val: bool | None) -> str:
    """Django's yes/no icon with a Vietnamese alternative text: Django writes the Python value
    ("True", "False", "None"), which a screen reader reads out in English."""
    from django.templatetags.static import static
    from django.utils.html import format_html
    from django.utils.translation import gettext

    icon = {True: "yes", False: "no", None: "unknown"}[field_val]
    alt = {True: gettext("Có"), False: gettext("Không"), None: gettext("Không rõ")}[field_val]
    return format_html('<img src="{}" alt="{}">', static(f"admin/img/icon-{icon}.svg"), alt)


def _translate_admin_boolean_icons() -> None:
    # The change list uses it directly; display_for_field and the read-only fields import it
    # from admin_list when called.
    from django.contrib.admin.templatetags import admin_list

    admin_list._boolean_icon = _boolean_icon  # type: ignore[attr-defined]


_translate_admin_boolean_icons()
