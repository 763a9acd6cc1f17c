"""The case types of meetings and written consultations (egov.cases kernel).

Unlike dossiers and documents, who may act is decided by the case itself (the meeting's chair,
secretary and members; the consultation's chair and members), not by the official's roles in
their agency: a transition's `role` names one of the roles of access.py, and `roles_of` says
which an official holds on a given case. A case the actor has no role on is not found (the
refusal never tells that it exists).
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models

from egov.cases import Action, CaseType, Transition
from egov.core.actors import Actor
from egov.core.errors import NotAllowed
from egov.org.models import Official

from . import access
from . import event_types as et
from .models import (
    Conclusion,
    ConclusionStatus,
    Consultation,
    ConsultationStatus,
    Meeting,
    MeetingStatus,
    Minutes,
    MinutesStatus,
    Task,
    TaskStatus,
    Vote,
    VoteStatus,
)

M = TypeVar("M", bound=models.Model)

SYSTEM = frozenset({"system"})
OFFICIAL_OR_SYSTEM = frozenset({"official", "system"})

ROLE_LABELS = {
    access.ORGANISER: "văn phòng tổ chức cuộc họp",
    access.CHAIR: "chủ trì",
    access.SECRETARY: "thư ký cuộc họp",
    access.PRESIDING: "chủ trì hoặc thư ký cuộc họp",
    access.PARTICIPANT: "người được mời dự họp",
    access.VOTER: "thành viên có quyền biểu quyết",
    access.MEMBER: "thành viên được lấy ý kiến",
    "assignee": "người được giao nhiệm vụ",
}


class RoleCaseType(CaseType[M]):
    """A case type whose roles come from the case (see the module docstring)."""

    def roles_of(self, official: Official, case: M) -> frozenset[str]:
        raise NotImplementedError

    def visible(self, actor: Actor, case: M) -> bool:
        if actor.is_operator:
            return True
        if actor.kind != "official" or actor.user_id is None:
            return False
        official = Official.of_user(actor.user_id)
        return official is not None and bool(self.roles_of(official, case))

    def check(self, transition: Transition, case: M, official: Official | None) -> None:
        role = transition.role
        # The state first (as the kernel does), then the case role.
        super().check(
            Transition(transition.action, transition.label, transition.sources), case, official
        )
        if role and official is not None and role not in self.roles_of(official, case):
            raise NotAllowed(
                f"Thao tác “{transition.label.lower()}” dành cho {ROLE_LABELS.get(role, role)}."
            )


class MeetingCaseType(RoleCaseType[Meeting]):
    def roles_of(self, official: Official, case: Meeting) -> frozenset[str]:
        return access.meeting_roles(official, case)

    def event_payload(self, act: Action[Meeting]) -> dict[str, Any]:
        return {"status": act.case.status, "title": act.case.title}


class VoteCaseType(RoleCaseType[Vote]):
    def roles_of(self, official: Official, case: Vote) -> frozenset[str]:
        return access.meeting_roles(official, case.meeting)

    def agency_id(self, case: Vote) -> int | None:
        return case.meeting.agency_id

    def event_payload(self, act: Action[Vote]) -> dict[str, Any]:
        vote = act.case
        return {
            "status": vote.status,
            "question": vote.question,
            "meeting": vote.meeting_id,
            "item": vote.item_id,
        }


class ConsultationCaseType(RoleCaseType[Consultation]):
    def roles_of(self, official: Official, case: Consultation) -> frozenset[str]:
        return access.consultation_roles(official, case)

    def event_payload(self, act: Action[Consultation]) -> dict[str, Any]:
        return {"status": act.case.status, "title": act.case.title}


class MinutesCaseType(RoleCaseType[Minutes]):
    def roles_of(self, official: Official, case: Minutes) -> frozenset[str]:
        return access.meeting_roles(official, case.meeting)

    def agency_id(self, case: Minutes) -> int | None:
        return case.meeting.agency_id

    def event_payload(self, act: Action[Minutes]) -> dict[str, Any]:
        return {"status": act.case.status, "meeting": act.case.meeting_id}


class ConclusionCaseType(RoleCaseType[Conclusion]):
    def roles_of(self, official: Official, case: Conclusion) -> frozenset[str]:
        return access.meeting_roles(official, case.meeting)

    def agency_id(self, case: Conclusion) -> int | None:
        return case.meeting.agency_id

    def event_payload(self, act: Action[Conclusion]) -> dict[str, Any]:
        return {"status": act.case.status, "meeting": act.case.meeting_id}


class TaskCaseType(RoleCaseType[Task]):
    def roles_of(self, official: Official, case: Task) -> frozenset[str]:
        roles = set(access.meeting_roles(official, case.conclusion.meeting))
        if case.assignee_id == official.pk or (
            case.assignee_id is None and official.agency_id == case.assignee_agency_id
        ):
            roles.add("assignee")
        return frozenset(roles)

    def agency_id(self, case: Task) -> int | None:
        return case.conclusion.meeting.agency_id

    def event_payload(self, act: Action[Task]) -> dict[str, Any]:
        task = act.case
        return {
            "status": task.status,
            "title": task.title,
            "meeting": task.conclusion.meeting_id,
            "due_at": task.due_at,
        }


S = MeetingStatus
OPEN_MEETING = frozenset({S.DRAFT, S.PUBLISHED})
ANSWERABLE = frozenset({S.PUBLISHED, S.IN_SESSION})

MEETING = MeetingCaseType(
    name=et.MEETING,
    model=Meeting,
    noun="cuộc họp",
    related=("agency",),
    transitions=[
        Transition("create", "Tạo cuộc họp", frozenset(), S.DRAFT),
        # Details, time and place, participants, agenda: kept in the state they are in; a
        # published meeting's changes go out with "republish".
        Transition("edit", "Sửa thông tin cuộc họp", OPEN_MEETING, role=access.ORGANISER),
        Transition(
            "edit_participants", "Sửa thành phần dự họp", OPEN_MEETING, role=access.ORGANISER
        ),
        Transition("edit_agenda", "Sửa chương trình họp", OPEN_MEETING, role=access.ORGANISER),
        Transition(
            "add_material", "Thêm tài liệu", OPEN_MEETING | {S.IN_SESSION}, role=access.ORGANISER
        ),
        Transition(
            "withdraw_material",
            "Rút tài liệu",
            OPEN_MEETING | {S.IN_SESSION},
            role=access.ORGANISER,
        ),
        Transition(
            "publish", "Gửi giấy mời", frozenset({S.DRAFT}), S.PUBLISHED, role=access.ORGANISER
        ),
        Transition(
            "republish", "Gửi thông báo thay đổi", frozenset({S.PUBLISHED}), role=access.ORGANISER
        ),
        Transition("cancel", "Hủy cuộc họp", OPEN_MEETING, S.CANCELLED, role=access.ORGANISER),
        Transition("remind", "Nhắc lịch họp", frozenset({S.PUBLISHED}), by=SYSTEM),
        # Answers can change until the meeting opens (then presence is what counts).
        Transition("answer", "Trả lời giấy mời", frozenset({S.PUBLISHED}), role=access.PARTICIPANT),
        Transition("record_presence", "Điểm danh", ANSWERABLE, role=access.PRESIDING),
        Transition(
            "open", "Khai mạc", frozenset({S.PUBLISHED}), S.IN_SESSION, role=access.PRESIDING
        ),
        Transition(
            "start_item", "Chuyển nội dung", frozenset({S.IN_SESSION}), role=access.PRESIDING
        ),
        Transition("request_to_speak", "Đăng ký phát biểu", ANSWERABLE, role=access.PARTICIPANT),
        Transition(
            "withdraw_request", "Rút đăng ký phát biểu", ANSWERABLE, role=access.PARTICIPANT
        ),
        Transition(
            "call_speaker", "Mời phát biểu", frozenset({S.IN_SESSION}), role=access.PRESIDING
        ),
        Transition(
            "finish_speaker", "Kết thúc phát biểu", frozenset({S.IN_SESSION}), role=access.PRESIDING
        ),
        Transition(
            "close_speakers", "Dừng nhận đăng ký phát biểu", ANSWERABLE, role=access.PRESIDING
        ),
        Transition("close", "Bế mạc", frozenset({S.IN_SESSION}), S.CLOSED, role=access.PRESIDING),
    ],
)

V = VoteStatus
VOTE = VoteCaseType(
    name=et.VOTE,
    model=Vote,
    noun="biểu quyết",
    related=("meeting",),
    transitions=[
        Transition("create", "Tạo biểu quyết", frozenset(), V.DRAFT),
        Transition("open", "Mở biểu quyết", frozenset({V.DRAFT}), V.OPEN, role=access.CHAIR),
        # Eligibility (member present, absent where the rule allows, delegate) is votes.py's.
        Transition("cast", "Biểu quyết", frozenset({V.OPEN}), role=access.PARTICIPANT),
        Transition(
            "close", "Kết thúc biểu quyết", frozenset({V.OPEN}), V.CLOSED, role=access.CHAIR
        ),
        Transition(
            "cancel", "Hủy biểu quyết", frozenset({V.DRAFT, V.OPEN}), V.CANCELLED, role=access.CHAIR
        ),
    ],
)

C = ConsultationStatus
CONSULTATION = ConsultationCaseType(
    name=et.CONSULTATION,
    model=Consultation,
    noun="phiếu lấy ý kiến",
    related=("agency",),
    transitions=[
        Transition("create", "Tạo phiếu lấy ý kiến", frozenset(), C.DRAFT),
        Transition("edit", "Sửa phiếu lấy ý kiến", frozenset({C.DRAFT}), role=access.ORGANISER),
        Transition("send", "Gửi lấy ý kiến", frozenset({C.DRAFT}), C.OPEN, role=access.CHAIR),
        Transition("answer", "Trả lời phiếu lấy ý kiến", frozenset({C.OPEN}), role=access.MEMBER),
        Transition("remind", "Nhắc trả lời", frozenset({C.OPEN}), by=SYSTEM),
        # At the deadline (the worker), or earlier by the chair once every member answered.
        Transition(
            "close",
            "Tổng hợp ý kiến",
            frozenset({C.OPEN}),
            C.CLOSED,
            role=access.CHAIR,
            by=OFFICIAL_OR_SYSTEM,
        ),
        Transition(
            "draft_result", "Soạn văn bản kết quả", frozenset({C.CLOSED}), by=OFFICIAL_OR_SYSTEM
        ),
        Transition(
            "issue", "Ban hành kết quả", frozenset({C.CLOSED}), C.ISSUED, by=OFFICIAL_OR_SYSTEM
        ),
        Transition(
            "cancel", "Hủy lấy ý kiến", frozenset({C.DRAFT, C.OPEN}), C.CANCELLED, role=access.CHAIR
        ),
    ],
)

MS = MinutesStatus
MINUTES = MinutesCaseType(
    name=et.MINUTES,
    model=Minutes,
    noun="biên bản họp",
    related=("meeting",),
    transitions=[
        Transition("create", "Lập biên bản", frozenset(), MS.DRAFT),
        Transition("write", "Ghi biên bản", frozenset({MS.DRAFT}), role=access.SECRETARY),
        Transition(
            "submit", "Trình ký biên bản", frozenset({MS.DRAFT}), MS.SIGNING, role=access.SECRETARY
        ),
        Transition(
            "reopen", "Sửa lại biên bản", frozenset({MS.SIGNING}), MS.DRAFT, role=access.SECRETARY
        ),
        Transition(
            "sign",
            "Ký biên bản",
            frozenset({MS.SIGNING}),
            role=access.PRESIDING,
            outcomes=frozenset({MS.SIGNING, MS.SIGNED}),
        ),
    ],
)

CS = ConclusionStatus
CONCLUSION = ConclusionCaseType(
    name=et.CONCLUSION,
    model=Conclusion,
    noun="thông báo kết luận",
    related=("meeting",),
    transitions=[
        Transition("create", "Soạn thông báo kết luận", frozenset(), CS.DRAFT),
        Transition("edit", "Sửa thông báo kết luận", frozenset({CS.DRAFT}), role=access.PRESIDING),
        # The secretary drafts the notice in the documents app and submits it to the chair
        # (the chair cannot review a draft of their own there).
        Transition(
            "submit",
            "Trình ký thông báo kết luận",
            frozenset({CS.DRAFT}),
            CS.SUBMITTED,
            role=access.SECRETARY,
        ),
        # When the documents app issues the notice (a number and the agency's signature): its
        # listener or the reconciler, never a person.
        Transition(
            "issued",
            "Ban hành thông báo kết luận",
            frozenset({CS.SUBMITTED}),
            CS.ISSUED,
            by=SYSTEM,
        ),
    ],
)

TS = TaskStatus
TASK = TaskCaseType(
    name=et.TASK,
    model=Task,
    noun="nhiệm vụ",
    related=("conclusion", "conclusion__meeting"),
    transitions=[
        # Made when the conclusion notice is issued (the deadline runs from the issue date).
        Transition("assign", "Giao nhiệm vụ", frozenset(), TS.OPEN, by=SYSTEM),
        Transition("report", "Báo cáo tiến độ", frozenset({TS.OPEN}), role="assignee"),
        Transition(
            "complete", "Báo cáo hoàn thành", frozenset({TS.OPEN}), TS.DONE, role="assignee"
        ),
        Transition("cancel", "Hủy nhiệm vụ", frozenset({TS.OPEN}), TS.CANCELLED, role=access.CHAIR),
        Transition("remind", "Nhắc thực hiện", frozenset({TS.OPEN}), by=SYSTEM),
    ],
)
