"""Security review #11, finding 11: checkpoints attested by a time-stamping authority (RFC 3161).

The checkpoints are signed with a key derived from SECRET_KEY, so whoever holds that key and the
database could cut the log's end and re-sign a checkpoint over the shorter chain, even dated in
the past. Each checkpoint now carries a timestamp token from a TSA outside the platform over its
signed body: a re-signed checkpoint no longer matches its token, and a fresh token on a back-dated
one gives it away. The TSA here is the real stand-in server (HTTP, on a free port), which can fail,
stall and lie like a remote one.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from egov.core.actors import SYSTEM
from egov.events import checkpoints
from egov.events.models import CheckpointTimestamp, Event, EventCheckpoint, OutboxMessage
from egov.events.services import (
    create_checkpoint,
    record_event,
    sync_checkpoint_file,
    timestamp_checkpoints,
    verify_event_log,
)
from egov.events.standins import StandInServer
from egov.signing import ca, services, timestamping
from egov.signing.checks import timestamp_authority_configured
from egov.signing.tsa_standin import TsaStandIn

from .conftest import tamper_sql

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_purge_mode(db):  # type: ignore[no-untyped-def]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL egov.events_purge = 'off'")


@pytest.fixture(scope="module")
def hierarchy() -> services.DemoHierarchy:
    return services.make_demo_hierarchy()


@pytest.fixture
def demo_tsa(hierarchy, agency):  # type: ignore[no-untyped-def]
    """The demo CA (root trusted) and its TSA, as `make_demo_ca` leaves them."""
    result = services.ensure_demo_ca(actor=SYSTEM, hierarchy=hierarchy)
    assert result.tsa is not None
    return result


@pytest.fixture
def tsa(demo_tsa, settings):  # type: ignore[no-untyped-def]
    """The stand-in TSA on a free port, with the demo TSA's certificate, and TSA_URL set."""
    with TsaStandIn(services.ca_material(demo_tsa.tsa), delay=3.0) as server:
        settings.TSA_URL = server.url
        settings.TSA_TIMEOUT_SECONDS = 10
        yield server


@pytest.fixture
def checkpoint_file(tmp_path, settings):  # type: ignore[no-untyped-def]
    path = tmp_path / "outside-the-database" / "event-checkpoints.jsonl"
    settings.EVENT_CHECKPOINT_FILE = str(path)
    return path


def run_verify() -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_events", stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, str(exc), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def checkpoint_now() -> EventCheckpoint:
    checkpoint = create_checkpoint()
    assert checkpoint is not None
    sync_checkpoint_file()  # on_commit does not run inside the test transaction
    return checkpoint


def file_lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def cut_the_end(chain: str) -> Event:
    """Delete the chain's last event and rewind its head onto the one before (database
    superuser, triggers off); return the event the chain now ends with."""
    last, before = Event.objects.filter(chain=chain).order_by("-seq")[:2]
    tamper_sql("DELETE FROM events_event WHERE id = %s", [last.pk])
    tamper_sql(
        "UPDATE events_chainhead SET seq = %s, hash = %s WHERE chain = %s",
        [before.seq, before.hash, chain],
    )
    return before


def erase_checkpoints_in_the_database() -> None:
    tamper_sql("DELETE FROM events_checkpointtimestamp")
    tamper_sql("DELETE FROM events_eventcheckpoint")
    tamper_sql("DELETE FROM events_checkpointedhead")


def resign_rewound(line: dict[str, object], before: Event) -> dict[str, object]:
    """The attacker's checkpoint line: the same checkpoint with the chain's head rewound onto the
    event before the cut, re-signed with SECRET_KEY (which the attacker holds)."""
    data = {k: v for k, v in line.items() if k not in ("key", "sig")}
    heads = dict(data["heads"])  # type: ignore[call-overload]
    heads[before.chain] = [before.seq, before.hash]
    data["heads"] = heads
    body = checkpoints.canonical(data)
    key, signature = checkpoints.sign(body)
    return json.loads(checkpoints.line_text(body, key, signature))


# -- the token ---------------------------------------------------------------------------------


def test_a_checkpoint_gets_a_token_over_its_signed_body(chains, checkpoint_file, tsa):
    checkpoint = checkpoint_now()
    report = timestamp_checkpoints()
    assert (report.stamped, report.pending, report.refused) == (1, 0, 0)

    stamp = CheckpointTimestamp.objects.get(checkpoint=checkpoint)
    check = timestamping.TokenVerifier().check(
        base64.b64decode(stamp.token), checkpoints.body_digest(checkpoint.body)
    )
    assert check.ok and check.tsa == ca.DEMO_TSA_NAME
    assert abs(stamp.gen_time - checkpoint.created_at) < timedelta(minutes=1)
    # The request carried a nonce and asked for the TSA's certificate.
    (request,) = tsa.requests
    assert request["nonce"].native is not None and request["cert_req"].native is True
    assert request["message_imprint"]["hashed_message"].native == checkpoints.body_digest(
        checkpoint.body
    )

    assert sync_checkpoint_file() == 1  # the token's own line, after the checkpoint's
    first, second = file_lines(checkpoint_file)
    assert first["sig"] == checkpoint.signature
    assert second["tst"] == stamp.token and second["of"] == json.loads(checkpoint.body)["at"]

    result = verify_event_log()
    assert result.ok and result.untimestamped_checkpoints == 0
    code, output, warnings = run_verify()
    assert code == 0 and "OK" in output and "dấu thời gian" not in warnings


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_openssl_accepts_the_token(chains, checkpoint_file, tsa, demo_tsa, tmp_path):
    """A second opinion from an independent implementation (`openssl ts -verify`)."""
    checkpoint = checkpoint_now()
    timestamp_checkpoints()
    stamp = CheckpointTimestamp.objects.get(checkpoint=checkpoint)
    token = tmp_path / "token.der"
    token.write_bytes(base64.b64decode(stamp.token))
    root = tmp_path / "root.pem"
    root.write_text(demo_tsa.root.certificate_pem)
    untrusted = tmp_path / "chain.pem"
    untrusted.write_text(demo_tsa.intermediate.certificate_pem + demo_tsa.tsa.certificate_pem)
    digest = checkpoints.body_digest(checkpoint.body).hex()

    def openssl_verify(hex_digest: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                *("openssl", "ts", "-verify", "-digest", hex_digest),
                *("-in", str(token), "-token_in"),
                *("-CAfile", str(root), "-untrusted", str(untrusted)),
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )

    done = openssl_verify(digest)
    assert done.returncode == 0 and "Verification: OK" in done.stdout, done.stderr
    assert openssl_verify("00" * 32).returncode != 0


def test_make_demo_ca_issues_a_tsa_certificate_for_time_stamping_only(demo_tsa):
    from cryptography import x509
    from cryptography.x509.oid import ExtendedKeyUsageOID

    cert = x509.load_pem_x509_certificate(demo_tsa.tsa.certificate_pem.encode())
    usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert usage.critical and list(usage.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    assert demo_tsa.tsa.parent == demo_tsa.intermediate
    assert services.demo_tsa() == demo_tsa.tsa
    # Idempotent: a second run keeps the TSA.
    assert services.ensure_demo_ca(actor=SYSTEM).tsa == demo_tsa.tsa


def test_without_tsa_url_the_demo_tsa_stamps_in_process(chains, checkpoint_file, demo_tsa):
    checkpoint_now()
    assert isinstance(timestamping.configured_timestamper(), timestamping.LocalTimestamper)
    assert timestamp_checkpoints().stamped == 1
    sync_checkpoint_file()
    assert verify_event_log().untimestamped_checkpoints == 0


def test_without_any_tsa_checkpoints_are_kept_and_reported_unstamped(chains, checkpoint_file):
    checkpoint_now()
    report = timestamp_checkpoints()
    assert not report.configured and report.pending == 1
    result = verify_event_log()
    assert result.ok and result.untimestamped_checkpoints == 2  # the database's and the file's
    code, _output, warnings = run_verify()
    assert code == 0 and "2 điểm chốt chưa có dấu thời gian" in warnings


# -- a TSA that fails, stalls or lies -------------------------------------------------------------


@pytest.mark.parametrize("mode", ["fail", "slow"])
def test_a_failing_or_silent_tsa_loses_no_checkpoint_and_the_next_run_stamps_it(
    chains, checkpoint_file, tsa, mode, caplog, settings
):
    tsa.mode = mode
    settings.TSA_TIMEOUT_SECONDS = 0.5  # the stand-in answers after 3 s in mode "slow"
    checkpoint = checkpoint_now()
    with caplog.at_level(logging.WARNING, logger="egov.events.checkpoints"):
        report = timestamp_checkpoints()
    assert (report.stamped, report.pending) == (0, 1)
    assert ("HTTP 500" if mode == "fail" else "Timeout") in report.error
    assert "no timestamp yet" in caplog.text
    # The checkpoint is kept, in the database and in the file, without a token.
    assert EventCheckpoint.objects.filter(pk=checkpoint.pk).exists()
    assert not CheckpointTimestamp.objects.exists()
    assert [line["sig"] for line in file_lines(checkpoint_file)] == [checkpoint.signature]
    result = verify_event_log()
    assert result.ok and result.untimestamped_checkpoints == 2
    code, _output, warnings = run_verify()
    assert code == 0 and "chưa có dấu thời gian" in warnings

    tsa.mode = "ok"
    assert timestamp_checkpoints().stamped == 1
    assert sync_checkpoint_file() == 1
    assert "tst" in file_lines(checkpoint_file)[-1]
    result = verify_event_log()
    assert result.ok and result.untimestamped_checkpoints == 0


@pytest.mark.parametrize(
    ("mode", "said"),
    [
        ("wrong-imprint", "nội dung khác"),
        ("wrong-nonce", "nonce"),
        ("untrusted", "không thuộc tổ chức chứng thực tin cậy"),
        ("bad-signature", "chữ ký của TSA"),
    ],
)
def test_a_lying_tsa_is_refused_and_nothing_is_stored(
    chains, checkpoint_file, tsa, mode, said, caplog
):
    tsa.mode = mode
    checkpoint_now()
    with caplog.at_level(logging.ERROR, logger="egov.events.checkpoints"):
        report = timestamp_checkpoints()
    assert (report.stamped, report.refused, report.pending) == (0, 1, 1)
    assert said in report.error and "timestamp refused" in caplog.text
    assert tsa.answers == [(mode, 200)]  # it did answer, with a token
    assert not CheckpointTimestamp.objects.exists()
    assert sync_checkpoint_file() == 0
    assert all("tst" not in line for line in file_lines(checkpoint_file))

    tsa.mode = "ok"  # retried on the next run
    assert timestamp_checkpoints().stamped == 1


def test_a_tsa_whose_clock_is_wrong_is_refused(chains, checkpoint_file, tsa):
    """A token dated a day after the checkpoint would read as back-dating: not stored."""
    tsa.mode = "wrong-time"
    checkpoint_now()
    report = timestamp_checkpoints()
    assert report.refused == 1 and "quá xa sau điểm chốt" in report.error
    assert not CheckpointTimestamp.objects.exists()


def test_checkpoints_too_old_to_stamp_are_left_and_later_ones_stamped(
    chains, agency, checkpoint_file, tsa, settings
):
    settings.EVENT_CHECKPOINT_TSA_TOLERANCE_SECONDS = 600
    create_checkpoint(now=timezone.now() - timedelta(hours=2))  # the TSA was down for hours
    with transaction.atomic():
        record_event(
            actor=SYSTEM, event_type="test.t", subject_type="x", subject_id=1, agency_id=agency.pk
        )
    create_checkpoint()
    report = timestamp_checkpoints()
    assert (report.stamped, report.expired, report.pending) == (1, 1, 0)
    sync_checkpoint_file()
    result = verify_event_log()
    assert result.ok and result.untimestamped_checkpoints == 2


# -- the attack ---------------------------------------------------------------------------------


def test_a_re_signed_checkpoint_no_longer_matches_its_token(chains, checkpoint_file, tsa):
    """The attacker holds the database, the file and SECRET_KEY: cuts the log's end, erases the
    database's checkpoints, and rewrites the file's checkpoint line over the rewound head with a
    valid Ed25519 signature. The TSA's token is over the original body: caught."""
    checkpoint_now()
    timestamp_checkpoints()
    sync_checkpoint_file()
    before = cut_the_end(chains["a"][0].chain)
    erase_checkpoints_in_the_database()
    line, stamp_line = file_lines(checkpoint_file)
    forged = resign_rewound(line, before)
    checkpoint_file.write_text(
        "\n".join(json.dumps(x) for x in (forged, stamp_line)) + "\n", encoding="utf-8"
    )
    assert checkpoints.parse_line("x", json.dumps(forged)).problem == ""  # the signature holds

    result = verify_event_log()
    assert not result.ok
    broken = result.first_break
    assert broken is not None and broken.code == "checkpoint_timestamp_mismatch"
    assert "điểm chốt đã bị sửa hoặc ký lại" in broken.message
    code, message, _ = run_verify()
    assert code == 1 and "checkpoint_timestamp_mismatch" in message


def test_a_removed_token_is_noticed_by_the_later_stamped_checkpoint(
    chains, other_agency, checkpoint_file, tsa
):
    """The attacker also drops the token's line; the next checkpoint, stamped after it, shows
    that the first one had its token removed."""
    checkpoint_now()
    timestamp_checkpoints()
    with transaction.atomic():
        record_event(
            actor=SYSTEM,
            event_type="test.t",
            subject_type="x",
            subject_id=1,
            agency_id=other_agency.pk,
        )
    checkpoint_now()
    timestamp_checkpoints()
    sync_checkpoint_file()
    before = cut_the_end(chains["a"][0].chain)
    erase_checkpoints_in_the_database()
    first, first_stamp, second, second_stamp = file_lines(checkpoint_file)
    assert "tst" in first_stamp and "tst" in second_stamp
    forged = resign_rewound(first, before)
    checkpoint_file.write_text(
        "\n".join(json.dumps(x) for x in (forged, second, second_stamp)) + "\n", encoding="utf-8"
    )

    broken = verify_event_log().first_break
    assert broken is not None and broken.code == "checkpoint_timestamp_missing"
    assert "dấu thời gian đã bị gỡ" in broken.message


def test_a_back_dated_checkpoint_with_a_fresh_token_is_caught(
    chains, checkpoint_file, tsa, settings
):
    """The attacker forges a checkpoint dated an hour ago over the rewound head, and gets it a
    genuine token now: the token's time gives the back-dating away."""
    settings.EVENT_CHECKPOINT_TSA_TOLERANCE_SECONDS = 600
    an_hour_ago = timezone.now() - timedelta(hours=1)
    create_checkpoint(now=an_hour_ago)  # too old for a credible token: stays without one
    sync_checkpoint_file()
    before = cut_the_end(chains["a"][0].chain)
    erase_checkpoints_in_the_database()
    (line,) = file_lines(checkpoint_file)
    forged = resign_rewound(line, before)
    body = checkpoints.canonical({k: v for k, v in forged.items() if k not in ("key", "sig")})
    token = timestamping.configured_timestamper().timestamp(checkpoints.body_digest(body))  # type: ignore[union-attr]
    stamp = checkpoints.stamp_line_text(timezone.now(), an_hour_ago, token.base64)
    checkpoint_file.write_text(json.dumps(forged) + "\n" + stamp + "\n", encoding="utf-8")

    broken = verify_event_log().first_break
    assert broken is not None and broken.code == "checkpoint_backdated"
    assert "ký lùi ngày" in broken.message


def test_verify_flags_a_lying_token_stored_in_the_database(chains, checkpoint_file, tsa):
    """A token by a TSA outside the trust list, over the right body, slipped into the database."""
    checkpoint = checkpoint_now()
    _nonce, request = timestamping.make_request(checkpoints.body_digest(checkpoint.body))
    response = tsa._untrusted_authority().respond(request)
    CheckpointTimestamp.objects.create(
        checkpoint=checkpoint,
        token=base64.b64encode(response["time_stamp_token"].dump()).decode(),
        gen_time=timezone.now(),
        tsa="?",
        created_at=timezone.now(),
    )
    broken = verify_event_log(checkpoint_file="").first_break
    assert broken is not None and broken.code == "checkpoint_timestamp_invalid"
    assert "không thuộc tổ chức chứng thực tin cậy" in broken.message


def test_verify_flags_a_token_with_an_altered_signature_in_the_file(chains, checkpoint_file, tsa):
    checkpoint_now()
    timestamp_checkpoints()
    sync_checkpoint_file()
    line, stamp_line = file_lines(checkpoint_file)
    der = bytearray(base64.b64decode(str(stamp_line["tst"])))
    der[-10] ^= 0x01  # inside the signature value, the token's last field
    stamp_line["tst"] = base64.b64encode(bytes(der)).decode()
    checkpoint_file.write_text(json.dumps(line) + "\n" + json.dumps(stamp_line) + "\n")
    broken = verify_event_log().first_break
    assert broken is not None and broken.code == "checkpoint_timestamp_invalid"
    assert "chữ ký của TSA" in broken.message


# -- storage and the rest --------------------------------------------------------------------------


def test_tokens_go_to_the_webhook_too(
    chains, checkpoint_file, tsa, settings, django_capture_on_commit_callbacks
):
    with StandInServer() as receiver:
        settings.EVENT_CHECKPOINT_WEBHOOK_URL = f"{receiver.url}/checkpoints"
        checkpoint_now()
        with django_capture_on_commit_callbacks(execute=True):
            timestamp_checkpoints()
        stamp = CheckpointTimestamp.objects.get()
        message = OutboxMessage.objects.get(
            idempotency_key=f"event-checkpoint-timestamp:{stamp.pk}"
        )
        message.refresh_from_db()
        assert message.status == OutboxMessage.Status.DELIVERED
        assert receiver.accepted[message.idempotency_key].body["tst"] == stamp.token


def test_the_database_refuses_to_change_or_remove_a_token(chains, checkpoint_file, tsa):
    checkpoint_now()
    timestamp_checkpoints()
    stamp = CheckpointTimestamp.objects.get()
    for sql in (
        "UPDATE events_checkpointtimestamp SET token = 'x'",
        "DELETE FROM events_checkpointtimestamp",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    with pytest.raises(PermissionError):
        stamp.save()
    with pytest.raises(PermissionError):
        CheckpointTimestamp.objects.all().delete()
    assert CheckpointTimestamp.objects.get().token == stamp.token


def test_checkpoint_command_stamps_and_reports(chains, checkpoint_file, tsa):
    out, err = io.StringIO(), io.StringIO()
    call_command("checkpoint_events", stdout=out, stderr=err)
    assert "Đóng dấu thời gian: 1 điểm chốt" in out.getvalue() and "Đã ghi 2 dòng" in out.getvalue()
    tsa.mode = "fail"
    with transaction.atomic():
        record_event(actor=SYSTEM, event_type="test.t", subject_type="x", subject_id=1)
    call_command("checkpoint_events", stdout=out, stderr=err)
    assert "HTTP 500" in err.getvalue()
    tsa.mode = "ok"
    out = io.StringIO()
    call_command("checkpoint_events", "--timestamp-only", stdout=out, stderr=err)
    assert "Đóng dấu thời gian: 1 điểm chốt; còn chờ 0" in out.getvalue()


def test_a_misconfigured_tsa_url_keeps_the_checkpoints_waiting(chains, settings):
    settings.TSA_URL = "ftp://tsa.example.vn"
    create_checkpoint()
    report = timestamp_checkpoints()
    assert report.pending == 1 and "http(s)" in report.error


def test_deploy_check_asks_for_a_tsa(settings):
    settings.TSA_URL = ""
    assert [w.id for w in timestamp_authority_configured()] == ["signing.W002"]
    settings.TSA_URL = "https://tsa.example.vn/tsa"
    assert timestamp_authority_configured() == []


def test_the_stand_in_serves_the_demo_tsa_certificate(tsa, demo_tsa):
    assert (
        tsa.authority.certificate.public_bytes(serialization.Encoding.PEM).decode()
        == demo_tsa.tsa.certificate_pem
    )
