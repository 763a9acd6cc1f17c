"""The API keeps its published contract under fuzzing (schemathesis, in process, over WSGI).

Every operation of /api/v1/schema/ gets a few generated requests, valid and invalid, as a citizen
and as an official whose session passed the second factor, against a small demo province. Each
response must not be a server error, must have a status the schema documents, the documented
content type, headers and body, and invalid input must be refused.

Nothing is excluded. The exchange endpoints accept only a peer token or an API client token, not
a session, so these callers meet their documented 401 there (their signed edXML bodies are tested
in egov/exchange/tests/). State-changing operations are fuzzed like the rest.

Run it longer locally with `API_FUZZ_EXAMPLES=200 .venv/bin/pytest egov/core/tests/
test_api_contract.py` (the default, 4 per operation and mode, takes 1-2 minutes on two cores).
"""

from __future__ import annotations

import os
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from django.core.signals import got_request_exception, request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from egov.catalog.models import OnlineMode
from egov.conftest import login_client
from egov.core.actors import actor_for_user
from egov.demo.data import CITIZENS, load_demo
from egov.documents import services as documents
from egov.dossiers import services as dossier_services
from egov.dossiers.models import ResultDelivery
from egov.dossiers.tests.conftest import pdf_upload
from egov.onestop.tests.conftest import make_procedure
from egov.org.models import Agency, Role

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "4"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
CSRF = "k" * 32
# Operations each caller must get a 2xx from at least once (else the session is not working).
REACHED = {
    "citizen": ["GET /api/v1/me/", "GET /api/v1/dossiers/", "GET /api/v1/dossiers/{code}/"],
    "official": [
        "GET /api/v1/me/",
        "GET /api/v1/documents/outgoing/{id}/",
        "GET /api/v1/onestop/queue/",
        "GET /api/v1/onestop/dossiers/{code}/",
        "GET /api/v1/documents/outgoing/",
    ],
}


@dataclass
class Caller:
    name: str
    cookies: dict[str, str]
    real_path: dict[str, dict[str, str]] = field(default_factory=dict)


def _session_cookie(user: Any, *, with_mfa: bool) -> str:
    """A session as allauth leaves it after the password (and, for officials, the TOTP) step."""
    return str(login_client(user, with_mfa=with_mfa).cookies["sessionid"].value)


@pytest.fixture
def province(tmp_path, settings, make_official):  # type: ignore[no-untyped-def]
    """The demo province, an official holding every role at a commune, a published procedure
    there and a dossier a demo citizen submitted to it."""
    from egov.accounts.models import User

    settings.MEDIA_ROOT = tmp_path / "media"
    load_demo()
    commune = Agency.objects.filter(kind=Agency.Kind.PEOPLES_COMMITTEE, parent__isnull=False)[0]
    desk = commune.units.filter(kind="one_stop_desk").first()
    official = make_official(
        commune,
        [Role.RECEIVER, Role.SPECIALIST, Role.UNIT_HEAD, Role.LEADER, Role.CLERK],
        desk,
        username="fuzz.official",
    )
    procedure = make_procedure(commune, online=OnlineMode.FULL)
    citizen = User.objects.get(username=CITIZENS[0].personal_id)
    dossier = dossier_services.submit_online(
        user=citizen,
        submission=dossier_services.Submission(
            procedure_code=procedure.code,
            agency_identifier=commune.identifier,
            form_data={},
            uploads={"to-khai": [pdf_upload("to-khai.pdf")]},
            result_delivery=ResultDelivery.ONLINE,
        ),
    )
    outgoing = documents.create_draft(
        actor=actor_for_user(official.user),
        data=documents.DraftInput(
            doc_type="cong-van",
            subject="Về việc rà soát thủ tục hành chính",
            content="Đề nghị các phòng rà soát thủ tục hành chính năm 2026.",
        ),
    )
    return {
        "official": official,
        "citizen": citizen,
        "outgoing": outgoing,
        "commune": commune,
        "procedure": procedure,
        "dossier": dossier,
    }


def _real_path(data: dict[str, Any], user: Any) -> dict[str, dict[str, str]]:
    """Path parameters naming things that exist, per path prefix, so detail responses are
    checked against the schema too (generated identifiers mostly meet 404)."""
    dossier = data["dossier"].code
    return {
        "/catalog/procedures/": {"code": data["procedure"].code},
        "/dossiers/": {"code": dossier},
        "/onestop/dossiers/": {"code": dossier},
        "/org/agencies/": {"identifier": data["commune"].identifier},
        "/accounts/users/": {"id": str(user.pk)},
        "/documents/outgoing/": {"id": str(data["outgoing"].pk), "seq": "1"},
    }


def _callers(data: dict[str, Any]) -> dict[str, Caller]:
    official, citizen = data["official"].user, data["citizen"]
    return {
        "citizen": Caller(
            "citizen",
            {"sessionid": _session_cookie(citizen, with_mfa=False), "csrftoken": CSRF},
            _real_path(data, citizen),
        ),
        "official": Caller(
            "official",
            {"sessionid": _session_cookie(official, with_mfa=True), "csrftoken": CSRF},
            _real_path(data, official),
        ),
    }


@pytest.mark.parametrize("who", ["citizen", "official"])
def test_every_operation_keeps_the_contract(who, province):  # type: ignore[no-untyped-def]
    caller = _callers(province)[who]
    failures: list[str] = []
    server_errors: list[str] = []
    answered: dict[str, Counter[int]] = defaultdict(Counter)

    def on_exception(sender: Any, request: Any, **kwargs: Any) -> None:
        server_errors.append(traceback.format_exc())

    got_request_exception.connect(on_exception)
    # As Django's test client does: requests must not close the test's database connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())
        # The caller is the session: no generated bearer tokens (they would make every request a
        # 401 and leave the operations behind authentication unexercised).
        schema.config.generation.update(with_security_parameters=False)
        for result in schema.get_all_operations():
            operation = result.ok()
            real = next(
                (
                    v
                    for prefix, v in caller.real_path.items()
                    if operation.path.startswith(f"/api/v1{prefix}")
                ),
                None,
            )
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                _fuzz(operation, mode, caller, real, failures, server_errors, answered)
    finally:
        got_request_exception.disconnect(on_exception)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    summary = "\n".join(f"{op}: {dict(counts)}" for op, counts in sorted(answered.items()))
    assert not failures, "\n\n".join(failures[:40]) + f"\n\n{len(failures)} failures\n{summary}"
    # The session works: the caller got past authentication where it should.
    for op in REACHED[who]:
        assert any(200 <= status < 300 for status in answered[op]), f"{op}\n{summary}"


def _fuzz(operation, mode, caller, real, failures, server_errors, answered):  # type: ignore[no-untyped-def]
    seen: set[str] = set()
    strategy = operation.as_strategy(generation_mode=mode)
    # Real identifiers only in positive cases: put into a negative case they would replace the
    # invalid part schemathesis made (e.g. an id below the path's minimum) with a valid one.
    use_real = st.booleans() if real and mode is GenerationMode.POSITIVE else st.just(False)

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy, with_real=use_real)
    def run(case, with_real):  # type: ignore[no-untyped-def]
        if with_real:
            for name, value in real.items():
                if name in case.path_parameters:
                    case.path_parameters[name] = value
        server_errors.clear()
        try:
            response = case.call(headers={"X-CSRFToken": CSRF}, cookies=caller.cookies)
            answered[f"{operation.method.upper()} {operation.path}"][response.status_code] += 1
            case.validate_response(response, checks=CHECKS)
        except (Exception, FailureGroup) as exc:
            key = (
                f"{operation.method.upper()} {operation.path} [{mode.value}]: {type(exc).__name__}"
            )
            text = str(exc).strip()
            if key + text[:200] in seen:
                return
            seen.add(key + text[:200])
            extra = ("\n" + server_errors[-1]) if server_errors else ""
            failures.append(f"{key} as {caller.name}\n{text[:3000]}{extra[-3000:]}")

    try:
        run()
    except Unsatisfiable:
        # Nothing invalid to send (an operation without inputs has no negative cases).
        if mode is not GenerationMode.NEGATIVE:
            raise
