"""Payment figures for the reports above this app (the operations dashboard and the 766 index,
egov.stats) and the names of providers as people read them.

Read straight from the payment rows, one grouped query each (payments are far fewer than
dossiers, and the rows are indexed by agency and moment), always for a set of agencies the
caller has already scoped.

- Collected in a period: payments paid then (Payment.paid_at, the moment the provider or the
  desk says the money came), their amounts, how many through an online provider; refunds paid
  out then.
- 766 indicator 3.6 (online payment rate): among the dossiers whose fees were asked in the
  period (a payment opened then, not cancelled before anything was paid), those that paid
  through an online provider.
- 766 indicator 3.5 (procedures whose fees can be paid online): which agencies collect online —
  they have a collector (Collector) with at least one online provider enabled and configured.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, Sum

from .models import Collector, Payment, PaymentStatus, Refund, RefundStatus
from .providers import PROVIDERS, enabled

# Labels of the built-in providers when the plugin is not loaded (switched off, or removed
# after payments were made through it): their history still reads.
KNOWN_LABELS = {
    "national": "Cổng thanh toán quốc gia",
    "vietqr": "Chuyển khoản VietQR",
    "cash": "Tiền mặt tại Bộ phận Một cửa",
}
# The built-in provider that is not online; any other provider no longer loaded is taken as
# online (every payment plugin but the desk's cash is paid by the applicant online).
OFFLINE = frozenset({"cash"})


def provider_label(code: str) -> str:
    provider = PROVIDERS.get(code)
    if provider is not None:
        return str(provider.label)
    return KNOWN_LABELS.get(code, code or "—")


def is_online(code: str) -> bool:
    provider = PROVIDERS.get(code)
    if provider is not None:
        return bool(provider.online)
    return bool(code) and code not in OFFLINE


def online_codes(extra: Iterable[str] = ()) -> list[str]:
    """The provider codes that count as online: the loaded online plugins, the known built-ins
    and any other code seen (`extra`)."""
    codes = set(PROVIDERS) | set(KNOWN_LABELS) | set(extra)
    return sorted(c for c in codes if is_online(c))


def _paid_providers() -> list[str]:
    return list(
        Payment.objects.exclude(paid_provider="").values_list("paid_provider", flat=True).distinct()
    )


@dataclass
class Collected:
    """What an agency (or all of them together) collected in a period."""

    paid: int = 0
    amount: int = 0
    online: int = 0
    online_amount: int = 0
    refunds: int = 0
    refunded_amount: int = 0
    by_provider: dict[str, int] = field(default_factory=dict)  # amounts

    @property
    def net_amount(self) -> int:
        return self.amount - self.refunded_amount

    @property
    def online_share(self) -> float | None:
        return self.online / self.paid if self.paid else None

    def add(self, other: Collected) -> None:
        self.paid += other.paid
        self.amount += other.amount
        self.online += other.online
        self.online_amount += other.online_amount
        self.refunds += other.refunds
        self.refunded_amount += other.refunded_amount
        for code, amount in other.by_provider.items():
            self.by_provider[code] = self.by_provider.get(code, 0) + amount


def _agencies(qs, agency_ids: Iterable[int] | None, name: str = "agency_id"):  # type: ignore[no-untyped-def]
    if agency_ids is None:
        return qs
    return qs.filter(**{f"{name}__in": sorted(agency_ids)})


def dossier_filter(
    *, procedure_id: int | None = None, sector_id: int | None = None, channel: int | None = None
) -> Q:
    """The dashboard's narrowing (procedure, sector, channel) on payments, through the dossier."""
    where = Q()
    if procedure_id:
        where &= Q(dossier__procedure_id=procedure_id)
    if sector_id:
        where &= Q(dossier__procedure__sector_id=sector_id)
    if channel:
        where &= Q(dossier__channel=channel)
    return where


def collected(
    agency_ids: Iterable[int] | None, start: datetime, end: datetime, where: Q | None = None
) -> dict[int, Collected]:
    """Per agency: payments paid in [start, end) and refunds paid out then (two queries)."""
    online = online_codes(_paid_providers())
    where = where or Q()
    rows = (
        _agencies(Payment.objects.filter(where, paid_at__gte=start, paid_at__lt=end), agency_ids)
        .values("agency_id", "paid_provider")
        .annotate(n=Count("pk"), amount=Sum("amount"))
        .order_by()
    )
    found: dict[int, Collected] = {}
    for row in rows:
        one = found.setdefault(row["agency_id"], Collected())
        n, amount = row["n"], int(row["amount"] or 0)
        one.paid += n
        one.amount += amount
        code = row["paid_provider"]
        one.by_provider[code] = one.by_provider.get(code, 0) + amount
        if code in online:
            one.online += n
            one.online_amount += amount
    refunds = (
        _agencies(
            Refund.objects.filter(
                _under("payment__", where),
                status=RefundStatus.PAID,
                paid_at__gte=start,
                paid_at__lt=end,
            ),
            agency_ids,
            "payment__agency_id",
        )
        .values("payment__agency_id")
        .annotate(n=Count("pk"), amount=Sum("amount"))
        .order_by()
    )
    for row in refunds:
        one = found.setdefault(row["payment__agency_id"], Collected())
        one.refunds += row["n"]
        one.refunded_amount += int(row["amount"] or 0)
    return found


def _under(prefix: str, where: Q) -> Q:
    """`where` (conditions on Payment) read from a related model through `prefix`."""
    moved = Q()
    moved.connector, moved.negated = where.connector, where.negated
    children: list[Any] = list(where.children)
    for child in children:
        if isinstance(child, Q):
            moved.children.append(_under(prefix, child))
        else:
            name, value = child
            moved.children.append((f"{prefix}{name}", value))
    return moved


def total(parts: Iterable[Collected]) -> Collected:
    whole = Collected()
    for part in parts:
        whole.add(part)
    return whole


@dataclass(frozen=True)
class OnlinePayment:
    """766 indicator 3.6 for one agency: dossiers with fees asked, and those paid online."""

    with_fees: int = 0
    paid_online: int = 0


def online_payment(
    agency_ids: Iterable[int] | None, start: datetime, end: datetime, where: Q | None = None
) -> dict[int, OnlinePayment]:
    """Per agency, the dossiers whose fees were asked in [start, end) — a payment opened then
    that was not cancelled unpaid (a dossier refused before paying owed nothing in the end) —
    and how many of them paid through an online provider (one query)."""
    online = online_codes(_paid_providers())
    cancelled_unpaid = Q(status=PaymentStatus.CANCELLED, paid_at__isnull=True)
    rows = (
        _agencies(
            Payment.objects.filter(where or Q(), created_at__gte=start, created_at__lt=end).exclude(
                cancelled_unpaid
            ),
            agency_ids,
        )
        .values("agency_id")
        .annotate(
            with_fees=Count("dossier", distinct=True),
            paid_online=Count(
                "dossier",
                distinct=True,
                filter=Q(paid_at__isnull=False, paid_provider__in=online),
            ),
        )
        .order_by()
    )
    return {r["agency_id"]: OnlinePayment(r["with_fees"], r["paid_online"]) for r in rows}


def collecting_online(agency_ids: Iterable[int] | None) -> set[int]:
    """The agencies where an applicant can pay online now: a collector with an online provider
    that is enabled and configured (one query, then the plugins' own checks)."""
    found = set()
    for collector in _agencies(Collector.objects.all(), agency_ids):
        if enabled(collector, online_only=True):
            found.add(collector.agency_id)
    return found
