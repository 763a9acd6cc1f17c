"""Meeting materials API (under /api/v1/meetings/<id>/materials/): the materials the caller may
read, uploads and new versions (multipart), withdrawal, the download, and the caller's own
private notes.

Reading needs `meetings:read`; an API client reads the non-confidential, not withdrawn
materials of its agency's meetings (scopes.material_visible). Adding, versioning and
withdrawing are acts of a named organiser (a signed-in official: the MEETING case type refuses
any other actor). Notes are the signed-in official's own: nobody else's is ever listed or found.
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from egov.core.actors import Actor, actor_from_request
from egov.core.api_auth import require_scope
from egov.core.errors import DomainError
from egov.core.ids import parse_id
from egov.core.middleware import allow_request_bytes
from egov.core.parsers import FormParser, JSONParser, MultiPartParser
from egov.core.scoping import visible_to
from egov.documents.models import IncomingDocument, OutgoingDocument
from egov.org.models import Official

from ..error_codes import MeetingErrorCode
from ..models import AgendaItem, Annotation, Material, MaterialVersion, Meeting
from ..services import materials as service

# --- serializers ---------------------------------------------------------------------------------


class MaterialVersionSerializer(serializers.ModelSerializer[MaterialVersion]):
    created_by = serializers.SerializerMethodField()

    class Meta:
        model = MaterialVersion
        fields = [
            "seq",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "page_count",
            "note",
            "created_by",
            "created_at",
        ]

    def get_created_by(self, obj: MaterialVersion) -> str:
        return obj.created_by.user.get_full_name()


class MaterialSerializer(serializers.ModelSerializer[Material]):
    origin = serializers.SerializerMethodField(
        help_text="upload: tệp tải lên; outgoing_document / incoming_document: văn bản"
    )
    current_version = MaterialVersionSerializer(allow_null=True)
    readers: Any = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Material
        fields = [
            "id",
            "meeting",
            "item",
            "title",
            "origin",
            "outgoing_document",
            "incoming_document",
            "confidential",
            "readers",
            "withdrawn",
            "current_version",
            "created_at",
        ]

    def get_origin(self, obj: Material) -> str:
        if obj.outgoing_document_id:
            return "outgoing_document"
        if obj.incoming_document_id:
            return "incoming_document"
        return "upload"


class MaterialDetailSerializer(MaterialSerializer):
    versions = MaterialVersionSerializer(many=True)

    class Meta(MaterialSerializer.Meta):
        fields = [*MaterialSerializer.Meta.fields, "versions"]


class AnnotationSerializer(serializers.ModelSerializer[Annotation]):
    version = serializers.IntegerField(source="version.seq", read_only=True)

    class Meta:
        model = Annotation
        fields = ["id", "material", "version", "page", "text", "created_at", "updated_at"]
        read_only_fields = ["id", "material", "version", "created_at", "updated_at"]


class MaterialRequest(serializers.Serializer[Any]):
    title = serializers.CharField(required=False, allow_blank=True, max_length=300)
    file = serializers.FileField(
        required=False, help_text="PDF, DOCX, XLSX, PPTX, ODT, ODS hoặc ODP"
    )
    outgoing_document = serializers.IntegerField(
        required=False, help_text="Văn bản đi đã ban hành của cơ quan tổ chức"
    )
    incoming_document = serializers.IntegerField(
        required=False, help_text="Văn bản đến của cơ quan tổ chức"
    )
    item = serializers.IntegerField(required=False, help_text="Nội dung họp (để trống: chung)")
    confidential = serializers.BooleanField(required=False, default=False)
    readers = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        help_text="Tài liệu mật: id công chức được xem (người dự họp)",
    )


class MaterialVersionRequest(serializers.Serializer[Any]):
    file = serializers.FileField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)


class AnnotationRequest(serializers.Serializer[Any]):
    page = serializers.IntegerField(min_value=1)
    text = serializers.CharField(max_length=service.MAX_NOTE_CHARS)


class AnnotationUpdate(serializers.Serializer[Any]):
    page = serializers.IntegerField(min_value=1, required=False)
    text = serializers.CharField(max_length=service.MAX_NOTE_CHARS)


# --- lookups ------------------------------------------------------------------------------------


def _actor(request: Request, write: bool = False) -> Actor:
    actor = actor_from_request(request)
    if write and not actor.has_scope("meetings:write"):
        raise PermissionDenied("Ứng dụng thiếu phạm vi 'meetings:write'.")
    return actor


def _id(raw: Any) -> int:
    checked = parse_id(raw)
    if checked is None:
        raise Http404
    return checked


def _meeting(actor: Actor, pk: int) -> Meeting:
    found = visible_to(actor, Meeting.objects.all()).filter(pk=_id(pk)).first()
    if found is None:
        raise Http404
    return found


def _material(actor: Actor, pk: int, mid: int) -> Material:
    meeting = _meeting(actor, pk)
    found = (
        visible_to(actor, Material.objects.select_related("meeting", "current_version"))
        .filter(pk=_id(mid), meeting=meeting)
        .first()
    )
    if found is None:
        raise Http404
    return found


def _invalid(field: str, message: str) -> DomainError:
    return DomainError(message, code=MeetingErrorCode.MEETING_INVALID, fields={field: [message]})


def _optional(model: Any, raw: Any, field: str, **filters: Any) -> Any:
    if raw in (None, ""):
        return None
    found = model.objects.filter(pk=_id_or_invalid(raw, field), **filters).first()
    if found is None:
        raise _invalid(field, "Không tìm thấy.")
    return found


def _id_or_invalid(raw: Any, field: str) -> int:
    checked = parse_id(raw)
    if checked is None:
        raise _invalid(field, "Không hợp lệ.")
    return checked


def _materials_of(actor: Actor, meeting: Meeting) -> Any:
    return (
        visible_to(actor, Material.objects.filter(meeting=meeting))
        .select_related("current_version__created_by__user")
        .prefetch_related("readers")
        .order_by("item__position", "pk")
    )


# --- views ---------------------------------------------------------------------------------------


@allow_request_bytes(service.upload_request_bytes)
class MaterialList(APIView):
    permission_classes = [require_scope("meetings:read")]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(responses=MaterialSerializer(many=True), operation_id="meetings_materials_list")
    def get(self, request: Request, pk: int) -> Response:
        actor = _actor(request)
        meeting = _meeting(actor, pk)
        return Response(MaterialSerializer(_materials_of(actor, meeting), many=True).data)

    @extend_schema(
        request={"multipart/form-data": MaterialRequest},
        responses={201: MaterialDetailSerializer},
        operation_id="meetings_materials_create",
        description="Tải lên một tệp (`file`) hoặc đính kèm một văn bản (`outgoing_document` "
        "hoặc `incoming_document`). Tệp không phải PDF/tài liệu văn phòng: `material_rejected`.",
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = _actor(request, write=True)
        meeting = _meeting(actor, pk)
        form = MaterialRequest(data=request.data)
        form.is_valid(raise_exception=True)
        data: dict[str, Any] = form.validated_data
        readers = []
        for raw in data.get("readers", []):
            readers.append(_optional(Official, raw, "readers"))
        material = service.add_material(
            actor=actor,
            meeting=meeting,
            title=data.get("title", ""),
            upload=data.get("file"),
            outgoing_document=_optional(
                OutgoingDocument, data.get("outgoing_document"), "outgoing_document"
            ),
            incoming_document=_optional(
                IncomingDocument, data.get("incoming_document"), "incoming_document"
            ),
            item=_optional(AgendaItem, data.get("item"), "item", meeting=meeting),
            confidential=data.get("confidential", False),
            readers=readers,
        )
        return Response(MaterialDetailSerializer(material).data, status=201)


class MaterialDetail(APIView):
    permission_classes = [require_scope("meetings:read")]

    @extend_schema(responses=MaterialDetailSerializer, operation_id="meetings_materials_detail")
    def get(self, request: Request, pk: int, mid: int) -> Response:
        return Response(MaterialDetailSerializer(_material(_actor(request), pk, mid)).data)


@allow_request_bytes(service.upload_request_bytes)
class MaterialVersions(APIView):
    permission_classes = [require_scope("meetings:write")]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": MaterialVersionRequest},
        responses={201: MaterialDetailSerializer},
        operation_id="meetings_materials_add_version",
    )
    def post(self, request: Request, pk: int, mid: int) -> Response:
        actor = _actor(request, write=True)
        material = _material(actor, pk, mid)
        form = MaterialVersionRequest(data=request.data)
        form.is_valid(raise_exception=True)
        material = service.add_version(
            actor=actor,
            material=material,
            upload=form.validated_data["file"],
            note=form.validated_data.get("note", ""),
        )
        return Response(MaterialDetailSerializer(material).data, status=201)


class MaterialWithdraw(APIView):
    permission_classes = [require_scope("meetings:write")]

    @extend_schema(
        request=None,
        responses=MaterialDetailSerializer,
        operation_id="meetings_materials_withdraw",
    )
    def post(self, request: Request, pk: int, mid: int) -> Response:
        actor = _actor(request, write=True)
        material = service.withdraw_material(actor=actor, material=_material(actor, pk, mid))
        return Response(MaterialDetailSerializer(material).data)


class MaterialFile(APIView):
    permission_classes = [require_scope("meetings:read")]

    @extend_schema(
        responses={(200, "application/octet-stream"): bytes},
        parameters=[
            OpenApiParameter("version", int, description="Phiên bản (mặc định: hiện hành)")
        ],
        operation_id="meetings_materials_file",
    )
    def get(self, request: Request, pk: int, mid: int) -> FileResponse:
        material = _material(_actor(request), pk, mid)
        raw = request.query_params.get("version")
        if raw:
            version = material.versions.filter(seq=_id(raw)).first()
        else:
            version = material.current_version
        if version is None:
            raise Http404
        try:
            handle = version.file.open("rb")
        except OSError as exc:
            raise Http404 from exc
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=version.original_name or "tai-lieu",
            content_type=version.content_type,
        )
        response["Cache-Control"] = "private, no-store"
        return response


class AnnotationList(APIView):
    permission_classes = [require_scope("meetings:read")]
    parser_classes = [JSONParser, FormParser]

    @extend_schema(
        responses=AnnotationSerializer(many=True), operation_id="meetings_annotations_list"
    )
    def get(self, request: Request, pk: int, mid: int) -> Response:
        actor = _actor(request)
        material = _material(actor, pk, mid)
        rows = (
            visible_to(actor, Annotation.objects.filter(material=material))
            .select_related("version")
            .order_by("version__seq", "page", "pk")
        )
        return Response(AnnotationSerializer(rows, many=True).data)

    @extend_schema(
        request=AnnotationRequest,
        responses={201: AnnotationSerializer},
        operation_id="meetings_annotations_create",
        description="Ghi chú riêng trên một trang của phiên bản hiện hành (không ai khác xem).",
    )
    def post(self, request: Request, pk: int, mid: int) -> Response:
        actor = _actor(request, write=True)
        material = _material(actor, pk, mid)
        form = AnnotationRequest(data=request.data)
        form.is_valid(raise_exception=True)
        note = service.save_annotation(
            actor=actor,
            material=material,
            page=form.validated_data["page"],
            text=form.validated_data["text"],
        )
        return Response(AnnotationSerializer(note).data, status=201)


class AnnotationDetail(APIView):
    permission_classes = [require_scope("meetings:read")]
    parser_classes = [JSONParser, FormParser]

    def _own(self, actor: Actor, pk: int, mid: int, aid: int) -> tuple[Material, Annotation]:
        material = _material(actor, pk, mid)
        note = (
            visible_to(actor, Annotation.objects.filter(material=material))
            .select_related("version")
            .filter(pk=_id(aid))
            .first()
        )
        if note is None:
            raise Http404
        return material, note

    @extend_schema(
        request=AnnotationUpdate,
        responses=AnnotationSerializer,
        operation_id="meetings_annotations_update",
    )
    def patch(self, request: Request, pk: int, mid: int, aid: int) -> Response:
        actor = _actor(request, write=True)
        material, note = self._own(actor, pk, mid, aid)
        form = AnnotationUpdate(data=request.data)
        form.is_valid(raise_exception=True)
        saved = service.save_annotation(
            actor=actor,
            material=material,
            page=form.validated_data.get("page", note.page),
            text=form.validated_data["text"],
            annotation=note,
        )
        return Response(AnnotationSerializer(saved).data)

    @extend_schema(request=None, responses={204: None}, operation_id="meetings_annotations_delete")
    def delete(self, request: Request, pk: int, mid: int, aid: int) -> Response:
        actor = _actor(request, write=True)
        _material_row, note = self._own(actor, pk, mid, aid)
        service.delete_annotation(actor=actor, annotation=note)
        return Response(status=204)


urlpatterns = [
    path("meetings/<id:pk>/materials/", MaterialList.as_view(), name="api-meeting-materials"),
    path(
        "meetings/<id:pk>/materials/<id:mid>/",
        MaterialDetail.as_view(),
        name="api-meeting-material",
    ),
    path(
        "meetings/<id:pk>/materials/<id:mid>/versions/",
        MaterialVersions.as_view(),
        name="api-meeting-material-versions",
    ),
    path(
        "meetings/<id:pk>/materials/<id:mid>/withdraw/",
        MaterialWithdraw.as_view(),
        name="api-meeting-material-withdraw",
    ),
    path(
        "meetings/<id:pk>/materials/<id:mid>/file/",
        MaterialFile.as_view(),
        name="api-meeting-material-file",
    ),
    path(
        "meetings/<id:pk>/materials/<id:mid>/annotations/",
        AnnotationList.as_view(),
        name="api-meeting-material-annotations",
    ),
    path(
        "meetings/<id:pk>/materials/<id:mid>/annotations/<id:aid>/",
        AnnotationDetail.as_view(),
        name="api-meeting-material-annotation",
    ),
]
