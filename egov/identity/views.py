"""The electronic identity login pages: the start (to the provider) and the callback (back from
it). Every failure ends on a Vietnamese page with a way back, nobody logged in, a security log
line and an `identity.login_refused` event."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from egov.accounts.backends import ALLAUTH_BACKEND
from egov.core.clientip import client_ip

from . import services
from .providers import IdentityRefused, provider

NEXT_KEY = "_identity_next"
# The backend allauth uses, so the session's login is the one allauth's pages know.
LOGIN_BACKEND = ALLAUTH_BACKEND


def _refused(request: HttpRequest, name: str, refusal: IdentityRefused) -> HttpResponse:
    attempt = services.record_refusal(
        provider=name, reason=refusal.reason, client=client_ip(request)
    )
    return render(
        request,
        "identity/refused.html",
        {"message": refusal.message, "attempt": attempt, "provider_name": "VNeID"},
        status=403 if refusal.reason in ("not_citizen", "inactive") else 400,
    )


def _redirect_uri(request: HttpRequest) -> str:
    return settings.VNEID_REDIRECT_URI or request.build_absolute_uri(
        reverse("identity:vneid_callback")
    )


@never_cache
@require_GET
def vneid_start(request: HttpRequest) -> HttpResponse:
    found = provider("vneid")
    if found is None:
        return _refused(
            request,
            "vneid",
            IdentityRefused(
                "not_configured", "Đăng nhập bằng VNeID chưa được cấu hình trên hệ thống này."
            ),
        )
    target = request.GET.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        request.session[NEXT_KEY] = target
    else:
        request.session.pop(NEXT_KEY, None)
    try:
        return found.start(request, _redirect_uri(request))
    except IdentityRefused as refusal:
        return _refused(request, "vneid", refusal)


@never_cache
@require_GET
def vneid_callback(request: HttpRequest) -> HttpResponse:
    found = provider("vneid")
    if found is None:
        return _refused(
            request,
            "vneid",
            IdentityRefused(
                "not_configured", "Đăng nhập bằng VNeID chưa được cấu hình trên hệ thống này."
            ),
        )
    try:
        identity = found.finish(request)
        user = services.login_identity(identity)
    except IdentityRefused as refusal:
        return _refused(request, "vneid", refusal)
    target = request.session.pop(NEXT_KEY, "") or resolve_url(settings.LOGIN_REDIRECT_URL)
    # django's login renews the session id (or empties a session of another user).
    login(request, user, backend=LOGIN_BACKEND)
    return HttpResponseRedirect(target)
