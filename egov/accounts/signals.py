"""Glue between allauth's signals and our event log."""

from __future__ import annotations

from typing import Any

from allauth.account.internal.flows.login import record_authentication
from allauth.account.signals import user_logged_in
from allauth.mfa.signals import authenticator_added, authenticator_removed
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.dispatch import receiver

from egov.core.actors import ANONYMOUS, actor_for_user
from egov.core.clientip import client_ip
from egov.events.services import record_event

from . import event_types


def _agency_id(user: Any) -> int | None:
    official = getattr(user, "official", None) if getattr(user, "kind", "") != "citizen" else None
    return official.agency_id if official is not None else None


@receiver(authenticator_added)
def on_authenticator_added(
    sender: Any, request: Any, user: Any, authenticator: Any, **kw: Any
) -> None:
    # Activating TOTP requires a valid code, so this session has proved the second factor.
    if authenticator.type == "totp":
        record_authentication(request, user, method="mfa", type="totp")
    with transaction.atomic():
        record_event(
            actor=actor_for_user(user),
            event_type=event_types.MFA_ADDED,
            subject_type="user",
            subject_id=user.pk,
            agency_id=_agency_id(user),
            payload={"type": authenticator.type},
        )


@receiver(authenticator_removed)
def on_authenticator_removed(
    sender: Any, request: Any, user: Any, authenticator: Any, **kw: Any
) -> None:
    with transaction.atomic():
        record_event(
            actor=actor_for_user(user),
            event_type=event_types.MFA_REMOVED,
            subject_type="user",
            subject_id=user.pk,
            agency_id=_agency_id(user),
            payload={"type": authenticator.type},
        )


@receiver(user_logged_in)
def on_logged_in(sender: Any, request: Any, user: Any, **kw: Any) -> None:
    with transaction.atomic():
        record_event(
            actor=actor_for_user(user),
            event_type=event_types.LOGGED_IN,
            subject_type="user",
            subject_id=user.pk,
            agency_id=_agency_id(user),
            payload={"ip": client_ip(request)},
        )


@receiver(user_login_failed)
def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kw: Any
) -> None:
    with transaction.atomic():
        record_event(
            actor=ANONYMOUS,
            event_type=event_types.LOGIN_FAILED,
            subject_type="login",
            subject_id=str(credentials.get("username", ""))[:64],
            payload={"ip": client_ip(request) if request else ""},
        )
