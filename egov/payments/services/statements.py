"""Bank statement import: the collector's account statement (CSV, XLSX, CAMT.053) read into
lines, each credit matched to the VietQR attempt whose reference its description carries, and
the payment settled (services/settle.py) — the confirmation a bank transfer otherwise lacks.

- `import_statement`: by the agency's accountant (or an API client with payments:write for its
  agency). One transaction: the import, its new lines, every settlement and the
  `bank_statement.imported` event, or nothing. A file imported before (same SHA-256) is
  refused (`statement_duplicate`); a line imported before (the bank's reference, per agency) is
  skipped and counted, so overlapping statements can be imported one after the other.
- Matching: a credit whose description contains the reference of one of the agency's VietQR
  attempts — compared on letters and digits only, upper-cased, since bank apps change case, add
  or drop spaces and hyphens — and whose amount equals the attempt's settles it. The attempt may
  be open, or abandoned (its QR superseded or past its validity: the money still came). A line
  whose amount differs, whose payment was already paid, or that names no attempt stays
  unmatched, with a note saying why, for the accountant.
- `resolve_line`: the accountant matches an unmatched line by hand to an attempt (the same
  settle, the amount must be equal) or marks it ignored with a note (not a fee transfer);
  `bank_statement.line_resolved`.

Automatic matches settle as the importing accountant; an API client's import settles as the
system (the payment table lets officials and the system settle), the client being the actor of
the import's event.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from egov.core.actors import SYSTEM, Actor
from egov.core.errors import Conflict, DomainError, NotAllowed, NotFoundError
from egov.core.scoping import visible_to
from egov.core.text import collapse_spaces, strip_accents
from egov.events.services import record_event
from egov.org.models import Agency, Role

from .. import event_types as E
from .. import statement_files
from ..error_codes import PaymentErrorCode as Code
from ..models import (
    Attempt,
    AttemptStatus,
    Collector,
    LineStatus,
    PaymentStatus,
    StatementImport,
    StatementLine,
)
from ..statement_files import StatementInvalid
from .settle import settle

PROVIDER = "vietqr"
# Attempts a transfer may still settle (an abandoned one: the QR was superseded or expired,
# but the money may have been sent).
SETTLEABLE_ATTEMPTS = (AttemptStatus.OPEN, AttemptStatus.ABANDONED)
SETTLEABLE_PAYMENTS = (PaymentStatus.DUE, PaymentStatus.CANCELLED)
# Recent attempts already settled or whose payment is closed are looked for too, so that a
# second transfer for one payment is noted as such (a refund to consider), not as unknown.
RECENT_DAYS = 90
MAX_NOTE = 255
_NOT_ALNUM = re.compile(r"[^0-9A-Z]+")


class StatementDuplicate(Conflict):
    code = Code.STATEMENT_DUPLICATE


class MatchInvalid(DomainError):
    code = Code.MATCH_INVALID


def max_statement_bytes() -> int:
    return int(getattr(settings, "PAYMENT_STATEMENT_MAX_BYTES", 5 * 1024 * 1024))


def max_statement_lines() -> int:
    return int(getattr(settings, "PAYMENT_STATEMENT_MAX_LINES", 20_000))


def _vnd(amount: int) -> str:
    """1234567 → "1.234.567" (notes are stored text: the Vietnamese grouping, whatever the
    reader's language)."""
    return f"{amount:,}".replace(",", ".")


def squash(text: str) -> str:
    """Letters and digits only, upper case, no accents: how a reference is compared with a
    transfer's description ("tt hs-000.00.01 abc" → "TTHS0000001ABC")."""
    return _NOT_ALNUM.sub("", strip_accents(text or "").upper())


# --- who ------------------------------------------------------------------------------------------


def may_import(actor: Actor, agency_id: int) -> bool:
    """The agency's accountant; an API client of the agency with payments:write."""
    if agency_id not in actor.agency_ids:
        return False
    if actor.kind == "official":
        return actor.has_role(Role.ACCOUNTANT)
    if actor.kind == "api_client":
        return actor.has_scope("payments:write")
    return False


def may_resolve(actor: Actor, agency_id: int) -> bool:
    """Matching by hand is the accountant's judgement (a person, not a client)."""
    return (
        actor.kind == "official"
        and agency_id in actor.agency_ids
        and actor.has_role(Role.ACCOUNTANT)
    )


def _settling_actor(actor: Actor) -> Actor:
    return actor if actor.kind == "official" else SYSTEM


# --- the file -------------------------------------------------------------------------------------


def _read_upload(upload: Any) -> tuple[str, bytes]:
    limit = max_statement_bytes()
    name = str(getattr(upload, "name", "") or "sao-ke").replace("\\", "/").rsplit("/", 1)[-1]
    name = collapse_spaces(name)[:255] or "sao-ke"
    size = getattr(upload, "size", None)
    too_large = StatementInvalid(
        f"Tệp sao kê vượt quá dung lượng cho phép {limit // (1024 * 1024)} MB: hãy tách "
        "thành nhiều tệp."
    )
    if size is not None and size > limit:
        raise too_large
    if hasattr(upload, "seek"):
        upload.seek(0)
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise too_large
    if not content.strip():
        raise StatementInvalid("Tệp sao kê trống.")
    return name, content


# --- matching -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Candidate:
    attempt: Attempt
    key: str  # the squashed reference


class Matcher:
    """The agency's VietQR attempts, indexed so that a description is searched once per
    position rather than once per attempt (a month's statement against thousands of attempts).
    """

    def __init__(self, agency_id: int) -> None:
        since = timezone.now() - timedelta(days=RECENT_DAYS)
        attempts = (
            Attempt.objects.filter(provider=PROVIDER, payment__agency_id=agency_id)
            .filter(
                Q(status__in=SETTLEABLE_ATTEMPTS, payment__status__in=SETTLEABLE_PAYMENTS)
                | Q(created_at__gte=since)
            )
            .select_related("payment")
        )
        candidates = [_Candidate(a, squash(a.reference)) for a in attempts]
        candidates = [c for c in candidates if c.key]
        self.width = min((len(c.key) for c in candidates), default=0)
        self.index: dict[str, list[_Candidate]] = defaultdict(list)
        for c in candidates:
            self.index[c.key[: self.width]].append(c)

    def find(self, description: str) -> tuple[Attempt | None, str]:
        """The attempt whose reference the description carries, else None and why (empty when
        it names none at all)."""
        if not self.width:
            return None, ""
        text = squash(description)
        found: dict[int, _Candidate] = {}
        for i in range(len(text) - self.width + 1):
            for c in self.index.get(text[i : i + self.width], ()):
                if text.startswith(c.key, i):
                    found[c.attempt.pk] = c
        if not found:
            return None, ""
        longest = max(len(c.key) for c in found.values())
        best = [c for c in found.values() if len(c.key) == longest]
        if len(best) > 1:
            names = ", ".join(sorted(c.attempt.reference for c in best))
            return None, f"Nội dung khớp nhiều lần thanh toán ({names}): cần đối chiếu thủ công."
        return best[0].attempt, ""


def _why_not(attempt: Attempt, amount: int, settled: set[int]) -> str:
    """Why a line naming `attempt` cannot settle it ("" when it can)."""
    payment = attempt.payment
    if attempt.pk in settled or attempt.status == AttemptStatus.SUCCEEDED:
        return (
            f"Lần thanh toán {attempt.reference} đã được ghi nhận trước đó: khoản chuyển "
            "trùng, xem xét hoàn trả."
        )
    if attempt.status not in SETTLEABLE_ATTEMPTS or payment.status not in SETTLEABLE_PAYMENTS:
        return (
            f"Khoản thanh toán {payment.code} đang ở trạng thái "
            f"“{payment.get_status_display()}”: xem xét hoàn trả."
        )
    if amount != attempt.amount:
        return (
            f"Số tiền {_vnd(amount)} đồng khác số tiền phải nộp "
            f"{_vnd(attempt.amount)} đồng của lần thanh toán {attempt.reference}."
        )
    return ""


def _settle_line(actor: Actor, line: StatementLine, attempt: Attempt) -> str:
    """Settle `attempt` from `line`; "" when done, else why not (nothing changed then)."""
    try:
        settle(
            actor=_settling_actor(actor),
            attempt=attempt,
            amount=line.amount,
            provider_transaction=line.bank_reference,
            paid_at=line.booked_at,
            statement_line_id=line.pk,
            durable=False,
        )
    except IntegrityError:
        # The bank's reference already names another attempt's transaction (another
        # agency's account at the same bank): left to the accountant.
        return f"Số tham chiếu {line.bank_reference} đã gắn với một giao dịch khác."
    except DomainError as exc:
        return exc.message
    return ""


# --- import ---------------------------------------------------------------------------------------


def import_statement(*, actor: Actor, agency: Agency, upload: Any) -> StatementImport:
    """Read, store and match one statement file of `agency`'s collecting account."""
    if not may_import(actor, agency.pk):
        raise NotAllowed("Chỉ kế toán của cơ quan được nhập sao kê ngân hàng.")
    collector = Collector.objects.filter(agency=agency).first()
    if collector is None:
        raise DomainError(
            "Cơ quan chưa khai báo đơn vị thu phí, lệ phí và tài khoản nhận.",
            code=Code.COLLECTOR_NOT_CONFIGURED,
        )
    filename, content = _read_upload(upload)
    digest = hashlib.sha256(content).hexdigest()
    duplicate = StatementDuplicate(
        "Tệp sao kê này đã được nhập trước đó.", fields={"file": ["Tệp đã được nhập."]}
    )
    if StatementImport.objects.filter(agency=agency, sha256=digest).exists():
        raise duplicate
    statement_data = statement_files.read(content, max_lines=max_statement_lines())
    if (
        statement_data.account
        and collector.bank_account
        and squash(statement_data.account) != squash(collector.bank_account)
    ):
        raise StatementInvalid(
            f"Sao kê của tài khoản {statement_data.account}, không phải tài khoản nhận "
            f"{collector.bank_account} của cơ quan."
        )
    with transaction.atomic(durable=True):
        # One import of an agency at a time: the duplicate checks below then hold.
        Collector.objects.select_for_update().filter(pk=collector.pk).first()
        if StatementImport.objects.filter(agency=agency, sha256=digest).exists():
            raise duplicate
        statement = StatementImport.objects.create(
            agency=agency,
            uploaded_by_id=actor.user_id if actor.kind != "api_client" else None,
            uploaded_by_client_id=actor.api_client_id,
            filename=filename,
            file_format=statement_data.file_format,
            sha256=digest,
        )
        known = _known_references(agency.pk, (x.bank_reference for x in statement_data.lines))
        new: list[StatementLine] = []
        skipped = 0
        for parsed in statement_data.lines:
            if parsed.bank_reference in known:
                skipped += 1
                continue
            known.add(parsed.bank_reference)
            new.append(
                StatementLine(
                    statement=statement,
                    agency=agency,
                    booked_at=parsed.booked_at,
                    amount=parsed.amount,
                    description=parsed.description,
                    counterparty=parsed.counterparty,
                    bank_reference=parsed.bank_reference,
                    status=LineStatus.UNMATCHED,
                )
            )
        StatementLine.objects.bulk_create(new, batch_size=500)
        if any(line.pk is None for line in new):  # a backend that returns no ids
            ids = dict(
                StatementLine.objects.filter(statement=statement).values_list(
                    "bank_reference", "pk"
                )
            )
            for line in new:
                line.pk = ids[line.bank_reference]
        matched = _match_all(actor, agency.pk, new)
        statement.line_count = len(new)
        statement.matched_count = matched
        statement.save(update_fields=["line_count", "matched_count"])
        record_event(
            actor=actor,
            event_type=E.STATEMENT_IMPORTED,
            subject_type=E.STATEMENT,
            subject_id=statement.pk,
            agency_id=agency.pk,
            payload={
                "statement": statement.pk,
                "filename": filename,
                "file_format": statement.file_format,
                "sha256": digest,
                "lines": len(new),
                "matched": matched,
                "skipped": skipped,
            },
        )
    # Not stored (the import's event carries it): for the page's confirmation.
    statement.skipped = skipped  # type: ignore[attr-defined]
    return statement


def _known_references(agency_id: int, references: Iterable[str]) -> set[str]:
    wanted = list(dict.fromkeys(references))
    known: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        known.update(
            StatementLine.objects.filter(agency_id=agency_id, bank_reference__in=chunk).values_list(
                "bank_reference", flat=True
            )
        )
    return known


def _match_all(actor: Actor, agency_id: int, lines: list[StatementLine]) -> int:
    """Settle what the new lines pay; the others keep a note. Returns how many matched."""
    if not lines:
        return 0
    matcher = Matcher(agency_id)
    settled: set[int] = set()
    noted: list[StatementLine] = []
    matched: list[StatementLine] = []
    for line in lines:
        attempt, why = matcher.find(line.description)
        if attempt is not None:
            why = _why_not(attempt, line.amount, settled) or _settle_line(actor, line, attempt)
            if not why:
                settled.add(attempt.pk)
                line.status = LineStatus.MATCHED
                line.attempt = attempt
                matched.append(line)
                continue
        if why:
            line.note = why[:MAX_NOTE]
            noted.append(line)
    StatementLine.objects.bulk_update(matched, ["status", "attempt"], batch_size=500)
    StatementLine.objects.bulk_update(noted, ["note"], batch_size=500)
    return len(matched)


# --- by hand --------------------------------------------------------------------------------------


def _attempt_for(agency_id: int, reference: str) -> Attempt:
    """The agency's VietQR attempt named by `reference` (as typed: case, spaces and hyphens
    do not matter)."""
    wanted = reference.strip()
    attempts = Attempt.objects.filter(
        provider=PROVIDER, payment__agency_id=agency_id
    ).select_related("payment")
    found = attempts.filter(reference__iexact=wanted[:40]).first()
    key = squash(wanted)
    if found is None and key:
        # Typed without its separators: compared squashed among the attempts still pending
        # and the recent ones (as the automatic matching does).
        since = timezone.now() - timedelta(days=RECENT_DAYS)
        near = attempts.filter(
            Q(status__in=SETTLEABLE_ATTEMPTS, payment__status__in=SETTLEABLE_PAYMENTS)
            | Q(created_at__gte=since)
        )
        matches = [a for a in near.iterator() if squash(a.reference) == key]
        found = matches[0] if len(matches) == 1 else None
    if found is None:
        message = f"Không tìm thấy lần thanh toán VietQR “{wanted[:40]}” của cơ quan."
        raise MatchInvalid(message, fields={"attempt_reference": [message]})
    return found


def resolve_line(
    *, actor: Actor, line_id: int, attempt_reference: str | None, note: str = ""
) -> StatementLine:
    """Match an unmatched line by hand to an attempt (settling it), or — without a reference
    — mark it ignored with `note` (why it is not a fee transfer)."""
    line = (
        visible_to(actor, StatementLine.objects.all())
        .filter(pk=line_id)
        .only("pk", "agency_id")
        .first()
    )
    if line is None:
        raise NotFoundError("Không tìm thấy dòng sao kê.")
    if not may_resolve(actor, line.agency_id):
        raise NotAllowed("Chỉ kế toán của cơ quan được đối chiếu sao kê.")
    note = collapse_spaces(note or "")[:MAX_NOTE]
    reference = (attempt_reference or "").strip()
    if not reference and not note:
        message = "Ghi rõ vì sao bỏ qua dòng sao kê này."
        raise MatchInvalid(message, fields={"note": [message]})
    with transaction.atomic(durable=True):
        locked = StatementLine.objects.select_for_update().get(pk=line.pk)
        if locked.status != LineStatus.UNMATCHED:
            raise Conflict(
                "Dòng sao kê này đã được xử lý. Vui lòng tải lại trang.", code=Code.MATCH_INVALID
            )
        if reference:
            attempt = _attempt_for(locked.agency_id, reference)
            why = _why_not(attempt, locked.amount, set())
            if not why:
                why = _settle_line(actor, locked, attempt)
            if why:
                raise MatchInvalid(why, fields={"attempt_reference": [why]})
            locked.status = LineStatus.MATCHED
            locked.attempt = attempt
            locked.note = note
            StatementImport.objects.filter(pk=locked.statement_id).update(
                matched_count=F("matched_count") + 1
            )
        else:
            locked.status = LineStatus.IGNORED
            locked.note = note
        locked.save(update_fields=["status", "attempt", "note"])
        record_event(
            actor=actor,
            event_type=E.LINE_RESOLVED,
            subject_type=E.STATEMENT,
            subject_id=locked.statement_id,
            agency_id=locked.agency_id,
            payload={
                "statement": locked.statement_id,
                "line": locked.pk,
                "bank_reference": locked.bank_reference,
                "amount": locked.amount,
                "outcome": "matched" if reference else "ignored",
                "attempt": locked.attempt.reference if locked.attempt else "",
                "note": note,
            },
        )
    return locked
