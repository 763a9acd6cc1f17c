"""A day off entered inside running deadlines: the administration says how many dossiers (of
which agencies) it moves and asks for confirmation; saving moves their appointment and current
step's due time, each keeping its working time left, with an event per dossier."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from egov.conftest import login_client
from egov.core.actors import SYSTEM
from egov.dossiers.models import Dossier
from egov.dossiers.tests.conftest import pdf_upload
from egov.events.models import Event
from egov.onestop import services as onestop
from egov.onestop.models import StepStatus
from egov.onestop.tests.conftest import act, media, procedure, staff  # noqa: F401 (fixtures)
from egov.org.models import Role
from egov.stats.models import OpenDossier
from egov.workcalendar import services
from egov.workcalendar.models import SpecialDay

pytestmark = pytest.mark.django_db
VN = ZoneInfo("Asia/Ho_Chi_Minh")
MONDAY = datetime(2026, 11, 23, 8, 0, tzinfo=VN)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN)


@pytest.fixture
def running(staff, procedure):  # type: ignore[no-untyped-def]  # noqa: F811
    """Received Monday 23/11/2026 08:00: 4 working days (Tuesday 24/11 is Culture Day), due
    Monday 30/11 17:00; its second step (15 working hours) due Thursday 26/11 08:00."""
    with time_machine.travel(MONDAY, tick=False):
        dossier = onestop.receive_in_person(
            actor=act(staff.receiver),
            procedure_code=procedure.code,
            applicant=onestop.Applicant("citizen", "Lê Thị Hoa", "022195001234", "0912345678"),
            uploads={"to-khai": [pdf_upload("to-khai.pdf")]},
        )
    assert dossier.appointment_at == at(2026, 11, 30, 17, 0)
    assert dossier.steps.get(status=StepStatus.ACTIVE).due_at == at(2026, 11, 26, 8, 0)
    return dossier


@pytest.fixture
def operator(agency, make_official):  # type: ignore[no-untyped-def]
    return make_official(agency, roles=[Role.OPERATOR], username="quantri.lich").user


def day_off(day: str, **extra: str) -> dict[str, str]:
    return {"date": day, "kind": "day_off", "name": "Nghỉ thêm", "agency": "", **extra}


def test_the_form_warns_and_asks_for_confirmation_then_moves_the_deadlines(
    running, operator, agency
):
    with time_machine.travel(MONDAY, tick=False):
        client = login_client(operator)
        page = client.post("/quan-tri/workcalendar/specialday/add/", day_off("25/11/2026"))
        assert page.status_code == 200  # not saved: the form asks first
        text = page.content.decode()
        assert "nằm trong thời hạn đang chạy của 1 hồ sơ đang giải quyết" in text
        assert agency.name in text
        assert "giữ nguyên thời gian làm việc còn lại" in text  # how they are recomputed
        assert 'name="confirm_moves"' in text
        assert not SpecialDay.objects.filter(date=date(2026, 11, 25)).exists()

        saved = client.post(
            "/quan-tri/workcalendar/specialday/add/",
            day_off("25/11/2026", confirm_moves="on"),
            follow=True,
        )
    assert saved.status_code == 200
    notice = [str(m) for m in saved.context["messages"]]
    assert any("Đã dời hạn xử lý của 1 hồ sơ đang giải quyết" in m for m in notice), notice

    dossier = Dossier.objects.get(pk=running.pk)
    # Wednesday 25/11 is off: the four working days are 26, 27, 30/11 and 1/12.
    assert dossier.appointment_at == at(2026, 12, 1, 17, 0)
    assert dossier.received_appointment_at == at(2026, 11, 30, 17, 0)  # the receipt keeps it
    # The step's 15 working hours: Monday 7, Thursday 7.5, Friday 0.5.
    assert dossier.steps.get(status=StepStatus.ACTIVE).due_at == at(2026, 11, 27, 8, 0)
    event = Event.objects.get(event_type="dossier.deadline_moved", subject_id=dossier.code)
    assert event.payload["days"] == ["2026-11-25"]
    assert event.actor_kind == "operator"
    # The statistics follow the moved appointment.
    assert OpenDossier.objects.get(dossier_id=dossier.pk).appointment_at == at(2026, 12, 1, 17, 0)


def test_no_question_when_the_day_touches_no_running_deadline(running, operator):
    with time_machine.travel(MONDAY, tick=False):
        client = login_client(operator)
        # After the appointment (30/11): nothing moves, the day is saved at once.
        response = client.post("/quan-tri/workcalendar/specialday/add/", day_off("02/12/2026"))
    assert response.status_code == 302
    assert Dossier.objects.get(pk=running.pk).appointment_at == at(2026, 11, 30, 17, 0)
    assert not Event.objects.filter(event_type="dossier.deadline_moved").exists()


def test_another_agencys_day_off_moves_nothing(running, other_agency):
    with time_machine.travel(MONDAY, tick=False):
        moves = services.preview_day_change(
            day=date(2026, 11, 25), kind="day_off", agency=other_agency
        )
        assert moves.count == 0


def test_removing_the_day_off_gives_the_working_day_back(running):
    with time_machine.travel(MONDAY, tick=False):
        row, moves = services.change_special_day(
            actor=SYSTEM, day=date(2026, 11, 25), kind="day_off", name="Nghỉ thêm"
        )
        assert moves.count == 1
        assert Dossier.objects.get(pk=running.pk).appointment_at == at(2026, 12, 1, 17, 0)
        preview = services.preview_day_change(day=None, instance=row)
        assert preview.count == 1
        services.delete_special_day(actor=SYSTEM, special_day=row)
    dossier = Dossier.objects.get(pk=running.pk)
    assert dossier.appointment_at == at(2026, 11, 30, 17, 0)
    assert dossier.steps.get(status=StepStatus.ACTIVE).due_at == at(2026, 11, 26, 8, 0)
    assert Event.objects.filter(event_type="dossier.deadline_moved").count() == 2


def test_a_past_day_changes_no_deadline(running):
    with time_machine.travel(at(2026, 11, 26, 9, 0), tick=False):
        moves = services.preview_day_change(day=date(2026, 11, 25), kind="day_off")
    assert moves.count == 0
