"""The demo's meetings and written consultation, prepared as the provincial People's
Committee's office (`ubndtinh.vanphong`) would, through the meetings services only:

- a regular meeting a few working days ahead, published, with three agenda items each with a
  generated Tờ trình (one confidential to named readers), a guest on one item and some answers
  (one member declined and sent a delegate);
- a thematic meeting held and closed: presence, a speaker, an open vote closed, the minutes
  written, submitted and signed by the secretary and the chair. The services refuse a meeting
  that starts in the past, so this one is scheduled a few minutes after the load and held at
  once (its minutes show the real opening and closing times);
- an open written consultation on the office's draft decision to the People's Committee's
  members, five working days to answer, two answers already signed.

Signatures are confirmed with the demo authenticator's current code (results.current_demo_code),
each signer signing once. Each step looks at what exists first, so a second run creates
nothing and a run interrupted half way is finished by the next.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from egov.core.actors import SYSTEM, Actor, actor_for_user
from egov.core.pdfrender import render_pdf
from egov.org.models import Agency, Official

from .data import AGENCIES, MEETINGS_SECRETARIAT

UBND_KEY = "ubnd"
DEPARTMENTS = ("stp", "sxd", "snnmt", "stc", "syt", "snv")
CHAIR = "ubndtinh.chutich"
VICE_CHAIR = "ubndtinh.phochutich"
SECRETARY = "ubndtinh.chuyenvien"

UPCOMING_TITLE = "Phiên họp thường kỳ Ủy ban nhân dân tỉnh tháng 12/2026"
HELD_TITLE = "Phiên họp chuyên đề về cải cách hành chính"
CONSULTATION_TITLE = "Dự thảo Quy chế làm việc của Ủy ban nhân dân tỉnh nhiệm kỳ 2026 - 2031"
DRAFT_SUBJECT = "Ban hành Quy chế làm việc của Ủy ban nhân dân tỉnh Quảng Ninh nhiệm kỳ 2026 - 2031"
PLACE = "Phòng họp số 1, tầng 5, trụ sở Ủy ban nhân dân tỉnh Quảng Ninh"
WORKING_DAYS_AHEAD = 3
CONSULTATION_DAYS = 5


@dataclass(frozen=True)
class Submission:
    """A department's Tờ trình to the People's Committee: an agenda item and its material."""

    department: str  # data.AGENCIES key
    number: int
    item: str  # the agenda item's title
    about: str  # "Về …" under TỜ TRÌNH
    minutes: int
    sections: tuple[tuple[str, tuple[str, ...]], ...]
    confidential_to: tuple[str, ...] = ()  # usernames; empty: every participant reads it


UPCOMING_ITEMS: tuple[Submission, ...] = (
    Submission(
        "stc",
        215,
        "Tình hình kinh tế - xã hội năm 2026; kế hoạch phát triển kinh tế - xã hội và dự toán "
        "ngân sách tỉnh năm 2027",
        "Về dự thảo Kế hoạch phát triển kinh tế - xã hội và dự toán ngân sách nhà nước tỉnh "
        "năm 2027",
        60,
        (
            (
                "",
                (
                    "Thực hiện chương trình công tác của Ủy ban nhân dân tỉnh năm 2026, Sở Tài "
                    "chính đã chủ trì, phối hợp với các sở, ngành, địa phương tổng hợp tình hình "
                    "thực hiện nhiệm vụ năm 2026 và xây dựng dự thảo Kế hoạch phát triển kinh "
                    "tế - xã hội, dự toán ngân sách nhà nước tỉnh năm 2027.",
                ),
            ),
            (
                "I. KẾT QUẢ THỰC HIỆN NĂM 2026",
                (
                    "Các chỉ tiêu chủ yếu về tăng trưởng kinh tế, thu ngân sách, giải ngân vốn "
                    "đầu tư công và an sinh xã hội cơ bản đạt kế hoạch; chi tiết tại Báo cáo kèm "
                    "theo.",
                    "Một số tồn tại: tiến độ giải ngân một số dự án chậm; thủ tục đất đai, xây "
                    "dựng còn kéo dài ở một số địa phương.",
                ),
            ),
            (
                "II. ĐỀ XUẤT",
                (
                    "Sở Tài chính kính trình Ủy ban nhân dân tỉnh xem xét, thảo luận, thông qua "
                    "dự thảo Kế hoạch phát triển kinh tế - xã hội và dự toán ngân sách nhà nước "
                    "tỉnh năm 2027 để trình Hội đồng nhân dân tỉnh tại kỳ họp cuối năm.",
                ),
            ),
        ),
    ),
    Submission(
        "sxd",
        98,
        "Dự thảo Quyết định quy định phân cấp quản lý chất lượng công trình xây dựng trên địa "
        "bàn tỉnh",
        "Về dự thảo Quyết định quy định phân cấp quản lý chất lượng công trình xây dựng trên "
        "địa bàn tỉnh Quảng Ninh",
        45,
        (
            (
                "I. SỰ CẦN THIẾT",
                (
                    "Sau khi sắp xếp đơn vị hành chính cấp xã và tổ chức chính quyền địa phương "
                    "hai cấp, việc phân cấp quản lý chất lượng công trình xây dựng cần được quy "
                    "định lại cho phù hợp với thẩm quyền của Ủy ban nhân dân cấp xã.",
                ),
            ),
            (
                "II. NỘI DUNG CHÍNH CỦA DỰ THẢO",
                (
                    "Dự thảo gồm 3 chương, 12 điều, quy định trách nhiệm của Sở Xây dựng, các "
                    "sở quản lý công trình xây dựng chuyên ngành và Ủy ban nhân dân cấp xã trong "
                    "kiểm tra công tác nghiệm thu công trình.",
                    "Dự thảo đã được lấy ý kiến các sở, ngành, Ủy ban nhân dân cấp xã và thẩm "
                    "định của Sở Tư pháp; ý kiến đã được tiếp thu, giải trình đầy đủ.",
                ),
            ),
            (
                "III. ĐỀ XUẤT",
                ("Sở Xây dựng kính trình Ủy ban nhân dân tỉnh xem xét, quyết định ban hành.",),
            ),
        ),
    ),
    Submission(
        "snv",
        143,
        "Phương án sắp xếp các đơn vị sự nghiệp công lập thuộc Sở Y tế",
        "Về phương án sắp xếp, kiện toàn các đơn vị sự nghiệp công lập thuộc Sở Y tế",
        45,
        (
            (
                "I. HIỆN TRẠNG",
                (
                    "Sở Y tế hiện có các đơn vị sự nghiệp công lập trực thuộc ở cấp tỉnh và các "
                    "trung tâm y tế khu vực; một số đơn vị có chức năng trùng lặp.",
                ),
            ),
            (
                "II. PHƯƠNG ÁN",
                (
                    "Hợp nhất các đơn vị có chức năng tương đồng, giữ ổn định mạng lưới khám "
                    "bệnh, chữa bệnh ở cơ sở; phương án bố trí nhân sự lãnh đạo các đơn vị sau "
                    "sắp xếp tại Phụ lục kèm theo.",
                ),
            ),
            (
                "III. ĐỀ XUẤT",
                (
                    "Sở Nội vụ kính trình Ủy ban nhân dân tỉnh cho ý kiến về phương án để hoàn "
                    "thiện hồ sơ trình cấp có thẩm quyền.",
                ),
            ),
        ),
        confidential_to=(VICE_CHAIR, "snv.giamdoc", "syt.giamdoc"),
    ),
)

HELD_ITEMS: tuple[Submission, ...] = (
    Submission(
        "snv",
        150,
        "Kế hoạch cải cách hành chính tỉnh năm 2027",
        "Về dự thảo Kế hoạch cải cách hành chính tỉnh Quảng Ninh năm 2027",
        60,
        (
            (
                "",
                (
                    "Sở Nội vụ đã xây dựng dự thảo Kế hoạch cải cách hành chính năm 2027 với "
                    "các nhiệm vụ: cải cách thể chế, thủ tục hành chính, tổ chức bộ máy, chế độ "
                    "công vụ, tài chính công và xây dựng chính quyền số.",
                    "Sở Nội vụ kính trình Ủy ban nhân dân tỉnh xem xét, thông qua.",
                ),
            ),
        ),
    ),
)
HELD_SECOND_ITEM = "Tình hình giải quyết thủ tục hành chính tại Trung tâm Phục vụ hành chính công"
HELD_GUEST = "ttpvhcc.giamdoc"

# (username, response, reason, delegate username): answers to the upcoming meeting's invitation.
UPCOMING_ANSWERS: tuple[tuple[str, str, str, str], ...] = (
    (VICE_CHAIR, "accepted", "", ""),
    ("stc.giamdoc", "accepted", "", ""),
    ("sxd.giamdoc", "accepted", "", ""),
    (
        "syt.giamdoc",
        "declined",
        "Dự hội nghị trực tuyến của Bộ Y tế cùng thời gian",
        "syt.truongphong",
    ),
)
UPCOMING_GUEST = ("sxd.truongphong", 2)  # the guest and the agenda item (position) they attend
HELD_ABSENT = ("snnmt.giamdoc", "Kiểm tra công tác phòng, chống thiên tai tại đặc khu Vân Đồn")
HELD_SPEAKER = "stc.giamdoc"

# The secretary's notes: "opening", "closing" and an agenda item by its position.
MINUTES_NOTES: dict[str | int, str] = {
    "opening": (
        "Đồng chí Chủ tịch Ủy ban nhân dân tỉnh khai mạc phiên họp, quán triệt yêu cầu hoàn "
        "thành các nhiệm vụ cải cách hành chính năm 2027."
    ),
    1: (
        "Đồng chí Giám đốc Sở Nội vụ trình bày dự thảo Kế hoạch. Đồng chí Giám đốc Sở Tài chính "
        "đề nghị bố trí kinh phí thực hiện trong dự toán năm 2027. Ủy ban nhân dân tỉnh biểu "
        "quyết thông qua Kế hoạch."
    ),
    2: (
        "Đồng chí Giám đốc Trung tâm Phục vụ hành chính công báo cáo tỷ lệ hồ sơ giải quyết "
        "đúng hạn; các sở tiếp tục rà soát, cắt giảm thời gian giải quyết."
    ),
    "closing": "Phiên họp kết thúc; Văn phòng Ủy ban nhân dân tỉnh ra thông báo kết luận.",
}

CONSULTATION_QUESTION = (
    "Đề nghị các đồng chí thành viên Ủy ban nhân dân tỉnh cho ý kiến về dự thảo Quyết định ban "
    "hành Quy chế làm việc của Ủy ban nhân dân tỉnh nhiệm kỳ 2026 - 2031 (kèm theo)."
)
DRAFT_CONTENT = "\n".join(
    (
        "Căn cứ Luật Tổ chức chính quyền địa phương năm 2025;",
        "Theo đề nghị của Chánh Văn phòng Ủy ban nhân dân tỉnh.",
        "QUYẾT ĐỊNH:",
        "Điều 1. Ban hành kèm theo Quyết định này Quy chế làm việc của Ủy ban nhân dân tỉnh "
        "Quảng Ninh nhiệm kỳ 2026 - 2031.",
        "Điều 2. Quyết định này có hiệu lực kể từ ngày ký.",
        "Điều 3. Chánh Văn phòng Ủy ban nhân dân tỉnh, Giám đốc các sở, ban, ngành, Chủ tịch Ủy "
        "ban nhân dân các xã, phường, đặc khu và các cơ quan, đơn vị liên quan chịu trách nhiệm "
        "thi hành Quyết định này.",
    )
)
# (username, answer, comment): the answers already signed.
CONSULTATION_ANSWERS: tuple[tuple[str, str, str], ...] = (
    (VICE_CHAIR, "agree", ""),
    (
        "stc.giamdoc",
        "comment",
        "Đề nghị bổ sung quy định gửi tài liệu họp điện tử trước phiên họp ít nhất 03 ngày làm "
        "việc.",
    ),
)


@dataclass
class DemoMeetingsResult:
    meetings: int = 0
    consultations: int = 0


class _People:
    """The demo officials by username (loaded once)."""

    def __init__(self) -> None:
        names = [CHAIR, VICE_CHAIR, SECRETARY, MEETINGS_SECRETARIAT.username, HELD_GUEST]
        names += [f"{d}.{role}" for d in DEPARTMENTS for role in ("giamdoc", "truongphong")]
        self.by_name = {
            o.user.username: o
            for o in Official.objects.filter(user__username__in=names).select_related(
                "user", "agency"
            )
        }
        self.complete = len(self.by_name) == len(set(names))

    def __getitem__(self, username: str) -> Official:
        return self.by_name[username]

    def actor(self, username: str) -> Actor:
        return actor_for_user(self[username].user)

    @property
    def members(self) -> list[Official]:
        """The People's Committee's members besides the chairman."""
        return [self[VICE_CHAIR], *(self[f"{d}.giamdoc"] for d in DEPARTMENTS)]


def _agency(key: str) -> Agency | None:
    identifier = next(a.identifier for a in AGENCIES if a.key == key)
    return Agency.objects.filter(identifier=identifier).select_related("parent").first()


def _working_days_ahead(agency: Agency, days: int) -> date:
    from egov.workcalendar.services import WorkingCalendar

    calendar = WorkingCalendar.for_agency(agency)
    day = timezone.localdate()
    for _ in range(days):
        day = calendar.next_working_day(day)
    return day


def submission_pdf(submission: Submission) -> bytes:
    """The department's Tờ trình as a readable PDF (the demo's material)."""
    department = _agency(submission.department)
    assert department is not None
    spec = next(a for a in AGENCIES if a.key == submission.department)
    director = Official.objects.filter(user__username=f"{submission.department}.giamdoc").first()
    today = timezone.localdate()
    return render_pdf(
        "demo/to_trinh.html",
        {
            "parent_name": department.parent.name if department.parent else "",
            "agency_name": department.name.replace(" tỉnh Quảng Ninh", ""),
            "symbol": f"{submission.number}/TTr-{spec.abbreviation}",
            "day": f"{today.day:02d}",
            "month": f"{today.month:02d}",
            "year": today.year,
            "about": submission.about,
            "sections": submission.sections,
            "unit_abbreviation": spec.units[3].abbreviation if len(spec.units) > 3 else "VP",
            "signer_title": "Giám đốc",
            "signer_name": director.user.get_full_name() if director else "",
            "confidential": bool(submission.confidential_to),
        },
    )


def _upload(submission: Submission) -> SimpleUploadedFile:
    return SimpleUploadedFile(
        f"to-trinh-{submission.department}-{submission.number}.pdf",
        submission_pdf(submission),
        content_type="application/pdf",
    )


def _ensure_signer(official: Official) -> None:
    """A personal certificate from the demo CA for an official who signs here (the demo CA gives
    leaders one; the meeting's secretary is a specialist)."""
    from egov.signing.models import SigningIdentity
    from egov.signing.services import demo_issuing_ca, ensure_demo_ca, issue_demo_identity

    if demo_issuing_ca() is None:
        ensure_demo_ca(actor=SYSTEM)
    now = timezone.now()
    usable = SigningIdentity.objects.filter(
        official=official, revoked_at__isnull=True, not_before__lte=now, not_after__gt=now
    )
    if not usable.exists():
        issue_demo_identity(actor=SYSTEM, official=official)


def _code(official: Official) -> str:
    from .results import current_demo_code

    return current_demo_code(official.user)


# --- the meeting ahead ----------------------------------------------------------------------------


def _add_items(people: _People, meeting: Any, submissions: tuple[Submission, ...]) -> None:
    from egov.meetings.services import meetings as svc

    for submission in submissions:
        svc.add_item(
            actor=people.actor(MEETINGS_SECRETARIAT.username),
            meeting=meeting,
            title=submission.item,
            presenter=people[f"{submission.department}.giamdoc"],
            duration_minutes=submission.minutes,
        )


def _add_materials(people: _People, meeting: Any, submissions: tuple[Submission, ...]) -> None:
    from egov.meetings.services.materials import add_material

    items = {i.title: i for i in meeting.items.all()}
    for submission in submissions:
        spec = next(a for a in AGENCIES if a.key == submission.department)
        add_material(
            actor=people.actor(MEETINGS_SECRETARIAT.username),
            meeting=meeting,
            title=f"Tờ trình số {submission.number}/TTr-{spec.abbreviation} "
            f"{submission.about[0].lower()}{submission.about[1:]}",
            upload=_upload(submission),
            item=items.get(submission.item),
            confidential=bool(submission.confidential_to),
            readers=[people[name] for name in submission.confidential_to],
        )


def _answer(people: _People, meeting: Any, answers: tuple[tuple[str, str, str, str], ...]) -> None:
    from egov.meetings.models import Participant
    from egov.meetings.services.attendance import answer_invitation

    pending = set(
        Participant.objects.filter(
            meeting=meeting, response=Participant.Response.PENDING
        ).values_list("official__user__username", flat=True)
    )
    for username, response, reason, delegate in answers:
        if username not in pending:
            continue
        answer_invitation(
            actor=people.actor(username),
            meeting=meeting,
            response=response,
            reason=reason,
            delegate=people[delegate] if delegate else None,
        )


def _upcoming(people: _People, ubnd: Agency) -> int:
    from egov.meetings.models import Meeting, MeetingStatus
    from egov.meetings.services import meetings as svc

    office = people.actor(MEETINGS_SECRETARIAT.username)
    made = 0
    meeting = Meeting.objects.filter(agency=ubnd, title=UPCOMING_TITLE).first()
    if meeting is None:
        day = _working_days_ahead(ubnd, WORKING_DAYS_AHEAD)
        starts = timezone.make_aware(datetime.combine(day, time(8, 0)), _vn())
        meeting = svc.create_meeting(
            actor=office,
            data=svc.MeetingInput(
                title=UPCOMING_TITLE,
                kind=Meeting.Kind.REGULAR,
                chair=people[CHAIR],
                secretary=people[SECRETARY],
                starts_at=starts,
                ends_at=starts + timedelta(hours=3, minutes=30),
                place=PLACE,
                description=(
                    "Phiên họp thường kỳ tháng 12: kinh tế - xã hội và ngân sách năm 2027, "
                    "phân cấp quản lý chất lượng công trình, sắp xếp đơn vị sự nghiệp y tế."
                ),
                members=people.members,
            ),
        )
        made = 1
    if meeting.status == MeetingStatus.DRAFT:
        if not meeting.items.exists():
            _add_items(people, meeting, UPCOMING_ITEMS)
        guest, position = UPCOMING_GUEST
        svc.set_participants(
            actor=office,
            meeting=meeting,
            members=people.members,
            guests=[(people[guest], list(meeting.items.filter(position=position)))],
        )
        if not meeting.materials.exists():
            _add_materials(people, meeting, UPCOMING_ITEMS)
        meeting = svc.publish(actor=office, meeting=meeting)
    if meeting.status == MeetingStatus.PUBLISHED:
        _answer(people, meeting, UPCOMING_ANSWERS)
    return made


def _vn() -> Any:
    from egov.workcalendar.services import VN_TZ

    return VN_TZ


# --- the meeting held -----------------------------------------------------------------------------


def _held_start(now: datetime) -> datetime:
    """The next quarter hour at least five minutes ahead (the services refuse a past start)."""
    local = timezone.localtime(now + timedelta(minutes=5), _vn())
    minute = (local.minute // 15 + 1) * 15
    return local.replace(minute=0, second=0, microsecond=0) + timedelta(minutes=minute)


def _hold(people: _People, meeting: Any) -> Any:
    """Answers, presence, opening, a speaker, the vote on item 1, item 2, closing."""
    from egov.meetings.models import MeetingStatus, Participant, SpeakingRequest, Vote, VoteStatus
    from egov.meetings.rules import ABSTAIN, FOR
    from egov.meetings.services import attendance, session, speaking, votes

    chair, secretary = people.actor(CHAIR), people.actor(SECRETARY)
    if meeting.status == MeetingStatus.PUBLISHED:
        absent, reason = HELD_ABSENT
        _answer(people, meeting, tuple(_held_answers(people, absent, reason)))
        attendance.record_presence(
            actor=secretary,
            meeting=meeting,
            present=list(
                Participant.objects.filter(meeting=meeting).exclude(official__user__username=absent)
            ),
        )
        meeting = session.open_meeting(actor=chair, meeting=meeting)
    if meeting.status != MeetingStatus.IN_SESSION:
        return meeting
    first, second = list(meeting.items.order_by("position"))[:2]
    if not SpeakingRequest.objects.filter(item=first).exists():
        speaking.request_to_speak(
            actor=people.actor(HELD_SPEAKER),
            item=first,
            topic="Bố trí kinh phí thực hiện Kế hoạch trong dự toán năm 2027",
        )
        request = speaking.call_next_speaker(actor=chair, item=first)
        speaking.finish_speaker(actor=chair, request=request)
    vote = Vote.objects.filter(item=first).first()
    if vote is None:
        vote = votes.create_vote(
            actor=secretary,
            item=first,
            question="Thông qua Kế hoạch cải cách hành chính tỉnh năm 2027",
            kind=Vote.Kind.OPEN,
        )
    if vote.status == VoteStatus.DRAFT:
        vote = votes.open_vote(actor=chair, vote=vote)
    if vote.status == VoteStatus.OPEN:
        voted = set(vote.participations.values_list("official__user__username", flat=True))
        for official in [people[CHAIR], *people.members]:
            username = official.user.username
            if username in voted or username == HELD_ABSENT[0]:
                continue
            # One member abstains: the count shows more than one option.
            choice = ABSTAIN if username == "stp.giamdoc" else FOR
            votes.cast_ballot(actor=actor_for_user(official.user), vote=vote, choice=choice)
        votes.close_vote(actor=chair, vote=vote)
    meeting.refresh_from_db()
    if meeting.current_item_id != second.pk:
        meeting = session.start_item(actor=chair, meeting=meeting, item=second)
    return session.close_meeting(actor=chair, meeting=meeting)


def _held_answers(people: _People, absent: str, reason: str) -> list[tuple[str, str, str, str]]:
    return [
        (m.user.username, "declined", reason, "")
        if m.user.username == absent
        else (m.user.username, "accepted", "", "")
        for m in people.members
    ]


def _minutes(people: _People, meeting: Any) -> None:
    """The secretary writes and submits the minutes; the secretary and the chair sign them."""
    from egov.meetings.models import MinutesStatus
    from egov.meetings.services import minutes as svc

    secretary = people.actor(SECRETARY)
    minutes = svc.start_minutes(actor=secretary, meeting=meeting)
    if minutes.status == MinutesStatus.DRAFT:
        positions = {i.position: str(i.pk) for i in meeting.items.all()}
        notes = {positions[k] if isinstance(k, int) else k: v for k, v in MINUTES_NOTES.items()}
        svc.write_minutes(actor=secretary, minutes=minutes, notes=notes, explicit=True)
        minutes = svc.submit_minutes(actor=secretary, minutes=minutes)
    for username in (SECRETARY, CHAIR):
        minutes.refresh_from_db()
        if minutes.status != MinutesStatus.SIGNING:
            break
        if svc.signer_role(minutes, people[username]) is None:
            continue
        _ensure_signer(people[username])
        minutes = svc.sign_minutes(
            actor=people.actor(username), minutes=minutes, second_factor=_code(people[username])
        )


def _held(people: _People, ubnd: Agency) -> int:
    from egov.meetings.models import Meeting, MeetingStatus
    from egov.meetings.services import meetings as svc

    office = people.actor(MEETINGS_SECRETARIAT.username)
    made = 0
    meeting = Meeting.objects.filter(agency=ubnd, title=HELD_TITLE).first()
    if meeting is None:
        starts = _held_start(timezone.now())
        meeting = svc.create_meeting(
            actor=office,
            data=svc.MeetingInput(
                title=HELD_TITLE,
                kind=Meeting.Kind.THEMATIC,
                chair=people[CHAIR],
                secretary=people[SECRETARY],
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                place=PLACE,
                members=people.members,
            ),
        )
        made = 1
    if meeting.status == MeetingStatus.DRAFT:
        if not meeting.items.exists():
            _add_items(people, meeting, HELD_ITEMS)
            svc.add_item(
                actor=office,
                meeting=meeting,
                title=HELD_SECOND_ITEM,
                presenter=people[HELD_GUEST],
                duration_minutes=30,
            )
        svc.set_participants(
            actor=office,
            meeting=meeting,
            members=people.members,
            guests=[(people[HELD_GUEST], list(meeting.items.filter(position=2)))],
        )
        if not meeting.materials.exists():
            _add_materials(people, meeting, HELD_ITEMS)
        meeting = svc.publish(actor=office, meeting=meeting)
    if meeting.status in (MeetingStatus.PUBLISHED, MeetingStatus.IN_SESSION):
        meeting = _hold(people, meeting)
    if meeting.status == MeetingStatus.CLOSED:
        _minutes(people, meeting)
    return made


# --- the written consultation ---------------------------------------------------------------------


def _consultation(people: _People, ubnd: Agency) -> int:
    from egov.documents.models import OutgoingDocument
    from egov.documents.services import DraftInput, create_draft
    from egov.meetings.models import Consultation, ConsultationStatus
    from egov.meetings.services import consultations as svc

    office = people.actor(MEETINGS_SECRETARIAT.username)
    made = 0
    consultation = Consultation.objects.filter(agency=ubnd, title=CONSULTATION_TITLE).first()
    if consultation is None:
        draft = OutgoingDocument.objects.filter(agency=ubnd, subject=DRAFT_SUBJECT).first()
        if draft is None:
            draft = create_draft(
                actor=office,
                data=DraftInput(
                    doc_type="quyet-dinh", subject=DRAFT_SUBJECT, content=DRAFT_CONTENT
                ),
            )
        consultation = svc.create_consultation(
            actor=office,
            draft=draft,
            title=CONSULTATION_TITLE,
            question=CONSULTATION_QUESTION,
            members=[people[CHAIR], *people.members],
            chair=people[CHAIR],
            deadline_days=CONSULTATION_DAYS,
        )
        made = 1
    if consultation.status == ConsultationStatus.DRAFT:
        consultation = svc.send_consultation(actor=people.actor(CHAIR), consultation=consultation)
    if consultation.status == ConsultationStatus.OPEN:
        answered = set(
            consultation.members.filter(answered_at__isnull=False).values_list(
                "official__user__username", flat=True
            )
        )
        for username, answer, comment in CONSULTATION_ANSWERS:
            if username in answered:
                continue
            _ensure_signer(people[username])
            svc.answer_consultation(
                actor=people.actor(username),
                consultation=consultation,
                answer=answer,
                comment=comment,
                second_factor=_code(people[username]),
            )
    return made


def load_demo_meetings() -> DemoMeetingsResult:
    """The demo's meetings and consultation (module docstring); nothing is made twice. Needs
    load_demo (the officials); the demo CA is made when missing. Returns what was created."""
    result = DemoMeetingsResult()
    ubnd = _agency(UBND_KEY)
    people = _People()
    if ubnd is None or not people.complete:
        return result
    result.meetings += _upcoming(people, ubnd)
    result.meetings += _held(people, ubnd)
    result.consultations += _consultation(people, ubnd)
    return result
