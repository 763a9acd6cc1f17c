"""Minutes, conclusion notice and tasks API (mounted under /api/v1/).

Reading needs `meetings:read` (an API client sees signed minutes and issued conclusions of its
agency's meetings); actions need `meetings:write` and are acts of a signed-in official in person
(the kernel refuses a machine client: writing, signing and reporting are a named official's
acts). Refusals use the common body `{code, message, fields}`.
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404
from django.urls import path
from django.utils import timezone
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
from egov.core.api_query import QueryBooleanField, validated_query
from egov.core.error_codes import CoreErrorCode
from egov.core.errors import DomainError
from egov.core.ids import MAX_ID, parse_id
from egov.core.parsers import FormParser, JSONParser, MultiPartParser
from egov.core.scoping import visible_to
from egov.org.models import Agency, Official

from ..models import Conclusion, Meeting, Minutes, Task, TaskStatus
from ..services import conclusions as conclusion_services
from ..services import minutes as minutes_services
from ..services import minutes_record
from ..services import tasks as task_services

# --- helpers -------------------------------------------------------------------------------------


def _actor(request: Request, write: bool = False) -> Actor:
    actor = actor_from_request(request)
    if write and not actor.has_scope("meetings:write"):
        raise PermissionDenied("Ứng dụng thiếu phạm vi 'meetings:write'.")
    return actor


def _id(value: Any) -> int:
    checked = parse_id(value)
    if checked is None:
        raise Http404
    return checked


def _meeting(actor: Actor, pk: Any) -> Meeting:
    meeting = (
        visible_to(actor, Meeting.objects.select_related("agency", "chair__user"))
        .filter(pk=_id(pk))
        .first()
    )
    if meeting is None:
        raise Http404
    return meeting


def _minutes(actor: Actor, meeting: Meeting) -> Minutes:
    minutes = visible_to(actor, Minutes.objects.all()).filter(meeting=meeting).first()
    if minutes is None:
        raise Http404
    minutes.meeting = meeting
    return minutes


def _conclusion(actor: Actor, meeting: Meeting) -> Conclusion:
    conclusion = visible_to(actor, Conclusion.objects.all()).filter(meeting=meeting).first()
    if conclusion is None:
        raise Http404
    return conclusion


def _data(request: Request) -> Any:
    return request.data


def _version(data: Any) -> int | None:
    raw = data.get("version")
    if raw in (None, ""):
        return None
    version = parse_id(raw)
    if version is None:
        raise DomainError(
            "Phiên bản không hợp lệ.",
            code=CoreErrorCode.INVALID,
            fields={"version": ["Không hợp lệ."]},
        )
    return version


VERSION_FIELD = serializers.IntegerField(
    required=False, min_value=1, max_value=MAX_ID, help_text="Phiên bản đã xem (chống ghi đè)"
)


# --- serializers ---------------------------------------------------------------------------------


class AttendeeSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    position = serializers.CharField()
    role = serializers.CharField()
    note = serializers.CharField()


class SpeakerSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    topic = serializers.CharField()
    at = serializers.CharField(help_text="Giờ bắt đầu phát biểu (HH:MM, giờ Việt Nam)")


class VoteLineSerializer(serializers.Serializer[Any]):
    question = serializers.CharField()
    kind = serializers.CharField()
    counts = serializers.SerializerMethodField()
    outcome = serializers.CharField()
    reason = serializers.CharField()
    rule = serializers.CharField()
    members = serializers.IntegerField()
    present = serializers.IntegerField()
    cast = serializers.IntegerField()

    def get_counts(self, obj: minutes_record.VoteLine) -> dict[str, int]:
        return dict(obj.counts)


class ItemRecordSerializer(serializers.Serializer[Any]):
    item = serializers.IntegerField(source="item.pk")
    position = serializers.IntegerField(source="item.position")
    title = serializers.CharField(source="item.title")
    presenter = serializers.CharField()
    speakers = SpeakerSerializer(many=True)
    votes = VoteLineSerializer(many=True)


class RecordSerializer(serializers.Serializer[Any]):
    started = serializers.CharField()
    ended = serializers.CharField()
    chair = serializers.CharField()
    secretary = serializers.CharField()
    present = AttendeeSerializer(many=True)
    absent = AttendeeSerializer(many=True)
    delegates = AttendeeSerializer(many=True)
    guests = AttendeeSerializer(many=True)
    items = ItemRecordSerializer(many=True)


class MinutesSerializer(serializers.ModelSerializer[Minutes]):
    status_label = serializers.CharField(source="get_status_display")
    notes = serializers.SerializerMethodField()
    record = serializers.SerializerMethodField()
    has_pdf = serializers.SerializerMethodField()

    class Meta:
        model = Minutes
        fields = [
            "id",
            "meeting",
            "status",
            "status_label",
            "version",
            "notes",
            "submitted_at",
            "secretary_signed_at",
            "chair_signed_at",
            "pdf_sha256",
            "has_pdf",
            "record",
        ]

    def get_notes(self, obj: Minutes) -> dict[str, str]:
        return minutes_record.current_notes(obj)

    @extend_schema_field(RecordSerializer)
    def get_record(self, obj: Minutes) -> dict[str, Any]:
        record = minutes_record.build(obj.meeting, minutes_record.current_notes(obj))
        return dict(RecordSerializer(record).data)

    def get_has_pdf(self, obj: Minutes) -> bool:
        return bool(obj.pdf)


class TaskSerializer(serializers.ModelSerializer[Task]):
    status_label = serializers.CharField(source="get_status_display")
    meeting = serializers.IntegerField(source="conclusion.meeting_id")
    symbol = serializers.CharField(source="conclusion.symbol")
    agency = serializers.CharField(source="assignee_agency.identifier")
    agency_name = serializers.CharField(source="assignee_agency.name")
    assignee = serializers.IntegerField(source="assignee_id", allow_null=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Task
        fields = [
            "id",
            "meeting",
            "symbol",
            "title",
            "agency",
            "agency_name",
            "assignee",
            "due_days",
            "due_at",
            "status",
            "status_label",
            "report",
            "reported_at",
            "done_at",
            "cancel_reason",
            "overdue",
            "version",
        ]

    def get_overdue(self, obj: Task) -> bool:
        return bool(obj.status == TaskStatus.OPEN and obj.due_at and obj.due_at < timezone.now())


class ConclusionSerializer(serializers.ModelSerializer[Conclusion]):
    status_label = serializers.CharField(source="get_status_display")
    tasks = TaskSerializer(many=True)

    class Meta:
        model = Conclusion
        fields = [
            "id",
            "meeting",
            "status",
            "status_label",
            "version",
            "text",
            "planned_tasks",
            "document",
            "symbol",
            "submitted_at",
            "issued_at",
            "tasks",
        ]


# --- minutes -------------------------------------------------------------------------------------


class MinutesView(APIView):
    permission_classes = [require_scope("meetings:read")]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(responses=MinutesSerializer, operation_id="meetings_minutes_retrieve")
    def get(self, request: Request, pk: int) -> Response:
        actor = _actor(request)
        return Response(MinutesSerializer(_minutes(actor, _meeting(actor, pk))).data)

    @extend_schema(
        request=None,
        responses={201: MinutesSerializer},
        operation_id="meetings_minutes_start",
        description="Thư ký lập biên bản (cuộc họp đã gửi giấy mời, đang họp hoặc đã bế mạc).",
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = _actor(request, write=True)
        minutes = minutes_services.start_minutes(actor=actor, meeting=_meeting(actor, pk))
        return Response(MinutesSerializer(minutes).data, status=201)

    @extend_schema(
        request=inline_serializer(
            "MinutesWriteRequest",
            {
                "notes": serializers.DictField(
                    child=serializers.CharField(allow_blank=True),
                    help_text='Nội dung theo phần: "opening", "closing" hoặc id nội dung họp',
                ),
                "version": VERSION_FIELD,
            },
        ),
        responses=MinutesSerializer,
        operation_id="meetings_minutes_write",
    )
    def patch(self, request: Request, pk: int) -> Response:
        actor = _actor(request, write=True)
        minutes = _minutes(actor, _meeting(actor, pk))
        notes = _data(request).get("notes")
        if not isinstance(notes, dict):
            raise DomainError(
                "Thiếu nội dung biên bản.",
                code=CoreErrorCode.INVALID,
                fields={"notes": ["Gửi một đối tượng {phần: nội dung}."]},
            )
        minutes = minutes_services.write_minutes(
            actor=actor,
            minutes=minutes,
            notes=notes,
            explicit=True,
            expected_version=_version(request.data),
        )
        minutes.refresh_from_db()
        return Response(MinutesSerializer(minutes).data)


MINUTES_ACTIONS = {
    "submit": "Thư ký trình ký biên bản (sau khi bế mạc): tạo bản PDF",
    "reopen": "Thư ký đưa biên bản về để sửa (khi chưa ai ký)",
    "sign": "Thư ký hoặc chủ tọa ký số, xác nhận bằng mã xác thực mới: {code}",
}


class MinutesAction(APIView):
    permission_classes = [require_scope("meetings:write")]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        request=inline_serializer(
            "MinutesActionRequest",
            {
                "version": VERSION_FIELD,
                "code": serializers.CharField(
                    required=False, help_text="Mã trên ứng dụng xác thực (bắt buộc khi ký)"
                ),
            },
        ),
        responses=MinutesSerializer,
        operation_id="meetings_minutes_action",
        parameters=[
            OpenApiParameter("action", str, OpenApiParameter.PATH, enum=list(MINUTES_ACTIONS))
        ],
        description="Thao tác: " + "; ".join(f"`{k}`: {v}" for k, v in MINUTES_ACTIONS.items()),
    )
    def post(self, request: Request, pk: int, action: str) -> Response:
        actor = _actor(request, write=True)
        minutes = _minutes(actor, _meeting(actor, pk))
        version = _version(request.data)
        if action == "submit":
            minutes_services.submit_minutes(actor=actor, minutes=minutes, expected_version=version)
        elif action == "reopen":
            minutes_services.reopen_minutes(actor=actor, minutes=minutes, expected_version=version)
        elif action == "sign":
            minutes_services.sign_minutes(
                actor=actor,
                minutes=minutes,
                second_factor=str(_data(request).get("code", "")),
                expected_version=version,
            )
        else:
            raise Http404
        minutes.refresh_from_db()
        return Response(MinutesSerializer(minutes).data)


class MinutesPdf(APIView):
    permission_classes = [require_scope("meetings:read")]

    @extend_schema(responses={(200, "application/pdf"): bytes}, operation_id="meetings_minutes_pdf")
    def get(self, request: Request, pk: int) -> FileResponse:
        actor = _actor(request)
        minutes = _minutes(actor, _meeting(actor, pk))
        if not minutes.pdf:
            raise Http404
        try:
            handle = minutes.pdf.open("rb")
        except OSError as exc:
            raise Http404 from exc
        return FileResponse(
            handle,
            as_attachment=True,
            filename=f"bien-ban-hop-{minutes.meeting_id}.pdf",
            content_type="application/pdf",
        )


# --- conclusion ----------------------------------------------------------------------------------


class TaskRowSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=500)
    agency = serializers.CharField(max_length=40, help_text="Mã định danh cơ quan chủ trì")
    assignee = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_ID
    )
    due_days = serializers.IntegerField(min_value=1, max_value=conclusion_services.MAX_DUE_DAYS)


class ConclusionRequestSerializer(serializers.Serializer[Any]):
    text = serializers.CharField(max_length=conclusion_services.MAX_TEXT)
    tasks = serializers.ListField(
        child=TaskRowSerializer(), required=False, max_length=conclusion_services.MAX_TASKS
    )
    version = VERSION_FIELD


def _task_inputs(rows: list[dict[str, Any]]) -> list[conclusion_services.TaskInput]:
    agencies = {
        a.identifier: a
        for a in Agency.objects.filter(identifier__in=[r["agency"] for r in rows], is_active=True)
    }
    officials = Official.objects.in_bulk([r["assignee"] for r in rows if r.get("assignee")])
    inputs = []
    errors: dict[str, list[str]] = {}
    for n, row in enumerate(rows, start=1):
        agency = agencies.get(row["agency"])
        assignee = officials.get(row["assignee"]) if row.get("assignee") else None
        if agency is None or (row.get("assignee") and assignee is None):
            errors[f"tasks.{n}"] = ["Không tìm thấy cơ quan hoặc công chức được giao."]
            continue
        inputs.append(
            conclusion_services.TaskInput(
                title=row["title"], agency=agency, assignee=assignee, due_days=row["due_days"]
            )
        )
    if errors:
        raise conclusion_services.ConclusionError("Nhiệm vụ chưa hợp lệ.", fields=errors)
    return inputs


class ConclusionView(APIView):
    permission_classes = [require_scope("meetings:read")]
    parser_classes = [JSONParser]

    @extend_schema(responses=ConclusionSerializer, operation_id="meetings_conclusion_retrieve")
    def get(self, request: Request, pk: int) -> Response:
        actor = _actor(request)
        return Response(ConclusionSerializer(_conclusion(actor, _meeting(actor, pk))).data)

    @extend_schema(
        request=ConclusionRequestSerializer,
        responses=ConclusionSerializer,
        operation_id="meetings_conclusion_write",
        description="Chủ trì hoặc thư ký soạn (sửa) kết luận và nhiệm vụ sau khi bế mạc.",
    )
    def put(self, request: Request, pk: int) -> Response:
        actor = _actor(request, write=True)
        meeting = _meeting(actor, pk)
        form = ConclusionRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data: dict[str, Any] = form.validated_data
        conclusion = conclusion_services.draft_conclusion(
            actor=actor,
            meeting=meeting,
            text=data["text"],
            tasks=_task_inputs(list(data.get("tasks", []))),
            expected_version=data.get("version"),
        )
        return Response(ConclusionSerializer(conclusion).data)


class ConclusionSubmit(APIView):
    permission_classes = [require_scope("meetings:write")]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        request=inline_serializer("ConclusionSubmitRequest", {"version": VERSION_FIELD}),
        responses=ConclusionSerializer,
        operation_id="meetings_conclusion_submit",
        description="Thư ký trình: tạo dự thảo Thông báo (TB) trên hệ thống văn bản, trình chủ "
        "trì duyệt, ký; khi văn thư ban hành, nhiệm vụ bắt đầu tính hạn.",
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = _actor(request, write=True)
        conclusion = _conclusion(actor, _meeting(actor, pk))
        conclusion = conclusion_services.submit_conclusion(
            actor=actor, conclusion=conclusion, expected_version=_version(request.data)
        )
        return Response(ConclusionSerializer(conclusion).data)


# --- tasks ---------------------------------------------------------------------------------------


class TaskQuery(serializers.Serializer[Any]):
    overdue = QueryBooleanField(
        help_text="true: nhiệm vụ quá hạn của các cuộc họp người gọi chủ trì"
    )


class TaskList(APIView):
    permission_classes = [require_scope("meetings:read")]

    @extend_schema(
        parameters=[TaskQuery],
        responses=TaskSerializer(many=True),
        operation_id="meetings_tasks_list",
        description="Nhiệm vụ người gọi (hoặc cơ quan của họ) được giao; với overdue=true, "
        "nhiệm vụ quá hạn của các cuộc họp người gọi chủ trì.",
    )
    def get(self, request: Request) -> Response:
        params = validated_query(TaskQuery, request)
        actor = _actor(request)
        if actor.kind != "official" or actor.user_id is None:
            return Response([])
        official = Official.of_user(actor.user_id)
        if official is None:
            return Response([])
        if params.get("overdue"):
            rows: Any = [row.task for row in task_services.overdue_tasks(official)]
        else:
            rows = task_services.assigned_to(official)[:200]
        return Response(TaskSerializer(rows, many=True).data)


TASK_ACTIONS = {
    "report": "Người được giao báo cáo tiến độ: {report}",
    "complete": "Người được giao báo cáo hoàn thành: {report}",
    "cancel": "Chủ trì hủy nhiệm vụ: {reason}",
}


class TaskAction(APIView):
    permission_classes = [require_scope("meetings:write")]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        request=inline_serializer(
            "TaskActionRequest",
            {
                "version": VERSION_FIELD,
                "report": serializers.CharField(required=False),
                "reason": serializers.CharField(required=False),
            },
        ),
        responses=TaskSerializer,
        operation_id="meetings_task_action",
        parameters=[
            OpenApiParameter("action", str, OpenApiParameter.PATH, enum=list(TASK_ACTIONS))
        ],
        description="Thao tác: " + "; ".join(f"`{k}`: {v}" for k, v in TASK_ACTIONS.items()),
    )
    def post(self, request: Request, tid: int, action: str) -> Response:
        actor = _actor(request, write=True)
        task = visible_to(actor, Task.objects.all()).filter(pk=_id(tid)).first()
        if task is None:
            raise Http404
        version = _version(request.data)
        if action == "report":
            task = task_services.report_task(
                actor=actor,
                task=task,
                report=str(_data(request).get("report", "")),
                expected_version=version,
            )
        elif action == "complete":
            task = task_services.complete_task(
                actor=actor,
                task=task,
                report=str(_data(request).get("report", "")),
                expected_version=version,
            )
        elif action == "cancel":
            task = task_services.cancel_task(
                actor=actor,
                task=task,
                reason=str(_data(request).get("reason", "")),
                expected_version=version,
            )
        else:
            raise Http404
        return Response(TaskSerializer(task).data)


urlpatterns = [
    path("meetings/tasks/", TaskList.as_view(), name="api-meeting-tasks"),
    path(
        "meetings/tasks/<id:tid>/<slug:action>/",
        TaskAction.as_view(),
        name="api-meeting-task-action",
    ),
    path("meetings/<id:pk>/minutes/", MinutesView.as_view(), name="api-meeting-minutes"),
    path("meetings/<id:pk>/minutes/pdf/", MinutesPdf.as_view(), name="api-meeting-minutes-pdf"),
    path(
        "meetings/<id:pk>/minutes/<slug:action>/",
        MinutesAction.as_view(),
        name="api-meeting-minutes-action",
    ),
    path("meetings/<id:pk>/conclusion/", ConclusionView.as_view(), name="api-meeting-conclusion"),
    path(
        "meetings/<id:pk>/conclusion/submit/",
        ConclusionSubmit.as_view(),
        name="api-meeting-conclusion-submit",
    ),
]
