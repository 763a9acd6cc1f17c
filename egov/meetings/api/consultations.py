"""Written consultation API (/api/v1/consultations/...).

Reading needs `meetings:read` (an API client sees its agency's consultations, without the
members' answers before the close); preparing, sending, answering, closing and signing need
`meetings:write` and are acts of a signed-in official in person: answering and signing take a
fresh authenticator code (`code`) and sign with the official's own key. Refusals use the common
error body `{code, message, fields}`.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from egov.core.actors import Actor, actor_from_request
from egov.core.api_auth import require_scope
from egov.core.errors import DomainError, NotAllowed
from egov.core.ids import parse_id
from egov.core.parsers import FormParser, JSONParser
from egov.core.scoping import visible_to
from egov.documents.models import OutgoingDocument
from egov.org.models import Official

from .. import access
from ..models import Consultation, ConsultationMember, ConsultationStatus, DecisionRule
from ..services import consultations as services

MAX_LIST = 200


class MemberSerializer(serializers.ModelSerializer[ConsultationMember]):
    official = serializers.IntegerField(source="official_id")
    name = serializers.CharField(source="official.user.get_full_name")
    answer_label = serializers.CharField(source="get_answer_display")

    class Meta:
        model = ConsultationMember
        fields = [
            "id",
            "official",
            "name",
            "answer",
            "answer_label",
            "comment",
            "answered_at",
            "signed_sha256",
        ]


class ConsultationSerializer(serializers.ModelSerializer[Consultation]):
    agency = serializers.CharField(source="agency.identifier")
    chair = serializers.IntegerField(source="chair_id")
    chair_name = serializers.CharField(source="chair.user.get_full_name")
    draft = serializers.IntegerField(source="draft_id")
    rule = serializers.CharField(source="rule.code")
    status_label = serializers.CharField(source="get_status_display")
    result_symbol = serializers.SerializerMethodField()

    class Meta:
        model = Consultation
        fields = [
            "id",
            "agency",
            "title",
            "question",
            "draft",
            "chair",
            "chair_name",
            "rule",
            "result_kind",
            "status",
            "status_label",
            "deadline_days",
            "sent_at",
            "deadline_at",
            "closed_at",
            "result",
            "passed",
            "result_document",
            "result_symbol",
            "version",
        ]

    def get_result_symbol(self, obj: Consultation) -> str:
        document = obj.result_document
        return document.symbol if document is not None else ""


class ConsultationDetailSerializer(ConsultationSerializer):
    members = serializers.SerializerMethodField()

    class Meta(ConsultationSerializer.Meta):
        fields = [*ConsultationSerializer.Meta.fields, "members"]

    @extend_schema_field(MemberSerializer(many=True))
    def get_members(self, obj: Consultation) -> list[dict[str, Any]]:
        """Every member's answer for the chair and the secretariat (and for all once closed);
        a member sees their own; an API client sees who answered, not how, until the close."""
        viewer: Official | None = self.context.get("official")
        rows = obj.members.select_related("official__user").order_by("pk")
        roles = access.consultation_roles(viewer, obj) if viewer else frozenset()
        closed = obj.status in (ConsultationStatus.CLOSED, ConsultationStatus.ISSUED)
        out = []
        for row in rows:
            data = dict(MemberSerializer(row).data)
            if not (closed or roles & {access.CHAIR, access.ORGANISER}) and (
                viewer is None or row.official_id != viewer.pk
            ):
                data.update(answer="", answer_label="", comment="")
            out.append(data)
        return out


def _actor(request: Request, write: bool = False) -> Actor:
    actor = actor_from_request(request)
    if write and not actor.has_scope("meetings:write"):
        raise PermissionDenied("Ứng dụng thiếu phạm vi 'meetings:write'.")
    return actor


def _viewer(actor: Actor) -> Official | None:
    if actor.kind != "official" or actor.user_id is None:
        return None
    return Official.of_user(actor.user_id)


def _official_for_write(actor: Actor) -> Official:
    official = _viewer(actor)
    if official is None:
        raise NotAllowed("Chỉ công chức đăng nhập mới được thực hiện thao tác này.")
    return official


def _consultation(actor: Actor, pk: int) -> Consultation:
    checked = parse_id(pk)
    if checked is None:
        raise Http404
    return get_object_or_404(
        visible_to(
            actor,
            Consultation.objects.select_related("agency", "chair__user", "rule", "result_document"),
        ),
        pk=checked,
    )


def _ids(raw: Any, field: str) -> list[int]:
    if not isinstance(raw, list):
        raise DomainError("Danh sách không hợp lệ.", fields={field: ["Cần một danh sách id."]})
    parsed = [parse_id(v) for v in raw]
    if any(v is None for v in parsed):
        raise DomainError("Mã không hợp lệ.", fields={field: ["Không hợp lệ."]})
    return [v for v in parsed if v is not None]


class CreateSerializer(serializers.Serializer[Any]):
    draft = serializers.IntegerField()
    title = serializers.CharField(max_length=300)
    question = serializers.CharField(max_length=4000)
    chair = serializers.IntegerField()
    members = serializers.ListField(child=serializers.IntegerField(), max_length=200)
    deadline_days = serializers.IntegerField(min_value=1, max_value=services.MAX_DEADLINE_DAYS)
    result_kind = serializers.ChoiceField(
        choices=Consultation.ResultKind.choices, default=Consultation.ResultKind.CONCLUSION
    )
    rule = serializers.SlugField(
        required=False, help_text="Mã quy tắc (mặc định: quy tắc mặc định)"
    )


class ConsultationList(APIView):
    permission_classes = [require_scope("meetings:read")]
    parser_classes = [JSONParser, FormParser]

    @extend_schema(responses=ConsultationSerializer(many=True), operation_id="consultations_list")
    def get(self, request: Request) -> Response:
        actor = _actor(request)
        rows = visible_to(
            actor, Consultation.objects.select_related("agency", "chair__user", "rule")
        ).order_by("-created_at")[:MAX_LIST]
        return Response(ConsultationSerializer(rows, many=True).data)

    @extend_schema(
        request=CreateSerializer,
        responses={201: ConsultationDetailSerializer},
        operation_id="consultations_create",
    )
    def post(self, request: Request) -> Response:
        actor = _actor(request, write=True)
        official = _official_for_write(actor)
        body = CreateSerializer(data=request.data)
        if not body.is_valid():
            raise DomainError(
                "Phiếu lấy ý kiến chưa hợp lệ.",
                code="consultation_invalid",
                fields={k: [str(e) for e in v] for k, v in body.errors.items()},
            )
        data = body.validated_data
        draft = OutgoingDocument.objects.filter(
            pk=data["draft"], agency_id=official.agency_id
        ).first()
        member_ids = _ids(data["members"], "members")
        members = list(Official.objects.filter(pk__in=member_ids))
        if len(members) != len(set(member_ids)):
            raise DomainError("Không tìm thấy thành viên.", fields={"members": ["Không hợp lệ."]})
        rule = None
        if data.get("rule"):
            rule = DecisionRule.objects.filter(code=data["rule"]).first()
            if rule is None:
                raise DomainError("Không có quy tắc này.", fields={"rule": ["Không hợp lệ."]})
        consultation = services.create_consultation(
            actor=actor,
            draft=draft,
            title=data["title"],
            question=data["question"],
            members=members,
            chair=Official.objects.filter(pk=data["chair"]).first(),
            deadline_days=data["deadline_days"],
            result_kind=data["result_kind"],
            rule=rule,
        )
        return Response(
            ConsultationDetailSerializer(consultation, context={"official": official}).data,
            status=201,
        )


class ConsultationDetail(APIView):
    permission_classes = [require_scope("meetings:read")]

    @extend_schema(responses=ConsultationDetailSerializer, operation_id="consultations_detail")
    def get(self, request: Request, pk: int) -> Response:
        actor = _actor(request)
        consultation = _consultation(actor, pk)
        context = {"official": _viewer(actor)}
        return Response(ConsultationDetailSerializer(consultation, context=context).data)


ACTIONS = {
    "send": "Chủ trì gửi lấy ý kiến (tính hạn trả lời theo ngày làm việc)",
    "answer": "Thành viên trả lời và ký phiếu: {answer: agree|disagree|comment, comment, code}",
    "close": "Chủ trì tổng hợp trước hạn khi tất cả đã trả lời",
    "sign": "Chủ trì ký ban hành văn bản kết quả: {code}",
    "cancel": "Chủ trì hủy lấy ý kiến chưa tổng hợp",
}


class ConsultationAction(APIView):
    permission_classes = [require_scope("meetings:write")]
    parser_classes = [JSONParser, FormParser]

    @extend_schema(
        request=inline_serializer(
            "ConsultationActionRequest",
            {
                "answer": serializers.ChoiceField(
                    choices=ConsultationMember.Answer.values, required=False
                ),
                "comment": serializers.CharField(required=False),
                "code": serializers.CharField(
                    required=False, help_text="Mã trên ứng dụng xác thực (trả lời, ký)"
                ),
                "version": serializers.IntegerField(required=False),
            },
        ),
        responses=ConsultationDetailSerializer,
        operation_id="consultations_action",
        parameters=[OpenApiParameter("action", str, OpenApiParameter.PATH, enum=list(ACTIONS))],
        description="Thao tác: " + "; ".join(f"`{k}`: {v}" for k, v in ACTIONS.items()),
    )
    def post(self, request: Request, pk: int, action: str) -> Response:
        actor = _actor(request, write=True)
        consultation = _consultation(actor, pk)
        official = _official_for_write(actor)
        data: Any = request.data
        version = parse_id(data.get("version")) if data.get("version") not in (None, "") else None
        if action == "send":
            services.send_consultation(
                actor=actor, consultation=consultation, expected_version=version
            )
        elif action == "answer":
            services.answer_consultation(
                actor=actor,
                consultation=consultation,
                answer=str(data.get("answer", "")),
                comment=str(data.get("comment", "")),
                second_factor=str(data.get("code", "")),
            )
        elif action == "close":
            services.close_consultation(
                actor=actor, consultation=consultation, expected_version=version
            )
        elif action == "sign":
            services.sign_result(
                actor=actor, consultation=consultation, second_factor=str(data.get("code", ""))
            )
        elif action == "cancel":
            services.cancel_consultation(
                actor=actor, consultation=consultation, expected_version=version
            )
        else:
            raise Http404
        consultation = _consultation(actor, pk)
        return Response(
            ConsultationDetailSerializer(consultation, context={"official": official}).data
        )


urlpatterns = [
    path("consultations/", ConsultationList.as_view(), name="api-consultations"),
    path("consultations/<id:pk>/", ConsultationDetail.as_view(), name="api-consultation"),
    path(
        "consultations/<id:pk>/<slug:action>/",
        ConsultationAction.as_view(),
        name="api-consultation-action",
    ),
]
