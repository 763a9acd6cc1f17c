"""Benchmark: signed edXML packages sent and received per second between two platform
instances (two processes, two SQLite databases, HTTP on 127.0.0.1).

    from egov.exchange.bench import run
    run(seconds=20, concurrency=4)  ->  {"packages_per_second": ..., ...}

Instance B runs `manage.py exchange_standin` (it verifies each package's XML signature against
the shared demo CA, registers it once and answers 01). Instance A runs
`manage.py exchange_bench_send`: `concurrency` threads each build a document, sign it with
agency A's certificate, store and queue it (`sending.send`), and deliver it over HTTP right
after the commit, for `seconds`. Nothing touches the caller's database: both instances live in
a temporary directory that is removed afterwards.
"""

from __future__ import annotations

import json
import sqlite3
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from django.db import close_old_connections, transaction

from egov.core.actors import SYSTEM

from .standin import (
    InstanceConfig,
    PeerAgency,
    PeerInstance,
    PeerLink,
    migrated_template,
    write_hierarchy,
)

AGENCY_A = PeerAgency("000.00.00.H41", "Ủy ban nhân dân tỉnh Quảng Ninh", "UBND", "ubnd")
AGENCY_B = PeerAgency("000.00.01.H41", "Sở Tư pháp tỉnh Quảng Ninh", "STP", "so")
RESULT_PREFIX = "RESULT "


def run(
    seconds: float = 20.0,
    concurrency: int = 4,
    *,
    attachment_bytes: int = 50_000,
    workdir: Path | None = None,
) -> dict[str, Any]:
    """Start two instances, send signed packages from A to B for `seconds` with `concurrency`
    sending threads, and return the figures."""
    from egov.signing.services import make_demo_hierarchy

    seconds = max(1.0, float(seconds))
    concurrency = max(1, int(concurrency))
    with tempfile.TemporaryDirectory(prefix="egov-exchange-bench-") as tmp:
        root = workdir or Path(tmp)
        started = time.monotonic()
        template = migrated_template(root / "template")
        ca_dir = write_hierarchy(make_demo_hierarchy(), root / "demo-ca")
        from .endpoints import new_peer_token

        token_ab, token_ba = new_peer_token(), new_peer_token()
        b_config = InstanceConfig(
            agencies=[AGENCY_B],
            peers=[
                PeerLink(
                    AGENCY_A.identifier,
                    AGENCY_A.name,
                    "http://127.0.0.1:9/api/v1/exchange/",  # B sends nothing back but 01
                    token_ba,
                    token_ab,
                )
            ],
            demo_ca_dir=str(ca_dir),
            answers=[],
        )
        b = PeerInstance(root / "b", b_config, template_db=template)
        try:
            b.prepare()
            b.start(timeout=120)
            setup_seconds = time.monotonic() - started
            a_config = InstanceConfig(
                agencies=[AGENCY_A],
                peers=[PeerLink(AGENCY_B.identifier, AGENCY_B.name, b.api_url, token_ab, token_ba)],
                demo_ca_dir=str(ca_dir),
                answers=[],
            )
            a = PeerInstance(root / "a", a_config, template_db=template)
            a.prepare()
            a_config_path = a.workdir / "instance.json"
            output = a.manage(
                "exchange_bench_send",
                "--config",
                str(a_config_path),
                "--seconds",
                str(seconds),
                "--concurrency",
                str(concurrency),
                "--to",
                AGENCY_B.identifier,
                "--attachment-bytes",
                str(attachment_bytes),
                timeout=seconds + 600,
            )
        finally:
            b.stop()
        lines = [ln for ln in output.splitlines() if ln.startswith(RESULT_PREFIX)]
        if not lines:
            raise RuntimeError(f"exchange_bench_send gave no result:\n{output[-2000:]}")
        result: dict[str, Any] = json.loads(lines[-1][len(RESULT_PREFIX) :])
        received = _received_rate(b.db_path)
        result.update(received)
        result["setup_seconds"] = round(setup_seconds, 1)
        result["database"] = "sqlite (one file per instance)"
        return result


def _received_rate(db_path: Path) -> dict[str, Any]:
    connection = sqlite3.connect(db_path, timeout=30)
    try:
        rows = connection.execute(
            "select count(*), min(received_at), max(received_at) from exchange_incomingpackage "
            "where status = 'arrived'"
        ).fetchone()
        rejected = connection.execute(
            "select count(*) from exchange_incomingpackage where status = 'rejected'"
        ).fetchone()[0]
    finally:
        connection.close()
    count, first, last = rows
    span = 0.0
    if count and first and last:
        from django.utils.dateparse import parse_datetime

        start, end = parse_datetime(first), parse_datetime(last)
        if start and end:
            span = (end - start).total_seconds()
    return {
        "received": count,
        "received_rejected": rejected,
        "received_per_second": round(count / span, 2) if span > 0 else None,
    }


# ---------------------------------------------------------------------------------------------
# The sending side (runs inside instance A: `manage.py exchange_bench_send`)
# ---------------------------------------------------------------------------------------------


def send_for(
    seconds: float, concurrency: int, *, to_organ_id: str, attachment_bytes: int = 50_000
) -> dict[str, Any]:
    """Send signed packages to `to_organ_id` from this instance's first agency, delivering each
    right after its commit, with `concurrency` threads for `seconds`."""
    import os
    from datetime import date

    from huey.contrib.djhuey import HUEY

    from egov.org.models import Agency

    from . import sending
    from .edxml import Attachment, EdxmlDocument, Organ, SignerInfo
    from .hub import organ_for_agency, resolve

    HUEY.immediate = True  # deliver in the sending thread right after each commit
    sender = Agency.objects.order_by("pk").first()
    destination = resolve(to_organ_id)
    if sender is None or destination is None:
        raise RuntimeError("bench instance is not set up (agency or endpoint missing)")
    recipient = Organ(to_organ_id, destination.name)
    payload = os.urandom(attachment_bytes)
    deadline = time.monotonic() + seconds
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    counter = {"n": 0}

    def next_number() -> int:
        with lock:
            counter["n"] += 1
            return counter["n"]

    def worker() -> None:
        try:
            while time.monotonic() < deadline:
                number = next_number()
                doc = EdxmlDocument(
                    sender=organ_for_agency(sender),
                    recipients=[recipient],
                    code_number=str(number),
                    code_notation="UBND-BENCH",
                    promulgation_place="Quảng Ninh",
                    promulgation_date=date.today(),
                    subject=f"Văn bản đo hiệu năng số {number}",
                    document_type_name="Công văn",
                    signer=SignerInfo("TM. ỦY BAN NHÂN DÂN", "Chủ tịch", "Nguyễn Văn An"),
                    attachments=[Attachment("phu-luc.bin", "application/octet-stream", payload)],
                )
                began = time.perf_counter()
                try:
                    with transaction.atomic():
                        sending.send(doc, actor=SYSTEM, sender_agency=sender)
                except Exception as exc:  # counted, the run goes on
                    with lock:
                        errors.append(f"{type(exc).__name__}: {exc}"[:300])
                    continue
                with lock:
                    latencies.append(time.perf_counter() - began)
        finally:
            close_old_connections()

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    close_old_connections()
    delivery = _delivery_counts()
    delivered = delivery.get("delivered", 0)
    ordered = sorted(latencies)
    return {
        "seconds": round(elapsed, 2),
        "concurrency": concurrency,
        "attachment_bytes": attachment_bytes,
        "sent": len(latencies),
        "delivered": delivered,
        "not_delivered": {k: v for k, v in delivery.items() if k != "delivered"},
        "errors": len(errors),
        "first_errors": errors[:3],
        "packages_per_second": round(delivered / elapsed, 2) if elapsed else 0.0,
        "latency_ms_p50": round(statistics.median(ordered) * 1000, 1) if ordered else None,
        "latency_ms_p95": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 1)
        if len(ordered) >= 20
        else None,
    }


def _delivery_counts() -> dict[str, int]:
    from django.db.models import Count

    from .models import OutgoingPackage

    return {
        row["delivery_status"]: row["n"]
        for row in OutgoingPackage.objects.values("delivery_status").annotate(n=Count("id"))
    }
