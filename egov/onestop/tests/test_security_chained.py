"""Issue #11, finding 4 and the form 04 part of finding 10, written as the attacks.

A chained process (liên thông): the dossier is received at agency A (the commune), its second
step is done at agency B (a department), its third at agency C (the police), then A approves
and returns the result. While B holds the dossier:

- C, whose step has not started, sees nothing: page, file, receipt, control sheet, REST API,
  lists; and cannot stop, withdraw, draft or decide an apology (404, nothing changes).
- A, having handed the dossier over, still reads it but cannot stop it or apologise for B.
- B's clerk cannot draft an apology; B's holder can, and B's leader decides it.
- A new appointment date of 9999-12-31 (or in the past) is refused with a field error.

Each refusal asserts that the dossier, its steps, letters, events and outbox are unchanged.
"""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from egov.accounts.services import create_api_client
from egov.core.actors import SYSTEM, actor_for_user
from egov.core.errors import DomainError, NotAllowed, NotFoundError
from egov.core.scoping import visible_to
from egov.dossiers.models import Dossier, Status
from egov.dossiers.tests.conftest import pdf_upload
from egov.events.models import Event, OutboxMessage
from egov.onestop import services
from egov.onestop.models import ApologyLetter, DossierStep, StepStatus
from egov.org.models import Agency, Role, Unit
from egov.workcalendar.services import WorkingCalendar

from .conftest import act, make_procedure
from .test_api import API, post, session

pytestmark = pytest.mark.django_db
VN = ZoneInfo("Asia/Ho_Chi_Minh")
# Monday 14/12/2026, 09:00, an ordinary working week.
NOW = datetime(2026, 12, 14, 9, 0, tzinfo=VN)
PAGE = "/mot-cua/ho-so"


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN)


@pytest.fixture(autouse=True)
def clock():  # type: ignore[no-untyped-def]
    # Sessions and appointment dates depend on the clock: the whole module runs at NOW.
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def police(province):  # type: ignore[no-untyped-def]
    return Agency.objects.create(
        identifier="000.00.02.H41",
        name="Công an tỉnh Quảng Ninh",
        abbreviation="CA",
        kind=Agency.Kind.DEPARTMENT,
        admin_unit=province,
    )


@pytest.fixture
def chain(agency, other_agency, police, staff, make_official):  # type: ignore[no-untyped-def]
    """A = agency (staff), B = other_agency, C = police; the procedure runs A → B → C → A."""
    section = Unit.objects.create(
        agency=other_agency, code="NV", name="Phòng Nghiệp vụ", kind=Unit.Kind.PROFESSIONAL
    )
    b = SimpleNamespace(
        specialist=make_official(other_agency, [Role.SPECIALIST], section, username="b.cv"),
        leader=make_official(other_agency, [Role.LEADER], None, username="b.ld"),
        clerk=make_official(other_agency, [Role.CLERK], None, username="b.vt"),
        receiver=make_official(other_agency, [Role.RECEIVER], None, username="b.tn"),
    )
    # C's official holds every role: whatever role the attack needs, it is not the role that
    # stops it.
    c = make_official(
        police,
        [Role.LEADER, Role.UNIT_HEAD, Role.SPECIALIST, Role.RECEIVER, Role.CLERK],
        None,
        username="c.all",
    )
    procedure = make_procedure(
        agency,
        [
            ("Tiếp nhận hồ sơ", Role.RECEIVER, "0.5", ""),
            ("Thẩm định tại Sở", Role.SPECIALIST, "2", other_agency.identifier),
            ("Xác nhận tại Công an", Role.SPECIALIST, "1", police.identifier),
            ("Lãnh đạo UBND phê duyệt", Role.LEADER, "0.5", ""),
            ("Trả kết quả", Role.RECEIVER, "0.5", ""),
        ],
        code="1.000090.000.00.00.H41",
    )
    dossier = services.receive_in_person(
        actor=act(staff.receiver),
        procedure_code=procedure.code,
        applicant=services.Applicant("citizen", "Lê Thị Hoa", "022195001234", "0912345678"),
        uploads={"to-khai": [pdf_upload("to-khai.pdf")]},
    )
    step = DossierStep.objects.get(dossier=dossier, status=StepStatus.ACTIVE)
    assert (step.agency_id, step.assignee_id) == (other_agency.pk, b.specialist.pk)
    pending = DossierStep.objects.get(dossier=dossier, order=3)
    assert (pending.agency_id, pending.status) == (police.pk, StepStatus.PENDING)
    dossier.refresh_from_db()
    return SimpleNamespace(a=staff, b=b, c=c, dossier=dossier, procedure=procedure)


def state(dossier: Dossier) -> tuple[Any, ...]:
    """Everything an action could change: the dossier, its steps, letters, events, outbox."""
    row = Dossier.objects.get(pk=dossier.pk)
    return (
        (row.status, row.version, row.appointment_at, row.finished_at, row.updated_at),
        list(
            DossierStep.objects.filter(dossier=row)
            .order_by("pk")
            .values_list("pk", "status", "assignee_id", "started_at", "finished_at")
        ),
        list(
            ApologyLetter.objects.filter(dossier=row)
            .order_by("pk")
            .values_list("pk", "status", "new_appointment_at", "decided_by_id")
        ),
        Event.objects.count(),
        OutboxMessage.objects.count(),
    )


def b_letter(chain) -> ApologyLetter:  # type: ignore[no-untyped-def]
    """A letter drafted by B's holder, within bounds."""
    return services.draft_apology(
        actor=act(chain.b.specialist),
        dossier=chain.dossier.code,
        reason="Chờ kết quả xác minh",
        new_appointment_at=at(2026, 12, 23, 17, 0),
    )


# --- C: a step further down the chain that has not started ---------------------------------------


def test_c_cannot_read_the_dossier_before_its_step(chain):  # type: ignore[no-untyped-def]
    code = chain.dossier.code
    stored = chain.dossier.files.get()
    c = actor_for_user(chain.c.user)
    assert not visible_to(c, Dossier.objects.all()).exists()
    assert not visible_to(c, Event.objects.filter(subject_id=code)).exists()
    web = session(chain.c.user)
    for url in (
        f"{PAGE}/{code}/",
        f"{PAGE}/{code}/tep/{stored.pk}/",
        f"{PAGE}/{code}/giay-tiep-nhan.pdf",
        f"{PAGE}/{code}/phieu-kiem-soat.pdf",
        f"{PAGE}/{code}/phieu-kiem-soat.xlsx",
        f"{API}/dossiers/{code}/",
        f"/api/v1/dossiers/{code}/",
        f"/api/v1/dossiers/{code}/receipt.pdf",
    ):
        assert web.get(url).status_code == 404, url
    assert web.get("/api/v1/dossiers/").json() == []
    for tab in ("mine", "unit", "return"):
        assert code not in web.get("/mot-cua/", {"tab": tab}).content.decode()
    # An API client bound to C reads no more than C's officials.
    _, token = create_api_client(
        actor=SYSTEM, name="Hệ thống Công an", scopes=["dossiers:read"], agency=chain.c.agency
    )
    machine = APIClient()
    machine.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert machine.get(f"/api/v1/dossiers/{code}/").status_code == 404
    assert machine.get("/api/v1/dossiers/").json() == []


def test_c_cannot_act_through_the_pages(chain):  # type: ignore[no-untyped-def]
    code, version = chain.dossier.code, chain.dossier.version
    letter = b_letter(chain)
    before = state(chain.dossier)
    web = session(chain.c.user)
    for action, body in (
        ("stop", {"stop-reason": "Dừng"}),
        ("withdraw", {"withdraw-reason": "Rút"}),
        ("draft_apology", {"draft_apology-reason": "Chậm", "draft_apology-new_date": "2026-12-23"}),
        (
            "decide_apology",
            {"decide_apology-letter": letter.pk, "decide_apology-decision": "approve"},
        ),
    ):
        response = web.post(
            f"{PAGE}/{code}/thao-tac/{action}/", {f"{action}-version": version, **body}
        )
        assert response.status_code == 404, action
    assert state(chain.dossier) == before


def test_c_cannot_act_through_the_api(chain):  # type: ignore[no-untyped-def]
    code = chain.dossier.code
    letter = b_letter(chain)
    before = state(chain.dossier)
    api = session(chain.c.user)
    for url, body in (
        (f"{API}/dossiers/{code}/stop/", {"reason": "Dừng"}),
        (f"{API}/dossiers/{code}/withdraw/", {"reason": "Rút"}),
        (
            f"{API}/dossiers/{code}/apology/",
            {"reason": "Chậm", "new_appointment_at": "2026-12-23T17:00:00+07:00"},
        ),
        (f"{API}/apologies/{letter.pk}/decision/", {"approve": True}),
        (f"{API}/dossiers/{code}/forward/", {}),
        (f"{API}/dossiers/{code}/request-supplement/", {"reason": "Bổ sung"}),
    ):
        response = post(api, url, body)
        assert response.status_code == 404, (url, response.content)
        assert response.json()["code"] == "not_found"
    assert state(chain.dossier) == before


def test_c_is_refused_by_the_engine_itself(chain):  # type: ignore[no-untyped-def]
    """The services check the same scope policy: a caller that skips the pages gets nothing."""
    letter = b_letter(chain)
    before = state(chain.dossier)
    c, code = act(chain.c), chain.dossier.code
    attempts = [
        lambda: services.stop(actor=c, dossier=code, reason="Dừng"),
        lambda: services.withdraw(actor=c, dossier=code, reason="Rút"),
        lambda: services.draft_apology(
            actor=c, dossier=code, reason="Chậm", new_appointment_at=at(2026, 12, 23, 17, 0)
        ),
        lambda: services.decide_apology(actor=c, letter_id=letter.pk, approve=True),
        lambda: services.return_result(actor=c, dossier=code),
        lambda: services.payment_received(actor=c, dossier=code),
    ]
    for attempt in attempts:
        with pytest.raises(NotFoundError):
            attempt()
    assert state(chain.dossier) == before


def test_c_sees_the_dossier_once_its_step_starts_and_keeps_it(chain):  # type: ignore[no-untyped-def]
    code = chain.dossier.code
    services.forward(actor=act(chain.b.specialist), dossier=code, note="Đủ điều kiện")
    web = session(chain.c.user)
    assert web.get(f"{PAGE}/{code}/").status_code == 200
    assert code in web.get("/mot-cua/").content.decode()  # C's queue: its step
    services.forward(actor=act(chain.c), dossier=code, note="Đã xác nhận")
    assert web.get(f"{API}/dossiers/{code}/").status_code == 200  # what it worked on


# --- A: the receiving agency, after handing the dossier over ---------------------------------


def test_a_after_handing_over_cannot_stop_or_apologise_for_bs_step(chain):  # type: ignore[no-untyped-def]
    code, version = chain.dossier.code, chain.dossier.version
    letter = b_letter(chain)
    before = state(chain.dossier)
    leader, specialist = session(chain.a.leader.user), session(chain.a.specialist.user)
    assert leader.get(f"{PAGE}/{code}/").status_code == 200  # A still reads its dossier

    # The pages offer nothing of the kind, and a forged POST is sent back with the reason.
    page = leader.get(f"{PAGE}/{code}/").content.decode()
    for action in ("stop", "draft_apology", "decide_apology"):
        assert f"/thao-tac/{action}/" not in page
    response = leader.post(
        f"{PAGE}/{code}/thao-tac/stop/", {"stop-version": version, "stop-reason": "Dừng"}
    )
    assert response.status_code == 302
    response = leader.post(
        f"{PAGE}/{code}/thao-tac/decide_apology/",
        {
            "decide_apology-version": version,
            "decide_apology-letter": letter.pk,
            "decide_apology-decision": "approve",
        },
        follow=True,
    )
    assert "Bạn không thể" in response.content.decode()

    for client, url, body in (
        (leader, f"{API}/dossiers/{code}/stop/", {"reason": "Dừng"}),
        (
            specialist,
            f"{API}/dossiers/{code}/apology/",
            {"reason": "Chậm", "new_appointment_at": "2026-12-23T17:00:00+07:00"},
        ),
        (leader, f"{API}/apologies/{letter.pk}/decision/", {"approve": True}),
        (leader, f"{API}/apologies/{letter.pk}/decision/", {"approve": False}),
    ):
        response = post(client, url, body)
        assert response.status_code == 403, (url, response.content)
        assert response.json()["code"] == "permission_denied"
        assert chain.b.leader.agency.name in response.json()["message"]
    assert state(chain.dossier) == before
    # Nor does the leader of A find B's letter in the queue of letters to decide.
    assert code not in leader.get("/mot-cua/", {"tab": "apology"}).content.decode()


def test_b_whose_step_is_done_cannot_stop_once_c_holds_it(chain):  # type: ignore[no-untyped-def]
    code = chain.dossier.code
    services.forward(actor=act(chain.b.specialist), dossier=code, note="Đủ điều kiện")
    before = state(chain.dossier)
    response = post(session(chain.b.leader.user), f"{API}/dossiers/{code}/stop/", {"reason": "x"})
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    with pytest.raises(NotAllowed):
        services.draft_apology(
            actor=act(chain.b.specialist),
            dossier=code,
            reason="Chậm",
            new_appointment_at=at(2026, 12, 23, 17, 0),
        )
    assert state(chain.dossier) == before


# --- B: the holder, its clerk, its leader ------------------------------------------------------


def test_bs_clerk_and_desk_cannot_draft_an_apology(chain):  # type: ignore[no-untyped-def]
    code, version = chain.dossier.code, chain.dossier.version
    before = state(chain.dossier)
    body = {"reason": "Chậm", "new_appointment_at": "2026-12-23T17:00:00+07:00"}
    for official in (chain.b.clerk, chain.b.receiver):
        response = post(session(official.user), f"{API}/dossiers/{code}/apology/", body)
        assert response.status_code == 403, response.content
        assert response.json()["code"] == "permission_denied"
    clerk = session(chain.b.clerk.user)
    assert "/thao-tac/draft_apology/" not in clerk.get(f"{PAGE}/{code}/").content.decode()
    response = clerk.post(
        f"{PAGE}/{code}/thao-tac/draft_apology/",
        {
            "draft_apology-version": version,
            "draft_apology-reason": "Chậm",
            "draft_apology-new_date": "2026-12-23",
        },
    )
    assert response.status_code == 302
    assert state(chain.dossier) == before


def test_b_holds_the_step_drafts_and_its_leader_approves(chain):  # type: ignore[no-untyped-def]
    code = chain.dossier.code
    page = session(chain.b.specialist.user).get(f"{PAGE}/{code}/").content.decode()
    assert "/thao-tac/draft_apology/" in page
    draft = post(
        session(chain.b.specialist.user),
        f"{API}/dossiers/{code}/apology/",
        {"reason": "Chờ kết quả xác minh", "new_appointment_at": "2026-12-23T17:00:00+07:00"},
    )
    assert draft.status_code == 201, draft.content
    letter = draft.json()["apology"]
    leader = session(chain.b.leader.user)
    assert code in leader.get("/mot-cua/", {"tab": "apology"}).content.decode()
    outbox = OutboxMessage.objects.count()
    approved = post(leader, f"{API}/apologies/{letter['id']}/decision/", {"approve": True})
    assert approved.status_code == 200, approved.content
    # A promised date, not a new legal one (#13: the appointment itself used to move).
    assert datetime.fromisoformat(approved.json()["promised_at"]) == at(2026, 12, 23, 17, 0)
    legal = Dossier.objects.get(pk=chain.dossier.pk).appointment_at
    assert (
        datetime.fromisoformat(approved.json()["appointment_at"])
        == legal
        == at(2026, 12, 18, 14, 45)
    )
    assert OutboxMessage.objects.count() > outbox  # the applicant is told


def test_b_leader_stops_the_dossier_it_holds(chain):  # type: ignore[no-untyped-def]
    code = chain.dossier.code
    response = post(session(chain.b.leader.user), f"{API}/dossiers/{code}/stop/", {"reason": "x"})
    assert response.status_code == 200 and response.json()["status"] == Status.STOPPED


def test_withdrawal_is_recorded_at_the_receiving_desk_only(chain):  # type: ignore[no-untyped-def]
    code = chain.dossier.code
    before = state(chain.dossier)
    refused = post(
        session(chain.b.receiver.user), f"{API}/dossiers/{code}/withdraw/", {"reason": "x"}
    )
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    assert state(chain.dossier) == before
    desk = session(chain.a.receiver.user)
    done = post(desk, f"{API}/dossiers/{code}/withdraw/", {"reason": "Công dân xin rút"})
    assert done.status_code == 200 and done.json()["status"] == Status.WITHDRAWAL_REQUESTED


# --- form 04: the new date is bounded ----------------------------------------------------------


@pytest.mark.parametrize(
    "when",
    [
        "9999-12-31T17:00:00+07:00",
        "9999-12-31T23:59:59",
        "2026-12-11T17:00:00+07:00",  # in the past, and before the appointment
        "2027-03-01T17:00:00+07:00",  # a working day, months beyond the bound
    ],
)
def test_an_unbounded_or_past_date_is_refused_by_the_api(chain, when):  # type: ignore[no-untyped-def]
    code = chain.dossier.code
    before = state(chain.dossier)
    response = post(
        session(chain.b.specialist.user),
        f"{API}/dossiers/{code}/apology/",
        {"reason": "Chậm", "new_appointment_at": when},
    )
    assert response.status_code == 400, response.content
    assert "new_appointment_at" in response.json()["fields"]
    assert state(chain.dossier) == before


def test_9999_12_31_is_refused_on_the_page(chain):  # type: ignore[no-untyped-def]
    code = chain.dossier.code
    before = state(chain.dossier)
    response = session(chain.b.specialist.user).post(
        f"{PAGE}/{code}/thao-tac/draft_apology/",
        {
            "draft_apology-version": chain.dossier.version,
            "draft_apology-reason": "Chậm",
            "draft_apology-new_date": "9999-12-31",
        },
    )
    assert response.status_code == 400
    assert "Ngày hẹn mới không được sau" in response.content.decode()
    assert state(chain.dossier) == before


def test_the_last_moment_in_utc_is_a_field_error_not_a_crash(chain):  # type: ignore[no-untyped-def]
    # 9999-12-31 23:59 UTC is past the last day representable in Vietnam's time zone.
    before = state(chain.dossier)
    with pytest.raises(DomainError) as refused:
        services.draft_apology(
            actor=act(chain.b.specialist),
            dossier=chain.dossier.code,
            reason="Chậm",
            new_appointment_at=datetime(9999, 12, 31, 23, 59, tzinfo=UTC),
        )
    assert "new_appointment_at" in refused.value.fields
    assert state(chain.dossier) == before


def test_the_bound_is_one_more_run_of_the_legal_time(chain):  # type: ignore[no-untyped-def]
    dossier = Dossier.objects.get(pk=chain.dossier.pk)
    latest = services.latest_new_appointment(dossier)
    assert latest is not None
    calendar = WorkingCalendar.for_agency(dossier.agency_id)
    last_day = timezone.localdate(latest)
    # The legal time is 4.5 working days; the floor of 5 working days is the larger here.
    assert calendar.working_days_between(timezone.localdate(dossier.appointment_at), last_day) == 5
    before = state(dossier)
    with pytest.raises(DomainError) as refused:
        services.draft_apology(
            actor=act(chain.b.specialist),
            dossier=dossier.code,
            reason="Chậm",
            new_appointment_at=calendar.end_of_day(calendar.next_working_day(last_day)),
        )
    assert "new_appointment_at" in refused.value.fields
    assert state(dossier) == before
    letter = services.draft_apology(
        actor=act(chain.b.specialist),
        dossier=dossier.code,
        reason="Chậm",
        new_appointment_at=calendar.end_of_day(last_day),
    )
    assert letter.new_appointment_at == calendar.end_of_day(last_day)


def test_approval_checks_the_date_again(chain, clock):  # type: ignore[no-untyped-def]
    letter = b_letter(chain)
    clock.move_to(at(2026, 12, 24, 9, 0))  # the promised date has passed meanwhile
    before = state(chain.dossier)
    with pytest.raises(DomainError) as refused:
        services.decide_apology(actor=act(chain.b.leader), letter_id=letter.pk, approve=True)
    assert "new_appointment_at" in refused.value.fields
    assert state(chain.dossier) == before
    services.decide_apology(actor=act(chain.b.leader), letter_id=letter.pk, approve=False)
    assert ApologyLetter.objects.get(pk=letter.pk).status == ApologyLetter.Status.REJECTED
