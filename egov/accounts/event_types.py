"""The events accounts record (the event catalogue, egov.events.catalogue)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from egov.events.catalogue import Payload, declare


class Registered(Payload):
    username: str
    phone: str = ""
    email: str = ""


class BusinessRegistered(Payload):
    username: str
    name: str


class OfficialCreated(Payload):
    username: str
    unit_id: int | None = None
    roles: list[str] = []


class ApiClientCreated(Payload):
    name: str
    scopes: list[str]


class Changes(Payload):
    """{field: [before, after]} for each field an operator changed."""

    changes: dict[str, list[Any]]


class EnrolmentCodeIssued(Payload):
    username: str
    expires_at: datetime


class SecondFactorReset(Payload):
    username: str
    authenticators_removed: int


class SecondFactorEnrolled(Payload):
    username: str
    enrolment_code_issued_at: datetime
    issued_by: int | None = None


class DeskCodeIssued(Payload):
    username: str
    papers_checked: bool
    verified_before: bool
    expires_at: datetime


class IdentityVerified(Payload):
    """At the desk (the code's issuer, when, what was removed) or through VNeID (method only)."""

    username: str
    method: str
    verified_by: int | None = None
    desk_code_issued_at: datetime | None = None
    verified_before: bool | None = None
    second_factors_removed: int | None = None


class Authenticator(Payload):
    type: str


class Login(Payload):
    ip: str


class Username(Payload):
    username: str


CITIZEN_REGISTERED = declare(
    "account.citizen_registered",
    subject="user",
    payload=Registered,
    description="A citizen registered an account.",
)
BUSINESS_REGISTERED = declare(
    "account.business_registered",
    subject="user",
    payload=BusinessRegistered,
    description="A business registered an account (its username is the tax code).",
)
OFFICIAL_CREATED = declare(
    "account.official_created",
    subject="user",
    payload=OfficialCreated,
    description="An operator created an official's account.",
)
USER_UPDATED = declare(
    "account.user_updated",
    subject="user",
    payload=Changes,
    description="An operator changed an account's name, contact details or active flag.",
)
PASSWORD_SET_BY_OPERATOR = declare(
    "account.password_set_by_operator",
    subject="user",
    payload=Username,
    description="An operator set an account's password.",
)
ENROLMENT_CODE_ISSUED = declare(
    "account.enrolment_code_issued",
    subject="user",
    payload=EnrolmentCodeIssued,
    description="An operator issued a one-time code to enrol a second factor.",
)
SECOND_FACTOR_RESET = declare(
    "account.second_factor_reset",
    subject="user",
    payload=SecondFactorReset,
    description="An operator removed an account's second factors and issued an enrolment code.",
)
SECOND_FACTOR_ENROLLED = declare(
    "account.second_factor_enrolled",
    subject="user",
    payload=SecondFactorEnrolled,
    description="A user redeemed an enrolment code and enrolled a second factor.",
)
DESK_CODE_ISSUED = declare(
    "account.desk_code_issued",
    subject="user",
    payload=DeskCodeIssued,
    description="A one-stop official checked a citizen's papers and issued a desk code.",
)
IDENTITY_VERIFIED = declare(
    "account.identity_verified",
    subject="user",
    payload=IdentityVerified,
    description="A citizen's identity was verified (desk code redeemed, or VNeID sign-in).",
)
MFA_ADDED = declare(
    "account.mfa_added",
    subject="user",
    payload=Authenticator,
    description="A user added an authenticator (TOTP, recovery codes...).",
)
MFA_REMOVED = declare(
    "account.mfa_removed",
    subject="user",
    payload=Authenticator,
    description="A user removed an authenticator.",
)
LOGGED_IN = declare(
    "account.logged_in",
    subject="user",
    payload=Login,
    description="A user signed in.",
)
LOGIN_FAILED = declare(
    "account.login_failed",
    subject="login",
    payload=Login,
    description="A sign-in failed (the subject is the username tried, cut to 64 characters).",
)
API_CLIENT_CREATED = declare(
    "api_client.created",
    subject="api_client",
    payload=ApiClientCreated,
    description="An operator created an API client and its token.",
)
API_CLIENT_UPDATED = declare(
    "api_client.updated",
    subject="api_client",
    payload=Changes,
    description="An operator changed an API client's active flag or expiry.",
)
