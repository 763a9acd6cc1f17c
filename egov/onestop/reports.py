"""Form 05 (process control sheet) and form 06 (dossier register), as data, PDF and XLSX.

The control sheet is rebuilt from the dossier's events, the single record of what happened: each
hand-over (who gave the dossier to whom, for which step, when it was received, its due time, when
the step was finished, on time or late), the supplement pauses and the apology letters. It does
not read the steps table, so it shows the history as it was recorded even after re-opened steps.
An apology letter promises a date (ngày hẹn lại) without moving the legal appointment: the sheet
judges on time or late by the latter and says apart whether the promise was kept.

The register lists the dossiers an agency received in a period (local dates, Asia/Ho_Chi_Minh),
judging those still open with the period's end (the 766 rule, `services.is_on_time`).

Both printed forms follow Circular 01/2018/TT-VPCP (Mẫu số 05 and Mẫu số 06; the decree they
served, 61/2018/NĐ-CP, is replaced by Decree 118/2025/NĐ-CP, whose forms could not be checked
here, so the labels are the 2018 ones as recalled: unverified against the 2025 text).
Form 06's columns, in the PDF and the XLSX alike (REGISTER_COLUMNS): entry number, dossier code,
procedure, number of sets, applicant, address and phone, lead agency (cơ quan chủ trì giải
quyết), received, appointment (as given at reception), transferred to the lead agency, result
received back from it, result returned to the applicant, the applicant's signature (left blank,
signed on paper) and notes. The notes carry what the legal form has no column for: the channel,
the status, on time or late, and a later appointment.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from egov.core import xlsx
from egov.core.dates import check_day
from egov.core.errors import DomainError
from egov.core.pdfrender import render_pdf
from egov.dossiers import event_types as E
from egov.dossiers.models import Channel, Dossier, Status
from egov.events.catalogue import read_payload
from egov.events.models import Event
from egov.org.models import Agency, Role
from egov.workcalendar.services import VN_TZ, WorkingCalendar

from . import services
from .models import DossierStep

ON_TIME = "Đúng hạn"
LATE = "Trễ hạn"
IN_PROGRESS = "Đang xử lý"
PAUSED = "Tạm dừng (chờ bổ sung)"
NOT_JUDGED = "—"

# WeasyPrint needs about a second per few hundred table rows: longer registers go to XLSX.
REGISTER_PDF_MAX_ROWS = 2000

OUTCOMES = {
    E.FORWARDED.name: "Chuyển bước tiếp theo",
    E.APPROVED.name: "Phê duyệt",
    E.ASSIGNED.name: "Phân công người khác xử lý",
    E.SENT_BACK.name: "Trả lại bước trước",
    E.RETURNED.name: "Đã trả kết quả",
    E.STOPPED.name: "Dừng xử lý",
    E.WITHDRAWN.name: "Rút hồ sơ theo yêu cầu",
}
# The events form 05 is replayed from (the others, a reminder or a rating, leave no row).
SHEET_EVENTS = frozenset(
    t.name
    for t in (
        E.SUBMITTED,
        E.RECEIVED,
        E.REFUSED,
        E.STEP_STARTED,
        E.ASSIGNED,
        E.FORWARDED,
        E.APPROVED,
        E.SENT_BACK,
        E.DONE,
        E.RETURNED,
        E.STOPPED,
        E.WITHDRAWN,
        E.SUPPLEMENT_REQUESTED,
        E.SUPPLEMENT_PROVIDED,
        E.APOLOGY_APPROVED,
    )
)


def on_time_label(on_time: bool | None, *, open_: bool = False, paused: bool = False) -> str:
    if on_time is True:
        return ON_TIME
    if on_time is False:
        return LATE
    if paused:
        return PAUSED
    return IN_PROGRESS if open_ else NOT_JUDGED


def local(value: datetime | None) -> datetime | None:
    return timezone.localtime(value, VN_TZ) if value else None


# --- form 05: process control sheet --------------------------------------------------------------


@dataclass
class HandOver:
    """One row of the sheet: the dossier handed from one official to another for a step."""

    step: int | None
    step_name: str
    from_official: str
    from_unit: str
    from_agency: str
    to_official: str
    to_unit: str
    to_agency: str
    received_at: datetime
    due_at: datetime | None = None
    done_at: datetime | None = None
    outcome: str = ""
    note: str = ""
    on_time: bool | None = None
    transferred: bool = False
    paused: bool = False

    @property
    def is_open(self) -> bool:
        return self.done_at is None

    @property
    def on_time_label(self) -> str:
        return on_time_label(self.on_time, open_=self.is_open, paused=self.paused)


@dataclass
class Pause:
    """A supplement request (form 02): the clock stops until the applicant answers."""

    requested_at: datetime
    requested_by: str
    reason: str
    answered_at: datetime | None = None
    paused: timedelta | None = None

    @property
    def paused_hours(self) -> float | None:
        return round(self.paused.total_seconds() / 3600, 2) if self.paused is not None else None


@dataclass
class Extension:
    """An approved apology letter (form 04): the date it promised (`new_appointment_at`); the
    legal appointment stays."""

    approved_at: datetime
    approved_by: str
    reason: str
    previous_appointment_at: datetime | None
    new_appointment_at: datetime | None


@dataclass
class ControlSheet:
    dossier: Dossier
    received_at: datetime | None
    first_appointment_at: datetime | None
    handovers: list[HandOver] = field(default_factory=list)
    pauses: list[Pause] = field(default_factory=list)
    extensions: list[Extension] = field(default_factory=list)
    on_time: bool | None = None
    kept_promise: bool | None = None  # None: no apology letter promised a date
    printed_at: datetime = field(default_factory=timezone.now)

    @property
    def on_time_label(self) -> str:
        return on_time_label(self.on_time, open_=self.dossier.finished_at is None)

    def _agencies(self) -> list[str]:
        """The agencies the dossier was handed to after reception, in order, once each."""
        seen: list[str] = []
        for row in self.handovers[1:]:
            if row.to_agency and row.to_agency not in seen:
                seen.append(row.to_agency)
        return seen

    @property
    def lead_agency(self) -> str:
        """Cơ quan (bộ phận) giải quyết hồ sơ: the first the desk handed the dossier to."""
        agencies = self._agencies()
        return agencies[0] if agencies else self.dossier.agency.name

    @property
    def coordinating_agencies(self) -> list[str]:
        """Cơ quan phối hợp: the others that held a step (the receiving desk's agency aside)."""
        return [a for a in self._agencies()[1:] if a != self.dossier.agency.name]

    @property
    def promise_label(self) -> str:
        if self.kept_promise is None:
            return NOT_JUDGED
        return "Đúng ngày hẹn lại" if self.kept_promise else "Trễ ngày hẹn lại"


def _who(payload: E.DossierPayload) -> tuple[str, str, str]:
    return (payload.official, payload.unit_name, payload.agency_name)


def _judge(row: HandOver) -> bool | None:
    if row.done_at is None or row.due_at is None:
        return None
    return row.done_at <= row.due_at


def control_sheet(dossier: Dossier, *, now: datetime | None = None) -> ControlSheet:
    """Form 05 of a dossier, replayed from its events."""
    now = now or timezone.now()
    calendar = WorkingCalendar.for_agency(dossier.agency_id)
    events = Event.objects.filter(subject_type="dossier", subject_id=dossier.code).order_by("id")
    sheet = ControlSheet(
        dossier=dossier,
        received_at=dossier.received_at,
        first_appointment_at=None,
        printed_at=now,
    )
    applicant = (dossier.applicant_name, "", "Tổ chức, công dân")
    sender = applicant
    submitted_at: datetime | None = None
    current: HandOver | None = None
    pause: Pause | None = None

    def close(at: datetime, event_type: str, payload: E.DossierPayload, extra: str = "") -> None:
        nonlocal current
        if current is None:
            return
        current.done_at = at
        current.outcome = OUTCOMES.get(event_type, event_type) + (f": {extra}" if extra else "")
        if isinstance(payload, E.StepFinished) and payload.due_at:  # forwarded, approved
            current.due_at = payload.due_at  # the engine's due time, pauses included
        if not current.to_official and payload.official and event_type != E.ASSIGNED.name:
            current.to_official = payload.official
        current.on_time = _judge(current)
        current = None

    def open_row(row: HandOver) -> None:
        nonlocal current
        sheet.handovers.append(row)
        current = row

    for event in events:
        at = event.occurred_at
        kind = event.event_type
        if kind not in SHEET_EVENTS:
            continue
        payload = read_payload(kind, event.payload or {})  # typed, by the declared schema
        if kind == E.SUBMITTED.name:
            submitted_at = at
        elif kind in (E.RECEIVED.name, E.REFUSED.name):
            to = _who(payload)
            online = dossier.channel == Channel.ONLINE
            row = HandOver(
                step=1,
                step_name="Tiếp nhận hồ sơ",
                from_official=applicant[0],
                from_unit=applicant[1],
                from_agency=applicant[2],
                to_official=to[0],
                to_unit=to[1],
                to_agency=to[2],
                received_at=submitted_at if online and submitted_at else at,
                done_at=at,
                outcome="Tiếp nhận, hẹn trả kết quả"
                if kind == E.RECEIVED.name
                else f"Từ chối tiếp nhận: {payload.reason}",
                # Reception at the desk is immediate; an online check has no recorded due time.
                on_time=None if online else True,
            )
            sheet.handovers.append(row)
            if isinstance(payload, E.Received):
                sheet.received_at = sheet.received_at or at
                sheet.first_appointment_at = payload.appointment_at
            sender = to
        elif isinstance(payload, E.StepStarted):
            open_row(
                HandOver(
                    step=payload.step,
                    step_name=payload.step_name,
                    from_official=sender[0],
                    from_unit=sender[1],
                    from_agency=sender[2],
                    to_official=payload.assignee,
                    to_unit=payload.unit_name,
                    to_agency=payload.agency_name,
                    received_at=at,
                    due_at=payload.due_at,
                    transferred=payload.transferred,
                )
            )
        elif isinstance(payload, E.Assigned):
            previous = current
            close(at, kind, payload, payload.assignee)
            by = _who(payload)
            open_row(
                HandOver(
                    step=payload.step,
                    step_name=payload.step_name,
                    from_official=by[0],
                    from_unit=by[1],
                    from_agency=by[2],
                    to_official=payload.assignee,
                    to_unit=previous.to_unit if previous else by[1],
                    to_agency=previous.to_agency if previous else by[2],
                    received_at=at,
                    due_at=previous.due_at if previous else None,
                )
            )
        elif isinstance(payload, E.StepFinished):  # forwarded, approved
            if current is not None:
                current.note = payload.note
            close(at, kind, payload)
            sender = _who(payload)
        elif isinstance(payload, E.SentBack):
            reason = payload.reason
            close(at, kind, payload, f"bước {payload.to_step}")
            if sheet.handovers and sheet.handovers[-1].done_at == at:
                sheet.handovers[-1].note = reason
            sender = _who(payload)
            _open_next(sheet, payload, sender, at, open_row)
        elif isinstance(payload, E.Done):
            close(at, kind, payload)
            sender = _who(payload)
            _open_next(sheet, payload, sender, at, open_row)
        elif kind in (E.RETURNED.name, E.STOPPED.name, E.WITHDRAWN.name):
            if current is not None and isinstance(payload, E.Reason):  # stopped, withdrawn
                current.note = payload.reason
            close(at, kind, payload)
        elif isinstance(payload, E.SupplementRequested):
            pause = Pause(requested_at=at, requested_by=payload.official, reason=payload.reason)
            sheet.pauses.append(pause)
        elif kind == E.SUPPLEMENT_PROVIDED.name and pause is not None:
            pause.answered_at = at
            pause.paused = max(calendar.working_time_between(pause.requested_at, at), timedelta())
            if current is not None and current.due_at is not None and pause.paused:
                # The engine moves the open step's due time by the working time spent waiting.
                current.due_at = calendar.add_working_hours(current.due_at, pause.paused)
            pause = None
        elif isinstance(payload, E.DeadlineMoved):
            if current is not None and payload.step_due_at is not None:
                # A day off entered inside the deadline moved the open step's due time.
                current.due_at = payload.step_due_at
        elif isinstance(payload, E.ApologyApproved):
            sheet.extensions.append(
                Extension(
                    approved_at=at,
                    approved_by=payload.official,
                    reason=payload.reason,
                    previous_appointment_at=payload.previous_appointment_at,
                    new_appointment_at=payload.promise,
                )
            )

    if current is not None:
        # Still open: late once its due time has passed, unless the clock is stopped.
        if pause is not None:
            current.paused = True
        elif current.due_at is not None and now > current.due_at:
            current.on_time = False
    sheet.first_appointment_at = sheet.first_appointment_at or dossier.appointment_at
    sheet.on_time = services.is_on_time(dossier, now)
    if dossier.finished_at is not None:
        sheet.kept_promise = services.kept_promise(dossier)
    return sheet


def _open_next(
    sheet: ControlSheet,
    payload: E.Done | E.SentBack,
    sender: tuple[str, str, str],
    at: datetime,
    open_row: Any,
) -> None:
    """Sending back and finishing processing hand the dossier on without a step_started event:
    the engine records the next holder in the event (`next_*`)."""
    order = payload.next_step
    if order is None and isinstance(payload, E.SentBack):
        order = payload.to_step
    if order is None:
        return
    earlier = next((r for r in reversed(sheet.handovers) if r.step == order), None)
    open_row(
        HandOver(
            step=order,
            step_name=payload.next_step_name
            or (
                earlier.step_name
                if earlier
                else payload.step_name
                if isinstance(payload, E.SentBack)
                else ""
            ),
            from_official=sender[0],
            from_unit=sender[1],
            from_agency=sender[2],
            to_official=payload.next_assignee or (earlier.to_official if earlier else ""),
            to_unit=payload.next_unit_name or (earlier.to_unit if earlier else ""),
            to_agency=payload.next_agency_name or (earlier.to_agency if earlier else ""),
            received_at=at,
            due_at=payload.next_due_at,
        )
    )


def control_sheet_pdf(sheet: ControlSheet) -> bytes:
    return render_pdf("onestop/pdf/control_sheet.html", {"sheet": sheet, "dossier": sheet.dossier})


def _naive(value: datetime | None) -> datetime | None:
    """openpyxl cannot store aware datetimes: local wall-clock time, as printed."""
    moment = local(value)
    return moment.replace(tzinfo=None) if moment else None


DATETIME_FORMAT = "dd/mm/yyyy hh:mm"


def _workbook() -> Any:
    from openpyxl import Workbook

    return Workbook()


def _put(sheet: Any, values: list[Any]) -> None:
    """Append a row whose text stays text (egov.core.xlsx)."""
    sheet.append(xlsx.row(sheet, values))


def _style_table(sheet: Any, header_row: int, widths: list[int]) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
        cell = sheet.cell(row=header_row, column=i)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    for row in sheet.iter_rows(min_row=header_row + 1):
        for cell in row:
            if isinstance(cell.value, datetime):
                cell.number_format = DATETIME_FORMAT
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def control_sheet_xlsx(sheet: ControlSheet) -> bytes:
    from openpyxl.styles import Font

    dossier = sheet.dossier
    book = _workbook()
    ws = book.active
    ws.title = "Phiếu kiểm soát"
    _put(ws, ["PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ"])
    ws["A1"].font = Font(bold=True, size=14)
    header: list[tuple[str, Any]] = [
        ("Mã hồ sơ", dossier.code),
        ("Thủ tục", f"{dossier.procedure.name} ({dossier.procedure.code})"),
        ("Chủ hồ sơ", dossier.applicant_name),
        ("Cơ quan tiếp nhận", dossier.agency.name),
        ("Cơ quan (bộ phận) giải quyết hồ sơ", sheet.lead_agency),
        ("Cơ quan phối hợp giải quyết hồ sơ", "; ".join(sheet.coordinating_agencies)),
        ("Ngày tiếp nhận", _naive(sheet.received_at)),
        ("Ngày hẹn trả", _naive(sheet.first_appointment_at)),
        ("Ngày hẹn trả hiện tại", _naive(dossier.appointment_at)),
        ("Ngày hẹn lại (phiếu xin lỗi)", _naive(dossier.promised_at)),
        ("Trạng thái", dossier.get_status_display()),
        ("Kết quả (đúng hạn/trễ hạn)", sheet.on_time_label),
        ("So với ngày hẹn lại", sheet.promise_label),
    ]
    for label, value in header:
        _put(ws, [label, value])
        if isinstance(value, datetime):
            ws.cell(row=ws.max_row, column=2).number_format = DATETIME_FORMAT
    _put(ws, [])
    columns = [
        ("TT", 5),
        ("Bước", 6),
        ("Tên bước", 26),
        ("Bên giao: người giao", 20),
        ("Bên giao: đơn vị", 20),
        ("Bên giao: cơ quan", 24),
        ("Bên nhận: người nhận", 20),
        ("Bên nhận: đơn vị", 20),
        ("Bên nhận: cơ quan", 24),
        ("Thời điểm nhận", 17),
        ("Hạn xử lý", 17),
        ("Thời điểm hoàn thành", 17),
        ("Kết quả", 24),
        ("Đúng hạn/Trễ hạn", 14),
        ("Ghi chú", 30),
    ]
    _put(ws, [c for c, _ in columns])
    header_row = ws.max_row
    for i, row in enumerate(sheet.handovers, start=1):
        _put(
            ws,
            [
                i,
                row.step,
                row.step_name,
                row.from_official,
                row.from_unit,
                row.from_agency,
                row.to_official,
                row.to_unit,
                row.to_agency,
                _naive(row.received_at),
                _naive(row.due_at),
                _naive(row.done_at),
                row.outcome + (" (liên thông)" if row.transferred else ""),
                row.on_time_label,
                row.note,
            ],
        )
    _style_table(ws, header_row, [w for _, w in columns])
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)

    pauses = book.create_sheet("Tạm dừng bổ sung")
    _put(
        pauses,
        ["TT", "Ngày yêu cầu", "Người yêu cầu", "Nội dung", "Ngày bổ sung", "Thời gian dừng (giờ)"],
    )
    for i, p in enumerate(sheet.pauses, start=1):
        _put(
            pauses,
            [
                i,
                _naive(p.requested_at),
                p.requested_by,
                p.reason,
                _naive(p.answered_at),
                p.paused_hours,
            ],
        )
    _style_table(pauses, 1, [5, 17, 22, 40, 17, 14])

    extensions = book.create_sheet("Gia hạn (xin lỗi)")
    _put(extensions, ["TT", "Ngày duyệt", "Người duyệt", "Lý do", "Ngày hẹn cũ", "Ngày hẹn mới"])
    for i, e in enumerate(sheet.extensions, start=1):
        _put(
            extensions,
            [
                i,
                _naive(e.approved_at),
                e.approved_by,
                e.reason,
                _naive(e.previous_appointment_at),
                _naive(e.new_appointment_at),
            ],
        )
    _style_table(extensions, 1, [5, 17, 22, 40, 17, 17])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- form 06: dossier register -------------------------------------------------------------------


# Form 06's columns (Mẫu số 06), the PDF's and the XLSX's, with the XLSX column widths.
REGISTER_COLUMNS = [
    ("Số thứ tự", 8),
    ("Mã hồ sơ", 24),
    ("Tên thủ tục hành chính", 40),
    ("Số lượng hồ sơ (bộ)", 9),
    ("Tên cá nhân, tổ chức", 26),
    ("Địa chỉ, số điện thoại", 30),
    ("Cơ quan chủ trì giải quyết", 26),
    ("Nhận hồ sơ", 17),
    ("Hẹn trả kết quả", 17),
    ("Chuyển hồ sơ đến cơ quan chủ trì giải quyết", 17),
    ("Nhận kết quả từ cơ quan giải quyết", 17),
    ("Trả kết quả cho cá nhân, tổ chức", 17),
    ("Ký nhận", 14),
    ("Ghi chú", 40),
]


@dataclass
class RegisterRow:
    index: int
    code: str
    procedure_code: str
    procedure_name: str
    applicant_name: str
    channel: str
    received_at: datetime | None
    appointment_at: datetime | None
    finished_at: datetime | None
    returned_at: datetime | None
    status: int
    status_label: str
    on_time: bool | None
    register_number: int | None = None
    set_count: int = 1
    applicant_address: str = ""
    applicant_phone: str = ""
    lead_agency: str = ""
    # As given at reception (form 01); `appointment_at` is the current one.
    received_appointment_at: datetime | None = None
    transferred_at: datetime | None = None
    result_received_at: datetime | None = None

    @property
    def on_time_label(self) -> str:
        return on_time_label(self.on_time)

    @property
    def address_phone(self) -> str:
        return "; ".join(p for p in (self.applicant_address, self.applicant_phone) if p)

    @property
    def notes(self) -> str:
        parts = [self.channel, self.status_label, self.on_time_label]
        moved = self.appointment_at and self.appointment_at != self.received_appointment_at
        if moved and self.received_appointment_at is not None:
            parts.append(f"Hẹn lại: {local(self.appointment_at):%H:%M %d/%m/%Y}")
        return "; ".join(p for p in parts if p and p != NOT_JUDGED)


@dataclass
class Register:
    agency: Agency
    date_from: date
    date_to: date
    rows: list[RegisterRow]
    printed_at: datetime = field(default_factory=timezone.now)

    @property
    def totals(self) -> dict[str, int]:
        finished = [r for r in self.rows if r.finished_at is not None]
        return {
            "total": len(self.rows),
            "finished": len(finished),
            "open": len(self.rows) - len(finished),
            "on_time": sum(1 for r in self.rows if r.on_time is True),
            "late": sum(1 for r in self.rows if r.on_time is False),
            "returned": sum(1 for r in self.rows if r.status == Status.RETURNED),
        }


def period_bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """[start, end) of a period of local dates; `end` is midnight after the last day."""
    check_day(date_from, "from")
    check_day(date_to, "to")
    if date_to < date_from:
        raise DomainError(
            "Ngày kết thúc phải không trước ngày bắt đầu.",
            code="invalid",
            fields={"to": ["Không hợp lệ."]},
        )
    if (date_to - date_from).days > 366:
        raise DomainError("Kỳ báo cáo tối đa một năm.", code="invalid", fields={"to": ["Quá dài."]})
    start = datetime.combine(date_from, time.min, VN_TZ)
    end = datetime.combine(date_to + timedelta(days=1), time.min, VN_TZ)
    return start, end


def register_queryset(agency: Agency | int, date_from: date, date_to: date) -> QuerySet[Dossier]:
    start, end = period_bounds(date_from, date_to)
    agency_id = agency if isinstance(agency, int) else agency.pk
    # The steps after reception: the first one's agency leads (chủ trì) the dossier, and the
    # desk handed the dossier over when the first of them started.
    processing = DossierStep.objects.filter(dossier=OuterRef("pk")).exclude(role=Role.RECEIVER)
    return (
        Dossier.objects.filter(agency_id=agency_id, received_at__gte=start, received_at__lt=end)
        .select_related("procedure")
        .annotate(
            lead_agency=Subquery(processing.order_by("order", "id").values("agency__name")[:1]),
            transferred_at=Subquery(
                processing.filter(started_at__isnull=False)
                .order_by("started_at", "id")
                .values("started_at")[:1]
            ),
        )
        .order_by("received_at", "id")
    )


def register_rows(qs: QuerySet[Dossier], date_to: date) -> Iterator[RegisterRow]:
    period_end = datetime.combine(date_to, time.max, VN_TZ)
    channels = dict(Channel.choices)
    statuses = dict(Status.choices)
    for i, d in enumerate(qs.iterator(chunk_size=1000), start=1):
        result_back = d.status in (Status.DONE, Status.RETURNED)
        yield RegisterRow(
            index=i,
            code=d.code,
            procedure_code=d.procedure.code,
            procedure_name=d.procedure.name,
            applicant_name=d.applicant_name,
            channel=str(channels.get(d.channel, d.channel)),
            received_at=d.received_at,
            appointment_at=d.appointment_at,
            finished_at=d.finished_at,
            returned_at=d.returned_at,
            status=d.status,
            status_label=str(statuses.get(d.status, d.status)),
            on_time=services.is_on_time(d, period_end),
            register_number=d.register_number,
            set_count=d.set_count,
            applicant_address=d.applicant_address,
            applicant_phone=d.applicant_phone,
            lead_agency=getattr(d, "lead_agency", None) or "",
            received_appointment_at=d.received_appointment_at or d.appointment_at,
            transferred_at=getattr(d, "transferred_at", None),
            result_received_at=d.finished_at if result_back else None,
        )


def register(agency: Agency, date_from: date, date_to: date) -> Register:
    """Form 06 for an agency and a period. The caller checks the actor may see the agency."""
    rows = list(register_rows(register_queryset(agency, date_from, date_to), date_to))
    return Register(agency=agency, date_from=date_from, date_to=date_to, rows=rows)


def register_pdf(reg: Register) -> bytes:
    if len(reg.rows) > REGISTER_PDF_MAX_ROWS:
        raise DomainError(
            f"Kỳ này có {len(reg.rows)} hồ sơ, quá nhiều cho bản PDF "
            f"(tối đa {REGISTER_PDF_MAX_ROWS}). Vui lòng tải bản Excel hoặc chọn kỳ ngắn hơn.",
            code="too_many_rows",
        )
    return render_pdf("onestop/pdf/register.html", {"register": reg})


def register_xlsx(agency: Agency, date_from: date, date_to: date) -> bytes:
    """Streams rows into a write-only workbook, so a large period stays in flat memory."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    ws = book.create_sheet("Sổ theo dõi hồ sơ")
    columns = REGISTER_COLUMNS
    from openpyxl.utils import get_column_letter

    for i, (_, width) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    bold = Font(bold=True)

    def cell(value: Any, *, strong: bool = False) -> Any:
        c = xlsx.cell(ws, value)
        if strong:
            c.font = bold
        if isinstance(value, datetime):
            c.number_format = DATETIME_FORMAT
        return c

    ws.append([cell("SỔ THEO DÕI HỒ SƠ", strong=True)])
    ws.append([cell("Cơ quan"), cell(agency.name)])
    ws.append([cell("Kỳ"), cell(f"Từ ngày {date_from:%d/%m/%Y} đến ngày {date_to:%d/%m/%Y}")])
    ws.append([])
    ws.append([cell(label, strong=True) for label, _ in columns])
    qs = register_queryset(agency, date_from, date_to)
    for row in register_rows(qs, date_to):
        ws.append(
            [
                cell(row.register_number),
                cell(row.code),
                cell(f"{row.procedure_name} ({row.procedure_code})"),
                cell(row.set_count),
                cell(row.applicant_name),
                cell(row.address_phone),
                cell(row.lead_agency),
                cell(_naive(row.received_at)),
                cell(_naive(row.received_appointment_at)),
                cell(_naive(row.transferred_at)),
                cell(_naive(row.result_received_at)),
                cell(_naive(row.returned_at)),
                cell(""),  # signed on paper
                cell(row.notes),
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
