"""The operations dashboard (/dieu-hanh/), the 766 index page, drill-down lists, exports, and the
public transparency page (/cong-khai/).

Every figure is read from the aggregate tables (queries.py) in a fixed number of queries; the
live part of the dashboard is re-fetched by htmx every 30 seconds and the charts (static/stats/
dashboard.js, Apache ECharts) re-read their JSON on the same beat. No inline script: data reach
the charts through data-* attributes and JSON endpoints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from egov.catalog.models import Sector
from egov.catalog.pages import NAMESPACE as CATALOG_PAGES
from egov.core.actors import SYSTEM, Actor, actor_for_user
from egov.core.dbrouting import replica_ok
from egov.core.errors import DomainError, NotAllowed, NotFoundError
from egov.core.ids import parse_id
from egov.core.keyset import CURSOR_PARAM
from egov.core.numbers import NumberFormat
from egov.core.pagecache import cached_page
from egov.core.xlsx import FORMULA_TRIGGERS
from egov.org.pages import NAMESPACE as ORG_PAGES
from egov.payments import figures as payment_figures

from . import drill, exports, index766, pagecache, queries
from .periods import KINDS, Period, parse_period, year_period
from .scopes import agency_scope, may_view_dashboard
from .tree import agency_tree

PAGE_SIZE = 50
TOTAL_LABEL = "Tổng điểm (trên tổng điểm tối đa của các chỉ số đã chấm)"
TOTAL_NOTE = "Chỉ số chưa có dữ liệu không được tính điểm và không tính vào điểm tối đa."
NO_DOSSIERS = "Không có hồ sơ trong kỳ: chưa chấm điểm."
EXPORT_LIMIT = 20000
POLL_SECONDS = 30

# The figure tiles: (metric key for the drill-down, label).
TILES = [
    ("received", "Tiếp nhận"),
    ("resolved", "Đã giải quyết"),
    ("resolved_early", "Trước hạn"),
    ("resolved_on_time", "Đúng hạn"),
    ("resolved_late", "Trễ hạn"),
    ("on_time", "Đang xử lý trong hạn"),
    ("overdue", "Đang xử lý quá hạn"),
    ("paused", "Chờ công dân bổ sung"),
    ("returned", "Đã trả kết quả"),
    ("refused", "Từ chối tiếp nhận"),
    ("withdrawn", "Rút hồ sơ"),
    ("stopped", "Dừng xử lý"),
]


# --- who, what ---------------------------------------------------------------------------------


def _actor(request: HttpRequest) -> Actor:
    actor = actor_for_user(request.user)
    if not may_view_dashboard(actor):
        raise PermissionDenied("Trang điều hành dành cho lãnh đạo cơ quan và quản trị hệ thống.")
    return actor


def _int(value: Any) -> int | None:
    return parse_id(value)  # positive and within the key: a 20-digit id overflowed the driver


def _selection(request: HttpRequest, actor: Actor) -> tuple[queries.Selection, list[str]]:
    params = request.GET
    errors: list[str] = []
    today = timezone.localdate()
    try:
        period = parse_period(params, today)
    except DomainError as exc:
        errors.append(" ".join([exc.message, *(m for ms in exc.fields.values() for m in ms)]))
        period = parse_period({}, today)
    try:
        sel = queries.select(
            actor,
            period,
            agency_id=_int(params.get("agency")),
            sector_id=_int(params.get("sector")),
            procedure_id=_int(params.get("procedure")),
            channel=_int(params.get("channel")),
        )
    except NotFoundError as exc:
        raise Http404(exc.message) from exc
    except NotAllowed as exc:
        raise PermissionDenied(exc.message) from exc
    return sel, errors


def selection_params(sel: queries.Selection) -> dict[str, str]:
    params = dict(sel.period.params())
    for name, value in (
        ("agency", sel.agency_id),
        ("sector", sel.sector_id),
        ("procedure", sel.procedure_id),
        ("channel", sel.channel),
    ):
        if value:
            params[name] = str(value)
    return params


def _qs(sel: queries.Selection, **extra: Any) -> str:
    params = selection_params(sel)
    params.update({k: str(v) for k, v in extra.items() if v is not None})
    return urlencode(params)


def _subtitle(sel: queries.Selection) -> str:
    tree = agency_tree()
    where = tree.name(sel.agency_id) if sel.agency_id else "Toàn bộ phạm vi được xem"
    return f"{where} — {sel.period.label}"


def _pct(value: float | Decimal | None) -> str:
    if value is None:
        return "—"
    return f"{float(value) * 100:.1f}".replace(".", ",") + "%"


# --- the dashboard -------------------------------------------------------------------------------


def _live_context(sel: queries.Selection) -> dict[str, Any]:
    # One read per agency serves the ranking and, summed, the totals (four queries, not eight).
    per_agency = queries.by_agency(sel)
    figs = queries.total(per_agency.values())
    qs = _qs(sel)
    values = figs.as_dict()
    drill_url = reverse("stats:dossiers")
    tiles = [
        {
            "key": key,
            "label": label,
            "value": values[key],
            "href": f"{drill_url}?{_qs(sel, metric=key)}",
        }
        for key, label in TILES
    ]
    steps = queries.late_steps(sel)
    for row in steps["units"]:
        row["href"] = f"{drill_url}?" + _qs(
            sel, metric="late_steps", unit=row["unit_id"], step_agency=row["agency_id"]
        )
    for row in steps["stuck"]:
        row["href"] = f"{drill_url}?" + _qs(
            sel, metric="stuck", unit=row["unit_id"], step_agency=row["agency_id"]
        )
    ranking = queries.ranking(sel, per_agency=per_agency)
    agency_href = _agency_href(sel)
    fmt = NumberFormat()
    for row in ranking:
        if not row["only_self"]:
            row["href"] = agency_href(row["agency_id"])
        # Formatted here: two hundred rows of template filters cost more than the queries.
        for key in ("received", "resolved", "overdue"):
            row[f"{key}_text"] = fmt.integer(row[key])
        rate = row["on_time_rate"]
        row["rate_text"] = "—" if rate is None else f"{fmt.fixed(rate, 1)}%"
    live_now = sel.end >= timezone.localdate()
    return {
        "sel": sel,
        "figures": figs,
        "values": values,
        "tiles": tiles,
        "steps": steps,
        "ranking": ranking,
        "qs": qs,
        "live_now": live_now,
        "updated_at": timezone.localtime(),
        "on_time_rate": _pct(figs.on_time_rate),
        "online_share": _pct(figs.online_share),
        "satisfaction_rate": _pct(figs.satisfaction_rate),
        "avg_handling_days": (
            index766.days_text(figs.avg_handling_days)
            if figs.avg_handling_days is not None
            else "—"
        ),
        "drill_url": drill_url,
        "poll_seconds": POLL_SECONDS,
        "documents": _documents(sel),
        "payments": _payments(sel),
        "national": _national(sel),
    }


def _national(sel: queries.Selection) -> dict[str, Any]:
    """Sync with the national public service portal, per agency (egov.national.health)."""
    from egov.national.health import sync_health

    tree = agency_tree()
    rows = sync_health(sel.agency_ids)
    return {
        "rows": [
            {
                "name": tree.name(h.agency_id) if h.agency_id else h.agency_code,
                "pending": h.pending,
                "dead": h.dead,
                "age": h.age_text,
            }
            for h in rows
        ]
    }


PAYMENT_AGENCIES = 10


def _payments(sel: queries.Selection) -> dict[str, Any]:
    """Fees and charges collected in the period (egov.payments.figures: two grouped queries):
    the amount, how much of it online, refunds, and the agencies that collected most."""
    lo, hi = drill.window(sel)
    where = payment_figures.dossier_filter(
        procedure_id=sel.procedure_id, sector_id=sel.sector_id, channel=sel.channel
    )
    per_agency = payment_figures.collected(sel.agency_ids, lo, hi, where)
    whole = payment_figures.total(per_agency.values())
    tree = agency_tree()
    fmt = NumberFormat()
    ranked = sorted(per_agency.items(), key=lambda kv: (-kv[1].amount, tree.name(kv[0])))
    return {
        "total": whole,
        "online_share": _pct(whole.online_share),
        "providers": sorted(
            (
                (payment_figures.provider_label(code), amount)
                for code, amount in whole.by_provider.items()
            ),
            key=lambda row: -row[1],
        ),
        "agencies": [
            {
                "name": tree.name(agency_id),
                "paid": fmt.integer(one.paid),
                "amount": fmt.integer(one.amount),
                "online_share": _pct(one.online_share),
                "refunded": fmt.integer(one.refunded_amount),
            }
            for agency_id, one in ranked[:PAYMENT_AGENCIES]
        ],
    }


def _documents(sel: queries.Selection) -> dict[str, Any] | None:
    """Official documents sent and received in the period, when the documents app is installed
    (two counts by agency and date; documents are far fewer than dossiers). None otherwise."""
    from django.apps import apps

    if not apps.is_installed("egov.documents"):
        return None
    try:
        outgoing = apps.get_model("documents", "OutgoingDocument")
        incoming = apps.get_model("documents", "IncomingDocument")
    except LookupError:
        return None
    lo, hi = drill.window(sel)
    sent = outgoing.objects.filter(sent_at__gte=lo, sent_at__lt=hi)
    received = incoming.objects.filter(received_at__gte=lo, received_at__lt=hi)
    if sel.agency_ids is not None:
        sent = sent.filter(agency_id__in=sorted(sel.agency_ids))
        received = received.filter(agency_id__in=sorted(sel.agency_ids))
    return {"sent": sent.count(), "received": received.count()}


def _cache_key(page: str, sel: queries.Selection) -> str:
    """Scope (what this viewer may see) and selection: never another scope's entry."""
    return pagecache.key(
        page,
        agency_scope(sel.actor),
        sel.agency_ids,
        kind=sel.period.kind,
        start=sel.start.isoformat(),
        end=sel.end.isoformat(),
        today=timezone.localdate().isoformat(),  # "in progress now" or "at the end of the day"
        agency=sel.agency_id,
        sector=sel.sector_id,
        procedure=sel.procedure_id,
        channel=sel.channel,
    )


def _filters_html(sel: queries.Selection, **extra: Any) -> str:
    return render_to_string(
        "stats/_filters.html",
        {
            "sel": sel,
            "choices": queries.filter_choices(sel),
            "kinds": KINDS,
            "period_values": _period_values(sel.period),
            **extra,
        },
    )


def _dashboard_sections(sel: queries.Selection) -> dict[str, str]:
    def build() -> dict[str, str]:
        context = _live_context(sel)
        context["live_path"] = reverse("stats:dashboard")
        return {
            "live": render_to_string("stats/_live.html", context),
            "filters": _filters_html(sel),
        }

    return pagecache.sections(_cache_key("dashboard", sel), build)


@replica_ok
@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    sel, errors = _selection(request, actor)
    html = _dashboard_sections(sel)
    if request.GET.get("partial") == "live":
        return HttpResponse(html["live"])
    context = {
        "sel": sel,
        "qs": _qs(sel),
        "poll_seconds": POLL_SECONDS,
        "errors": errors,
        "subtitle": _subtitle(sel),
        "filters_html": mark_safe(html["filters"]),  # noqa: S308 - rendered by our templates
        "live_html": mark_safe(html["live"]),  # noqa: S308 - rendered by our templates
    }
    return render(request, "stats/dashboard.html", context)


def _period_values(period: Period) -> dict[str, str]:
    quarter = (period.start.month - 1) // 3 + 1
    return {
        "day": period.start.isoformat(),
        "month": f"{period.start:%Y-%m}",
        "quarter": f"{period.start.year}-{quarter}",
        "year": str(period.start.year),
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
    }


@replica_ok
@login_required
@require_GET
def chart_data(request: HttpRequest, chart: str) -> JsonResponse:
    actor = _actor(request)
    sel, _errors = _selection(request, actor)
    if chart == "trend":
        return JsonResponse({"grain": sel.period.grain, "points": queries.trend(sel)})
    if chart == "ranking":
        rows = [{k: v for k, v in row.items() if k != "figures"} for row in queries.ranking(sel)]
        return JsonResponse({"rows": rows})
    if chart == "tree":
        return JsonResponse({"nodes": queries.agency_treemap(sel)})
    raise Http404("Không có biểu đồ này.")


# --- drill-down ---------------------------------------------------------------------------


def _drill(request: HttpRequest, sel: queries.Selection) -> drill.Behind:
    metric = request.GET.get("metric", "")
    try:
        return drill.dossiers_behind(sel, metric, request.GET)
    except KeyError as exc:
        raise Http404("Không có số liệu này.") from exc


@login_required
@require_GET
def dossiers(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    sel, errors = _selection(request, actor)
    behind = _drill(request, sel)
    page, cursor = behind.page(request.GET.get(CURSOR_PARAM, ""), PAGE_SIZE)
    extra = {k: request.GET.get(k) for k in ("metric", "unit", "step_agency")}
    return render(
        request,
        "stats/dossiers.html",
        {
            "title": behind.title,
            "subtitle": _subtitle(sel),
            "dossiers": page,
            "next_qs": _qs(sel, **extra, **{CURSOR_PARAM: cursor}) if cursor else "",
            "qs": _qs(sel, **extra),
            "back_qs": _qs(sel),
            "errors": errors,
            "now": timezone.now(),
        },
    )


def _dossier_rows(qs: Any) -> list[list[Any]]:
    rows = []
    for d in qs[:EXPORT_LIMIT]:
        rows.append(
            [
                d.code,
                d.procedure.name,
                d.agency.name,
                d.get_channel_display(),
                d.get_status_display(),
                d.received_at,
                d.appointment_at,
                d.finished_at,
                d.returned_at,
            ]
        )
    return rows


DOSSIER_HEADER = [
    "Mã hồ sơ",
    "Thủ tục",
    "Cơ quan tiếp nhận",
    "Kênh",
    "Trạng thái",
    "Ngày tiếp nhận",
    "Ngày hẹn trả",
    "Ngày kết thúc xử lý",
    "Ngày trả kết quả",
]


# --- the 766 index -------------------------------------------------------------------------------


def _agency_href(sel: queries.Selection) -> Callable[[int], str]:
    """Links to the same view narrowed to one agency (the rest of the query encoded once)."""
    base = urlencode({k: v for k, v in selection_params(sel).items() if k != "agency"})
    return lambda agency_id: f"?{base}&agency={agency_id}" if base else f"?agency={agency_id}"


@dataclass(frozen=True)
class PaymentInputs:
    """What 766 indicators 3.5 and 3.6 read from payments, per agency (egov.payments.figures)."""

    collecting_online: set[int]
    online_payment: dict[int, payment_figures.OnlinePayment]


def _payment_inputs(sel: queries.Selection) -> PaymentInputs:
    lo, hi = drill.window(sel)
    where = payment_figures.dossier_filter(
        procedure_id=sel.procedure_id, sector_id=sel.sector_id, channel=sel.channel
    )
    return PaymentInputs(
        collecting_online=payment_figures.collecting_online(sel.agency_ids),
        online_payment=payment_figures.online_payment(sel.agency_ids, lo, hi, where),
    )


def _index_inputs(
    figs: queries.Figures,
    catalogue: dict[int, dict[str, int]],
    agencies: set[int] | None,
    pay: PaymentInputs | None = None,
) -> index766.Inputs:
    total = online = fees = fees_online = 0
    chosen = catalogue.items() if agencies is None else ((a, catalogue.get(a)) for a in agencies)
    for agency_id, counts in chosen:
        if counts:
            total += counts["total"]
            online += counts["online"]
            fees += counts.get("fees", 0)
            if pay is not None and agency_id in pay.collecting_online:
                fees_online += counts.get("fees_online", 0)
    with_fees = paid_online = 0
    if pay is not None:
        paid = pay.online_payment
        rows = paid.values() if agencies is None else (paid.get(a) for a in agencies)
        for row in rows:
            if row is not None:
                with_fees += row.with_fees
                paid_online += row.paid_online
    return index766.Inputs(
        figures=figs,
        procedures=total,
        online_procedures=online,
        fee_procedures=fees,
        fee_procedures_online=fees_online,
        fee_dossiers=with_fees,
        fee_dossiers_online=paid_online,
    )


def index_context(sel: queries.Selection) -> dict[str, Any]:
    tree = agency_tree()
    defs = index766.definitions(sel.end.year)
    catalogue = queries.catalogue_counts(sel.agency_ids)
    per_agency = queries.by_agency(sel)
    figs = queries.total(per_agency.values())
    scope = set(sel.agency_ids) if sel.agency_ids is not None else None
    pay = _payment_inputs(sel)
    result = index766.compute(sel.end.year, _index_inputs(figs, catalogue, scope, pay), defs)
    compared = []
    fmt = NumberFormat()
    agency_href = _agency_href(sel)
    for agency_id, only_self in queries.top_agencies(sel, tree):
        members = {agency_id} if only_self else tree.subtree(agency_id)
        child_figs = queries.roll_up(per_agency, tree, agency_id, only_self)
        if only_self and not index766.has_dossiers(child_figs):
            continue  # the parent's own row only when it handled dossiers itself
        child = index766.compute(
            sel.end.year, _index_inputs(child_figs, catalogue, members, pay), defs
        )
        # Each group read once: two hundred agencies.
        parts = [(g.score, g.scored, g.measured_max) for g in child.groups]
        groups = [score if scored else None for score, scored, _m in parts]
        child_total = sum((score for score, _s, _m in parts), Decimal(0))
        measured = sum((m for _s, _x, m in parts), Decimal(0))
        enough = child.enough_data and measured > 0
        attained = (child_total * 100 / measured) if enough else None
        compared.append(
            {
                "agency_id": agency_id,
                "name": tree.name(agency_id) + (" (trực tiếp)" if only_self else ""),
                "enough_data": enough,
                "total": child_total if enough else None,
                "measured_max": measured,
                "attained": attained,
                "groups": groups,
                # Formatted here: a table of two hundred agencies is too many template filters.
                "total_text": (
                    f"{fmt.fixed(child_total, 2)} / {fmt.fixed(measured, 0)}"
                    if enough
                    else index766.NOT_ENOUGH_DATA
                ),
                "attained_text": f"{fmt.fixed(attained, 1)}%" if attained is not None else "—",
                "group_texts": ["—" if g is None else fmt.fixed(g, 2) for g in groups],
                "href": None if only_self else agency_href(agency_id),
            }
        )

    # Agencies that worked, best share of their attainable points first; then those without
    # dossiers in the period (not ranked: "chưa đủ dữ liệu").
    def rank(r: dict[str, Any]) -> tuple[bool, Decimal, Decimal, str]:
        return (
            not r["enough_data"],
            -(r["attained"] or Decimal(0)),
            -(r["total"] or Decimal(0)),
            str(r["name"]),
        )

    compared.sort(key=rank)
    return {"result": result, "compared": compared, "figures": figs}


@replica_ok
@login_required
@require_GET
def index_page(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    params = request.GET.copy()
    params.setdefault("period", "year")
    request.GET = params  # type: ignore[assignment]
    sel, errors = _selection(request, actor)

    def build() -> dict[str, str]:
        context = index_context(sel)
        context.update(sel=sel, updated_at=timezone.localtime())
        return {
            "body": render_to_string("stats/_index766_body.html", context),
            "filters": _filters_html(sel, hide_dimensions=True),
        }

    html = pagecache.sections(_cache_key("index766", sel), build)
    context = {
        "sel": sel,
        "errors": errors,
        "subtitle": _subtitle(sel),
        "qs": _qs(sel),
        "filters_html": mark_safe(html["filters"]),  # noqa: S308 - rendered by our templates
        "body_html": mark_safe(html["body"]),  # noqa: S308 - rendered by our templates
    }
    return render(request, "stats/index766.html", context)


def _index_tables(context: dict[str, Any]) -> list[exports.Table]:
    result: index766.IndexResult = context["result"]
    rows: list[list[Any]] = []
    for group in result.groups:
        rows.append(
            [
                group.code,
                group.name,
                "",
                "",
                "",
                group.measured_max if group.scored else index766.NO_DATA,
                group.score if group.scored else index766.NO_DATA,
            ]
        )
        for i in group.indicators:
            rows.append(
                [
                    i.code,
                    i.name,
                    f"{i.rate_percent}%" if i.rate_percent is not None else index766.NO_DATA,
                    f"{i.threshold}%",
                    i.measure.note if i.measure else "",
                    i.max_points,
                    i.score if i.score is not None else index766.NO_DATA,
                ]
            )
    if result.enough_data:
        rows.append(["", TOTAL_LABEL, "", "", TOTAL_NOTE, result.measured_max, result.total])
    else:
        rows.append(["", TOTAL_LABEL, "", "", NO_DOSSIERS, "", index766.NOT_ENOUGH_DATA])
    header = ["Mã", "Chỉ số", "Tỷ lệ", "Ngưỡng", "Ghi chú", "Điểm tối đa", "Điểm"]
    compared = [
        [
            r["name"],
            r["total"] if r["enough_data"] else index766.NOT_ENOUGH_DATA,
            r["measured_max"] if r["enough_data"] else "",
            "" if r["attained"] is None else round(float(r["attained"]), 2),
            *("" if g is None else g for g in r["groups"]),
        ]
        for r in context["compared"]
    ]
    group_names = [f"Nhóm {g.code}" for g in result.groups]
    return [
        ("Chỉ số 766", header, rows),
        (
            "So sánh cơ quan",
            ["Cơ quan", "Tổng điểm", "Trên tối đa", "Tỷ lệ đạt (%)", *group_names],
            compared,
        ),
    ]


def _dashboard_tables(sel: queries.Selection) -> list[exports.Table]:
    ctx = _live_context(sel)
    v = ctx["values"]
    summary = [[label, v[key]] for key, label in TILES]
    summary += [
        ["Tỷ lệ đúng hạn (2.1)", ctx["on_time_rate"]],
        ["Giải quyết có phiếu xin lỗi, hẹn lại", v["resolved_promised"]],
        ["Trong đó giữ đúng ngày hẹn lại", v["resolved_promise_kept"]],
        ["Tỷ lệ nộp trực tuyến", ctx["online_share"]],
        ["Thời gian xử lý trung bình (ngày làm việc)", ctx["avg_handling_days"]],
        ["Tỷ lệ hài lòng", ctx["satisfaction_rate"]],
        ["Số lượt đánh giá", v["ratings"]],
        ["Yêu cầu bổ sung", v["supplements"]],
    ]
    ranking = [
        [
            r["name"],
            r["received"],
            r["resolved"],
            r["handled"],
            r["overdue"],
            "" if r["on_time_rate"] is None else r["on_time_rate"],
        ]
        for r in ctx["ranking"]
    ]
    trend = [
        [
            p["label"],
            p["received"],
            p["resolved"],
            p["resolved_late"],
            "" if p["on_time_rate"] is None else p["on_time_rate"],
        ]
        for p in queries.trend(sel)
    ]
    units = [
        [u["agency"], u["unit"], u["finished"], u["late"], u["overrun_hours"], u["sent_back"]]
        for u in ctx["steps"]["units"]
    ]
    return [
        ("Tổng hợp", ["Chỉ tiêu", "Giá trị"], summary),
        (
            "Cơ quan",
            [
                "Cơ quan",
                "Tiếp nhận",
                "Đã giải quyết",
                "Đã xử lý (766)",
                "Quá hạn",
                "Tỷ lệ đúng hạn (%)",
            ],
            ranking,
        ),
        ("Xu hướng", ["Kỳ", "Tiếp nhận", "Đã giải quyết", "Trễ hạn", "Đúng hạn (%)"], trend),
        (
            "Bước trễ hạn",
            ["Cơ quan", "Phòng ban", "Bước đã xong", "Trễ hạn", "Giờ trễ", "Bị trả lại"],
            units,
        ),
    ]


@replica_ok
@login_required
@require_GET
def export(request: HttpRequest, view: str, fmt: str) -> HttpResponse:
    actor = _actor(request)
    if view == "chi-so-766":
        params = request.GET.copy()
        params.setdefault("period", "year")
        request.GET = params  # type: ignore[assignment]
    sel, _errors = _selection(request, actor)
    if view == "tong-hop":
        title, tables = "Số liệu điều hành giải quyết thủ tục hành chính", _dashboard_tables(sel)
    elif view == "chi-so-766":
        title, tables = (
            "Bộ chỉ số phục vụ người dân, doanh nghiệp (766)",
            _index_tables(index_context(sel)),
        )
    elif view == "ho-so":
        behind = _drill(request, sel)
        title, tables = behind.title, [("Hồ sơ", DOSSIER_HEADER, _dossier_rows(behind.dossiers))]
    else:
        raise Http404("Không có trang này.")
    subtitle = _subtitle(sel)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "xlsx":
        body = exports.xlsx(title, subtitle, tables)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif fmt == "pdf":
        body = exports.pdf(title, subtitle, tables)
        content_type = "application/pdf"
    else:
        raise Http404("Định dạng không hỗ trợ.")
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{view}-{stamp}.{fmt}"'
    return response


# --- public transparency page -------------------------------------------------------------


PUBLIC_CACHE_SECONDS = 300
PUBLIC_KINDS = {"month": "Tháng", "quarter": "Quý", "year": "Năm"}
PUBLIC_EXPORT_ROWS = 2000  # agencies compared on one page: far fewer in any province
PUBLIC_TITLE = "Công khai kết quả giải quyết thủ tục hành chính"
PUBLIC_HEADER = [
    "Cơ quan",
    "Tiếp nhận",
    "Đã giải quyết",
    "Giải quyết đúng, trước hạn",
    "Đã xử lý (tính tỷ lệ)",
    "Tỷ lệ đúng hạn (%)",
]


def public_selection(params: Any) -> tuple[queries.Selection, list[str]]:
    """What the public page asks for (anonymous, every agency): an agency, a field (lĩnh vực),
    a month, quarter or year up to today. Bad input: a message and the default in its place
    (the current year, every agency, every field)."""
    today = timezone.localdate()
    errors: list[str] = []
    kind = str(params.get("period") or "year")
    period = year_period(today.year)
    if kind not in PUBLIC_KINDS:
        errors.append("Chọn kỳ theo tháng, quý hoặc năm.")
    else:
        try:
            period = parse_period(
                {**{k: params.get(k) for k in PUBLIC_KINDS}, "period": kind}, today
            )
        except DomainError as exc:
            errors.append(" ".join([exc.message, *(m for ms in exc.fields.values() for m in ms)]))
    if period.start > today:
        errors.append("Kỳ này chưa bắt đầu: xem số liệu năm nay.")
        period = year_period(today.year)
    if period.end > today:  # figures up to today, the period keeps its name
        period = Period(period.kind, period.start, today)
    tree = agency_tree()
    agency_id = _int(params.get("agency"))
    if params.get("agency") and agency_id not in tree.nodes:
        errors.append("Không tìm thấy cơ quan đã chọn: xem tất cả cơ quan.")
        agency_id = None
    sector_id = _int(params.get("sector"))
    if params.get("sector") and not (sector_id and Sector.objects.filter(pk=sector_id).exists()):
        errors.append("Không tìm thấy lĩnh vực đã chọn: xem tất cả lĩnh vực.")
        sector_id = None
    sel = queries.select(SYSTEM, period, agency_id=agency_id, sector_id=sector_id)
    return sel, errors


def public_rates(sel: queries.Selection) -> dict[str, Any]:
    """On-time rates by agency for a selection: no personal data, cached for five minutes (the
    selection's parameters are checked values, so the keys are few)."""
    params = selection_params(sel)
    key = "stats:public:v2:" + urlencode(sorted(params.items())) + f":{sel.end.isoformat()}"
    data = cache.get(key)
    if data is not None:
        return dict(data)
    rows = []
    per_agency = queries.by_agency(sel)
    for row in queries.ranking(sel, per_agency=per_agency):
        figs: queries.Figures = row["figures"]
        rows.append(
            {
                "name": row["name"],
                "label": row["label"],
                "received": figs.received,
                "resolved": figs.resolved,
                "resolved_in_time": figs.resolved_in_time,
                "handled": figs.handled,
                "on_time_rate": row["on_time_rate"],
            }
        )
    total = queries.total(per_agency.values())
    data = {
        "year": sel.end.year,
        "period": sel.period.label,
        "through": sel.end.isoformat(),
        "params": params,
        "rows": rows,
        "total": {
            "received": total.received,
            "resolved": total.resolved,
            "resolved_in_time": total.resolved_in_time,
            "handled": total.handled,
            "on_time_rate": None
            if total.on_time_rate is None
            else round(100 * total.on_time_rate, 2),
        },
    }
    cache.set(key, data, PUBLIC_CACHE_SECONDS)
    return data


def _public_where(sel: queries.Selection) -> str:
    tree = agency_tree()
    parts = [tree.name(sel.agency_id) if sel.agency_id else "Tất cả cơ quan"]
    if sel.sector_id:
        name = Sector.objects.filter(pk=sel.sector_id).values_list("name", flat=True)
        parts.append(f"lĩnh vực {name.first() or ''}".strip())
    return ", ".join(parts)


@replica_ok
@require_GET
def transparency(request: HttpRequest) -> HttpResponse:
    """The public figures, the same for every anonymous visitor: the whole page is cached as
    long as its figures are (egov.core.pagecache), per day, and dropped at once when an agency
    or a field is renamed."""
    return cached_page(
        request,
        lambda: _transparency(request),
        namespaces=(ORG_PAGES, CATALOG_PAGES),
        parts=[timezone.localdate().isoformat()],
        seconds=PUBLIC_CACHE_SECONDS,
    )


def _transparency(request: HttpRequest) -> HttpResponse:
    sel, errors = public_selection(request.GET)
    data = public_rates(sel)
    qs = urlencode(data["params"])
    return render(
        request,
        "stats/transparency.html",
        {
            "data": data,
            "through": date.fromisoformat(data["through"]),
            "sel": sel,
            "errors": errors,
            "where": _public_where(sel),
            "choices": queries.filter_choices(sel, with_procedures=False),
            "kinds": PUBLIC_KINDS,
            "period_values": _period_values(sel.period),
            "qs": qs,
        },
    )


@replica_ok
@require_GET
def transparency_data(request: HttpRequest) -> JsonResponse:
    sel, _errors = public_selection(request.GET)
    return JsonResponse(public_rates(sel))


def _csv(header: list[str], rows: list[list[Any]]) -> bytes:
    """Data only, the header first (the period is in the file name): UTF-8 with a byte-order
    mark (Excel reads the Vietnamese right); text a spreadsheet would take for a formula gets a
    leading apostrophe (OWASP CSV injection)."""
    import csv
    import io

    def safe(value: Any) -> Any:
        if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
            return "'" + value
        return "" if value is None else value

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


@replica_ok
@require_GET
def transparency_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The public table as CSV or XLSX, with the same filters; at most PUBLIC_EXPORT_ROWS rows
    (one per compared agency) and the total."""
    if fmt not in ("csv", "xlsx"):
        raise Http404("Định dạng không hỗ trợ.")
    sel, errors = public_selection(request.GET)
    if errors:
        return HttpResponse(" ".join(errors), status=400, content_type="text/plain; charset=utf-8")
    data = public_rates(sel)

    def rate(value: float | None) -> Any:
        return "" if value is None else value

    rows = [
        [
            r["name"],
            r["received"],
            r["resolved"],
            r["resolved_in_time"],
            r["handled"],
            rate(r["on_time_rate"]),
        ]
        for r in data["rows"][:PUBLIC_EXPORT_ROWS]
    ]
    t = data["total"]
    rows.append(
        [
            "Tổng cộng",
            t["received"],
            t["resolved"],
            t["resolved_in_time"],
            t["handled"],
            rate(t["on_time_rate"]),
        ]
    )
    through = date.fromisoformat(data["through"])
    subtitle = f"{_public_where(sel)} — {data['period']}, số liệu đến hết ngày {through:%d/%m/%Y}"
    if fmt == "csv":
        body = _csv(PUBLIC_HEADER, rows)
        content_type = "text/csv; charset=utf-8"
    else:
        body = exports.xlsx(PUBLIC_TITLE, subtitle, [("Công khai", PUBLIC_HEADER, rows)])
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = HttpResponse(body, content_type=content_type)
    name = "-".join(["cong-khai", *_period_slug(sel.period), *_filter_slug(sel)])
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


def _period_slug(period: Period) -> list[str]:
    if period.kind == "month":
        return ["thang", f"{period.start:%Y-%m}"]
    if period.kind == "quarter":
        return ["quy", f"{period.start.year}-{(period.start.month - 1) // 3 + 1}"]
    return ["nam", str(period.start.year)]


def _filter_slug(sel: queries.Selection) -> list[str]:
    return [
        f"{name}{value}" for name, value in (("cq", sel.agency_id), ("lv", sel.sector_id)) if value
    ]
