"""The officials' one-stop pages: the work queue, the dossier processing page with the actions
allowed now, in-person reception, file downloads and the receipt (form 01).

Every page works without JavaScript; htmx only refreshes the queue when a filter changes. The
views never change state themselves: each action calls one function of services.py and shows
its DomainError as a Vietnamese message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import quote, urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST

from egov.catalog.search import search_procedures
from egov.core.actors import Actor, actor_from_request
from egov.core.errors import Conflict, DomainError
from egov.core.keyset import CURSOR_PARAM, keyset_page
from egov.core.scoping import visible_to
from egov.dossiers import services as dossier_services
from egov.dossiers.downloads import file_download
from egov.dossiers.fees import shown_lines
from egov.dossiers.models import Dossier, DossierFile, PaymentState, ResultDelivery, Status
from egov.dossiers.pdf import receipt_pdf
from egov.org.models import Official, Role
from egov.workcalendar import deadlines
from egov.workcalendar.services import WorkingCalendar

from . import services
from .access import nothing_assigned, queue_official
from .filters import procedure_options
from .forms import (
    ActionForm,
    ApologyForm,
    ApproveSignForm,
    AssignForm,
    DecideApologyForm,
    ForwardForm,
    PaymentForm,
    PaymentReceivedForm,
    ProcedureChoiceForm,
    QueueFilterForm,
    ReasonForm,
    ReceptionForm,
    ResultForm,
    ReturnForm,
    SendBackForm,
    SupplementRequestForm,
)
from .models import ApologyLetter, DossierStep, StepStatus
from .queue import Bounded, bounded_count, desk_procedures, online_dossiers, queue_page, queue_steps
from .workflow import TRANSITIONS, allowed_actions

PAGE_SIZE = 50

# --- who is asking --------------------------------------------------------------------------


def _official(request: HttpRequest) -> Official:
    """The signed-in official (with agency, unit and roles loaded), else 403."""
    return queue_official(request)


def _staff_actor(request: HttpRequest) -> Actor:
    """Officials and operators may read dossiers here (operators only read)."""
    user: Any = request.user
    if getattr(user, "kind", "") not in ("official", "operator"):
        raise PermissionDenied("Chỉ công chức được vào trang Một cửa điện tử.")
    return actor_from_request(request)


# --- deadline marks -------------------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    key: str  # ok | near | overdue | late | none
    label: str


ON_TIME = Mark("ok", "Đúng hạn")
NEAR_DUE = Mark("near", "Sắp đến hạn")
OVERDUE = Mark("overdue", "Quá hạn")
LATE = Mark("late", "Trễ hạn")
PAUSED = Mark("paused", "Tạm dừng, chờ bổ sung")
NO_MARK = Mark("none", "—")


DEADLINE_MARKS = {
    deadlines.OVERDUE: OVERDUE,
    deadlines.NEAR_DUE: NEAR_DUE,
    deadlines.ON_TIME: ON_TIME,
}


def deadline_mark(due_at: datetime | None, now: datetime, calendar: WorkingCalendar) -> Mark:
    """An open item: overdue, near due or on time, by the platform's one rule."""
    state = deadlines.deadline_state(due_at, now, calendar)
    return NO_MARK if state is None else DEADLINE_MARKS[state]


def finished_mark(finished_at: datetime | None, due_at: datetime | None) -> Mark:
    if finished_at is None or due_at is None:
        return NO_MARK
    return ON_TIME if finished_at <= due_at else LATE


# --- the work queue --------------------------------------------------------------------------


@dataclass
class Tab:
    key: str
    label: str
    kind: str  # "steps" | "online" | "apology"
    filters: bool = True
    count: Bounded = field(default_factory=lambda: Bounded(0))


def _tabs(official: Official) -> list[Tab]:
    tabs = [Tab("mine", "Hồ sơ cần tôi xử lý", "steps")]
    if official.has_role(Role.RECEIVER):
        tabs.append(Tab("online", "Hồ sơ trực tuyến chờ tiếp nhận", "online"))
        tabs.append(Tab("return", "Chờ trả kết quả", "steps"))
    if official.has_role(Role.LEADER):
        tabs.append(Tab("unit", "Hồ sơ đang xử lý tại cơ quan", "steps"))
        tabs.append(Tab("apology", "Phiếu xin lỗi chờ duyệt", "apology", filters=False))
    elif official.has_role(Role.UNIT_HEAD):
        tabs.append(Tab("unit", "Hồ sơ đang xử lý trong phòng", "steps"))
    return tabs


@dataclass
class QueueRow:
    dossier: Dossier
    step: DossierStep | None = None
    letter: ApologyLetter | None = None
    due_at: datetime | None = None
    mark: Mark = NO_MARK
    url: str = ""
    # Formatted here once: fifty rows of template filters cost more than the query.
    due_iso: str = ""
    due_text: str = ""
    selectable: bool = False  # may be forwarded with others (bulk forward)

    def __post_init__(self) -> None:
        if self.due_at is not None:
            local = timezone.localtime(self.due_at)
            self.due_iso = local.isoformat()
            self.due_text = local.strftime("%H:%M %d/%m/%Y")


def _with_urls(rows: list[QueueRow]) -> list[QueueRow]:
    """The dossier links, from one reverse() instead of one per row."""
    pattern = reverse("onestop:dossier", args=["__code__"])
    for row in rows:
        row.url = pattern.replace("__code__", quote(row.dossier.code, safe=""))
    return rows


def _step_queryset(tab: str, official: Official) -> QuerySet[DossierStep]:
    qs = queue_steps(tab, official)
    # Only the joins the rows show: each extra join costs more planning than the scan itself.
    if tab == "mine":
        return qs.select_related("dossier__procedure")
    return qs.select_related("dossier__procedure", "assignee__user", "unit")


def _letters_to_decide(official: Official) -> QuerySet[ApologyLetter]:
    """Draft letters (form 04) a leader of this agency decides: on dossiers whose active step
    the agency holds (services.decide_apology), whoever drafted them."""
    return ApologyLetter.objects.filter(
        status=ApologyLetter.Status.DRAFT,
        dossier__steps__status=StepStatus.ACTIVE,
        dossier__steps__agency_id=official.agency_id,
    )


def _online_queryset(actor: Actor, official: Official) -> QuerySet[Dossier]:
    return visible_to(actor, online_dossiers(official))


# The tab a role opens on when every tab is empty.
MAIN_TAB = {Role.RECEIVER: "online", Role.LEADER: "unit", Role.UNIT_HEAD: "unit"}


def _count_tabs(actor: Actor, official: Official, tabs: list[Tab]) -> None:
    """How many items each tab holds, shown on the tabs: indexed COUNTs that stop at the cap."""
    for t in tabs:
        if t.kind == "steps":
            t.count = bounded_count(queue_steps(t.key, official), "hồ sơ")
        elif t.kind == "online":
            t.count = bounded_count(_online_queryset(actor, official), "hồ sơ")
        else:
            t.count = bounded_count(_letters_to_decide(official), "phiếu")


def _opening_tab(official: Official, tabs: list[Tab]) -> Tab:
    """The first tab with something in it; when all are empty, the official's main role's."""
    for t in tabs:
        if t.count:
            return t
    by_key = {t.key: t for t in tabs}
    for role, key in MAIN_TAB.items():
        if official.has_role(role) and key in by_key:
            return by_key[key]
    return tabs[0]


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    official = _official(request)
    actor = actor_from_request(request)
    tabs = _tabs(official)
    by_key = {t.key: t for t in tabs}
    asked = by_key.get(request.GET.get("tab", ""))
    # htmx refreshes only the rows when a filter changes (a history restore needs the page).
    partial = bool(request.headers.get("HX-Request")) and not request.headers.get(
        "HX-History-Restore-Request"
    )
    # The rows of a named tab show no count: the tabs are counted for the whole page only.
    counted = not (partial and asked)
    if counted:
        _count_tabs(actor, official, tabs)
    tab = asked or _opening_tab(official, tabs)
    empty = counted and not any(t.count for t in tabs)
    options = procedure_options(official)
    filters = QueueFilterForm(request.GET or None, procedures=options.choices)
    chosen: dict[str, Any] = filters.cleaned_data if filters.is_valid() else {}
    now = timezone.now()
    calendar = WorkingCalendar.for_agency(official.agency_id)
    raw_cursor = request.GET.get(CURSOR_PARAM, "")
    rows: list[QueueRow] = []
    next_cursor: str | None = None

    if tab.kind == "steps":
        qs = _step_queryset(tab.key, official)
        if chosen.get("thu_tuc"):
            qs = qs.filter(dossier__procedure__code=chosen["thu_tuc"])
        if chosen.get("trang_thai"):
            qs = qs.filter(dossier__status=chosen["trang_thai"])
        deadline = chosen.get("han")
        if deadline:
            near = deadlines.near_due_before(now, calendar)
            qs = {
                "overdue": qs.filter(due_at__lt=now),
                "near": qs.filter(due_at__gte=now, due_at__lt=near),
                "ok": qs.filter(due_at__gte=near),
            }[deadline]
        steps, next_cursor = queue_page(qs, raw_cursor, PAGE_SIZE)
        rows = [
            QueueRow(
                s.dossier,
                step=s,
                due_at=s.due_at,
                mark=PAUSED
                if s.dossier.status == Status.SUPPLEMENT_REQUESTED
                else deadline_mark(s.due_at, now, calendar),
            )
            for s in steps
        ]
    elif tab.kind == "online":
        dossiers = _online_queryset(actor, official).select_related("procedure", "agency")
        if chosen.get("thu_tuc"):
            dossiers = dossiers.filter(procedure__code=chosen["thu_tuc"])
        found, next_cursor = keyset_page(dossiers, "submitted_at", raw_cursor, PAGE_SIZE)
        rows = [QueueRow(d, due_at=d.appointment_at) for d in found]
    else:  # apology letters waiting for a leader
        letters = _letters_to_decide(official).select_related(
            "dossier__procedure", "drafted_by__user"
        )
        found_letters, next_cursor = keyset_page(letters, "created_at", raw_cursor, PAGE_SIZE)
        rows = [
            QueueRow(
                letter.dossier,
                letter=letter,
                due_at=letter.dossier.appointment_at,
                mark=deadline_mark(letter.dossier.appointment_at, now, calendar),
            )
            for letter in found_letters
        ]

    base = {k: v for k, v in chosen.items() if v not in (None, "")}
    base["tab"] = tab.key
    context = {
        "official": official,
        "tabs": tabs,
        "tab": tab,
        "rows": _with_urls(rows),
        "filters": filters,
        "procedure_select": "" if partial else filters.procedure_select(options),
        "next_url": f"?{urlencode({**base, CURSOR_PARAM: next_cursor})}" if next_cursor else "",
        "first_url": f"?{urlencode(base)}" if raw_cursor else "",
        "now": now,
        "today": timezone.localdate(now),
        "month_start": timezone.localdate(now).replace(day=1),
        "nothing": nothing_assigned(official) if empty and not partial else None,
        "bulk": _bulk_context(tab, official, rows),
    }
    template = "onestop/_queue_rows.html" if partial else "onestop/queue.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- several dossiers at once (bulk forward) ---------------------------------------------------

BULK_MAX = PAGE_SIZE
BULK_TABS = ("mine", "unit")


def _bulk_forwardable(step: DossierStep | None, official: Official) -> bool:
    """A step the official may forward along with others: held by them (services.holds), open,
    and not a leader's approval (approving is done one dossier at a time, on its page)."""
    return (
        step is not None
        and step.role != Role.LEADER
        and step.dossier.status in (Status.RECEIVED, Status.PROCESSING)
        and services.holds(step, official)
    )


def _bulk_context(tab: Tab, official: Official, rows: list[QueueRow]) -> dict[str, Any]:
    """Marks the rows that may be forwarded together; the bulk form shows when any may."""
    if tab.kind != "steps" or tab.key not in BULK_TABS:
        return {}
    for row in rows:
        row.selectable = _bulk_forwardable(row.step, official)
    if not any(row.selectable for row in rows):
        return {}
    return {"url": reverse("onestop:bulk-forward"), "tab": tab.key, "max": BULK_MAX}


@dataclass
class BulkItem:
    code: str
    version: int


def _bulk_items(values: list[str]) -> list[BulkItem] | None:
    """The posted "code:version" pairs (None when one is malformed)."""
    items: list[BulkItem] = []
    for value in values:
        code, _, version = value.rpartition(":")
        if not code or not version.isdigit() or len(code) > 60:
            return None
        if all(i.code != code for i in items):
            items.append(BulkItem(code, int(version)))
    return items


@login_required
@require_POST
def bulk_forward(request: HttpRequest) -> HttpResponse:
    """Forward several dossiers of one procedure at one step together: each through the one
    forward action (services.forward, its own transaction and version check), so a dossier that
    fails is left exactly as it was while the others go on; one result line per dossier."""
    official = _official(request)
    actor = actor_from_request(request)
    tab = request.POST.get("tab", "mine")
    back = redirect(f"{reverse('onestop:queue')}?{urlencode({'tab': tab})}")
    items = _bulk_items(request.POST.getlist("ho_so"))
    if items is None:
        messages.error(request, "Danh sách hồ sơ đã chọn không hợp lệ.")
        return back
    if not items:
        messages.error(request, "Chọn ít nhất một hồ sơ để chuyển.")
        return back
    if len(items) > BULK_MAX:
        messages.error(request, f"Mỗi lần chuyển tối đa {BULK_MAX} hồ sơ.")
        return back
    note = request.POST.get("note", "").strip()
    if len(note) > 2000:
        messages.error(request, "Ý kiến xử lý tối đa 2000 ký tự.")
        return back
    dossiers = {
        d.code: d
        for d in visible_to(actor, Dossier.objects.filter(code__in=[i.code for i in items]))
    }
    steps = {
        st.dossier_id: st
        for st in DossierStep.objects.filter(
            dossier__in=dossiers.values(), status=StepStatus.ACTIVE
        ).select_related("dossier")
    }
    kinds = {
        (d.procedure_id, steps[d.pk].order if d.pk in steps else None) for d in dossiers.values()
    }
    if len(kinds) > 1:
        messages.error(
            request,
            "Chỉ chuyển cùng lúc được các hồ sơ cùng thủ tục và đang ở cùng một bước xử lý. "
            "Không hồ sơ nào được chuyển.",
        )
        return back
    done = 0
    for item in items:
        dossier = dossiers.get(item.code)
        step = steps.get(dossier.pk) if dossier is not None else None
        if dossier is None:
            messages.error(request, f"{item.code}: không tìm thấy hồ sơ.")
            continue
        if not _bulk_forwardable(step, official):
            messages.error(request, f"{item.code}: bạn không thể chuyển hồ sơ này lúc này.")
            continue
        try:
            text = _run_forward(actor, dossier, {"note": note}, item.version)
        except DomainError as exc:
            messages.error(request, f"{item.code}: {exc.message} Hồ sơ chưa được chuyển.")
            continue
        done += 1
        messages.success(request, f"{item.code}: {text}")
    if done and done < len(items):
        messages.warning(request, f"Đã chuyển {done}/{len(items)} hồ sơ; xem lý do từng hồ sơ.")
    elif done:
        messages.info(request, f"Đã chuyển cả {done} hồ sơ.")
    return back


def queue_summary(official: Official) -> dict[str, Any]:
    """Counts for the workspace home (indexed COUNTs that stop at the cap, as on the tabs)."""
    now = timezone.now()
    calendar = WorkingCalendar.for_agency(official.agency_id)
    near = deadlines.near_due_before(now, calendar)
    mine = queue_steps("mine", official)
    summary: dict[str, Any] = {
        "mine": bounded_count(mine),
        "overdue": bounded_count(mine.filter(due_at__lt=now)),
        "near": bounded_count(mine.filter(due_at__gte=now, due_at__lt=near)),
    }
    if official.has_role(Role.RECEIVER):
        summary["online"] = bounded_count(online_dossiers(official))
        summary["to_return"] = bounded_count(queue_steps("return", official))
    if official.has_role(Role.LEADER):
        summary["apologies"] = bounded_count(_letters_to_decide(official))
    if official.has_role(Role.LEADER) or official.has_role(Role.UNIT_HEAD):
        summary["unit"] = bounded_count(queue_steps("unit", official))
    return summary


# --- the dossier page -------------------------------------------------------------------------


def _visible_dossier(actor: Actor, code: str) -> Dossier:
    qs = visible_to(
        actor,
        Dossier.objects.select_related("procedure", "agency", "process_version", "applicant"),
    )
    return get_object_or_404(qs, code=code)


@dataclass
class Situation:
    """What the page knows about a dossier and the official looking at it."""

    dossier: Dossier
    official: Official | None
    steps: list[DossierStep]
    active: DossierStep | None
    pending_letters: list[ApologyLetter]
    actions: list[str] = field(default_factory=list)

    @property
    def next_step(self) -> DossierStep | None:
        pending = [s for s in self.steps if s.status == StepStatus.PENDING]
        return min(pending, key=lambda s: (s.order, s.pk)) if pending else None

    def send_back_choices(self) -> list[tuple[int, str]]:
        if self.active is None:
            return []
        choices: dict[int, str] = {}
        for s in self.steps:
            if s.status != StepStatus.DONE or s.order >= self.active.order:
                continue
            if s.role == Role.RECEIVER and s.order == 1:
                continue
            choices[s.order] = s.name
        return sorted(choices.items())

    def assign_choices(self) -> list[tuple[int, str]]:
        step = self.active
        if step is None:
            return []
        return [(o.pk, o.label) for o in eligible_assignees(step)]


@dataclass
class Assignee:
    pk: int
    name: str
    unit: str
    load: int  # active steps held now
    holds: bool  # holds this step now

    @property
    def label(self) -> str:
        text = self.name + (f" — {self.unit}" if self.unit else "")
        text += f" · đang xử lý {self.load} hồ sơ"
        return text + (" (đang giữ)" if self.holds else "")


def eligible_assignees(step: DossierStep) -> list[Assignee]:
    """Who may be given a step (services.assign: an active official of the step's agency with
    the step's role), the step's unit first, each with their load (active steps held now)."""
    people = (
        Official.objects.filter(
            agency_id=step.agency_id, roles__role=step.role, user__is_active=True
        )
        .select_related("user", "unit")
        .annotate(load=Count("assigned_steps", filter=Q(assigned_steps__status=StepStatus.ACTIVE)))
        .order_by("unit__name", "user__full_name")
    )
    found = [
        Assignee(
            o.pk,
            o.user.get_full_name(),
            o.unit.name if o.unit else "",
            o.load,
            o.pk == step.assignee_id,
        )
        for o in people
    ]
    unit_name = step.unit.name if step.unit_id and step.unit else None
    return sorted(found, key=lambda a: (a.unit != unit_name, a.load, a.name))


def _situation(dossier: Dossier, official: Official | None) -> Situation:
    steps = list(dossier.steps.select_related("agency", "unit", "assignee__user"))
    steps.sort(key=lambda s: (0, s.started_at, s.pk) if s.started_at else (1, s.order, s.pk))
    active = next((s for s in steps if s.status == StepStatus.ACTIVE), None)
    letters = list(
        dossier.apology_letters.filter(status=ApologyLetter.Status.DRAFT).select_related(
            "drafted_by__user"
        )
    )
    situation = Situation(dossier, official, steps, active, letters)
    if official is not None:
        situation.actions = _available_actions(situation, official)
    return situation


def _available_actions(s: Situation, official: Official) -> list[str]:
    """The actions this official may take now: the workflow (status and role) plus the checks the
    services make (holding the active step, the unit head's unit, a leader step)."""
    d = s.dossier
    allowed = set(allowed_actions(d.status))
    receiver = official.has_role(Role.RECEIVER)
    leader = official.has_role(Role.LEADER)
    holder = services.holds(s.active, official)
    # The agency holding the active step answers for the dossier (liên thông: not an agency
    # whose step is done or still ahead); the receiving desk records a withdrawal.
    in_charge = official.agency_id == services.in_charge_agency_id(d, s.active)
    receiving = official.agency_id == d.agency_id
    fees_due = d.payment_state == PaymentState.DUE
    out: list[str] = []
    if "approve_apology" in allowed and leader and holder and s.pending_letters:
        out.append("decide_apology")  # what the leader opened the dossier for
    if "receive" in allowed and receiver and in_charge:
        out += ["receive", "refuse"]
    leader_step = s.active is not None and s.active.role == Role.LEADER
    if "forward" in allowed and holder and (leader or not leader_step):
        # Where the result is an electronic original, the leader approves by signing it.
        signs = leader_step and services.is_signing_step(d, s.active)
        out.append("approve_sign" if signs else "forward")
    if "record_result" in allowed and holder:
        out.append("record_result")
    if "return_result" in allowed and receiver and in_charge and not fees_due:
        out.append("return_result")
    if "request_supplement" in allowed and (
        holder if d.status != Status.NEW else receiver and in_charge
    ):
        out.append("request_supplement")
    if "send_back" in allowed and holder and s.send_back_choices():
        out.append("send_back")
    if (
        "assign" in allowed
        and s.active is not None
        and s.active.agency_id == official.agency_id
        and (
            leader
            or (official.has_role(Role.UNIT_HEAD) and s.active.unit_id in (None, official.unit_id))
        )
    ):
        out.append("assign")
    if "request_payment" in allowed and holder:
        out.append("request_payment")
    # What the payments app holds is paid online or recorded as cash at its desk page.
    if (
        "payment_received" in allowed
        and not fees_due
        and (holder or (receiver and (receiving or in_charge)))
    ):
        out.append("payment_received")
    if "draft_apology" in allowed and holder and d.appointment_at and not s.pending_letters:
        out.append("draft_apology")
    if "withdraw" in allowed and receiver and receiving:
        out.append("withdraw")
    if "stop" in allowed and leader and in_charge:
        out.append("stop")
    return out


# Each action: its form, how to call the service, the success message.
Runner = Callable[[Actor, Dossier, dict[str, Any], int], str]


@dataclass(frozen=True)
class ActionSpec:
    title: str
    button: str
    form: type[ActionForm]
    run: Runner
    help: str = ""
    primary: bool = False
    danger: bool = False
    form_kwargs: Callable[[Situation], dict[str, Any]] = lambda s: {}
    initial: Callable[[Situation], dict[str, Any]] = lambda s: {}


def _local(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%H:%M %d/%m/%Y") if moment else ""


def _run_receive(actor: Actor, d: Dossier, data: dict[str, Any], version: int) -> str:
    done = services.receive_online(actor=actor, dossier=d.code, version=version)
    return f"Đã tiếp nhận hồ sơ {done.code}. Ngày hẹn trả kết quả: {_local(done.appointment_at)}."


def _run_refuse(actor: Actor, d: Dossier, data: dict[str, Any], version: int) -> str:
    services.refuse(actor=actor, dossier=d.code, reason=data["reason"], version=version)
    return "Đã từ chối tiếp nhận hồ sơ. Công dân được thông báo lý do."


def _run_supplement(actor: Actor, d: Dossier, data: dict[str, Any], version: int) -> str:
    request = services.request_supplement(
        actor=actor,
        dossier=d.code,
        reason=data["reason"],
        components=data.get("components") or [],
        other=data.get("other", ""),
        answer_days=data["answer_days"],
        version=version,
    )
    by = f" Hạn bổ sung: {_local(request.answer_by)}." if request.answer_by else ""
    return (
        "Đã gửi yêu cầu bổ sung hồ sơ. Thời hạn giải quyết tạm dừng đến khi công dân bổ sung." + by
    )


def _supplement_components(s: Situation) -> dict[str, Any]:
    return {
        "components": [(c.code, c.name) for c in s.dossier.procedure.components.all()],
    }


def _run_forward(actor: Actor, d: Dossier, data: dict[str, Any], version: int) -> str:
    done = services.forward(actor=actor, dossier=d.code, note=data.get("note", ""), version=version)
    if done.status == Status.DONE:
        return "Hồ sơ đã xử lý xong, chuyển Bộ phận Một cửa trả kết quả."
    step = done.steps.filter(status=StepStatus.ACTIVE).select_related("assignee__user").first()
    if step is None:
        return "Đã chuyển hồ sơ."
    who = step.assignee.user.get_full_name() if step.assignee else "chưa phân công"
    return f"Đã chuyển hồ sơ sang bước “{step.name}” ({who})."


def _run_approve_sign(actor: Actor, d: Dossier, data: dict[str, Any], version: int) -> str:
    signed = services.approve_and_sign(
        actor=actor,
        dossier=d.code,
        code=data["code"],
        note=data.get("note", ""),
        version=version,
    )
    sealed = f", có dấu của {signed.sealed_by}" if signed.sealed_by else ""
    return (
        f"Đã phê duyệt và ký số kết quả “{signed.file.original_name}” (bản chính điện tử"
        f"{sealed}). Hồ sơ chuyển Bộ phận Một cửa trả kết quả."
    )


def _run_send_back(actor: Actor, d: Dossier, data: dict[str, Any], version: int) -> str:
    services.send_back(
        actor=actor,
        dossier=d.code,
        to_order=data["to_order"],
        reason=data["reason"],
        version=version,
    )
    return f"Đã trả hồ sơ về bước {data['to_order']}."


def _run_assign(actor: Actor, d: Dossier, data: dict[str, Any], version: int) -> str:
    step = services.assign(
        actor=actor, dossier=d.code, official_id=data["official"], version=version
    )
    name = step.assignee.user.get_full_name() if step.assignee else ""
    return f"Đã giao bước “{step.name}” cho {name}."


def _run_payment(actor: Actor, d: Dossier, data: dict[str, Any], version: int) -> str:
    services.request_payment(
        actor=actor, dossier=d.code, amount=data["amount"], reason=data["reason"], version=version
    )
    return "Đã yêu cầu thực hiện nghĩa vụ tài chính. Công dân được thông báo số tiền."


def _run_paid(actor: Actor, d: Dossier, data: dict[str, Any], version: int) -> str:
    services.payment_received(
        actor=actor,
        dossier=d.code,
        receipt_number=data.get("receipt_number", ""),
        version=version,
    )
    return "Đã xác nhận công dân nộp phí, hồ sơ tiếp tục được xử lý."


def _run_result(actor: Actor, d: Dossier, data: dict[str, Any], version: int) -> str:
    row = services.record_result(actor=actor, dossier=d.code, upload=data["file"], version=version)
    return f"Đã cập nhật tệp kết quả “{row.original_name}”."


def _run_return(actor: Actor, d: Dossier, data: dict[str, Any], version: int) -> str:
    services.return_result(actor=actor, dossier=d.code, method=data["method"], version=version)
    return f"Đã trả kết quả hồ sơ {d.code} ({ResultDelivery(data['method']).label.lower()})."


def _run_apology(actor: Actor, d: Dossier, data: dict[str, Any], version: int) -> str:
    calendar = WorkingCalendar.for_agency(d.agency_id)
    services.draft_apology(
        actor=actor,
        dossier=d.code,
        reason=data["reason"],
        new_appointment_at=calendar.end_of_day(data["new_date"]),
        version=version,
    )
    return "Đã lập phiếu xin lỗi và hẹn lại ngày trả kết quả, chờ lãnh đạo duyệt."


def _run_decide(actor: Actor, d: Dossier, data: dict[str, Any], version: int) -> str:
    letter = ApologyLetter.objects.filter(pk=data["letter"], dossier=d).first()
    if letter is None:
        raise Http404
    approve = data["decision"] == "approve"
    services.decide_apology(actor=actor, letter_id=letter.pk, approve=approve, version=version)
    if approve:
        return (
            "Đã duyệt phiếu xin lỗi. Ngày hẹn trả mới: "
            f"{_local(letter.new_appointment_at)}; công dân được thông báo."
        )
    return "Đã không duyệt phiếu xin lỗi."


def _run_stop(actor: Actor, d: Dossier, data: dict[str, Any], version: int) -> str:
    services.stop(actor=actor, dossier=d.code, reason=data["reason"], version=version)
    return "Đã dừng xử lý hồ sơ. Công dân được thông báo lý do."


def _run_withdraw(actor: Actor, d: Dossier, data: dict[str, Any], version: int) -> str:
    services.withdraw(actor=actor, dossier=d.code, reason=data["reason"], version=version)
    return "Đã ghi nhận công dân rút hồ sơ."


def _reason_label(label: str) -> Callable[[Situation], dict[str, Any]]:
    return lambda s: {"reason_label": label}


def _forward_title(s: Situation) -> str:
    return (
        "Phê duyệt"
        if s.active is not None and s.active.role == Role.LEADER
        else "Chuyển bước tiếp theo"
    )


ACTIONS: dict[str, ActionSpec] = {
    "receive": ActionSpec(
        "Tiếp nhận hồ sơ",
        "Tiếp nhận hồ sơ",
        ActionForm,
        _run_receive,
        help="Hồ sơ đủ thành phần: ngày hẹn trả tính theo lịch làm việc, quy trình bắt đầu.",
        primary=True,
    ),
    "refuse": ActionSpec(
        "Từ chối tiếp nhận (mẫu 03)",
        "Từ chối tiếp nhận",
        ReasonForm,
        _run_refuse,
        danger=True,
        form_kwargs=_reason_label("Lý do từ chối tiếp nhận"),
    ),
    "forward": ActionSpec(
        "Chuyển bước tiếp theo",
        "Chuyển bước tiếp theo",
        ForwardForm,
        _run_forward,
        primary=True,
    ),
    "approve_sign": ActionSpec(
        "Phê duyệt và ký số kết quả",
        "Ký số và phê duyệt",
        ApproveSignForm,
        _run_approve_sign,
        help="Kết quả được ký bằng chứng thư số của bạn; xem trước bản sẽ ký ở mục "
        "“Kết quả sẽ ký số”.",
        primary=True,
    ),
    "record_result": ActionSpec(
        "Cập nhật kết quả giải quyết",
        "Tải lên kết quả",
        ResultForm,
        _run_result,
        help="Văn bản, giấy tờ kết quả. Thủ tục trả bản chính điện tử: tải lên bản PDF để "
        "lãnh đạo ký số khi phê duyệt.",
    ),
    "return_result": ActionSpec(
        "Trả kết quả",
        "Trả kết quả",
        ReturnForm,
        _run_return,
        primary=True,
        initial=lambda s: {"method": s.dossier.result_delivery},
    ),
    "request_supplement": ActionSpec(
        "Yêu cầu bổ sung hồ sơ (mẫu 02)",
        "Gửi yêu cầu bổ sung",
        SupplementRequestForm,
        _run_supplement,
        help="Thời hạn tạm dừng đến khi công dân bổ sung. Yêu cầu lần thứ hai bị tính trễ hạn.",
        form_kwargs=_supplement_components,
        initial=lambda s: {"answer_days": services.default_answer_days()},
    ),
    "send_back": ActionSpec(
        "Trả lại bước trước",
        "Trả lại",
        SendBackForm,
        _run_send_back,
        form_kwargs=lambda s: {"steps": s.send_back_choices()},
    ),
    "assign": ActionSpec(
        "Phân công xử lý",
        "Phân công",
        AssignForm,
        _run_assign,
        form_kwargs=lambda s: {"officials": s.assign_choices()},
        initial=lambda s: {"official": s.active.assignee_id if s.active else None},
    ),
    "request_payment": ActionSpec(
        "Yêu cầu thực hiện nghĩa vụ tài chính",
        "Gửi yêu cầu nộp phí",
        PaymentForm,
        _run_payment,
        initial=lambda s: {"amount": s.dossier.fee_total or None},
    ),
    "payment_received": ActionSpec(
        "Xác nhận đã nộp phí, lệ phí", "Xác nhận đã nộp", PaymentReceivedForm, _run_paid
    ),
    "draft_apology": ActionSpec(
        "Lập phiếu xin lỗi và hẹn lại (mẫu 04)",
        "Gửi lãnh đạo duyệt",
        ApologyForm,
        _run_apology,
        help="Lập trước khi quá ngày hẹn trả. Lãnh đạo cơ quan duyệt, công dân được thông báo.",
    ),
    "decide_apology": ActionSpec(
        "Duyệt phiếu xin lỗi và hẹn lại", "Duyệt", DecideApologyForm, _run_decide
    ),
    "withdraw": ActionSpec(
        "Rút hồ sơ theo yêu cầu của công dân",
        "Ghi nhận rút hồ sơ",
        ReasonForm,
        _run_withdraw,
        danger=True,
        form_kwargs=_reason_label("Lý do rút hồ sơ"),
    ),
    "stop": ActionSpec(
        "Dừng xử lý hồ sơ",
        "Dừng xử lý",
        ReasonForm,
        _run_stop,
        danger=True,
        form_kwargs=_reason_label("Lý do dừng xử lý"),
    ),
}


@dataclass
class ActionView:
    key: str
    spec: ActionSpec
    title: str
    button: str
    form: forms.Form
    url: str
    prominent: bool = False  # shown open, as a card


def _action_views(s: Situation, bound: tuple[str, forms.Form] | None = None) -> list[ActionView]:
    views: list[ActionView] = []
    for key in s.actions:
        spec = ACTIONS[key]
        title, button = spec.title, spec.button
        if key == "forward":
            title = button = _forward_title(s)
        if bound is not None and bound[0] == key:
            form = bound[1]
        elif key == "decide_apology":
            form = spec.form(prefix=key, initial={"version": s.dossier.version}, auto_id=False)
        else:
            form = spec.form(
                prefix=key,
                initial={"version": s.dossier.version, **spec.initial(s)},
                **spec.form_kwargs(s),
            )
        prominent = False
        if key == "assign" and s.active is not None and s.active.assignee_id:
            # A unit head or leader reassigns the step (the load of each candidate shown).
            title, button, prominent = "Phân công lại", "Phân công lại", True
        url = reverse("onestop:action", args=[s.dossier.code, key])
        views.append(ActionView(key, spec, title, button, form, url, prominent))
    return views


def _step_marks(s: Situation, now: datetime) -> list[tuple[DossierStep, Mark]]:
    calendar = WorkingCalendar.for_agency(s.dossier.agency_id)
    marks = []
    for step in s.steps:
        if step.status == StepStatus.ACTIVE:
            paused = s.dossier.status == Status.SUPPLEMENT_REQUESTED
            mark = PAUSED if paused else deadline_mark(step.due_at, now, calendar)
        elif step.status in (StepStatus.DONE, StepStatus.SENT_BACK):
            mark = finished_mark(step.finished_at, step.due_at)
        else:
            mark = NO_MARK
        marks.append((step, mark))
    return marks


def _render_dossier(
    request: HttpRequest,
    dossier: Dossier,
    official: Official | None,
    bound: tuple[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    s = _situation(dossier, official)
    now = timezone.now()
    on_time = services.is_on_time(dossier)
    files = list(dossier.files.select_related("component").order_by("kind", "pk"))
    forms_data = _form_data(dossier)
    context: dict[str, Any] = {
        "dossier": dossier,
        "official": official,
        "situation": s,
        "steps": _step_marks(s, now),
        "timeline": dossier_services.timeline(dossier),
        "files": files,
        "forms_data": forms_data,
        "actions": _action_views(s, bound),
        "on_time": on_time,
        "kept_promise": services.kept_promise(dossier),
        "fee_lines": shown_lines(dossier),
        "cash_desk": official is not None and official.has_role(Role.RECEIVER),
        "supplements": list(dossier.supplement_requests.select_related("requested_by__user")),
        "letters": list(
            dossier.apology_letters.select_related("drafted_by__user", "decided_by__user").order_by(
                "pk"
            )
        ),
        "acting_for": (
            s.active.assignee
            if s.active
            and official
            and s.active.assignee_id not in (None, official.pk)
            and s.actions
            else None
        ),
    }
    context["signing"] = _signing_preview(s) if "approve_sign" in s.actions else None
    signed = {r.file_id: r for r in dossier.signed_results.all()}
    for f in files:
        f.signed_result = signed.get(f.pk)  # type: ignore[attr-defined]
    return render(request, "onestop/dossier.html", context, status=status)


@dataclass
class SigningPreview:
    """What the leader is shown before signing: the draft, who signs, the seal, the pages."""

    plan: services.SigningPlan | None
    problem: str = ""
    pages: list[int] = field(default_factory=list)


PREVIEW_PAGES = 5


def _signing_preview(s: Situation) -> SigningPreview:
    assert s.official is not None
    try:
        plan = services.signing_plan(s.dossier, s.official)
    except DomainError as exc:
        return SigningPreview(None, exc.message)
    count = plan.draft.page_count or 1
    return SigningPreview(plan, pages=list(range(1, min(count, PREVIEW_PAGES) + 1)))


def _preview_for(request: HttpRequest, code: str) -> bytes:
    """The signed look of a dossier's result, for the leader who may sign it now only."""
    official = _official(request)
    dossier = _visible_dossier(actor_from_request(request), code)
    s = _situation(dossier, official)
    if "approve_sign" not in s.actions:
        raise Http404
    try:
        return services.preview_result(dossier, official)
    except DomainError as exc:
        raise Http404(exc.message) from exc


@login_required
def result_preview_pdf(request: HttpRequest, code: str) -> HttpResponse:
    response = HttpResponse(_preview_for(request, code), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="xem-truoc-ket-qua-{code}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def result_preview_page(request: HttpRequest, code: str, page: int) -> HttpResponse:
    from egov.signing.services import page_images

    if not 1 <= page <= PREVIEW_PAGES:
        raise Http404
    try:
        images = page_images(_preview_for(request, code), dpi=80, first=page, last=page)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    if not images:
        raise Http404
    response = HttpResponse(images[0], content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    return response


def _form_data(dossier: Dossier) -> list[tuple[str, list[tuple[str, Any]]]]:
    """The online declaration (tờ khai) as the applicant filled it, with the form's labels."""
    if not dossier.form_data:
        return []
    out = []
    for component in dossier.procedure.components.all():
        values = dossier.form_data.get(component.code) or {}
        if not values:
            continue
        fields = {f.get("name"): f for f in (component.form_schema or {}).get("fields", [])}
        out.append(
            (
                component.name,
                [
                    (fields.get(k, {}).get("label", k), _shown_value(fields.get(k, {}), v))
                    for k, v in values.items()
                ],
            )
        )
    return out


def _shown_value(field: dict[str, Any], value: Any) -> Any:
    """A declared value as officials read it: dates as dd/mm/yyyy (stored ISO), yes/no."""
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if field.get("type") == "date" and isinstance(value, str):
        try:
            return date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return value


def _official_or_none(request: HttpRequest) -> Official | None:
    user: Any = request.user
    if getattr(user, "kind", "") != "official":
        return None
    return _official(request)


@login_required
def dossier_detail(request: HttpRequest, code: str) -> HttpResponse:
    actor = _staff_actor(request)
    dossier = _visible_dossier(actor, code)
    return _render_dossier(request, dossier, _official_or_none(request))


def _field_for(form: forms.Form, name: str) -> str | None:
    aliases = {
        "new_appointment_at": "new_date",
        "official": "official",
        "to_order": "to_order",
        "items": "components",
    }
    target = aliases.get(name, name)
    return target if target in form.fields else None


@login_required
@require_POST
def dossier_action(request: HttpRequest, code: str, action: str) -> HttpResponse:
    official = _official(request)
    actor = actor_from_request(request)
    dossier = _visible_dossier(actor, code)
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404
    back = redirect("onestop:dossier", code=dossier.code)
    posted = request.POST.get(f"{action}-version", "")
    if posted.isdigit() and int(posted) != dossier.version:
        messages.error(
            request,
            "Hồ sơ vừa được người khác xử lý. Vui lòng xem lại trạng thái mới rồi thao tác.",
        )
        return back
    s = _situation(dossier, official)
    if action not in s.actions:
        transition = TRANSITIONS.get(action)
        label = transition.label if transition else spec.title
        messages.error(
            request,
            f"Bạn không thể “{label.lower()}” hồ sơ này lúc này "
            f"(trạng thái “{dossier.get_status_display()}”).",
        )
        return back
    kwargs = {} if action == "decide_apology" else spec.form_kwargs(s)
    form = spec.form(request.POST, request.FILES, prefix=action, **kwargs)
    if not form.is_valid():
        messages.error(request, "Vui lòng kiểm tra lại thông tin đã nhập.")
        return _render_dossier(request, dossier, official, (action, form), status=400)
    data = form.cleaned_data
    try:
        text = spec.run(actor, dossier, data, data["version"])
    except Conflict as exc:
        messages.error(request, exc.message)
        return back
    except DomainError as exc:
        for name, errors in exc.fields.items():
            target = _field_for(form, name)
            for error in errors if isinstance(errors, (list, tuple)) else [errors]:
                form.add_error(target, str(error))
        messages.error(request, exc.message)
        dossier.refresh_from_db()
        return _render_dossier(request, dossier, official, (action, form), status=400)
    messages.success(request, text)
    return back


@login_required
def dossier_file(request: HttpRequest, code: str, file_id: int) -> FileResponse:
    """A dossier's file, only for those who may see the dossier (visible_to on DossierFile)."""
    actor = _staff_actor(request)
    row = get_object_or_404(
        visible_to(actor, DossierFile.objects.select_related("dossier")),
        pk=file_id,
        dossier__code=code,
    )
    return file_download(row)


@login_required
def receipt(request: HttpRequest, code: str) -> HttpResponse:
    """Form 01 for a dossier the official may see, to print at the desk."""
    actor = _staff_actor(request)
    dossier = _visible_dossier(actor, code)
    if dossier.received_at is None and dossier.status != Status.NEW:
        raise Http404
    tracking = request.build_absolute_uri(reverse("portal:lookup") + f"?code={dossier.code}")
    response = HttpResponse(
        receipt_pdf(dossier, tracking_url=tracking), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="giay-tiep-nhan-{dossier.code}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- in-person reception ---------------------------------------------------------------------


@login_required
def reception(request: HttpRequest) -> HttpResponse:
    official = _official(request)
    if not official.has_role(Role.RECEIVER):
        raise PermissionDenied("Cần vai trò cán bộ tiếp nhận Một cửa.")
    actor = actor_from_request(request)
    query = request.GET.get("q", "").strip()[:200]
    # What this desk receives: its agency's procedures and, at the provincial centre, the
    # departments' it receives for (catalog.ReceptionDesk).
    received = desk_procedures(official.agency_id)
    if query:
        ids = set(received.values_list("pk", flat=True))
        choices = [p for p in search_procedures(query, limit=500) if p.pk in ids][:50]
    else:
        choices = list(received.select_related("sector").order_by("sector__name", "name")[:1000])
    chooser = ProcedureChoiceForm(request.GET or None, procedures=choices)
    code = request.POST.get("procedure") or request.GET.get("thu_tuc", "")
    procedure = (
        received.filter(code=code).prefetch_related("components", "fees").first() if code else None
    )
    if procedure is None:
        if code:
            messages.error(request, "Cơ quan của bạn không thực hiện thủ tục này.")
        return render(
            request,
            "onestop/reception.html",
            {"chooser": chooser, "query": query, "choices": choices, "official": official},
        )
    if request.method == "POST":
        form = ReceptionForm(procedure, request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                dossier = services.receive_in_person(
                    actor=actor,
                    procedure_code=procedure.code,
                    applicant=services.Applicant(
                        kind=data["applicant_kind"],
                        name=data["applicant_name"],
                        id_number=data["applicant_id_number"],
                        phone=data.get("applicant_phone", ""),
                        email=data.get("applicant_email", ""),
                        address=data.get("applicant_address", ""),
                    ),
                    uploads=form.uploads(),
                    channel=data["channel"],
                    result_delivery=data["result_delivery"],
                    delivery_address=data.get("delivery_address", ""),
                    summary=data.get("summary", ""),
                    set_count=data.get("set_count") or 1,
                    fees=form.requested_fees(),
                    agency_identifier=request.POST.get("co_quan", "")[:20],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                for name, errors in exc.fields.items():
                    target = name if name in form.fields else form.component_field(name)
                    for error in errors if isinstance(errors, (list, tuple)) else [errors]:
                        form.add_error(target, str(error))
            else:
                messages.success(
                    request,
                    f"Đã tiếp nhận hồ sơ {dossier.code}. Ngày hẹn trả kết quả: "
                    f"{_local(dossier.appointment_at)}. "
                    "In Giấy tiếp nhận (mẫu 01) để giao công dân.",
                )
                return redirect("onestop:dossier", code=dossier.code)
        status = 400
    else:
        form = ReceptionForm(procedure)
        status = 200
    return render(
        request,
        "onestop/reception_form.html",
        {"form": form, "procedure": procedure, "official": official},
        status=status,
    )
