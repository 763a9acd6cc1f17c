"""The event log's monthly partitions (PostgreSQL): made ahead, listed, archived.

Migration 0008 partitions events_event by month of `occurred_at` in settings.TIME_ZONE
(`events_event_pYYYY_MM`, plus `events_event_default` as a safety net). This module is the only
code that creates or detaches partitions:

- `ensure_partitions`: the current month and EVENT_PARTITIONS_AHEAD months after it exist (the
  worker runs it daily; the database function also moves rows found in the DEFAULT partition).
- `archive_before`: detaches whole months before a bound, optionally after dumping them with
  pg_dump, optionally drops them; records per chain the detached range (first/last seq, the
  prev_hash of the first event and the hash of the last) in EventArchive and records the detaching
  as an event of the global chain, in the same transaction. `verify_events` then verifies what is
  left, starting each chain where the archive ends.

SQLite has no partitions: these functions say so and do nothing.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import subprocess
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from egov.core.actors import Actor

from . import event_types
from .models import Event, EventArchive
from .services import (
    GENESIS_HASH,
    _lock_head,
    archive_chains_digest,
    event_hash,
    record_event,
)

logger = logging.getLogger("egov.events.partitions")

PARENT = "events_event"
DEFAULT_PARTITION = "events_event_default"
_NAME = re.compile(r"^events_event_p(\d{4})_(\d{2})$")


class PartitionError(Exception):
    """A partition operation that cannot be done as asked (nothing was changed)."""


def supported() -> bool:
    """True when the log is a partitioned table (PostgreSQL after migration 0008)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [PARENT])
        row = cursor.fetchone()
    return bool(row and row[0] == "p")


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def month_of(moment: datetime) -> tuple[int, int]:
    local = moment.astimezone(_tz())
    return local.year, local.month


def add_months(month: tuple[int, int], n: int) -> tuple[int, int]:
    index = month[0] * 12 + month[1] - 1 + n
    return index // 12, index % 12 + 1


def month_start(month: tuple[int, int]) -> datetime:
    return datetime(month[0], month[1], 1, tzinfo=_tz())


def partition_name(month: tuple[int, int]) -> str:
    return f"events_event_p{month[0]:04d}_{month[1]:02d}"


def parse_month(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise PartitionError(f"Tháng phải có dạng YYYY-MM, không phải {text!r}.")
    return int(match.group(1)), int(match.group(2))


def ahead_setting() -> int:
    return int(getattr(settings, "EVENT_PARTITIONS_AHEAD", 3))


def _require() -> None:
    if not supported():
        raise PartitionError(
            "Nhật ký sự kiện chỉ được phân vùng trên PostgreSQL (sau migration events 0008)."
        )


def ensure_month(month: tuple[int, int]) -> str | None:
    """Create the partition of `month` (None if it exists or was archived)."""
    _require()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT egov_events_ensure_partition(%s, %s, %s)",
            [month[0], month[1], settings.TIME_ZONE],
        )
        name = cursor.fetchone()[0]
    if name:
        logger.info("event partition %s created", name)
    return str(name) if name else None


def ensure_partitions(*, ahead: int | None = None, now: datetime | None = None) -> list[str]:
    """The current month and `ahead` months after it get their partition; returns those made."""
    if not supported():
        return []
    current = month_of(now or timezone.now())
    ahead = ahead_setting() if ahead is None else ahead
    made = []
    for n in range(ahead + 1):
        name = ensure_month(add_months(current, n))
        if name:
            made.append(name)
    return made


def default_partition_rows() -> int:
    """Rows in the DEFAULT partition: none in normal running (a month without a partition)."""
    if not supported():
        return 0
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {DEFAULT_PARTITION}")  # noqa: S608 - constant
        return int(cursor.fetchone()[0])


def check_default_partition() -> int:
    """Log an error when rows landed in the DEFAULT partition; returns how many."""
    rows = default_partition_rows()
    if rows:
        logger.error(
            "%s events are in %s: their month has no partition. `manage.py events_partitions "
            "--create YYYY-MM` makes it and moves them there.",
            rows,
            DEFAULT_PARTITION,
        )
    return rows


@dataclass(frozen=True)
class PartitionInfo:
    name: str
    month: tuple[int, int] | None  # None: the DEFAULT partition
    attached: bool
    rows: int  # exact when counted, else the planner's estimate (-1: never analysed)
    bounds: str


def list_partitions(*, count: bool = False) -> list[PartitionInfo]:
    """Attached partitions and detached (archived, not dropped) monthly tables, by month."""
    _require()
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT c.relname, i.inhparent IS NOT NULL, c.reltuples::bigint,
                      coalesce(pg_get_expr(c.relpartbound, c.oid), '')
               FROM pg_class c
               LEFT JOIN pg_inherits i ON i.inhrelid = c.oid AND i.inhparent = %s::regclass
               WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace
                 AND (c.relname = %s OR c.relname ~ '^events_event_p[0-9]{4}_[0-9]{2}$')""",
            [PARENT, DEFAULT_PARTITION],
        )
        rows = cursor.fetchall()
        result = []
        for name, attached, estimate, bounds in rows:
            match = _NAME.match(name)
            month = (int(match.group(1)), int(match.group(2))) if match else None
            n = int(estimate)
            if count:
                cursor.execute(f'SELECT count(*) FROM "{name}"')  # noqa: S608 - our names
                n = int(cursor.fetchone()[0])
            result.append(PartitionInfo(name, month, bool(attached), n, bounds))
    return sorted(result, key=lambda p: (p.month is None, p.month or (0, 0)))


# ---------------------------------------------------------------------------------------------
# Archiving whole months
# ---------------------------------------------------------------------------------------------


@dataclass
class ChainRange:
    first_seq: int
    last_seq: int
    first_prev_hash: str
    last_hash: str
    rows: int

    def as_json(self) -> dict[str, Any]:
        return {
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
            "first_prev_hash": self.first_prev_hash,
            "last_hash": self.last_hash,
            "rows": self.rows,
        }


@dataclass
class ArchivePlan:
    partitions: list[str]
    first_month: tuple[int, int]
    last_month: tuple[int, int]
    range_start: datetime
    range_end: datetime
    rows: int = 0
    chains: dict[str, ChainRange] = field(default_factory=dict)


def _archived_ends() -> dict[str, tuple[int, str]]:
    """Per chain, the last seq and hash already archived (seq 0 and genesis when none)."""
    ends: dict[str, tuple[int, str]] = {}
    for archive in EventArchive.objects.order_by("id"):
        for name, rng in archive.chains.items():
            if rng["last_seq"] > ends.get(name, (0, ""))[0]:
                ends[name] = (int(rng["last_seq"]), str(rng["last_hash"]))
    return ends


def plan_archive(before: tuple[int, int], *, chunk_size: int = 2000) -> ArchivePlan:
    """What detaching every attached month before `before` would take away, checked: each
    chain's detached rows must be whole (seq without gaps, every hash recomputed, each prev_hash
    the previous hash), follow on from what was archived before, and have nothing of the chain
    with a lower seq left behind. Anything else is refused: the rest could not be verified."""
    _require()
    months = sorted(
        p.month
        for p in list_partitions()
        if p.attached and p.month is not None and p.month < before
    )
    if not months:
        raise PartitionError(
            f"Không có phân vùng nào còn gắn trước tháng {before[0]}-{before[1]:02d}."
        )
    plan = ArchivePlan(
        partitions=[partition_name(m) for m in months],
        first_month=months[0],
        last_month=months[-1],
        range_start=month_start(months[0]),
        range_end=month_start(add_months(months[-1], 1)),
    )
    if default_partition_rows():
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT count(*) FROM {DEFAULT_PARTITION} WHERE occurred_at < %s",  # noqa: S608
                [plan.range_end],
            )
            if cursor.fetchone()[0]:
                raise PartitionError(
                    f"Phân vùng mặc định {DEFAULT_PARTITION} còn sự kiện trước "
                    f"{plan.range_end:%Y-%m}: tạo phân vùng của tháng đó trước "
                    "(events_partitions --create)."
                )
    ends = _archived_ends()
    in_range = Event.objects.filter(
        occurred_at__gte=plan.range_start, occurred_at__lt=plan.range_end
    )
    names = sorted(in_range.order_by().values_list("chain", flat=True).distinct())
    for name in names:
        prev_seq, prev_hash = ends.get(name, (0, GENESIS_HASH))
        expected, link, rng = prev_seq + 1, prev_hash, None
        last_seq = prev_seq
        while True:
            page = list(in_range.filter(chain=name, seq__gt=last_seq).order_by("seq")[:chunk_size])
            if not page:
                break
            for event in page:
                if (
                    event.seq != expected
                    or event.prev_hash != link
                    or event_hash(event) != event.hash
                ):
                    raise PartitionError(
                        f"Chuỗi {name} không liền mạch tại sự kiện id={event.pk} seq={event.seq} "
                        "trong các tháng cần lưu trữ: chạy verify_events; không tách phân vùng."
                    )
                if rng is None:
                    rng = ChainRange(event.seq, event.seq, event.prev_hash, event.hash, 0)
                rng.last_seq, rng.last_hash = event.seq, event.hash
                rng.rows += 1
                expected, link = event.seq + 1, event.hash
            last_seq = page[-1].seq
        assert rng is not None
        left_behind = (
            Event.objects.filter(chain=name, seq__lte=rng.last_seq)
            .exclude(occurred_at__gte=plan.range_start, occurred_at__lt=plan.range_end)
            .values_list("pk", "seq")
            .first()
        )
        if left_behind is not None:
            raise PartitionError(
                f"Sự kiện id={left_behind[0]} (chuỗi {name}, số {left_behind[1]}) nằm ngoài các "
                "tháng cần lưu trữ nhưng đứng trước sự kiện cuối được lưu trữ (đồng hồ máy chủ "
                "lệch?): không tách phân vùng."
            )
        plan.chains[name] = rng
        plan.rows += rng.rows
    return plan


def _dump(plan: ArchivePlan, directory: Path) -> tuple[Path, str]:
    """pg_dump the partitions (custom format) to a new file; its path and SHA-256."""
    directory.mkdir(parents=True, exist_ok=True)
    first, last = plan.first_month, plan.last_month
    target = directory / f"events_{first[0]}-{first[1]:02d}_{last[0]}-{last[1]:02d}.dump"
    if target.exists():
        raise PartitionError(f"Tệp {target} đã có: không ghi đè một bản lưu trữ.")
    db: dict[str, Any] = dict(settings.DATABASES[connection.alias])
    command = ["pg_dump", "--format=custom", "--no-owner", f"--file={target}"]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            command.append(f"{option}={db[key]}")
    for name in plan.partitions:
        command.append(f"--table={name}")
    command.append(str(db["NAME"]))
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        target.unlink(missing_ok=True)
        raise PartitionError(f"pg_dump thất bại: {done.stderr.strip()[:500]}")
    digest = hashlib.sha256()
    with target.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return target, digest.hexdigest()


def archive_before(
    before: tuple[int, int],
    *,
    actor: Actor,
    dump_dir: str | Path | None = None,
    drop: bool = False,
) -> EventArchive:
    """Detach every attached month before `before` (see the module docstring).

    The months are checked (`plan_archive`), dumped if `dump_dir` is given, then in one
    transaction checked again unchanged, recorded (EventArchive and an event of the global
    chain) and detached; `drop` also drops the detached tables, and is refused without a dump.
    DETACH takes an exclusive lock on events_event for a moment: appends wait for it.
    """
    if not actor.is_operator:
        raise PartitionError("Chỉ quản trị hệ thống được lưu trữ nhật ký sự kiện.")
    if drop and not dump_dir:
        raise PartitionError("Chỉ xóa bảng khi đã có tệp sao lưu (--dump-dir).")
    plan = plan_archive(before)
    dump_file, dump_sha = "", ""
    if dump_dir:
        path, dump_sha = _dump(plan, Path(dump_dir))
        dump_file = str(path.resolve())
    with transaction.atomic():
        # The global chain's head first, then the table: a writer holding the head and waiting
        # for the table would otherwise deadlock with us.
        _lock_head("global")
        with connection.cursor() as cursor:
            # Appends wait from here; nothing can change the months while we re-check them.
            cursor.execute(f"LOCK TABLE {PARENT} IN SHARE ROW EXCLUSIVE MODE")
        again = plan_archive(before)
        if again.partitions != plan.partitions or {
            k: v.as_json() for k, v in again.chains.items()
        } != {k: v.as_json() for k, v in plan.chains.items()}:
            raise PartitionError("Các tháng cần lưu trữ đã thay đổi trong lúc sao lưu: chạy lại.")
        chains = {name: rng.as_json() for name, rng in sorted(plan.chains.items())}
        archive = EventArchive.objects.create(
            created_at=timezone.now(),
            first_month=date(*plan.first_month, 1),
            last_month=date(*plan.last_month, 1),
            range_start=plan.range_start,
            range_end=plan.range_end,
            partitions=plan.partitions,
            rows=plan.rows,
            chains=chains,
            dump_file=dump_file,
            dump_sha256=dump_sha,
            dropped=drop,
            actor_label=actor.label[:150],
        )
        record_event(
            actor=actor,
            event_type=event_types.PARTITIONS_ARCHIVED,
            subject_type="event_archive",
            subject_id=archive.pk,
            payload={
                "first_month": f"{plan.first_month[0]}-{plan.first_month[1]:02d}",
                "last_month": f"{plan.last_month[0]}-{plan.last_month[1]:02d}",
                "partitions": plan.partitions,
                "rows": plan.rows,
                "chains": len(plan.chains),
                "chains_sha256": archive_chains_digest(chains),
                "dump_file": dump_file,
                "dump_sha256": dump_sha,
                "dropped": drop,
            },
        )
        with connection.cursor() as cursor:
            for name in plan.partitions:
                cursor.execute(f'ALTER TABLE {PARENT} DETACH PARTITION "{name}"')
                if drop:
                    cursor.execute(f'DROP TABLE "{name}"')
                else:
                    # The parent's row trigger left with the detach: the table stays append-only.
                    cursor.execute(
                        "CREATE TRIGGER events_event_append_only BEFORE UPDATE OR DELETE "
                        f'ON "{name}" FOR EACH ROW EXECUTE FUNCTION egov_events_refuse_change()'
                    )
    logger.info(
        "event log months %s..%s archived (%s rows, %s chains)",
        plan.partitions[0],
        plan.partitions[-1],
        plan.rows,
        len(plan.chains),
    )
    return archive
