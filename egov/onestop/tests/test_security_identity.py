"""Finding 3 (issue #11): anyone could register someone else's personal id number, and every
dossier the desk then received for that number was attached to the impostor's portal account
(name, phone, files and receipt). Desk-received dossiers now go only to an account whose
holder was shown to hold the number (electronic identity, or papers checked at the desk); the
real holder takes a squatted number back with a code handed over at the desk."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from egov.accounts.models import CitizenProfile, DeskCode, User
from egov.accounts.services import verify_identity_by_eid
from egov.dossiers.models import Dossier
from egov.dossiers.tests.conftest import pdf_upload
from egov.events.models import Event
from egov.onestop import services

from .conftest import act

pytestmark = pytest.mark.django_db

VICTIM_ID = "022195001234"
PASSWORD = "Mat-khau-2026!"
NEW_PASSWORD = "Mat-khau-moi-2026!"


def receive(staff, procedure, number: str = VICTIM_ID) -> Dossier:  # type: ignore[no-untyped-def]
    return services.receive_in_person(
        actor=act(staff.receiver),
        procedure_code=procedure.code,
        applicant=services.Applicant("citizen", "Lê Thị Hoa", number, "0912345678"),
        uploads={"to-khai": [pdf_upload("to-khai.pdf")]},
    )


def sees(client: Client, dossier: Dossier) -> bool:
    paths = [
        f"/ho-so-cua-toi/{dossier.code}/",
        f"/ho-so-cua-toi/{dossier.code}/giay-tiep-nhan.pdf",
        f"/api/v1/dossiers/{dossier.code}/",
    ]
    statuses = {client.get(p).status_code for p in paths}
    listed = dossier.code in client.get("/ho-so-cua-toi/").content.decode()
    listed_api = dossier.code in client.get("/api/v1/dossiers/").content.decode()
    assert statuses in ({200}, {404}), statuses
    return statuses == {200} or listed or listed_api


def test_desk_dossier_never_reaches_an_account_that_only_claims_the_number(
    staff, procedure, make_citizen
):
    impostor = make_citizen(personal_id=VICTIM_ID)  # self-registered: nothing proves the number
    dossier = receive(staff, procedure)
    assert dossier.applicant is None
    client = Client()
    client.force_login(impostor)
    assert not sees(client, dossier)
    api = APIClient()
    api.force_authenticate(impostor)
    assert api.get(f"/api/v1/dossiers/{dossier.code}/").status_code == 404
    # The real applicant still follows it with the code and their number or phone.
    found = Client().post("/tra-cuu/", {"code": dossier.code, "second_factor": "0912345678"})
    assert found.context["dossier"] == dossier


def test_an_account_verified_by_electronic_identity_follows_its_desk_dossiers(
    staff, procedure, make_citizen
):
    holder = make_citizen(personal_id=VICTIM_ID)
    verify_identity_by_eid(user=holder, id_number=VICTIM_ID)
    assert Event.objects.filter(event_type="account.identity_verified").count() == 1
    dossier = receive(staff, procedure)
    assert dossier.applicant == holder
    client = Client()
    client.force_login(holder)
    assert sees(client, dossier)


def test_electronic_identity_for_another_number_verifies_nothing(make_citizen):
    impostor = make_citizen(personal_id=VICTIM_ID)
    events = Event.objects.count()
    with pytest.raises(services.DomainError) as refused:
        verify_identity_by_eid(user=impostor, id_number="022085012345")
    assert refused.value.code == "identity_mismatch"
    assert not CitizenProfile.objects.get().is_identity_verified
    assert Event.objects.count() == events


def test_the_holder_takes_a_squatted_number_back_at_the_desk(
    client, staff, procedure, make_citizen, login_with_mfa, give_totp
):
    impostor = make_citizen(personal_id=VICTIM_ID)
    User.objects.filter(pk=impostor.pk).update(email="ke-gia-mao@example.com")
    impostor.refresh_from_db()
    give_totp(impostor)  # a second factor the holder would not have
    squatter = Client()
    squatter.force_login(impostor)

    # At the desk: the receiver checks the holder's id card and prints a code.
    login_with_mfa(staff.receiver.user)
    page = client.post(
        "/mot-cua/xac-thuc-tai-khoan/",
        {
            "kind": "citizen",
            "id_number": VICTIM_ID,
            "full_name": "Lê Thị Hoa",
            "phone": "0912345678",
            "papers_checked": "on",
        },
    )
    assert page.status_code == 200 and page["Cache-Control"] == "private, no-store"
    code = page.context["issued"].code
    assert code in page.content.decode()
    stored = DeskCode.objects.get()
    assert code not in (stored.code_hash, stored.full_name)  # only a keyed hash is kept
    issued_event = Event.objects.get(event_type="account.desk_code_issued")
    assert issued_event.agency_id == staff.receiver.agency_id
    assert not CitizenProfile.objects.get().is_identity_verified  # nothing changes yet

    # At home: the holder enters the number, the code and a new password.
    holder = Client()
    response = holder.post(
        "/tai-khoan/xac-thuc-bang-ma/",
        {
            "id_number": VICTIM_ID,
            "code": code.lower().replace("-", " "),
            "new_password": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    account = User.objects.get(username=VICTIM_ID)
    assert holder.session["_auth_user_id"] == str(account.pk)
    profile = account.citizen
    assert profile.identity_verified_method == "desk"
    assert profile.identity_verified_by == staff.receiver.user
    assert (account.full_name, account.phone, account.email) == ("Lê Thị Hoa", "+84912345678", "")
    # The squatter is out: old password, session and second factor are gone.
    assert not account.check_password(PASSWORD)
    assert squatter.get("/ho-so-cua-toi/").status_code == 302
    from allauth.mfa.models import Authenticator

    assert not Authenticator.objects.filter(user=account).exists()
    verified = Event.objects.get(event_type="account.identity_verified")
    assert verified.payload["method"] == "desk" and verified.payload["second_factors_removed"]

    # From now on the desk's dossiers for this number reach the holder.
    dossier = receive(staff, procedure)
    assert dossier.applicant == account
    # A code works once.
    again = Client().post(
        "/tai-khoan/xac-thuc-bang-ma/",
        {
            "id_number": VICTIM_ID,
            "code": code,
            "new_password": "Mat-khau-khac-2026!",
            "new_password2": "Mat-khau-khac-2026!",
        },
    )
    assert again.status_code == 400
    account.refresh_from_db()
    assert account.check_password(NEW_PASSWORD)


def _issue(staff, number: str = VICTIM_ID) -> str:  # type: ignore[no-untyped-def]
    from egov.accounts.services import issue_desk_code

    return issue_desk_code(
        actor=act(staff.receiver),
        kind="citizen",
        id_number=number,
        full_name="Lê Thị Hoa",
        phone="0912345678",
        papers_checked=True,
    ).code


def _redeem(code: str, number: str = VICTIM_ID, address: str = "127.0.0.1") -> int:
    return (
        Client(REMOTE_ADDR=address)
        .post(
            "/tai-khoan/xac-thuc-bang-ma/",
            {
                "id_number": number,
                "code": code,
                "new_password": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
            },
        )
        .status_code
    )


def _unchanged(user: User) -> bool:
    user.refresh_from_db()
    return user.check_password(PASSWORD) and not user.citizen.is_identity_verified


def test_the_squatter_cannot_void_the_holders_code_by_guessing(staff, make_citizen):
    # The squatter knows the number (they registered it): if wrong tries voided the code, a
    # script sending five wrong codes a minute would keep the holder out for good.
    user = make_citizen(personal_id=VICTIM_ID)
    code = _issue(staff)
    for _ in range(5):
        assert _redeem("AAAAA-AAAAA", address="10.0.0.66") == 400
    assert _redeem("AAAAA-AAAAA", address="10.0.0.66") == 429  # that address must wait
    assert _unchanged(user)
    assert DeskCode.objects.get().failed_attempts == 5
    assert _redeem(code, address="10.0.0.7") == 302  # the holder, at home
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD) and user.citizen.is_identity_verified


def test_guessing_desk_codes_is_throttled_per_address(staff, make_citizen):
    user = make_citizen(personal_id=VICTIM_ID)
    code = _issue(staff)
    for _ in range(5):
        assert _redeem("AAAAA-AAAAA", address="10.0.0.66") == 400
    # The right code from the guessing address is refused too, and is not spent.
    assert _redeem(code, address="10.0.0.66") == 429
    assert _unchanged(user)
    assert not Event.objects.filter(event_type="account.identity_verified").exists()
    # Spreading the guesses over many numbers from one address is stopped as well.
    for n in range(20):
        status = _redeem("AAAAA-AAAAA", number=f"0221950{n:05d}", address="10.0.0.99")
        assert status == 400
    assert _redeem("AAAAA-AAAAA", number="022195099999", address="10.0.0.99") == 429


def test_an_expired_or_replaced_code_is_refused(staff, make_citizen):
    user = make_citizen(personal_id=VICTIM_ID)
    old = _issue(staff)
    newer = _issue(staff)  # the earlier code is void
    assert _redeem(old) == 400
    with time_machine.travel(timezone.now() + timedelta(days=4)):
        assert _redeem(newer) == 400
    assert _unchanged(user)


@pytest.mark.parametrize("who", ["specialist", "citizen", "anonymous"])
def test_only_a_receiver_issues_desk_codes(client, staff, make_citizen, login_with_mfa, who):
    make_citizen(personal_id=VICTIM_ID)
    if who == "specialist":
        login_with_mfa(staff.specialist.user)
    elif who == "citizen":
        client.force_login(make_citizen())
    form = {"kind": "citizen", "id_number": VICTIM_ID, "full_name": "Kẻ Giả Mạo"}
    response = client.post("/mot-cua/xac-thuc-tai-khoan/", {**form, "papers_checked": "on"})
    assert response.status_code in (302, 403)
    assert not DeskCode.objects.exists()
    assert not Event.objects.filter(event_type="account.desk_code_issued").exists()


def test_a_code_needs_the_papers_checked(client, staff, make_citizen, login_with_mfa):
    make_citizen(personal_id=VICTIM_ID)
    login_with_mfa(staff.receiver.user)
    response = client.post(
        "/mot-cua/xac-thuc-tai-khoan/",
        {
            "kind": "citizen",
            "id_number": VICTIM_ID,
            "full_name": "Lê Thị Hoa",
            "phone": "0912345678",
        },
    )
    assert response.status_code == 400
    assert not DeskCode.objects.exists()


def test_a_second_account_for_a_verified_number_is_refused_with_the_way_back(client, make_citizen):
    holder = make_citizen(personal_id=VICTIM_ID)
    verify_identity_by_eid(user=holder, id_number=VICTIM_ID)
    users, events = User.objects.count(), Event.objects.count()
    response = client.post(
        "/dang-ky/cong-dan/",
        {
            "personal_id": VICTIM_ID,
            "full_name": "Kẻ Giả Mạo",
            "phone": "0987654321",
            "password": PASSWORD,
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Bộ phận Một cửa" in page and "/tai-khoan/xac-thuc-bang-ma/" in page
    assert (User.objects.count(), Event.objects.count()) == (users, events)
    api = APIClient().post(
        "/api/v1/register/citizen/",
        {
            "personal_id": VICTIM_ID,
            "full_name": "Kẻ Giả Mạo",
            "phone": "0987654321",
            "password": PASSWORD,
        },
        format="json",
    )
    assert api.status_code == 400 and api.json()["code"] == "already_registered"
    assert (User.objects.count(), Event.objects.count()) == (users, events)
