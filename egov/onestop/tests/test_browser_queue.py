"""The work queue in a real browser at 1366×768, as the provincial centre's receiver, a
department's specialist and unit head, and an official with nothing assigned would use it: the
centre receives a department's dossier that then appears at the department, a unit head
reassigns a step, a specialist forwards three dossiers at once, and the one with nothing to do is
told why and whom to ask. Every page passes check_page and has no horizontal overflow."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from playwright.sync_api import expect

from egov.conftest import check_page
from egov.dossiers.models import Dossier
from egov.onestop import services
from egov.onestop.models import DossierStep, StepStatus
from egov.org.models import Role

from .centre import centre_province, submit
from .conftest import act
from .test_browser_onestop import Desk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 768}


@pytest.fixture(autouse=True)
def media(tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(province, make_official, give_totp):  # type: ignore[no-untyped-def]
    people = centre_province(province, make_official)
    people.secrets = {}
    for official in (
        people.centre_receiver,
        people.department_receiver,
        people.specialist,
        people.specialist2,
        people.head,
        people.leader,
    ):
        people.secrets[official.user.username] = pyotp.random_base32()
        give_totp(official.user, people.secrets[official.user.username])
    return people


@pytest.fixture
def desks(browser, live_server, world) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    opened: list[Desk] = []

    def open_desk(username: str) -> Desk:
        desk = Desk(browser, live_server.url)
        desk.page.set_viewport_size(DESKTOP)
        opened.append(desk)
        desk.sign_in(username, world.secrets[username])
        return desk

    yield open_desk
    for desk in opened:
        desk.context.close()
    errors = [e for desk in opened for e in desk.errors]
    assert not errors, errors


def looks_right(desk: Desk) -> None:
    """check_page, and nothing wider than the 1366 px window. Dossier codes carry the agency
    identifier (000.00.01.H41-...): its letter is a code, not a word; file sizes are in "byte",
    as Vietnamese writes them."""
    check_page(desk.page, allow=("H", "byte"))
    width = desk.page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= DESKTOP["width"], f"{desk.page.url} is {width} px wide"


def _label(text: str) -> str:
    return re.sub(r"\(\s*(\d+)\s*\)", r"(\1)", " ".join(text.split()))


def current_tab(desk: Desk) -> str:
    """The open tab's label with its count, as read: "Hồ sơ cần tôi xử lý (3)"."""
    return _label(desk.page.locator('.tabs a[aria-current="page"]').inner_text())


def tab(desk: Desk, key: str) -> str:
    return _label(desk.page.locator(f'.tabs a[href="?tab={key}"]').inner_text())


def test_centre_receives_and_the_department_takes_over(desks, world, make_citizen) -> None:
    for _ in range(2):
        submit(make_citizen(), world.procedure, world.department)

    centre = desks("ttpvhcc.tiepnhan")
    page = centre.page
    page.get_by_role("link", name="Mở hàng đợi công việc").click()
    page.wait_for_url("**/mot-cua/")
    # Nothing is held yet: the queue opens on the online dossiers waiting, with the counts.
    assert current_tab(centre) == "Hồ sơ trực tuyến chờ tiếp nhận (2)"
    assert tab(centre, "mine") == "Hồ sơ cần tôi xử lý (0)"
    looks_right(centre)
    code = page.locator("#queue-results tbody a").first.inner_text()
    page.get_by_role("link", name=code).click()
    page.wait_for_url(f"**/mot-cua/ho-so/{code}/")
    looks_right(centre)
    page.get_by_role("button", name="Tiếp nhận hồ sơ", exact=True).click()
    centre.says(f"Đã tiếp nhận hồ sơ {code}")
    looks_right(centre)
    assert "Trả lại" not in page.locator(".dossier-actions").inner_text()

    # It appears at the department, with the appointment date the centre gave.
    dossier = Dossier.objects.get(code=code)
    step = DossierStep.objects.get(dossier=dossier, status=StepStatus.ACTIVE)
    assert step.agency == world.department and step.role == Role.SPECIALIST
    holder = step.assignee
    other = world.specialist2 if holder == world.specialist else world.specialist
    specialist = desks(holder.user.username)
    specialist.go("/mot-cua/")
    assert current_tab(specialist) == "Hồ sơ cần tôi xử lý (1)"
    expect(specialist.page.get_by_role("link", name=code)).to_be_visible()
    looks_right(specialist)

    # The unit head reassigns it, seeing each specialist's load.
    head = desks("stp.truongphong")
    head.go("/mot-cua/")
    assert current_tab(head) == "Hồ sơ đang xử lý trong phòng (1)"
    looks_right(head)
    head.page.get_by_role("link", name=code).click()
    head.page.wait_for_url(f"**/mot-cua/ho-so/{code}/")
    card = head.page.get_by_role("region", name="Phân công lại")
    assert "đang xử lý 1 hồ sơ (đang giữ)" in card.inner_text()
    looks_right(head)
    card.get_by_label("Giao cho").select_option(str(other.pk))
    card.get_by_role("button", name="Phân công lại").click()
    head.says(f"cho {other.user.get_full_name()}")
    looks_right(head)
    step.refresh_from_db()
    assert step.assignee == other
    dossier.refresh_from_db()
    assert dossier.appointment_at == dossier.received_appointment_at


def test_specialist_forwards_three_at_once(desks, world, make_citizen) -> None:
    codes = []
    for _ in range(3):
        d = submit(make_citizen(), world.procedure, world.department)
        services.receive_online(actor=act(world.centre_receiver), dossier=d.code)
        services.assign(actor=act(world.head), dossier=d.code, official_id=world.specialist.pk)
        codes.append(d.code)

    specialist = desks("stp.cv1")
    page = specialist.page
    specialist.go("/mot-cua/")
    assert current_tab(specialist) == "Hồ sơ cần tôi xử lý (3)"
    looks_right(specialist)
    page.get_by_label("Chọn tất cả hồ sơ trên trang này").check()
    expect(page.get_by_text("Đã chọn 3 hồ sơ.")).to_be_visible()
    page.get_by_label("Ý kiến xử lý (chung cho các hồ sơ đã chọn)").fill("Hồ sơ đủ điều kiện")
    page.get_by_role("button", name="Chuyển bước tiếp theo các hồ sơ đã chọn").click()
    specialist.says("Đã chuyển cả 3 hồ sơ.")
    for code in codes:
        specialist.says(f"{code}: Đã chuyển hồ sơ sang bước “Kiểm tra, trình lãnh đạo Sở”")
    looks_right(specialist)
    assert current_tab(specialist) == "Hồ sơ cần tôi xử lý (0)"
    assert all(
        DossierStep.objects.get(dossier__code=c, status=StepStatus.ACTIVE).role == Role.UNIT_HEAD
        for c in codes
    )


def test_an_official_with_nothing_assigned_is_told_why(desks, world) -> None:
    desk = desks("stp.tiepnhan")
    desk.go("/mot-cua/")
    notice = desk.page.get_by_role("region", name="Vì sao bạn chưa có hồ sơ nào")
    text = notice.inner_text()
    assert "được tiếp nhận và trả kết quả tại Trung tâm Phục vụ hành chính công" in text
    assert world.leader.user.get_full_name() in text
    looks_right(desk)
