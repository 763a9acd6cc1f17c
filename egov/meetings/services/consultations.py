"""Written consultation (lấy ý kiến thành viên bằng văn bản, phiếu lấy ý kiến).

The secretariat (or the chair) prepares a consultation on a draft outgoing document of the
agency; the chair sends it; each member answers agree / disagree / comment on a generated
answer sheet (PDF) that they sign with their personal key (PAdES), confirmed by a fresh
authenticator code; reminders go out one working day before the deadline and to the overdue; at
the deadline (or earlier, once all answered, by the chair) the tally is made under the
consultation's DecisionRule (rules.decide) and the result (a decision QĐ or a notice TB) is
drafted by the system and put to the chair for signature; the chair's signature numbers and
seals it (documents' `issue_on_signature`: no clerk step) and the consultation is ISSUED.

How answers count (rules.decide with the for/against/abstain options):
- "agree" (Đồng ý) is a vote for, "disagree" (Không đồng ý) a vote against;
- "comment" (Ý kiến khác) agrees with neither side: it counts as an abstention — it is an
  answer (it is in the votes cast, so a rule based on votes cast counts it in the base), but
  never towards passing; the comment itself is in the result document for the chair;
- a member who did not answer by the deadline is a non-answer, counted as the rule says
  (`DecisionRule.non_answer`: by default not counted as agreeing);
- on a tie, the chair's own answer decides when the chair is a member and the rule says so
  (`tie_break`; the default rule's source is in `DecisionRule.legal_source`); a chair who did
  not answer or commented gives no side, and the tie fails.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from egov.cases import Action, TransitionRefused, begin, perform
from egov.core.actors import SYSTEM, Actor
from egov.core.dates import local_text
from egov.core.errors import Conflict, DomainError, NotAllowed, NotFoundError
from egov.core.pdfrender import render_pdf
from egov.core.uploads import save_file
from egov.documents.models import OutgoingDocument, OutgoingStatus
from egov.documents.render import default_place
from egov.org.models import Agency, Official, Role
from egov.workcalendar.services import VN_TZ, WorkingCalendar

from .. import access, rules
from .. import event_types as et
from ..cases import CONSULTATION
from ..error_codes import MeetingErrorCode
from ..models import Consultation, ConsultationMember, ConsultationStatus, DecisionRule
from .notify import announce, notify

logger = logging.getLogger(__name__)

MAX_MEMBERS = 200
MAX_DEADLINE_DAYS = 30
# The drafts a consultation may be about: not yet signed (a signed or issued text is no
# longer a draft to ask about).
DRAFT_STATES = frozenset({OutgoingStatus.DRAFT, OutgoingStatus.IN_REVIEW, OutgoingStatus.APPROVED})
ANSWER_TO_OPTION = {
    ConsultationMember.Answer.AGREE: rules.FOR,
    ConsultationMember.Answer.DISAGREE: rules.AGAINST,
    ConsultationMember.Answer.COMMENT: rules.ABSTAIN,
}
RESULT_DOC_TYPES: dict[str, str] = {
    Consultation.ResultKind.DECISION: "quyet-dinh",
    Consultation.ResultKind.CONCLUSION: "thong-bao",
}


class ConsultationError(DomainError):
    code = MeetingErrorCode.CONSULTATION_INVALID


def _link(consultation: Consultation | int) -> str:
    pk = consultation if isinstance(consultation, int) else consultation.pk
    return reverse("meetings:consultation", args=[pk])


def _name(official: Official) -> str:
    return official.user.get_full_name() or official.user.username


def _position(official: Official) -> str:
    return official.position.name if official.position_id and official.position else ""


# --- the deadline ---------------------------------------------------------------------------------


def deadline_for(agency: Agency | int, sent_at: datetime, days: int) -> datetime:
    """The end of the working day `days` working days after sending, in the agency's working
    calendar (weekends, holidays and the agency's own days off skipped; a consultation sent
    after the end of a working day counts from the next one)."""
    return WorkingCalendar.for_agency(agency).add_working_days(sent_at, days)


def reminder_at(consultation: Consultation) -> datetime | None:
    """When the reminder "one working day before the deadline" is due: the start of the working
    day before the deadline's day — never on the day of sending (then at the start of the
    deadline's day)."""
    if consultation.deadline_at is None or consultation.sent_at is None:
        return None
    calendar = WorkingCalendar.for_agency(consultation.agency_id)
    deadline_day = timezone.localtime(consultation.deadline_at, VN_TZ).date()
    sent_day = timezone.localtime(consultation.sent_at, VN_TZ).date()
    day: date = deadline_day - timedelta(days=1)
    while not calendar.is_working_day(day) and day > sent_day:
        day -= timedelta(days=1)
    if day <= sent_day:
        day = deadline_day
    return datetime.combine(day, calendar.sessions.morning_start, VN_TZ)


# --- preparing ------------------------------------------------------------------------------------


def _in_tree(agency: Agency, root_id: int) -> bool:
    """Whether `agency` is the agency `root_id` or one under it (its departments...)."""
    seen: set[int] = set()
    current: Agency | None = agency
    while current is not None and current.pk not in seen:
        if current.pk == root_id:
            return True
        seen.add(current.pk)
        current = current.parent
    return False


def _default_rule() -> DecisionRule:
    rule = DecisionRule.objects.filter(is_default=True, is_active=True).first()
    if rule is None:
        raise ConsultationError("Chưa có quy tắc biểu quyết mặc định.")
    return rule


def _validate(
    official: Official,
    *,
    draft: OutgoingDocument | None,
    title: str,
    question: str,
    members: Sequence[Official],
    chair: Official | None,
    deadline_days: Any,
    result_kind: str,
    rule: DecisionRule | None,
) -> tuple[list[Official], int, DecisionRule]:
    errors: dict[str, list[str]] = {}
    if draft is None or draft.status not in DRAFT_STATES:
        errors["draft"] = ["Chọn một dự thảo văn bản chưa ký của cơ quan."]
    elif not (access.is_secretariat(official, draft.agency_id) or (chair and chair == official)):
        raise NotAllowed("Chỉ văn phòng của cơ quan hoặc người chủ trì được lấy ý kiến.")
    agency_id = draft.agency_id if draft is not None else official.agency_id
    if not (title or "").strip():
        errors["title"] = ["Nhập vấn đề lấy ý kiến."]
    elif len(title.strip()) > 300:
        errors["title"] = ["Tối đa 300 ký tự."]
    if not (question or "").strip():
        errors["question"] = ["Nhập câu hỏi xin ý kiến."]
    elif len(question.strip()) > 4000:
        errors["question"] = ["Tối đa 4000 ký tự."]
    if chair is None:
        errors["chair"] = ["Chọn người chủ trì."]
    else:
        chair = Official.objects.select_related("user").prefetch_related("roles").get(pk=chair.pk)
        if (
            chair.agency_id != agency_id
            or not chair.user.is_active
            or not chair.has_role(Role.LEADER)
        ):
            errors["chair"] = ["Người chủ trì phải là lãnh đạo của cơ quan (người ký kết quả)."]
    chosen = list(
        Official.objects.filter(pk__in={m.pk for m in members})
        .select_related("user", "agency__parent")
        .order_by("user__full_name", "pk")
    )
    if not chosen:
        errors["members"] = ["Chọn thành viên được lấy ý kiến."]
    elif len(chosen) > MAX_MEMBERS:
        errors["members"] = [f"Tối đa {MAX_MEMBERS} thành viên."]
    elif any(not m.user.is_active or not _in_tree(m.agency, agency_id) for m in chosen):
        errors["members"] = [
            "Thành viên phải là công chức đang làm việc của cơ quan hoặc cơ quan trực thuộc."
        ]
    try:
        days = int(deadline_days)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= MAX_DEADLINE_DAYS:
        errors["deadline_days"] = [f"Thời hạn từ 1 đến {MAX_DEADLINE_DAYS} ngày làm việc."]
    if result_kind not in Consultation.ResultKind.values:
        errors["result_kind"] = ["Chọn hình thức ban hành kết quả."]
    if rule is not None and not rule.is_active:
        errors["rule"] = ["Quy tắc biểu quyết không còn áp dụng."]
    if errors:
        raise ConsultationError(
            "Phiếu lấy ý kiến chưa hợp lệ, vui lòng kiểm tra các mục được đánh dấu.", fields=errors
        )
    return chosen, days, rule or _default_rule()


def create_consultation(
    *,
    actor: Actor,
    draft: OutgoingDocument | None,
    title: str,
    question: str,
    members: Sequence[Official],
    chair: Official | None,
    deadline_days: int,
    result_kind: str = Consultation.ResultKind.CONCLUSION,
    rule: DecisionRule | None = None,
) -> Consultation:
    """The secretariat (or the chair) prepares a consultation on a draft of the agency."""
    official = CONSULTATION.official_for(actor)
    chosen, days, rule = _validate(
        official,
        draft=draft,
        title=title,
        question=question,
        members=members,
        chair=chair,
        deadline_days=deadline_days,
        result_kind=result_kind,
        rule=rule,
    )
    assert draft is not None and chair is not None
    with begin(CONSULTATION, "create", actor=actor) as act:
        consultation = Consultation.objects.create(
            agency_id=draft.agency_id,
            title=title.strip(),
            question=question.strip(),
            draft=draft,
            chair=chair,
            created_by=official,
            rule=rule,
            result_kind=result_kind,
            deadline_days=days,
        )
        ConsultationMember.objects.bulk_create(
            [ConsultationMember(consultation=consultation, official=m) for m in chosen]
        )
        act.case = consultation
        act.record(et.CONSULTATION_CREATED)
    return consultation


# --- sending --------------------------------------------------------------------------------------


def send_consultation(
    *, actor: Actor, consultation: Consultation, expected_version: int | None = None
) -> Consultation:
    """The chair sends: the draft's current version is pinned, the deadline computed, and every
    member notified (in-app, e-mail, SMS) with the link to answer."""
    with perform(
        CONSULTATION,
        "send",
        actor=actor,
        case=consultation,
        expected_version=expected_version,
    ) as act:
        consultation = act.case
        draft = consultation.draft
        if draft.current_version_id is None:
            raise ConsultationError("Dự thảo chưa có tệp nội dung.", fields={"draft": ["Trống."]})
        now = timezone.now()
        consultation.draft_version_id = draft.current_version_id
        consultation.sent_at = now
        consultation.deadline_at = deadline_for(
            consultation.agency_id, now, consultation.deadline_days
        )
        act.save("draft_version", "sent_at", "deadline_at")
        members = list(consultation.members.select_related("official__user"))
        for member in members:
            notify(
                act,
                member.official,
                key=f"consultation:{consultation.pk}:sent:{member.official_id}",
                kind="consultation",
                title=f"Xin ý kiến: {consultation.title}",
                body=(
                    f"{_name(consultation.chair)} xin ý kiến của anh/chị về dự thảo "
                    f"“{draft.subject}”. Hạn trả lời: {local_text(consultation.deadline_at)}."
                ),
                link=_link(consultation),
            )
        act.record(
            et.CONSULTATION_SENT,
            members=len(members),
            deadline_at=consultation.deadline_at,
            deadline_days=consultation.deadline_days,
        )
    return consultation


# --- answering ------------------------------------------------------------------------------------


def sheet_context(
    consultation: Consultation, member: ConsultationMember, *, at: datetime | None
) -> dict[str, Any]:
    draft = consultation.draft
    version = consultation.draft_version
    official = member.official
    return {
        "consultation": consultation,
        "agency": consultation.agency,
        "draft": draft,
        "draft_reference": draft.symbol or f"Dự thảo {draft.doc_type.name.lower()} số {draft.pk}",
        "draft_version": version,
        "member_name": _name(official),
        "member_position": _position(official),
        "member_agency": official.agency.name,
        "answers": [
            (value, label, member.answer == value)
            for value, label in ConsultationMember.Answer.choices
        ],
        "comment": member.comment,
        "answered_at": local_text(at) if at else "",
        "date_text": _date_text(at),
        "deadline": local_text(consultation.deadline_at),
        "place": default_place(draft),  # "Quảng Ninh", as on the agency's documents
    }


def _date_text(at: datetime | None) -> str:
    if at is None:
        return "ngày … tháng … năm …"
    local = timezone.localtime(at, VN_TZ)
    return f"ngày {local.day:02d} tháng {local.month:02d} năm {local.year}"


def render_sheet(
    consultation: Consultation, member: ConsultationMember, *, at: datetime | None = None
) -> bytes:
    """The answer sheet (phiếu lấy ý kiến) as a PDF: blank when `at` is None (a preview)."""
    return render_pdf(
        "meetings/consultations/sheet_pdf.html", sheet_context(consultation, member, at=at)
    )


def _sign_sheet(pdf: bytes, official: Official, at: datetime) -> bytes:
    from egov.signing.services import Appearance, identity_for_official, sign_pdf

    appearance = Appearance(
        title=_position(official).upper() or "THÀNH VIÊN",
        full_name=_name(official),
        signing_time=at,
        reason="Trả lời phiếu lấy ý kiến",
    )
    return sign_pdf(
        pdf, identity=identity_for_official(official), role="personal", appearance=appearance
    )


def answer_consultation(
    *,
    actor: Actor,
    consultation: Consultation,
    answer: str,
    comment: str = "",
    second_factor: str,
) -> ConsultationMember:
    """A member answers: the sheet with their answer is generated and signed with their personal
    key, confirmed by a fresh authenticator code. Refused (nothing changed): after the deadline,
    a second answer, a non-member, a wrong code."""
    from egov.accounts.stepup import verify_second_factor

    with perform(CONSULTATION, "answer", actor=actor, case=consultation) as act:
        consultation, official = act.case, act.acting_official
        now = timezone.now()
        if consultation.deadline_at is not None and now > consultation.deadline_at:
            raise Conflict(
                f"Đã hết hạn trả lời phiếu lấy ý kiến ({local_text(consultation.deadline_at)}).",
                code=MeetingErrorCode.DEADLINE_PASSED,
            )
        member = (
            ConsultationMember.objects.select_for_update(of=("self",))
            .select_related("official__user", "official__position", "official__agency")
            .get(consultation=consultation, official=official)
        )
        if member.answered_at is not None:
            raise Conflict(
                "Anh/chị đã trả lời phiếu lấy ý kiến này; phiếu đã ký không sửa được.",
                code=MeetingErrorCode.ALREADY_ANSWERED,
            )
        comment = (comment or "").strip()
        if answer not in ConsultationMember.Answer.values:
            raise ConsultationError(
                "Chọn một ý kiến: đồng ý, không đồng ý hoặc ý kiến khác.",
                fields={"answer": ["Chọn ý kiến."]},
            )
        if answer == ConsultationMember.Answer.COMMENT and not comment:
            raise ConsultationError(
                "Ý kiến khác cần ghi rõ nội dung.", fields={"comment": ["Nhập ý kiến cụ thể."]}
            )
        if len(comment) > 4000:
            raise ConsultationError("Ý kiến tối đa 4000 ký tự.", fields={"comment": ["Quá dài."]})
        verify_second_factor(official.user, second_factor)
        member.answer = answer
        member.comment = comment
        pdf = _sign_sheet(render_sheet(consultation, member, at=now), member.official, now)
        save_file(member.signed_ballot, f"phieu-{member.pk}.pdf", pdf)
        member.signed_sha256 = hashlib.sha256(pdf).hexdigest()
        member.answered_at = now
        member.save(
            update_fields=["answer", "comment", "signed_ballot", "signed_sha256", "answered_at"]
        )
        act.save()
        act.record(
            et.CONSULTATION_ANSWERED,
            member=official.user.username,
            answer=answer,
            signed_sha256=member.signed_sha256,
        )
        if not consultation.members.filter(answered_at__isnull=True).exists():
            notify(
                act,
                consultation.chair,
                key=f"consultation:{consultation.pk}:all_answered",
                kind="consultation",
                title=f"Đã đủ ý kiến: {consultation.title}",
                body="Tất cả thành viên đã trả lời. Anh/chị có thể tổng hợp ý kiến trước hạn.",
                link=_link(consultation),
            )
    return member


# --- reminders ------------------------------------------------------------------------------------

BEFORE = "before_deadline"
OVERDUE = "overdue"


def _pending(consultation: Consultation, kind: str) -> Q:
    base = Q(consultation=consultation, answered_at__isnull=True)
    if kind == BEFORE:
        return base & Q(last_reminded_at__isnull=True)
    assert consultation.deadline_at is not None
    return base & (
        Q(last_reminded_at__isnull=True) | Q(last_reminded_at__lt=consultation.deadline_at)
    )


def _due_kind(consultation: Consultation, now: datetime) -> str | None:
    if consultation.deadline_at is None:
        return None
    if now > consultation.deadline_at:
        return OVERDUE
    due = reminder_at(consultation)
    if due is not None and now >= due:
        return BEFORE
    return None


def send_reminders(now: datetime | None = None) -> int:
    """Remind the members who have not answered: once from the working day before the
    deadline, once more when overdue (after the deadline, before the worker closes it). Each
    member gets each reminder once (their `last_reminded_at`, and the notices' idempotency
    keys). Returns the number of members reminded."""
    now = now or timezone.now()
    sent = 0
    for consultation in Consultation.objects.filter(
        status=ConsultationStatus.OPEN, deadline_at__isnull=False
    ):
        kind = _due_kind(consultation, now)
        if (
            kind is None
            or not ConsultationMember.objects.filter(_pending(consultation, kind)).exists()
        ):
            continue
        try:
            sent += _remind(consultation, kind, now)
        except (TransitionRefused, NotFoundError, _NoneToRemind):
            continue  # closed, withdrawn or answered meanwhile
    return sent


class _NoneToRemind(Exception):
    pass


def _remind(consultation: Consultation, kind: str, now: datetime) -> int:
    with perform(CONSULTATION, "remind", actor=SYSTEM, case=consultation) as act:
        consultation = act.case
        members = list(
            ConsultationMember.objects.select_for_update(of=("self",))
            .filter(_pending(consultation, kind))
            .select_related("official__user")
        )
        if not members:
            raise _NoneToRemind  # answered or reminded meanwhile: nothing to log
        deadline = local_text(consultation.deadline_at)
        for member in members:
            if kind == BEFORE:
                title = f"Nhắc trả lời phiếu lấy ý kiến: {consultation.title}"
                body = f"Hạn trả lời là {deadline}. Anh/chị chưa trả lời phiếu lấy ý kiến."
            else:
                title = f"Quá hạn trả lời phiếu lấy ý kiến: {consultation.title}"
                body = (
                    f"Đã hết hạn trả lời ({deadline}) mà anh/chị chưa trả lời. Ý kiến của "
                    "anh/chị được ghi là không trả lời khi tổng hợp."
                )
            notify(
                act,
                member.official,
                key=f"consultation:{consultation.pk}:remind:{kind}:{member.official_id}",
                kind="consultation_reminder",
                title=title,
                body=body,
                link=_link(consultation),
            )
            member.last_reminded_at = now
            member.save(update_fields=["last_reminded_at"])
        act.save()
        act.record(et.CONSULTATION_REMINDED, reminder=kind, recipients=len(members))
    return len(members)


# --- closing and the tally ------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    agree: int
    disagree: int
    comment: int
    not_answered: int
    members: int
    chair_choice: str | None
    outcome: rules.Outcome


def tally(consultation: Consultation) -> Tally:
    members = list(consultation.members.all())
    counts = {rules.FOR: 0, rules.AGAINST: 0, rules.ABSTAIN: 0}
    by_answer = {value: 0 for value in ConsultationMember.Answer.values}
    chair_choice: str | None = None
    not_answered = 0
    for member in members:
        if not member.answer:
            not_answered += 1
            continue
        by_answer[member.answer] += 1
        option = ANSWER_TO_OPTION[ConsultationMember.Answer(member.answer)]
        counts[option] += 1
        if member.official_id == consultation.chair_id and option in (rules.FOR, rules.AGAINST):
            chair_choice = option
    outcome = rules.decide(
        consultation.rule,
        counts=counts,
        members=len(members),
        chair_choice=chair_choice,
        non_answers=not_answered,
        in_meeting=False,
    )
    return Tally(
        agree=by_answer[ConsultationMember.Answer.AGREE],
        disagree=by_answer[ConsultationMember.Answer.DISAGREE],
        comment=by_answer[ConsultationMember.Answer.COMMENT],
        not_answered=not_answered,
        members=len(members),
        chair_choice=chair_choice,
        outcome=outcome,
    )


def _close(act: Action[Consultation], now: datetime) -> None:
    consultation = act.case
    result = tally(consultation)
    consultation.result = {
        "agree": result.agree,
        "disagree": result.disagree,
        "comment": result.comment,
        "not_answered": result.not_answered,
        "members": result.members,
        "chair_choice": result.chair_choice,
        "outcome": result.outcome.as_json(),
        "rule": consultation.rule.code,
        "legal_source": consultation.rule.legal_source,
    }
    consultation.passed = result.outcome.passed
    consultation.closed_at = now
    act.save("result", "passed", "closed_at")
    act.record(
        et.CONSULTATION_CLOSED,
        result=consultation.result,
        passed=result.outcome.passed,
        answered=result.members - result.not_answered,
        not_answered=result.not_answered,
    )


def close_consultation(
    *, actor: Actor, consultation: Consultation, expected_version: int | None = None
) -> Consultation:
    """The chair closes before the deadline once every member answered; the result document is
    then drafted for the chair's signature."""
    with perform(
        CONSULTATION, "close", actor=actor, case=consultation, expected_version=expected_version
    ) as act:
        consultation = act.case
        now = timezone.now()
        deadline_passed = consultation.deadline_at is not None and now > consultation.deadline_at
        if not deadline_passed and consultation.members.filter(answered_at__isnull=True).exists():
            raise ConsultationError(
                "Chưa hết hạn và còn thành viên chưa trả lời: chưa tổng hợp được ý kiến."
            )
        _close(act, now)
    return draft_result(consultation)


def close_due(now: datetime | None = None) -> list[Consultation]:
    """The worker: close every open consultation whose deadline passed, and carry on any
    closed one whose next step did not happen (result not drafted, signed but not issued,
    issued but not marked). Returns the consultations closed now."""
    now = now or timezone.now()
    closed: list[Consultation] = []
    for consultation in Consultation.objects.filter(
        status=ConsultationStatus.OPEN, deadline_at__lte=now
    ):
        try:
            with perform(CONSULTATION, "close", actor=SYSTEM, case=consultation) as act:
                _close(act, now)
        except (TransitionRefused, NotFoundError):
            continue
        closed.append(act.case)
    for consultation in Consultation.objects.filter(status=ConsultationStatus.CLOSED):
        try:
            _carry_on(consultation)
        except DomainError:
            logger.exception("consultation %s: next step failed", consultation.pk)
    return closed


def _carry_on(consultation: Consultation) -> None:
    document = consultation.result_document
    if document is None:
        draft_result(consultation)
    elif document.status == OutgoingStatus.SIGNED and document.issue_on_signature:
        from egov.documents.services import issue

        issue(actor=SYSTEM, document=document)  # its listener marks the consultation
    elif document.status in (OutgoingStatus.ISSUED, OutgoingStatus.SENT):
        on_result_issued(document.pk)


# --- the result document --------------------------------------------------------------------------


def result_content(consultation: Consultation) -> str:
    """The text of the result document (paragraphs separated by blank lines)."""
    result = consultation.result or {}
    outcome = result.get("outcome", {})
    draft = consultation.draft
    rule = consultation.rule
    passed = bool(consultation.passed)
    members = list(
        consultation.members.select_related("official__user", "official__position").order_by("pk")
    )
    lines = []
    if consultation.result_kind == Consultation.ResultKind.DECISION:
        lines.append(f"Căn cứ {rule.citation or rule.legal_source};")
        lines.append(
            f"Căn cứ kết quả lấy ý kiến thành viên bằng văn bản về “{consultation.title}”, "
            f"hạn trả lời {local_text(consultation.deadline_at)}."
        )
        lines.append("QUYẾT ĐỊNH:")
        verdict = "Thông qua" if passed else "Không thông qua"
        lines.append(f"Điều 1. {verdict} dự thảo “{draft.subject}”.")
        lines.append(
            f"Điều 2. Kết quả lấy ý kiến: {result.get('agree', 0)} đồng ý, "
            f"{result.get('disagree', 0)} không đồng ý, {result.get('comment', 0)} ý kiến khác, "
            f"{result.get('not_answered', 0)} không trả lời trên tổng số "
            f"{result.get('members', 0)} thành viên. {outcome.get('reason', '')}"
        )
        lines.append("Điều 3. Quyết định này có hiệu lực kể từ ngày ký.")
    else:
        lines.append(
            f"{consultation.agency.name} đã lấy ý kiến các thành viên bằng văn bản về "
            f"“{consultation.title}” (dự thảo “{draft.subject}”), hạn trả lời "
            f"{local_text(consultation.deadline_at)}."
        )
        lines.append(f"Nội dung xin ý kiến: {consultation.question}")
        lines.append(
            f"Kết quả: {result.get('agree', 0)} đồng ý, {result.get('disagree', 0)} không đồng "
            f"ý, {result.get('comment', 0)} ý kiến khác, {result.get('not_answered', 0)} không "
            f"trả lời trên tổng số {result.get('members', 0)} thành viên."
        )
        verdict = "THÔNG QUA" if passed else "KHÔNG THÔNG QUA"
        lines.append(f"Kết luận: {verdict}. {outcome.get('reason', '')}")
        lines.append(f"Căn cứ: {rule.citation or rule.legal_source}.")
    lines.append("Danh sách thành viên và ý kiến:")
    for index, member in enumerate(members, start=1):
        label = member.get_answer_display() if member.answer else "Không trả lời"
        position = _position(member.official)
        who = f"{_name(member.official)}" + (f", {position}" if position else "")
        text = f"- {index}. {who}: {label}"
        if member.comment:
            text += f" — {member.comment}"
        lines.append(text)
    return "\n\n".join(lines)


def draft_result(consultation: Consultation) -> Consultation:
    """The system drafts the result document and puts it to the chair for signature (one
    transaction with the consultation's step)."""
    from egov.documents.services import DraftInput, draft_for_signature

    with perform(CONSULTATION, "draft_result", actor=SYSTEM, case=consultation) as act:
        consultation = act.case
        if consultation.result_document_id is not None:
            raise Conflict(
                "Văn bản kết quả đã được soạn.", code=MeetingErrorCode.CONSULTATION_INVALID
            )
        kind = (
            "Quyết định"
            if consultation.result_kind == Consultation.ResultKind.DECISION
            else "Thông báo"
        )
        verdict = "thông qua" if consultation.passed else "không thông qua"
        data = DraftInput(
            doc_type=RESULT_DOC_TYPES[consultation.result_kind],
            subject=f"Kết quả lấy ý kiến thành viên về {consultation.title} ({verdict})"[:500],
            content=result_content(consultation),
        )
        document = draft_for_signature(
            actor=SYSTEM,
            data=data,
            signer=consultation.chair,
            drafted_by=consultation.created_by,
            origin=f"consultation:{consultation.pk}",
            durable=False,
        )
        consultation.result_document = document
        act.save("result_document")
        act.record(et.CONSULTATION_RESULT_DRAFTED, document=document.pk)
        notify(
            act,
            consultation.chair,
            key=f"consultation:{consultation.pk}:result_drafted",
            kind="consultation",
            title=f"Trình ký {kind.lower()} kết quả lấy ý kiến: {consultation.title}",
            body=(
                f"Kết quả: {verdict}. Văn bản kết quả đã được soạn; anh/chị ký để ban hành "
                "(hệ thống tự cấp số và ký số cơ quan)."
            ),
            link=_link(consultation),
        )
    return consultation


def sign_result(*, actor: Actor, consultation: Consultation, second_factor: str) -> Consultation:
    """The chair signs the result ("Ký ban hành"): documents' own signing with a fresh code;
    the document is then numbered and sealed by the system and the consultation is ISSUED."""
    from egov.documents.services import sign

    official = CONSULTATION.official_for(actor)
    consultation = Consultation.objects.select_related("result_document").get(pk=consultation.pk)
    roles = access.consultation_roles(official, consultation)
    if not roles:
        raise CONSULTATION.not_found()
    if access.CHAIR not in roles:
        raise NotAllowed("Chỉ người chủ trì được ký ban hành kết quả lấy ý kiến.")
    document = consultation.result_document
    if consultation.status != ConsultationStatus.CLOSED or document is None:
        raise Conflict(
            "Chưa có văn bản kết quả chờ ký.", code=MeetingErrorCode.CONSULTATION_INVALID
        )
    sign(actor=actor, document=document, second_factor=second_factor)
    consultation.refresh_from_db()
    return consultation


def on_result_issued(document_id: int) -> None:
    """documents' listener: the result document was issued (numbered and sealed)."""
    consultation = (
        Consultation.objects.filter(
            result_document_id=document_id, status=ConsultationStatus.CLOSED
        )
        .select_related("result_document")
        .first()
    )
    if consultation is None:
        return
    with perform(CONSULTATION, "issue", actor=SYSTEM, case=consultation) as act:
        consultation = act.case
        document = OutgoingDocument.objects.get(pk=document_id)
        act.save()
        announce(
            act, act.record(et.CONSULTATION_ISSUED, document=document.pk, symbol=document.symbol)
        )
        verdict = "thông qua" if consultation.passed else "không thông qua"
        people = {
            m.official_id: m.official for m in consultation.members.select_related("official__user")
        }
        people.setdefault(consultation.chair_id, consultation.chair)
        for official in people.values():
            notify(
                act,
                official,
                key=f"consultation:{consultation.pk}:issued:{official.pk}",
                kind="consultation",
                title=f"Kết quả lấy ý kiến ({verdict}): {consultation.title}",
                body=f"Đã ban hành văn bản số {document.symbol}.",
                link=_link(consultation),
            )


def cancel_consultation(
    *, actor: Actor, consultation: Consultation, expected_version: int | None = None
) -> Consultation:
    """The chair withdraws a consultation not yet closed."""
    with perform(
        CONSULTATION, "cancel", actor=actor, case=consultation, expected_version=expected_version
    ) as act:
        consultation = act.case
        was_sent = consultation.sent_at is not None
        act.save()
        act.record(et.CONSULTATION_CANCELLED)
        if was_sent:  # the members were asked: tell them it is withdrawn
            for member in consultation.members.select_related("official__user"):
                notify(
                    act,
                    member.official,
                    key=f"consultation:{consultation.pk}:cancelled:{member.official_id}",
                    kind="consultation",
                    title=f"Hủy lấy ý kiến: {consultation.title}",
                    body="Người chủ trì đã hủy việc lấy ý kiến này; không cần trả lời.",
                    link=_link(consultation),
                )
    return consultation


__all__ = [
    "ConsultationError",
    "Tally",
    "answer_consultation",
    "cancel_consultation",
    "close_consultation",
    "close_due",
    "create_consultation",
    "deadline_for",
    "draft_result",
    "on_result_issued",
    "reminder_at",
    "render_sheet",
    "send_consultation",
    "send_reminders",
    "sign_result",
    "tally",
]
