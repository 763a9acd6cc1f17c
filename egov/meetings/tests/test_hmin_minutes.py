"""Minutes: the secretary writes, the record fills in attendance, speakers and votes, the PDF is
signed by the secretary and the chair (both signatures valid for pyHanko and pdfsig); a wrong
code signs nothing; a member cannot sign; writes are coalesced in the event log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from egov.core.errors import DomainError, NotAllowed, NotFoundError
from egov.events.models import Event
from egov.meetings import event_types as et
from egov.meetings.models import AgendaItem, MeetingStatus, Minutes, MinutesDraft, MinutesStatus
from egov.meetings.services import minutes as svc
from egov.meetings.services.minutes_record import current_notes

from .conftest import actor
from .hmin_helpers import certify, code_for, held_meeting, local, pdf_text

pytestmark = pytest.mark.django_db


def signature_reasons(content: bytes) -> list[str]:
    import io

    from pypdf import PdfReader

    fields = PdfReader(io.BytesIO(content)).get_fields() or {}
    return [str(f.value.get("/Reason", "")) for f in fields.values() if hasattr(f.value, "get")]


@pytest.fixture(autouse=True)
def media(tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def delegate(board, make_official):  # type: ignore[no-untyped-def]
    return make_official(board.agency, username="duthay")


def _events(minutes: Minutes, event_type: str) -> list[Event]:
    return list(
        Event.objects.filter(
            subject_type=et.MINUTES, subject_id=str(minutes.pk), event_type=event_type
        ).order_by("id")
    )


def _written(board, make_meeting, delegate):  # type: ignore[no-untyped-def]
    meeting = held_meeting(board, make_meeting, delegate)
    minutes = svc.start_minutes(actor=actor(board.secretary), meeting=meeting)
    first = AgendaItem.objects.get(meeting=meeting, position=1)
    svc.write_minutes(
        actor=actor(board.secretary),
        minutes=minutes,
        notes={
            "opening": "Chủ tọa khai mạc, thông qua chương trình cuộc họp.",
            str(first.pk): "Sở Thông tin và Truyền thông trình bày dự thảo kế hoạch.",
            "closing": "Chủ tọa kết luận và bế mạc cuộc họp.",
        },
        explicit=True,
    )
    return meeting, minutes


def test_the_pdf_carries_what_the_record_knows(board, make_meeting, delegate) -> None:  # type: ignore[no-untyped-def]
    meeting, minutes = _written(board, make_meeting, delegate)
    minutes = svc.submit_minutes(actor=actor(board.secretary), minutes=minutes)
    assert minutes.status == MinutesStatus.SIGNING
    content = svc.read_pdf(minutes)
    assert content is not None
    text = pdf_text(content)
    opened, closed = local(meeting.opened_at), local(meeting.closed_at)
    for expected in (
        "ỦY BAN NHÂN DÂN TỈNH QUẢNG NINH",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "BIÊN BẢN",
        meeting.title,
        # times in Asia/Ho_Chi_Minh
        f"{opened:%H} giờ {opened:%M}, ngày {opened:%d/%m/%Y}",
        f"kết thúc vào {closed:%H} giờ {closed:%M}, ngày {closed:%d/%m/%Y}",
        # attendance: present, absent with reasons, the delegate, the guest
        "(6 người có mặt)",
        board.members[0].user.get_full_name(),
        "Đi công tác tại Hà Nội",
        "Ốm",
        f"{delegate.user.get_full_name()}, Chuyên viên, dự thay "
        f"{board.members[4].user.get_full_name()}",
        "Khách mời",
        # the items with presenters, the speaker, the vote
        "1. Nội dung 1",
        f"Người trình bày: {board.members[0].user.get_full_name()}",
        "Đề nghị bổ sung kinh phí chuyển đổi số",
        "Thông qua Kế hoạch chuyển đổi số năm 2027",
        "Tán thành 4",
        "Không tán thành 1",
        "Thông qua. 4 tán thành trên 7 (tổng số thành viên); cần ít nhất 4",
        "Ủy ban nhân dân: quá nửa tổng số thành viên",
        # the secretary's text
        "Chủ tọa khai mạc, thông qua chương trình cuộc họp.",
        "Sở Thông tin và Truyền thông trình bày dự thảo kế hoạch.",
        "Chủ tọa kết luận và bế mạc cuộc họp.",
    ):
        assert expected in text, expected
    assert "Rút đăng ký" not in text  # a withdrawn request is no speech
    assert set(minutes.signature_boxes) == {"secretary", "chair"}
    submitted = _events(minutes, et.MINUTES_SUBMITTED.name)
    assert submitted[0].payload["sha256"] == minutes.pdf_sha256


def test_secretary_and_chair_sign_and_both_signatures_validate(
    board, make_meeting, delegate
) -> None:  # type: ignore[no-untyped-def]
    from egov.signing.services import pdfsig_report, validate_pdf

    certify()
    _meeting, minutes = _written(board, make_meeting, delegate)
    minutes = svc.submit_minutes(actor=actor(board.secretary), minutes=minutes)

    minutes = svc.sign_minutes(
        actor=actor(board.secretary), minutes=minutes, second_factor=code_for(board.secretary)
    )
    assert minutes.status == MinutesStatus.SIGNING and minutes.secretary_signed_at
    minutes = svc.sign_minutes(
        actor=actor(board.chair), minutes=minutes, second_factor=code_for(board.chair)
    )
    minutes.refresh_from_db()
    assert minutes.status == MinutesStatus.SIGNED and minutes.chair_signed_at

    signed = svc.read_pdf(minutes)
    assert signed is not None
    result = validate_pdf(signed)
    assert result.valid, result.errors
    assert [s.signer_subject for s in result.signatures] == [
        board.secretary.user.get_full_name(),
        board.chair.user.get_full_name(),
    ]
    assert all(s.intact and s.trusted for s in result.signatures)
    report = pdfsig_report(signed)
    assert report.count("Signature Validation: Signature is Valid.") == 2, report
    assert signature_reasons(signed) == [
        "Ký biên bản cuộc họp (thư ký)",
        "Ký biên bản cuộc họp (chủ tọa)",
    ]
    assert [e.payload["signed_as"] for e in _events(minutes, et.MINUTES_SIGNED.name)] == [
        "secretary",
        "chair",
    ]


def test_wrong_code_signs_nothing_and_a_member_cannot_sign(board, make_meeting, delegate) -> None:  # type: ignore[no-untyped-def]
    certify()
    _meeting, minutes = _written(board, make_meeting, delegate)
    minutes = svc.submit_minutes(actor=actor(board.secretary), minutes=minutes)
    before = (minutes.version, minutes.pdf_sha256, minutes.pdf.name)
    code_for(board.chair)  # has an authenticator
    with pytest.raises(DomainError) as wrong:
        svc.sign_minutes(actor=actor(board.chair), minutes=minutes, second_factor="000000")
    assert wrong.value.code == "second_factor_invalid"
    with pytest.raises(NotAllowed):
        svc.sign_minutes(
            actor=actor(board.members[0]),
            minutes=minutes,
            second_factor=code_for(board.members[0]),
        )
    with pytest.raises(NotFoundError):  # not invited: the minutes are not even found
        svc.sign_minutes(
            actor=actor(board.outsider),
            minutes=minutes,
            second_factor="123456",
        )
    minutes.refresh_from_db()
    assert (minutes.version, minutes.pdf_sha256, minutes.pdf.name) == before
    assert minutes.chair_signed_at is None and minutes.secretary_signed_at is None
    assert not _events(minutes, et.MINUTES_SIGNED.name)


def test_signing_twice_and_reopening_after_a_signature_are_refused(
    board, make_meeting, delegate
) -> None:  # type: ignore[no-untyped-def]
    certify()
    _meeting, minutes = _written(board, make_meeting, delegate)
    minutes = svc.submit_minutes(actor=actor(board.secretary), minutes=minutes)
    # Before any signature the secretary may take the minutes back.
    minutes = svc.reopen_minutes(actor=actor(board.secretary), minutes=minutes)
    assert minutes.status == MinutesStatus.DRAFT and not minutes.pdf
    minutes = svc.submit_minutes(actor=actor(board.secretary), minutes=minutes)
    minutes = svc.sign_minutes(
        actor=actor(board.secretary), minutes=minutes, second_factor=code_for(board.secretary)
    )
    with pytest.raises(DomainError, match="đã ký"):
        svc.sign_minutes(
            actor=actor(board.secretary),
            minutes=minutes,
            second_factor=code_for(board.secretary),
        )
    with pytest.raises(DomainError, match="đã có chữ ký"):
        svc.reopen_minutes(actor=actor(board.secretary), minutes=minutes)
    minutes.refresh_from_db()
    assert minutes.status == MinutesStatus.SIGNING


def test_only_the_secretary_starts_writes_and_submits(board, make_meeting, delegate) -> None:  # type: ignore[no-untyped-def]
    meeting = held_meeting(board, make_meeting, delegate)
    with pytest.raises(NotAllowed):
        svc.start_minutes(actor=actor(board.chair), meeting=meeting)
    with pytest.raises(NotFoundError):
        svc.start_minutes(actor=actor(board.outsider), meeting=meeting)
    minutes = svc.start_minutes(actor=actor(board.secretary), meeting=meeting)
    assert svc.start_minutes(actor=actor(board.secretary), meeting=meeting) == minutes
    for who, error in ((board.members[0], NotAllowed), (board.outsider, NotFoundError)):
        with pytest.raises(error):
            svc.write_minutes(
                actor=actor(who), minutes=minutes, notes={"opening": "Giả mạo"}, explicit=True
            )
        with pytest.raises(error):
            svc.submit_minutes(actor=actor(who), minutes=minutes)
    with pytest.raises(DomainError) as bad:
        svc.write_minutes(actor=actor(board.secretary), minutes=minutes, notes={"999999": "x"})
    assert bad.value.code == "minutes_invalid" and "999999" in bad.value.fields
    minutes.refresh_from_db()
    assert minutes.notes == {} and minutes.version == 1


def test_minutes_of_a_meeting_not_yet_published_cannot_start_nor_submit_before_closing(
    board, make_meeting
) -> None:  # type: ignore[no-untyped-def]
    draft = make_meeting(MeetingStatus.DRAFT)
    with pytest.raises(DomainError, match="gửi giấy mời"):
        svc.start_minutes(actor=actor(board.secretary), meeting=draft)
    assert not Minutes.objects.filter(meeting=draft).exists()
    running = make_meeting(MeetingStatus.IN_SESSION, starts_in=timedelta(minutes=-30))
    minutes = svc.start_minutes(actor=actor(board.secretary), meeting=running)
    with pytest.raises(DomainError, match="bế mạc"):
        svc.submit_minutes(actor=actor(board.secretary), minutes=minutes)
    minutes.refresh_from_db()
    assert minutes.status == MinutesStatus.DRAFT and not minutes.pdf


def test_autosave_is_coalesced_to_one_event_per_part_per_minute(
    board, make_meeting, delegate
) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting(MeetingStatus.IN_SESSION, starts_in=timedelta(minutes=-30))
    minutes = svc.start_minutes(actor=actor(board.secretary), meeting=meeting)
    item = AgendaItem.objects.get(meeting=meeting, position=2)
    t0 = timezone.now()
    who = actor(board.secretary)

    def save(text: str, seconds: int, part: str = str(item.pk)) -> None:
        svc.write_minutes(
            actor=who, minutes=minutes, notes={part: text}, now=t0 + timedelta(seconds=seconds)
        )

    save("Ý kiến", 0)  # first write of the part: in the minutes, an event
    save("Ý kiến thứ nhất", 5)  # within the minute: buffered
    save("Ý kiến thứ nhất, thứ hai", 20)
    save("Ý kiến thứ nhất, thứ hai", 25)  # unchanged: nothing
    save("Khai mạc", 30, "opening")  # another part: its own first write, takes the wait along
    minutes.refresh_from_db()
    updates = _events(minutes, et.MINUTES_UPDATED.name)
    assert [e.payload["parts"] for e in updates] == [
        [str(item.pk)],
        sorted(["opening", str(item.pk)]),
    ]
    assert minutes.notes[str(item.pk)] == "Ý kiến thứ nhất, thứ hai"
    save("Khai mạc cuộc họp", 40, "opening")  # buffered again
    assert current_notes(minutes)["opening"] == "Khai mạc cuộc họp"
    minutes.refresh_from_db()
    assert minutes.notes["opening"] == "Khai mạc"
    save("Khai mạc cuộc họp lúc 8 giờ", 95, "opening")  # a minute later: written
    minutes.refresh_from_db()
    assert minutes.notes["opening"] == "Khai mạc cuộc họp lúc 8 giờ"
    assert len(_events(minutes, et.MINUTES_UPDATED.name)) == 3
    # What waits in the buffer is written at the submission, with its event.
    save("Khai mạc cuộc họp lúc 8 giờ 00", 100, "opening")
    meeting.status, meeting.closed_at = MeetingStatus.CLOSED, timezone.now()
    meeting.save()
    minutes = svc.submit_minutes(actor=who, minutes=minutes)
    assert minutes.notes["opening"] == "Khai mạc cuộc họp lúc 8 giờ 00"
    assert _events(minutes, et.MINUTES_UPDATED.name)[-1].payload["parts"] == ["opening"]
    assert "Khai mạc cuộc họp lúc 8 giờ 00" in pdf_text(svc.read_pdf(minutes) or b"")
    assert MinutesDraft.objects.filter(minutes=minutes).count() == 2
