"""The mapping from the verified claims to the portal's form fields (egov/identity/prefill.py)."""

from __future__ import annotations

import pytest

from egov.identity.prefill import (
    offered_claims,
    refusal_message,
    schema_values,
    source_values,
    value_for,
)

CLAIMS = {
    "personal_id": "022085012345",
    "full_name": "Nguyễn Văn An",
    "birth_date": "1985-03-14",
    "gender": "female",
    "phone": "0912000001",
    "address": "Số 12 phố Lê Thánh Tông",
}


def test_claims_under_the_form_sources():
    values = source_values(CLAIMS)
    assert values["birth_year"] == "1985" and values["birth_date"] == "1985-03-14"
    assert values["gender"] == "Nữ"
    assert "email" not in values  # absent claims fill nothing


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"name": "x", "type": "date", "prefill": "birth_date"}, "1985-03-14"),
        ({"name": "x", "type": "text", "prefill": "birth_date"}, "14/03/1985"),
        ({"name": "x", "type": "select", "choices": ["Nam", "Nữ"], "prefill": "gender"}, "Nữ"),
        ({"name": "x", "type": "select", "choices": ["M", "F"], "prefill": "gender"}, None),
        ({"name": "x", "type": "text", "max_length": 5, "prefill": "full_name"}, None),
        ({"name": "x", "type": "text", "prefill": "email"}, None),
        ({"name": "x", "type": "text"}, None),
    ],
)
def test_a_field_takes_the_claim_in_its_own_shape(spec, expected):
    assert value_for(spec, source_values(CLAIMS)) == expected


def test_a_malformed_birth_date_fills_nothing():
    assert "birth_date" not in source_values({**CLAIMS, "birth_date": "14/03/1985"})


def test_schema_values_and_the_consent_panel():
    schema = {
        "fields": [
            {"name": "ho_ten", "type": "text", "prefill": "full_name"},
            {"name": "cccd", "type": "personal_id", "prefill": "personal_id"},
            {"name": "muc_dich", "type": "text"},
        ]
    }
    assert schema_values(schema, CLAIMS) == {"ho_ten": "Nguyễn Văn An", "cccd": "022085012345"}
    assert schema_values(None, CLAIMS) == {}
    shown = dict(offered_claims(CLAIMS))
    assert shown["Ngày sinh"] == "14/03/1985" and shown["Giới tính"] == "Nữ"


def test_the_refusal_says_what_is_needed_what_the_account_has_and_how():
    text = refusal_message(2, 1)
    assert "yêu cầu tài khoản định danh điện tử mức độ 2" in text
    assert "hiện là tài khoản định danh điện tử mức độ 1" in text
    assert "Công an" in text and "VNeID" in text
    assert "chưa liên kết định danh điện tử" in refusal_message(2, 0)
