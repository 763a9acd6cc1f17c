"""The provider's claims mapped onto the normalised names, and the level read from them."""

from __future__ import annotations

from egov.identity.providers import level_from, normalise_claims


def test_claims_are_mapped_onto_the_normalised_names():
    claims = normalise_claims(
        {
            "sub": "x",
            "identity_number": "022085012345",
            "name": " Nguyễn Văn An ",
            "birthdate": "1985-03-12",
            "phone_number": "+84912000001",
            "address": {"formatted": "Số 12 đường Trần Hưng Đạo"},
            "current_address": {"street_address": "no formatted value"},
            "email": "",
            "gender": ["not", "a", "string"],
            "something_else": "ignored",
        }
    )
    assert claims == {
        "personal_id": "022085012345",
        "full_name": "Nguyễn Văn An",
        "birth_date": "1985-03-12",
        "phone": "+84912000001",
        "address": "Số 12 đường Trần Hưng Đạo",
    }
    assert len(normalise_claims({"name": "A" * 5000})["full_name"]) == 500


def test_level_two_only_when_the_provider_says_two():
    assert level_from({"identity_level": 2}) == 2
    assert level_from({"identity_level": "2"}) == 2
    assert level_from({"acr": "urn:vneid:level:2"}) == 2
    assert level_from({"identity_level": 1, "acr": "urn:vneid:level:2"}) == 1
    assert level_from({"identity_level": 3}) == 1
    assert level_from({"acr": "x"}) == 1
    assert level_from({}) == 1
