"""The meeting's iCalendar file (RFC 5545): parsed back with `icalendar`, it carries the right
times in Asia/Ho_Chi_Minh and UTC, one UID for the meeting's life, the SEQUENCE of the change,
the attendees with their roles and answers, and the cancellations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from egov.meetings.ics import meeting_ics
from egov.meetings.models import Meeting, Participant
from egov.meetings.services import meetings as svc

from .conftest import actor
from .secretariat_helpers import VN, at, attendees, details, reachable, vevent

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting(board, make_meeting, settings) -> Meeting:  # type: ignore[no-untyped-def]
    settings.PUBLIC_BASE_URL = "https://dichvucong.quangninh.gov.vn"
    reachable(board)
    start = at(12, 8)
    found: Meeting = make_meeting(
        title="Họp Ủy ban nhân dân tỉnh về kế hoạch đầu tư công",
        online_link="https://hop.quangninh.gov.vn/phong/ubnd",
    )
    Meeting.objects.filter(pk=found.pk).update(starts_at=start, ends_at=start + timedelta(hours=3))
    found.refresh_from_db()
    return found


def _parse(text: str) -> Calendar:
    cal = Calendar.from_ical(text)
    assert cal["VERSION"] == "2.0" and "PRODID" in cal
    return cal


def test_an_invitation_at_eight_in_hanoi_is_one_utc(meeting) -> None:  # type: ignore[no-untyped-def]
    cal = _parse(meeting_ics(meeting))
    assert cal["METHOD"] == "REQUEST"
    (tz,) = cal.walk("VTIMEZONE")
    assert str(tz["TZID"]) == "Asia/Ho_Chi_Minh"
    (standard,) = tz.walk("STANDARD")
    assert standard["TZOFFSETTO"].td == timedelta(hours=7)
    event = vevent(cal)
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert event["DTSTART"].params["TZID"] == "Asia/Ho_Chi_Minh"
    assert (start.hour, start.minute) == (8, 0) and start.utcoffset() == timedelta(hours=7)
    assert start.astimezone(UTC).hour == 1
    assert end - start == timedelta(hours=3)
    # The text itself says 08:00 local time (no conversion left to the reader).
    assert "DTSTART;TZID=Asia/Ho_Chi_Minh:" in meeting_ics(meeting)
    assert start.astimezone(UTC) == meeting.starts_at
    assert isinstance(event.decoded("DTSTAMP"), datetime)


def test_the_event_describes_the_meeting(board, meeting) -> None:  # type: ignore[no-untyped-def]
    event = vevent(_parse(meeting_ics(meeting)))
    assert str(event["UID"]) == meeting.ical_uid and event["SEQUENCE"] == 0
    assert str(event["SUMMARY"]) == meeting.title
    assert str(event["STATUS"]) == "CONFIRMED"
    location = str(event["LOCATION"])
    assert meeting.place in location and meeting.online_link in location
    description = str(event["DESCRIPTION"])
    assert "1. Nội dung 1" in description and "3. Nội dung 3" in description
    assert str(event["URL"]) == f"https://dichvucong.quangninh.gov.vn/hop/{meeting.pk}/"
    assert str(event["ORGANIZER"]).startswith("mailto:")
    assert event["ORGANIZER"].params["CN"] == board.agency.name


def test_attendees_carry_their_role_and_answer(board, meeting) -> None:  # type: ignore[no-untyped-def]
    Participant.objects.filter(meeting=meeting, official=board.members[0]).update(
        response="accepted"
    )
    Participant.objects.filter(meeting=meeting, official=board.members[1]).update(
        response="declined", delegate=board.outsider
    )
    event = vevent(_parse(meeting_ics(meeting)))
    people = {str(a): a.params for a in attendees(event)}
    assert len(people) == 10  # nine invited and one delegate
    assert people["mailto:chutich@quangninh.gov.vn"]["ROLE"] == "CHAIR"
    assert people["mailto:thuky@quangninh.gov.vn"]["ROLE"] == "NON-PARTICIPANT"
    assert people["mailto:khachmoi@quangninh.gov.vn"]["ROLE"] == "OPT-PARTICIPANT"
    member = people["mailto:uyvien3@quangninh.gov.vn"]
    assert member["ROLE"] == "REQ-PARTICIPANT" and member["PARTSTAT"] == "NEEDS-ACTION"
    assert member["RSVP"] == "TRUE"
    assert people["mailto:uyvien1@quangninh.gov.vn"]["PARTSTAT"] == "ACCEPTED"
    absent = people["mailto:uyvien2@quangninh.gov.vn"]
    assert absent["PARTSTAT"] == "DELEGATED"
    assert "nguoingoai@quangninh.gov.vn" in absent["DELEGATED-TO"]
    assert "uyvien2@" in people["mailto:nguoingoai@quangninh.gov.vn"]["DELEGATED-FROM"]
    assert people["mailto:uyvien1@quangninh.gov.vn"]["CN"] == board.members[0].user.full_name


def test_an_official_without_email_is_still_an_attendee(board, meeting) -> None:  # type: ignore[no-untyped-def]
    user = board.members[5].user
    user.email = ""
    user.save(update_fields=["email"])
    first = {str(a) for a in attendees(vevent(_parse(meeting_ics(meeting))))}
    again = {str(a) for a in attendees(vevent(_parse(meeting_ics(meeting))))}
    urns = [a for a in first if a.startswith("urn:uuid:")]
    assert len(urns) == 1 and first == again  # stable from one file to the next


def test_a_guest_sees_only_their_items(board, meeting) -> None:  # type: ignore[no-untyped-def]
    guest = Participant.objects.get(meeting=meeting, official=board.guest)
    description = str(vevent(_parse(meeting_ics(meeting, viewer=guest)))["DESCRIPTION"])
    assert "2. Nội dung 2" in description
    assert "Nội dung 1" not in description and "Nội dung 3" not in description


def test_updates_raise_the_sequence_and_cancellation_is_method_cancel(board, meeting) -> None:  # type: ignore[no-untyped-def]
    sec = actor(board.secretariat)
    svc.publish(actor=sec, meeting=meeting)
    meeting.refresh_from_db()
    first = vevent(_parse(meeting_ics(meeting)))
    svc.update_meeting(
        actor=sec,
        meeting=meeting,
        data=details(
            board,
            starts_at=at(12, 14),
            ends_at=at(12, 16),
            place=meeting.place,
            online_link=meeting.online_link,
        ),
    )
    meeting = svc.republish(actor=sec, meeting=meeting)
    second = vevent(_parse(meeting_ics(meeting)))
    assert str(second["UID"]) == str(first["UID"])
    assert second["SEQUENCE"] == first["SEQUENCE"] + 1
    assert second.decoded("DTSTART").astimezone(VN).hour == 14
    assert second.decoded("DTSTART").astimezone(UTC).hour == 7
    meeting = svc.cancel(actor=sec, meeting=meeting, reason="Trùng lịch làm việc với Trung ương")
    cal = _parse(meeting_ics(meeting, "CANCEL"))
    assert cal["METHOD"] == "CANCEL"
    event = vevent(cal)
    assert str(event["STATUS"]) == "CANCELLED" and event["SEQUENCE"] == 2
    assert str(event["UID"]) == meeting.ical_uid


def test_uninviting_names_only_those_taken_off(board, meeting) -> None:  # type: ignore[no-untyped-def]
    cal = _parse(meeting_ics(meeting, "CANCEL", attendees=[board.members[5]]))
    event = vevent(cal)
    assert cal["METHOD"] == "CANCEL" and "STATUS" not in event
    assert [str(a) for a in attendees(event)] == ["mailto:uyvien6@quangninh.gov.vn"]


def test_unknown_method_is_a_programming_error(meeting) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        meeting_ics(meeting, "PUBLISH")
