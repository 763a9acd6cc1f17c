"""The daily reconciliation of one agency (đối soát): per provider, what was expected, what was
confirmed, what the provider's own evidence backs, what went back, and the differences; the
bank statement lines nobody matched and the provider callbacks refused that day.

A day runs from 00:00 to 24:00 in Asia/Ho_Chi_Minh, whatever the server's zone.

Per provider:
- started: attempts begun that day (count, amount), of which still waiting (created/open) and
  failed or abandoned (no money expected from those);
- confirmed: payments that became paid with money dated that day (Payment.paid_at: the moment
  the provider, the bank line or the desk gives), whatever brought the confirmation;
- matched: confirmed payments the provider's evidence backs — a bank statement line matched to
  the attempt (VietQR), an accepted callback whose MaXacThuc verified (national platform; the
  callback is refused otherwise). Cash has no outside evidence: not matched, not counted as a
  difference;
- refunds: refunds paid out that day on payments made through the provider;
- difference: confirmed but not matched (to look at), and the net (confirmed less refunds).

Besides: payments opened that day (the fees asked, before anyone chose a provider), the unmatched
statement lines booked that day (StatementLine.status unmatched) and the callbacks refused that
day (Callback.verdict refused, amount mismatches first), with what they claimed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Exists, OuterRef, Sum

from egov.events.models import Event
from egov.org.models import Agency

from . import event_types as E
from .error_codes import PaymentErrorCode as Code
from .figures import is_online, provider_label
from .models import (
    Attempt,
    AttemptStatus,
    Callback,
    LineStatus,
    Payment,
    Receipt,
    Refund,
    RefundStatus,
    StatementLine,
    Verdict,
)

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
# Rows listed per table (the totals always count everything).
MAX_ROWS = 2000
WAITING = (AttemptStatus.CREATED, AttemptStatus.OPEN)
NOT_EXPECTED = (AttemptStatus.FAILED, AttemptStatus.ABANDONED)
# Providers whose money has no outside evidence to match.
UNMATCHABLE = frozenset({"cash"})


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[00:00, 24:00) of `day` in Vietnam's time, as aware moments."""
    start = datetime.combine(day, time.min, tzinfo=VIETNAM)
    return start, start + timedelta(days=1)


@dataclass
class Money:
    count: int = 0
    amount: int = 0

    def add(self, count: int, amount: int | None) -> None:
        self.count += count
        self.amount += int(amount or 0)

    def as_dict(self) -> dict[str, int]:
        return {"count": self.count, "amount": self.amount}


@dataclass
class ProviderLine:
    provider: str
    label: str
    online: bool
    started: Money = field(default_factory=Money)
    waiting: Money = field(default_factory=Money)
    not_expected: Money = field(default_factory=Money)
    confirmed: Money = field(default_factory=Money)
    matched: Money | None = field(default_factory=Money)
    refunds: Money = field(default_factory=Money)

    @property
    def unmatched(self) -> Money:
        """Confirmed without the provider's evidence (nothing for cash)."""
        if self.matched is None:
            return Money()
        return Money(
            self.confirmed.count - self.matched.count, self.confirmed.amount - self.matched.amount
        )

    @property
    def net_amount(self) -> int:
        return self.confirmed.amount - self.refunds.amount

    def as_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "provider_label": self.label,
            "online": self.online,
            "started": self.started.as_dict(),
            "waiting": self.waiting.as_dict(),
            "not_expected": self.not_expected.as_dict(),
            "confirmed": self.confirmed.as_dict(),
            "matched": None if self.matched is None else self.matched.as_dict(),
            "unmatched": self.unmatched.as_dict(),
            "refunds": self.refunds.as_dict(),
            "net_amount": self.net_amount,
        }


@dataclass(frozen=True)
class ConfirmedPayment:
    code: str
    dossier: str
    provider: str
    amount: int
    paid_at: datetime
    attempt: str
    provider_transaction: str
    evidence: str  # "callback", "statement", "desk", "" (none)
    matched: bool | None  # None: nothing to match (cash)
    receipt: str


@dataclass(frozen=True)
class UnmatchedLine:
    id: int
    booked_at: datetime
    amount: int
    description: str
    counterparty: str
    bank_reference: str
    statement: str


@dataclass(frozen=True)
class RefusedCallback:
    id: int
    received_at: datetime
    provider: str
    reason_code: str
    reason: str
    attempt: str
    payment: str
    expected_amount: int | None
    claimed_amount: int | None

    @property
    def amount_mismatch(self) -> bool:
        return self.reason_code == Code.CALLBACK_AMOUNT_MISMATCH


@dataclass(frozen=True)
class PaidRefund:
    id: int
    payment: str
    dossier: str
    provider: str
    amount: int
    paid_at: datetime
    reference: str


@dataclass
class Report:
    agency: Agency
    day: date
    provider: str | None
    opened: Money
    providers: list[ProviderLine]
    confirmed: list[ConfirmedPayment]
    unmatched_lines: list[UnmatchedLine]
    unmatched_lines_total: Money
    refused_callbacks: list[RefusedCallback]
    refunds: list[PaidRefund]
    truncated: bool = False

    @property
    def totals(self) -> ProviderLine:
        whole = ProviderLine("", "Tổng cộng", False)
        whole.matched = Money()
        for line in self.providers:
            for name in ("started", "waiting", "not_expected", "confirmed", "refunds"):
                part: Money = getattr(line, name)
                getattr(whole, name).add(part.count, part.amount)
            if line.matched is not None:
                whole.matched.add(line.matched.count, line.matched.amount)
            else:  # cash: confirmed is what the desk holds, nothing to match
                whole.matched.add(line.confirmed.count, line.confirmed.amount)
        return whole

    @property
    def amount_mismatches(self) -> list[RefusedCallback]:
        return [c for c in self.refused_callbacks if c.amount_mismatch]

    @property
    def has_differences(self) -> bool:
        return bool(
            self.unmatched_lines_total.count
            or self.refused_callbacks
            or any(line.unmatched.count for line in self.providers)
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "agency": self.agency.identifier,
            "agency_name": self.agency.name,
            "day": self.day.isoformat(),
            "provider": self.provider,
            "opened": self.opened.as_dict(),
            "providers": [p.as_dict() for p in self.providers],
            "totals": self.totals.as_dict(),
            "has_differences": self.has_differences,
            "confirmed": [_plain(c.__dict__) for c in self.confirmed],
            "unmatched_lines": [_plain(u.__dict__) for u in self.unmatched_lines],
            "unmatched_lines_total": self.unmatched_lines_total.as_dict(),
            "refused_callbacks": [
                {**_plain(c.__dict__), "amount_mismatch": c.amount_mismatch}
                for c in self.refused_callbacks
            ],
            "refunds": [_plain(r.__dict__) for r in self.refunds],
            "truncated": self.truncated,
        }


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in values.items()}


def _line(lines: dict[str, ProviderLine], code: str) -> ProviderLine:
    if code not in lines:
        lines[code] = ProviderLine(
            code,
            provider_label(code),
            is_online(code),
            matched=None if code in UNMATCHABLE else Money(),
        )
    return lines[code]


def daily(*, agency: Agency, day: date, provider: str | None = None) -> Report:
    """The agency's reconciliation for `day` (optionally one provider only). Scoping is the
    caller's: pages and the API let only the agency's accountants and leaders, operators and
    API clients with payments:read of the agency ask."""
    lo, hi = day_bounds(day)
    lines: dict[str, ProviderLine] = {}

    def only(qs: Any, name: str) -> Any:
        return qs.filter(**{name: provider}) if provider else qs

    opened = Money()
    row = Payment.objects.filter(agency=agency, created_at__gte=lo, created_at__lt=hi).aggregate(
        n=Count("pk"), amount=Sum("amount")
    )
    opened.add(row["n"], row["amount"])

    started = only(
        Attempt.objects.filter(payment__agency=agency, created_at__gte=lo, created_at__lt=hi),
        "provider",
    )
    for r in started.values("provider", "status").annotate(n=Count("pk"), s=Sum("amount")):
        line = _line(lines, r["provider"])
        line.started.add(r["n"], r["s"])
        if r["status"] in WAITING:
            line.waiting.add(r["n"], r["s"])
        elif r["status"] in NOT_EXPECTED:
            line.not_expected.add(r["n"], r["s"])

    accepted = Callback.objects.filter(
        attempt=OuterRef("settled_attempt"), verdict=Verdict.ACCEPTED
    )
    on_statement = StatementLine.objects.filter(
        attempt=OuterRef("settled_attempt"), status=LineStatus.MATCHED
    )
    paid = (
        only(
            Payment.objects.filter(agency=agency, paid_at__gte=lo, paid_at__lt=hi),
            "paid_provider",
        )
        .select_related("settled_attempt", "dossier")
        .annotate(by_callback=Exists(accepted), by_statement=Exists(on_statement))
    )
    for r in (
        paid.values("paid_provider", "by_callback", "by_statement")
        .annotate(n=Count("pk"), s=Sum("amount"))
        .order_by()
    ):
        line = _line(lines, r["paid_provider"])
        line.confirmed.add(r["n"], r["s"])
        if line.matched is not None and (r["by_callback"] or r["by_statement"]):
            line.matched.add(r["n"], r["s"])
    receipts = dict(
        Receipt.objects.filter(payment__in=paid.values("pk")).values_list("payment_id", "pk")
    )
    receipt_names = {
        r.pk: str(r) for r in Receipt.objects.filter(pk__in=list(receipts.values())[:MAX_ROWS])
    }
    confirmed = []
    for p in paid.order_by("paid_at", "pk")[:MAX_ROWS]:
        attempt = p.settled_attempt
        code = p.paid_provider
        evidence = (
            "statement"
            if p.by_statement
            else "callback"
            if p.by_callback
            else "desk"
            if code in UNMATCHABLE
            else ""
        )
        confirmed.append(
            ConfirmedPayment(
                code=p.code,
                dossier=p.dossier.code,
                provider=code,
                amount=p.amount,
                paid_at=p.paid_at,
                attempt=attempt.reference if attempt else "",
                provider_transaction=attempt.provider_transaction if attempt else "",
                evidence=evidence,
                matched=None if code in UNMATCHABLE else evidence in ("statement", "callback"),
                receipt=receipt_names.get(receipts.get(p.pk, 0), ""),
            )
        )

    refunds_qs = only(
        Refund.objects.filter(
            payment__agency=agency, status=RefundStatus.PAID, paid_at__gte=lo, paid_at__lt=hi
        ),
        "payment__paid_provider",
    ).select_related("payment__dossier")
    refunds = []
    for refund in refunds_qs.order_by("paid_at", "pk")[:MAX_ROWS]:
        code = refund.payment.paid_provider
        _line(lines, code).refunds.add(1, refund.amount)
        refunds.append(
            PaidRefund(
                id=refund.pk,
                payment=refund.payment.code,
                dossier=refund.payment.dossier.code,
                provider=code,
                amount=refund.amount,
                paid_at=refund.paid_at,
                reference=refund.payout_reference,
            )
        )

    # Bank lines are the VietQR account's: none when another provider is asked about.
    statement_lines = StatementLine.objects.filter(
        agency=agency, status=LineStatus.UNMATCHED, booked_at__gte=lo, booked_at__lt=hi
    )
    if provider and provider != "vietqr":
        statement_lines = statement_lines.none()
    row = statement_lines.aggregate(n=Count("pk"), s=Sum("amount"))
    unmatched_total = Money()
    unmatched_total.add(row["n"], row["s"])
    unmatched = [
        UnmatchedLine(
            id=line.pk,
            booked_at=line.booked_at,
            amount=line.amount,
            description=line.description,
            counterparty=line.counterparty,
            bank_reference=line.bank_reference,
            statement=line.statement.filename,
        )
        for line in statement_lines.select_related("statement").order_by("booked_at", "pk")[
            :MAX_ROWS
        ]
    ]

    refused_qs = only(
        Callback.objects.filter(
            attempt__payment__agency=agency,
            verdict=Verdict.REFUSED,
            received_at__gte=lo,
            received_at__lt=hi,
        ),
        "provider",
    ).select_related("attempt__payment")
    refused_rows = list(refused_qs.order_by("received_at", "pk")[:MAX_ROWS])
    claimed = _claimed_amounts([c.pk for c in refused_rows], lo, hi)
    refused = [
        RefusedCallback(
            id=c.pk,
            received_at=c.received_at,
            provider=c.provider,
            reason_code=c.reason_code,
            reason=c.reason,
            attempt=c.attempt.reference if c.attempt else "",
            payment=c.attempt.payment.code if c.attempt else "",
            expected_amount=c.attempt.amount if c.attempt else None,
            claimed_amount=claimed.get(c.pk),
        )
        for c in refused_rows
    ]
    # Amount mismatches first: money may have moved that nobody will confirm.
    refused.sort(key=lambda c: (not c.amount_mismatch, c.received_at, c.id))

    if provider:
        _line(lines, provider)
    order = {"national": 0, "vietqr": 1, "cash": 2}
    ordered = sorted(lines.values(), key=lambda x: (order.get(x.provider, 9), x.provider))
    truncated = any(len(rows) >= MAX_ROWS for rows in (confirmed, refunds, unmatched, refused_rows))
    return Report(
        agency=agency,
        day=day,
        provider=provider or None,
        opened=opened,
        providers=ordered,
        confirmed=confirmed,
        unmatched_lines=unmatched,
        unmatched_lines_total=unmatched_total,
        refused_callbacks=refused,
        refunds=refunds,
        truncated=truncated,
    )


def _claimed_amounts(callback_ids: list[int], lo: datetime, hi: datetime) -> dict[int, int]:
    """What each refused callback claimed was paid, from its payment.callback_refused event
    (recorded with the callback, so within the same day's window give or take a minute)."""
    if not callback_ids:
        return {}
    wanted = set(callback_ids)
    found: dict[int, int] = {}
    events = Event.objects.filter(
        event_type=E.CALLBACK_REFUSED.name,
        occurred_at__gte=lo - timedelta(minutes=5),
        occurred_at__lt=hi + timedelta(minutes=5),
    ).values_list("payload", flat=True)
    for payload in events.iterator():
        callback = (payload or {}).get("callback")
        amount = (payload or {}).get("claimed_amount")
        if callback in wanted and isinstance(amount, int):
            found[callback] = amount
    return found


def providers_of(agency: Agency) -> list[tuple[str, str]]:
    """The providers a reconciliation page offers to filter by: those the agency ever used,
    and the built-in ones."""
    codes = set(
        Attempt.objects.filter(payment__agency=agency).values_list("provider", flat=True).distinct()
    ) | {"national", "vietqr", "cash"}
    order = {"national": 0, "vietqr": 1, "cash": 2}
    return [(c, provider_label(c)) for c in sorted(codes, key=lambda c: (order.get(c, 9), c))]


# --- the accountant's workbook -------------------------------------------------------------------

EVIDENCE_LABELS = {
    "statement": "Khớp sao kê ngân hàng",
    "callback": "Thông báo của đơn vị thanh toán (đã xác thực)",
    "desk": "Thu tại quầy",
    "": "Chưa có chứng từ đối chiếu",
}


def _local(moment: datetime) -> datetime:
    """A naive Vietnam time for a spreadsheet cell (spreadsheets have no zones)."""
    return moment.astimezone(VIETNAM).replace(tzinfo=None)


def xlsx(report: Report) -> bytes:
    """The report as an XLSX workbook (openpyxl, write-only; every text cell a string, never a
    formula: egov.core.xlsx): a summary sheet per provider, then one sheet per list."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    from egov.core import xlsx as cells

    book = Workbook(write_only=True)
    title = f"Đối soát thanh toán ngày {report.day:%d/%m/%Y} — {report.agency.name}"
    bold = Font(bold=True)

    def sheet(name: str, header: list[str], rows: list[list[Any]], widths: list[int]) -> None:
        ws = book.create_sheet(name)
        for i, width in enumerate(widths):
            ws.column_dimensions[chr(65 + i)].width = width
        heading = cells.cell(ws, title)
        heading.font = Font(bold=True, size=13)
        ws.append([heading])
        if report.provider:
            ws.append(cells.row(ws, [f"Hình thức thanh toán: {provider_label(report.provider)}"]))
        ws.append([])
        head = cells.row(ws, header)
        for c in head:
            c.font = bold
        ws.append(head)
        for values in rows:
            ws.append(cells.row(ws, values))
        if not rows:
            ws.append(cells.row(ws, ["Không có."]))

    def money(m: Money | None) -> list[Any]:
        return ["", ""] if m is None else [m.count, m.amount]

    summary = []
    for line in [*report.providers, report.totals]:
        summary.append(
            [
                line.label,
                *money(line.started),
                *money(line.waiting),
                *money(line.confirmed),
                *money(line.matched),
                *money(line.unmatched),
                *money(line.refunds),
                line.net_amount,
            ]
        )
    summary.append(["Khoản phải nộp phát sinh trong ngày", *money(report.opened)])
    summary.append(["Dòng sao kê chưa khớp", *money(report.unmatched_lines_total)])
    summary.append(["Thông báo thanh toán bị từ chối", len(report.refused_callbacks)])
    sheet(
        "Tổng hợp",
        [
            "Hình thức thanh toán",
            "Khởi tạo (số lần)",
            "Khởi tạo (đồng)",
            "Đang chờ (số lần)",
            "Đang chờ (đồng)",
            "Đã xác nhận (số khoản)",
            "Đã xác nhận (đồng)",
            "Đã đối chiếu (số khoản)",
            "Đã đối chiếu (đồng)",
            "Chưa đối chiếu (số khoản)",
            "Chưa đối chiếu (đồng)",
            "Hoàn trả (số khoản)",
            "Hoàn trả (đồng)",
            "Thực thu (đồng)",
        ],
        summary,
        [34, 12, 14, 12, 14, 12, 14, 12, 14, 12, 14, 12, 14, 14],
    )
    sheet(
        "Đã thu",
        [
            "Mã thanh toán",
            "Mã hồ sơ",
            "Hình thức",
            "Số tiền (đồng)",
            "Thời điểm thanh toán",
            "Mã tham chiếu",
            "Mã giao dịch",
            "Đối chiếu",
            "Biên lai",
        ],
        [
            [
                c.code,
                c.dossier,
                provider_label(c.provider),
                c.amount,
                _local(c.paid_at),
                c.attempt,
                c.provider_transaction,
                EVIDENCE_LABELS[c.evidence],
                c.receipt,
            ]
            for c in report.confirmed
        ],
        [26, 26, 24, 14, 20, 30, 20, 36, 18],
    )
    sheet(
        "Sao kê chưa khớp",
        ["Ngày giờ", "Số tiền (đồng)", "Nội dung", "Người chuyển", "Số tham chiếu", "Tệp sao kê"],
        [
            [
                _local(u.booked_at),
                u.amount,
                u.description,
                u.counterparty,
                u.bank_reference,
                u.statement,
            ]
            for u in report.unmatched_lines
        ],
        [20, 14, 50, 30, 20, 30],
    )
    sheet(
        "Thông báo bị từ chối",
        [
            "Thời điểm",
            "Đơn vị thanh toán",
            "Mã lỗi",
            "Lý do",
            "Mã tham chiếu",
            "Số tiền phải nộp",
            "Số tiền báo",
        ],
        [
            [
                _local(c.received_at),
                provider_label(c.provider),
                c.reason_code,
                c.reason,
                c.attempt,
                "" if c.expected_amount is None else c.expected_amount,
                "" if c.claimed_amount is None else c.claimed_amount,
            ]
            for c in report.refused_callbacks
        ],
        [20, 24, 26, 50, 30, 14, 14],
    )
    sheet(
        "Hoàn trả",
        ["Mã thanh toán", "Mã hồ sơ", "Hình thức", "Số tiền (đồng)", "Ngày chi", "Chứng từ"],
        [
            [
                r.payment,
                r.dossier,
                provider_label(r.provider),
                r.amount,
                _local(r.paid_at),
                r.reference,
            ]
            for r in report.refunds
        ],
        [26, 26, 24, 14, 20, 24],
    )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
