"""The electronic identity on the portal (#18): a procedure that asks for a level-2 eID account
is refused below it on every submission path, with the explanation, and nothing is created; with
the applicant's consent the form is filled from the verified claims, the filled fields marked,
and the dossier's submitted event records which fields were verified."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from egov.catalog import services as catalog
from egov.core.actors import SYSTEM
from egov.dossiers.models import Dossier, Draft
from egov.dossiers.services import (
    IdentityLevelRequired,
    Submission,
    SubmissionError,
    submit_online,
    validate_submission,
)
from egov.events.models import Event

from .identity_setup import form_data, link

pytestmark = pytest.mark.django_db
API = "/api/v1/dossiers/"


@pytest.fixture(autouse=True)
def media(tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()


def submission(procedure, agency, user, **kwargs) -> Submission:  # type: ignore[no-untyped-def]
    return Submission(
        procedure_code=procedure.code,
        agency_identifier=agency.identifier,
        form_data=kwargs.pop("data", None) or form_data(user),
        uploads={},
        result_delivery="online",
        **kwargs,
    )


def submitted_payload(dossier: Dossier) -> dict[str, object]:
    event = Event.objects.get(event_type="dossier.submitted", subject_id=dossier.code)
    return dict(event.payload)


# --- the level check, in the one service every path uses ---------------------------------------


@pytest.mark.parametrize("level", [None, 1])
def test_below_the_level_the_service_refuses_and_creates_nothing(
    record_procedure, agency, make_citizen, level
):
    citizen = make_citizen()
    if level:
        link(citizen, level)
    events = Event.objects.count()
    for call in (validate_submission, submit_online):
        with pytest.raises(IdentityLevelRequired) as exc:
            call(user=citizen, submission=submission(record_procedure, agency, citizen))
        assert exc.value.code == "identity_level_required" and exc.value.http_status == 403
        message = exc.value.message
        assert "yêu cầu tài khoản định danh điện tử mức độ 2" in message
        assert ("mức độ 1" if level else "chưa liên kết định danh điện tử") in message
        assert "Công an" in message  # how to get level 2
    assert not Dossier.objects.exists() and Event.objects.count() == events


def test_level_two_submits_and_the_event_says_the_level(record_procedure, agency, make_citizen):
    citizen = make_citizen()
    link(citizen, 2)
    dossier = submit_online(user=citizen, submission=submission(record_procedure, agency, citizen))
    payload = submitted_payload(dossier)
    assert payload["identity_level"] == 2
    assert "verified_fields" not in payload  # no consent: nothing marked


def test_level_one_procedure_takes_level_one_and_two_but_not_none(
    record_procedure, agency, make_citizen
):
    catalog.update_procedure(
        actor=SYSTEM, procedure=record_procedure, changes={"min_identity_level": 1}
    )
    none, one = make_citizen(), make_citizen()
    link(one, 1)
    with pytest.raises(IdentityLevelRequired):
        submit_online(user=none, submission=submission(record_procedure, agency, none))
    assert submit_online(user=one, submission=submission(record_procedure, agency, one)).code


def test_a_procedure_without_a_level_takes_any_account(record_procedure, agency, make_citizen):
    catalog.update_procedure(
        actor=SYSTEM, procedure=record_procedure, changes={"min_identity_level": 0}
    )
    citizen = make_citizen()
    dossier = submit_online(user=citizen, submission=submission(record_procedure, agency, citizen))
    assert submitted_payload(dossier)["identity_level"] == 0


def test_the_api_refuses_below_the_level_with_a_structured_error(
    record_procedure, agency, make_citizen
):
    citizen = make_citizen()
    link(citizen, 1)
    api = APIClient()
    api.force_authenticate(citizen)
    import json

    response = api.post(
        API,
        {
            "procedure": record_procedure.code,
            "agency": agency.identifier,
            "form_data": json.dumps(form_data(citizen)),
            "result_delivery": "online",
        },
    )
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "identity_level_required"
    assert "mức độ 2" in body["message"] and "mức độ 1" in body["message"]
    assert not Dossier.objects.exists()


def test_the_catalog_api_says_the_level(client, record_procedure):
    body = client.get(f"/api/v1/catalog/procedures/{record_procedure.code}/").json()
    assert body["min_identity_level"] == 2


# --- prefill from the verified claims ---------------------------------------------------------


def test_consented_prefill_fills_empty_fields_and_records_them_verified(
    record_procedure, agency, make_citizen
):
    citizen = make_citizen()
    link(citizen, 2)
    data = {"to-khai": {"purpose": "Xin việc"}}  # every applicant field left to the claims
    dossier = submit_online(
        user=citizen,
        submission=submission(record_procedure, agency, citizen, data=data, identity_prefill=True),
    )
    form = dossier.form_data["to-khai"]
    assert form["full_name"] == citizen.get_full_name()
    assert form["sex"] == "Nam"  # "male" in the claims, as the field's choices have it
    assert form["date_of_birth"] == "1985-03-14"
    assert form["personal_id"] == citizen.username and form["phone"] == citizen.phone
    payload = submitted_payload(dossier)
    assert sorted(payload["verified_fields"]) == sorted(
        f"to-khai.{n}"
        for n in ("full_name", "sex", "date_of_birth", "personal_id", "residence", "phone")
    )
    assert payload["prefill_consented_at"]


def test_a_value_that_differs_from_its_claim_is_refused_not_marked(
    record_procedure, agency, make_citizen
):
    citizen = make_citizen()
    link(citizen, 2)
    data = form_data(citizen, date_of_birth="1990-01-01")
    with pytest.raises(SubmissionError) as exc:
        submit_online(
            user=citizen,
            submission=submission(
                record_procedure, agency, citizen, data=data, identity_prefill=True
            ),
        )
    assert "đã được xác thực qua VNeID" in exc.value.fields["to-khai.date_of_birth"][0]
    assert not Dossier.objects.exists()


def test_the_same_value_typed_differently_is_still_the_claim(
    record_procedure, agency, make_citizen
):
    citizen = make_citizen()
    link(citizen, 2, phone="+84 912 345 678")
    data = form_data(citizen, phone="0912345678")
    dossier = submit_online(
        user=citizen,
        submission=submission(record_procedure, agency, citizen, data=data, identity_prefill=True),
    )
    assert "to-khai.phone" in submitted_payload(dossier)["verified_fields"]


# --- the pages ----------------------------------------------------------------------------------


def test_procedure_page_says_the_level_and_how_to_get_it(client, record_procedure, make_citizen):
    page = client.get(f"/thu-tuc/{record_procedure.code}/").content.decode()
    assert "Thủ tục này yêu cầu tài khoản định danh điện tử mức độ 2" in page
    assert "Công an" in page
    citizen = make_citizen()
    link(citizen, 1)
    client.force_login(citizen)
    page = client.get(f"/thu-tuc/{record_procedure.code}/").content.decode()
    assert "Tài khoản của bạn hiện là tài khoản định danh điện tử mức độ 1" in page
    assert 'href="/dang-nhap/vneid/?next=' in page


def test_the_form_is_refused_first_with_the_explanation(client, record_procedure, make_citizen):
    citizen = make_citizen()
    link(citizen, 1)
    client.force_login(citizen)
    url = f"/thu-tuc/{record_procedure.code}/nop-ho-so/"
    response = client.get(url)
    assert response.status_code == 403
    page = response.content.decode()
    assert "Thủ tục này yêu cầu tài khoản định danh điện tử mức độ 2" in page
    assert "Tài khoản của bạn hiện là tài khoản định danh điện tử mức độ 1" in page
    assert "kích hoạt tài khoản định danh điện tử mức độ 2" in page
    assert "Đăng nhập bằng VNeID" in page and "/dang-nhap/vneid/" in page
    assert 'name="to-khai__full_name"' not in page  # no form at all
    for path in (url, url + "kiem-tra/", url + "vneid/"):
        assert client.post(path, {"action": "use"}).status_code == 403
    assert not Draft.objects.exists() and not Dossier.objects.exists()


def test_consent_prefills_marks_and_submits_through_the_portal(
    client, record_procedure, agency, make_citizen
):
    citizen = make_citizen()
    link(citizen, 2)
    client.force_login(citizen)
    url = f"/thu-tuc/{record_procedure.code}/nop-ho-so/"
    page = client.get(url).content.decode()
    assert "Điền sẵn từ thông tin định danh điện tử (VNeID)" in page
    assert "Đã xác thực qua VNeID" not in page  # nothing filled before the consent
    assert client.post(url + "vneid/", {"action": "use"}).status_code == 302
    page = client.get(url).content.decode()
    assert page.count('class="badge verified-mark"') == 6
    assert 'value="14/03/1985"' not in page and 'value="1985-03-14"' in page
    response = client.post(
        url,
        {
            "agency": agency.identifier,
            "to-khai__purpose": "Xin việc",
            "result_delivery": "online",
            "idempotency_key": "k-1",
            "action": "continue",
        },
    )
    assert response.status_code == 302 and response["Location"] == url + "kiem-tra/"
    check = client.get(url + "kiem-tra/").content.decode()
    assert check.count('class="badge verified-mark"') == 6 and "14/03/1985" in check
    response = client.post(url + "kiem-tra/", {"confirm": "on"})
    dossier = Dossier.objects.get()
    assert len(submitted_payload(dossier)["verified_fields"]) == 6
    assert dossier.form_data["to-khai"]["date_of_birth"] == "1985-03-14"


def test_stopping_the_prefill_unlocks_and_unmarks(client, record_procedure, make_citizen):
    citizen = make_citizen()
    link(citizen, 2)
    client.force_login(citizen)
    url = f"/thu-tuc/{record_procedure.code}/nop-ho-so/"
    client.post(url + "vneid/", {"action": "use"})
    client.post(url + "vneid/", {"action": "stop"})
    page = client.get(url).content.decode()
    assert 'class="badge verified-mark"' not in page and "readonly" not in page
    assert "Điền sẵn từ thông tin định danh điện tử (VNeID)" in page  # offered again


def test_no_offer_without_verified_claims(client, record_procedure, make_citizen):
    catalog.update_procedure(
        actor=SYSTEM, procedure=record_procedure, changes={"min_identity_level": 0}
    )
    client.force_login(make_citizen())
    page = client.get(f"/thu-tuc/{record_procedure.code}/nop-ho-so/").content.decode()
    assert "Điền sẵn từ thông tin định danh điện tử" not in page
