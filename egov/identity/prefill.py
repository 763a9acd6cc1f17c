"""What the portal's forms take from the electronic identity, and how a refusal for a too-low
identity level is explained (docs/identity-portal.md).

An online form field names where its value comes from with "prefill" (catalog.services.
PREFILL_SOURCES). With the applicant's consent, the sources below are filled from the claims the
identity provider verified (selectors.verified_claims) and marked "Đã xác thực qua VNeID"; the
portal shows them read-only and the dossier service refuses a value that differs from the claim,
so a mark is never on a value the provider did not vouch for.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from .selectors import level_of, verified_claims

# The eID login (OpenID Connect relying party, built in this app's views). Written as a path, not
# reversed: the portal links to it whether or not the login is configured on this server.
VNEID_LOGIN_PATH = "/dang-nhap/vneid/"

PROVIDER_LABEL = "VNeID"
VERIFIED_MARK = "Đã xác thực qua VNeID"

# A form field's "prefill" source → the claim it is filled from. `birth_year` is read from the
# date of birth; the others are the claim itself.
SOURCE_CLAIMS: dict[str, str] = {
    "full_name": "full_name",
    "personal_id": "personal_id",
    "birth_date": "birth_date",
    "birth_year": "birth_date",
    "gender": "gender",
    "nationality": "nationality",
    "phone": "phone",
    "email": "email",
    "address": "address",
    "current_address": "current_address",
}

# What the consent panel lists, in this order (the claim's name as a person reads it).
CLAIM_LABELS: dict[str, str] = {
    "full_name": "Họ và tên",
    "personal_id": "Số định danh cá nhân",
    "birth_date": "Ngày sinh",
    "gender": "Giới tính",
    "nationality": "Quốc tịch",
    "phone": "Số điện thoại",
    "email": "Thư điện tử",
    "address": "Nơi thường trú",
    "current_address": "Nơi ở hiện tại",
}

_GENDERS = {
    "nam": "Nam",
    "male": "Nam",
    "m": "Nam",
    "nữ": "Nữ",
    "nu": "Nữ",
    "female": "Nữ",
    "f": "Nữ",
}


def _gender(value: str) -> str:
    return _GENDERS.get(value.strip().lower(), value.strip())


def _birth_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def source_values(claims: Mapping[str, str]) -> dict[str, str]:
    """The verified claims under the form's "prefill" source names (only those present)."""
    values: dict[str, str] = {}
    for source, claim in SOURCE_CLAIMS.items():
        raw = str(claims.get(claim) or "").strip()
        if not raw:
            continue
        if claim == "birth_date":
            born = _birth_date(raw)
            if born is None:
                continue  # not a date: nothing is filled, nothing is marked
            raw = str(born.year) if source == "birth_year" else born.isoformat()
        elif claim == "gender":
            raw = _gender(raw)
        values[source] = raw
    return values


def value_for(spec: Mapping[str, Any], values: Mapping[str, str]) -> str | None:
    """The value one form field (its schema entry) takes from the claims, in the field's own
    shape; None when the field has no such source, the claims lack it, or it does not fit (a
    gender the field's choices do not list)."""
    source = spec.get("prefill")
    if not source or source not in values:
        return None
    value = values[source]
    kind = spec.get("type", "text")
    if kind in ("select", "choice"):
        return value if value in [str(c) for c in spec.get("choices", [])] else None
    if source == "birth_date" and kind != "date":
        born = date.fromisoformat(value)
        return f"{born:%d/%m/%Y}"
    max_length = spec.get("max_length")
    if isinstance(max_length, int) and len(value) > max_length:
        return None
    return value


def schema_values(schema: Mapping[str, Any] | None, claims: Mapping[str, str]) -> dict[str, str]:
    """{field name: value} for the fields of one online form the claims fill."""
    values = source_values(claims)
    found: dict[str, str] = {}
    for spec in (schema or {}).get("fields", []):
        value = value_for(spec, values)
        if value is not None:
            found[spec["name"]] = value
    return found


def claims_for(user: Any) -> dict[str, str]:
    """The account's verified claims (empty without an eID link)."""
    return verified_claims(user)


def offered_claims(claims: Mapping[str, str]) -> list[tuple[str, str]]:
    """(label, value) of each verified claim, for the consent panel, as a person reads it."""
    values = source_values(claims)
    shown: list[tuple[str, str]] = []
    for name, label in CLAIM_LABELS.items():
        if name not in values:
            continue
        value = values[name]
        if name == "birth_date":
            value = f"{date.fromisoformat(value):%d/%m/%Y}"
        shown.append((label, value))
    return shown


# --- the identity level a procedure requires --------------------------------------------------


def level_name(level: int) -> str:
    if level >= 2:
        return "tài khoản định danh điện tử mức độ 2"
    if level == 1:
        return "tài khoản định danh điện tử mức độ 1"
    return "tài khoản chưa liên kết định danh điện tử (VNeID)"


def account_level(user: Any) -> int:
    return level_of(user)


def refusal_message(required: int, actual: int) -> str:
    """Why the submission is refused, what the account has, how to get the level: one text for
    the page, the API and the service's error."""
    return (
        f"Thủ tục này yêu cầu {level_name(required)} để nộp hồ sơ trực tuyến; "
        f"tài khoản của ông/bà hiện là {level_name(actual)}. " + how_to_get(required)
    )


def how_to_get(required: int) -> str:
    if required >= 2:
        return (
            "Để có tài khoản mức độ 2, ông/bà đăng ký tài khoản định danh điện tử mức độ 2 "
            "(ứng dụng VNeID) tại cơ quan Công an cấp xã hoặc nơi làm thủ tục cấp thẻ căn "
            "cước, rồi đăng nhập cổng dịch vụ công bằng VNeID. Ông/bà cũng có thể nộp hồ sơ "
            "trực tiếp tại Bộ phận Một cửa."
        )
    return (
        "Ông/bà đăng nhập bằng tài khoản định danh điện tử VNeID (đăng ký trên ứng dụng VNeID) "
        "để nộp hồ sơ trực tuyến, hoặc nộp trực tiếp tại Bộ phận Một cửa."
    )
