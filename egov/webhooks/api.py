"""API of webhook subscriptions, for API clients with `webhooks:manage` (included in /api/v1/).

- `GET/POST webhooks/subscriptions/`: the client's own subscriptions; create one (the signing
  secret is in the answer of the creation only).
- `GET/PATCH/DELETE webhooks/subscriptions/<id>/`.
- `POST webhooks/subscriptions/<id>/rotate-secret/`: a new secret (shown once); the previous one
  stays valid for `overlap_hours` (default WEBHOOK_ROTATION_OVERLAP_HOURS).
- `POST webhooks/subscriptions/<id>/replay/` `{"from": time, "to": time?}`: deliver again the
  events of that range (bounded), as new deliveries marked `is_replay`, with the same CloudEvent
  ids.
- `POST webhooks/subscriptions/<id>/ping/`: a test delivery.
- `GET webhooks/subscriptions/<id>/deliveries/?status=`: the delivery log, newest first, paged.
- `GET webhooks/event-types/`: the event types a subscription may ask for.

Another client's subscription answers 404 like one that does not exist. Errors are the common
body `{code, message, fields}` with the codes of error_codes.py.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import Http404
from django.urls import URLPattern, URLResolver, path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from egov.core.actors import Actor, actor_from_request
from egov.core.api_auth import require_scope
from egov.core.api_query import CURSOR_PARAMETER, next_page_url, validated_query
from egov.core.errors import NotAllowed
from egov.core.keyset import CURSOR_PARAM, keyset_page
from egov.core.parsers import JSONParser
from egov.core.scoping import visible_to

from . import services as svc
from .error_codes import WebhookErrorCode
from .models import (
    MAX_EVENT_TYPES,
    MAX_NAME_LENGTH,
    MAX_URL_LENGTH,
    Delivery,
    DeliveryStatus,
    Subscription,
)
from .scopes import deliverable_types, may_manage

MANAGE = [require_scope("webhooks:manage")]
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
TAGS = ["webhooks"]


# --- serializers (component names prefixed Webhook...) --------------------------------------------


class WebhookSubscriptionSerializer(serializers.ModelSerializer[Subscription]):
    event_types = serializers.ListField(child=serializers.CharField())
    previous_secret_valid_until = serializers.DateTimeField(
        source="previous_secret_expires_at", allow_null=True
    )

    class Meta:
        model = Subscription
        fields = [
            "id",
            "name",
            "target_url",
            "event_types",
            "is_active",
            "disabled_reason",
            "created_at",
            "updated_at",
            "secret_rotated_at",
            "previous_secret_valid_until",
        ]


class WebhookSubscriptionCreatedSerializer(WebhookSubscriptionSerializer):
    secret = serializers.CharField(
        help_text="Khóa ký (whsec_...): chỉ trả về một lần, lúc tạo; hãy lưu lại ngay."
    )

    class Meta(WebhookSubscriptionSerializer.Meta):
        fields = [*WebhookSubscriptionSerializer.Meta.fields, "secret"]


class WebhookSubscriptionPageSerializer(serializers.Serializer[Any]):
    results = WebhookSubscriptionSerializer(many=True)
    next = serializers.URLField(allow_null=True)


EVENT_TYPES = serializers.ListField(
    child=serializers.CharField(max_length=100),
    min_length=1,
    max_length=MAX_EVENT_TYPES,
    help_text="Loại sự kiện trong danh mục (GET webhooks/event-types/), hoặc tiền tố `dossier.*`",
)


class WebhookSubscriptionCreateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=MAX_NAME_LENGTH)
    target_url = serializers.CharField(
        max_length=MAX_URL_LENGTH, help_text="Địa chỉ https công khai nhận thông báo"
    )
    event_types = EVENT_TYPES


class WebhookSubscriptionUpdateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=MAX_NAME_LENGTH, required=False)
    target_url = serializers.CharField(max_length=MAX_URL_LENGTH, required=False)
    event_types = serializers.ListField(
        child=serializers.CharField(max_length=100),
        min_length=1,
        max_length=MAX_EVENT_TYPES,
        required=False,
    )
    is_active = serializers.BooleanField(required=False)


class WebhookRotateSerializer(serializers.Serializer[Any]):
    overlap_hours = serializers.FloatField(
        required=False,
        min_value=0,
        max_value=24 * 30,
        help_text="Số giờ khóa cũ còn hiệu lực (mặc định 24)",
    )


class WebhookSecretSerializer(serializers.Serializer[Any]):
    secret = serializers.CharField(help_text="Khóa ký mới: chỉ trả về một lần")
    previous_secret_valid_until = serializers.DateTimeField()


class WebhookReplayRangeSerializer(serializers.Serializer[Any]):
    from_ = serializers.DateTimeField(help_text="Từ thời điểm (ISO 8601, có múi giờ)")
    to = serializers.DateTimeField(required=False, help_text="Đến trước thời điểm; mặc định: nay")

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class WebhookReplaySerializer(serializers.Serializer[Any]):
    replay_id = serializers.IntegerField(help_text="Mã sự kiện ghi yêu cầu gửi lại")
    count = serializers.IntegerField(help_text="Số sự kiện sẽ được gửi lại")

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["from"] = serializers.DateTimeField()
        fields["to"] = serializers.DateTimeField()
        return fields


class WebhookPingSerializer(serializers.Serializer[Any]):
    event_id = serializers.CharField(help_text="Mã CloudEvent của thông báo thử")


class WebhookDeliverySerializer(serializers.ModelSerializer[Delivery]):
    event_type = serializers.CharField(source="event.event_type")
    next_retry_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "cloudevent_id",
            "event_type",
            "attempt",
            "is_replay",
            "status",
            "http_status",
            "duration_ms",
            "error",
            "attempted_at",
            "next_retry_at",
        ]


class WebhookDeliveryPageSerializer(serializers.Serializer[Any]):
    results = WebhookDeliverySerializer(many=True)
    next = serializers.URLField(allow_null=True)


class WebhookDeliveryQuery(serializers.Serializer[Any]):
    status = serializers.ChoiceField(DeliveryStatus.choices, required=False)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=MAX_LIMIT)


class WebhookListQuery(serializers.Serializer[Any]):
    limit = serializers.IntegerField(required=False, min_value=1, max_value=MAX_LIMIT)


class WebhookEventTypesSerializer(serializers.Serializer[Any]):
    event_types = serializers.ListField(child=serializers.CharField())


# --- helpers ---


def _actor(request: Request) -> Actor:
    actor = actor_from_request(request)
    if not may_manage(actor):
        raise NotAllowed(
            "Chỉ ứng dụng API có phạm vi 'webhooks:manage' quản lý đăng ký nhận sự kiện.",
            code=WebhookErrorCode.CLIENT_ONLY,
        )
    return actor


def _valid(serializer_class: type[serializers.Serializer[Any]], request: Request) -> Any:
    form = serializer_class(data=request.data)
    form.is_valid(raise_exception=True)
    return form.validated_data


def _subscription(actor: Actor, pk: int) -> Subscription:
    found = visible_to(actor, Subscription.objects.all()).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


# --- views ---


class SubscriptionList(APIView):
    permission_classes = MANAGE
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="webhooks_subscriptions_list",
        parameters=[WebhookListQuery, CURSOR_PARAMETER],
        responses=WebhookSubscriptionPageSerializer,
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        actor = _actor(request)
        query = validated_query(WebhookListQuery, request)
        qs = visible_to(actor, Subscription.objects.all())
        page, cursor = keyset_page(
            qs,
            "",
            str(request.query_params.get(CURSOR_PARAM, "")),
            query.get("limit") or DEFAULT_LIMIT,
            strict=True,
        )
        return Response(
            {
                "results": WebhookSubscriptionSerializer(page, many=True).data,
                "next": next_page_url(request, cursor),
            }
        )

    @extend_schema(
        operation_id="webhooks_subscriptions_create",
        request=WebhookSubscriptionCreateSerializer,
        responses={201: WebhookSubscriptionCreatedSerializer},
        tags=TAGS,
        description="Đăng ký nhận sự kiện. Khóa ký `secret` chỉ có trong câu trả lời này.",
    )
    def post(self, request: Request) -> Response:
        actor = _actor(request)
        data = _valid(WebhookSubscriptionCreateSerializer, request)
        sub, secret = svc.create_subscription(
            actor=actor,
            name=data["name"],
            target_url=data["target_url"],
            event_types=data["event_types"],
        )
        body = dict(WebhookSubscriptionSerializer(sub).data)
        body["secret"] = secret
        response = Response(body, status=201)
        response["Cache-Control"] = "no-store"
        return response


class SubscriptionDetail(APIView):
    permission_classes = MANAGE
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="webhooks_subscriptions_read",
        responses=WebhookSubscriptionSerializer,
        tags=TAGS,
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(WebhookSubscriptionSerializer(_subscription(_actor(request), pk)).data)

    @extend_schema(
        operation_id="webhooks_subscriptions_update",
        request=WebhookSubscriptionUpdateSerializer,
        responses=WebhookSubscriptionSerializer,
        tags=TAGS,
    )
    def patch(self, request: Request, pk: int) -> Response:
        actor = _actor(request)
        _subscription(actor, pk)
        data = _valid(WebhookSubscriptionUpdateSerializer, request)
        sub = svc.update_subscription(actor=actor, subscription_id=pk, **data)
        return Response(WebhookSubscriptionSerializer(sub).data)

    @extend_schema(operation_id="webhooks_subscriptions_delete", responses={204: None}, tags=TAGS)
    def delete(self, request: Request, pk: int) -> Response:
        actor = _actor(request)
        _subscription(actor, pk)
        svc.delete_subscription(actor=actor, subscription_id=pk)
        return Response(status=204)


class SubscriptionRotate(APIView):
    permission_classes = MANAGE
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="webhooks_subscriptions_rotate_secret",
        request=WebhookRotateSerializer,
        responses=WebhookSecretSerializer,
        tags=TAGS,
        description="Đổi khóa ký. Khóa mới chỉ trả về một lần; khóa cũ còn hiệu lực trong "
        "`overlap_hours` giờ, trong thời gian đó mỗi lần gửi mang chữ ký của cả hai khóa.",
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = _actor(request)
        _subscription(actor, pk)
        data = _valid(WebhookRotateSerializer, request)
        overlap = data.get("overlap_hours")
        sub, secret = svc.rotate_secret(
            actor=actor,
            subscription_id=pk,
            overlap=None if overlap is None else timedelta(hours=overlap),
        )
        response = Response(
            {"secret": secret, "previous_secret_valid_until": sub.previous_secret_expires_at}
        )
        response["Cache-Control"] = "no-store"
        return response


class SubscriptionReplay(APIView):
    permission_classes = MANAGE
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="webhooks_subscriptions_replay",
        request=WebhookReplayRangeSerializer,
        responses={202: WebhookReplaySerializer},
        tags=TAGS,
        description="Gửi lại các sự kiện trong khoảng [from, to) mà đăng ký được nhận (tối đa "
        "WEBHOOK_REPLAY_MAX_EVENTS); mã CloudEvent giữ nguyên để bên nhận loại trùng.",
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = _actor(request)
        _subscription(actor, pk)
        data = _valid(WebhookReplayRangeSerializer, request)
        result = svc.replay(actor=actor, subscription_id=pk, start=data["from"], end=data.get("to"))
        return Response(
            {
                "replay_id": result.replay_id,
                "count": result.count,
                "from": result.start,
                "to": result.end,
            },
            status=202,
        )


class SubscriptionPing(APIView):
    permission_classes = MANAGE

    @extend_schema(
        operation_id="webhooks_subscriptions_ping",
        request=None,
        responses={202: WebhookPingSerializer},
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        from .delivery import cloudevent_id

        actor = _actor(request)
        _subscription(actor, pk)
        event = svc.ping(actor=actor, subscription_id=pk)
        return Response({"event_id": cloudevent_id(event)}, status=202)


class SubscriptionDeliveries(APIView):
    permission_classes = MANAGE

    @extend_schema(
        operation_id="webhooks_subscriptions_deliveries",
        parameters=[WebhookDeliveryQuery, CURSOR_PARAMETER],
        responses=WebhookDeliveryPageSerializer,
        tags=TAGS,
    )
    def get(self, request: Request, pk: int) -> Response:
        actor = _actor(request)
        sub = _subscription(actor, pk)
        query = validated_query(WebhookDeliveryQuery, request)
        qs = visible_to(actor, Delivery.objects.filter(subscription=sub)).select_related(
            "event", "outbox_message"
        )
        if query.get("status"):
            qs = qs.filter(status=query["status"])
        page, cursor = keyset_page(
            qs,
            "",
            str(request.query_params.get(CURSOR_PARAM, "")),
            query.get("limit") or DEFAULT_LIMIT,
            descending=True,
            strict=True,
        )
        return Response(
            {
                "results": WebhookDeliverySerializer(page, many=True).data,
                "next": next_page_url(request, cursor),
            }
        )


class EventTypes(APIView):
    permission_classes = MANAGE

    @extend_schema(
        operation_id="webhooks_event_types",
        responses=WebhookEventTypesSerializer,
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        _actor(request)
        return Response({"event_types": deliverable_types()})


urlpatterns: list[URLPattern | URLResolver] = [
    path("webhooks/event-types/", EventTypes.as_view(), name="api-webhook-event-types"),
    path("webhooks/subscriptions/", SubscriptionList.as_view(), name="api-webhook-subscriptions"),
    path(
        "webhooks/subscriptions/<id:pk>/",
        SubscriptionDetail.as_view(),
        name="api-webhook-subscription",
    ),
    path(
        "webhooks/subscriptions/<id:pk>/rotate-secret/",
        SubscriptionRotate.as_view(),
        name="api-webhook-rotate",
    ),
    path(
        "webhooks/subscriptions/<id:pk>/replay/",
        SubscriptionReplay.as_view(),
        name="api-webhook-replay",
    ),
    path(
        "webhooks/subscriptions/<id:pk>/ping/",
        SubscriptionPing.as_view(),
        name="api-webhook-ping",
    ),
    path(
        "webhooks/subscriptions/<id:pk>/deliveries/",
        SubscriptionDeliveries.as_view(),
        name="api-webhook-deliveries",
    ),
]
