"""The one-stop REST API: every official action, with grants and denials a caller would meet."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework import serializers
from rest_framework.test import APIClient

from egov.accounts.services import create_api_client
from egov.conftest import login_client
from egov.core.actors import SYSTEM
from egov.dossiers.models import Dossier, Status
from egov.dossiers.tests.conftest import pdf_upload
from egov.events.models import Event
from egov.onestop import services
from egov.onestop.models import ApologyLetter, DossierStep, StepStatus
from egov.org.models import Role

from .conftest import act

pytestmark = pytest.mark.django_db
VN = ZoneInfo("Asia/Ho_Chi_Minh")
API = "/api/v1/onestop"


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN)


def session(user: Any, *, with_mfa: bool = True) -> Client:
    """A browser session of `user` that passed (or not) the second factor."""
    return login_client(user, with_mfa=with_mfa)  # type: ignore[no-any-return]


def post(client: Client, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, body or {}, content_type="application/json")


@pytest.fixture
def clients(staff):  # type: ignore[no-untyped-def]
    return {name: session(o.user) for name, o in vars(staff).items()}


def receive_by_api(clients, procedure) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = clients["receiver"].post(
        f"{API}/dossiers/",
        {
            "procedure": procedure.code,
            "applicant_kind": "citizen",
            "applicant_name": "Lê Thị Hoa",
            "applicant_id_number": "022195001234",
            "applicant_phone": "0912345678",
            "file__to-khai": pdf_upload("to-khai.pdf"),
        },
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_a_dossier_goes_through_every_step_by_api(clients, staff, procedure):
    body = receive_by_api(clients, procedure)
    code = body["code"]
    assert body["status"] == Status.PROCESSING and body["receipt_url"].endswith("receipt.pdf")
    assert body["active_step"]["order"] == 2
    assert body["active_step"]["assignee_id"] == staff.specialist.pk
    assert "forward" in body["allowed_actions"] and "send-back" in body["allowed_actions"]

    forwarded = post(
        clients["specialist"],
        f"{API}/dossiers/{code}/forward/",
        {"note": "Hợp lệ", "version": body["version"]},
    )
    assert forwarded.status_code == 200
    assert forwarded.json()["version"] > body["version"]
    assert forwarded.json()["active_step"]["assignee_id"] == staff.head.pk
    post(clients["head"], f"{API}/dossiers/{code}/forward/")

    result = clients["leader"].post(
        f"{API}/dossiers/{code}/result/", {"file": pdf_upload("ket-qua.pdf")}
    )
    assert result.status_code == 201 and result.json()["result_file"]["name"] == "ket-qua.pdf"
    done = post(clients["leader"], f"{API}/dossiers/{code}/forward/", {"note": "Đồng ý"})
    assert done.json()["status"] == Status.DONE and done.json()["finished_at"]
    returned = post(clients["receiver"], f"{API}/dossiers/{code}/return/", {"method": "desk"})
    assert returned.status_code == 200 and returned.json()["status"] == Status.RETURNED
    assert returned.json()["active_step"] is None
    types = Event.objects.filter(subject_id=code).values_list("event_type", flat=True)
    assert "dossier.approved" in types and list(types)[-1] == "dossier.returned"


def test_another_agency_gets_404(clients, procedure, other_agency, make_official):
    code = receive_by_api(clients, procedure)["code"]
    stranger = session(make_official(other_agency, [Role.LEADER, Role.SPECIALIST]).user)
    for action, body in [
        ("forward", {}),
        ("stop", {"reason": "x"}),
        ("forward", {"version": 999}),  # a wrong version does not reveal the dossier either
    ]:
        response = post(stranger, f"{API}/dossiers/{code}/{action}/", body)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert stranger.get(f"{API}/dossiers/{code}/").status_code == 404
    assert Dossier.objects.get(code=code).status == Status.PROCESSING


def test_wrong_role_or_not_the_holder_gets_403(clients, procedure):
    code = receive_by_api(clients, procedure)["code"]
    stop = post(clients["receiver"], f"{API}/dossiers/{code}/stop/", {"reason": "Sai"})
    assert stop.status_code == 403 and stop.json()["code"] == "permission_denied"
    assert "Lãnh đạo cơ quan" in stop.json()["message"]
    forward = post(clients["specialist2"], f"{API}/dossiers/{code}/forward/")
    assert forward.status_code == 403
    assert forward.json()["message"] == "Bước xử lý này không được giao cho bạn."


def test_invalid_transition_is_409_and_changes_nothing(clients, procedure):
    body = receive_by_api(clients, procedure)
    events = Event.objects.count()
    response = post(clients["receiver"], f"{API}/dossiers/{body['code']}/return/")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert "Đang xử lý" in response.json()["message"]
    assert Dossier.objects.get(code=body["code"]).version == body["version"]
    assert Event.objects.count() == events


def test_stale_version_is_409(clients, procedure):
    body = receive_by_api(clients, procedure)
    code, seen = body["code"], body["version"]
    ok = post(clients["specialist"], f"{API}/dossiers/{code}/forward/", {"version": seen})
    assert ok.status_code == 200
    late = post(clients["head"], f"{API}/dossiers/{code}/forward/", {"version": seen})
    assert late.status_code == 409 and late.json()["code"] == "stale_version"
    assert DossierStep.objects.get(dossier__code=code, status=StepStatus.ACTIVE).order == 3


def test_bad_bodies_get_field_errors(clients, procedure):
    code = receive_by_api(clients, procedure)["code"]
    response = post(clients["head"], f"{API}/dossiers/{code}/send-back/", {"to_order": 0})
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert set(response.json()["fields"]) == {"to_order", "reason"}
    response = post(clients["specialist"], f"{API}/dossiers/{code}/request-payment/", {"amount": 0})
    assert response.status_code == 400 and "amount" in response.json()["fields"]
    missing = clients["receiver"].post(f"{API}/dossiers/", {"procedure": "x"})
    assert missing.status_code == 400 and "applicant_name" in missing.json()["fields"]
    unknown = clients["receiver"].post(
        f"{API}/dossiers/",
        {
            "procedure": "khong-co",
            "applicant_name": "A",
            "applicant_id_number": "022195001234",
        },
    )
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_procedure"


def test_supplement_payment_send_back_assign_and_withdraw(clients, staff, procedure):
    code = receive_by_api(clients, procedure)["code"]
    assigned = post(
        clients["head"], f"{API}/dossiers/{code}/assign/", {"official_id": staff.specialist2.pk}
    )
    assert assigned.json()["active_step"]["assignee_id"] == staff.specialist2.pk
    post(clients["specialist2"], f"{API}/dossiers/{code}/forward/")
    back = post(
        clients["head"], f"{API}/dossiers/{code}/send-back/", {"to_order": 2, "reason": "Sai"}
    )
    assert back.status_code == 200 and back.json()["active_step"]["order"] == 2
    supplement = post(
        clients["specialist2"], f"{API}/dossiers/{code}/request-supplement/", {"reason": "Thiếu"}
    )
    assert supplement.status_code == 201
    assert supplement.json()["status"] == Status.SUPPLEMENT_REQUESTED
    assert supplement.json()["supplement_request"]["reason"] == "Thiếu"
    Dossier.objects.filter(code=code).update(status=Status.PROCESSING)  # as if answered
    payment = post(
        clients["specialist2"],
        f"{API}/dossiers/{code}/request-payment/",
        {"amount": 50000, "reason": "Lệ phí"},
    )
    assert payment.json()["status"] == Status.PAYMENT_REQUESTED
    # The payment the request opened is settled through payments (here cash at the desk); the
    # one-stop confirmation would leave it open and is refused while it is due.
    refused = post(
        clients["receiver"], f"{API}/dossiers/{code}/payment-received/", {"receipt_number": "BL1"}
    )
    assert refused.status_code == 409 and refused.json()["code"] == "payment_due"
    from egov.payments.models import Payment
    from egov.payments.services.cash import record_cash

    record_cash(
        actor=act(staff.receiver),
        payment=Payment.objects.get(dossier__code=code).code,
        amount=50000,
    )
    assert Dossier.objects.get(code=code).status == Status.PROCESSING
    withdrawn = post(clients["receiver"], f"{API}/dossiers/{code}/withdraw/", {"reason": "Xin rút"})
    assert withdrawn.json()["status"] == Status.WITHDRAWAL_REQUESTED


def test_online_dossier_is_received_or_refused(clients, procedure, make_citizen):
    from egov.dossiers.services import Submission, submit_online

    def submit() -> Dossier:
        return submit_online(
            user=make_citizen(),
            submission=Submission(
                procedure_code=procedure.code,
                agency_identifier=procedure.agencies.get().identifier,
                form_data={},
                uploads={"to-khai": [pdf_upload()]},
                result_delivery="online",
            ),
        )

    first, second = submit(), submit()
    received = post(clients["receiver"], f"{API}/dossiers/{first.code}/receive/")
    assert received.status_code == 200 and received.json()["appointment_at"]
    refused = post(
        clients["receiver"], f"{API}/dossiers/{second.code}/refuse/", {"reason": "Sai thẩm quyền"}
    )
    assert refused.json()["status"] == Status.REFUSED


def test_apology_drafted_and_decided_by_a_leader(staff, procedure):
    # Sessions last 8 hours: each travel in time logs in afresh.
    with time_machine.travel(at(2026, 11, 23, 8, 0), tick=False):
        clients = {name: session(o.user) for name, o in vars(staff).items()}
        code = receive_by_api(clients, procedure)["code"]
        draft = post(
            clients["head"],
            f"{API}/dossiers/{code}/apology/",
            {"reason": "Chờ xác minh", "new_appointment_at": "2026-12-02T17:00:00"},
        )
        assert draft.status_code == 201, draft.content
        letter = draft.json()["apology"]
        assert letter["status"] == "draft"
        assert datetime.fromisoformat(letter["new_appointment_at"]) == at(2026, 12, 2, 17, 0)
        url = f"{API}/apologies/{letter['id']}/decision/"
        denied = post(clients["head"], url, {"approve": True})
        assert denied.status_code == 403
        stale = post(clients["leader"], url, {"approve": True, "version": 1})
        assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
        approved = post(
            clients["leader"], url, {"approve": True, "version": draft.json()["version"]}
        )
        assert approved.status_code == 200
        # The letter promises the date; the legal appointment stays (#13: it used to move).
        body = approved.json()
        assert datetime.fromisoformat(body["promised_at"]) == at(2026, 12, 2, 17, 0)
        assert datetime.fromisoformat(body["appointment_at"]) == at(2026, 11, 30, 17, 0)
        assert ApologyLetter.objects.get().status == ApologyLetter.Status.APPROVED
        again = post(clients["leader"], url, {"approve": False})
        assert again.status_code == 409 and again.json()["code"] == "invalid_transition"


def test_api_clients_need_an_officials_session(clients, procedure, agency):
    code = receive_by_api(clients, procedure)["code"]
    _, writer = create_api_client(
        actor=SYSTEM, name="Hệ thống khác", scopes=["dossiers:write", "dossiers:read"]
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {writer}")
    response = client.post(f"{API}/dossiers/{code}/forward/", {}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "official_required"
    assert "công chức" in response.json()["message"]
    assert client.get(f"{API}/queue/").json()["code"] == "official_required"

    _, reader = create_api_client(actor=SYSTEM, name="Chỉ đọc", scopes=["dossiers:read"])
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {reader}")
    response = client.post(f"{API}/dossiers/{code}/forward/", {}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert "dossiers:write" in response.json()["message"]
    assert DossierStep.objects.get(dossier__code=code, status=StepStatus.ACTIVE).order == 2


def test_session_without_second_factor_and_anonymous_are_refused(staff, procedure, clients):
    code = receive_by_api(clients, procedure)["code"]
    half = session(staff.specialist.user, with_mfa=False)
    response = post(half, f"{API}/dossiers/{code}/forward/")
    assert response.status_code == 403 and response.json()["code"] == "mfa_required"
    anonymous = post(Client(), f"{API}/dossiers/{code}/forward/")
    assert anonymous.status_code in (401, 403)
    assert anonymous.json()["code"] == "not_authenticated"


def test_queue_is_mine_most_urgent_first_in_keyset_pages(staff, procedure):
    codes = []
    for day in (25, 23, 27):  # received on different days: different due times
        with time_machine.travel(at(2026, 11, day, 8, 0), tick=False):
            codes.append(
                receive_by_api({"receiver": session(staff.receiver.user)}, procedure)["code"]
            )
    # Automatic assignment spreads the load; the unit head decides who holds which.
    for code, who in zip(codes, (staff.specialist, staff.specialist, staff.specialist2)):
        services.assign(actor=act(staff.head), dossier=code, official_id=who.pk)
    with time_machine.travel(at(2026, 11, 26, 9, 0), tick=False):
        mine = session(staff.specialist.user)
        first = mine.get(f"{API}/queue/?limit=1")
        assert first.status_code == 200
        page = first.json()
        assert [i["code"] for i in page["results"]] == [codes[1]]
        assert page["results"][0]["urgency"] == "overdue"  # due Thu 08:00
        second = mine.get(page["next"]).json()
        assert [i["code"] for i in second["results"]] == [codes[0]]
        # Due Fri 08:00, 6.5 working hours away: near due by the one rule (within a working day).
        assert second["results"][0]["urgency"] == "near_due" and second["next"] is None
        bad = mine.get(f"{API}/queue/?cursor=nonsense")
        assert bad.status_code == 400 and "cursor" in bad.json()["fields"]
        # Every field is there, and a longer page costs no more queries (nothing loaded late).
        with CaptureQueriesContext(connection) as one:
            mine.get(f"{API}/queue/?limit=1")
        with CaptureQueriesContext(connection) as both:
            whole = mine.get(f"{API}/queue/").json()["results"]
        assert len(whole) == 2 and len(both) == len(one)
        item = whole[0]
        dossier = Dossier.objects.select_related("procedure").get(code=item["code"])
        assert item["procedure"] == dossier.procedure.name
        assert item["applicant_name"] == dossier.applicant_name
        assert (item["status"], item["version"]) == (dossier.status, dossier.version)
        assert item["step_name"] and item["step"] >= 1
        # Moments read as DRF writes them elsewhere in the API (ISO 8601, local time).
        step = DossierStep.objects.get(pk=item["step_id"])
        written = serializers.DateTimeField().to_representation
        assert item["due_at"] == written(step.due_at) and item["due_at"].endswith("+07:00")
        assert item["started_at"] == written(step.started_at)
        assert item["appointment_at"] == written(dossier.appointment_at)
    other = session(staff.specialist2.user).get(f"{API}/queue/").json()
    assert [i["code"] for i in other["results"]] == [codes[2]]


def test_state_is_readable_by_scoped_clients_of_the_agency(clients, procedure, agency):
    code = receive_by_api(clients, procedure)["code"]
    _, token = create_api_client(
        actor=SYSTEM, name="Báo cáo", scopes=["dossiers:read"], agency=agency
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    body = client.get(f"{API}/dossiers/{code}/").json()
    assert body["code"] == code and body["active_step"]["order"] == 2


def test_schema_documents_the_endpoints(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    for action in ("receive", "forward", "send-back", "result", "apology", "return"):
        assert f"/api/v1/onestop/dossiers/{{code}}/{action}/" in paths
    assert "/api/v1/onestop/apologies/{letter_id}/decision/" in paths
    assert "/api/v1/onestop/queue/" in paths
    forward = paths["/api/v1/onestop/dossiers/{code}/forward/"]["post"]
    assert {"200", "403", "404", "409"} <= set(forward["responses"])
    assert (
        "multipart/form-data"
        in paths["/api/v1/onestop/dossiers/"]["post"]["requestBody"]["content"]
    )


def test_queue_api_costs_three_queries(staff, procedure):
    """The work-queue API's round trips, pinned: the session, the user with its official record
    (agency, unit, position and roles: one statement, accounts.backends), the page. The
    second-factor check reads the session already loaded; the working calendar is kept in the
    process (warm request first)."""
    receive_by_api({"receiver": session(staff.receiver.user)}, procedure)
    mine = session(staff.receiver.user)
    assert mine.get(f"{API}/queue/").status_code == 200  # warm
    with CaptureQueriesContext(connection) as queries:
        response = mine.get(f"{API}/queue/")
    assert response.status_code == 200
    tables = [q["sql"].split(" FROM ", 1)[1].split()[0].strip('"') for q in queries]
    assert tables == ["django_session", "accounts_user", "onestop_dossierstep"], tables
    assert '"org_official"' in queries[1]["sql"]


def test_queue_answered_before_drf_is_what_drf_writes(staff, procedure, monkeypatch):
    """The usual request is answered in QueueView.dispatch (core.api_fast): the same bytes and
    headers as through DRF, page links included."""
    from egov.onestop import api

    for _ in range(2):
        code = receive_by_api({"receiver": session(staff.receiver.user)}, procedure)["code"]
        services.assign(actor=act(staff.head), dossier=code, official_id=staff.specialist.pk)
    mine = session(staff.specialist.user)
    answered = []
    real = api.json_response

    def spy(data, view, status=200):  # type: ignore[no-untyped-def]
        answered.append(data)
        return real(data, view, status)

    monkeypatch.setattr(api, "json_response", spy)
    urls = [f"{API}/queue/", f"{API}/queue/?limit=1"]
    fast = [mine.get(url, HTTP_ACCEPT="application/json") for url in urls]
    fast.append(mine.get(fast[1].json()["next"]))  # no Accept header: DRF's JSON too
    assert len(answered) == 3 and all(r.status_code == 200 for r in fast)
    assert len(fast[0].json()["results"]) == 2 and fast[1].json()["next"]
    monkeypatch.setattr(api, "plain_session_read", lambda *args: False)
    slow = [mine.get(url, HTTP_ACCEPT="application/json") for url in urls]
    slow.append(mine.get(slow[1].json()["next"]))
    assert len(answered) == 3  # these went through DRF
    for quick, drf in zip(fast, slow, strict=True):
        assert quick.content == drf.content
        for header in ("Content-Type", "Vary", "Allow"):
            assert quick[header] == drf[header], header


def test_queue_refusals_and_odd_requests_still_go_through_drf(staff, procedure, make_citizen):
    """What DRF would refuse or answer otherwise never gets the early answer."""
    receive_by_api({"receiver": session(staff.receiver.user)}, procedure)
    url = f"{API}/queue/"
    anonymous = Client().get(url, HTTP_ACCEPT="application/json")
    assert anonymous.status_code in (401, 403) and anonymous.json()["code"] == "not_authenticated"
    half = session(staff.specialist.user, with_mfa=False).get(url)
    assert half.status_code == 403 and half.json()["code"] == "mfa_required"
    citizen = login_client(make_citizen())
    refused = citizen.get(url, HTTP_ACCEPT="application/json")
    assert refused.status_code == 403 and "công chức" in refused.json()["message"]
    mine = session(staff.specialist.user)
    bad = mine.get(f"{url}?limit=0")
    assert bad.status_code == 400 and "limit" in bad.json()["fields"]
    cursor = mine.get(f"{url}?cursor=nonsense")
    assert cursor.status_code == 400 and cursor.json()["code"] == "invalid_cursor"
    # A browser asking for HTML gets DRF's browsable page, not the JSON answer.
    page = mine.get(url, HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    pretty = mine.get(url, HTTP_ACCEPT="application/json; indent=4")
    assert pretty.status_code == 200 and b"\n    " in pretty.content
    assert mine.get(f"{url}?format=json").json()["results"]


def test_the_fixed_statement_reads_what_the_orm_queue_reads(staff, procedure):
    """The API's page is read by a fixed SQL statement (queue.mine_page): the same rows, in the
    same order, with the same cursors as the ORM's queue_page, ties on the due moment
    included (three dossiers received in the same minute)."""
    from egov.onestop.queue import MINE_FIELDS, mine_page, queue_page, queue_steps

    with time_machine.travel(at(2026, 11, 25, 8, 0), tick=False):
        codes = [
            receive_by_api({"receiver": session(staff.receiver.user)}, procedure)["code"]
            for _ in range(3)
        ]
    for code in codes:
        services.assign(actor=act(staff.head), dossier=code, official_id=staff.specialist.pk)
    orm_cursor = raw_cursor = ""
    seen = []
    while True:
        orm, orm_next = queue_page(
            queue_steps("mine", staff.specialist).values(*MINE_FIELDS), orm_cursor, 1
        )
        raw, raw_next = mine_page(staff.specialist.pk, raw_cursor, 1)
        assert raw == orm and raw_next == orm_next
        seen += [row["dossier__code"] for row in raw]
        if raw_next is None:
            break
        orm_cursor = raw_cursor = raw_next
    assert sorted(seen) == sorted(codes) and len(seen) == 3


def test_every_page_of_the_queue_starts_in_its_index(staff, procedure):
    """The API's page, first or later, is a bounded range of step_mine_queue_idx (the official,
    then past the cursor's (due_at, id)), never a walk over the official's earlier steps."""
    from egov.onestop.queue import _mine_sql

    if connection.vendor != "postgresql":
        pytest.skip("query plans are PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # tiny tables: ask what it could use
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")  # as once prepared
        for after in (False, True):
            sql = _mine_sql(after)
            for n in range(1, sql.count("%s") + 1):
                sql = sql.replace("%s", f"${n}", 1)
            cursor.execute(f"PREPARE mine_{int(after)} AS {sql}")
            values = "1, '2026-11-25T08:00:00Z', 1, 51" if after else "1, 51"
            cursor.execute(f"EXPLAIN EXECUTE mine_{int(after)}({values})")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "step_mine_queue_idx" in plan and "Sort" not in plan, plan
            if after:
                assert "ROW(due_at, id) > ROW($2, $3)" in plan.split("Index Cond:")[1], plan
