"""The national payment platform: the INIT and QUERY calls (outbox deliverers, topics
`payment_init` and `payment_query`), the confirm callback, and the attempts left open.

The flow (protocol and MaXacThuc: egov/payments/national.py):
1. `providers.national.NationalPlatform.start` queues the INIT in the start action.
2. `deliver_init` POSTs it; a verified "00" with UrlThanhToan opens the attempt
   (`attempt_opened`); a definitive refusal fails it (`attempt_failed`); a network error, a
   timeout or the platform's "99" is retried by the outbox (same MaThamChieu).
3. The applicant pays on the platform's page; the platform POSTs the CONFIRM to our
   UrlThongBao (`handle_callback`) and sends the applicant back to UrlTraVe (the return page).
4. An attempt still open after PAYMENT_QUERY_AFTER_MINUTES is QUERYed (`poll_open_attempts`,
   every minute, through the outbox); its verified answer is applied as a callback would be.
   One still unpaid after PAYMENT_ATTEMPT_MINUTES, or whose QUERY gets no answer by then, is
   abandoned.

Callbacks: what the platform said is kept raw (payments.Callback: the body, a few headers, its
SHA-256, the sender's address) in the same transaction as what it changed, before anything
else is written; a callback that fails to be processed is still kept (verdict refused,
`callback_not_processed`) and answered "99" so the platform sends it again. Verified in this
order, each refusal changing nothing but the row and its `payment.callback_refused` event:
malformed → MaXacThuc → our partner code → a known MaThamChieu → SoTien equal to the
attempt's → not a duplicate → the outcome still possible. A refusal that names no known
attempt has no payment to record an event on: the row is the record (the reconciliation lists
it) and a warning is logged.

A success for an attempt that failed or was abandoned (the applicant paid on a page we
stopped waiting for) still settles the payment while it is due or cancelled: the money is
there (a cancelled payment is then refunded). A success for a payment another attempt already
paid is refused and flagged: the accountant refunds it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from egov.cases import TransitionRefused, perform
from egov.core.actors import SYSTEM
from egov.events.models import OutboxMessage
from egov.events.services import (
    DeliveryError,
    PermanentDeliveryError,
    enqueue,
    register_deliverer,
)

from .. import event_types as E
from .. import national
from ..cases import PAYMENT, lock_dossier_of
from ..error_codes import PaymentErrorCode as Code
from ..models import (
    Attempt,
    AttemptStatus,
    Callback,
    Payment,
    PaymentStatus,
    Verdict,
)
from ..national import Answer
from ..providers.national import INIT_TOPIC, platform_configured
from .settle import settle

logger = logging.getLogger("egov.payments.national")

PROVIDER = "national"
QUERY_TOPIC = "payment_query"
OPEN_STATES = (AttemptStatus.CREATED, AttemptStatus.OPEN)
# The request headers kept with a callback (the rest says nothing about the payment).
KEPT_HEADERS = (
    "content-type",
    "content-length",
    "user-agent",
    "x-forwarded-for",
    "x-real-ip",
    "x-request-id",
    "idempotency-key",
)
USER_AGENT = "egov-payments/1.0"
# How many open attempts one run of the periodic task QUERYs at most.
POLL_BATCH = 500


# --- configuration ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    url: str
    partner: str
    secret: str
    timeout: float


def config() -> Config:
    """The platform's address and our credentials (environment; see settings)."""
    if not platform_configured():
        raise DeliveryError("Chưa cấu hình Cổng thanh toán quốc gia (PAYMENT_PLATFORM_URL...).")
    return Config(
        url=str(settings.PAYMENT_PLATFORM_URL),
        partner=str(settings.PAYMENT_PARTNER_CODE),
        secret=str(settings.PAYMENT_PARTNER_SECRET),
        timeout=float(getattr(settings, "PAYMENT_PLATFORM_TIMEOUT_SECONDS", 10)),
    )


def public_url(path: str) -> str:
    return str(settings.PAYMENT_PUBLIC_URL).rstrip("/") + path


def return_url(reference: str) -> str:
    """UrlTraVe: where the platform sends the applicant back."""
    return public_url(reverse("payments:national_return", args=[reference]))


def notify_url() -> str:
    """UrlThongBao: where the platform POSTs the CONFIRM."""
    return public_url(reverse("payments:national_callback"))


def attempt_minutes() -> int:
    return int(getattr(settings, "PAYMENT_ATTEMPT_MINUTES", 15))


def expired(attempt: Attempt, now: datetime | None = None) -> bool:
    """Past the time an applicant has to pay on the platform's page."""
    now = now or timezone.now()
    return attempt.created_at + timedelta(minutes=attempt_minutes()) < now


# --- HTTP ------------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a POST is never re-sent elsewhere


_opener = urllib.request.build_opener(_NoRedirect)
MAX_REPLY = 64 * 1024


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    data: dict[str, Any] | None  # the JSON object, if the body is one


def post(url: str, message: dict[str, Any], *, idempotency_key: str, timeout: float) -> Reply:
    """POST a message as JSON and read the reply. Network errors, timeouts and 5xx without a
    protocol answer raise DeliveryError (the outbox sends again)."""
    if not url.lower().startswith(("http://", "https://")):
        raise PermanentDeliveryError(f"Địa chỉ Cổng thanh toán không hợp lệ: {url!r}")
    data = json.dumps(message, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url,
        data=data,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
            "Idempotency-Key": idempotency_key,
        },
    )
    try:
        with _opener.open(request, timeout=timeout) as response:
            status, body = int(response.status), response.read(MAX_REPLY)
    except urllib.error.HTTPError as exc:
        status, body = exc.code, (exc.read(MAX_REPLY) if exc.fp else b"")
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise DeliveryError(f"Không kết nối được Cổng thanh toán {url}: {exc}") from exc
    try:
        parsed: dict[str, Any] | None = national.decode(body)
    except national.Malformed:
        parsed = None
    if parsed is None and (status >= 500 or status in (408, 425, 429)):
        raise DeliveryError(f"HTTP {status} từ Cổng thanh toán {url}")
    return Reply(status, body, parsed)


# --- the attempt's kernel actions ------------------------------------------------------------


class _Unchanged(Exception):
    """Raised inside an action to leave it without a change (the attempt moved meanwhile)."""


def open_attempt(reference: str, redirect_url: str) -> bool:
    """The platform gave the payment page: the attempt is open (payment.attempt_opened). False
    when the attempt was no longer waiting for it."""
    attempt = Attempt.objects.select_related("payment").get(reference=reference)
    try:
        with perform(PAYMENT, "attempt_opened", actor=SYSTEM, case=attempt.payment.code) as act:
            locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
            if locked.status != AttemptStatus.CREATED:
                raise _Unchanged
            locked.status = AttemptStatus.OPEN
            locked.redirect_url = redirect_url
            locked.save(update_fields=["status", "redirect_url"])
            act.record(
                E.ATTEMPT_OPENED,
                attempt=reference,
                provider=locked.provider,
                redirect_url=redirect_url,
            )
    except _Unchanged:
        return False
    except TransitionRefused:  # paid or cancelled meanwhile: this page is not needed
        close_attempt(
            reference,
            status=AttemptStatus.ABANDONED,
            reason="Khoản thanh toán không còn chờ thanh toán.",
        )
        return False
    return True


def close_attempt(
    reference: str,
    *,
    status: str,
    reason: str,
    provider_code: str = "",
    provider_transaction: str = "",
    callback_id: int | None = None,
    durable: bool = True,
) -> bool:
    """An open attempt failed (the platform said so) or was abandoned (time ran out, no longer
    needed): payment.attempt_failed. False when it was not open any more."""
    attempt = Attempt.objects.select_related("payment").get(reference=reference)
    try:
        with perform(
            PAYMENT, "attempt_failed", actor=SYSTEM, case=attempt.payment.code, durable=durable
        ) as act:
            locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
            if locked.status not in OPEN_STATES:
                raise _Unchanged
            locked.status = status
            locked.failure = reason[:255]
            locked.finished_at = timezone.now()
            fields = ["status", "failure", "finished_at"]
            if provider_transaction:
                locked.provider_transaction = provider_transaction[:64]
                fields.append("provider_transaction")
            locked.save(update_fields=fields)
            act.record(
                E.ATTEMPT_FAILED,
                attempt=reference,
                provider=locked.provider,
                reason=reason[:255],
                provider_code=provider_code,
                callback=callback_id,
            )
    except _Unchanged:
        return False
    return True


# --- INIT ------------------------------------------------------------------------------------


def init_message(attempt: Attempt, cfg: Config) -> dict[str, Any]:
    """The INIT of an attempt; the same every time it is sent (ThoiGianGD is when the attempt
    was started), so a resent INIT is recognised by the platform."""
    payment = attempt.payment
    dossier = payment.dossier
    lines = [
        national.FeeLine(str(line.get("name", ""))[:255], int(line["total"]))
        for line in payment.lines
        if isinstance(line, dict) and int(line.get("total") or 0) > 0
    ]
    return national.init_request(
        partner=cfg.partner,
        secret=cfg.secret,
        reference=attempt.reference,
        amount=attempt.amount,
        at=attempt.created_at,
        return_url=return_url(attempt.reference),
        notify_url=notify_url(),
        dossier_code=dossier.code,
        procedure_code=dossier.procedure.code,
        procedure_name=dossier.procedure.name,
        payer=dossier.applicant_name,
        lines=lines,
    )


@register_deliverer(INIT_TOPIC)
def deliver_init(message: OutboxMessage) -> None:
    """Send an attempt's INIT and store what the platform answered."""
    reference = str(message.payload.get("attempt", ""))
    attempt = (
        Attempt.objects.select_related("payment__dossier__procedure")
        .filter(reference=reference, provider=PROVIDER)
        .first()
    )
    if attempt is None:
        raise PermanentDeliveryError(f"Không có lần thanh toán {reference!r}.")
    if attempt.status != AttemptStatus.CREATED:
        return  # opened by an earlier delivery, or closed meanwhile: nothing to ask
    if attempt.payment.status != PaymentStatus.DUE or expired(attempt):
        close_attempt(
            reference,
            status=AttemptStatus.ABANDONED,
            reason="Khoản thanh toán không còn chờ thanh toán."
            if attempt.payment.status != PaymentStatus.DUE
            else "Hết thời hạn khởi tạo thanh toán.",
        )
        return
    cfg = config()
    reply = post(
        cfg.url,
        init_message(attempt, cfg),
        idempotency_key=message.idempotency_key,
        timeout=cfg.timeout,
    )
    outcome = national.read_init_reply(
        reply.data, partner=cfg.partner, reference=reference, secret=cfg.secret
    )
    if outcome.retry:
        raise DeliveryError(f"INIT {reference}: {outcome.reason} (HTTP {reply.status})")
    if outcome.ok:
        open_attempt(reference, outcome.url)
        return
    logger.warning(
        "INIT %s refused by the platform: %s %s", reference, outcome.code, outcome.reason
    )
    close_attempt(
        reference,
        status=AttemptStatus.FAILED,
        reason=f"Cổng thanh toán không khởi tạo được giao dịch: {outcome.reason}",
        provider_code=outcome.code,
    )


# --- what the platform said: callbacks and QUERY replies -------------------------------------


@dataclass(frozen=True)
class Raw:
    """A message as received, kept as evidence."""

    body: bytes
    headers: dict[str, str]
    remote_addr: str

    @property
    def text(self) -> str:
        # Byte for byte where it is UTF-8; other bytes (and NUL, which PostgreSQL text cannot
        # hold) escaped. The SHA-256 is over the bytes received.
        return self.body.decode("utf-8", "backslashreplace").replace("\x00", "\\x00")

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


@dataclass(frozen=True)
class Judgement:
    verdict: str
    answer: dict[str, str]
    action: str = ""  # "settle", "fail" or "" (nothing changes)
    reason_code: str = ""
    reason: str = ""


def _kept_headers(headers: Mapping[str, Any]) -> dict[str, str]:
    kept = {}
    for name, value in headers.items():
        key = str(name).lower().replace("_", "-")
        if key.startswith("http-"):
            key = key[5:]
        if key in KEPT_HEADERS:
            kept[key] = str(value)[:255]
    return kept


def _store(raw: Raw, attempt: Attempt | None, judgement: Judgement) -> Callback:
    return Callback.objects.create(
        provider=PROVIDER,
        remote_addr=raw.remote_addr[:45],
        headers=raw.headers,
        body=raw.text,
        sha256=raw.sha256,
        attempt=attempt,
        verdict=judgement.verdict,
        reason_code=judgement.reason_code,
        reason=judgement.reason[:255],
        answer=judgement.answer,
    )


def _refusal(code: str, reason: str, answer: str) -> Judgement:
    return Judgement(Verdict.REFUSED, national.answer(answer), reason_code=str(code), reason=reason)


def _record_refusal(
    callback: Callback, payment: Payment, attempt: Attempt, judgement: Judgement, claimed: Any
) -> None:
    with perform(PAYMENT, "refuse_callback", actor=SYSTEM, case=payment.code, durable=False) as act:
        act.record(
            E.CALLBACK_REFUSED,
            provider=PROVIDER,
            callback=callback.pk,
            reason_code=judgement.reason_code,
            reason=judgement.reason[:255],
            attempt=attempt.reference,
            claimed_amount=claimed if isinstance(claimed, int) else None,
        )
    logger.warning(
        "callback %s for %s refused: %s (%s)",
        callback.pk,
        attempt.reference,
        judgement.reason_code,
        judgement.reason,
    )


def _refuse(
    raw: Raw, attempt: Attempt | None, judgement: Judgement, claimed: Any = None
) -> Callback:
    """Keep a refused message; on its payment's log when it names a known attempt."""
    with transaction.atomic():
        callback = _store(raw, attempt, judgement)
        if attempt is not None:
            payment = Payment.objects.get(pk=attempt.payment_id)
            _record_refusal(callback, payment, attempt, judgement, claimed)
        else:
            logger.warning(
                "callback %s from %s refused, no known attempt: %s (%s)",
                callback.pk,
                raw.remote_addr,
                judgement.reason_code,
                judgement.reason,
            )
    return callback


def _last_answer(attempt: Attempt) -> dict[str, str]:
    """What we answered when this attempt's outcome was recorded (a duplicate gets it again)."""
    first = (
        Callback.objects.filter(attempt=attempt, verdict=Verdict.ACCEPTED)
        .order_by("-pk")
        .values_list("answer", flat=True)
        .first()
    )
    return dict(first) if first else national.answer(Answer.OK)


def judge(payment: Payment, attempt: Attempt, confirm: national.Confirm) -> Judgement:
    """What a verified message about this attempt means (the rows are locked). Pure reading."""
    if confirm.amount is not None and confirm.amount != attempt.amount:
        return _refusal(
            Code.CALLBACK_AMOUNT_MISMATCH,
            f"Số tiền thông báo {confirm.amount} đồng khác số tiền của lần thanh toán "
            f"{attempt.amount} đồng.",
            Answer.AMOUNT_MISMATCH,
        )
    transaction_id = confirm.transaction[:64]
    same_outcome = (confirm.paid and attempt.status == AttemptStatus.SUCCEEDED) or (
        not confirm.paid and attempt.status == AttemptStatus.FAILED
    )
    if same_outcome and attempt.provider_transaction == transaction_id:
        return Judgement(Verdict.DUPLICATE, _last_answer(attempt))
    if (
        transaction_id
        and Attempt.objects.filter(provider=PROVIDER, provider_transaction=transaction_id)
        .exclude(pk=attempt.pk)
        .exists()
    ):
        return _refusal(
            Code.CALLBACK_ATTEMPT_CLOSED,
            f"Mã giao dịch {transaction_id} đã được ghi nhận cho lần thanh toán khác.",
            Answer.CLOSED,
        )
    if confirm.paid:
        if attempt.status == AttemptStatus.SUCCEEDED:
            return _refusal(
                Code.CALLBACK_ATTEMPT_CLOSED,
                f"Lần thanh toán đã thành công với mã giao dịch {attempt.provider_transaction}.",
                Answer.CLOSED,
            )
        if payment.status in (PaymentStatus.DUE, PaymentStatus.CANCELLED):
            return Judgement(Verdict.ACCEPTED, national.answer(Answer.OK), action="settle")
        return _refusal(
            Code.CALLBACK_ATTEMPT_CLOSED,
            "Khoản thanh toán đã được nộp qua lần thanh toán khác: người nộp đã trả hai lần, "
            "cần hoàn trả.",
            Answer.CLOSED,
        )
    if attempt.status in OPEN_STATES:
        return Judgement(Verdict.ACCEPTED, national.answer(Answer.OK), action="fail")
    return _refusal(
        Code.CALLBACK_ATTEMPT_CLOSED,
        f"Lần thanh toán đã kết thúc ({attempt.get_status_display()}); thông báo "
        f"“{confirm.reason}” đến sau.",
        Answer.CLOSED,
    )


def _apply(raw: Raw, attempt: Attempt, confirm: national.Confirm) -> Judgement:
    """Judge a verified message and do what it says, with its raw record, in one transaction:
    the record first, then the change (settle / attempt_failed) or the refusal's event."""
    with transaction.atomic():
        lock_dossier_of(pk=attempt.payment_id)  # the dossier before the payment (cases.py)
        payment = Payment.objects.select_for_update().get(pk=attempt.payment_id)
        locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
        judgement = judge(payment, locked, confirm)
        callback = _store(raw, locked, judgement)
        if judgement.verdict == Verdict.REFUSED:
            _record_refusal(callback, payment, locked, judgement, confirm.amount)
        elif judgement.action == "settle":
            assert confirm.amount is not None  # read_confirm requires it on a payment
            settle(
                actor=SYSTEM,
                attempt=locked,
                amount=confirm.amount,
                provider_transaction=confirm.transaction,
                paid_at=confirm.at,
                callback_id=callback.pk,
                durable=False,
            )
        elif judgement.action == "fail":
            close_attempt(
                locked.reference,
                status=AttemptStatus.FAILED,
                reason=confirm.reason,
                provider_code=confirm.code,
                provider_transaction=confirm.transaction,
                callback_id=callback.pk,
                durable=False,
            )
    return judgement


def _named_attempt(data: Any) -> Attempt | None:
    """The attempt a message names, whatever else is wrong with it."""
    reference = data.get("MaThamChieu") if isinstance(data, dict) else None
    if not isinstance(reference, str) or not reference or len(reference) > 40:
        return None
    return Attempt.objects.filter(reference=reference, provider=PROVIDER).first()


def handle_callback(body: bytes, headers: Mapping[str, Any], remote_addr: str) -> tuple[int, dict]:
    """The platform's CONFIRM, POSTed to UrlThongBao: (HTTP status, the JSON answer)."""
    raw = Raw(bytes(body), _kept_headers(headers), str(remote_addr or ""))
    try:
        return 200, _handle(raw)
    except Exception:
        logger.exception("callback from %s could not be processed", raw.remote_addr)
        try:
            _refuse(
                raw,
                None,
                _refusal(
                    Code.CALLBACK_NOT_PROCESSED,
                    "Lỗi khi xử lý thông báo; Cổng thanh toán sẽ gửi lại.",
                    Answer.NOT_PROCESSED,
                ),
            )
        except Exception:
            logger.exception("callback from %s could not even be kept", raw.remote_addr)
        return 503, national.answer(Answer.NOT_PROCESSED)


def _handle(raw: Raw) -> dict[str, str]:
    secret = str(settings.PAYMENT_PARTNER_SECRET)
    data: Any = None
    try:
        data = national.decode(raw.body)
        confirm = national.read_confirm(data)
    except national.Malformed as exc:
        judgement = _refusal(Code.CALLBACK_MALFORMED, str(exc), Answer.MALFORMED)
        _refuse(raw, _named_attempt(data), judgement)
        return judgement.answer
    attempt = _named_attempt(data)
    if not secret or not confirm.verifies(secret):
        judgement = _refusal(
            Code.CALLBACK_BAD_SIGNATURE, "MaXacThuc không đúng.", Answer.BAD_SIGNATURE
        )
        _refuse(raw, attempt, judgement, confirm.amount)
        return judgement.answer
    if confirm.partner != str(settings.PAYMENT_PARTNER_CODE):
        judgement = _refusal(
            Code.CALLBACK_MALFORMED,
            f"MaDoiTac “{confirm.partner}” không phải mã đối tác của cơ quan.",
            Answer.MALFORMED,
        )
        _refuse(raw, attempt, judgement, confirm.amount)
        return judgement.answer
    if attempt is None:
        judgement = _refusal(
            Code.CALLBACK_UNKNOWN_REFERENCE,
            f"Không có lần thanh toán với mã tham chiếu “{confirm.reference}”.",
            Answer.UNKNOWN_REFERENCE,
        )
        _refuse(raw, None, judgement, confirm.amount)
        return judgement.answer
    return _apply(raw, attempt, confirm).answer


# --- QUERY -----------------------------------------------------------------------------------


def query_after() -> timedelta:
    return timedelta(minutes=float(getattr(settings, "PAYMENT_QUERY_AFTER_MINUTES", 2)))


def queue_query(attempt: Attempt, *, key: str, not_before: datetime | None = None) -> None:
    with transaction.atomic():
        enqueue(
            QUERY_TOPIC,
            {"attempt": attempt.reference},
            idempotency_key=f"payment-query-{attempt.reference}-{key}",
            not_before=not_before,
            max_attempts=3,
        )


def query_soon(attempt: Attempt) -> None:
    """The applicant is back from the platform: if no callback came within
    PAYMENT_RETURN_QUERY_SECONDS, ask (once per attempt)."""
    if attempt.provider != PROVIDER or attempt.status not in OPEN_STATES:
        return
    delay = float(getattr(settings, "PAYMENT_RETURN_QUERY_SECONDS", 20))
    queue_query(attempt, key="return", not_before=timezone.now() + timedelta(seconds=delay))


@dataclass
class PollReport:
    queried: int = 0
    abandoned: int = 0


def poll_open_attempts(*, now: datetime | None = None) -> PollReport:
    """Every minute (tasks.py): QUERY the attempts still open after PAYMENT_QUERY_AFTER_MINUTES
    (at most once per that period each), and abandon those whose time ran out long ago without
    any answer (the platform unreachable all along)."""
    now = now or timezone.now()
    report = PollReport()
    period = query_after()
    bucket = str(int(now.timestamp() // max(period.total_seconds(), 60)))
    waiting = Attempt.objects.filter(
        provider=PROVIDER, status__in=OPEN_STATES, created_at__lte=now - period
    ).order_by("created_at")[:POLL_BATCH]
    hopeless = now - 2 * timedelta(minutes=attempt_minutes()) - period
    for attempt in waiting:
        if attempt.created_at < hopeless:
            if close_attempt(
                attempt.reference,
                status=AttemptStatus.ABANDONED,
                reason="Hết thời hạn thanh toán, không nhận được kết quả từ Cổng thanh toán.",
            ):
                report.abandoned += 1
            continue
        queue_query(attempt, key=bucket)
        report.queried += 1
    return report


def _abandon_if_expired(attempt: Attempt, why: str) -> bool:
    if not expired(attempt):
        return False
    close_attempt(
        attempt.reference,
        status=AttemptStatus.ABANDONED,
        reason=f"Hết thời hạn thanh toán ({why}).",
    )
    return True


@register_deliverer(QUERY_TOPIC)
def deliver_query(message: OutboxMessage) -> None:
    """Ask the platform about an open attempt and apply its verified answer."""
    reference = str(message.payload.get("attempt", ""))
    attempt = (
        Attempt.objects.select_related("payment")
        .filter(reference=reference, provider=PROVIDER)
        .first()
    )
    if attempt is None:
        raise PermanentDeliveryError(f"Không có lần thanh toán {reference!r}.")
    if attempt.status not in OPEN_STATES:
        return  # the callback came first
    cfg = config()
    request = national.query_request(
        partner=cfg.partner, secret=cfg.secret, reference=reference, at=timezone.now()
    )
    try:
        reply = post(cfg.url, request, idempotency_key=message.idempotency_key, timeout=cfg.timeout)
    except PermanentDeliveryError:
        raise
    except DeliveryError:
        if _abandon_if_expired(attempt, "Cổng thanh toán không trả lời"):
            return
        raise
    data = reply.data or {}
    code = data.get("MaLoi")
    if code in (national.Code.PENDING, national.Code.UNKNOWN_REFERENCE) and data.get(
        "MaThamChieu"
    ) in (reference, None):
        # Not paid (yet), or the INIT never reached the platform: nothing to record.
        _abandon_if_expired(attempt, national.PLATFORM_MESSAGES[code].lower())
        return
    try:
        confirm = national.read_confirm(data, kind=national.QUERY)
        usable = (
            confirm.verifies(cfg.secret)
            and confirm.reference == reference
            and confirm.partner == cfg.partner
        )
    except national.Malformed:
        usable = False
    if not usable:
        logger.error("QUERY %s: an answer that does not verify (HTTP %s)", reference, reply.status)
        if _abandon_if_expired(attempt, "trả lời không xác thực được"):
            return
        raise DeliveryError(f"QUERY {reference}: trả lời không xác thực được")
    # Kept like a callback; the "sender" is the platform we asked.
    raw = Raw(
        reply.body,
        {"x-egov-query": message.idempotency_key[:200]},
        urlsplit(cfg.url).hostname or "",
    )
    _apply(raw, attempt, confirm)
