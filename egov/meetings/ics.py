"""The meeting as an iCalendar invitation (RFC 5545, with the iTIP methods of RFC 5546).

One UID for the meeting's whole life (`Meeting.ical_uid`) and its SEQUENCE (`ical_sequence`,
+1 at every change sent and at cancellation) let calendar programs replace the event they hold
instead of adding a second one. Times are written with TZID=Asia/Ho_Chi_Minh and a VTIMEZONE of
our own (Viet Nam has kept +07:00 without daylight saving since 13 June 1975), so a meeting at
08:00 reads 08:00 in Hà Nội and 01:00 UTC anywhere else.

METHOD:REQUEST is the invitation (and every update); METHOD:CANCEL with STATUS:CANCELLED cancels
the whole meeting; METHOD:CANCEL naming only some attendees, without STATUS, takes those people
off the meeting (RFC 5546 3.2.5: STATUS is left out when uninviting).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from email.utils import parseaddr
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from icalendar import Calendar, Event, Timezone, TimezoneStandard, vCalAddress, vText

from .models import AgendaItem, Meeting, Participant

TZID = "Asia/Ho_Chi_Minh"
VN = ZoneInfo(TZID)
PRODID = "-//Chinh quyen dien tu//Phong hop khong giay//VI"
METHODS = ("REQUEST", "CANCEL")

ROLES = {
    Participant.Role.CHAIR: "CHAIR",
    Participant.Role.MEMBER: "REQ-PARTICIPANT",
    # The secretary is there to keep the minutes, not to take part in the decision.
    Participant.Role.SECRETARY: "NON-PARTICIPANT",
    Participant.Role.GUEST: "OPT-PARTICIPANT",
}
# The chair first, then the members, the secretary and the guests.
ROLE_ORDER: dict[str, int] = {
    Participant.Role.CHAIR: 0,
    Participant.Role.MEMBER: 1,
    Participant.Role.SECRETARY: 2,
    Participant.Role.GUEST: 3,
}
PARTSTAT = {
    Participant.Response.PENDING: "NEEDS-ACTION",
    Participant.Response.ACCEPTED: "ACCEPTED",
    Participant.Response.DECLINED: "DECLINED",
}


def meeting_link(meeting: Meeting) -> str:
    """The meeting's page for its participants (`meetings:detail`, /hop/<id>/)."""
    try:
        return reverse("meetings:detail", args=[meeting.pk])
    except NoReverseMatch:
        # The participants' page is another area's; its address is fixed by the routing plan.
        return f"{reverse('meetings:manage').rsplit('quan-ly/', 1)[0]}{meeting.pk}/"


def absolute(path: str) -> str:
    """PUBLIC_BASE_URL + path (the path alone without it). Kept here, not imported from
    services/notify.py, so that the services may build ICS files without an import cycle."""
    base = (getattr(settings, "PUBLIC_BASE_URL", "") or "").rstrip("/")
    return f"{base}{path}" if base else path


def local(moment: datetime) -> datetime:
    return timezone.localtime(moment, VN)


def vtimezone() -> Timezone:
    tz = Timezone()
    tz.add("tzid", TZID)
    standard = TimezoneStandard()
    standard.add("dtstart", datetime(1975, 6, 13, 0, 0, 0))
    standard.add("tzoffsetfrom", timedelta(hours=8))  # the south's offset until that day
    standard.add("tzoffsetto", timedelta(hours=7))
    standard.add("tzname", "ICT")
    tz.add_component(standard)
    return tz


def cal_address(official: object) -> str:
    """An official's calendar address: their e-mail, else a stable URN (RFC 4122) so that
    every attendee is still listed and recognised from one file to the next."""
    user = getattr(official, "user", None)
    email = getattr(user, "email", "") if user is not None else ""
    if email:
        return f"mailto:{email}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'egov-official:{official.pk}')}"  # type: ignore[attr-defined]


def _name(official: object) -> str:
    user = getattr(official, "user", None)
    return str(user.get_full_name()) if user is not None else str(official)


def _address(official: object, **params: str) -> vCalAddress:
    address = vCalAddress(cal_address(official))
    address.params["CN"] = vText(_name(official))
    for key, value in params.items():
        address.params[key.replace("_", "-").upper()] = vText(value)
    return address


def _organizer(meeting: Meeting) -> vCalAddress:
    email = meeting.agency.email or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    address = vCalAddress(f"mailto:{email}")
    address.params["CN"] = vText(meeting.agency.name)
    return address


def _items_for(meeting: Meeting, viewer: Participant | None) -> list[AgendaItem]:
    items = list(meeting.items.select_related("presenter__user").order_by("position"))
    if viewer is not None and viewer.role == Participant.Role.GUEST:
        # A guest is shown only the items they are invited to.
        allowed = set(viewer.items.values_list("pk", flat=True))
        items = [i for i in items if i.pk in allowed]
    return items


def description(meeting: Meeting, viewer: Participant | None = None) -> str:
    lines: list[str] = []
    if meeting.description:
        lines += [meeting.description.strip(), ""]
    items = _items_for(meeting, viewer)
    if items:
        lines.append("Chương trình họp:")
        for item in items:
            presenter = (_name(item.presenter) if item.presenter_id else item.presenter_name) or ""
            extra = f" — {presenter}" if presenter else ""
            lines.append(f"{item.position}. {item.title}{extra} ({item.duration_minutes} phút)")
    if meeting.online_link:
        lines += ["", f"Họp trực tuyến: {meeting.online_link}"]
    lines += ["", f"Chi tiết, tài liệu họp: {absolute(meeting_link(meeting))}"]
    return "\n".join(lines).strip()


def location(meeting: Meeting) -> str:
    parts = [p for p in (meeting.place, meeting.online_link) if p]
    return " — ".join(parts)


def meeting_ics(
    meeting: Meeting,
    method: str = "REQUEST",
    *,
    attendees: Iterable[object] | None = None,
    viewer: Participant | None = None,
    now: datetime | None = None,
) -> str:
    """The meeting's iCalendar text.

    `method`: REQUEST (invitation, update) or CANCEL. `attendees`: for a CANCEL, only these
    officials are taken off the meeting (the meeting itself goes on: no STATUS). `viewer`: the
    participant the file is for (a guest's agenda lists only their items)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}")
    now = now or timezone.now()
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    cal.add_component(vtimezone())

    event = Event()
    event.add("uid", meeting.ical_uid)
    event.add("sequence", meeting.ical_sequence)
    event.add("dtstamp", now.astimezone(ZoneInfo("UTC")))
    event.add("dtstart", local(meeting.starts_at))
    event.add("dtend", local(meeting.ends_at))
    event.add("summary", meeting.title)
    where = location(meeting)
    if where:
        event.add("location", where)
    event.add("description", description(meeting, viewer))
    event.add("organizer", _organizer(meeting))
    url = absolute(meeting_link(meeting))
    if url.startswith(("https://", "http://")):
        event.add("url", url)  # a URI (RFC 5545 3.8.4.6): only with PUBLIC_BASE_URL set
    event.add("categories", [meeting.get_kind_display()])

    uninvite = attendees is not None
    if uninvite:
        for official in attendees or ():
            event.add("attendee", _address(official, cutype="INDIVIDUAL"))
    else:
        rows = meeting.participants.select_related("official__user", "delegate__user")
        for participant in sorted(rows, key=lambda p: (ROLE_ORDER[p.role], p.pk)):
            params = {
                "cutype": "INDIVIDUAL",
                "role": ROLES[Participant.Role(participant.role)],
                "partstat": PARTSTAT[Participant.Response(participant.response)],
            }
            if participant.response == Participant.Response.PENDING:
                params["rsvp"] = "TRUE"
            if participant.delegate_id:
                params["partstat"] = "DELEGATED"
                params["delegated_to"] = f'"{cal_address(participant.delegate)}"'
            event.add("attendee", _address(participant.official, **params))
            if participant.delegate_id:
                event.add(
                    "attendee",
                    _address(
                        participant.delegate,
                        cutype="INDIVIDUAL",
                        role=params["role"],
                        partstat="NEEDS-ACTION",
                        delegated_from=f'"{cal_address(participant.official)}"',
                    ),
                )
    if method == "CANCEL" and not uninvite:
        event.add("status", "CANCELLED")
    elif method == "REQUEST":
        event.add("status", "CONFIRMED")
    cal.add_component(event)
    return cal.to_ical().decode("utf-8")


def attachment(ics: str, method: str = "REQUEST") -> dict[str, str]:
    """The e-mail attachment (egov.events.deliverers: text content)."""
    return {
        "filename": "cuoc-hop.ics" if method == "REQUEST" else "huy-cuoc-hop.ics",
        "content_type": f"text/calendar; charset=utf-8; method={method}",
        "content": ics,
    }
