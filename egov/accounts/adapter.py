from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal import ratelimit
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django import forms
from django.http import HttpRequest

from egov.core.clientip import client_ip, rate_limit_key

from . import lockout


class AccountAdapter(DefaultAccountAdapter):
    """Self sign-up goes through our own forms (id number / tax code checks), not allauth's."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def get_login_redirect_url(self, request: HttpRequest) -> Any:
        return super().get_login_redirect_url(request)

    def get_client_ip(self, request: HttpRequest) -> str:
        # allauth's rate limits and session records see the client behind our proxies as our
        # own limits do (egov.core.clientip), not the proxy.
        return client_ip(request)

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        """Throttles failed logins per address, per (address, account) and per account with a
        backoff instead of allauth's per-account lockout (see egov.accounts.lockout)."""
        login = lockout.login_of(credentials)
        # The owner's own browser is not held up by failures made elsewhere.
        wait = 0 if lockout.known_device(request, login) else lockout.account_wait_seconds(login)
        if wait:
            raise forms.ValidationError(
                lockout.account_refusal(wait), code="too_many_login_attempts"
            )
        # allauth's own limiter (as its pre_authenticate uses it), keyed on the pair: its
        # per-key rate now counts one address's failures on one account.
        self._egov_failed_usage = ratelimit.consume(
            request,
            app="allauth.account",
            action="login_failed",
            key=lockout.pair_key(rate_limit_key(request), login),
        )
        if not self._egov_failed_usage:
            raise forms.ValidationError(lockout.address_refusal(), code="too_many_login_attempts")

    def authenticate(self, request: HttpRequest, **credentials: Any) -> Any:
        user = super().authenticate(request, **credentials)
        if user is not None:
            # The right password: this attempt is not a failure, and the account's backoff
            # (which only its owner's password can clear) starts afresh. The address's count is
            # only rolled back, so an attacker's own logins cannot reset it.
            usage = getattr(self, "_egov_failed_usage", None)
            if usage:
                usage.rollback()
            lockout.clear_failures(lockout.login_of(credentials))
        return user

    def post_login(self, request: HttpRequest, user: Any, **kwargs: Any) -> Any:
        response = super().post_login(request, user, **kwargs)
        lockout.remember_device(response, user.get_username())
        return response

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        lockout.record_failure(lockout.login_of(credentials))
        super().authentication_failed(request, **credentials)


class MFAAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        # The second factor is mandatory for officials and operators: they may not remove it.
        user = authenticator.user
        if getattr(user, "needs_second_factor", False) and authenticator.type == "totp":
            return False
        return super().can_delete_authenticator(authenticator)
