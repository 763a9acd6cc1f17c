"""Finding 9 (issue #11): look-alike identifiers and unnormalised names.

`str.isdigit()` and `\\d` accept fullwidth and Arabic-Indic digits, so "022０８５０１２３４５"
registered a second account that looks like 022085012345; a name typed in NFD was stored as
another string than the same name in NFC. Identifiers now take ASCII digits only, and every
string posted to a page or to the API is NFC before any form or service sees it.
"""

from __future__ import annotations

import unicodedata

import pytest
from django.contrib.auth import authenticate
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient
from rest_framework.views import APIView

from egov.accounts.models import User
from egov.core.parsers import NormalizingParser
from egov.core.text import MAX_DEPTH, normalize_querydict
from egov.events.models import Event

pytestmark = pytest.mark.django_db

FULLWIDTH_ID = "022０８５０１２３４５"  # 022085012345 with fullwidth digits after 022
ARABIC_INDIC_ID = "٠٢٢٠٨٥٠١٢٣٤٥"
ARABIC_INDIC_TAX = "٥٧٠١٢٣٤٥٦٦"  # 5701234566 in Arabic-Indic digits
NAME = "Nguyễn Thị Diễm Hương"
NAME_NFD = unicodedata.normalize("NFD", NAME)


def citizen_form(**extra: str) -> dict[str, str]:
    return {
        "personal_id": "022085012345",
        "full_name": NAME,
        "phone": "0912345678",
        "password": "Mat-khau-2026!",
        **extra,
    }


def nothing_created() -> bool:
    return not User.objects.exists() and not Event.objects.exists()


@pytest.mark.parametrize("number", [FULLWIDTH_ID, ARABIC_INDIC_ID, "02208501234²"])
def test_look_alike_personal_id_is_refused_on_the_page(client, number):
    response = client.post("/dang-ky/cong-dan/", citizen_form(personal_id=number))
    assert response.status_code == 200
    assert "chữ số 0-9" in response.content.decode()
    assert nothing_created()


def test_look_alike_personal_id_is_refused_by_the_api_and_cannot_shadow_a_real_one(make_citizen):
    make_citizen(personal_id="022085012345")
    users, events = User.objects.count(), Event.objects.count()
    response = APIClient().post(
        "/api/v1/register/citizen/", citizen_form(personal_id=FULLWIDTH_ID), format="json"
    )
    assert response.status_code == 400
    assert "chữ số 0-9" in response.json()["fields"]["personal_id"][0]
    assert (User.objects.count(), Event.objects.count()) == (users, events)


@pytest.mark.parametrize("tax_code", [ARABIC_INDIC_TAX, "５７０１２３４５６６"])
def test_look_alike_tax_code_is_refused(client, tax_code):
    body = {
        "tax_code": tax_code,
        "name": "Công ty TNHH Vịnh Xanh",
        "representative": "Phạm Minh Đức",
        "email": "lienhe@example.vn",
        "password": "Mat-khau-2026!",
    }
    response = APIClient().post("/api/v1/register/business/", body, format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["tax_code"]
    page = client.post("/dang-ky/doanh-nghiep/", body)
    assert "chữ số 0-9" in page.content.decode()
    assert nothing_created()


def test_name_posted_in_nfd_on_the_page_is_stored_in_nfc(client):
    response = client.post("/dang-ky/cong-dan/", citizen_form(full_name=NAME_NFD))
    assert response.status_code == 302
    assert User.objects.get().full_name == NAME


def test_name_posted_in_nfd_to_the_api_is_stored_in_nfc():
    body = {
        "tax_code": "5701234566",
        "name": unicodedata.normalize("NFD", "Công ty TNHH Du lịch Vịnh Xanh Hạ Long"),
        "representative": NAME_NFD,
        "address": unicodedata.normalize("NFD", "Phường Bãi Cháy"),
        "email": "lienhe@example.vn",
        "password": "Mat-khau-2026!",
    }
    for kind in ("json", "multipart"):
        User.objects.all().delete()
        response = APIClient().post("/api/v1/register/business/", body, format=kind)
        assert response.status_code == 201, response.content
        user = User.objects.get()
        assert user.full_name == NAME
        assert user.business.name == "Công ty TNHH Du lịch Vịnh Xanh Hạ Long"
        assert user.business.address == "Phường Bãi Cháy"


def test_a_password_is_kept_as_typed():
    """Passwords are not text to store but secrets to compare: one set in NFD still works."""
    password = unicodedata.normalize("NFD", "Mật-khẩu-Hạ-Long-2026")
    response = APIClient().post(
        "/api/v1/register/citizen/", citizen_form(password=password), format="json"
    )
    assert response.status_code == 201
    assert authenticate(username="022085012345", password=password) is not None


def test_json_nested_too_deep_is_a_structured_400():
    deep: object = "x"
    for _ in range(MAX_DEPTH + 5):
        deep = {"a": deep}
    response = APIClient().post(
        "/api/v1/register/citizen/", {**citizen_form(), "extra": deep}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    very_deep = "[" * 100_000 + "]" * 100_000  # beyond the json module's own recursion limit
    response = APIClient().post(
        "/api/v1/register/citizen/", very_deep, content_type="application/json"
    )
    assert response.status_code == 400
    assert nothing_created()


def test_query_strings_are_normalised():
    from django.http import QueryDict

    query = QueryDict(f"q={NAME_NFD}&password={NAME_NFD}")
    clean = normalize_querydict(query)
    assert clean["q"] == NAME and clean["password"] == NAME_NFD
    ascii_query = QueryDict("q=abc")
    assert normalize_querydict(ascii_query) is ascii_query


def _api_views(patterns: list[URLPattern | URLResolver]) -> list[type[APIView]]:
    found: list[type[APIView]] = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            found += _api_views(entry.url_patterns)
            continue
        view_class = getattr(entry.callback, "cls", None)
        if isinstance(view_class, type) and issubclass(view_class, APIView):
            found.append(view_class)
    return found


def test_every_api_view_parses_with_the_normalising_parsers():
    views = _api_views(get_resolver().url_patterns)
    assert len(views) > 20
    offenders = [
        view.__qualname__
        for view in views
        for parser in view.parser_classes
        if not issubclass(parser, NormalizingParser)
    ]
    assert not offenders
