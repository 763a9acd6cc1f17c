"""The acceptance test of issue #16, end to end through the real pages, one browser window per
person: the secretariat creates a meeting with three items, uploads its materials and sends
the invitations; the members confirm and one registers to speak; the chair opens the meeting,
calls the speaker, opens and closes an open vote and a secret vote (the members vote on their
pages; the secret voter checks their receipt); the secretary writes the minutes, secretary and
chair sign them; the conclusion notice is written with its tasks, submitted, approved and signed
by the chair and issued with a number by the agency's clerk in the documents app; with the clock
moved to the day after the first task's deadline, that task is overdue on the chair's list.

Every page is checked (axe and Vietnamese text) the first time it is shown."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import time_machine
from playwright.sync_api import expect

from egov.conftest import check_page
from egov.org.models import Position, Role

from .browser_support import login, type_code
from .hmin_helpers import certify
from .material_files import make_pdf, media  # noqa: F401 - fixture
from .secretariat_helpers import VN, at, reachable

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOCAL = "%Y-%m-%dT%H:%M"
TITLE = "Phiên họp thường kỳ Ủy ban nhân dân tỉnh tháng 4"
ITEMS = [
    "Báo cáo tình hình kinh tế - xã hội quý I",
    "Kế hoạch đầu tư công năm 2027",
    "Các vấn đề khác",
]
OPEN_QUESTION = "Thông qua Báo cáo tình hình kinh tế - xã hội quý I"
SECRET_QUESTION = "Thông qua Kế hoạch đầu tư công năm 2027"
TOPIC = "Ý kiến về tiến độ giải ngân vốn đầu tư công"
SHORT_TASK = "Báo cáo rà soát thủ tục hành chính lĩnh vực hộ tịch"
LONG_TASK = "Hoàn thiện đề án số hóa sổ hộ tịch"


def vote_as(window, meeting_url: str, question: str, choice: str, check: bool = False) -> str:  # type: ignore[no-untyped-def]
    """A voter answers an open vote from the meeting's votes page; the receipt code shown."""
    window.goto(meeting_url + "bieu-quyet/")
    window.get_by_role("link", name=f"Biểu quyết: {question}").click()
    window.get_by_role("heading", name="Phiếu biểu quyết").wait_for()
    if check:
        check_page(window)
    window.get_by_label(choice, exact=True).check()
    window.get_by_role("button", name="Gửi phiếu").click()
    window.get_by_role("heading", name="Phiếu của anh/chị đã được ghi nhận").wait_for()
    expect(window.get_by_text(f"Ý kiến: {choice}")).to_be_visible()
    return str(window.locator(".receipt-code code").inner_text().strip())


def test_a_meeting_from_invitation_to_an_overdue_task(  # type: ignore[no-untyped-def]
    page, window, board, make_official, give_totp, other_agency, tmp_path
) -> None:
    chairman, _ = Position.objects.get_or_create(
        code="chu-tich", defaults={"name": "Chủ tịch", "is_leader": True}
    )
    board.chair.position = chairman
    board.chair.save()
    clerk_official = make_official(board.agency, roles=[Role.CLERK], username="vanthu")
    reachable(board)
    certify()  # the demo CA: a certificate for every official and the agency's seal
    members = board.members[:3]
    for official in [board.secretariat, board.chair, board.secretary, *members, clerk_official]:
        give_totp(official.user)
    chair_name = board.chair.user.get_full_name()
    speaker_name = members[1].user.get_full_name()

    # --- The secretariat creates the meeting, its agenda and its materials, and sends it. ---
    office = page
    login(office, "vanphong")
    office.goto(office.base_url + "/hop/quan-ly/")
    check_page(office)
    office.get_by_role("link", name="Tạo cuộc họp").click()
    office.get_by_role("heading", name="Tạo cuộc họp").wait_for()
    check_page(office)
    office.get_by_label("Tên cuộc họp").fill(TITLE)
    office.get_by_label("Họp thường kỳ").check()
    office.get_by_label("Bắt đầu").fill(at(1, 8).strftime(LOCAL))
    office.get_by_label("Kết thúc dự kiến").fill(at(1, 11, 30).strftime(LOCAL))
    office.get_by_label("Địa điểm").fill("Phòng họp số 1, trụ sở Ủy ban nhân dân tỉnh")
    office.get_by_label("Chủ trì").select_option(value=str(board.chair.pk))
    office.get_by_label("Thư ký cuộc họp").select_option(value=str(board.secretary.pk))
    for member in members:
        name = member.user.get_full_name()
        office.get_by_label("Tìm cán bộ").fill(name)
        office.get_by_role("group", name=name, exact=False).first.get_by_label("Thành viên").check()
    office.get_by_role("button", name="Tạo cuộc họp").click()
    office.get_by_text("Đã tạo cuộc họp.").wait_for()
    check_page(office)
    found = re.match(r"(.*/hop/\d+/)sua/", office.url)
    assert found, office.url
    meeting_url = found[1]

    for n, title in enumerate(ITEMS, start=1):
        office.locator("#id_new-title").fill(title)
        office.locator("#id_new-duration_minutes").fill("30")
        office.get_by_role("button", name="Thêm vào chương trình").click()
        office.get_by_text(f"Đã thêm nội dung {n}: {title}.").wait_for()
    expect(office.get_by_text("Tổng thời lượng dự kiến: 90 phút.")).to_be_visible()

    office.get_by_role("link", name="Tài liệu họp").click()
    office.get_by_role("heading", name="Tài liệu họp").wait_for()
    check_page(office)
    materials = [
        ("bao-cao-kt-xh.pdf", "Báo cáo tình hình kinh tế - xã hội quý I", 1),
        ("ke-hoach-dau-tu-cong.pdf", "Dự thảo Kế hoạch đầu tư công năm 2027", 2),
    ]
    for filename, title, item in materials:
        pdf = tmp_path / filename
        pdf.write_bytes(make_pdf(title, pages=2))
        form = office.get_by_role("region", name="Tải lên tài liệu")
        form.get_by_label("Tệp tài liệu").set_input_files(str(pdf))
        form.get_by_label("Tên tài liệu").fill(title)
        form.get_by_label("Thuộc nội dung họp").select_option(label=f"{item}. {ITEMS[item - 1]}")
        form.get_by_role("button", name="Tải lên", exact=True).click()
        office.get_by_text(f"Đã thêm tài liệu “{title}”.").wait_for()
    table = office.locator(".materials-table")
    expect(table.get_by_role("link", name=materials[1][1])).to_be_visible()
    expect(table.get_by_text("Phiên bản 1", exact=False)).to_have_count(2)

    office.goto(meeting_url + "sua/")
    office.get_by_role("link", name="Gửi giấy mời").first.click()
    office.get_by_role("heading", name="Người nhận giấy mời (5 người)").wait_for()
    check_page(office)
    office.get_by_role("button", name="Gửi giấy mời").click()
    office.get_by_text("Đã gửi giấy mời họp tới 5 người.").wait_for()

    # --- The members find the invitation, read a material and confirm; one will speak. ---
    member_windows = []
    for member in members:
        mine = window(member.user.username)
        member_windows.append(mine)
        mine.goto(mine.base_url + "/hop/")
        expect(mine.get_by_text("1 giấy mời chưa trả lời", exact=False)).to_be_visible()
        if member is members[0]:
            check_page(mine)
        mine.get_by_role("link", name=TITLE).click()
        mine.wait_for_url(meeting_url)
        if member is members[0]:
            check_page(mine)
            mine.get_by_role("link", name=materials[0][1]).click()
            mine.get_by_role("img", name="Trang 1/2").wait_for()
            check_page(mine)
            mine.goto(meeting_url)
        mine.get_by_label("Tham dự").check()
        mine.get_by_role("button", name="Gửi trả lời").click()
        mine.get_by_text("Đã xác nhận tham dự.").wait_for()
    first, speaker, third = member_windows

    item_one = speaker.locator("li.agenda-item").filter(has_text=f"1. {ITEMS[0]}")
    item_one.locator("summary", has_text="Đăng ký phát biểu").click()
    item_one.get_by_label("Nội dung dự định phát biểu").fill(TOPIC)
    item_one.get_by_role("button", name="Gửi đăng ký phát biểu").click()
    speaker.get_by_text(f"Đã đăng ký phát biểu về nội dung “{ITEMS[0]}”.").wait_for()
    expect(speaker.get_by_text("đứng thứ 1 trong danh sách chờ", exact=False)).to_be_visible()
    check_page(speaker)

    # The secretariat sees the answers.
    office.goto(meeting_url + "sua/")
    expect(office.get_by_role("cell", name="Tham dự")).to_have_count(3)

    # --- The chair opens the meeting and gives the floor. ---
    chair = window("chutich")
    chair.goto(meeting_url)
    chair.get_by_role("link", name="Điều hành cuộc họp").click()
    chair.get_by_role("heading", name="Điều hành cuộc họp").wait_for()
    check_page(chair)
    chair.get_by_role("button", name="Khai mạc cuộc họp").click()
    chair.get_by_text("Đã khai mạc cuộc họp.").wait_for()
    queue = chair.locator("#live .speaker-queue")
    expect(queue.get_by_text(speaker_name)).to_be_visible()
    expect(queue.get_by_text(TOPIC)).to_be_visible()
    check_page(chair)
    chair.get_by_role("button", name="Mời người tiếp theo phát biểu").click()
    chair.get_by_text("Đã mời phát biểu.").wait_for()
    expect(queue.get_by_text("Đang phát biểu")).to_be_visible()
    speaker.reload()
    expect(speaker.locator("#live").get_by_text("Mời anh/chị phát biểu")).to_be_visible()
    check_page(speaker)
    chair.get_by_role("button", name="Kết thúc phát biểu").click()
    chair.get_by_text("Đã kết thúc phát biểu.").wait_for()

    # The secretary opens the minutes while the meeting is going on.
    secretary = window("thuky")
    secretary.goto(meeting_url + "bien-ban/")
    check_page(secretary)
    secretary.get_by_role("button", name="Lập biên bản").click()
    secretary.get_by_text("Đã mở biên bản cuộc họp.").first.wait_for()
    secretary.locator("#phan-opening").get_by_label("Ghi chép").fill(
        f"Đồng chí {chair_name} khai mạc cuộc họp, nêu mục đích, yêu cầu."
    )
    # Saved without a click, a few seconds after typing stops.
    secretary.locator("#phan-opening").get_by_text("Đã lưu lúc").wait_for()
    check_page(secretary)

    # --- An open vote on item 1: everyone votes on their page, the chair closes it. ---
    chair.goto(meeting_url + "bieu-quyet/")
    check_page(chair)
    chair.get_by_role("combobox", name="Nội dung họp").select_option(label=f"1. {ITEMS[0]}")
    chair.get_by_label("Nội dung cần biểu quyết").fill(OPEN_QUESTION)
    chair.get_by_label("Biểu quyết công khai").check()
    chair.get_by_role("button", name="Chuẩn bị biểu quyết").click()
    chair.get_by_text(f"Đã chuẩn bị biểu quyết “{OPEN_QUESTION}”.").wait_for()
    chair.get_by_role("button", name="Mở biểu quyết").click()
    chair.get_by_text(f"Đã mở biểu quyết “{OPEN_QUESTION}”.").wait_for()
    check_page(chair)
    vote_as(chair, meeting_url, OPEN_QUESTION, "Tán thành", check=True)
    check_page(chair)
    vote_as(first, meeting_url, OPEN_QUESTION, "Tán thành")
    vote_as(speaker, meeting_url, OPEN_QUESTION, "Tán thành")
    vote_as(third, meeting_url, OPEN_QUESTION, "Không tán thành")
    chair.goto(meeting_url + "bieu-quyet/")
    expect(chair.get_by_text("4/4 thành viên đã biểu quyết", exact=False)).to_be_visible()
    chair.get_by_role("button", name="Kết thúc biểu quyết").click()
    chair.get_by_text(f"Đã kết thúc biểu quyết “{OPEN_QUESTION}”: Thông qua.").wait_for()
    # An open vote names everyone's choice.
    third.goto(meeting_url + "bieu-quyet/")
    check_page(third)
    third.get_by_role("link", name=OPEN_QUESTION).click()
    third.get_by_role("heading", name="Kết quả biểu quyết").wait_for()
    expect(third.get_by_text("Thông qua", exact=False).first).to_be_visible()
    check_page(third)

    # --- Item 2 and a secret vote: the voter keeps the receipt and checks it. ---
    chair.goto(meeting_url + "dieu-hanh/")
    chair.get_by_role("button", name=f"Chuyển sang nội dung tiếp theo: 2. {ITEMS[1]}").click()
    chair.get_by_text("Đã chuyển nội dung.").wait_for()
    chair.goto(meeting_url + "bieu-quyet/")
    chair.get_by_role("combobox", name="Nội dung họp").select_option(label=f"2. {ITEMS[1]}")
    chair.get_by_label("Nội dung cần biểu quyết").fill(SECRET_QUESTION)
    chair.get_by_label("Bỏ phiếu kín").check()
    chair.get_by_role("button", name="Chuẩn bị biểu quyết").click()
    chair.get_by_text(f"Đã chuẩn bị biểu quyết “{SECRET_QUESTION}”.").wait_for()
    chair.get_by_role("button", name="Mở biểu quyết").click()
    chair.get_by_text(f"Đã mở biểu quyết “{SECRET_QUESTION}”.").wait_for()
    receipt = vote_as(first, meeting_url, SECRET_QUESTION, "Tán thành")
    assert re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){3}", receipt), receipt
    expect(first.get_by_text("Mã chỉ hiện một lần.")).to_be_visible()
    check_page(first)
    vote_as(chair, meeting_url, SECRET_QUESTION, "Tán thành")
    vote_as(speaker, meeting_url, SECRET_QUESTION, "Tán thành")
    vote_as(third, meeting_url, SECRET_QUESTION, "Không biểu quyết")
    chair.goto(meeting_url + "bieu-quyet/")
    chair.get_by_role("button", name="Kết thúc biểu quyết").click()
    chair.get_by_text(f"Đã kết thúc biểu quyết “{SECRET_QUESTION}”: Thông qua.").wait_for()

    first.goto(meeting_url + "bieu-quyet/")
    first.get_by_role("link", name=SECRET_QUESTION).click()
    first.get_by_role("heading", name="Kết quả biểu quyết").wait_for()
    expect(first.get_by_text("Chữ ký số hợp lệ", exact=False).first).to_be_visible()
    check_page(first)
    first.get_by_role("link", name="mã biên nhận").first.click()
    first.get_by_role("heading", name="Kiểm tra phiếu bằng mã biên nhận").wait_for()
    check_page(first)
    first.get_by_label("Mã biên nhận").fill(receipt)
    first.get_by_role("button", name="Kiểm tra").click()
    first.get_by_role("heading", name="Đã tìm thấy phiếu").wait_for()
    expect(first.get_by_text("Phiếu đã được kiểm và có trong kết quả biểu quyết.")).to_be_visible()
    expect(first.locator(".panel-confirmation").get_by_text("Tán thành")).to_be_visible()

    # --- The chair closes the meeting. ---
    chair.goto(meeting_url + "dieu-hanh/")
    chair.get_by_role("button", name="Bế mạc cuộc họp").click()
    chair.get_by_text("Đã bế mạc cuộc họp.").wait_for()
    expect(chair.get_by_text("Cuộc họp đã bế mạc", exact=False).first).to_be_visible()

    # --- The secretary finishes the minutes; secretary and chair sign them. ---
    secretary.goto(meeting_url + "bien-ban/")
    record = secretary.get_by_role("region", name="Thông tin điền tự động")
    expect(record.get_by_text(speaker_name, exact=False).first).to_be_visible()
    expect(secretary.get_by_text(f"Biểu quyết: {OPEN_QUESTION}", exact=False).first).to_be_visible()
    expect(
        secretary.get_by_text(f"Biểu quyết: {SECRET_QUESTION}", exact=False).first
    ).to_be_visible()
    closing = secretary.locator("#phan-closing")
    closing.get_by_label("Ghi chép").fill("Cuộc họp kết thúc lúc 11 giờ cùng ngày.")
    closing.get_by_role("button", name="Lưu").click()
    secretary.get_by_text("Đã lưu biên bản.").first.wait_for()
    assert (
        secretary.locator("#phan-opening")
        .get_by_label("Ghi chép")
        .input_value()
        .startswith("Đồng chí")
    )
    secretary.get_by_role("button", name="Trình ký biên bản").click()
    secretary.get_by_text("Đã trình ký biên bản.").first.wait_for()
    check_page(secretary)
    type_code(secretary)
    secretary.get_by_role("button", name="Ký số biên bản").click()
    secretary.get_by_text("Đã ký số biên bản.").first.wait_for()

    chair.goto(meeting_url + "bien-ban/")
    check_page(chair)
    type_code(chair)
    chair.get_by_role("button", name="Ký số biên bản").click()
    chair.get_by_text("Đã ký số biên bản.").first.wait_for()
    expect(chair.get_by_role("link", name="Biên bản đã ký (PDF)")).to_be_visible()

    # A member reads the signed minutes.
    third.goto(meeting_url + "bien-ban/")
    expect(third.get_by_text("Biên bản đã được thư ký và chủ tọa ký số.")).to_be_visible()
    check_page(third)

    # --- The conclusion notice and its tasks, submitted to the chair by the secretary. ---
    secretary.goto(meeting_url + "ket-luan/")
    check_page(secretary)
    secretary.get_by_label("Nội dung kết luận").fill(
        "Thống nhất thông qua Báo cáo tình hình kinh tế - xã hội quý I và Kế hoạch đầu tư công "
        "năm 2027."
    )
    for row, (title, days) in enumerate([(SHORT_TASK, 2), (LONG_TASK, 30)]):
        secretary.locator(f"#id_nv-{row}-title").fill(title)
        secretary.locator(f"#id_nv-{row}-agency").select_option(label=other_agency.name)
        secretary.locator(f"#id_nv-{row}-due_days").fill(str(days))
    secretary.get_by_role("button", name="Lưu thông báo kết luận").click()
    secretary.get_by_text("Đã lưu thông báo kết luận.").first.wait_for()
    secretary.get_by_role("button", name="Trình ký thông báo kết luận").click()
    secretary.get_by_text("Đã trình dự thảo thông báo kết luận", exact=False).first.wait_for()
    check_page(secretary)

    # The chair approves and signs it in the documents app.
    chair.goto(meeting_url + "ket-luan/")
    check_page(chair)
    expect(
        chair.get_by_text(f"{other_agency.name}: {SHORT_TASK} — 2 ngày làm việc")
    ).to_be_visible()
    chair.get_by_role("definition").get_by_role("link").click()
    chair.wait_for_url("**/van-ban/di/*/")
    check_page(chair)
    chair.get_by_label("Đồng ý").check()
    chair.get_by_label("Nội dung ý kiến").fill("Đồng ý ban hành.")
    chair.get_by_role("button", name="Gửi ý kiến").click()
    chair.get_by_text("Đã ghi ý kiến.").wait_for()
    chair.get_by_role("link", name="Xem trước và ký số").click()
    chair.get_by_role("heading", name="Xem trước và ký số").wait_for()
    check_page(chair)
    type_code(chair)
    chair.get_by_role("button", name="Ký số văn bản").click()
    chair.get_by_text("Đã ký số văn bản").first.wait_for()

    # The agency's clerk numbers and issues it.
    clerk = window("vanthu")
    clerk.goto(clerk.base_url + "/van-ban/?tab=cho-cap-so")
    check_page(clerk)
    clerk.get_by_role("link", name="Kết luận của Chủ tịch", exact=False).first.click()
    clerk.get_by_role("button", name="Cấp số và ban hành").click()
    clerk.get_by_text("Đã cấp số 01/TB-UBND").wait_for()
    check_page(clerk)

    # The meeting's conclusion page shows the number and the tasks, none overdue yet.
    chair.goto(meeting_url + "ket-luan/")
    facts = chair.locator("dl.facts")
    expect(facts.get_by_text("01/TB-UBND")).to_be_visible()
    tasks = chair.get_by_role("region", name="Nhiệm vụ")
    short_row = tasks.get_by_role("row").filter(has_text=SHORT_TASK)
    expect(tasks.get_by_role("row").filter(has_text=LONG_TASK)).to_be_visible()
    expect(tasks.get_by_text("Quá hạn")).to_have_count(0)
    check_page(chair)
    due_text = short_row.get_by_role("cell").nth(2).inner_text().strip()
    due = datetime.strptime(due_text, "%H:%M %d/%m/%Y").replace(tzinfo=VN)

    # --- A day past the first task's deadline, the chair opens their task list. ---
    # time-machine moves the clock of the whole process, the live server's thread included;
    # the chair signs in again (an official's session lasts 8 hours).
    with time_machine.travel(due + timedelta(days=1), tick=True):
        later = window("chutich")
        later.goto(later.base_url + "/hop/nhiem-vu/")
        overdue = later.get_by_role(
            "region", name="Nhiệm vụ quá hạn của các cuộc họp anh/chị chủ trì (1)"
        )
        row = overdue.get_by_role("row").filter(has_text=SHORT_TASK)
        expect(row.get_by_text(other_agency.name)).to_be_visible()
        expect(row.get_by_role("link", name=TITLE)).to_be_visible()
        expect(row.get_by_text("01/TB-UBND")).to_be_visible()
        expect(row.get_by_text("1 ngày", exact=True)).to_be_visible()
        expect(overdue.get_by_text(LONG_TASK)).to_have_count(0)
        check_page(later)
        row.get_by_role("link", name=TITLE).click()
        overdue_rows = later.get_by_role("region", name="Nhiệm vụ").get_by_role("row")
        expect(overdue_rows.filter(has_text=SHORT_TASK).get_by_text("Quá hạn")).to_be_visible()
        expect(overdue_rows.filter(has_text=LONG_TASK).get_by_text("Quá hạn")).to_have_count(0)
