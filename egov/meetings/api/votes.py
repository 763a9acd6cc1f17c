"""Votes API (under /api/v1/meetings/<id>/votes/): the votes of a meeting, preparing, opening,
closing and cancelling one, casting a ballot (answered with the receipt code, once), the
result and checking a receipt.

Reading needs `meetings:read` (an API client reads the votes of its agency's meetings; a
closed vote's published count carries no voter for a secret vote). Every action is an act of a
signed-in official (`meetings:write` on top): a machine client can neither vote nor run a vote.
Refusals use the common body `{code, message, fields}`.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
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
from egov.core.errors import DomainError
from egov.core.ids import parse_id
from egov.core.parsers import FormParser, JSONParser, MultiPartParser
from egov.core.scoping import visible_to
from egov.org.models import Official

from ..access import meeting_roles
from ..error_codes import MeetingErrorCode
from ..models import AgendaItem, Meeting, Vote
from ..services import votes as services

# --- serializers ---------------------------------------------------------------------------------


class TurnoutSerializer(serializers.Serializer[Any]):
    voted = serializers.IntegerField(help_text="Số thành viên đã biểu quyết")
    voters = serializers.IntegerField(help_text="Tổng số thành viên có quyền biểu quyết")


# Plain strings with their values in the help text, not enums: the names "kind" and "status"
# are shared with other meetings models, and the schema must build without enum collisions.
KIND_HELP = "open (biểu quyết công khai) | secret (bỏ phiếu kín)"
CHOICES_HELP = "for_against (tán thành/không tán thành/không biểu quyết) | list"
STATUS_HELP = "draft | open | closed | cancelled"


class VoteSerializer(serializers.ModelSerializer[Vote]):
    item_title = serializers.CharField(source="item.title")
    kind = serializers.CharField(help_text=KIND_HELP)
    choices = serializers.CharField(help_text=CHOICES_HELP)
    status = serializers.CharField(help_text=STATUS_HELP)
    status_label = serializers.CharField(source="get_status_display")
    options = serializers.SerializerMethodField()
    turnout = serializers.SerializerMethodField()
    result = serializers.SerializerMethodField()

    class Meta:
        model = Vote
        fields = [
            "id",
            "meeting",
            "item",
            "item_title",
            "question",
            "kind",
            "choices",
            "options",
            "status",
            "status_label",
            "opened_at",
            "closes_at",
            "closed_at",
            "passed",
            "turnout",
            "result",
            "version",
        ]

    def get_options(self, obj: Vote) -> list[dict[str, str]]:
        return [{"key": k, "label": label} for k, label in services.choice_options(obj)]

    def get_turnout(self, obj: Vote) -> dict[str, int]:
        voted, voters = services.turnout(obj)
        return {"voted": voted, "voters": voters}

    def get_result(self, obj: Vote) -> dict[str, Any] | None:
        """The published count once closed (counts, base, needed, outcome, reason, the rule and
        its legal source, every receipt hash with its choice); nothing before."""
        return obj.result if obj.status == "closed" else None


class SealSerializer(serializers.Serializer[Any]):
    valid = serializers.BooleanField(help_text="Chữ ký số hợp lệ, chứng thư tin cậy, chưa thu hồi")
    signer = serializers.CharField()
    matches_count = serializers.BooleanField(help_text="Danh sách ký số khớp mã kiểm phiếu")
    voters = serializers.ListField(child=serializers.DictField(child=serializers.CharField()))
    problems = serializers.ListField(child=serializers.CharField())
    signed_xml = serializers.CharField(help_text="Danh sách ký số (XML-DSig, ký bao)")


class VoteDetailSerializer(VoteSerializer):
    named = serializers.SerializerMethodField()
    participation = serializers.SerializerMethodField()

    class Meta(VoteSerializer.Meta):
        fields = [*VoteSerializer.Meta.fields, "named", "participation"]

    def get_named(self, obj: Vote) -> list[dict[str, str]]:
        """An open vote once closed: each voter's choice (a secret vote: never)."""
        if obj.kind != Vote.Kind.OPEN or obj.status != "closed":
            return []
        return [
            {"voter": b.voter.user.username if b.voter else "", "choice": b.choice}
            for b in obj.ballots.select_related("voter__user").order_by("voter__user__username")
        ]

    @extend_schema_field(SealSerializer(allow_null=True))
    def get_participation(self, obj: Vote) -> dict[str, Any] | None:
        """A closed secret vote: the list of who voted (no choice), sealed by the agency."""
        check = services.check_participation(obj)
        if check is None:
            return None
        return {
            "valid": check.valid,
            "signer": check.signer,
            "matches_count": check.matches_count,
            "voters": check.voters,
            "problems": check.errors,
            "signed_xml": obj.participation_signature,
        }


class CreateVoteSerializer(serializers.Serializer[Any]):
    item = serializers.IntegerField(help_text="Mã nội dung họp (agenda item)")
    question = serializers.CharField(max_length=services.QUESTION_MAX)
    kind = serializers.CharField(help_text=KIND_HELP)
    choices = serializers.CharField(default="for_against", help_text=CHOICES_HELP)
    options = serializers.ListField(
        child=serializers.CharField(max_length=services.OPTION_MAX),
        required=False,
        help_text="Các phương án (khi choices = list)",
    )


class BallotSerializer(serializers.Serializer[Any]):
    choice = serializers.CharField(help_text="for / against / abstain, hoặc khóa của phương án")
    for_member = serializers.IntegerField(
        required=False, help_text="Người dự thay: mã công chức của thành viên vắng mặt"
    )


class ReceiptSerializer(serializers.Serializer[Any]):
    receipt = serializers.CharField(help_text="Mã biên nhận: chỉ trả về một lần, không lưu")


class ReceiptCheckSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(max_length=40)


class ReceiptFoundSerializer(serializers.Serializer[Any]):
    choice = serializers.CharField()
    choice_label = serializers.CharField()
    counted = serializers.BooleanField()
    status = serializers.CharField()


# --- helpers -------------------------------------------------------------------------------------


def _actor(request: Request, write: bool = False) -> Actor:
    actor = actor_from_request(request)
    if write and not actor.has_scope("meetings:write"):
        raise PermissionDenied("Ứng dụng thiếu phạm vi 'meetings:write'.")
    return actor


def _official(actor: Actor) -> Official | None:
    if actor.kind != "official" or actor.user_id is None:
        return None
    return Official.of_user(actor.user_id)


def _meeting(actor: Actor, pk: Any) -> Meeting:
    checked = parse_id(pk)
    meeting = (
        visible_to(actor, Meeting.objects.select_related("agency", "rule"))
        .filter(pk=checked)
        .first()
        if checked
        else None
    )
    if meeting is None:
        raise Http404
    return meeting


def _votes(actor: Actor, meeting: Meeting) -> Any:
    official = _official(actor)
    roles = meeting_roles(official, meeting) if official is not None else frozenset()
    qs = (
        visible_to(actor, Vote.objects.filter(meeting=meeting))
        .select_related("item", "rule", "meeting__agency")
        .order_by("item__position", "id")
    )
    items = services.guest_item_ids(official, meeting, roles)
    return qs if items is None else qs.filter(item_id__in=items)


def _vote(actor: Actor, pk: Any, vid: Any) -> Vote:
    meeting = _meeting(actor, pk)
    checked = parse_id(vid)
    vote = _votes(actor, meeting).filter(pk=checked).first() if checked else None
    if vote is None:
        raise Http404
    return vote


def _validated(serializer_class: type[serializers.Serializer[Any]], data: Any) -> dict[str, Any]:
    form = serializer_class(data=data)
    if not form.is_valid():
        raise DomainError(
            "Dữ liệu không hợp lệ.", code=MeetingErrorCode.VOTE_INVALID, fields=form.errors
        )
    return dict(form.validated_data)


# --- views ---------------------------------------------------------------------------------------


class VoteList(APIView):
    permission_classes = [require_scope("meetings:read")]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(responses=VoteSerializer(many=True), operation_id="meetings_votes_list")
    def get(self, request: Request, pk: int) -> Response:
        actor = _actor(request)
        return Response(VoteSerializer(_votes(actor, _meeting(actor, pk)), many=True).data)

    @extend_schema(
        request=CreateVoteSerializer,
        responses={201: VoteDetailSerializer},
        operation_id="meetings_votes_create",
        description="Chủ trì hoặc thư ký chuẩn bị biểu quyết cho một nội dung họp.",
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = _actor(request, write=True)
        meeting = _meeting(actor, pk)
        data = _validated(CreateVoteSerializer, request.data)
        item_id = parse_id(data["item"])
        item = (
            AgendaItem.objects.filter(meeting=meeting, pk=item_id).first()
            if item_id is not None
            else None
        )
        if item is None:
            raise DomainError(
                "Nội dung họp không thuộc cuộc họp.",
                code=MeetingErrorCode.VOTE_INVALID,
                fields={"item": ["Không hợp lệ."]},
            )
        vote = services.create_vote(
            actor=actor,
            item=item,
            question=data["question"],
            kind=data["kind"],
            choices=data["choices"],
            options=data.get("options", []),
        )
        return Response(VoteDetailSerializer(vote).data, status=201)


class VoteDetail(APIView):
    permission_classes = [require_scope("meetings:read")]

    @extend_schema(responses=VoteDetailSerializer, operation_id="meetings_votes_detail")
    def get(self, request: Request, pk: int, vid: int) -> Response:
        return Response(VoteDetailSerializer(_vote(_actor(request), pk, vid)).data)


VOTE_ACTIONS = {
    "open": "Chủ trì mở biểu quyết (khi cuộc họp đang diễn ra): {duration_minutes?}",
    "close": "Chủ trì kết thúc biểu quyết: kiểm phiếu theo quy tắc, công bố kết quả",
    "cancel": "Chủ trì hủy biểu quyết chưa kết thúc: {reason}",
}


class VoteAction(APIView):
    permission_classes = [require_scope("meetings:write")]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        request=inline_serializer(
            "VoteActionRequest",
            {
                "version": serializers.IntegerField(required=False),
                "duration_minutes": serializers.IntegerField(required=False),
                "reason": serializers.CharField(required=False),
            },
        ),
        responses=VoteDetailSerializer,
        operation_id="meetings_votes_action",
        parameters=[
            OpenApiParameter("action", str, OpenApiParameter.PATH, enum=list(VOTE_ACTIONS))
        ],
        description="Thao tác: " + "; ".join(f"`{k}`: {v}" for k, v in VOTE_ACTIONS.items()),
    )
    def post(self, request: Request, pk: int, vid: int, action: str) -> Response:
        actor = _actor(request, write=True)
        vote = _vote(actor, pk, vid)
        data: Any = request.data
        version = parse_id(data.get("version")) if data.get("version") not in (None, "") else None
        if action == "open":
            raw = data.get("duration_minutes")
            minutes = None
            if raw not in (None, ""):
                minutes = parse_id(raw)
                if minutes is None:
                    raise DomainError(
                        "Thời gian biểu quyết chưa hợp lệ.",
                        code=MeetingErrorCode.VOTE_INVALID,
                        fields={"duration_minutes": ["Không hợp lệ."]},
                    )
            vote = services.open_vote(
                actor=actor, vote=vote, duration_minutes=minutes, expected_version=version
            )
        elif action == "close":
            vote = services.close_vote(actor=actor, vote=vote, expected_version=version)
        elif action == "cancel":
            vote = services.cancel_vote(actor=actor, vote=vote, reason=str(data.get("reason", "")))
        else:
            raise Http404
        return Response(VoteDetailSerializer(vote).data)


class CastBallot(APIView):
    permission_classes = [require_scope("meetings:write")]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        request=BallotSerializer,
        responses={201: ReceiptSerializer},
        operation_id="meetings_votes_cast",
        description=(
            "Thành viên gửi phiếu. Trả về mã biên nhận một lần duy nhất (hệ thống chỉ lưu mã "
            "băm SHA-256): giữ mã để kiểm tra phiếu trong kết quả kiểm phiếu."
        ),
    )
    def post(self, request: Request, pk: int, vid: int) -> Response:
        actor = _actor(request, write=True)
        vote = _vote(actor, pk, vid)
        data = _validated(BallotSerializer, request.data)
        member = None
        if data.get("for_member") is not None:
            member_id = parse_id(data["for_member"])
            member = Official.objects.filter(pk=member_id).first() if member_id else None
            if member is None:
                raise DomainError(
                    "Không tìm thấy thành viên.",
                    code=MeetingErrorCode.NOT_A_VOTER,
                    fields={"for_member": ["Không hợp lệ."]},
                )
        code = services.cast_ballot(
            actor=actor, vote=vote, choice=data["choice"], for_member=member
        )
        response = Response({"receipt": code}, status=201)
        response["Cache-Control"] = "no-store"
        return response


class CheckReceipt(APIView):
    permission_classes = [require_scope("meetings:read")]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        request=ReceiptCheckSerializer,
        responses=ReceiptFoundSerializer,
        operation_id="meetings_votes_receipt",
        description="Người biểu quyết nhập mã biên nhận để thấy phiếu của mình và đã được kiểm.",
    )
    def post(self, request: Request, pk: int, vid: int) -> Response:
        actor = _actor(request)
        vote = _vote(actor, pk, vid)
        official = _official(actor)
        if official is None or not meeting_roles(official, vote.meeting):
            raise PermissionDenied("Chỉ người dự họp kiểm tra được phiếu bằng mã biên nhận.")
        data = _validated(ReceiptCheckSerializer, request.data)
        found = services.find_receipt(vote, data["code"])
        return Response(
            {
                "choice": found.choice,
                "choice_label": found.choice_label,
                "counted": found.counted,
                "status": found.status,
            }
        )


urlpatterns = [
    path("meetings/<id:pk>/votes/", VoteList.as_view(), name="api-meeting-votes"),
    path("meetings/<id:pk>/votes/<id:vid>/", VoteDetail.as_view(), name="api-meeting-vote"),
    path(
        "meetings/<id:pk>/votes/<id:vid>/ballot/",
        CastBallot.as_view(),
        name="api-meeting-vote-ballot",
    ),
    path(
        "meetings/<id:pk>/votes/<id:vid>/receipt/",
        CheckReceipt.as_view(),
        name="api-meeting-vote-receipt",
    ),
    path(
        "meetings/<id:pk>/votes/<id:vid>/<slug:action>/",
        VoteAction.as_view(),
        name="api-meeting-vote-action",
    ),
]
