"""The secretariat's API (mounted under /api/v1/): meetings, their participants and agenda, and
the acts that send them (publish, republish, cancel), plus the meeting's ICS file.

Reading needs `meetings:read` (an API client reads its agency's meetings); changes need
`meetings:write` and are made by a signed-in official of the organising side (the case role
`organiser`), never by a machine client: the MEETING case type refuses other actors. Refusals
use the common error body `{code, message, fields}`; nothing changes on a refusal.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from egov.core.actors import Actor, actor_from_request
from egov.core.api_auth import require_scope
from egov.core.api_query import validated_query
from egov.core.error_codes import CoreErrorCode
from egov.core.errors import DomainError
from egov.core.ids import MAX_ID, parse_id
from egov.core.parsers import FormParser, JSONParser
from egov.core.scoping import visible_to
from egov.org.models import Official

from .. import ics
from ..error_codes import MeetingErrorCode
from ..models import AgendaItem, DecisionRule, Meeting, MeetingStatus, Participant
from ..services import meetings as svc

MAX_LIST = 200
# Named in settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] (a nested class has no import path).
MEETING_KINDS = Meeting.Kind.choices


def extend_schema_field_list(serializer: type[serializers.Serializer[Any]]) -> Any:
    """The schema of a method field that returns a list of `serializer`'s objects."""
    return extend_schema_field(serializer(many=True))


# --- serializers ---------------------------------------------------------------------------------


class PersonSerializer(serializers.Serializer[Official]):
    id = serializers.IntegerField()
    name = serializers.CharField(source="user.get_full_name")
    agency = serializers.CharField(source="agency.identifier")


class ParticipantSerializer(serializers.ModelSerializer[Participant]):
    official = PersonSerializer()
    role_label = serializers.CharField(source="get_role_display")
    response_label = serializers.CharField(source="get_response_display")
    delegate = PersonSerializer(allow_null=True)
    items = serializers.SerializerMethodField(help_text="Khách mời: các nội dung được mời dự")

    class Meta:
        model = Participant
        fields = [
            "id",
            "official",
            "role",
            "role_label",
            "response",
            "response_label",
            "reason",
            "delegate",
            "items",
            "invited_at",
        ]

    def get_items(self, obj: Participant) -> list[int]:
        return sorted(i.pk for i in obj.items.all())


class ItemSerializer(serializers.ModelSerializer[AgendaItem]):
    presenter = PersonSerializer(allow_null=True)

    class Meta:
        model = AgendaItem
        fields = [
            "id",
            "position",
            "title",
            "description",
            "presenter",
            "presenter_name",
            "duration_minutes",
            "status",
        ]


class ChangeSerializer(serializers.Serializer[svc.Change]):
    part = serializers.CharField(help_text="details, time, place, participants, agenda")
    text = serializers.CharField()


class MeetingSerializer(serializers.ModelSerializer[Meeting]):
    agency = serializers.CharField(source="agency.identifier")
    kind_label = serializers.CharField(source="get_kind_display")
    status_label = serializers.CharField(source="get_status_display")
    chair = PersonSerializer()
    secretary = PersonSerializer(allow_null=True)
    rule = serializers.CharField(source="rule.code")

    class Meta:
        model = Meeting
        fields = [
            "id",
            "agency",
            "title",
            "kind",
            "kind_label",
            "status",
            "status_label",
            "starts_at",
            "ends_at",
            "place",
            "online_link",
            "chair",
            "secretary",
            "rule",
            "ical_uid",
            "ical_sequence",
            "published_at",
            "cancelled_at",
            "cancel_reason",
            "version",
        ]


class MeetingDetailSerializer(MeetingSerializer):
    participants = serializers.SerializerMethodField()
    items = serializers.SerializerMethodField()
    pending_changes = serializers.SerializerMethodField(
        help_text="Những thay đổi chưa gửi tới người dự họp (cuộc họp đã gửi giấy mời)"
    )

    class Meta(MeetingSerializer.Meta):
        fields = [*MeetingSerializer.Meta.fields, "description", "participants", "items"]
        fields.append("pending_changes")

    @extend_schema_field_list(ParticipantSerializer)
    def get_participants(self, obj: Meeting) -> list[dict[str, Any]]:
        return _participants(obj)

    @extend_schema_field_list(ItemSerializer)
    def get_items(self, obj: Meeting) -> list[dict[str, Any]]:
        return _items(obj)

    @extend_schema_field_list(ChangeSerializer)
    def get_pending_changes(self, obj: Meeting) -> list[dict[str, Any]]:
        if obj.status != MeetingStatus.PUBLISHED:
            return []
        changes: Any = svc.pending_changes(obj)
        return list(ChangeSerializer(changes, many=True).data)


def _participants(meeting: Meeting) -> list[dict[str, Any]]:
    rows = (
        meeting.participants.select_related(
            "official__user", "official__agency", "delegate__user", "delegate__agency"
        )
        .prefetch_related("items")
        .order_by("id")
    )
    return list(ParticipantSerializer(rows, many=True).data)


def _items(meeting: Meeting) -> list[dict[str, Any]]:
    rows = meeting.items.select_related("presenter__user", "presenter__agency").order_by("position")
    return list(ItemSerializer(rows, many=True).data)


# --- requests ------------------------------------------------------------------------------------

VERSION_FIELD = serializers.IntegerField(
    required=False, min_value=1, max_value=MAX_ID, help_text="Phiên bản cuộc họp đã xem"
)
ID_FIELD = serializers.IntegerField(min_value=1, max_value=MAX_ID)


class GuestRequest(serializers.Serializer[Any]):
    official = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    items = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        max_length=svc.MAX_ITEMS,
        help_text="Các nội dung khách được mời dự (id)",
    )


class MeetingRequest(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=svc.MAX_TITLE)
    kind = serializers.ChoiceField(choices=Meeting.Kind.choices)
    starts_at = serializers.DateTimeField(help_text="Ví dụ 2026-03-02T08:00:00+07:00")
    ends_at = serializers.DateTimeField()
    place = serializers.CharField(required=False, allow_blank=True, max_length=svc.MAX_PLACE)
    online_link = serializers.CharField(required=False, allow_blank=True, max_length=svc.MAX_LINK)
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=svc.MAX_DESCRIPTION
    )
    chair = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="Id công chức")
    secretary = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, allow_null=True
    )
    rule = serializers.SlugField(required=False, help_text="Mã quy tắc biểu quyết (mặc định: ubnd)")
    members = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        max_length=svc.MAX_MEMBERS + 1,
        help_text="Chỉ khi tạo mới; sau đó dùng /participants/",
    )
    guests = GuestRequest(many=True, required=False, help_text="Chỉ khi tạo mới")
    version = VERSION_FIELD


class ParticipantsRequest(serializers.Serializer[Any]):
    members = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        max_length=svc.MAX_MEMBERS + 1,
    )
    guests = GuestRequest(many=True, required=False)
    secretary = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    version = VERSION_FIELD


class ItemRequest(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=svc.MAX_ITEM_TITLE)
    presenter = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, allow_null=True
    )
    presenter_name = serializers.CharField(
        required=False, allow_blank=True, max_length=svc.MAX_PRESENTER_NAME
    )
    duration_minutes = serializers.IntegerField(
        min_value=1, max_value=svc.MAX_DURATION, required=False, default=15
    )
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=svc.MAX_ITEM_DESCRIPTION
    )
    version = VERSION_FIELD


class MoveRequest(serializers.Serializer[Any]):
    position = serializers.IntegerField(min_value=1, max_value=svc.MAX_ITEMS)
    version = VERSION_FIELD


class VersionRequest(serializers.Serializer[Any]):
    version = VERSION_FIELD


class NoteRequest(serializers.Serializer[Any]):
    note = serializers.CharField(required=False, allow_blank=True, max_length=svc.MAX_NOTE)
    version = VERSION_FIELD


class ReasonRequest(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=svc.MAX_REASON)
    version = VERSION_FIELD


class MeetingQuery(serializers.Serializer[Any]):
    status = serializers.ChoiceField(MeetingStatus.choices, required=False)


# --- helpers -------------------------------------------------------------------------------------


def _valid(serializer_class: type[serializers.Serializer[Any]], request: Request, **kw: Any) -> Any:
    form = serializer_class(data=request.data, **kw)
    form.is_valid(raise_exception=True)
    return form.validated_data


def _meeting(actor: Actor, pk: Any) -> Meeting:
    checked = parse_id(pk)
    found = (
        visible_to(actor, Meeting.objects.select_related("agency", "chair__user", "rule"))
        .filter(pk=checked)
        .first()
        if checked
        else None
    )
    if found is None:
        raise Http404
    return found


def _item(meeting: Meeting, pk: Any) -> AgendaItem:
    checked = parse_id(pk)
    found = meeting.items.filter(pk=checked).first() if checked else None
    if found is None:
        raise Http404
    return found


def _officials(ids: list[int], field: str) -> list[Official]:
    found = {
        o.pk: o
        for o in Official.objects.filter(pk__in=ids, user__is_active=True).select_related("user")
    }
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise DomainError(
            "Không tìm thấy công chức.",
            code=MeetingErrorCode.MEETING_INVALID,
            fields={field: [f"Không tìm thấy công chức có id {pk}." for pk in missing[:5]]},
        )
    return [found[pk] for pk in dict.fromkeys(ids)]


def _official(pk: int | None, field: str) -> Official | None:
    return _officials([pk], field)[0] if pk else None


def _guests(rows: list[dict[str, Any]], meeting: Meeting | None) -> list[svc.GuestSpec]:
    people = _officials([r["official"] for r in rows], "guests")
    by_id = {o.pk: o for o in people}
    items = {i.pk: i for i in meeting.items.all()} if meeting is not None else {}
    found: list[svc.GuestSpec] = []
    for row in rows:
        wanted = row.get("items", [])
        unknown = [pk for pk in wanted if pk not in items]
        if unknown:
            raise DomainError(
                "Nội dung họp không thuộc cuộc họp này.",
                code=MeetingErrorCode.MEETING_INVALID,
                fields={"guests": [f"Không có nội dung họp id {pk}." for pk in unknown[:5]]},
            )
        found.append((by_id[row["official"]], [items[pk] for pk in wanted]))
    return found


def _rule(code: str | None) -> DecisionRule | None:
    if not code:
        return None
    rule = DecisionRule.objects.filter(code=code, is_active=True).first()
    if rule is None:
        raise DomainError(
            "Quy tắc biểu quyết không hợp lệ.",
            code=CoreErrorCode.INVALID,
            fields={"rule": ["Không có quy tắc đang áp dụng với mã này."]},
        )
    return rule


def _detail(meeting: Meeting, status: int = 200) -> Response:
    fresh = Meeting.objects.select_related("agency", "chair__user", "secretary__user", "rule").get(
        pk=meeting.pk
    )
    return Response(MeetingDetailSerializer(fresh).data, status=status)


def _write_actor(request: Request) -> Actor:
    return actor_from_request(request)


READ = [require_scope("meetings:read")]
WRITE = [require_scope("meetings:write")]


# --- meetings ------------------------------------------------------------------------------------


class MeetingList(APIView):
    parser_classes = [JSONParser, FormParser]

    def get_permissions(self) -> list[Any]:
        return [p() for p in (READ if self.request.method == "GET" else WRITE)]

    @extend_schema(
        parameters=[MeetingQuery],
        responses=MeetingSerializer(many=True),
        operation_id="meetings_list",
    )
    def get(self, request: Request) -> Response:
        params = validated_query(MeetingQuery, request)
        rows = visible_to(
            actor_from_request(request),
            Meeting.objects.select_related("agency", "chair__user", "secretary__user", "rule"),
        )
        if params.get("status"):
            rows = rows.filter(status=params["status"])
        rows = rows.order_by("-starts_at", "-pk")[:MAX_LIST]
        return Response(MeetingSerializer(rows, many=True).data)

    @extend_schema(
        request=MeetingRequest,
        responses={201: MeetingDetailSerializer},
        operation_id="meetings_create",
        description="Văn phòng tạo cuộc họp (chưa gửi giấy mời).",
    )
    def post(self, request: Request) -> Response:
        actor = _write_actor(request)
        data = _valid(MeetingRequest, request)
        meeting = svc.create_meeting(
            actor=actor,
            data=svc.MeetingInput(
                title=data["title"],
                kind=data["kind"],
                chair=_official(data["chair"], "chair"),  # type: ignore[arg-type]
                secretary=_official(data.get("secretary"), "secretary"),
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                place=data.get("place", ""),
                online_link=data.get("online_link", ""),
                description=data.get("description", ""),
                rule=_rule(data.get("rule")),
                members=_officials(data.get("members", []), "members"),
                guests=_guests(data.get("guests", []), None),
            ),
        )
        return _detail(meeting, status=201)


class MeetingDetail(APIView):
    parser_classes = [JSONParser, FormParser]

    def get_permissions(self) -> list[Any]:
        return [p() for p in (READ if self.request.method == "GET" else WRITE)]

    @extend_schema(responses=MeetingDetailSerializer, operation_id="meetings_read")
    def get(self, request: Request, pk: int) -> Response:
        return _detail(_meeting(actor_from_request(request), pk))

    @extend_schema(
        request=MeetingRequest(partial=True),
        responses=MeetingDetailSerializer,
        operation_id="meetings_update",
        description="Sửa thông tin cuộc họp (các trường không gửi giữ nguyên). Cuộc họp đã gửi "
        "giấy mời: thay đổi được gửi đi bằng /republish/.",
    )
    def patch(self, request: Request, pk: int) -> Response:
        actor = _write_actor(request)
        meeting = _meeting(actor, pk)
        data = _valid(MeetingRequest, request, partial=True)
        if "members" in data or "guests" in data:
            raise DomainError(
                "Thành phần dự họp sửa qua /participants/.",
                code=CoreErrorCode.INVALID,
                fields={"members": ["Dùng /participants/."]},
            )
        secretary = meeting.secretary
        if "secretary" in data:
            secretary = _official(data["secretary"], "secretary")
        meeting = svc.update_meeting(
            actor=actor,
            meeting=meeting,
            data=svc.MeetingInput(
                title=data.get("title", meeting.title),
                kind=data.get("kind", meeting.kind),
                chair=_official(data["chair"], "chair") if "chair" in data else meeting.chair,  # type: ignore[arg-type]
                secretary=secretary,
                starts_at=data.get("starts_at", meeting.starts_at),
                ends_at=data.get("ends_at", meeting.ends_at),
                place=data.get("place", meeting.place),
                online_link=data.get("online_link", meeting.online_link),
                description=data.get("description", meeting.description),
                rule=_rule(data.get("rule")) or meeting.rule,
            ),
            expected_version=data.get("version"),
        )
        return _detail(meeting)


class ParticipantList(APIView):
    parser_classes = [JSONParser, FormParser]

    def get_permissions(self) -> list[Any]:
        return [p() for p in (READ if self.request.method == "GET" else WRITE)]

    @extend_schema(responses=ParticipantSerializer(many=True), operation_id="meetings_participants")
    def get(self, request: Request, pk: int) -> Response:
        return Response(_participants(_meeting(actor_from_request(request), pk)))

    @extend_schema(
        request=ParticipantsRequest,
        responses=ParticipantSerializer(many=True),
        operation_id="meetings_participants_set",
        description="Đặt lại thành viên và khách mời (kèm nội dung được mời dự); chủ trì luôn "
        "là người dự họp với vai trò chủ trì.",
    )
    def put(self, request: Request, pk: int) -> Response:
        actor = _write_actor(request)
        meeting = _meeting(actor, pk)
        data = _valid(ParticipantsRequest, request)
        meeting = svc.set_participants(
            actor=actor,
            meeting=meeting,
            members=_officials(data["members"], "members"),
            guests=_guests(data.get("guests", []), meeting),
            secretary=_official(data.get("secretary"), "secretary"),
            expected_version=data.get("version"),
        )
        return Response(_participants(meeting))


def _item_values(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": data["title"],
        "presenter": _official(data.get("presenter"), "presenter"),
        "presenter_name": data.get("presenter_name", ""),
        "duration_minutes": data.get("duration_minutes", 15),
        "description": data.get("description", ""),
    }


class ItemList(APIView):
    parser_classes = [JSONParser, FormParser]

    def get_permissions(self) -> list[Any]:
        return [p() for p in (READ if self.request.method == "GET" else WRITE)]

    @extend_schema(responses=ItemSerializer(many=True), operation_id="meetings_items")
    def get(self, request: Request, pk: int) -> Response:
        return Response(_items(_meeting(actor_from_request(request), pk)))

    @extend_schema(
        request=ItemRequest,
        responses={201: ItemSerializer},
        operation_id="meetings_items_add",
        description="Thêm nội dung vào cuối chương trình họp.",
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = _write_actor(request)
        meeting = _meeting(actor, pk)
        data = _valid(ItemRequest, request)
        item = svc.add_item(
            actor=actor, meeting=meeting, expected_version=data.get("version"), **_item_values(data)
        )
        return Response(ItemSerializer(item).data, status=201)


class ItemDetail(APIView):
    permission_classes = WRITE
    parser_classes = [JSONParser, FormParser]

    @extend_schema(
        request=ItemRequest, responses=ItemSerializer, operation_id="meetings_items_update"
    )
    def put(self, request: Request, pk: int, item_id: int) -> Response:
        actor = _write_actor(request)
        item = _item(_meeting(actor, pk), item_id)
        data = _valid(ItemRequest, request)
        item = svc.update_item(
            actor=actor, item=item, expected_version=data.get("version"), **_item_values(data)
        )
        return Response(ItemSerializer(item).data)

    @extend_schema(
        request=VersionRequest,
        responses={204: OpenApiResponse(description="Đã bỏ khỏi chương trình")},
        operation_id="meetings_items_remove",
    )
    def delete(self, request: Request, pk: int, item_id: int) -> Response:
        actor = _write_actor(request)
        item = _item(_meeting(actor, pk), item_id)
        data = _valid(VersionRequest, request)
        svc.remove_item(actor=actor, item=item, expected_version=data.get("version"))
        return Response(status=204)


class ItemMove(APIView):
    permission_classes = WRITE
    parser_classes = [JSONParser, FormParser]

    @extend_schema(
        request=MoveRequest, responses=ItemSerializer(many=True), operation_id="meetings_items_move"
    )
    def post(self, request: Request, pk: int, item_id: int) -> Response:
        actor = _write_actor(request)
        meeting = _meeting(actor, pk)
        item = _item(meeting, item_id)
        data = _valid(MoveRequest, request)
        svc.move_item(
            actor=actor, item=item, position=data["position"], expected_version=data.get("version")
        )
        return Response(_items(meeting))


class Publish(APIView):
    permission_classes = WRITE
    parser_classes = [JSONParser, FormParser]

    @extend_schema(
        request=VersionRequest,
        responses=MeetingDetailSerializer,
        operation_id="meetings_publish",
        description="Gửi giấy mời (thư điện tử kèm tệp ICS, SMS, thông báo trong hệ thống) tới "
        "mọi người dự họp; SEQUENCE 0.",
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = _write_actor(request)
        meeting = _meeting(actor, pk)
        data = _valid(VersionRequest, request)
        meeting = svc.publish(actor=actor, meeting=meeting, expected_version=data.get("version"))
        return _detail(meeting)


class Republish(APIView):
    permission_classes = WRITE
    parser_classes = [JSONParser, FormParser]

    @extend_schema(
        request=NoteRequest,
        responses=MeetingDetailSerializer,
        operation_id="meetings_republish",
        description="Gửi những thay đổi từ lần gửi trước (SEQUENCE + 1): người bị bỏ nhận "
        "METHOD:CANCEL, người được mời thêm nhận giấy mời.",
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = _write_actor(request)
        meeting = _meeting(actor, pk)
        data = _valid(NoteRequest, request)
        meeting = svc.republish(
            actor=actor,
            meeting=meeting,
            note=data.get("note", ""),
            expected_version=data.get("version"),
        )
        return _detail(meeting)


class Cancel(APIView):
    permission_classes = WRITE
    parser_classes = [JSONParser, FormParser]

    @extend_schema(
        request=ReasonRequest,
        responses=MeetingDetailSerializer,
        operation_id="meetings_cancel",
        description="Hủy cuộc họp với lý do; người đã nhận giấy mời nhận METHOD:CANCEL.",
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = _write_actor(request)
        meeting = _meeting(actor, pk)
        data = _valid(ReasonRequest, request)
        meeting = svc.cancel(
            actor=actor,
            meeting=meeting,
            reason=data["reason"],
            expected_version=data.get("version"),
        )
        return _detail(meeting)


class MeetingIcs(APIView):
    permission_classes = READ

    @extend_schema(
        responses={(200, "text/calendar"): OpenApiResponse(description="Tệp lịch họp RFC 5545")},
        operation_id="meetings_ics",
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        actor = actor_from_request(request)
        meeting = _meeting(actor, pk)
        viewer = None
        if actor.kind == "official" and actor.user_id is not None:
            official = Official.objects.filter(user_id=actor.user_id).first()
            viewer = (
                Participant.objects.filter(meeting=meeting, official=official).first()
                or Participant.objects.filter(meeting=meeting, delegate=official).first()
            )
            if meeting.status == MeetingStatus.DRAFT and official is not None:
                from ..access import ORGANISER, meeting_roles

                if ORGANISER not in meeting_roles(official, meeting):
                    raise Http404
        method = "CANCEL" if meeting.status == MeetingStatus.CANCELLED else "REQUEST"
        response = HttpResponse(
            ics.meeting_ics(meeting, method, viewer=viewer),
            content_type=f"text/calendar; charset=utf-8; method={method}",
        )
        response["Content-Disposition"] = f'attachment; filename="cuoc-hop-{meeting.pk}.ics"'
        return response


urlpatterns = [
    path("meetings/", MeetingList.as_view(), name="api-meetings"),
    path("meetings/<id:pk>/", MeetingDetail.as_view(), name="api-meeting"),
    path(
        "meetings/<id:pk>/participants/",
        ParticipantList.as_view(),
        name="api-meeting-participants",
    ),
    path("meetings/<id:pk>/items/", ItemList.as_view(), name="api-meeting-items"),
    path("meetings/<id:pk>/items/<id:item_id>/", ItemDetail.as_view(), name="api-meeting-item"),
    path(
        "meetings/<id:pk>/items/<id:item_id>/move/",
        ItemMove.as_view(),
        name="api-meeting-item-move",
    ),
    path("meetings/<id:pk>/ics/", MeetingIcs.as_view(), name="api-meeting-ics"),
    path("meetings/<id:pk>/publish/", Publish.as_view(), name="api-meeting-publish"),
    path("meetings/<id:pk>/republish/", Republish.as_view(), name="api-meeting-republish"),
    path("meetings/<id:pk>/cancel/", Cancel.as_view(), name="api-meeting-cancel"),
]
