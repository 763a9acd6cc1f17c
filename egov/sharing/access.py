"""Who may call a sharing service: the ONE check every sharing endpoint runs (`ServiceAccess`).

In order:
1. an API client's bearer token (no browser session: `SharingView` authenticates tokens only);
2. its request signature, when it sent one or its registered key says signatures are required
   (signatures.py: RFC 9421 profile, Ed25519, clock window, replay cache);
3. the scope `sharing:use`;
4. an active grant for this very service (ServiceGrant: not revoked, valid_from <= now <
   valid_until).
Each refusal is a structured error with its own code; the message log records it too (api.py).
What a granted client then sees of a record (agency limits) is in scopes.py.
"""

from __future__ import annotations

import time
from typing import Any

from django.utils import timezone
from rest_framework import exceptions, permissions

from egov.accounts.models import ApiClient
from egov.core.actors import actor_from_request
from egov.core.errors import NotAllowed

from . import services
from .api_scopes import USE
from .error_codes import SharingErrorCode
from .models import ClientKey, ServiceGrant
from .signatures import SignatureRefused, load_public_key, parse, verify


def active_grant(client: ApiClient, service: str) -> ServiceGrant | None:
    now = timezone.now()
    return (
        ServiceGrant.objects.filter(
            client=client, service=service, revoked_at__isnull=True, valid_from__lte=now
        )
        .exclude(valid_until__lte=now)
        .first()
    )


def check_signature(request: Any, client: ApiClient) -> bool:
    """True if the request carries a valid signature; raises if it carries a bad one, or none
    while the client's key requires one; False if unsigned and allowed."""
    key = ClientKey.objects.filter(client=client).first()
    signature_input = request.headers.get("Signature-Input")
    signature = request.headers.get("Signature")
    if not signature_input and not signature:
        if key is not None and key.signatures_required:
            raise NotAllowed(
                "Ứng dụng phải ký yêu cầu (Signature-Input, Signature, Content-Digest).",
                code=SharingErrorCode.SIGNATURE_MISSING,
            )
        return False
    try:
        if key is None:
            raise SignatureRefused(
                SharingErrorCode.SIGNATURE_INVALID, "Ứng dụng chưa đăng ký khóa ký yêu cầu."
            )
        parsed = parse(signature_input or "", signature or "")
        verify(
            parsed=parsed,
            public_key=load_public_key(key.public_key_pem),
            key_id=key.key_id,
            method=request.method,
            path=request.path,
            query=request.META.get("QUERY_STRING", ""),
            body=request.body,
            digest_header=request.headers.get("Content-Digest"),
            now=time.time(),
            window=services.signature_window(),
        )
        if not services.remember_nonce(client_id=client.pk, nonce=parsed.nonce, now=timezone.now()):
            raise SignatureRefused(
                SharingErrorCode.SIGNATURE_REPLAYED, "Chữ ký (nonce) này đã được dùng."
            )
    except SignatureRefused as refused:
        raise NotAllowed(refused.message, code=refused.code) from refused
    return True


class ServiceAccess(permissions.BasePermission):
    """The permission of every sharing service view (its `service_code`)."""

    def has_permission(self, request: Any, view: Any) -> bool:
        client = request.auth
        if not isinstance(client, ApiClient):
            raise exceptions.NotAuthenticated()
        django_request = getattr(request, "_request", request)
        view.signature_verified = check_signature(django_request, client)
        if not actor_from_request(request).has_scope(USE):
            raise NotAllowed(f"Ứng dụng thiếu phạm vi '{USE}'.")
        if active_grant(client, view.service_code) is None:
            raise NotAllowed(
                "Ứng dụng chưa được cấp quyền, hoặc quyền đã hết hạn hay bị thu hồi, "
                f"với dịch vụ '{view.service_code}'.",
                code=SharingErrorCode.NO_GRANT,
            )
        return True
