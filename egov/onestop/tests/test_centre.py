"""The provincial public administrative service centre receives a department's procedure (Decree
61/2018/NĐ-CP as amended by Decree 107/2021/NĐ-CP; catalog.ReceptionDesk): its desk receives
online and in-person dossiers, the department's specialist handles them with the appointment date
unchanged, the centre returns the result; the queue counts its tabs, opens on one with work in it,
forwards several dossiers at once and tells an official with nothing assigned why."""

from __future__ import annotations

import pytest

from egov.catalog import services as catalog
from egov.catalog.models import ReceptionDesk
from egov.core.actors import SYSTEM
from egov.core.errors import DomainError, NotFoundError
from egov.dossiers.models import Dossier, ResultDelivery, Status
from egov.dossiers.tests.conftest import pdf_upload
from egov.onestop import services
from egov.onestop.models import DossierStep, StepStatus
from egov.org.models import Role

from .centre import centre_province, submit
from .conftest import act


@pytest.fixture
def world(province, make_official):  # type: ignore[no-untyped-def]
    return centre_province(province, make_official)


def active(dossier: Dossier) -> DossierStep:
    return DossierStep.objects.select_related("agency", "assignee").get(
        dossier=dossier, status=StepStatus.ACTIVE
    )


def test_the_centre_receives_online_and_the_department_handles(world, make_citizen) -> None:
    citizen = make_citizen()
    dossier = submit(citizen, world.procedure, world.department)
    assert dossier.agency == world.department  # the competent agency's dossier and code
    assert dossier.code.startswith(world.department.identifier)

    # The department's own desk may not receive it; the centre's may.
    with pytest.raises(DomainError):
        services.receive_online(actor=act(world.department_receiver), dossier=dossier.code)
    received = services.receive_online(actor=act(world.centre_receiver), dossier=dossier.code)
    appointment = received.appointment_at
    assert received.status == Status.PROCESSING and appointment is not None

    first = DossierStep.objects.get(dossier=dossier, order=1)
    assert first.agency == world.centre and first.assignee == world.centre_receiver
    step = active(dossier)
    assert step.agency == world.department and step.role == Role.SPECIALIST
    assert step.assignee in (world.specialist, world.specialist2)

    services.forward(actor=act(step.assignee), dossier=dossier.code)
    services.forward(actor=act(world.head), dossier=dossier.code)
    services.forward(actor=act(world.leader), dossier=dossier.code)
    dossier.refresh_from_db()
    assert dossier.status == Status.DONE and dossier.appointment_at == appointment
    back = active(dossier)
    assert back.agency == world.centre and back.assignee == world.centre_receiver
    services.return_result(
        actor=act(world.centre_receiver), dossier=dossier.code, method=ResultDelivery.DESK
    )
    dossier.refresh_from_db()
    assert dossier.status == Status.RETURNED


def test_the_centre_receives_in_person_for_the_department(world) -> None:
    applicant = services.Applicant("citizen", "Lê Văn Cường", "022085012345")
    uploads = {"to-khai": [pdf_upload("to-khai.pdf")]}
    with pytest.raises(NotFoundError, match="Trung tâm Phục vụ hành chính công"):
        services.receive_in_person(
            actor=act(world.department_receiver),
            procedure_code=world.procedure.code,
            applicant=applicant,
            uploads=uploads,
        )
    dossier = services.receive_in_person(
        actor=act(world.centre_receiver),
        procedure_code=world.procedure.code,
        applicant=applicant,
        uploads={"to-khai": [pdf_upload("to-khai.pdf")]},
    )
    assert dossier.agency == world.department
    assert dossier.code.startswith(world.department.identifier)
    assert active(dossier).agency == world.department


def test_reception_desk_must_be_a_centre_of_a_procedure_agency(world) -> None:
    with pytest.raises(DomainError, match="Trung tâm Phục vụ hành chính công"):
        catalog.set_reception_desk(
            actor=SYSTEM,
            procedure=world.procedure,
            agency=world.department,
            desk_agency=world.department.__class__.objects.create(
                identifier="000.00.02.H41", name="Sở Xây dựng", abbreviation="SXD", kind="so"
            ),
        )
    with pytest.raises(DomainError, match="không thực hiện"):
        catalog.set_reception_desk(
            actor=SYSTEM, procedure=world.procedure, agency=world.centre, desk_agency=world.centre
        )
    # Back to the department's own desk, then to the centre again: one event each.
    catalog.set_reception_desk(
        actor=SYSTEM, procedure=world.procedure, agency=world.department, desk_agency=None
    )
    assert not ReceptionDesk.objects.exists()
    catalog.set_reception_desk(
        actor=SYSTEM, procedure=world.procedure, agency=world.department, desk_agency=world.centre
    )
    row = ReceptionDesk.objects.get()
    assert "61/2018/NĐ-CP" in row.legal_basis and "107/2021/NĐ-CP" in row.legal_basis


def test_queue_counts_tabs_and_opens_on_one_with_work(world, make_citizen, login_with_mfa, client):  # type: ignore[no-untyped-def]
    for _ in range(2):
        submit(make_citizen(), world.procedure, world.department)
    login_with_mfa(world.centre_receiver.user)
    page = client.get("/mot-cua/").content.decode()
    # "Hồ sơ cần tôi xử lý" is empty: the page opens on the online tab, with its count.
    assert 'href="?tab=online" aria-current="page"' in page
    assert 'Hồ sơ trực tuyến chờ tiếp nhận <span class="tab-count">' in page
    assert '<span class="visually-hidden">(</span>2<span' in page
    assert "Vì sao bạn chưa có hồ sơ nào" not in page
    client.logout()

    login_with_mfa(world.department_receiver.user)
    page = client.get("/mot-cua/").content.decode()
    assert "Vì sao bạn chưa có hồ sơ nào" in page
    assert "được tiếp nhận và trả kết quả tại Trung tâm Phục vụ hành chính công" in page
    assert world.leader.user.get_full_name() in page  # whom to ask, by name


def test_an_official_without_processing_roles_is_told_why(
    world, make_official, login_with_mfa, client
):  # type: ignore[no-untyped-def]
    clerk = make_official(world.department, [Role.CLERK], world.section, username="stp.vanthu")
    login_with_mfa(clerk.user)
    page = client.get("/mot-cua/").content.decode()
    assert "chưa có vai trò xử lý hồ sơ" in page and world.leader.user.get_full_name() in page


def _received(world, make_citizen, n: int) -> list[Dossier]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(n):
        d = submit(make_citizen(), world.procedure, world.department)
        out.append(services.receive_online(actor=act(world.centre_receiver), dossier=d.code))
    for d in out:  # one specialist holds them all
        services.assign(actor=act(world.head), dossier=d.code, official_id=world.specialist.pk)
        d.refresh_from_db()
    return out


def test_bulk_forward_moves_each_dossier_and_reports_each(
    world, make_citizen, login_with_mfa, client
):  # type: ignore[no-untyped-def]
    dossiers = _received(world, make_citizen, 3)
    login_with_mfa(world.specialist.user)
    page = client.get("/mot-cua/?tab=mine").content.decode()
    assert 'id="bulk-all"' in page and page.count('name="ho_so"') == 3
    stale = dossiers[2]
    response = client.post(
        "/mot-cua/chuyen-nhieu-ho-so/",
        {
            "tab": "mine",
            "note": "Đủ điều kiện",
            "ho_so": [f"{d.code}:{d.version}" for d in dossiers[:2]] + [f"{stale.code}:1"],
        },
        follow=True,
    )
    text = response.content.decode()
    for d in dossiers[:2]:
        assert f"{d.code}: Đã chuyển hồ sơ sang bước" in text
        assert active(d).role == Role.UNIT_HEAD
    # The stale one is left as it was, with its reason.
    assert f"{stale.code}: " in text and "chưa được chuyển" in text
    assert active(stale).role == Role.SPECIALIST
    assert "Đã chuyển 2/3 hồ sơ" in text


def test_bulk_forward_refuses_dossiers_at_different_steps(
    world, make_citizen, login_with_mfa, client
):  # type: ignore[no-untyped-def]
    a, b = _received(world, make_citizen, 2)
    services.forward(actor=act(world.specialist), dossier=b.code)
    b.refresh_from_db()
    login_with_mfa(world.head.user)
    response = client.post(
        "/mot-cua/chuyen-nhieu-ho-so/",
        {"tab": "unit", "ho_so": [f"{a.code}:{a.version}", f"{b.code}:{b.version}"]},
        follow=True,
    )
    assert "cùng thủ tục và đang ở cùng một bước" in response.content.decode()
    assert active(a).role == Role.SPECIALIST and active(b).role == Role.UNIT_HEAD


def test_unit_head_reassigns_with_loads(world, make_citizen, login_with_mfa, client):  # type: ignore[no-untyped-def]
    (dossier,) = _received(world, make_citizen, 1)
    login_with_mfa(world.head.user)
    page = client.get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    assert "Phân công lại" in page and "đang xử lý 1 hồ sơ" in page
    client.post(
        f"/mot-cua/ho-so/{dossier.code}/thao-tac/assign/",
        {"assign-version": dossier.version, "assign-official": world.specialist2.pk},
    )
    assert active(dossier).assignee == world.specialist2


def test_bulk_forward_by_an_official_who_does_not_hold_the_dossiers_changes_nothing(
    world, make_citizen, login_with_mfa, password_only, client, make_official
):  # type: ignore[no-untyped-def]
    """Attacks on the bulk door: a leader of another agency (the centre) posts the specialist's
    dossiers, and the specialist's own session without the second factor posts them; nothing
    moves."""
    dossiers = _received(world, make_citizen, 2)
    before = [(d.version, active(d).pk) for d in dossiers]
    payload = {"tab": "mine", "ho_so": [f"{d.code}:{d.version}" for d in dossiers]}
    outsider = make_official(world.centre, roles=[Role.UNIT_HEAD, Role.LEADER], username="ngoai")
    login_with_mfa(outsider.user)
    client.post("/mot-cua/chuyen-nhieu-ho-so/", payload, follow=True)
    no_second_factor = password_only(world.specialist.user, with_totp=True)
    response = no_second_factor.post("/mot-cua/chuyen-nhieu-ho-so/", payload)
    assert response.status_code in (302, 403)
    for d, (version, step_pk) in zip(dossiers, before, strict=True):
        d.refresh_from_db()
        assert d.version == version and active(d).pk == step_pk
        assert active(d).role == Role.SPECIALIST
