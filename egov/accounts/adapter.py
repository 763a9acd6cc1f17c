from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    """Self sign-up goes through our own forms (id number / tax code checks), not allauth's."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def get_login_redirect_url(self, request: HttpRequest) -> Any:
        return super().get_login_redirect_url(request)


class MFAAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        # The second factor is mandatory for officials and operators: they may not remove it.
        user = authenticator.user
        if getattr(user, "needs_second_factor", False) and authenticator.type == "totp":
            return False
        return super().can_delete_authenticator(authenticator)
