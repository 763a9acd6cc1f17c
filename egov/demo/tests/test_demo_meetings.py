"""The demo's meetings and written consultation, made through the meetings services as the
provincial office would: what the chairman and the members then see on /hop/, the materials
readable (the confidential one by its readers only), the meeting held with its vote and signed
minutes, the consultation open with signed answers; a second run creates nothing."""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from egov.conftest import login_client
from egov.demo import meetings as demo
from egov.documents.models import OutgoingDocument
from egov.events.models import Event, OutboxMessage
from egov.meetings.models import (
    Ballot,
    Consultation,
    ConsultationMember,
    ConsultationStatus,
    Material,
    MaterialVersion,
    Meeting,
    MeetingStatus,
    Minutes,
    MinutesStatus,
    Participant,
    SpeakingRequest,
    Vote,
    VoteStatus,
)
from egov.meetings.services.consultations import deadline_for
from egov.org.models import Official
from egov.signing.services import validate_pdf
from egov.workcalendar.services import VN_TZ, WorkingCalendar

pytestmark = pytest.mark.django_db


def official(username: str) -> Official:
    return Official.objects.select_related("user").get(user__username=username)


def body(response) -> bytes:  # type: ignore[no-untyped-def]
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def pdf_text(content: bytes) -> str:
    return " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


def counts() -> dict[str, int]:
    return {
        "meetings": Meeting.objects.count(),
        "participants answered": Participant.objects.exclude(response="pending").count(),
        "materials": Material.objects.count(),
        "versions": MaterialVersion.objects.count(),
        "speakers": SpeakingRequest.objects.count(),
        "votes": Vote.objects.count(),
        "ballots": Ballot.objects.count(),
        "minutes": Minutes.objects.count(),
        "consultations": Consultation.objects.count(),
        "answers": ConsultationMember.objects.filter(answered_at__isnull=False).count(),
        "documents": OutgoingDocument.objects.count(),
        "events": Event.objects.count(),
        "outbox": OutboxMessage.objects.count(),
    }


def test_held_meeting_starts_on_a_quarter_hour_ahead() -> None:
    now = datetime(2026, 12, 3, 9, 52, tzinfo=VN_TZ)
    start = demo._held_start(now)
    assert timezone.localtime(start, VN_TZ).replace(tzinfo=None) == datetime(2026, 12, 3, 10, 0)
    assert demo._held_start(datetime(2026, 12, 3, 9, 56, tzinfo=VN_TZ)) > now + timedelta(minutes=5)


def test_demo_meetings_and_consultation(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("load_demo", "--quiet", stdout=StringIO())
    call_command("load_demo_results", stdout=StringIO())
    out = StringIO()
    call_command("load_demo_meetings", stdout=out)
    assert "tạo mới 2 cuộc họp, 1 phiếu lấy ý kiến" in out.getvalue()

    upcoming = Meeting.objects.get(title=demo.UPCOMING_TITLE)
    held = Meeting.objects.get(title=demo.HELD_TITLE)
    chair = official(demo.CHAIR)

    # The meeting ahead: published, 08:00 three working days ahead, prepared by the office.
    assert upcoming.status == MeetingStatus.PUBLISHED
    assert upcoming.created_by == official("ubndtinh.vanphong")
    assert upcoming.chair == chair and upcoming.secretary == official(demo.SECRETARY)
    start = timezone.localtime(upcoming.starts_at, VN_TZ)
    assert start.time() == time(8, 0)
    calendar = WorkingCalendar.for_agency(upcoming.agency)
    assert calendar.is_working_day(start.date())
    assert calendar.working_days_between(timezone.localdate(), start.date()) >= 2
    members = {
        p.official.user.username: p
        for p in upcoming.participants.select_related("official__user", "delegate__user")
    }
    assert {u for u, p in members.items() if p.role == "member"} == {
        demo.VICE_CHAIR,
        *(f"{d}.giamdoc" for d in demo.DEPARTMENTS),
    }
    declined = members["syt.giamdoc"]
    assert declined.response == "declined" and declined.reason
    assert declined.delegate is not None
    assert declined.delegate.user.username == "syt.truongphong"
    assert members["stc.giamdoc"].response == "accepted"
    assert members["stp.giamdoc"].response == "pending"
    guest = members["sxd.truongphong"]
    assert guest.role == "guest"
    assert [i.position for i in guest.items.all()] == [2]

    # The chairman sees both meetings on /hop/ and the agenda with its materials.
    client = login_client(chair.user)
    page = client.get(reverse("meetings:index")).content.decode()
    assert demo.UPCOMING_TITLE in page and demo.HELD_TITLE in page
    page = client.get(reverse("meetings:detail", args=[upcoming.pk])).content.decode()
    for submission in demo.UPCOMING_ITEMS:
        assert submission.item in page
    # Every material is a readable Tờ trình (the chair reads them all, the confidential too).
    materials = list(upcoming.materials.order_by("pk"))
    assert len(materials) == 3
    for material in materials:
        assert material.title in page
        response = client.get(reverse("meetings:material", args=[upcoming.pk, material.pk]))
        assert response.status_code == 200
        response = client.get(reverse("meetings:material_file", args=[upcoming.pk, material.pk]))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        text = pdf_text(body(response))
        assert "TỜ TRÌNH" in text and "Kính gửi" in text
    [secret] = [m for m in materials if m.confidential]
    assert {r.user.username for r in secret.readers.all()} == set(
        demo.UPCOMING_ITEMS[2].confidential_to
    )
    file_url = reverse("meetings:material_file", args=[upcoming.pk, secret.pk])
    assert login_client(official("snv.giamdoc").user).get(file_url).status_code == 200
    assert login_client(official("stp.giamdoc").user).get(file_url).status_code == 404
    # The guest sees only their item.
    guest_page = login_client(guest.official.user).get(
        reverse("meetings:detail", args=[upcoming.pk])
    )
    assert demo.UPCOMING_ITEMS[1].item in guest_page.content.decode()
    assert demo.UPCOMING_ITEMS[0].item not in guest_page.content.decode()

    # The meeting held: closed, a speaker, the vote passed, the minutes signed by both.
    assert held.status == MeetingStatus.CLOSED
    assert held.opened_at is not None and held.closed_at is not None
    assert SpeakingRequest.objects.filter(item__meeting=held, status="done").count() == 1
    [vote] = held.votes.all()
    assert vote.status == VoteStatus.CLOSED and vote.passed
    assert vote.ballots.count() == 1 + len(demo.DEPARTMENTS)  # everyone present but one
    minutes = held.minutes
    assert minutes.status == MinutesStatus.SIGNED
    check = validate_pdf(minutes.pdf.read())
    assert check.valid, check.errors
    assert len(check.signatures) == 2
    minutes_page = client.get(reverse("meetings:minutes", args=[held.pk]))
    assert minutes_page.status_code == 200

    # The consultation: open, five working days, two answers signed; the chair sees them.
    consultation = Consultation.objects.get(title=demo.CONSULTATION_TITLE)
    assert consultation.status == ConsultationStatus.OPEN
    assert consultation.draft.drafted_by == official("ubndtinh.vanphong")
    assert consultation.sent_at is not None
    assert consultation.deadline_at == deadline_for(consultation.agency, consultation.sent_at, 5)
    answered = consultation.members.filter(answered_at__isnull=False).select_related(
        "official__user"
    )
    assert {m.official.user.username: m.answer for m in answered} == {
        demo.VICE_CHAIR: "agree",
        "stc.giamdoc": "comment",
    }
    for member in answered:
        assert validate_pdf(member.signed_ballot.read()).valid
    page = client.get(reverse("meetings:consultation", args=[consultation.pk])).content.decode()
    assert demo.CONSULTATION_TITLE in page
    assert "Ý kiến khác" in page
    waiting = login_client(official("stp.giamdoc").user).get(reverse("meetings:consultations"))
    assert demo.CONSULTATION_TITLE in waiting.content.decode()

    # Again: nothing new, not an event, not a message.
    first = counts()
    out = StringIO()
    call_command("load_demo_meetings", stdout=out)
    assert "tạo mới 0 cuộc họp, 0 phiếu lấy ý kiến" in out.getvalue()
    assert counts() == first
