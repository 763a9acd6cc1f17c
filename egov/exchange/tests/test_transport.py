"""Delivery to an agency on another platform over HTTP, against a scripted local server:
2xx = delivered, a 4xx with a status 02 = refused (not retried), 5xx and network errors =
retried by the outbox, other 4xx = dead (for an operator)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from egov.core.actors import SYSTEM
from egov.events.models import OutboxMessage
from egov.events.services import dispatch_due
from egov.exchange import edxml, endpoints, receiving, sending, statuses
from egov.exchange.edxml import Organ
from egov.exchange.models import OutgoingPackage, StatusRecord

pytestmark = pytest.mark.django_db

HA_NAM = Organ("000.00.00.H35", "Ủy ban nhân dân tỉnh Hà Nam")


class ScriptedPeer:
    """Answers each POST with the next scripted (status, body); remembers the requests."""

    def __init__(self, script: list[tuple[int, dict[str, Any]]]) -> None:
        self.script = list(script)
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                peer.requests.append(
                    (self.path, {k.lower(): v for k, v in self.headers.items()}, raw)
                )
                status, body = peer.script.pop(0) if peer.script else (201, {"code": "arrived"})
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/api/v1/exchange/"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def peer() -> Iterator[ScriptedPeer]:
    server = ScriptedPeer([])
    yield server
    server.close()


@pytest.fixture
def ha_nam(certified, peer):  # type: ignore[no-untyped-def]
    return endpoints.save_endpoint(
        actor=SYSTEM,
        organ_id=HA_NAM.organ_id,
        organ_name=HA_NAM.organ_name,
        url=peer.url,
        auth_token="edxml_token-that-ha-nam-gave-us-0123456789",
        timeout_seconds=5,
    )


def send_to_ha_nam(certified: Any, make_doc: Any, capture: Any) -> OutgoingPackage:
    a, _b = certified
    with capture(execute=True), transaction.atomic():
        [package] = sending.send(make_doc(a, [HA_NAM]), actor=SYSTEM, sender_agency=a)
    package.refresh_from_db()
    return package


ARRIVED = (
    201,
    {
        "code": "arrived",
        "status": {
            "status_code": "01",
            "description": "Đã đến",
            "timestamp": "2026/03/02 09:15:00",
        },
    },
)


def test_a_package_is_posted_with_its_token_and_recipient(
    certified, make_doc, ha_nam, peer, django_capture_on_commit_callbacks
):
    peer.script = [ARRIVED]
    package = send_to_ha_nam(certified, make_doc, django_capture_on_commit_callbacks)

    [(path, headers, body)] = peer.requests
    assert path == "/api/v1/exchange/packages/"
    assert headers["authorization"] == "Bearer edxml_token-that-ha-nam-gave-us-0123456789"
    assert headers["x-edxml-to"] == HA_NAM.organ_id
    assert headers["content-type"].startswith("application/xml")
    assert headers["idempotency-key"].startswith("edxml|")
    assert body == bytes(package.data.raw)
    assert edxml.parse_document(body).document_id == package.document_id
    assert package.route == "external"
    assert package.delivery_status == "delivered"
    assert package.status_code == "01"
    assert timezone.localtime(package.status_at).strftime("%H:%M:%S") == "09:15:00"


def test_a_refusal_with_status_02_is_recorded_and_not_retried(
    certified, make_doc, ha_nam, peer, django_capture_on_commit_callbacks
):
    peer.script = [
        (
            422,
            {
                "code": "signature_invalid",
                "message": "Chữ ký số không hợp lệ",
                "fields": {},
                "status": {"status_code": "02", "description": "Chữ ký số không hợp lệ"},
            },
        )
    ]
    package = send_to_ha_nam(certified, make_doc, django_capture_on_commit_callbacks)

    assert package.delivery_status == "rejected"
    assert package.status_code == "02"
    assert package.last_error == "Chữ ký số không hợp lệ"
    assert OutboxMessage.objects.get().status == "delivered"
    assert len(peer.requests) == 1


def test_server_errors_are_retried_until_delivered(
    certified, make_doc, ha_nam, peer, django_capture_on_commit_callbacks
):
    peer.script = [(503, {"error": "bảo trì"}), ARRIVED]
    package = send_to_ha_nam(certified, make_doc, django_capture_on_commit_callbacks)

    assert package.delivery_status == "pending"
    assert "HTTP 503" in package.last_error
    message = OutboxMessage.objects.get()
    assert message.status == "failed" and message.attempts == 1

    dispatch_due(now=timezone.now() + timedelta(days=1))

    package.refresh_from_db()
    assert package.delivery_status == "delivered"
    assert package.last_error == ""
    assert len(peer.requests) == 2
    # the same idempotency key both times, so the other side can recognise the repeat
    assert peer.requests[0][1]["idempotency-key"] == peer.requests[1][1]["idempotency-key"]


def test_an_unreachable_platform_is_retried(
    certified, make_doc, django_capture_on_commit_callbacks
):
    endpoints.save_endpoint(
        actor=SYSTEM,
        organ_id=HA_NAM.organ_id,
        organ_name=HA_NAM.organ_name,
        url="http://127.0.0.1:9/api/v1/exchange/",  # discard port: nothing listens
        timeout_seconds=2,
    )
    package = send_to_ha_nam(certified, make_doc, django_capture_on_commit_callbacks)

    assert package.delivery_status == "pending"
    assert "Không kết nối được" in package.last_error
    assert OutboxMessage.objects.get().status == "failed"


def test_a_refused_token_makes_the_message_dead_and_the_package_failed(
    certified, make_doc, ha_nam, peer, django_capture_on_commit_callbacks
):
    peer.script = [(401, {"code": "authentication_failed", "message": "Mã truy cập không hợp lệ"})]
    package = send_to_ha_nam(certified, make_doc, django_capture_on_commit_callbacks)

    assert package.delivery_status == "failed"
    assert "HTTP 401" in package.last_error
    assert OutboxMessage.objects.get().status == "dead"
    [row] = statuses.statuses_for(package.document_id)
    assert row.delivery_status == "failed" and row.delivery_label == "Gửi không thành công"


def test_the_last_failed_attempt_marks_the_package_failed(
    certified, make_doc, ha_nam, peer, django_capture_on_commit_callbacks, settings
):
    settings.OUTBOX_MAX_ATTEMPTS = 1
    peer.script = [(500, {})]
    package = send_to_ha_nam(certified, make_doc, django_capture_on_commit_callbacks)
    assert package.delivery_status == "failed"
    assert OutboxMessage.objects.get().status == "dead"


def test_statuses_to_another_platform_are_posted(
    certified, make_doc, ha_nam, peer, hierarchy, django_capture_on_commit_callbacks
):
    from egov.exchange.tests.test_api import ExternalSigner

    _a, b = certified
    # Hà Nam sent B a document (arrived through the API), B answers 03 over HTTP
    signer = ExternalSigner(hierarchy, HA_NAM)
    doc = make_doc(b, [b])
    doc.sender = HA_NAM
    result = receiving.receive_package(signer.sign(edxml.document_element(doc)), via="http")
    assert result.status_code == "01", result.description
    peer.script = [(201, {"code": "status_recorded"}), (422, {"message": "Không có văn bản"})]

    for code in ("03", "04"):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            statuses.send_status(doc.document_id, to_organ_id=HA_NAM.organ_id, status_code=code)

    assert [r[0] for r in peer.requests] == ["/api/v1/exchange/statuses/"] * 2
    sent = edxml.parse_status(peer.requests[0][2])
    # the peer reads the SDK layout (the default), which names the addressee only by ResponseFor
    assert (sent.status_code, sent.sender.organ_id, sent.recipient_organ_id) == (
        "03",
        b.identifier,
        HA_NAM.organ_id,
    )
    records = StatusRecord.objects.filter(direction="out", via="external").order_by("id")
    assert [(r.status_code, r.delivery_status) for r in records] == [
        ("03", "delivered"),
        ("04", "rejected"),
    ]
    assert records[1].delivery_error == "Không có văn bản"


def test_a_status_refused_by_the_flow_is_recorded_not_dead(
    certified, make_doc, ha_nam, peer, hierarchy, django_capture_on_commit_callbacks
):
    """The other platform answers 400 status_out_of_order: the status is marked refused with
    its reason, the outbox message is done (retrying cannot help), nothing is dead."""
    from egov.exchange.tests.test_api import ExternalSigner

    _a, b = certified
    signer = ExternalSigner(hierarchy, HA_NAM)
    doc = make_doc(b, [b])
    doc.sender = HA_NAM
    assert receiving.receive_package(signer.sign(edxml.document_element(doc)), via="http").accepted
    peer.script = [
        (400, {"code": "status_out_of_order", "message": "Trạng thái 03 sai trình tự."}),
    ]
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        statuses.send_status(doc.document_id, to_organ_id=HA_NAM.organ_id, status_code="03")

    [record] = StatusRecord.objects.filter(direction="out", via="external")
    assert (record.delivery_status, record.delivery_error) == (
        "rejected",
        "Trạng thái 03 sai trình tự.",
    )
    assert not OutboxMessage.objects.filter(status=OutboxMessage.Status.DEAD).exists()


def test_statuses_about_a_document_reach_the_other_side_in_order(
    certified, make_doc, ha_nam, peer, hierarchy, django_capture_on_commit_callbacks
):
    """03 fails for a moment (503): 04 waits for it instead of overtaking it, which the other
    side would refuse as out of order."""
    from egov.exchange.tests.test_api import ExternalSigner

    _a, b = certified
    signer = ExternalSigner(hierarchy, HA_NAM)
    doc = make_doc(b, [b])
    doc.sender = HA_NAM
    assert receiving.receive_package(signer.sign(edxml.document_element(doc)), via="http").accepted
    peer.script = [(503, {"error": "bảo trì"})]
    for code in ("03", "04"):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            statuses.send_status(doc.document_id, to_organ_id=HA_NAM.organ_id, status_code=code)
    assert len(peer.requests) == 1  # 03 tried and failed; 04 did not go ahead of it

    peer.script = [(201, {"code": "status_recorded"})] * 2
    dispatch_due(now=timezone.now() + timedelta(days=1))

    sent = [edxml.parse_status(raw).status_code for _path, _headers, raw in peer.requests]
    assert sent == ["03", "03", "04"]
    records = StatusRecord.objects.filter(direction="out", via="external").order_by("id")
    assert [r.delivery_status for r in records] == ["delivered", "delivered"]
