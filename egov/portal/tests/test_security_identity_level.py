"""Attacks on the eID rules of the portal (#18): a level-1 account posting straight to the
submit pages or the API is refused with nothing created; a forged prefill (other values posted
in the verified fields, a consent forged without claims, a consent for another account's
claims) never puts the "verified" mark on a value the identity provider did not vouch for."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from egov.dossiers.models import Dossier, Draft
from egov.events.models import Event

from .identity_setup import form_data, link

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()


def portal_post(agency, user, **fields: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    data = {
        "agency": agency.identifier,
        "result_delivery": "online",
        "idempotency_key": "k-attack",
        "action": "continue",
    }
    data.update({f"to-khai__{k}": v for k, v in form_data(user)["to-khai"].items()})
    data.update({f"to-khai__{k}": v for k, v in fields.items()})
    return data


def test_security_level_one_posting_to_every_portal_url_is_refused(
    client, record_procedure, agency, make_citizen
):
    citizen = make_citizen()
    link(citizen, 1)
    client.force_login(citizen)
    url = f"/thu-tuc/{record_procedure.code}/nop-ho-so/"
    events = Event.objects.count()
    # The form, straight to the check page with a forged draft, and the consent.
    assert client.post(url, portal_post(agency, citizen)).status_code == 403
    Draft.objects.create(
        applicant=citizen,
        procedure=record_procedure,
        data={**{f"to-khai__{k}": v for k, v in form_data(citizen)["to-khai"].items()},
              "agency": agency.identifier, "result_delivery": "online", "_checked": True},
    )  # fmt: skip
    response = client.post(url + "kiem-tra/", {"confirm": "on"})
    assert response.status_code == 403
    assert "yêu cầu tài khoản định danh điện tử mức độ 2" in response.content.decode()
    assert client.post(url + "vneid/", {"action": "use"}).status_code == 403
    assert not Dossier.objects.exists() and Event.objects.count() == events


def test_security_level_one_posting_to_the_api_is_refused(record_procedure, agency, make_citizen):
    citizen = make_citizen()
    link(citizen, 1)
    api = APIClient()
    api.force_authenticate(citizen)
    events = Event.objects.count()
    for body in (
        {"identity_prefill": "true"},
        {"chain": "", "identity_prefill": "1"},
        {},
    ):
        response = api.post(
            "/api/v1/dossiers/",
            {
                "procedure": record_procedure.code,
                "agency": agency.identifier,
                "form_data": json.dumps(form_data(citizen)),
                "result_delivery": "online",
                **body,
            },
            HTTP_IDEMPOTENCY_KEY="attack-1",
        )
        assert response.status_code == 403
        assert response.json()["code"] == "identity_level_required"
    assert not Dossier.objects.exists() and Event.objects.count() == events


def test_security_forged_values_in_verified_fields_are_ignored_by_the_portal(
    client, record_procedure, agency, make_citizen
):
    citizen = make_citizen()
    link(citizen, 2)
    client.force_login(citizen)
    url = f"/thu-tuc/{record_procedure.code}/nop-ho-so/"
    client.post(url + "vneid/", {"action": "use"})
    forged = portal_post(
        agency, citizen, full_name="Kẻ Mạo Danh", date_of_birth="2000-01-01", sex="Nữ"
    )
    response = client.post(url, forged)
    assert response.status_code == 302
    check = client.get(url + "kiem-tra/").content.decode()
    assert "Kẻ Mạo Danh" not in check and "01/01/2000" not in check
    client.post(url + "kiem-tra/", {"confirm": "on"})
    dossier = Dossier.objects.get()
    form = dossier.form_data["to-khai"]
    assert form["full_name"] == citizen.get_full_name()
    assert (form["date_of_birth"], form["sex"]) == ("1985-03-14", "Nam")


def test_security_forged_values_through_the_api_are_refused_not_marked(
    record_procedure, agency, make_citizen
):
    citizen = make_citizen()
    link(citizen, 2)
    api = APIClient()
    api.force_authenticate(citizen)
    response = api.post(
        "/api/v1/dossiers/",
        {
            "procedure": record_procedure.code,
            "agency": agency.identifier,
            "form_data": json.dumps(form_data(citizen, full_name="Kẻ Mạo Danh")),
            "result_delivery": "online",
            "identity_prefill": "true",
        },
    )
    assert response.status_code == 400
    body = response.json()
    assert "to-khai.full_name" in body["fields"]
    assert not Dossier.objects.exists()


def test_security_consent_without_claims_marks_nothing(
    client, record_procedure, agency, make_citizen
):
    """An account without verified claims forges the consent in its draft: the values it types
    are its own, and nothing is recorded as verified."""
    record_procedure.min_identity_level = 0
    record_procedure.save(update_fields=["min_identity_level"])
    citizen = make_citizen()
    client.force_login(citizen)
    url = f"/thu-tuc/{record_procedure.code}/nop-ho-so/"
    # The consent URL refuses an account without claims; then the draft is forged directly.
    client.post(url + "vneid/", {"action": "use"})
    assert not Draft.objects.filter(data__has_key="_vneid").exists()
    Draft.objects.update_or_create(
        applicant=citizen,
        procedure=record_procedure,
        defaults={"data": {"_vneid": {"consented_at": "2026-12-01T00:00:00+00:00"}}},
    )
    client.post(url, portal_post(agency, citizen, full_name="Tên Tự Khai"))
    check = client.get(url + "kiem-tra/").content.decode()
    assert "Tên Tự Khai" in check and 'class="badge verified-mark"' not in check
    client.post(url + "kiem-tra/", {"confirm": "on"})
    event = Event.objects.get(event_type="dossier.submitted")
    assert event.payload.get("verified_fields", []) == []
    assert event.payload["identity_level"] == 0


def test_security_claims_of_another_account_are_never_used(
    client, record_procedure, agency, make_citizen
):
    owner, other = make_citizen(), make_citizen()
    link(owner, 2)
    link(other, 2, full_name="Người Khác")
    client.force_login(owner)
    url = f"/thu-tuc/{record_procedure.code}/nop-ho-so/"
    client.post(url + "vneid/", {"action": "use"})
    page = client.get(url).content.decode()
    assert "Người Khác" not in page and owner.get_full_name() in page
