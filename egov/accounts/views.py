"""Registration pages for citizens and businesses; they call the account services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from allauth.core.internal import ratelimit
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from egov.core.actors import actor_from_request
from egov.core.clientip import rate_limit_key
from egov.core.errors import DomainError, NotAllowed
from egov.org.models import Role

from . import services
from .backends import MODEL_BACKEND
from .error_codes import AccountErrorCode
from .forms import (
    BusinessRegistrationForm,
    CitizenRegistrationForm,
    DeskCodeIssueForm,
    DeskCodeRedeemForm,
)

BACKEND = MODEL_BACKEND


def _register(
    request: HttpRequest,
    form_class: type[forms.Form],
    action: Callable[..., Any],
    title: str,
) -> HttpResponse:
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = action(**form.cleaned_data)
        except services.RegistrationError as exc:
            _show_errors(form, exc)
        else:
            login(request, user, backend=BACKEND)
            messages.success(request, "Đăng ký tài khoản thành công.")
            return redirect("portal:home")
    return render(request, "accounts/register.html", {"form": form, "title": title})


def register_citizen(request: HttpRequest) -> HttpResponse:
    return _register(
        request, CitizenRegistrationForm, services.register_citizen, "Đăng ký tài khoản công dân"
    )


def register_business(request: HttpRequest) -> HttpResponse:
    return _register(
        request,
        BusinessRegistrationForm,
        services.register_business,
        "Đăng ký tài khoản tổ chức, doanh nghiệp",
    )


def _show_errors(form: forms.Form, exc: DomainError) -> None:
    form.add_error(None, exc.message)
    for field, errors in exc.fields.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


@login_required
def desk_code(request: HttpRequest) -> HttpResponse:
    """One-stop receivers: after checking the original papers, print a one-time code with which
    the holder verifies (or takes back) the account registered with that number."""
    actor = actor_from_request(request)
    if actor.kind != "official" or not actor.has_role(Role.RECEIVER):
        raise PermissionDenied("Cần vai trò cán bộ tiếp nhận Một cửa.")
    form = DeskCodeIssueForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.issue_desk_code(actor=actor, **form.cleaned_data)
        except NotAllowed as exc:
            raise PermissionDenied(exc.message) from exc
        except DomainError as exc:
            _show_errors(form, exc)
    response = render(
        request,
        "accounts/desk_code.html",
        {"form": form, "issued": issued},
        status=400 if request.method == "POST" and issued is None else 200,
    )
    response["Cache-Control"] = "private, no-store"  # the code is shown once
    return response


def _desk_code_usage(request: HttpRequest, id_number: str) -> Any:
    """One try at a desk code, counted per client address and per (address, number)
    (DESK_CODE_FAILED_RATE_LIMIT); None when the address has used its tries."""
    number = "".join(ch for ch in id_number if ch.isascii() and ch.isalnum()).upper()
    return ratelimit.consume(
        request,
        app="allauth.account",
        action="desk_code_failed",
        config={"desk_code_failed": settings.DESK_CODE_FAILED_RATE_LIMIT},
        key=f"{rate_limit_key(request)}|{number}",
    )


def redeem_desk_code(request: HttpRequest) -> HttpResponse:
    form = DeskCodeRedeemForm(request.POST or None)
    status = 400
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        usage = _desk_code_usage(request, data["id_number"])
        try:
            if not usage:
                status = 429
                raise DomainError(
                    "Nhập sai quá nhiều lần từ địa chỉ này. Vui lòng thử lại sau ít phút.",
                    code=AccountErrorCode.TOO_MANY_ATTEMPTS,
                )
            user = services.redeem_desk_code(
                id_number=data["id_number"], code=data["code"], new_password=data["new_password"]
            )
        except DomainError as exc:
            _show_errors(form, exc)
        else:
            usage.rollback()  # only wrong tries count
            login(request, user, backend=BACKEND)
            messages.success(request, "Tài khoản đã được xác thực danh tính và đặt mật khẩu mới.")
            return redirect("portal:home")
    return render(
        request,
        "accounts/redeem_desk_code.html",
        {"form": form},
        status=status if request.method == "POST" else 200,
    )
