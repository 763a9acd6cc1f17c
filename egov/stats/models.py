"""Read models of the operations dashboard, fed by the dossier events (see aggregates.py).

Every table here can be rebuilt from the event log (`manage.py rebuild_stats`), so keys are plain
integers rather than foreign keys: no PROTECT coupling to the organisation or the catalogue, and a
bulk loader can COPY straight into them. "No unit" and similar absent keys are 0, never NULL, so
that unique keys (and ON CONFLICT upserts) treat them as one value.

Grain of the dossier facts: one row per (period, receiving agency, procedure, sector, channel).
Each counter is attributed to the local (Asia/Ho_Chi_Minh) day of the event that moved it:
`received` to the day of reception, `resolved_*` to the day processing was done, `returned` to
the day the result was handed back, ratings to the day of the rating, and so on.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# The counters of a dossier fact row, in one place for the projector, compaction and queries.
DOSSIER_COUNTERS = (
    "received",
    "received_digitised",
    "refused",
    "withdrawn",
    "stopped",
    "resolved_early",
    "resolved_on_time",
    "resolved_late",
    "resolved_promised",
    "resolved_promise_kept",
    "handling_seconds",
    "legal_seconds",
    "returned",
    "returned_electronic",
    "supplements",
    "rating_1",
    "rating_2",
    "rating_3",
    "rating_4",
    "rating_5",
    "synced",
    # Issue #13 (766 formulas): see DossierCounters below.
    "cancelled_in_time",
    "cancelled_late",
    "handling_millidays",
    "legal_millidays",
    "returned_online_electronic",
    "returned_digitised",
)
DOSSIER_KEYS = ("agency_id", "procedure_id", "sector_id", "channel")
AGENCY_KEYS = ("agency_id", "channel")  # the key of the roll-ups

STEP_COUNTERS = ("finished", "late", "overrun_seconds", "sent_back")
STEP_KEYS = ("agency_id", "unit_id", "procedure_id", "step_order")


class DossierCounters(models.Model):
    received = models.IntegerField(_("tiếp nhận"), default=0)
    received_digitised = models.IntegerField(_("tiếp nhận có thành phần số hóa"), default=0)
    refused = models.IntegerField(_("từ chối tiếp nhận"), default=0)
    withdrawn = models.IntegerField(_("rút hồ sơ"), default=0)
    stopped = models.IntegerField(_("dừng xử lý"), default=0)
    resolved_early = models.IntegerField(_("giải quyết trước hạn"), default=0)
    resolved_on_time = models.IntegerField(_("giải quyết đúng hạn"), default=0)
    resolved_late = models.IntegerField(_("giải quyết trễ hạn"), default=0)
    # Of the resolved: those an approved apology letter (form 04) had promised a new date, and
    # those done by that date. Still counted on time or late by the legal date above.
    resolved_promised = models.IntegerField(_("giải quyết có phiếu xin lỗi, hẹn lại"), default=0)
    resolved_promise_kept = models.IntegerField(_("giải quyết đúng ngày hẹn lại"), default=0)
    # Working time from reception to the end of processing, less the supplement pauses.
    handling_seconds = models.BigIntegerField(_("thời gian xử lý (giây làm việc)"), default=0)
    # The legal time of the same dossiers (their process version's processing time).
    legal_seconds = models.BigIntegerField(_("thời hạn theo quy định (giây làm việc)"), default=0)
    returned = models.IntegerField(_("đã trả kết quả"), default=0)
    returned_electronic = models.IntegerField(_("trả kết quả có bản điện tử"), default=0)
    supplements = models.IntegerField(_("yêu cầu bổ sung"), default=0)
    rating_1 = models.IntegerField(_("rất không hài lòng"), default=0)
    rating_2 = models.IntegerField(_("không hài lòng"), default=0)
    rating_3 = models.IntegerField(_("bình thường"), default=0)
    rating_4 = models.IntegerField(_("hài lòng"), default=0)
    rating_5 = models.IntegerField(_("rất hài lòng"), default=0)
    synced = models.IntegerField(_("đồng bộ Cổng DVC quốc gia"), default=0)
    # Received dossiers whose processing ended by a withdrawal or a stop (the 766 rule gives
    # them an end of processing, so indicator 2.1 judges them), on the day it ended.
    # db_default: rows written by raw SQL or COPY (bench loader) that predate them read 0.
    cancelled_in_time = models.IntegerField(_("rút/dừng xử lý trong hạn"), default=0, db_default=0)
    cancelled_late = models.IntegerField(_("rút/dừng xử lý quá hạn"), default=0, db_default=0)
    # handling_seconds and legal_seconds in thousandths of the agency's working day, converted
    # with that agency's calendar when processing was done (WorkingCalendar.day_length): the
    # average in days needs no constant day length, and a sum over agencies with different
    # working hours stays a plain SUM.
    handling_millidays = models.BigIntegerField(
        _("thời gian xử lý (phần nghìn ngày làm việc)"), default=0, db_default=0
    )
    legal_millidays = models.BigIntegerField(
        _("thời hạn theo quy định (phần nghìn ngày làm việc)"), default=0, db_default=0
    )
    # Returned results of dossiers submitted online that had an electronic result (766: 3.3),
    # and of dossiers whose components and result were both digitised (766: 4.2).
    returned_online_electronic = models.IntegerField(
        _("trả kết quả hồ sơ trực tuyến có kết quả điện tử"), default=0, db_default=0
    )
    returned_digitised = models.IntegerField(
        _("trả kết quả có thành phần và kết quả số hóa"), default=0, db_default=0
    )

    class Meta:
        abstract = True


class DossierKey(models.Model):
    agency_id = models.BigIntegerField(_("cơ quan tiếp nhận"))
    procedure_id = models.BigIntegerField(_("thủ tục"))
    sector_id = models.BigIntegerField(_("lĩnh vực"))
    channel = models.PositiveSmallIntegerField(_("kênh"))

    class Meta:
        abstract = True


class DailyFact(DossierKey, DossierCounters):
    day = models.DateField(_("ngày"))

    class Meta:
        verbose_name = _("số liệu hồ sơ theo ngày")
        verbose_name_plural = _("số liệu hồ sơ theo ngày")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "agency_id", "procedure_id", "sector_id", "channel"],
                name="stats_daily_key",
            )
        ]
        indexes = [models.Index(fields=["agency_id", "day"], name="stats_daily_agency_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.agency_id}/{self.procedure_id}/{self.channel}"


class MonthlyFact(DossierKey, DossierCounters):
    month = models.DateField(_("tháng"))  # the first day of the month

    class Meta:
        verbose_name = _("số liệu hồ sơ theo tháng")
        verbose_name_plural = _("số liệu hồ sơ theo tháng")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "agency_id", "procedure_id", "sector_id", "channel"],
                name="stats_monthly_key",
            )
        ]
        indexes = [models.Index(fields=["agency_id", "month"], name="stats_monthly_agency_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.agency_id}/{self.procedure_id}/{self.channel}"


# --- roll-ups: the same counters with procedure and sector summed away ---------------------------
# Most dashboard views (the province, an agency subtree, the 766 index) filter by neither sector nor
# procedure; they read these, which have one row per (period, agency, channel): a year of the whole
# province is a few thousand rows instead of the hundreds of thousands of the full key. Maintained
# by the same compaction as the fine tables (aggregates.compact) and rebuilt from them.


class AgencyKey(models.Model):
    agency_id = models.BigIntegerField(_("cơ quan tiếp nhận"))
    channel = models.PositiveSmallIntegerField(_("kênh"))

    class Meta:
        abstract = True


class AgencyDailyFact(AgencyKey, DossierCounters):
    day = models.DateField(_("ngày"))

    class Meta:
        verbose_name = _("số liệu cơ quan theo ngày")
        verbose_name_plural = _("số liệu cơ quan theo ngày")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "agency_id", "channel"], name="stats_agency_daily_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.agency_id}/{self.channel}"


class AgencyMonthlyFact(AgencyKey, DossierCounters):
    month = models.DateField(_("tháng"))

    class Meta:
        verbose_name = _("số liệu cơ quan theo tháng")
        verbose_name_plural = _("số liệu cơ quan theo tháng")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "agency_id", "channel"], name="stats_agency_monthly_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.agency_id}/{self.channel}"


class DossierDelta(DossierKey, DossierCounters):
    """Counter increments written by the projector (insert-only, so writers never wait on each
    other); the compaction job folds them into the daily and monthly rows."""

    day = models.DateField()
    month = models.DateField()

    class Meta:
        verbose_name = _("số liệu hồ sơ chờ gộp")
        verbose_name_plural = _("số liệu hồ sơ chờ gộp")
        indexes = [models.Index(fields=["day"], name="stats_delta_day")]

    def __str__(self) -> str:
        return f"+{self.day} {self.agency_id}"


class StepCounters(models.Model):
    finished = models.IntegerField(_("bước đã xong"), default=0)
    late = models.IntegerField(_("bước trễ hạn"), default=0)
    overrun_seconds = models.BigIntegerField(_("thời gian trễ (giây làm việc)"), default=0)
    sent_back = models.IntegerField(_("bị trả lại"), default=0)

    class Meta:
        abstract = True


class StepKey(models.Model):
    agency_id = models.BigIntegerField(_("cơ quan xử lý"))
    unit_id = models.BigIntegerField(_("phòng ban"), default=0)
    procedure_id = models.BigIntegerField(_("thủ tục"))
    step_order = models.PositiveSmallIntegerField(_("bước"))

    class Meta:
        abstract = True


class StepDaily(StepKey, StepCounters):
    day = models.DateField(_("ngày"))

    class Meta:
        verbose_name = _("số liệu bước xử lý theo ngày")
        verbose_name_plural = _("số liệu bước xử lý theo ngày")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "agency_id", "unit_id", "procedure_id", "step_order"],
                name="stats_step_daily_key",
            )
        ]
        indexes = [models.Index(fields=["agency_id", "day"], name="stats_stepd_agency_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.agency_id}/{self.unit_id} #{self.step_order}"


class StepMonthly(StepKey, StepCounters):
    month = models.DateField(_("tháng"))

    class Meta:
        verbose_name = _("số liệu bước xử lý theo tháng")
        verbose_name_plural = _("số liệu bước xử lý theo tháng")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "agency_id", "unit_id", "procedure_id", "step_order"],
                name="stats_step_monthly_key",
            )
        ]
        indexes = [models.Index(fields=["agency_id", "month"], name="stats_stepm_agency_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.agency_id}/{self.unit_id} #{self.step_order}"


# Step roll-ups: "where the time is lost" by unit (procedure and step summed away) and by
# procedure step (unit summed away), for views without a sector or procedure filter.
UNIT_STEP_KEYS = ("agency_id", "unit_id")
ORDER_STEP_KEYS = ("agency_id", "procedure_id", "step_order")
# ... and by procedure step for the whole province (agencies summed away too): the province
# dashboard's "late by step" reads a few thousand rows a year instead of one per agency.
PROCEDURE_STEP_KEYS = ("procedure_id", "step_order")


class UnitStepKey(models.Model):
    agency_id = models.BigIntegerField(_("cơ quan xử lý"))
    unit_id = models.BigIntegerField(_("phòng ban"), default=0)

    class Meta:
        abstract = True


class OrderStepKey(models.Model):
    agency_id = models.BigIntegerField(_("cơ quan xử lý"))
    procedure_id = models.BigIntegerField(_("thủ tục"))
    step_order = models.PositiveSmallIntegerField(_("bước"))

    class Meta:
        abstract = True


class UnitStepDaily(UnitStepKey, StepCounters):
    day = models.DateField(_("ngày"))

    class Meta:
        verbose_name = _("số liệu bước xử lý theo phòng ban, ngày")
        verbose_name_plural = _("số liệu bước xử lý theo phòng ban, ngày")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "agency_id", "unit_id"], name="stats_unit_step_daily_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.agency_id}/{self.unit_id}"


class UnitStepMonthly(UnitStepKey, StepCounters):
    month = models.DateField(_("tháng"))

    class Meta:
        verbose_name = _("số liệu bước xử lý theo phòng ban, tháng")
        verbose_name_plural = _("số liệu bước xử lý theo phòng ban, tháng")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "agency_id", "unit_id"], name="stats_unit_step_monthly_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.agency_id}/{self.unit_id}"


class OrderStepDaily(OrderStepKey, StepCounters):
    day = models.DateField(_("ngày"))

    class Meta:
        verbose_name = _("số liệu theo bước quy trình, ngày")
        verbose_name_plural = _("số liệu theo bước quy trình, ngày")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "agency_id", "procedure_id", "step_order"],
                name="stats_order_step_daily_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.agency_id}/{self.procedure_id} #{self.step_order}"


class OrderStepMonthly(OrderStepKey, StepCounters):
    month = models.DateField(_("tháng"))

    class Meta:
        verbose_name = _("số liệu theo bước quy trình, tháng")
        verbose_name_plural = _("số liệu theo bước quy trình, tháng")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "agency_id", "procedure_id", "step_order"],
                name="stats_order_step_monthly_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.agency_id}/{self.procedure_id} #{self.step_order}"


class ProcedureStepKey(models.Model):
    procedure_id = models.BigIntegerField(_("thủ tục"))
    step_order = models.PositiveSmallIntegerField(_("bước"))

    class Meta:
        abstract = True


class ProcedureStepDaily(ProcedureStepKey, StepCounters):
    day = models.DateField(_("ngày"))

    class Meta:
        verbose_name = _("số liệu toàn tỉnh theo bước quy trình, ngày")
        verbose_name_plural = _("số liệu toàn tỉnh theo bước quy trình, ngày")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "procedure_id", "step_order"], name="stats_proc_step_daily_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.procedure_id} #{self.step_order}"


class ProcedureStepMonthly(ProcedureStepKey, StepCounters):
    month = models.DateField(_("tháng"))

    class Meta:
        verbose_name = _("số liệu toàn tỉnh theo bước quy trình, tháng")
        verbose_name_plural = _("số liệu toàn tỉnh theo bước quy trình, tháng")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "procedure_id", "step_order"], name="stats_proc_step_monthly_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.procedure_id} #{self.step_order}"


class StepDelta(StepKey, StepCounters):
    day = models.DateField()
    month = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["day"], name="stats_stepdelta_day")]

    def __str__(self) -> str:
        return f"+{self.day} {self.agency_id}/{self.unit_id}"


class OpenDossier(models.Model):
    """The tracker: one row per dossier not yet finished with (submitted online and waiting for
    reception, in progress, or done and waiting to hand the result back). Small: the table never
    holds finished dossiers, so live "in progress on time / overdue" figures read only this."""

    class Ledger(models.TextChoices):
        NONE = "", _("Chưa tiếp nhận hoặc đã kết thúc")
        DUE = "due", _("Đang xử lý")
        PAUSED = "paused", _("Chờ bổ sung")

    dossier_id = models.BigIntegerField(primary_key=True)
    code = models.CharField(_("mã hồ sơ"), max_length=40, unique=True)
    agency_id = models.BigIntegerField()
    procedure_id = models.BigIntegerField()
    sector_id = models.BigIntegerField()
    channel = models.PositiveSmallIntegerField()
    status = models.PositiveSmallIntegerField(_("trạng thái"))
    received_at = models.DateTimeField(null=True, blank=True)
    appointment_at = models.DateTimeField(null=True, blank=True)
    paused_since = models.DateTimeField(null=True, blank=True)
    supplement_count = models.PositiveSmallIntegerField(default=0)
    has_result = models.BooleanField(default=False)
    # Its components were digitised at reception (online, or papers scanned at the desk).
    components_digitised = models.BooleanField(default=False, db_default=False)
    # Waiting for a supplement and already late when the clock stopped (projector.paused_late).
    paused_late = models.BooleanField(default=False, db_default=False)
    ended = models.BooleanField(default=False)  # processing ended, result not yet returned
    # Where this dossier sits in OpenLedger: its current due day (or the forced-late day).
    ledger = models.CharField(max_length=6, choices=Ledger.choices, default=Ledger.NONE)
    ledger_due = models.DateField(null=True, blank=True)
    # The active step (where the dossier is now), for "stuck now, by unit".
    step_agency_id = models.BigIntegerField(null=True, blank=True)
    step_unit_id = models.BigIntegerField(default=0)
    step_order = models.PositiveSmallIntegerField(null=True, blank=True)
    step_name = models.CharField(max_length=255, blank=True)
    step_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("hồ sơ đang theo dõi")
        verbose_name_plural = _("hồ sơ đang theo dõi")
        indexes = [
            models.Index(fields=["agency_id", "appointment_at"], name="stats_open_agency_due"),
            models.Index(fields=["step_agency_id", "step_due_at"], name="stats_open_step_due"),
            # "Stuck now": running dossiers past their current step's due time, by unit; the
            # dashboard asks on every refresh, and they are a small part of the open set.
            models.Index(
                fields=["step_due_at", "step_agency_id", "step_unit_id"],
                name="stats_open_stuck",
                condition=models.Q(
                    ended=False, paused_since__isnull=True, received_at__isnull=False
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.code


class OpenLedger(models.Model):
    """+1/-1 movements of dossiers between "due on day D", "paused" (due_day NULL) and "not
    open", dated by the day they happened. The open set at the end of any day T is the sum of
    rows with day <= T; closing a day (aggregates.close_days) snapshots it into OpenDaily and
    folds the older rows into one net row per bucket, so the table stays the size of the open
    set."""

    day = models.DateField()
    agency_id = models.BigIntegerField()
    procedure_id = models.BigIntegerField()
    sector_id = models.BigIntegerField()
    channel = models.PositiveSmallIntegerField()
    due_day = models.DateField(null=True, blank=True)
    delta = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["day"], name="stats_ledger_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.agency_id} {self.due_day}: {self.delta:+d}"


class OpenDaily(models.Model):
    """Dossiers in progress at the end of each day: on time, overdue, paused for a supplement."""

    day = models.DateField(_("ngày"))
    agency_id = models.BigIntegerField()
    procedure_id = models.BigIntegerField()
    sector_id = models.BigIntegerField()
    channel = models.PositiveSmallIntegerField()
    on_time = models.IntegerField(_("đang xử lý trong hạn"), default=0)
    overdue = models.IntegerField(_("đang xử lý quá hạn"), default=0)
    paused = models.IntegerField(_("chờ bổ sung"), default=0)
    # Of `paused`, those already late when the clock stopped (counted late by indicator 2.1).
    paused_late = models.IntegerField(_("chờ bổ sung, đã quá hạn"), default=0, db_default=0)

    class Meta:
        verbose_name = _("hồ sơ đang xử lý cuối ngày")
        verbose_name_plural = _("hồ sơ đang xử lý cuối ngày")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "agency_id", "procedure_id", "sector_id", "channel"],
                name="stats_open_daily_key",
            )
        ]
        indexes = [models.Index(fields=["agency_id", "day"], name="stats_openday_agency_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.agency_id}: {self.on_time}/{self.overdue}/{self.paused}"


class StatsState(models.Model):
    """One row: the last closed day (OpenDaily holds every day up to it) and the lock that keeps
    two compaction jobs apart."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    closed_through = models.DateField(null=True, blank=True)
    compacted_at = models.DateTimeField(null=True, blank=True)
    rebuilt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("trạng thái số liệu")
        verbose_name_plural = _("trạng thái số liệu")

    def __str__(self) -> str:
        return f"closed through {self.closed_through}"


# --- the 766 service index: groups, indicators, thresholds and points are data ---------------


class IndexGroup(models.Model):
    year = models.PositiveSmallIntegerField(_("năm áp dụng"))
    code = models.CharField(_("mã nhóm"), max_length=10)
    name = models.CharField(_("tên nhóm chỉ số"), max_length=255)
    max_points = models.DecimalField(_("điểm tối đa"), max_digits=6, decimal_places=2)
    order = models.PositiveSmallIntegerField(_("thứ tự"), default=0)

    class Meta:
        verbose_name = _("nhóm chỉ số 766")
        verbose_name_plural = _("nhóm chỉ số 766")
        ordering = ["year", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["year", "code"], name="stats_index_group_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.year} — {self.code}. {self.name}"


class IndexIndicator(models.Model):
    """One indicator of the year: score = min(rate / threshold, 1) x max_points. The code picks
    how the rate is measured (index766.CALCULATORS); an unknown code is shown as "no data"."""

    year = models.PositiveSmallIntegerField(_("năm áp dụng"))
    group = models.ForeignKey(
        IndexGroup, verbose_name=_("nhóm"), on_delete=models.CASCADE, related_name="indicators"
    )
    code = models.CharField(_("mã chỉ số"), max_length=10)
    name = models.CharField(_("tên chỉ số"), max_length=255)
    description = models.TextField(_("cách tính"), blank=True)
    max_points = models.DecimalField(_("điểm tối đa"), max_digits=6, decimal_places=2)
    threshold = models.DecimalField(
        _("ngưỡng đạt điểm tối đa (%)"),
        max_digits=5,
        decimal_places=2,
        help_text=_(
            "Tỷ lệ đạt từ ngưỡng này trở lên được điểm tối đa; dưới ngưỡng: tỷ lệ × "
            "điểm tối đa / ngưỡng."
        ),
    )
    order = models.PositiveSmallIntegerField(_("thứ tự"), default=0)
    is_active = models.BooleanField(_("đang áp dụng"), default=True)

    class Meta:
        verbose_name = _("chỉ số 766")
        verbose_name_plural = _("chỉ số 766")
        ordering = ["year", "group__order", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["year", "code"], name="stats_index_indicator_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.year} — {self.code} {self.name}"
