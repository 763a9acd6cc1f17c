"""The administration (/quan-tri/): operators only, and saves recorded as events."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages

from egov.accounts.models import ApiClient, User
from egov.core.actors import SYSTEM
from egov.events.models import Event
from egov.org import services
from egov.org.models import AdministrativeUnit, Agency, Official, Role, Unit

pytestmark = pytest.mark.django_db

PAGES = [
    "/quan-tri/",
    "/quan-tri/org/administrativeunit/",
    "/quan-tri/org/agency/",
    "/quan-tri/org/agency/add/",
    "/quan-tri/org/unit/",
    "/quan-tri/org/unit/add/",
    "/quan-tri/org/position/",
    "/quan-tri/org/official/",
    "/quan-tri/org/official/add/",
    "/quan-tri/accounts/user/",
    "/quan-tri/accounts/citizenprofile/",
    "/quan-tri/accounts/businessprofile/",
    "/quan-tri/accounts/apiclient/",
    "/quan-tri/accounts/apiclient/add/",
]


def test_operator_opens_every_page(
    mfa_login, operator, agency, one_stop_unit, make_citizen
) -> None:
    make_citizen()
    official = Official.objects.get(user=operator)
    client = mfa_login(operator)
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 200, url
    for url in (
        f"/quan-tri/org/agency/{agency.pk}/change/",
        f"/quan-tri/org/unit/{one_stop_unit.pk}/change/",
        f"/quan-tri/org/official/{official.pk}/change/",
        f"/quan-tri/accounts/user/{operator.pk}/change/",
    ):
        assert client.get(url).status_code == 200, url
    index = client.get("/quan-tri/").content.decode()
    assert "Quản trị hệ thống" in index
    assert "Cơ quan" in index or "cơ quan" in index


def test_operator_without_second_factor_is_sent_to_login(mfa_login, operator) -> None:
    client = mfa_login(operator, with_mfa=False)
    response = client.get("/quan-tri/org/agency/")
    assert response.status_code == 302
    assert "/quan-tri/org/" not in response["Location"]


def test_official_who_is_not_an_operator_is_kept_out(mfa_login, agency, make_official) -> None:
    official = make_official(agency, roles=[Role.LEADER, Role.UNIT_HEAD])
    client = mfa_login(official.user)
    assert client.get("/").status_code == 200  # the session is a valid official session
    for url in ("/quan-tri/", "/quan-tri/org/agency/", f"/quan-tri/org/agency/{agency.pk}/change/"):
        response = client.get(url)
        assert response.status_code in (302, 403), url
        if response.status_code == 302:
            assert "/quan-tri/login/" in response["Location"]
    page = client.get("/quan-tri/", follow=True).content.decode()
    assert "Ủy ban nhân dân tỉnh Quảng Ninh" not in page
    response = client.post(
        "/quan-tri/org/agency/add/",
        {
            "identifier": "000.00.09.H41",
            "name": "X",
            "abbreviation": "X",
            "kind": "so",
            "units-TOTAL_FORMS": "0",
            "units-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code in (302, 403)
    assert not Agency.objects.filter(identifier="000.00.09.H41").exists()


def test_citizen_cannot_open_the_administration(client, make_citizen) -> None:
    citizen = make_citizen()
    client.force_login(citizen)
    for url in ("/quan-tri/", "/quan-tri/accounts/user/"):
        response = client.get(url)
        assert response.status_code in (302, 403)
    assert "Quản trị tổ chức" not in client.get("/quan-tri/", follow=True).content.decode()


def test_anonymous_is_sent_to_the_platform_login(client, db) -> None:
    response = client.get("/quan-tri/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/")


def test_operator_creates_agency_with_units_and_events_are_recorded(
    mfa_login,
    operator,
    agency,
    province,
) -> None:
    client = mfa_login(operator)
    response = client.post(
        "/quan-tri/org/agency/add/",
        {
            "identifier": "000.00.07.H41",
            "name": "Sở Công Thương tỉnh Quảng Ninh",
            "abbreviation": "SCT",
            "kind": "so",
            "is_active": "on",
            "parent": agency.pk,
            "admin_unit": province.pk,
            "units-TOTAL_FORMS": "1",
            "units-INITIAL_FORMS": "0",
            "units-0-code": "MC",
            "units-0-name": "Bộ phận Một cửa",
            "units-0-kind": "one_stop",
            "units-0-is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    created = Agency.objects.get(identifier="000.00.07.H41")
    assert created.parent == agency
    unit = Unit.objects.get(agency=created, code="MC")
    agency_event = Event.objects.get(event_type="org.agency_created", subject_id=str(created.pk))
    unit_event = Event.objects.get(event_type="org.unit_created", subject_id=str(unit.pk))
    assert agency_event.actor_user_id == unit_event.actor_user_id == operator.pk

    # An edit through the admin is an update event with the changed fields.
    response = client.post(
        f"/quan-tri/org/agency/{created.pk}/change/",
        {
            "identifier": "000.00.07.H41",
            "name": "Sở Công Thương",
            "abbreviation": "SCT",
            "kind": "so",
            "is_active": "on",
            "parent": agency.pk,
            "admin_unit": province.pk,
            "units-TOTAL_FORMS": "1",
            "units-INITIAL_FORMS": "1",
            "units-0-id": unit.pk,
            "units-0-agency": created.pk,
            "units-0-code": "MC",
            "units-0-name": "Bộ phận Một cửa",
            "units-0-kind": "one_stop",
            "units-0-is_active": "on",
        },
    )
    assert response.status_code == 302
    update = Event.objects.get(event_type="org.agency_updated")
    assert update.payload["changes"]["name"] == ["Sở Công Thương tỉnh Quảng Ninh", "Sở Công Thương"]
    assert not Event.objects.filter(event_type="org.unit_updated").exists()


def test_admin_form_shows_qcvn_error(mfa_login, operator) -> None:
    client = mfa_login(operator)
    response = client.post(
        "/quan-tri/org/agency/add/",
        {
            "identifier": "SO-TU-PHAP",
            "name": "Sở",
            "abbreviation": "S",
            "kind": "so",
            "units-TOTAL_FORMS": "0",
            "units-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "000.00.00.H41" in response.content.decode()
    assert not Agency.objects.filter(name="Sở").exists()


def test_imported_units_are_read_only(mfa_login, operator) -> None:
    services.import_from_package(province_codes=[22])
    ward = AdministrativeUnit.objects.get(scheme="2025", code="06688")
    client = mfa_login(operator)
    assert client.get(f"/quan-tri/org/administrativeunit/{ward.pk}/change/").status_code == 200
    response = client.post(
        f"/quan-tri/org/administrativeunit/{ward.pk}/change/",
        {"code": "06688", "scheme": "2025", "name": "Đổi tên", "level": "commune"},
    )
    assert response.status_code == 403
    ward.refresh_from_db()
    assert ward.name == "Phường Hạ Long"


def test_operator_creates_official_who_can_log_in(
    mfa_login, operator, agency, one_stop_unit
) -> None:
    from django.contrib.auth import authenticate

    client = mfa_login(operator)
    response = client.post(
        "/quan-tri/org/official/add/",
        {
            "username": "ubnd.tiepnhan2",
            "full_name": "Lê Thị Mới",
            "email": "",
            "phone": "",
            "password1": "Mat-khau-moi-2026",
            "password2": "Mat-khau-moi-2026",
            "agency": agency.pk,
            "unit": one_stop_unit.pk,
            "roles": ["receiver"],
        },
    )
    # The new official's enrolment code, shown once (docs/security.md, finding 2).
    assert response.status_code == 200, response.content.decode()[:3000]
    assert 'class="enrolment-code"' in response.content.decode()
    official = Official.objects.get(user__username="ubnd.tiepnhan2")
    assert Event.objects.filter(
        event_type="account.enrolment_code_issued", subject_id=str(official.user_id)
    ).exists()
    assert official.role_codes == {"receiver"}
    assert authenticate(username="ubnd.tiepnhan2", password="Mat-khau-moi-2026") == official.user
    event = Event.objects.get(
        event_type="account.official_created", subject_id=str(official.user_id)
    )
    assert event.actor_user_id == operator.pk


def test_operator_changes_roles_through_the_inline(
    mfa_login, operator, agency, make_official
) -> None:
    official = make_official(agency, roles=[Role.SPECIALIST])
    role = official.roles.get()
    client = mfa_login(operator)
    response = client.post(
        f"/quan-tri/org/official/{official.pk}/change/",
        {
            "agency": agency.pk,
            "unit": "",
            "position": official.position_id,
            "roles-TOTAL_FORMS": "2",
            "roles-INITIAL_FORMS": "1",
            "roles-0-id": role.pk,
            "roles-0-official": official.pk,
            "roles-0-role": "specialist",
            "roles-1-official": official.pk,
            "roles-1-role": "unit_head",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert official.role_codes == {"specialist", "unit_head"}
    event = Event.objects.get(event_type="org.official_roles_changed")
    assert event.payload["added"] == ["unit_head"]


def test_api_client_token_is_shown_once(mfa_login, operator, agency) -> None:
    client = mfa_login(operator)
    response = client.post(
        "/quan-tri/accounts/apiclient/add/",
        {"name": "Cổng DVC quốc gia", "agency": agency.pk, "scopes": ["org:read", "catalog:read"]},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    api_client = ApiClient.objects.get(name="Cổng DVC quốc gia")
    assert api_client.scopes == ["catalog:read", "org:read"]
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    tokens = [t for text in texts for t in re.findall(r"egov_[0-9a-f]{8}_\S+", text)]
    assert len(tokens) == 1
    assert ApiClient.hash_key(tokens[0]) == api_client.key_hash
    assert Event.objects.filter(event_type="api_client.created").get().actor_user_id == operator.pk
    # The next page shows it (the message), any page after that never again.
    assert tokens[0] in client.get(response["Location"]).content.decode()
    page = client.get(f"/quan-tri/accounts/apiclient/{api_client.pk}/change/").content.decode()
    assert tokens[0] not in page
    assert api_client.key_prefix in page


def test_operator_deactivates_user_and_event_is_recorded(mfa_login, operator, make_citizen) -> None:
    citizen = make_citizen()
    client = mfa_login(operator)
    response = client.post(
        f"/quan-tri/accounts/user/{citizen.pk}/change/",
        {"full_name": citizen.full_name, "email": citizen.email, "phone": citizen.phone},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    citizen.refresh_from_db()
    assert not citizen.is_active
    event = Event.objects.get(event_type="account.user_updated")
    assert event.payload["changes"] == {"is_active": [True, False]}
    assert User.objects.get(pk=operator.pk).is_active


def test_admin_form_explains_tree_errors(mfa_login, operator, agency, other_agency) -> None:
    services.update_agency(actor=SYSTEM, agency=other_agency, parent=agency)
    elsewhere = Unit.objects.create(agency=other_agency, code="VP", name="VP Sở", kind="office")
    client = mfa_login(operator)
    response = client.post(
        "/quan-tri/org/unit/add/",
        {
            "agency": agency.pk,
            "code": "TH",
            "name": "Phòng Tổng hợp",
            "kind": "professional",
            "parent": elsewhere.pk,
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "Phòng ban cấp trên phải thuộc cùng cơ quan." in response.content.decode()
    response = client.post(
        f"/quan-tri/org/agency/{agency.pk}/change/",
        {
            "identifier": agency.identifier,
            "name": agency.name,
            "abbreviation": "UBND",
            "kind": "ubnd",
            "is_active": "on",
            "parent": other_agency.pk,
            "units-TOTAL_FORMS": "0",
            "units-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "cơ quan cấp dưới" in response.content.decode()
    agency.refresh_from_db()
    assert agency.parent is None
    assert not Unit.objects.filter(code="TH").exists()


def test_operator_resets_second_factor_and_deactivates_api_client(
    mfa_login, operator, agency, make_official
) -> None:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from egov.accounts.services import create_api_client

    official = make_official(agency)
    TOTP.activate(official.user, generate_totp_secret())
    client = mfa_login(operator)
    response = client.post(
        "/quan-tri/accounts/user/",
        {"action": "reset_second_factor", "_selected_action": [official.user_id]},
    )
    assert response.status_code == 200  # the page with the new enrolment code, shown once
    assert 'class="enrolment-code"' in response.content.decode()
    assert not Authenticator.objects.filter(user=official.user).exists()
    assert Event.objects.get(event_type="account.second_factor_reset").subject_id == str(
        official.user_id
    )

    api_client, _token = create_api_client(actor=SYSTEM, name="Báo cáo", scopes=["org:read"])
    response = client.post(
        f"/quan-tri/accounts/apiclient/{api_client.pk}/change/", {"expires_at": ""}
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    api_client.refresh_from_db()
    assert not api_client.is_active
    event = Event.objects.get(event_type="api_client.updated")
    assert event.payload["changes"] == {"is_active": [True, False]}
    assert event.actor_user_id == operator.pk
