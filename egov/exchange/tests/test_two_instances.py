"""Acceptance: two separate platform instances (two processes, two databases) exchange a
signed edXML package over HTTP.

This test process is instance A (agency UBND tỉnh, served by the live server); instance B (Sở Tư
pháp) runs `manage.py exchange_standin` in a subprocess with its own SQLite database, migrated
there. Both trust the same demo CA (shared through PKCS#12 files). A sends a signed package; B
checks and registers it once, answers 01 in the HTTP answer and then 03, 04, 05 as signed
status messages posted back to A; A sees each one. A resent package is recognised, a tampered
one refused; a take-back request (13, before processing ends) is agreed (15)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from egov.core.actors import SYSTEM
from egov.exchange import endpoints, handlers, sending, statuses, transport
from egov.exchange.edxml import Organ
from egov.exchange.models import ExternalEndpoint, OutgoingPackage
from egov.exchange.standin import (
    InstanceConfig,
    PeerAgency,
    PeerInstance,
    PeerLink,
    migrated_template,
    write_hierarchy,
)

B = PeerAgency("000.00.01.H41", "Sở Tư pháp tỉnh Quảng Ninh", "STP")


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_template(tmp_path_factory.mktemp("exchange-template"))


class Waiter:
    """A status handler on A's side: remembers codes and wakes the test when one arrives (the
    test thread waits without touching the database the live server is writing to)."""

    def __init__(self) -> None:
        self.codes: list[str] = []
        self.changed = threading.Condition()

    def __call__(self, received: handlers.ReceivedStatus) -> None:
        transaction.on_commit(lambda: self._arrived(received.status_code))

    def _arrived(self, code: str) -> None:
        with self.changed:
            self.codes.append(code)
            self.changed.notify_all()

    def wait_for(self, code: str, timeout: float = 60) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: code in self.codes, timeout=timeout)


@pytest.fixture
def waiter() -> Iterator[Waiter]:
    w = Waiter()
    handlers.register_status_handler(w)
    yield w
    handlers.unregister_status_handler(w)


def b_database(instance: PeerInstance, sql: str) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(instance.db_path, timeout=20)
    try:
        return list(connection.execute(sql))
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_two_platform_instances_exchange_a_signed_package_over_http(
    agency, live_server, hierarchy, template_db, tmp_path, make_doc, waiter
):
    from egov.signing.services import ensure_demo_ca

    a = agency
    ensure_demo_ca(actor=SYSTEM, hierarchy=hierarchy)
    ca_dir = write_hierarchy(hierarchy, tmp_path / "demo-ca")
    token_a_to_b, token_b_to_a = endpoints.new_peer_token(), endpoints.new_peer_token()
    config = InstanceConfig(
        agencies=[B],
        peers=[
            PeerLink(
                organ_id=a.identifier,
                organ_name=a.name,
                url=f"{live_server.url}/api/v1/exchange/",
                auth_token=token_b_to_a,
                inbound_token=token_a_to_b,
            )
        ],
        demo_ca_dir=str(ca_dir),
        answers=["03", "04", "05"],  # not 06: a completed document is not taken back
        answer_delay=0.5,
    )
    instance = PeerInstance(tmp_path / "instance-b", config, template_db=template_db)
    try:
        instance.prepare()
        instance.start(timeout=90)
        endpoint = endpoints.save_endpoint(
            actor=SYSTEM,
            organ_id=B.identifier,
            organ_name=B.name,
            url=instance.api_url,
            auth_token=token_a_to_b,
            inbound_token=token_b_to_a,
            timeout_seconds=30,
        )
        doc = make_doc(a, [Organ(B.identifier, B.name)])

        # A sends: the outbox delivers over HTTP right after the commit
        with transaction.atomic():
            [package] = sending.send(doc, actor=SYSTEM, sender_agency=a)

        package.refresh_from_db()
        assert package.route == "external"
        assert package.delivery_status == OutgoingPackage.Delivery.DELIVERED, package.last_error
        assert package.status_code in ("01", "03", "04", "05")

        # B registers it once and answers 03..06 over HTTP
        assert waiter.wait_for("05", timeout=60), (waiter.codes, instance.log_text()[-3000:])
        package.refresh_from_db()
        assert package.status_code == "05"
        [row] = statuses.statuses_for(doc.document_id)
        assert [h.status_code for h in row.history] == ["01", "03", "04", "05"]
        assert row.history[1].staff == "Văn thư (tự động)"
        assert b_database(
            instance,
            "select document_id, sender_organ_id, status, signer_subject "
            "from exchange_incomingpackage",
        ) == [(doc.document_id, a.identifier, "arrived", a.name)]

        # the same package again: recognised, 01, not registered twice
        raw = bytes(package.data.raw)
        endpoint = ExternalEndpoint.objects.get(organ_id=B.identifier)
        again = transport.post_package(
            endpoint, raw, recipient_organ_id=B.identifier, idempotency_key="again"
        )
        assert (again.status_code, again.duplicate) == ("01", True)

        # a package altered after signing: refused with 02 and the reason
        tampered = raw.replace("triển khai".encode(), "hủy bỏ".encode(), 1)
        refused = transport.post_package(
            endpoint, tampered, recipient_organ_id=B.identifier, idempotency_key="tampered"
        )
        assert refused.status_code == "02"
        assert refused.error_code == "signature_invalid"
        assert "Chữ ký số" in refused.description

        assert b_database(
            instance, "select status, count(*) from exchange_incomingpackage group by status"
        ) == [("arrived", 1), ("rejected", 1)]

        # A asks to take the document back (13) over HTTP; B agrees (15)
        with transaction.atomic():
            statuses.send_status(
                doc.document_id,
                to_organ_id=B.identifier,
                status_code="13",
                description="Đề nghị trả lại để sửa sai sót",
                from_agency=a,
            )
        assert waiter.wait_for("15", timeout=60), (waiter.codes, instance.log_text()[-3000:])
        [row] = statuses.statuses_for(doc.document_id)
        assert row.status_code == "15"
        assert b_database(
            instance,
            "select status_code, delivery_status from exchange_statusrecord where direction = 'in'",
        ) == [("13", "")]
    finally:
        instance.stop()
