"""Written consultation, the acceptance case: seven members, four agree, two disagree, one does
not answer by the deadline, sent on a Thursday with the deadline running across a weekend and a
holiday; reminders once; the tally passes (more than half of 7 = 4) and the result is issued
as a numbered, signed notice; every signed sheet and the result validate with pyHanko and
pdfsig. Ties follow the chair."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from egov.core.errors import DomainError
from egov.documents.models import OutgoingStatus
from egov.documents.registers import build_register
from egov.events.models import Event, OutboxMessage
from egov.meetings.models import Consultation, ConsultationStatus
from egov.meetings.services import consultations
from egov.signing.services import make_demo_hierarchy, pdfsig_report, validate_pdf

from .conftest import actor
from .consultation_helpers import answer, certify_everyone, prepare, totp_for

pytestmark = pytest.mark.django_db

VN = ZoneInfo("Asia/Ho_Chi_Minh")
# Thursday 31/12/2026; Friday 1/1/2027 is New Year's Day (holidays.Vietnam), then a weekend.
SENT = datetime(2026, 12, 31, 10, 0, tzinfo=VN)


@pytest.fixture(autouse=True)
def media(tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(scope="module")
def hierarchy():  # type: ignore[no-untyped-def]
    return make_demo_hierarchy()


def _read(field) -> bytes:  # type: ignore[no-untyped-def]
    with field.open("rb") as handle:
        return bytes(handle.read())


def _notices(prefix: str) -> list[str]:
    return list(
        OutboxMessage.objects.filter(
            topic="meeting_notice", idempotency_key__startswith=prefix
        ).values_list("idempotency_key", flat=True)
    )


def test_seven_members_across_a_weekend_and_a_holiday(board, hierarchy) -> None:  # type: ignore[no-untyped-def]
    certify_everyone(hierarchy)
    chair = board.chair
    agree = [chair, *board.members[:3]]
    disagree = board.members[3:5]
    silent = board.members[5]
    with time_machine.travel(SENT, tick=True):
        consultation = prepare(board, board.voters, days=3)
        assert consultation.status == ConsultationStatus.DRAFT
        consultations.send_consultation(actor=actor(chair), consultation=consultation)
        consultation.refresh_from_db()
        # Fri 1/1 (holiday), Sat 2, Sun 3 skipped: Mon 4 (1), Tue 5 (2), Wed 6 (3), end of day.
        assert consultation.deadline_at == datetime(2027, 1, 6, 17, 0, tzinfo=VN)
        assert consultation.deadline_at.utcoffset().total_seconds() == 0  # stored in UTC
        assert consultation.deadline_at.hour == 10
        assert len(_notices(f"consultation:{consultation.pk}:sent:")) == 7

        for official in agree:
            answer(consultation, official, "agree")
        answer(consultation, disagree[0], "disagree", "Cần bổ sung nguồn kinh phí.")
        answer(consultation, disagree[1], "disagree")

    # One working day before the deadline (Tuesday 5/1 morning): the one who has not answered.
    with time_machine.travel(datetime(2027, 1, 5, 8, 0, tzinfo=VN), tick=True):
        assert consultations.send_reminders() == 1
        assert consultations.send_reminders() == 0
    before = _notices(f"consultation:{consultation.pk}:remind:before_deadline:")
    assert before == [f"consultation:{consultation.pk}:remind:before_deadline:{silent.pk}:inapp"]

    # After the deadline: the answer is refused and nothing changes.
    with time_machine.travel(datetime(2027, 1, 6, 17, 5, tzinfo=VN), tick=True):
        consultation.refresh_from_db()
        version = consultation.version
        with pytest.raises(DomainError) as refused:
            answer(consultation, silent, "agree")
        assert refused.value.code == "deadline_passed"
        consultation.refresh_from_db()
        assert consultation.version == version
        assert consultation.members.get(official=silent).answered_at is None
        # The overdue reminder, once; then the worker closes.
        assert consultations.send_reminders() == 1
        assert consultations.send_reminders() == 0
        closed = consultations.close_due()
        assert [c.pk for c in closed] == [consultation.pk]
        assert consultations.close_due() == []

        consultation.refresh_from_db()
        assert consultation.status == ConsultationStatus.CLOSED
        result = consultation.result
        assert (result["agree"], result["disagree"], result["not_answered"]) == (4, 2, 1)
        assert result["outcome"]["needed"] == 4 and consultation.passed is True
        document = consultation.result_document
        assert document.status == OutgoingStatus.APPROVED and document.signer_id == chair.pk
        assert document.doc_type.abbreviation == "TB"
        assert "4 đồng ý, 2 không đồng ý" in document.content
        assert consultation.rule.legal_source[:40] in document.content

        # The chair signs ("Ký ban hành"): numbered and sealed by the system, no clerk step.
        consultations.sign_result(
            actor=actor(chair), consultation=consultation, second_factor=totp_for(chair)
        )
        consultation.refresh_from_db()
        document.refresh_from_db()
        assert consultation.status == ConsultationStatus.ISSUED
        assert document.symbol == "01/TB-UBND"
        assert document.status in (OutgoingStatus.ISSUED, OutgoingStatus.SENT)
        assert document.issued_by is None
        assert Event.objects.filter(
            subject_type="consultation",
            subject_id=str(consultation.pk),
            event_type="consultation.issued",
        ).exists()
        day = timezone.localtime(document.issued_at).date()
        register = build_register("di", board.agency, day, day)
        assert "Hệ thống (tự động)" in register.rows[0][-1]

        # Every signed sheet and the result validate with pyHanko and pdfsig.
        for member in consultation.members.exclude(answered_at=None):
            pdf = _read(member.signed_ballot)
            import hashlib

            assert hashlib.sha256(pdf).hexdigest() == member.signed_sha256
            check = validate_pdf(pdf)
            assert check.valid, check.errors
            assert len(check.signatures) == 1
            report = pdfsig_report(pdf)
            assert report.count("Signature Validation: Signature is Valid.") == 1, report
        issued = _read(document.current_version.file)
        check = validate_pdf(issued)
        assert check.valid, check.errors
        assert len(check.signatures) == 2  # the chair's, then the agency's seal
        report = pdfsig_report(issued)
        assert report.count("Signature Validation: Signature is Valid.") == 2, report


def _tie(board, chair_answer: str) -> Consultation:  # type: ignore[no-untyped-def]
    chair = board.chair
    people = [chair, *board.members[:5]]
    consultation = prepare(board, people, days=5)
    consultations.send_consultation(actor=actor(chair), consultation=consultation)
    for official in board.members[:2]:
        answer(consultation, official, "agree")
    for official in board.members[2:4]:
        answer(consultation, official, "disagree")
    other = "disagree" if chair_answer == "agree" else "agree"
    answer(consultation, board.members[4], other)
    answer(consultation, chair, chair_answer)
    return consultations.close_consultation(actor=actor(chair), consultation=consultation)


def test_a_tie_with_the_chair_agreeing_passes(board, hierarchy) -> None:  # type: ignore[no-untyped-def]
    certify_everyone(hierarchy)
    consultation = _tie(board, "agree")
    consultation.refresh_from_db()
    outcome = consultation.result["outcome"]
    assert (consultation.result["agree"], consultation.result["disagree"]) == (3, 3)
    assert outcome["tie"] and outcome["decided_by_chair"] and consultation.passed is True
    assert consultation.status == ConsultationStatus.CLOSED
    assert "THÔNG QUA" in consultation.result_document.content


def test_a_tie_with_the_chair_disagreeing_fails(board, hierarchy) -> None:  # type: ignore[no-untyped-def]
    certify_everyone(hierarchy)
    consultation = _tie(board, "disagree")
    consultation.refresh_from_db()
    assert (consultation.result["agree"], consultation.result["disagree"]) == (3, 3)
    assert consultation.result["outcome"]["decided_by_chair"] and consultation.passed is False
    assert "KHÔNG THÔNG QUA" in consultation.result_document.content


def test_a_comment_counts_for_neither_side(board, hierarchy) -> None:  # type: ignore[no-untyped-def]
    certify_everyone(hierarchy)
    people = [board.chair, *board.members[:2]]
    consultation = prepare(board, people, days=2, result_kind="decision")
    consultations.send_consultation(actor=actor(board.chair), consultation=consultation)
    answer(consultation, board.chair, "agree")
    answer(consultation, board.members[0], "comment", "Đề nghị làm rõ chỉ tiêu.")
    with pytest.raises(DomainError) as refused:
        answer(consultation, board.members[1], "comment", "")
    assert refused.value.code == "consultation_invalid"
    answer(consultation, board.members[1], "agree")
    consultation = consultations.close_consultation(
        actor=actor(board.chair), consultation=consultation
    )
    consultation.refresh_from_db()
    assert consultation.result["comment"] == 1
    assert consultation.result["outcome"]["counts"] == {"for": 2, "against": 0, "abstain": 1}
    assert consultation.passed is True  # 2 of 3: more than half
    assert consultation.result_document.doc_type.abbreviation == "QĐ"
    assert "Đề nghị làm rõ chỉ tiêu." in consultation.result_document.content
