"""A one-stop desk's address and opening hours, as data, written the way the portal shows them."""

from __future__ import annotations

from datetime import time

import pytest

from egov.core.actors import SYSTEM
from egov.events.models import Event
from egov.org import services
from egov.org.models import Unit
from egov.org.services import OrgError

pytestmark = pytest.mark.django_db


def test_hours_read_as_people_say_them(one_stop_unit):
    unit = one_stop_unit
    assert unit.opening_hours_text() == ""
    unit.morning_opens, unit.morning_closes = time(7, 30), time(11, 30)
    unit.afternoon_opens, unit.afternoon_closes = time(13, 30), time(17, 0)
    assert unit.opening_hours_text() == "Thứ Hai–Thứ Sáu 7:30–11:30, 13:30–17:00"
    unit.saturday = "morning"
    assert unit.opening_hours_text() == (
        "Thứ Hai–Thứ Sáu 7:30–11:30, 13:30–17:00; Thứ Bảy 7:30–11:30"
    )
    unit.saturday = "full"
    assert unit.opening_hours_text() == "Thứ Hai–Thứ Bảy 7:30–11:30, 13:30–17:00"


def test_desk_details_are_saved_with_an_event(one_stop_unit):
    services.update_unit(
        actor=SYSTEM,
        unit=one_stop_unit,
        address="Tầng 1, Trụ sở Liên cơ quan số 3",
        morning_opens=time(7, 30),
        morning_closes=time(11, 30),
    )
    stored = Unit.objects.get(pk=one_stop_unit.pk)
    assert stored.opening_hours_text() == "Thứ Hai–Thứ Sáu 7:30–11:30"
    event = Event.objects.filter(event_type="org.unit_updated").latest("id")
    assert event.payload["changes"]["address"] == ["", "Tầng 1, Trụ sở Liên cơ quan số 3"]


@pytest.mark.parametrize(
    "changes",
    [
        {"morning_opens": time(7, 30)},  # no closing time
        {"morning_opens": time(11, 30), "morning_closes": time(7, 30)},  # backwards
        {
            "morning_opens": time(7, 30),
            "morning_closes": time(14, 0),
            "afternoon_opens": time(13, 30),
            "afternoon_closes": time(17, 0),
        },  # overlapping sessions
        {"saturday": "morning"},  # open on Saturday, closed all week
    ],
)
def test_impossible_hours_are_refused(one_stop_unit, changes):
    with pytest.raises(OrgError):
        services.update_unit(actor=SYSTEM, unit=one_stop_unit, **changes)
