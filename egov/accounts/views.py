"""Registration pages for citizens and businesses; they call the account services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from . import services
from .forms import BusinessRegistrationForm, CitizenRegistrationForm

BACKEND = "django.contrib.auth.backends.ModelBackend"


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
            form.add_error(None, exc.message)
            for field, errors in exc.fields.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
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
