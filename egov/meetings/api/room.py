"""Meetings API for participants and the chair (mounted under /api/v1/meetings/): my meetings,
a meeting as its participant sees it, the answer to the invitation, the speakers' queue,
presence, the chair's actions in session, and the in-app notices.

Reading needs `meetings:read`, acting `meetings:write`. Acts are a named official's: an API
client never answers, speaks or runs a meeting (the case kernel refuses it, 403). A meeting the
caller may not see is 404, whatever the endpoint. Errors are `{code, message, fields}`.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from egov.core.actors import Actor, actor_from_request
from egov.core.api_auth import require_scope
from egov.core.errors import DomainError
from egov.core.ids import MAX_ID, parse_id
from egov.core.parsers import FormParser, JSONParser
from egov.core.scoping import visible_to
from egov.org.models import Official

from .. import access
from ..error_codes import MeetingErrorCode
from ..models import (
    AgendaItem,
    Material,
    Meeting,
    MeetingNotice,
    MeetingStatus,
    Participant,
    SpeakingRequest,
)
from ..services import attendance, notices, session, speaking

READ = "meetings:read"
WRITE = "meetings:write"
NOTICES_LIMIT = 200


# --- who is asking -------------------------------------------------------------------------------


def _actor(request: Request, write: bool = False) -> Actor:
    actor = actor_from_request(request)
    if write and not actor.has_scope(WRITE):
        raise PermissionDenied(f"Ứng dụng thiếu phạm vi '{WRITE}'.")
    return actor


def _official(actor: Actor) -> Official:
    official = (
        Official.of_user(actor.user_id) if actor.kind == "official" and actor.user_id else None
    )
    if official is None:
        raise PermissionDenied("Chỉ công chức có cuộc họp của mình.")
    return official


def _me(actor: Actor) -> Official | None:
    if actor.kind != "official" or actor.user_id is None:
        return None
    return Official.of_user(actor.user_id)


def _meeting(actor: Actor, pk: Any) -> tuple[Meeting, Official | None, frozenset[str]]:
    """The meeting if the caller may see it (a draft only by those preparing it), else 404."""
    checked = parse_id(pk)
    meeting = (
        visible_to(
            actor, Meeting.objects.select_related("agency", "chair__user", "secretary__user")
        )
        .filter(pk=checked or 0)
        .first()
    )
    if meeting is None:
        raise Http404
    official = _me(actor)
    roles = access.meeting_roles(official, meeting)
    if meeting.status == MeetingStatus.DRAFT and not (
        actor.is_operator or roles & {access.ORGANISER, access.PRESIDING}
    ):
        raise Http404
    return meeting, official, roles


def _item(meeting: Meeting, pk: Any, field: str = "item") -> AgendaItem:
    item = AgendaItem.objects.filter(meeting=meeting, pk=parse_id(pk) or 0).first()
    if item is None:
        message = "Không tìm thấy nội dung họp."
        raise DomainError(message, code=MeetingErrorCode.MEETING_INVALID, fields={field: [message]})
    return item


def _visible_items(meeting: Meeting, seat: Participant | None, roles: frozenset[str]) -> Any:
    items = AgendaItem.objects.filter(meeting=meeting).select_related("presenter__user")
    if (
        seat is not None
        and seat.role == Participant.Role.GUEST
        and not roles & {access.ORGANISER, access.PRESIDING}
    ):
        items = items.filter(pk__in=seat.items.values("pk"))
    return items.order_by("position")


def _name(official: Official | None) -> str | None:
    return official.user.get_full_name() if official is not None else None


# --- serializers (responses) ---------------------------------------------------------------------


class SeatSerializer(serializers.Serializer[Any]):
    """The caller's seat: their own invitation, or the member's they stand in for."""

    participant = serializers.IntegerField(source="pk")
    role = serializers.CharField()
    response = serializers.CharField()
    response_label = serializers.CharField(source="get_response_display")
    reason = serializers.CharField()
    delegate = serializers.IntegerField(source="delegate_id", allow_null=True)
    delegate_name = serializers.SerializerMethodField()
    responded_at = serializers.DateTimeField(allow_null=True)
    stands_in_for = serializers.SerializerMethodField(
        help_text="Họ tên thành viên mà người gọi dự thay (null: giấy mời của chính mình)"
    )

    def get_delegate_name(self, obj: Participant) -> str | None:
        return _name(obj.delegate)

    def get_stands_in_for(self, obj: Participant) -> str | None:
        me = self.context.get("official")
        if me is not None and obj.official_id != me.pk:
            return _name(obj.official)
        return None


class MyMeetingSerializer(serializers.Serializer[Any]):
    """One of the caller's meetings (attendance.MyMeeting)."""

    id = serializers.IntegerField(source="meeting.pk")
    title = serializers.CharField(source="meeting.title")
    kind = serializers.CharField(source="meeting.kind")
    status = serializers.CharField(source="meeting.status")
    status_label = serializers.CharField(source="meeting.get_status_display")
    starts_at = serializers.DateTimeField(source="meeting.starts_at")
    ends_at = serializers.DateTimeField(source="meeting.ends_at")
    place = serializers.CharField(source="meeting.place")
    online_link = serializers.CharField(source="meeting.online_link")
    chair = serializers.CharField(source="meeting.chair.user.get_full_name")
    unanswered = serializers.BooleanField(help_text="Giấy mời chưa trả lời")
    seat = SeatSerializer(source="taken", allow_null=True)


class RoomSpeakerSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    item = serializers.IntegerField(source="item_id")
    speaker = serializers.SerializerMethodField()
    stands_in_for = serializers.SerializerMethodField()
    topic = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    requested_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_speaker(self, obj: SpeakingRequest) -> str:
        person = attendance.attendee(obj.participant) or obj.participant.official
        return str(person.user.get_full_name())

    def get_stands_in_for(self, obj: SpeakingRequest) -> str | None:
        person = attendance.attendee(obj.participant)
        if person is not None and person.pk != obj.participant.official_id:
            return _name(obj.participant.official)
        return None


class MaterialRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField()
    confidential = serializers.BooleanField()
    item = serializers.IntegerField(source="item_id", allow_null=True)


class RoomItemSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    presenter = serializers.SerializerMethodField()
    duration_minutes = serializers.IntegerField()
    status = serializers.CharField()
    speakers_open = serializers.BooleanField()

    def get_presenter(self, obj: AgendaItem) -> str:
        if obj.presenter_id:
            return str(obj.presenter.user.get_full_name())  # type: ignore[union-attr]
        return obj.presenter_name


class MeetingRoomSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    agency = serializers.CharField(source="agency.name")
    chair = serializers.CharField(source="chair.user.get_full_name")
    secretary = serializers.SerializerMethodField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    place = serializers.CharField()
    online_link = serializers.CharField()
    description = serializers.CharField()
    cancel_reason = serializers.CharField()
    opened_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    current_item = serializers.IntegerField(source="current_item_id", allow_null=True)
    version = serializers.IntegerField()

    def get_secretary(self, obj: Meeting) -> str | None:
        return _name(obj.secretary)


class RoomSerializer(serializers.Serializer[Any]):
    """A meeting as the caller sees it."""

    meeting = MeetingRoomSerializer()
    roles = serializers.ListField(child=serializers.CharField())
    seat = SeatSerializer(allow_null=True)
    items = RoomItemSerializer(many=True)
    materials = MaterialRefSerializer(many=True)
    my_requests = RoomSpeakerSerializer(many=True)
    current_queue = RoomSpeakerSerializer(many=True)


class PresenceRowSerializer(serializers.Serializer[Any]):
    participant = serializers.IntegerField(source="pk")
    name = serializers.SerializerMethodField()
    role = serializers.CharField()
    response = serializers.CharField()
    reason = serializers.CharField()
    delegate = serializers.SerializerMethodField()
    present = serializers.BooleanField(allow_null=True)

    def get_name(self, obj: Participant) -> str:
        return str(obj.official.user.get_full_name())

    def get_delegate(self, obj: Participant) -> str | None:
        return _name(obj.delegate)


class NoticeSerializer(serializers.ModelSerializer[MeetingNotice]):
    class Meta:
        model = MeetingNotice
        fields = ["id", "kind", "title", "body", "link", "created_at", "read_at"]


# --- my meetings and a meeting -------------------------------------------------------------------


class MyMeetings(APIView):
    permission_classes = [require_scope(READ)]

    @extend_schema(responses=MyMeetingSerializer(many=True))
    def get(self, request: Request) -> Response:
        """Các cuộc họp của tôi (được mời hoặc dự thay), giấy mời chưa trả lời trước."""
        actor = _actor(request)
        official = _official(actor)
        rows = sorted(
            attendance.my_meetings(official, actor),
            key=lambda e: (not e.unanswered, -e.meeting.starts_at.timestamp()),
        )
        return Response(MyMeetingSerializer(rows, many=True, context={"official": official}).data)


def _labelled_queue(item: AgendaItem | None) -> list[SpeakingRequest]:
    return speaking.queue(item) if item is not None else []


def room_body(
    actor: Actor, meeting: Meeting, official: Official | None, roles: frozenset[str]
) -> Any:
    seat = attendance.seat_of(meeting, official) if official is not None else None
    items = list(_visible_items(meeting, seat, roles))
    visible_ids = {i.pk for i in items}
    materials = [
        m
        for m in visible_to(
            actor, Material.objects.filter(meeting=meeting, withdrawn=False)
        ).order_by("item_id", "id")
        if m.item_id is None or m.item_id in visible_ids
    ]
    mine = (
        SpeakingRequest.objects.filter(participant=seat, item_id__in=visible_ids)
        .exclude(status=SpeakingRequest.Status.WITHDRAWN)
        .select_related("participant__official__user", "participant__delegate__user")
        .order_by("requested_at", "id")
        if seat is not None
        else SpeakingRequest.objects.none()
    )
    current = next((i for i in items if i.pk == meeting.current_item_id), None)
    data = {
        "meeting": meeting,
        "roles": sorted(roles),
        "seat": seat,
        "items": items,
        "materials": materials,
        "my_requests": list(mine),
        "current_queue": _labelled_queue(current),
    }
    return RoomSerializer(data, context={"official": official}).data


class MeetingRoom(APIView):
    permission_classes = [require_scope(READ)]

    @extend_schema(responses=RoomSerializer)
    def get(self, request: Request, pk: int) -> Response:
        """Cuộc họp như người dự họp thấy: chương trình (khách mời: chỉ nội dung của mình), tài
        liệu được xem, trả lời giấy mời, đăng ký phát biểu, danh sách phát biểu hiện tại."""
        actor = _actor(request)
        meeting, official, roles = _meeting(actor, pk)
        return Response(room_body(actor, meeting, official, roles))


class AnswerRequest(serializers.Serializer[Any]):
    response = serializers.ChoiceField(
        choices=[Participant.Response.ACCEPTED, Participant.Response.DECLINED]
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=attendance.REASON_MAX,
        help_text="Bắt buộc khi vắng mặt",
    )
    delegate = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_ID,
        help_text="Id công chức dự thay",
    )


class Answer(APIView):
    permission_classes = [require_scope(WRITE)]
    parser_classes = [JSONParser, FormParser]

    @extend_schema(request=AnswerRequest, responses=SeatSerializer)
    def post(self, request: Request, pk: int) -> Response:
        """Trả lời giấy mời: tham dự, hoặc vắng mặt kèm lý do và người dự thay (nếu có)."""
        actor = _actor(request, write=True)
        meeting, official, _roles = _meeting(actor, pk)
        form = AnswerRequest(data=request.data)
        form.is_valid(raise_exception=True)
        data: dict[str, Any] = form.validated_data
        delegate = None
        if data.get("delegate"):
            delegate = (
                Official.objects.select_related("user")
                .filter(
                    pk=data["delegate"],
                    agency_id__in={*actor.agency_ids, meeting.agency_id},
                )
                .first()
            )
            if delegate is None:
                message = "Không tìm thấy công chức dự thay."
                raise DomainError(
                    message, code=MeetingErrorCode.MEETING_INVALID, fields={"delegate": [message]}
                )
        seat = attendance.answer_invitation(
            actor=actor,
            meeting=meeting,
            response=data["response"],
            reason=data.get("reason", ""),
            delegate=delegate,
        )
        return Response(SeatSerializer(seat, context={"official": official}).data)


# --- speakers ------------------------------------------------------------------------------------


class SpeakRequest(serializers.Serializer[Any]):
    topic = serializers.CharField(required=False, allow_blank=True, max_length=speaking.TOPIC_MAX)


def _item_for(
    meeting: Meeting, official: Official | None, roles: frozenset[str], pk: Any
) -> AgendaItem:
    """An item the caller sees (a guest only theirs): else 404."""
    seat = attendance.seat_of(meeting, official) if official is not None else None
    item = _visible_items(meeting, seat, roles).filter(pk=parse_id(pk) or 0).first()
    if item is None:
        raise Http404
    return item


class Speakers(APIView):
    permission_classes = [require_scope(READ)]
    parser_classes = [JSONParser, FormParser]

    @extend_schema(responses=RoomSpeakerSerializer(many=True))
    def get(self, request: Request, pk: int, item: int) -> Response:
        """Danh sách phát biểu của một nội dung: người đang phát biểu, rồi người chờ theo thứ tự."""
        actor = _actor(request)
        meeting, official, roles = _meeting(actor, pk)
        target = _item_for(meeting, official, roles, item)
        return Response(RoomSpeakerSerializer(speaking.queue(target), many=True).data)

    @extend_schema(request=SpeakRequest, responses={201: RoomSpeakerSerializer})
    def post(self, request: Request, pk: int, item: int) -> Response:
        """Đăng ký phát biểu về nội dung này."""
        actor = _actor(request, write=True)
        meeting, official, roles = _meeting(actor, pk)
        target = _item_for(meeting, official, roles, item)
        form = SpeakRequest(data=request.data)
        form.is_valid(raise_exception=True)
        created = speaking.request_to_speak(
            actor=actor, item=target, topic=form.validated_data.get("topic", "")
        )
        return Response(RoomSpeakerSerializer(created).data, status=201)


class WithdrawSpeech(APIView):
    permission_classes = [require_scope(WRITE)]

    @extend_schema(request=None, responses=RoomSpeakerSerializer)
    def post(self, request: Request, pk: int, rid: int) -> Response:
        """Rút đăng ký phát biểu (chỉ người đăng ký, khi còn đang chờ)."""
        actor = _actor(request, write=True)
        meeting, _official_row, _roles = _meeting(actor, pk)
        entry = (
            SpeakingRequest.objects.select_related("item")
            .filter(pk=parse_id(rid) or 0, item__meeting=meeting)
            .first()
        )
        if entry is None:
            raise Http404
        return Response(
            RoomSpeakerSerializer(speaking.withdraw_request(actor=actor, request=entry)).data
        )


# --- presence and the chair's actions ------------------------------------------------------------


class PresenceRequest(serializers.Serializer[Any]):
    present = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        max_length=500,
        allow_empty=True,
        help_text="Id của những người dự họp có mặt (participant); người còn lại là vắng mặt",
    )


def _presence_rows(meeting: Meeting) -> Any:
    return Participant.objects.filter(meeting=meeting).select_related(
        "official__user", "delegate__user"
    )


class Presence(APIView):
    permission_classes = [require_scope(READ)]
    parser_classes = [JSONParser, FormParser]

    @extend_schema(responses=PresenceRowSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        """Thành phần dự họp với trả lời giấy mời và điểm danh (chủ trì, thư ký, văn phòng)."""
        actor = _actor(request)
        meeting, _official_row, roles = _meeting(actor, pk)
        if not (actor.kind != "official" or roles & {access.PRESIDING, access.ORGANISER}):
            raise PermissionDenied("Danh sách điểm danh dành cho chủ trì, thư ký và văn phòng.")
        return Response(PresenceRowSerializer(_presence_rows(meeting), many=True).data)

    @extend_schema(request=PresenceRequest, responses=PresenceRowSerializer(many=True))
    def post(self, request: Request, pk: int) -> Response:
        """Điểm danh: danh sách người có mặt (thay cho lần điểm danh trước)."""
        actor = _actor(request, write=True)
        meeting, _official_row, _roles = _meeting(actor, pk)
        form = PresenceRequest(data=request.data)
        form.is_valid(raise_exception=True)
        attendance.record_presence(
            actor=actor, meeting=meeting, present=form.validated_data["present"]
        )
        return Response(PresenceRowSerializer(_presence_rows(meeting), many=True).data)


SESSION_ACTIONS = {
    "open": "Khai mạc (nội dung đầu tiên được chuyển sang thảo luận)",
    "start-item": "Chuyển sang nội dung: {item}",
    "call-speaker": "Mời người chờ tiếp theo phát biểu: {item}",
    "finish-speaker": "Kết thúc phát biểu: {request}",
    "close-speakers": "Dừng nhận đăng ký phát biểu: {item}",
    "close": "Bế mạc (người còn chờ được ghi là không kịp phát biểu)",
}


class SessionAction(APIView):
    permission_classes = [require_scope(WRITE)]
    parser_classes = [JSONParser, FormParser]

    @extend_schema(
        request=inline_serializer(
            "MeetingSessionActionRequest",
            {
                "item": serializers.IntegerField(required=False, help_text="Id nội dung họp"),
                "request": serializers.IntegerField(
                    required=False, help_text="Id đăng ký phát biểu"
                ),
            },
        ),
        responses=RoomSerializer,
        operation_id="meetings_session_action",
        parameters=[
            OpenApiParameter("action", str, OpenApiParameter.PATH, enum=list(SESSION_ACTIONS))
        ],
        description="Điều hành cuộc họp (chủ trì hoặc thư ký): "
        + "; ".join(f"`{k}`: {v}" for k, v in SESSION_ACTIONS.items()),
    )
    def post(self, request: Request, pk: int, action: str) -> Response:
        if action not in SESSION_ACTIONS:
            raise Http404
        actor = _actor(request, write=True)
        meeting, official, roles = _meeting(actor, pk)
        data: Any = request.data
        if action == "open":
            session.open_meeting(actor=actor, meeting=meeting)
        elif action == "start-item":
            session.start_item(actor=actor, meeting=meeting, item=_item(meeting, data.get("item")))
        elif action == "call-speaker":
            speaking.call_next_speaker(actor=actor, item=_item(meeting, data.get("item")))
        elif action == "finish-speaker":
            entry = SpeakingRequest.objects.filter(
                pk=parse_id(data.get("request")) or 0, item__meeting=meeting
            ).first()
            if entry is None:
                message = "Không tìm thấy đăng ký phát biểu."
                raise DomainError(
                    message,
                    code=MeetingErrorCode.MEETING_INVALID,
                    fields={"request": [message]},
                )
            speaking.finish_speaker(actor=actor, request=entry)
        elif action == "close-speakers":
            speaking.close_speakers(actor=actor, item=_item(meeting, data.get("item")))
        elif action == "close":
            session.close_meeting(actor=actor, meeting=meeting)
        meeting.refresh_from_db()
        return Response(room_body(actor, meeting, official, roles))


# --- notices -------------------------------------------------------------------------------------


class Notices(APIView):
    permission_classes = [require_scope(READ)]

    @extend_schema(responses=NoticeSerializer(many=True))
    def get(self, request: Request) -> Response:
        """Thông báo họp của tôi, chưa đọc trước, mới nhất trước."""
        actor = _actor(request)
        _official(actor)
        rows = list(
            visible_to(actor, MeetingNotice.objects.all()).order_by("-created_at", "-pk")[
                :NOTICES_LIMIT
            ]
        )
        rows.sort(key=lambda n: n.read_at is not None)
        return Response(NoticeSerializer(rows, many=True).data)


class NoticesReadRequest(serializers.Serializer[Any]):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        max_length=500,
        help_text="Bỏ trống: đánh dấu tất cả",
    )


class NoticesRead(APIView):
    permission_classes = [require_scope(WRITE)]
    parser_classes = [JSONParser, FormParser]

    @extend_schema(
        request=NoticesReadRequest,
        responses=inline_serializer(
            "MeetingNoticesReadResult", {"marked": serializers.IntegerField()}
        ),
    )
    def post(self, request: Request) -> Response:
        """Đánh dấu thông báo đã đọc."""
        actor = _actor(request, write=True)
        _official(actor)
        form = NoticesReadRequest(data=request.data)
        form.is_valid(raise_exception=True)
        ids = form.validated_data.get("ids")
        return Response({"marked": notices.mark_read(actor=actor, notice_ids=ids)})


urlpatterns = [
    path("meetings/mine/", MyMeetings.as_view(), name="api-meetings-mine"),
    path("meetings/notices/", Notices.as_view(), name="api-meeting-notices"),
    path("meetings/notices/read/", NoticesRead.as_view(), name="api-meeting-notices-read"),
    path("meetings/room/<id:pk>/", MeetingRoom.as_view(), name="api-meeting-room"),
    path("meetings/room/<id:pk>/answer/", Answer.as_view(), name="api-meeting-answer"),
    path("meetings/room/<id:pk>/presence/", Presence.as_view(), name="api-meeting-presence"),
    path(
        "meetings/room/<id:pk>/items/<id:item>/speakers/",
        Speakers.as_view(),
        name="api-meeting-speakers",
    ),
    path(
        "meetings/room/<id:pk>/speakers/<id:rid>/withdraw/",
        WithdrawSpeech.as_view(),
        name="api-meeting-speaker-withdraw",
    ),
    path(
        "meetings/room/<id:pk>/session/<slug:action>/",
        SessionAction.as_view(),
        name="api-meeting-session",
    ),
]
