"""External endpoints (operators): agencies on other platforms and the tokens they present."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from egov.core.actors import Actor
from egov.core.errors import NotAllowed
from egov.events.services import record_event

from . import edxml
from .common import ExchangeError
from .edxml import Dialect, EdxmlError
from .error_codes import ExchangeErrorCode
from .event_types import ENDPOINT_CREATED, ENDPOINT_UPDATED, SUBJECT_ENDPOINT
from .hub import local_agency
from .models import ExternalEndpoint

PEER_TOKEN_PREFIX = "edxml_"


def new_peer_token() -> str:
    """A token for another platform to present when it posts to us (shown once)."""
    return PEER_TOKEN_PREFIX + secrets.token_urlsafe(32)


def peer_organs_for_token(token: str) -> frozenset[str]:
    """The organs an inbound peer token speaks for (empty: unknown token)."""
    if not token.startswith(PEER_TOKEN_PREFIX):
        return frozenset()
    digest = ExternalEndpoint.hash_token(token)
    return frozenset(
        ExternalEndpoint.objects.filter(inbound_token_hash=digest, is_active=True).values_list(
            "organ_id", flat=True
        )
    )


def save_endpoint(
    *,
    actor: Actor,
    organ_id: str,
    organ_name: str,
    url: str,
    auth_token: str | None = None,
    inbound_token: str | None = None,
    timeout_seconds: int | None = None,
    is_active: bool = True,
    dialect: str | None = None,
    zip_attachments: bool | None = None,
) -> ExternalEndpoint:
    """Declare (or update) an agency on another platform. `auth_token` is what we present to
    it; `inbound_token` what it presents to us (stored as a hash; None keeps the old ones).
    `dialect` (edxml.Dialect) and `zip_attachments`: how packages for it are written (None
    keeps the old value, or the default for a new endpoint)."""
    if not actor.is_operator:
        raise NotAllowed("Chỉ quản trị hệ thống được khai báo điểm liên thông.")
    errors: dict[str, list[str]] = {}
    try:
        organ_id = edxml._check_organ_id(organ_id, "organ_id")
    except EdxmlError as exc:
        errors["organ_id"] = [exc.message]
    if not organ_name.strip():
        errors["organ_name"] = ["Cần tên cơ quan."]
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        errors["url"] = ["Địa chỉ phải là URL http(s) đầy đủ."]
    if inbound_token is not None and inbound_token and len(inbound_token) < 24:
        errors["inbound_token"] = ["Mã truy cập nhận vào phải dài ít nhất 24 ký tự."]
    if inbound_token and not inbound_token.startswith(PEER_TOKEN_PREFIX):
        errors.setdefault("inbound_token", []).append(
            f"Mã truy cập nhận vào phải bắt đầu bằng '{PEER_TOKEN_PREFIX}'."
        )
    if not errors.get("organ_id") and local_agency(organ_id) is not None:
        errors["organ_id"] = [
            "Cơ quan này đang hoạt động trên nền tảng, không cần điểm liên thông."
        ]
    if dialect is not None and dialect not in Dialect._value2member_map_:
        errors["dialect"] = [
            f"Dạng gói tin '{dialect}' không có ({', '.join(d.value for d in Dialect)})."
        ]
    if errors:
        raise ExchangeError(
            "Thông tin điểm liên thông chưa hợp lệ.",
            code=ExchangeErrorCode.INVALID_ENDPOINT,
            fields=errors,
        )
    with transaction.atomic():
        endpoint = ExternalEndpoint.objects.select_for_update().filter(organ_id=organ_id).first()
        created = endpoint is None
        if endpoint is None:
            endpoint = ExternalEndpoint(organ_id=organ_id)
        endpoint.organ_name = organ_name.strip()[:255]
        endpoint.url = url
        endpoint.is_active = is_active
        if dialect is not None:
            endpoint.dialect = dialect
        if zip_attachments is not None:
            endpoint.zip_attachments = zip_attachments
        if timeout_seconds is not None:
            endpoint.timeout_seconds = max(1, int(timeout_seconds))
        if auth_token is not None:
            endpoint.auth_token = auth_token.strip()
        if inbound_token is not None:
            endpoint.inbound_token_hash = (
                ExternalEndpoint.hash_token(inbound_token) if inbound_token else ""
            )
        endpoint.updated_at = timezone.now()
        endpoint.save()
        record_event(
            actor=actor,
            event_type=ENDPOINT_CREATED if created else ENDPOINT_UPDATED,
            subject_type=SUBJECT_ENDPOINT,
            subject_id=endpoint.pk,
            payload={
                "organ_id": organ_id,
                "url": url,
                "is_active": is_active,
                "dialect": endpoint.dialect,
                "zip_attachments": endpoint.zip_attachments,
                "auth_token_set": bool(endpoint.auth_token),
                "inbound_token_set": bool(endpoint.inbound_token_hash),
            },
        )
    return endpoint
