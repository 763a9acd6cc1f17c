"""The machine the figures come from, read from the system (never typed in by hand)."""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import connection


@dataclass(frozen=True)
class Machine:
    cpu_model: str
    cores: int
    ram: str
    os: str
    kernel: str
    python: str
    database: str
    gunicorn: str
    load_before: str

    def rows(self) -> list[tuple[str, str]]:
        return [
            ("CPU", self.cpu_model),
            ("Cores (logical CPUs)", str(self.cores)),
            ("RAM", self.ram),
            ("OS", self.os),
            ("Kernel", self.kernel),
            ("Python", self.python),
            ("Database", self.database),
            ("gunicorn", self.gunicorn),
            ("Load average before the run (1/5/15 min)", self.load_before),
        ]


@dataclass(frozen=True)
class Provenance:
    date: str  # UTC, ISO 8601 to the second
    commit: str  # short hash, "+ uncommitted changes" when the tree is dirty


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def cpu_model() -> str:
    for line in _read("/proc/cpuinfo").splitlines():
        if line.lower().startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine() or "unknown"


def ram() -> str:
    for line in _read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            kib = int(line.split()[1])
            return f"{kib / 1024 / 1024:.1f} GiB"
    return "unknown"


def os_name() -> str:
    for line in _read("/etc/os-release").splitlines():
        if line.startswith("PRETTY_NAME="):
            return line.split("=", 1)[1].strip().strip('"')
    return f"{platform.system()} {platform.release()}"


def database_version() -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            row = cursor.fetchone()
        return f"PostgreSQL {row[0] if row else '?'}"
    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    return connection.vendor


def gunicorn_version() -> str:
    try:
        from importlib.metadata import version

        return version("gunicorn")
    except Exception:
        return "not installed"


def load_average() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def describe() -> Machine:
    return Machine(
        cpu_model=cpu_model(),
        cores=os.cpu_count() or 1,
        ram=ram(),
        os=os_name(),
        kernel=f"{platform.system()} {platform.release()}",
        python=f"{platform.python_implementation()} {platform.python_version()}",
        database=database_version(),
        gunicorn=gunicorn_version(),
        load_before=load_average(),
    )


def git_commit(cwd: Path | None = None) -> str:
    root = cwd or Path(settings.BASE_DIR)
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],  # noqa: S607
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],  # noqa: S607
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"
    return f"{head} + uncommitted changes" if dirty else head


def provenance() -> Provenance:
    now = datetime.now(UTC).replace(microsecond=0)
    return Provenance(date=now.isoformat().replace("+00:00", "Z"), commit=git_commit())
