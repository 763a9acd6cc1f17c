"""Org tree services: validation, operator-only, one event per real change."""

from __future__ import annotations

import pytest

from egov.core.actors import SYSTEM, actor_for_user
from egov.core.errors import NotAllowed
from egov.events.models import Event
from egov.org import services
from egov.org.models import Agency, Position, Role, Unit

pytestmark = pytest.mark.django_db


def events(event_type: str):
    return Event.objects.filter(event_type=event_type)


def test_create_agency_records_who_did_it(operator, province) -> None:
    actor = actor_for_user(operator)
    agency = services.create_agency(
        actor=actor,
        identifier="000.00.07.h41",
        name="Sở Công Thương tỉnh Quảng Ninh",
        abbreviation="SCT",
        kind=Agency.Kind.DEPARTMENT,
        admin_unit=province,
    )
    assert agency.identifier == "000.00.07.H41"
    event = events("org.agency_created").get(subject_id=str(agency.pk))
    assert event.actor_user_id == operator.pk
    assert event.agency_id == agency.pk
    assert event.payload["identifier"] == "000.00.07.H41"


@pytest.mark.parametrize("identifier", ["H41", "000.00.00", "000-00-00-H41", "000.00.00.h4"])
def test_agency_identifier_must_follow_qcvn_102(identifier: str) -> None:
    with pytest.raises(services.OrgError) as exc:
        services.create_agency(
            actor=SYSTEM,
            identifier=identifier,
            name="Sở A",
            abbreviation="SA",
            kind=Agency.Kind.DEPARTMENT,
        )
    assert "identifier" in exc.value.fields
    assert "000.00.00.H41" in exc.value.fields["identifier"][0]
    assert not Agency.objects.exists()


def test_duplicate_identifier_is_refused(agency) -> None:
    with pytest.raises(services.OrgError) as exc:
        services.create_agency(
            actor=SYSTEM,
            identifier=agency.identifier,
            name="Khác",
            abbreviation="K",
            kind=Agency.Kind.OTHER,
        )
    assert "identifier" in exc.value.fields


def test_officials_cannot_change_the_tree(agency, make_official) -> None:
    leader = make_official(agency, roles=[Role.LEADER])
    with pytest.raises(NotAllowed):
        services.update_agency(actor=actor_for_user(leader.user), agency=agency, name="X")
    agency.refresh_from_db()
    assert agency.name == "Ủy ban nhân dân tỉnh Quảng Ninh"


def test_update_records_changes_and_nothing_when_unchanged(agency, other_agency) -> None:
    services.update_agency(actor=SYSTEM, agency=other_agency, parent=agency, phone="02033123456")
    event = events("org.agency_updated").get()
    assert event.payload["changes"] == {
        "parent_id": [None, agency.pk],
        "phone": ["", "02033123456"],
    }
    services.update_agency(actor=SYSTEM, agency=other_agency, parent=agency)
    assert events("org.agency_updated").count() == 1


def test_agency_tree_cannot_loop(agency, other_agency) -> None:
    services.update_agency(actor=SYSTEM, agency=other_agency, parent=agency)
    with pytest.raises(services.OrgError) as exc:
        services.update_agency(actor=SYSTEM, agency=agency, parent=other_agency)
    assert "parent" in exc.value.fields
    with pytest.raises(services.OrgError):
        services.update_agency(actor=SYSTEM, agency=agency, parent=agency)


def test_units(agency, other_agency) -> None:
    office = services.create_unit(
        actor=SYSTEM, agency=agency, code="VP", name="Văn phòng", kind=Unit.Kind.OFFICE
    )
    assert events("org.unit_created").get().agency_id == agency.pk
    section = services.create_unit(
        actor=SYSTEM,
        agency=agency,
        code="TH",
        name="Phòng Tổng hợp",
        kind=Unit.Kind.PROFESSIONAL,
        parent=office,
    )
    # A unit's parent must be in the same agency, a unit does not move between agencies,
    # codes are unique within an agency.
    elsewhere = services.create_unit(
        actor=SYSTEM, agency=other_agency, code="VP", name="Văn phòng Sở", kind=Unit.Kind.OFFICE
    )
    with pytest.raises(services.OrgError) as exc:
        services.update_unit(actor=SYSTEM, unit=section, parent=elsewhere)
    assert "parent" in exc.value.fields
    with pytest.raises(services.OrgError) as exc:
        services.update_unit(
            actor=SYSTEM, unit=Unit.objects.get(pk=section.pk), agency=other_agency
        )
    assert "agency" in exc.value.fields
    with pytest.raises(services.OrgError):
        services.create_unit(actor=SYSTEM, agency=agency, code="VP", name="Trùng", kind="office")
    services.update_unit(actor=SYSTEM, unit=Unit.objects.get(pk=office.pk), is_active=False)
    assert events("org.unit_updated").get().payload["changes"] == {"is_active": [True, False]}


def test_set_position_of_an_official(agency, make_official) -> None:
    official = make_official(agency)
    head = services.create_position(
        actor=SYSTEM, code="truong-phong", name="Trưởng phòng", is_leader=True
    )
    services.set_official_position(actor=SYSTEM, official=official, position=head)
    official.refresh_from_db()
    assert official.position == head
    event = events("org.official_updated").get()
    assert event.subject_id == str(official.user_id)
    assert event.payload["changes"]["position_id"][1] == head.pk
    assert Position.objects.filter(code="truong-phong").count() == 1


def test_official_unit_must_belong_to_its_agency(agency, other_agency, make_official) -> None:
    official = make_official(agency)
    unit = Unit.objects.create(agency=other_agency, code="MC", name="Một cửa", kind="one_stop")
    with pytest.raises(services.OrgError) as exc:
        services.update_official(actor=SYSTEM, official=official, unit=unit)
    assert "unit" in exc.value.fields


def test_roles_and_operator_access(agency, make_official, operator) -> None:
    official = make_official(agency, roles=[Role.SPECIALIST])
    services.set_official_roles(
        actor=actor_for_user(operator), official=official, roles=[Role.SPECIALIST, Role.OPERATOR]
    )
    official.user.refresh_from_db()
    assert official.user.is_operator and official.user.is_staff
    assert official.role_codes == {"specialist", "operator"}
    event = events("org.official_roles_changed").get()
    assert event.payload["added"] == ["operator"] and event.actor_user_id == operator.pk

    services.set_official_roles(actor=SYSTEM, official=official, roles=[Role.SPECIALIST])
    official.user.refresh_from_db()
    assert not official.user.is_operator and not official.user.is_staff

    with pytest.raises(services.OrgError):
        services.set_official_roles(actor=SYSTEM, official=official, roles=["boss"])
    me = operator.official
    with pytest.raises(services.OrgError, match="chính mình"):
        services.set_official_roles(actor=actor_for_user(operator), official=me, roles=[])
