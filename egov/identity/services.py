"""The electronic identity login's state changes: the account a verified identity belongs to
(matched by the personal id number in the verified claims, created when the person has none),
its IdentityLink (level, claims, last login), and the record of refused attempts."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from egov.accounts.error_codes import AccountErrorCode
from egov.accounts.identity import parse_personal_id
from egov.accounts.models import CitizenProfile, User
from egov.accounts.services import (
    IdentityError,
    RegistrationError,
    register_citizen_by_eid,
    verify_identity_by_eid,
)
from egov.core.actors import ANONYMOUS, actor_for_user
from egov.events.services import record_event

from . import event_types
from .models import IdentityLink
from .providers import IdentityRefused, VerifiedIdentity

security_log = logging.getLogger("egov.security.identity")


def _refuse(reason: str, message: str) -> IdentityRefused:
    return IdentityRefused(reason, message)


def _account_for(identity: VerifiedIdentity, personal_id: str) -> tuple[User, bool]:
    """The one account of this person: the one already linked to the provider's subject, else
    the citizen account with this personal id number, else a new one."""
    link = (
        IdentityLink.objects.select_related("user")
        .filter(provider=identity.provider, subject=identity.subject)
        .first()
    )
    profile = CitizenProfile.objects.select_related("user").filter(personal_id=personal_id).first()
    if link is not None and (profile is None or profile.user_id != link.user_id):
        # The provider's subject was linked to another person's number: never follow it.
        raise _refuse("subject_mismatch", "Danh tính điện tử không khớp với tài khoản đã liên kết.")
    if profile is not None:
        return profile.user, False
    if User.objects.filter(username=personal_id).exists():
        # An account that is not a citizen's holds the number as its login: not this way.
        raise _refuse("not_citizen", "Tài khoản này không đăng nhập bằng định danh điện tử.")
    try:
        user = register_citizen_by_eid(
            personal_id=personal_id,
            full_name=identity.claims.get("full_name", ""),
            phone=identity.claims.get("phone", ""),
            email=identity.claims.get("email", ""),
        )
    except RegistrationError as exc:
        if exc.code == AccountErrorCode.ALREADY_REGISTERED:
            # A concurrent first login of the same person created it a moment ago.
            profile = CitizenProfile.objects.filter(personal_id=personal_id).first()
            if profile is not None:
                return profile.user, False
        raise _refuse("claims", exc.message) from exc
    return user, True


def login_identity(identity: VerifiedIdentity) -> User:
    """The account to log in for a verified identity, its link and verification brought up to
    date, in one transaction with its events; IdentityRefused (nothing changed) otherwise."""
    try:
        personal_id = parse_personal_id(identity.claims.get("personal_id", "")).number
    except ValidationError as exc:
        raise _refuse(
            "claims", "Số định danh cá nhân do hệ thống định danh điện tử gửi không hợp lệ."
        ) from exc
    now = timezone.now()
    with transaction.atomic():
        user, created = _account_for(identity, personal_id)
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.kind != User.Kind.CITIZEN or user.needs_second_factor:
            # Officials and operators log in with their password and TOTP only.
            raise _refuse("not_citizen", "Tài khoản này không đăng nhập bằng định danh điện tử.")
        if not user.is_active:
            raise _refuse("inactive", "Tài khoản này đang bị khóa.")
        try:
            verify_identity_by_eid(user=user, id_number=personal_id)
        except IdentityError as exc:
            raise _refuse("mismatch", "Danh tính điện tử không khớp với tài khoản.") from exc
        claims = dict(identity.claims, personal_id=personal_id)
        link = IdentityLink.objects.filter(user=user, provider=identity.provider).first()
        previous_level = int(link.level) if link is not None else 0
        actor = actor_for_user(user)
        subject_changed = False
        if link is None:
            link = IdentityLink.objects.create(
                user=user,
                provider=identity.provider,
                subject=identity.subject,
                level=identity.level,
                claims=claims,
                linked_at=now,
                last_login_at=now,
            )
            record_event(
                actor=actor,
                event_type=event_types.LINKED,
                subject_type=event_types.USER,
                subject_id=user.pk,
                payload={
                    "provider": identity.provider,
                    "level": identity.level,
                    "created_account": created,
                },
            )
        else:
            if link.subject != identity.subject:
                # The same verified personal id number under a new subject (the provider
                # renumbered its pairwise subjects, or the link stood for a demo login): the
                # account's one link follows the number. A subject linked to another person
                # was refused above (_account_for), so no one takes over this account.
                security_log.warning(
                    "identity subject changed: provider=%s user=%s", identity.provider, user.pk
                )
                subject_changed = True
            link.subject = identity.subject
            link.level = identity.level
            link.claims = claims
            link.last_login_at = now
            link.save(update_fields=["subject", "level", "claims", "last_login_at"])
        record_event(
            actor=actor,
            event_type=event_types.LOGGED_IN,
            subject_type=event_types.USER,
            subject_id=user.pk,
            payload={
                "provider": identity.provider,
                "level": identity.level,
                "previous_level": previous_level,
                "subject_changed": subject_changed,
            },
        )
    return user


def record_refusal(*, provider: str, reason: str, client: str = "", detail: Any = "") -> str:
    """A refused attempt: a security log line and the declared event; its id is shown to the
    citizen (to quote when asking for help)."""
    attempt = secrets.token_hex(8)
    security_log.warning(
        "identity login refused: provider=%s reason=%s attempt=%s client=%s %s",
        provider,
        reason,
        attempt,
        client,
        detail,
    )
    with transaction.atomic():
        record_event(
            actor=ANONYMOUS,
            event_type=event_types.LOGIN_REFUSED,
            subject_type=event_types.ATTEMPT,
            subject_id=attempt,
            payload={"provider": provider, "reason": reason[:50]},
        )
    return attempt
