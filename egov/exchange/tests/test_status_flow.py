"""The edXML status flow (status_flow.py): every (previous status, next status, sender role)
pair of a document posted over HTTP by another platform, statuses our own officials send, the
revoke and update packages, and late arrivals.

The expected tables below are written out again on purpose (not read from status_flow.py), so
a change to the flow has to be made twice: in the data and in what the test expects."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from rest_framework.test import APIClient

from egov.events.models import Event
from egov.exchange import common, edxml, statuses
from egov.exchange.common import store_data
from egov.exchange.models import IncomingPackage, OutgoingPackage, StatusRecord
from egov.exchange.status_flow import FlowState, Role, Verdict, judge
from egov.exchange.tests.test_api import (  # noqa: F401 - thai_binh is a fixture
    STATUSES,
    THAI_BINH,
    post,
    thai_binh,
)

pytestmark = pytest.mark.django_db

CODES = ["01", "02", "03", "04", "05", "06", "13", "15", "16"]
RECIPIENT_CODES = {"01", "02", "03", "04", "05", "06", "15", "16"}

# How a package reaches each previous status (13 asked once the document was registered).
PATHS = {
    "": [],
    "01": ["01"],
    "02": ["01", "02"],
    "03": ["01", "03"],
    "04": ["01", "03", "04"],
    "05": ["01", "03", "04", "05"],
    "06": ["01", "03", "04", "05", "06"],
    "13": ["01", "03", "13"],
    "15": ["01", "03", "13", "15"],
    "16": ["01", "03", "13", "16"],
}

# What may follow, by who sends it: the recipient of the package...
RECIPIENT_MAY_SEND = {
    "": {"01", "02"},
    "01": {"02", "03"},
    "02": set(),
    "03": {"04", "05", "06"},
    "04": {"04", "05", "06"},
    "05": {"05", "06"},
    "06": set(),
    "13": {"15", "16", "04", "05", "06"},  # the answer, or processing crossing the request
    "15": set(),
    "16": {"04", "05", "06"},  # refused: processing goes on
}
# ...and its sender: 13, once, before processing ends.
SENDER_MAY_SEND = {
    "": {"13"},
    "01": {"13"},
    "02": set(),
    "03": {"13"},
    "04": {"13"},
    "05": {"13"},
    "06": set(),
    "13": set(),
    "15": set(),
    "16": set(),
}


@pytest.fixture
def peer(thai_binh):  # type: ignore[no-untyped-def]  # noqa: F811
    """Thái Bình's platform, declared here with the token it presents to us."""
    return thai_binh


class Conversation:
    """One document between our agency and Thái Bình (another platform): the package, the
    statuses Thái Bình posts over HTTP and those we send."""

    counter = 0

    def __init__(self, agency: Any, signer: Any, *, we_sent: bool) -> None:
        Conversation.counter += 1
        self.agency, self.signer, self.we_sent = agency, signer, we_sent
        self.client = APIClient()
        self.clock = common.exchange_now()
        self.document_id = f"{THAI_BINH.organ_id if not we_sent else agency.identifier}," + (
            f"2026/03/02,{Conversation.counter}/UBND-VP"
        )
        self.package: OutgoingPackage | IncomingPackage
        if we_sent:
            self.package = OutgoingPackage.objects.create(
                document_id=self.document_id,
                sender_agency=agency,
                sender_organ_id=agency.identifier,
                recipient_organ_id=THAI_BINH.organ_id,
                recipient_name=THAI_BINH.organ_name,
                route="external",
                subject="Về việc liên thông",
                data=store_data(b"<edXML/>"),
            )
        else:  # as receiving.receive_package registers it: arrived, 01
            self.package = IncomingPackage.objects.create(
                document_id=self.document_id,
                recipient_agency=agency,
                recipient_organ_id=agency.identifier,
                sender_organ_id=THAI_BINH.organ_id,
                sender_name=THAI_BINH.organ_name,
                via="http",
                status=IncomingPackage.Status.ARRIVED,
                status_code="01",
                status_at=self.clock,
                processing_code="01",
            )

    @property
    def their_role(self) -> Role:
        return Role.RECIPIENT if self.we_sent else Role.SENDER

    def tick(self) -> Any:
        self.clock += timedelta(seconds=5)
        return self.clock

    def theirs(self, code: str, at: Any = None) -> Any:
        """Thái Bình posts a status about the document."""
        message = edxml.StatusMessage(
            document_id=self.document_id,
            sender=THAI_BINH,
            status_code=code,
            timestamp=at or self.tick(),
            to_organ_id=self.agency.identifier,
        )
        raw = self.signer.sign(edxml.status_element(message))
        return post(self.client, STATUSES, raw, self.signer.token)

    def ours(self, code: str) -> StatusRecord:
        return statuses.send_status(
            self.document_id,
            to_organ_id=THAI_BINH.organ_id,
            status_code=code,
            from_agency=self.agency,
        )

    def walk(self, path: list[str]) -> None:
        for code in path:
            if code == "01" and not self.we_sent:
                continue  # registered on arrival
            sent_by_them = (code in RECIPIENT_CODES) == (self.their_role == Role.RECIPIENT)
            if sent_by_them:
                response = self.theirs(code)
                assert response.status_code == 201, (path, code, response.json())
            else:
                self.ours(code)
        self.clock = max(self.clock, common.exchange_now()) + timedelta(seconds=60)

    def snapshot(self) -> tuple[Any, ...]:
        package = type(self.package).objects.get(pk=self.package.pk)
        return (
            package.status_code,
            package.status_at,
            package.processing_code,
            package.take_back_code,
            getattr(package, "delivery_status", None),
            StatusRecord.objects.filter(document_id=self.document_id).count(),
            Event.objects.filter(event_type="exchange.status_received").count(),
        )


def _pairs(role: Role) -> list[tuple[str, str]]:
    previous = [p for p in PATHS if role == Role.RECIPIENT or p != ""]
    return [(p, n) for p in previous for n in CODES]


@pytest.mark.parametrize("role", [Role.RECIPIENT, Role.SENDER])
def test_every_previous_next_and_sender_pair_over_http(certified, peer, role):
    """Accepted: 201, the package moves on. Refused: 400 with the error code, an event on the
    package, nothing else changed (so the refused codes are all tried on one package per
    previous status; each accepted one gets its own). A package we received starts at 01: it
    has no "" row."""
    a, _b = certified
    allowed = RECIPIENT_MAY_SEND if role == Role.RECIPIENT else SENDER_MAY_SEND
    kind = "outgoing" if role == Role.RECIPIENT else "incoming"
    outcomes: dict[tuple[str, str], str] = {}

    def at(previous: str) -> Conversation:
        talk = Conversation(a, peer, we_sent=role == Role.RECIPIENT)
        talk.walk(PATHS[previous])
        return talk

    def refusals(talk: Conversation) -> Any:
        return Event.objects.filter(
            subject_type=f"exchange.{kind}_package",
            subject_id=str(talk.package.pk),
            event_type=f"exchange.{kind}_status_refused",
        )

    for previous, code in _pairs(role):
        if code not in allowed[previous]:
            continue
        talk = at(previous)
        response = talk.theirs(code)
        assert response.status_code == 201, (previous, code, response.json())
        assert response.json()["code"] == "status_recorded"
        talk.package.refresh_from_db()
        assert talk.package.status_code == code
        assert not refusals(talk).exists()
        outcomes[previous, code] = "accepted"

    for previous in {p for p, _ in _pairs(role)}:
        talk = at(previous)
        for code in CODES:
            if code in allowed[previous]:
                continue
            before, refused_before = talk.snapshot(), refusals(talk).count()
            response = talk.theirs(code)
            body = response.json()
            wrong_party = (code in RECIPIENT_CODES) != (role == Role.RECIPIENT)
            expected = "status_not_allowed_for_sender" if wrong_party else "status_out_of_order"
            assert response.status_code == 400, (previous, code, body)
            assert body["code"] == expected, (previous, code, body)
            assert talk.snapshot() == before, (previous, code)
            assert refusals(talk).count() == refused_before + 1
            event = refusals(talk).latest("id")
            assert event.payload["status_code"] == code
            assert event.payload["code"] == expected
            assert event.payload["sender_role"] == role
            outcomes[previous, code] = expected
    assert len(outcomes) == len(_pairs(role))


def test_our_officials_are_held_to_the_same_flow(certified, peer):
    a, _b = certified
    received = Conversation(a, peer, we_sent=False)
    # 06 straight after 01, and 13 (the sender's) from the recipient: refused, nothing sent
    for code, error in (("06", "status_out_of_order"), ("13", "status_not_allowed_for_sender")):
        with pytest.raises(common.StatusFlowRefused) as exc:
            received.ours(code)
        assert exc.value.code == error
        assert exc.value.http_status == 400
    assert not StatusRecord.objects.filter(document_id=received.document_id).exists()
    for code in ("03", "04", "05", "05", "06"):
        received.ours(code)
    with pytest.raises(common.StatusFlowRefused):
        received.ours("03")  # backwards
    received.package.refresh_from_db()
    assert received.package.status_code == "06"

    sent = Conversation(a, peer, we_sent=True)
    sent.walk(["01", "03", "04", "05", "06"])
    with pytest.raises(common.StatusFlowRefused) as exc:
        sent.ours("13")  # completed: taken back with a revoke, not 13
    assert exc.value.code == "status_out_of_order"
    assert "bước cuối" in exc.value.message


def test_a_late_older_status_is_kept_but_changes_nothing(certified, peer):
    a, _b = certified
    talk = Conversation(a, peer, we_sent=True)
    talk.walk(["01", "03"])
    early = talk.tick()
    talk.walk(["04", "05"])
    response = talk.theirs("04", at=early)  # stamped before the 05, delivered after it
    assert response.status_code == 201
    assert response.json()["code"] == "status_stale"
    talk.package.refresh_from_db()
    assert (talk.package.status_code, talk.package.processing_code) == ("05", "05")
    [event] = Event.objects.filter(event_type="exchange.status_received").order_by("-id")[:1]
    assert event.payload["stale"] is True
    # the same 04 stamped after the 05 goes backwards
    assert talk.theirs("04").status_code == 400


def test_a_take_back_request_is_answered_once(certified, peer):
    a, _b = certified
    talk = Conversation(a, peer, we_sent=True)
    talk.walk(["01", "03"])
    talk.ours("13")
    with pytest.raises(common.StatusFlowRefused):
        talk.ours("13")  # already asked
    assert talk.theirs("05").status_code == 201  # sent before they saw the request
    assert talk.theirs("15").status_code == 201
    talk.package.refresh_from_db()
    assert (talk.package.status_code, talk.package.take_back_code) == ("15", "15")
    for code in ("06", "16", "15"):
        assert talk.theirs(code).status_code == 400  # taken back: nothing follows


@pytest.mark.parametrize(
    ("business_type", "path", "may_follow"),
    [
        # a revoke is answered 01, then 02 (refused) or 03 (agreed); final after that
        (1, [], {"01", "02"}),
        (1, ["01"], {"02", "03"}),
        (1, ["01", "03"], set()),
        (1, ["01", "02"], set()),
        # an update is answered 01, then 15 (agreed) or 16 (refused)
        (2, [], {"01", "02"}),
        (2, ["01"], {"15", "16"}),
        (2, ["01", "15"], set()),
        (2, ["01", "16"], set()),
        # a replacing document follows the document's flow
        (3, ["01", "03"], {"04", "05", "06", "13"}),
    ],
)
def test_revoke_update_and_replace_packages(business_type, path, may_follow):
    moment = common.exchange_now()
    state = FlowState()
    for code in path:
        moment += timedelta(seconds=1)
        judgement = judge(business_type, state, code, Role.RECIPIENT, moment)
        assert judgement.verdict == Verdict.ADVANCE
        state = judgement.state
    moment += timedelta(seconds=1)
    for code in CODES:
        role = Role.SENDER if code == "13" else Role.RECIPIENT
        verdict = judge(business_type, state, code, role, moment).verdict
        assert (verdict == Verdict.ADVANCE) == (code in may_follow), (business_type, path, code)


def test_a_resent_package_answered_01_again_is_not_a_refusal(certified):
    """The recipient recognises a package sent again and answers 01 once more."""
    from egov.exchange import answers
    from egov.exchange.transport import Answer

    a, _b = certified
    talk = Conversation(a, None, we_sent=True)
    talk.package.status_code = talk.package.processing_code = "05"
    talk.package.status_at = common.exchange_now()
    talk.package.save()
    record = answers.record_delivery_answer(
        talk.package,
        Answer("01", timestamp=common.exchange_now() + timedelta(seconds=30), duplicate=True),
    )
    assert record is not None
    talk.package.refresh_from_db()
    assert talk.package.status_code == "05"
    assert not Event.objects.filter(event_type__endswith="_status_refused").exists()


def test_a_package_stored_before_the_flow_was_tracked_gets_its_steps_back(certified, peer):
    """Migration 0003: a package whose latest status was 16 (take-back refused) before the flow
    was stored must stand at its real processing step (05), so the recipient's 06 still passes
    rather than being judged a step skipped from 01."""
    from importlib import import_module

    from django.apps import apps

    a, _b = certified
    talk = Conversation(a, peer, we_sent=True)
    talk.walk(["01", "03", "05"])
    talk.ours("13")
    assert talk.theirs("16").status_code == 201
    OutgoingPackage.objects.filter(pk=talk.package.pk).update(processing_code="", take_back_code="")
    import_module("egov.exchange.migrations.0003_status_flow_backfill").backfill(apps, None)
    talk.package.refresh_from_db()
    assert (talk.package.processing_code, talk.package.take_back_code) == ("05", "16")
    assert talk.theirs("06").status_code == 201
