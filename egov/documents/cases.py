"""Outgoing and incoming documents as case types of the kernel (egov.cases): their transition
tables, derived from the steps of services.py and incoming.py.

An action that keeps the state (adding an attachment to a draft, a unit starting its part) has
target None: its sources are the states where it is allowed. A document of another agency does
not exist for an official (404, as a list never shows it)."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models

from egov.cases import Action, CaseErrorCode, CaseType, Transition, TransitionRefused
from egov.core.errors import Conflict, NotAllowed
from egov.org.models import Official, Role

from .error_codes import DocumentErrorCode
from .event_types import INCOMING, OUTGOING
from .models import IncomingDocument, IncomingStatus, OutgoingDocument, OutgoingStatus

# Steps that came from the sender or the exchange run as the system (or as the clerk who typed
# in a paper document).
ARRIVAL = frozenset({"system", "official"})
# Steps the system also takes for a document it drafted for a signer (issue_on_signature).
OFFICIAL_OR_SYSTEM = frozenset({"system", "official"})


M = TypeVar("M", bound=models.Model)


class DocumentCaseType(CaseType[M]):
    """A case type with documents' own wording: the role refusals and the stale page say what
    the pages have always said."""

    def __init__(self, *, stale_message: str, role_refusals: dict[str, str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stale_message = stale_message
        self.role_refusals = role_refusals

    def stale(self) -> Conflict:
        return Conflict(self.stale_message, code=CaseErrorCode.STALE_VERSION)

    def check(self, transition: Transition, case: M, official: Official | None) -> None:
        if official is not None and official.agency_id != self.agency_id(case):
            raise self.not_found()
        try:
            super().check(transition, case, official)
        except NotAllowed:
            refusal = self.role_refusals.get(transition.action)
            if refusal is None:
                raise
            raise NotAllowed(refusal) from None


# Actions on a document already sent (edXML business types 1 and 2).
AFTER_SENDING = frozenset({"revoke", "send_update"})


class OutgoingCaseType(DocumentCaseType[OutgoingDocument]):
    def check(
        self, transition: Transition, case: OutgoingDocument, official: Official | None
    ) -> None:
        try:
            super().check(transition, case, official)
        except TransitionRefused:
            if transition.action not in AFTER_SENDING:
                raise
            # Say why in the clerk's terms, with a code a client can act on.
            if case.status == OutgoingStatus.REVOKED:
                message, code = "Văn bản đã được thu hồi.", DocumentErrorCode.ALREADY_REVOKED
            elif case.status == OutgoingStatus.REPLACED:
                message = "Văn bản đã bị thay thế bởi văn bản khác."
                code = DocumentErrorCode.NO_LONGER_CURRENT
            else:
                message = "Văn bản chưa được ban hành và gửi đi."
                code = DocumentErrorCode.NOT_SENT
            raise TransitionRefused(message, code=code) from None

    def event_payload(self, act: Action[OutgoingDocument]) -> dict[str, Any]:
        if act.transition.action == "mark_read":
            return {}  # a unit's reading is about the recipient, not the document's state
        return {"status": act.case.status, "subject": act.case.subject[:200]}


class IncomingCaseType(DocumentCaseType[IncomingDocument]):
    def event_payload(self, act: Action[IncomingDocument]) -> dict[str, Any]:
        return {"status": act.case.status, "document_id": act.case.document_id[:200]}


OUTGOING_DOCUMENT = OutgoingCaseType(
    name=OUTGOING,
    model=OutgoingDocument,
    noun="văn bản",
    related=("agency", "drafting_unit", "doc_type", "current_version"),
    stale_message=(
        "Văn bản vừa được người khác thay đổi. Vui lòng tải lại trang và thực hiện lại."
    ),
    role_refusals={
        "sign": "Chỉ lãnh đạo cơ quan được ký văn bản.",
        "issue": "Chỉ văn thư cơ quan được cấp số và ban hành văn bản.",
        "send": "Chỉ văn thư cơ quan được gửi văn bản.",
        "revoke": "Chỉ văn thư cơ quan được thu hồi văn bản đã gửi.",
        "send_update": "Chỉ văn thư cơ quan được cập nhật văn bản đã gửi.",
        "replaced": "Chỉ văn thư cơ quan được gửi văn bản thay thế.",
    },
    transitions=[
        # Creation: no source state, the row is made by the action (services.create_draft).
        Transition("draft", "Soạn thảo", frozenset(), OutgoingStatus.DRAFT),
        # A result drafted by the system (a consultation's) and put straight to its signer.
        Transition(
            "draft_for_signature",
            "Soạn và trình ký",
            frozenset(),
            OutgoingStatus.APPROVED,
            by=OFFICIAL_OR_SYSTEM,
        ),
        Transition("update_draft", "Sửa dự thảo", frozenset({OutgoingStatus.DRAFT})),
        Transition(
            "upload_version",
            "Tải lên phiên bản mới",
            frozenset({OutgoingStatus.DRAFT, OutgoingStatus.IN_REVIEW}),
        ),
        Transition("add_attachment", "Thêm tệp đính kèm", frozenset({OutgoingStatus.DRAFT})),
        Transition("remove_attachment", "Bỏ tệp đính kèm", frozenset({OutgoingStatus.DRAFT})),
        Transition(
            "submit", "Trình duyệt", frozenset({OutgoingStatus.DRAFT}), OutgoingStatus.IN_REVIEW
        ),
        Transition(
            "review",
            "Cho ý kiến",
            frozenset({OutgoingStatus.IN_REVIEW}),
            outcomes=frozenset(
                {OutgoingStatus.DRAFT, OutgoingStatus.IN_REVIEW, OutgoingStatus.APPROVED}
            ),
        ),
        Transition(
            "sign",
            "Ký số",
            frozenset({OutgoingStatus.APPROVED}),
            OutgoingStatus.SIGNED,
            role=Role.LEADER,
        ),
        Transition(
            "issue",
            "Ban hành",
            frozenset({OutgoingStatus.SIGNED}),
            OutgoingStatus.ISSUED,
            role=Role.CLERK,
            by=OFFICIAL_OR_SYSTEM,
        ),
        # A failed delivery keeps the state; the clerk sends again.
        Transition(
            "send",
            "Gửi văn bản",
            frozenset({OutgoingStatus.ISSUED, OutgoingStatus.SENT}),
            role=Role.CLERK,
            outcomes=frozenset({OutgoingStatus.SENT}),
            by=OFFICIAL_OR_SYSTEM,
        ),
        Transition(
            "mark_read",
            "Xem văn bản",
            frozenset(
                {
                    OutgoingStatus.ISSUED,
                    OutgoingStatus.SENT,
                    OutgoingStatus.REVOKED,
                    OutgoingStatus.REPLACED,
                }
            ),
        ),
        # After sending: revoke (BussinessDocType 1), send an update (2); a document replaced
        # by a new one (3) is marked when the new one is sent.
        # Revoked from some recipients only, the document stays sent.
        Transition(
            "revoke",
            "Thu hồi",
            frozenset({OutgoingStatus.SENT}),
            role=Role.CLERK,
            outcomes=frozenset({OutgoingStatus.SENT, OutgoingStatus.REVOKED}),
        ),
        Transition("send_update", "Cập nhật", frozenset({OutgoingStatus.SENT}), role=Role.CLERK),
        Transition(
            "replaced",
            "Thay thế",
            frozenset({OutgoingStatus.ISSUED, OutgoingStatus.SENT}),
            OutgoingStatus.REPLACED,
            role=Role.CLERK,
        ),
    ],
)


INCOMING_DOCUMENT = IncomingCaseType(
    name=INCOMING,
    model=IncomingDocument,
    noun="văn bản đến",
    related=("agency",),
    stale_message=(
        "Văn bản đến vừa được người khác thay đổi. Vui lòng tải lại trang và thực hiện lại."
    ),
    role_refusals={
        "register": "Chỉ văn thư cơ quan được vào sổ văn bản đến.",
        "reject": "Chỉ văn thư cơ quan được từ chối văn bản đến.",
        "assign": "Chỉ lãnh đạo cơ quan được cho ý kiến chỉ đạo và giao xử lý.",
        "complete": "Chỉ lãnh đạo cơ quan được kết thúc xử lý văn bản đến.",
    },
    transitions=[
        # Creation by the exchange (or the clerk for paper): incoming.receive.
        Transition("receive", "Tiếp nhận", frozenset(), IncomingStatus.RECEIVED, by=ARRIVAL),
        # The sender's business types (edXML BussinessDocType 1, 2, 3).
        Transition(
            "replace", "Thay thế", frozenset(IncomingStatus), IncomingStatus.REPLACED, by=ARRIVAL
        ),
        Transition(
            "revoke",
            "Thu hồi",
            frozenset(IncomingStatus) - {IncomingStatus.REVOKED},
            IncomingStatus.REVOKED,
            by=ARRIVAL,
        ),
        Transition("update", "Cập nhật", frozenset(IncomingStatus), by=ARRIVAL),
        Transition(
            "register",
            "Vào sổ",
            frozenset({IncomingStatus.RECEIVED}),
            IncomingStatus.REGISTERED,
            role=Role.CLERK,
        ),
        Transition(
            "reject",
            "Từ chối",
            frozenset({IncomingStatus.RECEIVED}),
            IncomingStatus.REJECTED,
            role=Role.CLERK,
        ),
        # Assigning only units informed completes the document at once.
        Transition(
            "assign",
            "Giao xử lý",
            frozenset({IncomingStatus.REGISTERED, IncomingStatus.ASSIGNED}),
            role=Role.LEADER,
            outcomes=frozenset({IncomingStatus.ASSIGNED, IncomingStatus.COMPLETED}),
        ),
        Transition(
            "start_assignment",
            "Nhận xử lý",
            frozenset(
                {
                    IncomingStatus.RECEIVED,
                    IncomingStatus.REGISTERED,
                    IncomingStatus.ASSIGNED,
                    IncomingStatus.PROCESSING,
                }
            ),
            outcomes=frozenset({IncomingStatus.PROCESSING}),
        ),
        Transition(
            "report_assignment",
            "Báo cáo kết quả",
            frozenset(
                {
                    IncomingStatus.RECEIVED,
                    IncomingStatus.REGISTERED,
                    IncomingStatus.ASSIGNED,
                    IncomingStatus.PROCESSING,
                }
            ),
            outcomes=frozenset({IncomingStatus.PROCESSING, IncomingStatus.COMPLETED}),
        ),
        Transition(
            "complete",
            "Kết thúc xử lý",
            frozenset(
                {IncomingStatus.REGISTERED, IncomingStatus.ASSIGNED, IncomingStatus.PROCESSING}
            ),
            IncomingStatus.COMPLETED,
            role=Role.LEADER,
        ),
    ],
)
