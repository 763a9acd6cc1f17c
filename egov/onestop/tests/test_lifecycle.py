"""A dossier's journey through the one-stop system, against the real working-day calendar."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from egov.core.errors import Conflict, DomainError, NotAllowed, NotFoundError
from egov.dossiers.models import Dossier, Status
from egov.dossiers.tests.conftest import pdf_upload
from egov.events.models import Event, OutboxMessage
from egov.onestop import services
from egov.onestop.models import ApologyLetter, DossierStep, StepStatus
from egov.onestop.services import provide_supplement
from egov.org.models import Role
from egov.workcalendar.services import WorkingCalendar

from .conftest import act, make_procedure

pytestmark = pytest.mark.django_db
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN)


def receive(staff, procedure, **kw):  # type: ignore[no-untyped-def]
    return services.receive_in_person(
        actor=act(staff.receiver),
        procedure_code=procedure.code,
        applicant=services.Applicant("citizen", "Lê Thị Hoa", "022195001234", "0912345678"),
        uploads={"to-khai": [pdf_upload("to-khai.pdf")]},
        **kw,
    )


def active(dossier: Dossier) -> DossierStep:
    return dossier.steps.get(status=StepStatus.ACTIVE)


def test_full_lifecycle_receive_four_steps_return(staff, procedure):
    with time_machine.travel(at(2026, 11, 23, 8, 0), tick=False):
        dossier = receive(staff, procedure)
    assert dossier.status == Status.PROCESSING and dossier.channel == 1
    # 4 working days after Monday 23/11/2026 (Tuesday 24/11 is Culture Day): due Mon 30/11 17:00.
    assert dossier.appointment_at == at(2026, 11, 30, 17, 0)
    step = active(dossier)
    assert (step.order, step.assignee, step.unit.name) == (2, staff.specialist, "Phòng Hộ tịch")
    # 2 days = 15 working hours from Mon 08:00: Mon 7 h, Tue is a holiday, Wed 7.5 h, Thu 0.5 h.
    assert step.due_at == at(2026, 11, 26, 8, 0)

    with time_machine.travel(at(2026, 11, 25, 10, 0), tick=False):
        services.forward(actor=act(staff.specialist), dossier=dossier, note="Hồ sơ hợp lệ")
    assert active(dossier).assignee == staff.head
    with time_machine.travel(at(2026, 11, 25, 14, 0), tick=False):
        services.forward(actor=act(staff.head), dossier=dossier.code)
    assert active(dossier).role == Role.LEADER
    with time_machine.travel(at(2026, 11, 26, 8, 0), tick=False):
        services.record_result(
            actor=act(staff.leader), dossier=dossier.code, upload=pdf_upload("ket-qua.pdf")
        )
        done = services.forward(actor=act(staff.leader), dossier=dossier.code, note="Đồng ý")
    assert done.status == Status.DONE and done.finished_at == at(2026, 11, 26, 8, 0)
    assert active(done).assignee == staff.receiver  # the return step
    with time_machine.travel(at(2026, 11, 26, 10, 0), tick=False):
        returned = services.return_result(actor=act(staff.receiver), dossier=dossier.code)
    assert returned.status == Status.RETURNED
    assert services.is_on_time(returned) is True
    types = list(Event.objects.filter(subject_id=dossier.code).values_list("event_type", flat=True))
    assert types == [
        "dossier.received",
        "dossier.step_started",
        "dossier.forwarded",
        "dossier.step_started",
        "dossier.forwarded",
        "dossier.step_started",
        "dossier.result_recorded",
        "dossier.approved",
        "dossier.done",
        "dossier.returned",
    ]
    assert all(s.on_time for s in returned.steps.exclude(status=StepStatus.PENDING))


def test_state_is_consistent_with_the_events(staff, procedure):
    dossier = receive(staff, procedure)
    services.forward(actor=act(staff.specialist), dossier=dossier)
    services.request_supplement(actor=act(staff.head), dossier=dossier, reason="Thiếu bản sao")
    dossier.refresh_from_db()
    replayed = None
    for payload in Event.objects.filter(subject_id=dossier.code).values_list("payload", flat=True):
        replayed = payload.get("status", replayed)
    assert replayed == dossier.status == Status.SUPPLEMENT_REQUESTED


def test_invalid_transition_is_refused_and_changes_nothing(staff, procedure):
    dossier = receive(staff, procedure)
    before = (dossier.version, Event.objects.count())
    with pytest.raises(DomainError, match="Đang xử lý"):
        services.return_result(actor=act(staff.receiver), dossier=dossier)
    dossier.refresh_from_db()
    assert (dossier.version, Event.objects.count()) == before


def test_only_the_holder_or_their_head_may_forward(staff, procedure):
    dossier = receive(staff, procedure)
    with pytest.raises(NotAllowed):
        services.forward(actor=act(staff.specialist2), dossier=dossier)
    with pytest.raises(NotAllowed):
        services.forward(actor=act(staff.receiver), dossier=dossier)
    services.assign(actor=act(staff.head), dossier=dossier, official_id=staff.specialist2.pk)
    with pytest.raises(NotAllowed):
        services.forward(actor=act(staff.specialist), dossier=dossier)
    services.forward(actor=act(staff.specialist2), dossier=dossier)


def test_leader_step_needs_the_leader_role(staff, procedure):
    dossier = receive(staff, procedure)
    services.forward(actor=act(staff.specialist), dossier=dossier)
    services.forward(actor=act(staff.head), dossier=dossier)
    with pytest.raises(NotAllowed):
        services.forward(actor=act(staff.head), dossier=dossier)
    assert Dossier.objects.get(pk=dossier.pk).status == Status.PROCESSING


def test_other_agency_cannot_act_or_see(staff, procedure, other_agency, make_official):
    dossier = receive(staff, procedure)
    stranger = make_official(other_agency, [Role.LEADER, Role.SPECIALIST])
    with pytest.raises(NotFoundError):
        services.forward(actor=act(stranger), dossier=dossier)
    with pytest.raises(NotFoundError):
        services.stop(actor=act(stranger), dossier=dossier, reason="x")


def test_stale_version_is_refused(staff, procedure):
    dossier = receive(staff, procedure)
    seen = dossier.version
    services.forward(actor=act(staff.specialist), dossier=dossier, version=seen)
    with pytest.raises(Conflict):
        services.forward(actor=act(staff.head), dossier=dossier, version=seen)


def test_send_back_reopens_the_earlier_step(staff, procedure):
    dossier = receive(staff, procedure)
    services.forward(actor=act(staff.specialist), dossier=dossier)
    services.send_back(actor=act(staff.head), dossier=dossier, to_order=2, reason="Sai tên")
    step = active(dossier)
    assert (step.order, step.assignee) == (2, staff.specialist)
    services.forward(actor=act(staff.specialist), dossier=dossier)
    assert active(dossier).role == Role.UNIT_HEAD
    with pytest.raises(DomainError):
        services.send_back(actor=act(staff.head), dossier=dossier, to_order=1, reason="x")


def test_supplement_pauses_the_clock_and_a_second_request_is_flagged(
    staff, procedure, make_citizen
):
    citizen = make_citizen(personal_id="022195001234")
    with time_machine.travel(at(2026, 11, 23, 8, 0), tick=False):
        dossier = receive(staff, procedure)
        Dossier.objects.filter(pk=dossier.pk).update(applicant=citizen)
    due_before = dossier.appointment_at
    with time_machine.travel(at(2026, 11, 25, 8, 0), tick=False):  # Wednesday
        services.request_supplement(
            actor=act(staff.specialist), dossier=dossier, reason="Bổ sung bản sao giấy khai sinh"
        )
    # The citizen answers the next Monday morning: Wed 8:00 → Mon 8:00 is 3 working days
    # (Wed, Thu, Fri), so the appointment moves 3 working days later.
    with time_machine.travel(at(2026, 11, 30, 8, 0), tick=False):
        provide_supplement(
            user=citizen,
            dossier=Dossier.objects.get(pk=dossier.pk),
            uploads=[pdf_upload("bo-sung.pdf")],
        )
    dossier.refresh_from_db()
    assert dossier.status == Status.PROCESSING
    calendar = WorkingCalendar.for_agency(dossier.agency)
    assert calendar.working_days_between(due_before.date(), dossier.appointment_at.date()) == 3
    assert dossier.appointment_at == at(2026, 12, 3, 17, 0)
    # Judged when the citizen answered (not by the wall clock, which passes the appointment).
    assert services.is_on_time(dossier, at(2026, 11, 30, 8, 0)) is True
    services.request_supplement(actor=act(staff.specialist), dossier=dossier, reason="Lần hai")
    dossier.refresh_from_db()
    assert dossier.supplement_count == 2 and services.is_on_time(dossier) is False
    assert (
        Event.objects.filter(
            event_type="dossier.supplement_requested", payload__repeated=True
        ).count()
        == 1
    )


def test_late_by_one_working_day_across_hung_kings_day(staff, procedure):
    # Received Friday 24/4/2026; Monday 27/4 (Hùng Kings, observed), 30/4 and 1/5 are holidays:
    # the 4 working days are 28, 29 April, 4 and 5 May.
    with time_machine.travel(at(2026, 4, 24, 9, 0), tick=False):
        dossier = receive(staff, procedure)
    assert dossier.appointment_at == at(2026, 5, 5, 17, 0)
    services.forward(actor=act(staff.specialist), dossier=dossier)
    services.forward(actor=act(staff.head), dossier=dossier)
    with time_machine.travel(at(2026, 5, 6, 10, 0), tick=False):
        done = services.forward(actor=act(staff.leader), dossier=dossier)
    assert services.is_on_time(done) is False
    calendar = WorkingCalendar.for_agency(done.agency)
    assert calendar.working_days_between(done.appointment_at.date(), done.finished_at.date()) == 1


def test_apology_letter_promises_a_date_after_leader_approval(staff, procedure):
    with time_machine.travel(at(2026, 11, 23, 8, 0), tick=False):
        dossier = receive(staff, procedure)
    new_date = at(2026, 12, 2, 17, 0)
    with time_machine.travel(at(2026, 11, 26, 9, 0), tick=False):  # before the appointment
        letter = services.draft_apology(
            actor=act(staff.specialist),
            dossier=dossier,
            reason="Chờ xác minh của cơ quan khác",
            new_appointment_at=new_date,
        )
        assert Dossier.objects.get(pk=dossier.pk).appointment_at == at(2026, 11, 30, 17, 0)
        with pytest.raises(NotAllowed):
            services.decide_apology(actor=act(staff.head), letter_id=letter.pk, approve=True)
        services.decide_apology(actor=act(staff.leader), letter_id=letter.pk, approve=True)
        # A promise to the applicant, not a new legal date (#13: it used to move
        # appointment_at, and the on-time verdict with it).
        approved = Dossier.objects.get(pk=dossier.pk)
        assert approved.promised_at == new_date
        assert approved.appointment_at == at(2026, 11, 30, 17, 0)
        assert ApologyLetter.objects.get().status == ApologyLetter.Status.APPROVED
        key = f"apology-{letter.pk}"
        assert OutboxMessage.objects.filter(idempotency_key__contains=key).exists()
        with pytest.raises(DomainError):  # a Saturday is not a working day
            services.draft_apology(
                actor=act(staff.specialist),
                dossier=dossier,
                reason="x",
                new_appointment_at=at(2026, 12, 5, 17, 0),
            )


def test_transfer_to_another_agency_for_one_step(agency, other_agency, staff, make_official):
    from egov.core.actors import actor_for_user
    from egov.core.scoping import visible_to

    department_specialist = make_official(other_agency, [Role.SPECIALIST], username="so.cv")
    steps = [
        ("Tiếp nhận", Role.RECEIVER, "0.5", ""),
        ("Xác minh tại Sở", Role.SPECIALIST, "2", other_agency.identifier),
        ("Phê duyệt", Role.LEADER, "1", ""),
        ("Trả kết quả", Role.RECEIVER, "0.5", ""),
    ]
    procedure = make_procedure(agency, steps, code="1.000002.000.00.00.H41")
    dossier = receive(staff, procedure)
    step = active(dossier)
    assert (step.agency, step.assignee) == (other_agency, department_specialist)
    seen = visible_to(actor_for_user(department_specialist.user), Dossier.objects.all())
    assert list(seen) == [dossier]
    with pytest.raises(NotAllowed):  # the commune's own specialist does not hold it
        services.forward(actor=act(staff.specialist), dossier=dossier)
    services.forward(actor=act(department_specialist), dossier=dossier, note="Đã xác minh")
    assert active(dossier).agency == agency


def test_refuse_and_withdraw_end_processing(staff, procedure, birth_like_online):
    refused = services.refuse(
        actor=act(staff.receiver), dossier=birth_like_online, reason="Không thuộc thẩm quyền"
    )
    assert refused.status == Status.REFUSED and refused.finished_at is not None
    dossier = receive(staff, procedure)
    withdrawn = services.withdraw(
        actor=act(staff.receiver), dossier=dossier, reason="Công dân xin rút"
    )
    assert withdrawn.status == Status.WITHDRAWAL_REQUESTED
    assert not withdrawn.steps.filter(status=StepStatus.ACTIVE).exists()


def test_receive_online_sets_appointment_and_starts_process(staff, birth_like_online):
    with time_machine.travel(at(2026, 11, 25, 9, 0), tick=False):
        dossier = services.receive_online(actor=act(staff.receiver), dossier=birth_like_online)
    assert dossier.status == Status.PROCESSING and dossier.received_at == at(2026, 11, 25, 9, 0)
    assert dossier.appointment_at == at(2026, 12, 1, 17, 0)
    with pytest.raises(DomainError):
        services.receive_online(actor=act(staff.receiver), dossier=dossier)


@pytest.fixture
def birth_like_online(staff, procedure, make_citizen):  # type: ignore[no-untyped-def]
    from egov.dossiers.services import Submission, submit_online

    return submit_online(
        user=make_citizen(),
        submission=Submission(
            procedure_code=procedure.code,
            agency_identifier=procedure.agencies.get().identifier,
            form_data={},
            uploads={"to-khai": [pdf_upload()]},
            result_delivery="online",
        ),
    )


def test_applicant_timeline_hides_internal_working_records(staff, procedure):
    from egov.dossiers.services import timeline

    with time_machine.travel(at(2026, 12, 14, 9, 0), tick=False):
        dossier = receive(staff, procedure)
        services.assign(actor=act(staff.head), dossier=dossier, official_id=staff.specialist2.pk)
        services.draft_apology(
            actor=act(staff.specialist2),
            dossier=dossier,
            reason="Chờ xác minh",
            new_appointment_at=at(2026, 12, 24, 17, 0),
        )
    official_view = [t.event_type for t in timeline(dossier)]
    applicant_view = [t.event_type for t in timeline(dossier, for_applicant=True)]
    assert "dossier.apology_drafted" in official_view and "dossier.assigned" in official_view
    assert "dossier.apology_drafted" not in applicant_view
    assert "dossier.assigned" not in applicant_view
    assert applicant_view[0] == "dossier.received"


def test_migration_gives_back_the_legal_date_an_old_apology_overwrote(staff, procedure):
    """Before #13 approving form 04 overwrote appointment_at with the promised date; the data
    migration puts the promise in promised_at and the first letter's previous date back."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("egov.onestop.migrations.0003_apology_promise")
    with time_machine.travel(at(2026, 11, 23, 8, 0), tick=False):
        dossier = receive(staff, procedure)  # due Mon 30/11 17:00
    with time_machine.travel(at(2026, 12, 1, 9, 0), tick=False):
        letter = services.draft_apology(
            actor=act(staff.specialist),
            dossier=dossier,
            reason="Chờ xác minh",
            new_appointment_at=at(2026, 12, 4, 17, 0),
        )
        services.decide_apology(actor=act(staff.leader), letter_id=letter.pk, approve=True)
    # The row as the old engine left it.
    Dossier.objects.filter(pk=dossier.pk).update(
        appointment_at=at(2026, 12, 4, 17, 0), promised_at=None
    )
    migration.split_promise(apps, None)
    dossier.refresh_from_db()
    assert (dossier.appointment_at, dossier.promised_at) == (
        at(2026, 11, 30, 17, 0),
        at(2026, 12, 4, 17, 0),
    )
