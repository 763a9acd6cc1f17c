"""REST API of the one-stop system: every official action on a dossier, and the work queue.

Who may call it
---------------
The engine (services.py) acts for an *official*: it checks the official's agency, the step they
hold and their roles. So these endpoints need an official's session (logged in with the second
factor, as on the web pages; send the CSRF token with each POST). An API client token is accepted
by the authentication layer but, having no official identity, gets a 403 with code
`official_required` (after the `dossiers:write` / `dossiers:read` scope check) — a delegated token
that acts on behalf of one official would be the way to open this to other systems.

Each POST body may carry `version` (the dossier's version the caller saw): if someone acted in
between the call is refused with 409 `stale_version` and nothing changes. An action that the
dossier's status does not allow gives 409 `invalid_transition`; a missing role 403
`permission_denied` (so does acting on a chained dossier whose active step another agency
holds); a dossier the caller may not see — another agency's, or one whose step at the caller's
agency has not started — 404 `not_found`. Errors use one body: `{code, message, fields}`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from egov.core.actors import Actor, actor_from_request
from egov.core.api_auth import IsAuthenticatedActor, require_scope
from egov.core.api_fast import json_response, plain_session_read
from egov.core.api_query import CURSOR_PARAMETER, next_page_url
from egov.core.errors import DomainError, NotAllowed, NotFoundError
from egov.core.keyset import CURSOR_PARAM
from egov.core.parsers import FormParser, JSONParser, MultiPartParser
from egov.core.scoping import visible_to
from egov.dossiers.api import DossierSerializer, applicant_of
from egov.dossiers.fees import parse_requested
from egov.dossiers.models import Channel, Dossier, ResultDelivery, Status
from egov.workcalendar.services import WorkingCalendar

from . import services
from .access import official_for_request
from .models import ApologyLetter, DossierStep, StepStatus
from .queue import mine_page
from .reminders import urgencies
from .workflow import allowed_actions

SCOPE_READ = "dossiers:read"
SCOPE_WRITE = "dossiers:write"
OFFICIAL_REQUIRED = (
    "Thao tác xử lý hồ sơ cần phiên đăng nhập của một công chức (đã xác thực hai lớp). "
    "Mã truy cập của ứng dụng không gắn với công chức nào nên không được xử lý hồ sơ."
)
ACCESS_NOTE = (
    "Needs an official's session (logged in with the second factor; send the CSRF token). "
    "The engine acts for an official, so an API client token gets 403 `official_required` "
    "(a delegated token acting for one official is future work). Body field `version`: the "
    "dossier version you saw; 409 `stale_version` if it changed, 409 `invalid_transition` if "
    "the status does not allow the action, 403 `permission_denied` without the role or the "
    "step (or when another agency holds the active step), 404 for a dossier you may not see "
    "(another agency's, or one whose step at your agency has not started)."
)
QUEUE_DEFAULT_LIMIT = 50
QUEUE_MAX_LIMIT = 200


def official_permission(scope: str) -> type[permissions.BasePermission]:
    """An official's session (the second factor is enforced for every API by
    accounts.middleware). API clients: scope first, then a clear 403 `official_required` (the
    engine needs an official identity)."""

    class OfficialSession(permissions.BasePermission):
        def has_permission(self, request: Any, view: Any) -> bool:
            actor = actor_from_request(request)
            if actor.is_anonymous:
                return False  # 401/403 not_authenticated
            if actor.kind == "api_client":
                if not actor.has_scope(scope):
                    raise NotAllowed(f"Ứng dụng thiếu phạm vi '{scope}'.")
                raise NotAllowed(OFFICIAL_REQUIRED, code="official_required")
            if actor.kind != "official":
                raise NotAllowed("Chỉ công chức được xử lý hồ sơ.")
            # A session without the second factor never gets here: it carries no user
            # (accounts.middleware, 403 `mfa_required`).
            return True

    OfficialSession.__name__ = f"OfficialSession[{scope}]"
    return OfficialSession


# --- the dossier as responses show it ------------------------------------------------------------


class ActiveStepSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    order = serializers.IntegerField()
    name = serializers.CharField()
    role = serializers.CharField()
    agency = serializers.CharField(help_text="Mã định danh cơ quan xử lý")
    agency_name = serializers.CharField()
    unit = serializers.CharField(allow_null=True)
    assignee_id = serializers.IntegerField(allow_null=True, help_text="Id công chức (Official)")
    assignee = serializers.CharField(allow_null=True)
    started_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)


class DossierStateSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    status = serializers.IntegerField(help_text="Mã trạng thái quốc gia 1..10")
    status_label = serializers.CharField()
    version = serializers.IntegerField(help_text="Gửi lại trong `version` để tránh ghi đè")
    appointment_at = serializers.DateTimeField(
        allow_null=True, help_text="Ngày hẹn trả theo quy định: căn cứ tính đúng hạn/trễ hạn"
    )
    promised_at = serializers.DateTimeField(
        allow_null=True, help_text="Ngày hẹn lại theo phiếu xin lỗi (mẫu 04), nếu có"
    )
    received_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    returned_at = serializers.DateTimeField(allow_null=True)
    active_step = ActiveStepSerializer(allow_null=True)
    allowed_actions = serializers.ListField(child=serializers.CharField())


def _step_data(step: DossierStep | None) -> dict[str, Any] | None:
    if step is None:
        return None
    return {
        "id": step.pk,
        "order": step.order,
        "name": step.name,
        "role": step.role,
        "agency": step.agency.identifier,
        "agency_name": step.agency.name,
        "unit": step.unit.name if step.unit else None,
        "assignee_id": step.assignee_id,
        "assignee": step.assignee.user.get_full_name() if step.assignee else None,
        "started_at": step.started_at,
        "due_at": step.due_at,
    }


def dossier_state(code: str) -> dict[str, Any]:
    dossier = Dossier.objects.get(code=code)
    step = (
        dossier.steps.filter(status=StepStatus.ACTIVE)
        .select_related("agency", "unit", "assignee__user")
        .first()
    )
    data = {
        "code": dossier.code,
        "status": dossier.status,
        "status_label": Status(dossier.status).label,
        "version": dossier.version,
        "appointment_at": dossier.appointment_at,
        "promised_at": dossier.promised_at,
        "received_at": dossier.received_at,
        "finished_at": dossier.finished_at,
        "returned_at": dossier.returned_at,
        "active_step": _step_data(step),
        "allowed_actions": [a.replace("_", "-") for a in allowed_actions(dossier.status)],
    }
    return dict(DossierStateSerializer(data).data)


class DossierStateView(APIView):
    """The dossier's status, version and active step (what the action endpoints return)."""

    permission_classes = [require_scope(SCOPE_READ)]

    @extend_schema(operation_id="onestop_dossier_state", responses=DossierStateSerializer)
    def get(self, request: Request, code: str) -> Response:
        qs = visible_to(actor_from_request(request), Dossier.objects.all())
        dossier = get_object_or_404(qs, code=code)
        return Response(dossier_state(dossier.code))


# --- actions -------------------------------------------------------------------------------------


class VersionSerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="Phiên bản hồ sơ đã xem (chống ghi đè)"
    )


class ReasonSerializer(VersionSerializer):
    reason = serializers.CharField(max_length=2000)


class SupplementAskSerializer(ReasonSerializer):
    """`reason` is why; `components` and `other` which papers (without them, as before #15,
    the reason's lines are the papers); `answer_days` by when, in working days."""

    components = serializers.ListField(
        child=serializers.CharField(max_length=100),
        required=False,
        max_length=50,
        help_text="Mã thành phần hồ sơ của thủ tục cần bổ sung",
    )
    other = serializers.CharField(
        required=False, allow_blank=True, max_length=4000, help_text="Giấy tờ khác, mỗi dòng một"
    )
    answer_days = serializers.IntegerField(
        required=False, min_value=1, max_value=60, help_text="Hạn bổ sung (ngày làm việc)"
    )


class AssignSerializer(VersionSerializer):
    official_id = serializers.IntegerField(help_text="Id công chức được giao (Official)")


class ForwardSerializer(VersionSerializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ApproveSignSerializer(ForwardSerializer):
    code = serializers.CharField(
        max_length=12, help_text="Mã xác thực hiện tại trên ứng dụng xác thực của lãnh đạo"
    )


class SendBackSerializer(ReasonSerializer):
    to_order = serializers.IntegerField(min_value=1, help_text="Số thứ tự bước trả về")


class PaymentRequestSerializer(ReasonSerializer):
    amount = serializers.IntegerField(min_value=1, help_text="Số tiền (đồng)")


class PaymentReceivedSerializer(VersionSerializer):
    receipt_number = serializers.CharField(
        max_length=60, required=False, allow_blank=True, default=""
    )


class ReturnSerializer(VersionSerializer):
    method = serializers.ChoiceField(
        choices=ResultDelivery.choices,
        required=False,
        help_text="Mặc định: hình thức chủ hồ sơ đã chọn",
    )


class ResultUploadSerializer(VersionSerializer):
    file = serializers.FileField(help_text="Tệp kết quả (PDF, ảnh...)")


class ApologySerializer(ReasonSerializer):
    new_appointment_at = serializers.DateTimeField(
        help_text="Ngày hẹn mới (ngày làm việc; không có múi giờ thì hiểu là giờ Việt Nam)"
    )


class DecisionSerializer(VersionSerializer):
    approve = serializers.BooleanField(help_text="true: duyệt; false: không duyệt")


class ApologyOutSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    status = serializers.CharField()
    reason = serializers.CharField()
    previous_appointment_at = serializers.DateTimeField()
    new_appointment_at = serializers.DateTimeField()


class ActionResultSerializer(DossierStateSerializer):
    supplement_request = serializers.DictField(required=False, help_text="yêu cầu bổ sung")
    result_file = serializers.DictField(required=False, help_text="tệp kết quả đã lưu")
    apology = ApologyOutSerializer(required=False)


def _apology_data(letter: ApologyLetter) -> dict[str, Any]:
    return dict(
        ApologyOutSerializer(
            {
                "id": letter.pk,
                "status": letter.status,
                "reason": letter.reason,
                "previous_appointment_at": letter.previous_appointment_at,
                "new_appointment_at": letter.new_appointment_at,
            }
        ).data
    )


def _require_visible(actor: Actor, code: str, message: str = "Không tìm thấy hồ sơ.") -> None:
    """Another agency's dossier is a 404 whatever the body says (before any version check)."""
    if not visible_to(actor, Dossier.objects.filter(code=code)).exists():
        raise NotFoundError(message)


Perform = Callable[[Actor, str, dict[str, Any], Request], dict[str, Any] | None]


def _receive(actor: Actor, code: str, data: dict[str, Any], request: Request) -> None:
    services.receive_online(actor=actor, dossier=code, version=data.get("version"))


def _refuse(actor: Actor, code: str, data: dict[str, Any], request: Request) -> None:
    services.refuse(actor=actor, dossier=code, reason=data["reason"], version=data.get("version"))


def _request_supplement(
    actor: Actor, code: str, data: dict[str, Any], request: Request
) -> dict[str, Any]:
    item = services.request_supplement(
        actor=actor,
        dossier=code,
        reason=data["reason"],
        components=data.get("components"),
        other=data.get("other", ""),
        answer_days=data.get("answer_days"),
        version=data.get("version"),
    )
    return {
        "supplement_request": {
            "id": item.pk,
            "reason": item.reason,
            "requested_at": item.requested_at.isoformat(),
            "items": item.papers,
            "answer_by": item.answer_by.isoformat() if item.answer_by else None,
        }
    }


def _assign(actor: Actor, code: str, data: dict[str, Any], request: Request) -> None:
    services.assign(
        actor=actor, dossier=code, official_id=data["official_id"], version=data.get("version")
    )


def _forward(actor: Actor, code: str, data: dict[str, Any], request: Request) -> None:
    services.forward(actor=actor, dossier=code, note=data["note"], version=data.get("version"))


def _approve_sign(
    actor: Actor, code: str, data: dict[str, Any], request: Request
) -> dict[str, Any]:
    signed = services.approve_and_sign(
        actor=actor,
        dossier=code,
        code=data["code"],
        note=data["note"],
        version=data.get("version"),
    )
    return {
        "signed_result": {
            "id": signed.file_id,
            "name": signed.file.original_name,
            "sha256": signed.file.sha256,
            "signer": signed.signer_name,
            "position": signed.signer_position,
            "sealed_by": signed.sealed_by,
            "signed_at": signed.signed_at.isoformat(),
        }
    }


def _send_back(actor: Actor, code: str, data: dict[str, Any], request: Request) -> None:
    services.send_back(
        actor=actor,
        dossier=code,
        to_order=data["to_order"],
        reason=data["reason"],
        version=data.get("version"),
    )


def _request_payment(actor: Actor, code: str, data: dict[str, Any], request: Request) -> None:
    services.request_payment(
        actor=actor,
        dossier=code,
        amount=data["amount"],
        reason=data["reason"],
        version=data.get("version"),
    )


def _payment_received(actor: Actor, code: str, data: dict[str, Any], request: Request) -> None:
    services.payment_received(
        actor=actor,
        dossier=code,
        receipt_number=data["receipt_number"],
        version=data.get("version"),
    )


def _stop(actor: Actor, code: str, data: dict[str, Any], request: Request) -> None:
    services.stop(actor=actor, dossier=code, reason=data["reason"], version=data.get("version"))


def _withdraw(actor: Actor, code: str, data: dict[str, Any], request: Request) -> None:
    services.withdraw(actor=actor, dossier=code, reason=data["reason"], version=data.get("version"))


def _result(actor: Actor, code: str, data: dict[str, Any], request: Request) -> dict[str, Any]:
    row = services.record_result(
        actor=actor, dossier=code, upload=data["file"], version=data.get("version")
    )
    return {
        "result_file": {
            "id": row.pk,
            "name": row.original_name,
            "size": row.size,
            "sha256": row.sha256,
        }
    }


def _return(actor: Actor, code: str, data: dict[str, Any], request: Request) -> None:
    services.return_result(
        actor=actor, dossier=code, method=data.get("method"), version=data.get("version")
    )


def _apology(actor: Actor, code: str, data: dict[str, Any], request: Request) -> dict[str, Any]:
    new_at = data["new_appointment_at"]
    if timezone.is_naive(new_at):
        new_at = timezone.make_aware(new_at)
    letter = services.draft_apology(
        actor=actor,
        dossier=code,
        reason=data["reason"],
        new_appointment_at=new_at,
        version=data.get("version"),
    )
    return {"apology": _apology_data(letter)}


@dataclass(frozen=True)
class Action:
    slug: str
    summary: str
    request: type[serializers.Serializer[Any]]
    perform: Perform
    multipart: bool = False
    created: bool = False


ACTIONS = [
    Action("receive", "Tiếp nhận hồ sơ trực tuyến (trạng thái 1 → 4)", VersionSerializer, _receive),
    Action("refuse", "Từ chối tiếp nhận (mẫu 03)", ReasonSerializer, _refuse),
    Action(
        "request-supplement",
        "Yêu cầu bổ sung hồ sơ (mẫu 02); dừng tính thời hạn",
        SupplementAskSerializer,
        _request_supplement,
        created=True,
    ),
    Action("assign", "Phân công người xử lý bước hiện tại", AssignSerializer, _assign),
    Action(
        "forward",
        "Hoàn thành bước hiện tại và chuyển bước tiếp theo (bước lãnh đạo: phê duyệt)",
        ForwardSerializer,
        _forward,
    ),
    Action(
        "approve-sign",
        "Lãnh đạo phê duyệt bằng cách ký số kết quả (bản chính điện tử; kèm dấu cơ quan nếu thủ "
        "tục yêu cầu), xác nhận bằng mã xác thực",
        ApproveSignSerializer,
        _approve_sign,
    ),
    Action("send-back", "Trả lại một bước trước, có lý do", SendBackSerializer, _send_back),
    Action(
        "request-payment",
        "Yêu cầu thực hiện nghĩa vụ tài chính",
        PaymentRequestSerializer,
        _request_payment,
    ),
    Action("payment-received", "Xác nhận đã nộp phí", PaymentReceivedSerializer, _payment_received),
    Action("stop", "Dừng xử lý (cần vai trò lãnh đạo cơ quan)", ReasonSerializer, _stop),
    Action("withdraw", "Rút hồ sơ theo yêu cầu của chủ hồ sơ", ReasonSerializer, _withdraw),
    Action(
        "result",
        "Cập nhật tệp kết quả giải quyết (multipart)",
        ResultUploadSerializer,
        _result,
        multipart=True,
        created=True,
    ),
    Action("return", "Trả kết quả (trạng thái 9 → 10)", ReturnSerializer, _return),
    Action(
        "apology",
        "Lập phiếu xin lỗi và hẹn lại ngày trả kết quả (mẫu 04), chờ lãnh đạo duyệt",
        ApologySerializer,
        _apology,
        created=True,
    ),
]

ERRORS = {
    400: OpenApiResponse(description="Dữ liệu không hợp lệ (`invalid`)"),
    403: OpenApiResponse(
        description="Thiếu vai trò (`permission_denied`), không phải phiên của công chức "
        "(`official_required`) hoặc chưa xác thực hai lớp (`mfa_required`)"
    ),
    404: OpenApiResponse(description="Không tìm thấy hồ sơ hoặc hồ sơ của cơ quan khác"),
    409: OpenApiResponse(
        description="Trạng thái không cho phép (`invalid_transition`) hoặc hồ sơ đã thay đổi "
        "(`stale_version`)"
    ),
}


def _action_view(action: Action) -> type[APIView]:
    class ActionView(APIView):
        permission_classes = [official_permission(SCOPE_WRITE)]
        parser_classes = (
            [MultiPartParser, FormParser] if action.multipart else [JSONParser, FormParser]
        )

        @extend_schema(
            operation_id=f"onestop_{action.slug.replace('-', '_')}",
            summary=action.summary,
            description=ACCESS_NOTE,
            request={"multipart/form-data": action.request} if action.multipart else action.request,
            responses={201 if action.created else 200: ActionResultSerializer, **ERRORS},
            tags=["onestop"],
        )
        def post(self, request: Request, code: str) -> Response:
            body = action.request(data=request.data)
            body.is_valid(raise_exception=True)
            actor = actor_from_request(request)
            _require_visible(actor, code)
            extra = action.perform(actor, code, dict(body.validated_data), request) or {}
            return Response(
                {**dossier_state(code), **extra},
                status=status.HTTP_201_CREATED if action.created else status.HTTP_200_OK,
            )

    name = "".join(part.capitalize() for part in action.slug.split("-"))
    ActionView.__name__ = ActionView.__qualname__ = f"{name}ActionView"
    return ActionView


class ApologyDecisionView(APIView):
    """A leader approves (the appointment moves, the applicant is told) or rejects a letter."""

    permission_classes = [official_permission(SCOPE_WRITE)]

    @extend_schema(
        operation_id="onestop_apology_decision",
        summary="Lãnh đạo duyệt hoặc không duyệt phiếu xin lỗi (mẫu 04)",
        description=ACCESS_NOTE,
        request=DecisionSerializer,
        responses={200: ActionResultSerializer, **ERRORS},
        tags=["onestop"],
    )
    def post(self, request: Request, letter_id: int) -> Response:
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        actor = actor_from_request(request)
        code = (
            ApologyLetter.objects.filter(pk=letter_id)
            .values_list("dossier__code", flat=True)
            .first()
        )
        if code is None:
            raise NotFoundError("Không tìm thấy phiếu xin lỗi.")
        _require_visible(actor, code, "Không tìm thấy phiếu xin lỗi.")
        letter = services.decide_apology(
            actor=actor,
            letter_id=letter_id,
            approve=body.validated_data["approve"],
            version=body.validated_data.get("version"),
        )
        return Response({**dossier_state(code), "apology": _apology_data(letter)})


# --- reception at the desk -----------------------------------------------------------------------


class InPersonSerializer(serializers.Serializer[Any]):
    procedure = serializers.CharField(max_length=40, help_text="Mã thủ tục")
    applicant_kind = serializers.ChoiceField(
        choices=[("citizen", "Công dân"), ("business", "Tổ chức, doanh nghiệp")],
        default="citizen",
    )
    applicant_name = serializers.CharField(max_length=255)
    applicant_id_number = serializers.CharField(
        max_length=20, help_text="Số định danh cá nhân hoặc mã số thuế"
    )
    applicant_phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    applicant_email = serializers.EmailField(required=False, allow_blank=True)
    applicant_address = serializers.CharField(max_length=255, required=False, allow_blank=True)
    set_count = serializers.IntegerField(
        min_value=1, max_value=99, default=1, help_text="Số lượng hồ sơ (bộ)"
    )
    channel = serializers.ChoiceField(
        choices=Channel.choices,
        default=Channel.IN_PERSON,
        help_text="1: trực tiếp; 3: bưu chính công ích (hồ sơ trực tuyến đến qua Cổng)",
    )
    result_delivery = serializers.ChoiceField(
        choices=ResultDelivery.choices, default=ResultDelivery.DESK
    )
    delivery_address = serializers.CharField(max_length=500, required=False, allow_blank=True)
    summary = serializers.CharField(max_length=500, required=False, allow_blank=True)
    fees = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=10_000,
        help_text='JSON: {"<id khoản phí>": <số lượng>} — các khoản chỉ thu khi người nộp yêu '
        "cầu (optional) mà họ đã yêu cầu; số lượng với khoản thu theo đơn vị (unit). Khoản "
        "không ghi: không yêu cầu.",
    )


class InPersonDocSerializer(InPersonSerializer):
    file__component_code = serializers.FileField(
        required=False,
        help_text="Trường `file__<mã thành phần>`: một hoặc nhiều tệp cho mỗi thành phần",
    )


class ReceptionResultSerializer(DossierStateSerializer):
    receipt_url = serializers.URLField(help_text="Giấy tiếp nhận và hẹn trả kết quả (mẫu 01)")


class InPersonReception(APIView):
    """The one-stop desk receives a dossier brought in person or by post (multipart)."""

    permission_classes = [official_permission(SCOPE_WRITE)]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="onestop_receive_in_person",
        summary="Tiếp nhận hồ sơ trực tiếp hoặc qua bưu chính (multipart, kèm tệp)",
        description=ACCESS_NOTE,
        request={"multipart/form-data": InPersonDocSerializer},
        responses={201: ReceptionResultSerializer, **ERRORS},
        tags=["onestop"],
    )
    def post(self, request: Request) -> Response:
        body = InPersonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        uploads = {
            key.split("__", 1)[1]: request.FILES.getlist(key)
            for key in request.FILES
            if key.startswith("file__")
        }
        dossier = services.receive_in_person(
            actor=actor_from_request(request),
            procedure_code=data["procedure"],
            applicant=services.Applicant(
                kind=data["applicant_kind"],
                name=data["applicant_name"],
                id_number=data["applicant_id_number"],
                phone=data.get("applicant_phone", ""),
                email=data.get("applicant_email", ""),
                address=data.get("applicant_address", ""),
            ),
            uploads=uploads,
            channel=int(data["channel"]),
            result_delivery=data["result_delivery"],
            delivery_address=data.get("delivery_address", ""),
            summary=data.get("summary", ""),
            set_count=data.get("set_count", 1),
            fees=parse_requested(data.get("fees")),
        )
        receipt = request.build_absolute_uri(reverse("api-dossier-receipt", args=[dossier.code]))
        return Response(
            {**dossier_state(dossier.code), "receipt_url": receipt},
            status=status.HTTP_201_CREATED,
        )


# --- the work queue ------------------------------------------------------------------------------


class QueueItemSerializer(serializers.Serializer[Any]):
    step_id = serializers.IntegerField()
    code = serializers.CharField(help_text="Mã hồ sơ")
    procedure = serializers.CharField()
    applicant_name = serializers.CharField()
    status = serializers.IntegerField()
    version = serializers.IntegerField()
    step = serializers.IntegerField()
    step_name = serializers.CharField()
    started_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField()
    appointment_at = serializers.DateTimeField(allow_null=True)
    urgency = serializers.ChoiceField(
        choices=["on_time", "near_due", "overdue", "escalated"],
        help_text="near_due: sắp đến hạn (mặc định còn dưới 1 ngày làm việc); escalated: quá hạn "
        "hơn 1 ngày làm việc",
    )


class QueuePageSerializer(serializers.Serializer[Any]):
    results = QueueItemSerializer(many=True)
    next = serializers.URLField(allow_null=True)


def _iso(moment: datetime | None, zone: tzinfo) -> str | None:
    """A moment as QueueItemSerializer's DateTimeField writes it (ISO 8601, local time)."""
    if moment is None:
        return None
    text = moment.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class QueueView(APIView):
    """My active steps, most urgent first; page with the `next` link (keyset on due_at, id)."""

    permission_classes = [official_permission(SCOPE_READ)]

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        # An official's own session asking for a page in JSON (nearly every request) is answered
        # here, after the same permission classes, with the bytes DRF would write: DRF's
        # wrapping, negotiation and renderer were a tenth of the page's CPU (issue #19).
        if plain_session_read(request, self, (CURSOR_PARAM, "limit")):
            try:
                return json_response(queue_api_page(request), self)
            except (ValidationError, DomainError):
                pass  # a bad limit or cursor: DRF answers it as every other 400
        return super().dispatch(request, *args, **kwargs)

    @extend_schema(
        operation_id="onestop_queue",
        summary="Hồ sơ đang chờ tôi xử lý, hạn gần nhất trước",
        description=ACCESS_NOTE,
        parameters=[
            CURSOR_PARAMETER,
            OpenApiParameter(
                "limit",
                OpenApiTypes.INT,
                description=f"Số bước mỗi trang (tối đa {QUEUE_MAX_LIMIT})",
            ),
        ],
        responses=QueuePageSerializer,
        tags=["onestop"],
    )
    def get(self, request: Request) -> Response:
        return Response(queue_api_page(request))


def queue_api_page(request: Any) -> dict[str, Any]:
    """The page the queue API answers, for a Django or a DRF request the permission granted."""
    official = official_for_request(request)
    params: Any = request.GET
    try:
        limit = int(params.get("limit") or QUEUE_DEFAULT_LIMIT)
        if limit < 1:
            raise ValueError
    except ValueError as exc:
        raise ValidationError({"limit": ["Phải là số nguyên dương."]}) from exc
    limit = min(limit, QUEUE_MAX_LIMIT)
    # Only what an item shows, formatted here: fifty model instances per page (a dossier row
    # is wide) and a serializer pass cost more than the keyset query itself.
    page, cursor = mine_page(official.pk, str(params.get(CURSOR_PARAM, "")), limit)
    zone = timezone.get_current_timezone()
    marks = urgencies(
        [row["due_at"] for row in page],
        timezone.now(),
        WorkingCalendar.for_agency(official.agency_id),
    )
    items = [
        {
            "step_id": row["id"],
            "code": row["dossier__code"],
            "procedure": row["dossier__procedure__name"],
            "applicant_name": row["dossier__applicant_name"],
            "status": row["dossier__status"],
            "version": row["dossier__version"],
            "step": row["order"],
            "step_name": row["name"],
            "started_at": _iso(row["started_at"], zone),
            "due_at": _iso(row["due_at"], zone),
            "appointment_at": _iso(row["dossier__appointment_at"], zone),
            "urgency": mark,
        }
        for row, mark in zip(page, marks, strict=True)
    ]
    return {"results": items, "next": next_page_url(request, cursor)}


# Component names in the shared OpenAPI schema: prefixed, so no other app's serializer clashes.
for _serializer in (
    ActiveStepSerializer,
    DossierStateSerializer,
    VersionSerializer,
    ReasonSerializer,
    AssignSerializer,
    ForwardSerializer,
    ApproveSignSerializer,
    SendBackSerializer,
    PaymentRequestSerializer,
    PaymentReceivedSerializer,
    ReturnSerializer,
    ResultUploadSerializer,
    ApologySerializer,
    SupplementAskSerializer,
    DecisionSerializer,
    ApologyOutSerializer,
    ActionResultSerializer,
    InPersonSerializer,
    InPersonDocSerializer,
    ReceptionResultSerializer,
    QueueItemSerializer,
    QueuePageSerializer,
):
    extend_schema_serializer(
        component_name="Onestop" + _serializer.__name__.removesuffix("Serializer")
    )(_serializer)

# --- the applicant's supplement answer -------------------------------------------------------


class SupplementView(APIView):
    """The applicant answers a supplement request (the dossier goes back to processing)."""

    permission_classes = [IsAuthenticatedActor]
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer(
                "Supplement",
                {
                    "files": serializers.ListField(child=serializers.FileField()),
                    "note": serializers.CharField(required=False),
                },
            )
        },
        responses=DossierSerializer,
    )
    def post(self, request: Request, code: str) -> Response:
        user = applicant_of(request)
        qs = visible_to(actor_from_request(request), Dossier.objects.all())
        dossier = get_object_or_404(qs, code=code)
        updated = services.provide_supplement(
            user=user,
            dossier=dossier,
            uploads=request.FILES.getlist("files"),
            note=str(request.data.get("note", "")),  # type: ignore[union-attr]
        )
        return Response(DossierSerializer(updated).data)


urlpatterns: list[URLPattern] = [
    path("onestop/queue/", QueueView.as_view(), name="api-onestop-queue"),
    path("onestop/dossiers/", InPersonReception.as_view(), name="api-onestop-receive-in-person"),
    path("onestop/dossiers/<str:code>/", DossierStateView.as_view(), name="api-onestop-dossier"),
    *[
        path(
            f"onestop/dossiers/<str:code>/{action.slug}/",
            _action_view(action).as_view(),
            name=f"api-onestop-{action.slug}",
        )
        for action in ACTIONS
    ],
    path(
        "onestop/apologies/<id:letter_id>/decision/",
        ApologyDecisionView.as_view(),
        name="api-onestop-apology-decision",
    ),
    path(
        "dossiers/<str:code>/supplements/", SupplementView.as_view(), name="api-dossier-supplement"
    ),
]
