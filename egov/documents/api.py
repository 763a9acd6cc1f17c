"""Documents API for officials (mounted under /api/v1/): outgoing and incoming documents of the
caller's agency, search, and the workflow actions as endpoints.

Reading needs the scope `documents:read` (API clients see their agency's documents); actions
need `documents:write` and are taken by a signed-in official in person (drafting, reviewing,
signing and numbering are acts of a named official, never of a machine client). Refusals use
the common error body `{code, message, fields}`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from egov.core.actors import Actor, actor_from_request
from egov.core.api_auth import require_scope
from egov.core.api_query import QueryBooleanField, validated_query
from egov.core.dates import OUT_OF_RANGE, check_day, in_range
from egov.core.error_codes import CoreErrorCode
from egov.core.errors import DomainError
from egov.core.ids import MAX_ID, parse_id, parse_int
from egov.core.parsers import FormParser, JSONParser, MultiPartParser
from egov.core.scoping import visible_to
from egov.org.models import Agency, Official, Unit

from . import exchange_bridge, services
from .incoming import (
    assign_units,
    complete_incoming,
    register_incoming,
    reject_incoming,
    report_assignment,
    start_assignment,
)
from .models import (
    DocumentType,
    DocumentVersion,
    IncomingAssignment,
    IncomingDocument,
    IncomingStatus,
    OutgoingDocument,
    OutgoingStatus,
    Priority,
    SigningAuthority,
)
from .search import search_documents

MAX_LIST = 200


# --- serializers ---------------------------------------------------------------------------------


class DocumentTypeSerializer(serializers.ModelSerializer[DocumentType]):
    class Meta:
        model = DocumentType
        fields = ["code", "name", "abbreviation", "is_normative", "is_copy"]


class VersionSerializer(serializers.ModelSerializer[DocumentVersion]):
    kind_label = serializers.CharField(source="get_kind_display")
    created_by = serializers.SerializerMethodField()

    class Meta:
        model = DocumentVersion
        fields = [
            "seq",
            "kind",
            "kind_label",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "page_count",
            "note",
            "created_by",
            "created_at",
        ]

    def get_created_by(self, obj: DocumentVersion) -> str:
        return obj.created_by.user.get_full_name() if obj.created_by else ""


class ReviewSerializer(serializers.Serializer[Any]):
    reviewer = serializers.CharField(source="reviewer.user.get_full_name")
    role = serializers.CharField()
    decision = serializers.CharField()
    comment = serializers.CharField()
    version = serializers.IntegerField(source="version.seq", allow_null=True)
    created_at = serializers.DateTimeField()


class RecipientSerializer(serializers.Serializer[Any]):
    kind = serializers.CharField()
    organ_id = serializers.CharField()
    name = serializers.CharField()
    delivery = serializers.CharField()
    delivered_at = serializers.DateTimeField(allow_null=True)
    read_at = serializers.DateTimeField(allow_null=True)
    edxml_status = serializers.CharField(help_text="Trạng thái QCVN 102 mới nhất (01..06, 02...)")


class OutgoingSerializer(serializers.ModelSerializer[OutgoingDocument]):
    agency = serializers.CharField(source="agency.identifier")
    doc_type = serializers.CharField(source="doc_type.code")
    doc_type_name = serializers.CharField(source="doc_type.name")
    status_label = serializers.CharField(source="get_status_display")
    drafted_by = serializers.CharField(source="drafted_by.user.get_full_name")

    class Meta:
        model = OutgoingDocument
        fields = [
            "id",
            "agency",
            "doc_type",
            "doc_type_name",
            "subject",
            "priority",
            "due_date",
            "status",
            "status_label",
            "number",
            "symbol",
            "issued_at",
            "signer_name",
            "signer_title",
            "signing_authority",
            "document_id",
            "drafted_by",
            "version",
            "created_at",
            "updated_at",
        ]


class OutgoingDetailSerializer(OutgoingSerializer):
    versions = VersionSerializer(many=True)
    reviews = ReviewSerializer(many=True)
    recipients = RecipientSerializer(many=True)
    current_version = serializers.IntegerField(source="current_version.seq", allow_null=True)

    class Meta(OutgoingSerializer.Meta):
        fields = [
            *OutgoingSerializer.Meta.fields,
            "content",
            "current_version",
            "versions",
            "reviews",
            "recipients",
        ]


class AssignmentSerializer(serializers.ModelSerializer[IncomingAssignment]):
    unit = serializers.CharField(source="unit.name")

    class Meta:
        model = IncomingAssignment
        fields = ["id", "unit", "role", "status", "due_at", "report", "completed_at"]


class IncomingSerializer(serializers.ModelSerializer[IncomingDocument]):
    status_label = serializers.CharField(source="get_status_display")
    symbol = serializers.CharField()
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = IncomingDocument
        fields = [
            "id",
            "document_id",
            "source",
            "status",
            "status_label",
            "received_at",
            "arrival_number",
            "arrival_year",
            "sender_organ_id",
            "sender_name",
            "symbol",
            "issued_date",
            "type_name",
            "subject",
            "signer_name",
            "priority",
            "due_at",
            "overdue",
            "version",
        ]

    def get_overdue(self, obj: IncomingDocument) -> bool:
        from django.utils import timezone

        return bool(obj.is_open and obj.due_at and obj.due_at < timezone.now())


class IncomingDetailSerializer(IncomingSerializer):
    assignments = AssignmentSerializer(many=True)
    files = serializers.SerializerMethodField()

    class Meta(IncomingSerializer.Meta):
        fields = [
            *IncomingSerializer.Meta.fields,
            "instruction",
            "instructed_at",
            "completed_at",
            "status_note",
            "assignments",
            "files",
        ]

    def get_files(self, obj: IncomingDocument) -> list[dict[str, Any]]:
        return [
            {"id": f.pk, "name": f.original_name, "size": f.size, "superseded": f.superseded}
            for f in obj.files.all()
        ]


# --- helpers -------------------------------------------------------------------------------------


def _actor(request: Request, write: bool = False) -> Actor:
    actor = actor_from_request(request)
    if write and not actor.has_scope("documents:write"):
        raise PermissionDenied("Ứng dụng thiếu phạm vi 'documents:write'.")
    return actor


def _outgoing(actor: Actor, pk: int) -> OutgoingDocument:
    return get_object_or_404(
        visible_to(actor, OutgoingDocument.objects.select_related("agency", "doc_type")),
        pk=_path_id(pk),
    )


def _incoming(actor: Actor, pk: int) -> IncomingDocument:
    return get_object_or_404(visible_to(actor, IncomingDocument.objects.all()), pk=_path_id(pk))


def _path_id(pk: int) -> int:
    """A path id too large for the key is simply not found (not a driver OverflowError)."""
    checked = parse_id(pk)
    if checked is None:
        raise Http404
    return checked


def _official_in(actor: Actor, pk: Any, field: str) -> Official:
    checked = parse_id(pk)
    official = (
        Official.objects.filter(pk=checked, agency_id__in=actor.agency_ids).first()
        if checked
        else None
    )
    if official is None:
        raise DomainError("Không tìm thấy công chức.", fields={field: ["Không hợp lệ."]})
    return official


def _units(actor: Actor, ids: Any, field: str) -> list[Unit]:
    if isinstance(ids, str | int) or ids is None:
        ids = [ids] if ids not in (None, "") else []
    if not isinstance(ids, list | tuple):
        raise DomainError("Danh sách đơn vị không hợp lệ.", fields={field: ["Không hợp lệ."]})
    parsed = [parse_id(i) for i in ids]
    checked = [i for i in parsed if i is not None]
    if len(checked) != len(parsed):
        raise DomainError("Mã đơn vị không hợp lệ.", fields={field: ["Không hợp lệ."]})
    units = list(Unit.objects.filter(pk__in=checked, agency_id__in=actor.agency_ids))
    if len(units) != len(set(checked)):
        raise DomainError("Đơn vị không thuộc cơ quan.", fields={field: ["Không hợp lệ."]})
    return units


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


class DraftRequestSerializer(serializers.Serializer[Any]):
    """A new draft: checked here so the service never sees a non-number priority or unit id."""

    doc_type = serializers.CharField(max_length=40, help_text="Mã loại văn bản, ví dụ quyet-dinh")
    subject = serializers.CharField(max_length=500)
    content = serializers.CharField(required=False, allow_blank=True, max_length=200_000)
    file = serializers.FileField(required=False, help_text="DOCX hoặc PDF")
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    due_date = serializers.DateField(required=False, allow_null=True)
    signing_authority = serializers.ChoiceField(
        choices=SigningAuthority.choices,
        required=False,
        help_text="Thẩm quyền ký: auto (theo chức vụ người ký), direct, tm, kt, tl, tuq. Các dòng "
        "quyền hạn, chức vụ người ký được tạo từ thẩm quyền và chức vụ của người ký khi duyệt.",
    )
    internal_units = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        max_length=500,
    )
    platform_agencies = serializers.ListField(
        child=serializers.CharField(max_length=40),
        required=False,
        max_length=500,
        help_text="Mã định danh cơ quan",
    )

    def validate_due_date(self, value: date | None) -> date | None:
        if value is not None and not in_range(value):
            raise serializers.ValidationError(OUT_OF_RANGE)
        return value


def _due_date(raw: Any) -> date:
    day: date = serializers.DateField().to_internal_value(raw)
    return check_day(day, "due_date")


VERSION_FIELD = serializers.IntegerField(
    required=False, help_text="Phiên bản của văn bản đã xem (chống ghi đè)"
)


# --- query parameters ----------------------------------------------------------------------------

SEARCH_HELP = "Tìm theo trích yếu, số ký hiệu, nội dung"


class OutgoingQuery(serializers.Serializer[Any]):
    status = serializers.ChoiceField(OutgoingStatus.choices, required=False)
    q = serializers.CharField(required=False, allow_blank=True, help_text=SEARCH_HELP)


class IncomingQuery(serializers.Serializer[Any]):
    status = serializers.ChoiceField(IncomingStatus.choices, required=False)
    overdue = QueryBooleanField(help_text="true: chỉ văn bản quá hạn xử lý")
    q = serializers.CharField(required=False, allow_blank=True, help_text=SEARCH_HELP)


class SearchQuery(serializers.Serializer[Any]):
    q = serializers.CharField(allow_blank=True, help_text="Từ khóa (có dấu hoặc không)")
    kind = serializers.ChoiceField(["all", "outgoing", "incoming"], default="all")


# --- outgoing ------------------------------------------------------------------------------------


class OutgoingList(APIView):
    permission_classes = [require_scope("documents:read")]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(parameters=[OutgoingQuery], responses=OutgoingSerializer(many=True))
    def get(self, request: Request) -> Response:
        params = validated_query(OutgoingQuery, request)
        actor = _actor(request)
        query = params.get("q", "").strip()
        if query:
            rows: Any = search_documents(actor, query, kind="outgoing", limit=MAX_LIST).outgoing
        else:
            rows = visible_to(actor, OutgoingDocument.objects.all()).select_related(
                "agency", "doc_type", "drafted_by__user"
            )
            if params.get("status"):
                rows = rows.filter(status=params["status"])
            rows = rows.order_by("-updated_at")[:MAX_LIST]
        return Response(OutgoingSerializer(rows, many=True).data)

    @extend_schema(
        request={"multipart/form-data": DraftRequestSerializer},
        responses={201: OutgoingDetailSerializer},
    )
    def post(self, request: Request) -> Response:
        actor = _actor(request, write=True)
        form = DraftRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data: dict[str, Any] = form.validated_data
        agencies = list(
            Agency.objects.filter(
                identifier__in=list(data.get("platform_agencies", [])), is_active=True
            )
        )
        document = services.create_draft(
            actor=actor,
            data=services.DraftInput(
                doc_type=data["doc_type"],
                subject=data["subject"],
                content=data.get("content", ""),
                priority=data.get("priority", Priority.NORMAL),
                due_date=data.get("due_date"),
                signing_authority=data.get("signing_authority", SigningAuthority.AUTO),
                internal_units=_units(actor, data.get("internal_units", []), "internal_units"),
                platform_agencies=agencies,
            ),
            upload=data.get("file"),
        )
        return Response(OutgoingDetailSerializer(document).data, status=201)


class OutgoingDetail(APIView):
    permission_classes = [require_scope("documents:read")]

    @extend_schema(responses=OutgoingDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        document = _outgoing(_actor(request), pk)
        body = dict(OutgoingDetailSerializer(document).data)
        statuses = exchange_bridge.recipient_statuses(document)
        for row in body["recipients"]:
            status = statuses.get(row["organ_id"])
            if status is not None:
                row["edxml_status"] = status.status_code or row["edxml_status"]
        return Response(body)


class VersionFile(APIView):
    permission_classes = [require_scope("documents:read")]

    @extend_schema(responses={(200, "application/pdf"): bytes})
    def get(self, request: Request, pk: int, seq: int) -> FileResponse:
        document = _outgoing(_actor(request), pk)
        version = get_object_or_404(DocumentVersion, document=document, seq=_path_id(seq))
        try:
            handle = version.file.open("rb")
        except OSError as exc:
            raise Http404 from exc
        return FileResponse(
            handle,
            as_attachment=True,
            filename=version.original_name,
            content_type=version.content_type,
        )


OUTGOING_ACTIONS = {
    "submit": "Trình cho người cho ý kiến: {reviewer: id công chức, comment}",
    "review": "Ý kiến: {decision: approve|return, comment, forward_to: id công chức}",
    "sign": "Lãnh đạo ký số (chữ ký cá nhân), xác nhận bằng mã xác thực mới: {code}",
    "issue": "Văn thư cấp số, ký số cơ quan, ban hành và gửi",
    "send": "Văn thư gửi lại cho nơi nhận chưa nhận được",
}


class OutgoingAction(APIView):
    permission_classes = [require_scope("documents:write")]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        request=inline_serializer(
            "OutgoingActionRequest",
            {
                "version": VERSION_FIELD,
                "reviewer": serializers.IntegerField(required=False),
                "decision": serializers.ChoiceField(choices=["approve", "return"], required=False),
                "comment": serializers.CharField(required=False),
                "forward_to": serializers.IntegerField(required=False),
                "code": serializers.CharField(
                    required=False, help_text="Mã trên ứng dụng xác thực (bắt buộc khi ký)"
                ),
            },
        ),
        responses=OutgoingDetailSerializer,
        operation_id="documents_outgoing_action",
        parameters=[
            OpenApiParameter("action", str, OpenApiParameter.PATH, enum=list(OUTGOING_ACTIONS))
        ],
        description="Thao tác: " + "; ".join(f"`{k}`: {v}" for k, v in OUTGOING_ACTIONS.items()),
    )
    def post(self, request: Request, pk: int, action: str) -> Response:
        actor = _actor(request, write=True)
        document = _outgoing(actor, pk)
        data: Any = request.data
        version = _version(data)
        if action == "submit":
            services.submit_for_review(
                actor=actor,
                document=document,
                reviewer=_official_in(actor, data.get("reviewer"), "reviewer"),
                comment=str(data.get("comment", "")),
                expected_version=version,
            )
        elif action == "review":
            forward = data.get("forward_to")
            services.review(
                actor=actor,
                document=document,
                decision=str(data.get("decision", "")),
                comment=str(data.get("comment", "")),
                forward_to=_official_in(actor, forward, "forward_to") if forward else None,
                expected_version=version,
            )
        elif action == "sign":
            services.sign(
                actor=actor,
                document=document,
                second_factor=str(data.get("code", "")),
                expected_version=version,
            )
        elif action == "issue":
            services.issue(actor=actor, document=document, expected_version=version)
        elif action == "send":
            services.send(actor=actor, document=document)
        else:
            raise Http404
        document.refresh_from_db()
        return Response(OutgoingDetailSerializer(document).data)


# --- incoming ------------------------------------------------------------------------------------


class IncomingList(APIView):
    permission_classes = [require_scope("documents:read")]

    @extend_schema(parameters=[IncomingQuery], responses=IncomingSerializer(many=True))
    def get(self, request: Request) -> Response:
        from .incoming import overdue_filter

        params = validated_query(IncomingQuery, request)
        actor = _actor(request)
        query = params.get("q", "").strip()
        if query:
            rows: Any = search_documents(actor, query, kind="incoming", limit=MAX_LIST).incoming
        else:
            rows = visible_to(actor, IncomingDocument.objects.all())
            if params.get("status"):
                rows = rows.filter(status=params["status"])
            if params.get("overdue"):
                rows = rows.filter(overdue_filter())
            rows = rows.order_by("-received_at")[:MAX_LIST]
        return Response(IncomingSerializer(rows, many=True).data)


class IncomingDetail(APIView):
    permission_classes = [require_scope("documents:read")]

    @extend_schema(responses=IncomingDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(IncomingDetailSerializer(_incoming(_actor(request), pk)).data)


INCOMING_ACTIONS = {
    "register": "Văn thư vào sổ (cấp số đến): {notes}",
    "reject": "Văn thư từ chối tiếp nhận: {reason}",
    "assign": "Lãnh đạo bút phê và giao: {instruction, main_unit, cooperating_units, "
    "inform_units, working_days | due_date}",
    "start": "Đơn vị nhận xử lý: {assignment}",
    "report": "Đơn vị báo cáo kết quả: {assignment, report}",
    "complete": "Lãnh đạo kết thúc xử lý: {note}",
}


class IncomingAction(APIView):
    permission_classes = [require_scope("documents:write")]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        request=inline_serializer(
            "IncomingActionRequest",
            {
                "version": VERSION_FIELD,
                "notes": serializers.CharField(required=False),
                "reason": serializers.CharField(required=False),
                "instruction": serializers.CharField(required=False),
                "main_unit": serializers.IntegerField(required=False),
                "cooperating_units": serializers.ListField(
                    child=serializers.IntegerField(), required=False
                ),
                "inform_units": serializers.ListField(
                    child=serializers.IntegerField(), required=False
                ),
                "working_days": serializers.IntegerField(required=False),
                "due_date": serializers.DateField(required=False),
                "assignment": serializers.IntegerField(required=False),
                "report": serializers.CharField(required=False),
                "note": serializers.CharField(required=False),
            },
        ),
        responses=IncomingDetailSerializer,
        operation_id="documents_incoming_action",
        parameters=[
            OpenApiParameter("action", str, OpenApiParameter.PATH, enum=list(INCOMING_ACTIONS))
        ],
        description="Thao tác: " + "; ".join(f"`{k}`: {v}" for k, v in INCOMING_ACTIONS.items()),
    )
    def post(self, request: Request, pk: int, action: str) -> Response:
        actor = _actor(request, write=True)
        document = _incoming(actor, pk)
        data: Any = request.data
        version = _version(data)
        if action == "register":
            register_incoming(
                actor=actor,
                incoming=document,
                notes=str(data.get("notes", "")),
                expected_version=version,
            )
        elif action == "reject":
            reject_incoming(
                actor=actor,
                incoming=document,
                reason=str(data.get("reason", "")),
                expected_version=version,
            )
        elif action == "assign":
            main = (
                _units(actor, [data.get("main_unit")], "main_unit") if data.get("main_unit") else []
            )
            due = data.get("due_date")
            assign_units(
                actor=actor,
                incoming=document,
                instruction=str(data.get("instruction", "")),
                main_unit=main[0] if main else None,
                cooperating_units=_units(actor, data.get("cooperating_units"), "cooperating_units"),
                inform_units=_units(actor, data.get("inform_units"), "inform_units"),
                working_days=parse_int(data["working_days"], "working_days", low=0, high=365)
                if data.get("working_days") not in (None, "")
                else None,
                due_date=_due_date(due) if due else None,
                expected_version=version,
            )
        elif action in ("start", "report"):
            assignment = get_object_or_404(
                IncomingAssignment, incoming=document, pk=parse_id(data.get("assignment")) or 0
            )
            if action == "start":
                start_assignment(actor=actor, assignment=assignment)
            else:
                report_assignment(
                    actor=actor, assignment=assignment, report=str(data.get("report", ""))
                )
        elif action == "complete":
            complete_incoming(
                actor=actor,
                incoming=document,
                note=str(data.get("note", "")),
                expected_version=version,
            )
        else:
            raise Http404
        document.refresh_from_db()
        return Response(IncomingDetailSerializer(document).data)


# --- search and reference ------------------------------------------------------------------------


class SearchView(APIView):
    permission_classes = [require_scope("documents:read")]

    @extend_schema(
        parameters=[SearchQuery],
        responses=inline_serializer(
            "DocumentSearchResult",
            {
                "outgoing": OutgoingSerializer(many=True),
                "incoming": IncomingSerializer(many=True),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        params = validated_query(SearchQuery, request)
        results = search_documents(_actor(request), params["q"][:200], kind=params["kind"])
        return Response(
            {
                "outgoing": OutgoingSerializer(results.outgoing, many=True).data,
                "incoming": IncomingSerializer(results.incoming, many=True).data,
            }
        )


class TypeList(APIView):
    permission_classes = [require_scope("documents:read")]

    @extend_schema(responses=DocumentTypeSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(
            DocumentTypeSerializer(DocumentType.objects.filter(is_active=True), many=True).data
        )


urlpatterns = [
    path("documents/types/", TypeList.as_view(), name="api-document-types"),
    path("documents/search/", SearchView.as_view(), name="api-document-search"),
    path("documents/outgoing/", OutgoingList.as_view(), name="api-outgoing-list"),
    path("documents/outgoing/<id:pk>/", OutgoingDetail.as_view(), name="api-outgoing-detail"),
    path(
        "documents/outgoing/<id:pk>/versions/<id:seq>/file/",
        VersionFile.as_view(),
        name="api-outgoing-version-file",
    ),
    path(
        "documents/outgoing/<id:pk>/<slug:action>/",
        OutgoingAction.as_view(),
        name="api-outgoing-action",
    ),
    path("documents/incoming/", IncomingList.as_view(), name="api-incoming-list"),
    path("documents/incoming/<id:pk>/", IncomingDetail.as_view(), name="api-incoming-detail"),
    path(
        "documents/incoming/<id:pk>/<slug:action>/",
        IncomingAction.as_view(),
        name="api-incoming-action",
    ),
]
