"""HTTP endpoint of the exchange hub (mounted at /api/v1/exchange/).

    POST packages/   raw signed edXML package (Content-Type: application/xml)
                     header X-Edxml-To: the recipient's OrganId (needed when the package names
                     several agencies of this platform); Idempotency-Key is accepted and logged
    POST statuses/   raw signed status message
    GET  statuses/?document_id=...   each recipient's latest status of a document we sent

Who may post: another platform presenting the peer token declared on its ExternalEndpoint
(`Authorization: Bearer edxml_...`; it may only send as the organs of that endpoint), or an
API client with the scope "documents:write".

Answers are `{code, message, fields}` plus `status: {status_code, description, timestamp}`:
201 arrived (01), 200 arrived again (duplicate, 01), 422 refused (02, with the reason),
413 too large (02). A refused package is never registered. A package whose signature cannot
be verified is answered 01 with code `held` (201, 200 when sent again): it waits for a clerk.
The body may be a SOAP 1.1/1.2 Envelope whose Body holds the one edXML (packages and statuses).

A status message is answered 201 (`status_recorded`, or `status_stale`: an older status
delivered late, kept in the history, nothing changed), 200 (`duplicate`), 422 (unreadable,
signature, unknown document) or 400 when the status flow (status_flow.py) does not allow it:
`status_out_of_order` or `status_not_allowed_for_sender`, recorded as an event.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.urls import URLPattern, path
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from egov.core.actors import actor_from_request
from egov.core.api_auth import ApiClientTokenAuthentication, require_scope

from . import common, endpoints, receiving, statuses
from .common import StatusRefused
from .edxml import REJECTED, format_timestamp, max_package_bytes
from .endpoints import PEER_TOKEN_PREFIX
from .error_codes import ExchangeAnswerCode, ExchangeErrorCode
from .receiving import ReceiveResult

# application/soap+xml: SOAP 1.2 (text/xml is SOAP 1.1's); the edXML in it is unwrapped.
XML_CONTENT_TYPES = ("application/xml", "text/xml", "application/soap+xml")


class PeerAuth:
    """`request.auth` of another platform authenticated by its peer token."""

    def __init__(self, organ_ids: frozenset[str]) -> None:
        self.organ_ids = organ_ids

    def __repr__(self) -> str:
        return f"PeerAuth({sorted(self.organ_ids)})"


class PeerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer edxml_...`: a token declared on ExternalEndpoint(s)."""

    keyword = "Bearer"

    def authenticate(self, request: Any) -> tuple[Any, PeerAuth] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        parts = header.split()
        if (
            len(parts) != 2
            or parts[0] != self.keyword
            or not parts[1].startswith(PEER_TOKEN_PREFIX)
        ):
            return None
        organ_ids = endpoints.peer_organs_for_token(parts[1])
        if not organ_ids:
            raise exceptions.AuthenticationFailed("Mã truy cập liên thông không hợp lệ.")
        return AnonymousUser(), PeerAuth(organ_ids)

    def authenticate_header(self, request: Any) -> str:
        return self.keyword


class PeerTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[misc, unused-ignore]
    """Documents the peer token in the OpenAPI schema."""

    target_class = "egov.exchange.api.PeerTokenAuthentication"
    name = "exchangePeerToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "Mã truy cập liên thông (edxml_...) khai báo ở điểm liên thông.",
        }


class PeerOrWriteScope(permissions.BasePermission):
    message = "Cần mã truy cập liên thông hoặc ứng dụng có phạm vi 'documents:write'."

    def has_permission(self, request: Any, view: Any) -> bool:
        if isinstance(request.auth, PeerAuth):
            return True
        actor = actor_from_request(request)
        return actor.kind == "api_client" and actor.has_scope(common.WRITE_SCOPE)


def _peer_organs(request: Request) -> frozenset[str] | None:
    return request.auth.organ_ids if isinstance(request.auth, PeerAuth) else None


def _via(request: Request) -> str:
    if isinstance(request.auth, PeerAuth):
        return "http"
    return "api"


class _TooLarge(Exception):
    def __init__(self, size: int) -> None:
        self.size = size


def _read_body(request: Request) -> bytes:
    """The raw body, read in chunks and refused beyond EXCHANGE_MAX_PACKAGE_BYTES (Django's
    DATA_UPLOAD_MAX_MEMORY_SIZE is for forms; packages have their own limit)."""
    limit = max_package_bytes()
    declared = request.META.get("CONTENT_LENGTH") or ""
    if declared.isdigit() and int(declared) > limit:
        raise _TooLarge(int(declared))
    stream = request._request  # the Django request: read() does not apply the form limit
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = stream.read(min(1 << 20, limit + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            raise _TooLarge(total)
    return b"".join(chunks)


def _check_content_type(request: Request) -> None:
    content_type = (request.content_type or "").split(";")[0].strip().lower()
    if content_type not in XML_CONTENT_TYPES:
        raise exceptions.UnsupportedMediaType(
            content_type, detail="Gói tin phải gửi với Content-Type: application/xml."
        )


def _receipt_response(result: ReceiveResult, *, too_large: bool = False) -> Response:
    status_body = {
        "status_code": result.status_code,
        "description": result.description,
        "timestamp": format_timestamp(result.timestamp) if result.timestamp else "",
    }
    body: dict[str, Any] = {
        "document_id": result.document_id,
        "recipient": result.recipient_organ_id,
        "duplicate": result.duplicate,
        "status": status_body,
    }
    if result.status_code == REJECTED:
        body = {
            "code": result.error_code or ExchangeErrorCode.PACKAGE_REJECTED,
            "message": result.description,
            "fields": result.fields,
            **body,
        }
        return Response(body, status=413 if too_large else 422)
    code = ExchangeAnswerCode.DUPLICATE if result.duplicate else ExchangeAnswerCode.ARRIVED
    body = {
        # 01 all the same, but the peer may tell that it waits for a clerk (held.py)
        "code": ExchangeAnswerCode.HELD if result.held else code,
        "held": result.held,
        "message": result.description,
        "fields": {},
        **body,
    }
    return Response(body, status=200 if result.duplicate else 201)


class PackagesView(APIView):
    authentication_classes = [PeerTokenAuthentication, ApiClientTokenAuthentication]
    permission_classes = [PeerOrWriteScope]
    throttle_classes: list[Any] = []

    @extend_schema(
        summary="Nhận gói tin edXML",
        request={"application/xml": OpenApiTypes.BINARY},
        parameters=[
            OpenApiParameter("X-Edxml-To", str, OpenApiParameter.HEADER, required=False),
            OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False),
        ],
        responses={201: OpenApiTypes.OBJECT, 200: OpenApiTypes.OBJECT, 422: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request) -> Response:
        _check_content_type(request)
        recipient = (request.headers.get("X-Edxml-To") or "").strip()[:50] or None
        try:
            raw = _read_body(request)
        except _TooLarge as exc:
            result = receiving.refuse_oversized(
                size=exc.size, via=_via(request), recipient_organ_id=recipient or ""
            )
            return _receipt_response(result, too_large=True)
        result = receiving.receive_package(
            raw,
            via=_via(request),
            recipient_organ_id=recipient,
            peer_organ_ids=_peer_organs(request),
        )
        return _receipt_response(result)


class StatusesView(APIView):
    authentication_classes = [PeerTokenAuthentication, ApiClientTokenAuthentication]
    throttle_classes: list[Any] = []

    def get_permissions(self) -> list[Any]:
        if self.request.method == "GET":
            return [require_scope("documents:read")()]
        return [PeerOrWriteScope()]

    @extend_schema(
        summary="Nhận thông điệp trạng thái edXML",
        request={"application/xml": OpenApiTypes.BINARY},
        responses={
            201: OpenApiTypes.OBJECT,
            200: OpenApiTypes.OBJECT,
            422: OpenApiTypes.OBJECT,
        },
    )
    def post(self, request: Request) -> Response:
        _check_content_type(request)
        try:
            raw = _read_body(request)
        except _TooLarge:
            raise StatusRefused(
                "Thông điệp trạng thái quá lớn.", code=ExchangeErrorCode.PACKAGE_TOO_LARGE
            ) from None
        result = statuses.receive_status(
            raw, via=_via(request), peer_organ_ids=_peer_organs(request)
        )
        record = result.record
        assert record is not None  # a refusal was raised
        if result.duplicate:
            code, note = ExchangeAnswerCode.DUPLICATE, "Đã ghi nhận trạng thái."
        elif result.stale:
            code = ExchangeAnswerCode.STATUS_STALE
            note = "Đã ghi nhận trạng thái (đến muộn, cũ hơn trạng thái hiện tại: không đổi gì)."
        else:
            code, note = ExchangeAnswerCode.STATUS_RECORDED, "Đã ghi nhận trạng thái."
        return Response(
            {
                "code": code,
                "message": note,
                "fields": {},
                "document_id": record.document_id,
                "status": {
                    "status_code": record.status_code,
                    "description": record.description,
                    "timestamp": format_timestamp(record.timestamp),
                },
            },
            status=200 if result.duplicate else 201,
        )

    @extend_schema(
        summary="Trạng thái văn bản đã gửi, theo từng nơi nhận",
        parameters=[OpenApiParameter("document_id", str, required=True)],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        document_id = (request.query_params.get("document_id") or "").strip()
        if not document_id:
            raise exceptions.ValidationError({"document_id": ["Cần mã văn bản (DocumentId)."]})
        actor = actor_from_request(request)
        rows = statuses.statuses_for(document_id, actor=actor)
        return Response({"document_id": document_id, "recipients": [asdict(r) for r in rows]})


urlpatterns: list[URLPattern] = [
    path("packages/", PackagesView.as_view(), name="exchange-packages"),
    path("statuses/", StatusesView.as_view(), name="exchange-statuses"),
]
