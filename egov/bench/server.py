"""Processes the benchmark starts: the application under gunicorn or granian, and a Huey
consumer.

Both run with `egov.settings.bench` on the benchmark database, bound to 127.0.0.1 only, and
are stopped by their own process id.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

SETTINGS_MODULE = "egov.settings.bench"


def bench_env(*, database_url: str, secret_key: str, work_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE=SETTINGS_MODULE,
        DATABASE_URL=database_url,
        SECRET_KEY=secret_key,
        EGOV_BENCH_DIR=str(work_dir),
        PYTHONUNBUFFERED="1",
    )
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _status_value(pid: int, key: str) -> int | None:
    """A `kB` line of /proc/<pid>/status (VmHWM = peak resident set size), in KiB."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return None


def peak_rss_kib(pid: int) -> int | None:
    return _status_value(pid, "VmHWM")


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def _stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, wait: float = 15) -> None:
    if process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


class ServerError(RuntimeError):
    pass


SERVERS = ("gunicorn", "granian")


@dataclass
class AppServer:
    """gunicorn (sync or gthread workers) or granian (WSGI interface, blocking threads) serving
    egov.wsgi on 127.0.0.1:<free port>."""

    env: dict[str, str]
    log_path: Path
    worker_class: str = "sync"  # gunicorn: "sync" or "gthread"
    workers: int = 4
    threads: int = 4  # gunicorn gthread: threads per worker; granian: blocking threads per worker
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    peaks_kib: dict[int, int] = field(default_factory=dict)  # worker pid -> VmHWM
    server: str = "gunicorn"  # one of SERVERS

    @classmethod
    def granian(
        cls, *, env: dict[str, str], log_path: Path, workers: int = 2, threads: int = 2
    ) -> AppServer:
        """granian's WSGI interface: Rust does the HTTP and the sockets; each worker process
        runs the Django application in `threads` blocking threads (one holds the GIL at a
        time, the others wait on PostgreSQL). On two cores, two workers of two threads: more
        processes only add context switches and memory."""
        return cls(
            env=env,
            log_path=log_path,
            worker_class="wsgi",
            workers=workers,
            threads=threads,
            server="granian",
        )

    @property
    def label(self) -> str:
        if self.server == "granian":
            return f"granian, {self.workers} workers × {self.threads} threads"
        if self.worker_class == "gthread":
            return f"gthread, {self.workers} workers × {self.threads} threads"
        return f"sync, {self.workers} workers"

    def command(self) -> list[str]:
        if self.server == "granian":
            return self._granian_command()
        cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            "egov.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--worker-class",
            self.worker_class,
            "--timeout",
            "60",
            "--graceful-timeout",
            "10",
            "--log-level",
            "warning",
            "--error-logfile",
            str(self.log_path),
        ]
        if self.worker_class == "gthread":
            cmd += ["--threads", str(self.threads)]
        if "--no-control-socket" in _gunicorn_help():
            cmd.append("--no-control-socket")  # gunicorn 24+: one shared socket path otherwise
        return cmd

    def _granian_command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "wsgi",
            "egov.wsgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--blocking-threads",
            str(self.threads),
            "--runtime-threads",
            "1",
            "--http",
            "1",
            "--no-ws",
            "--log-level",
            "warning",
            "--workers-kill-timeout",
            "10",
        ]

    def start(self, timeout: float = 180) -> None:
        self.port = free_port()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        # gunicorn writes its own error log; granian logs to stderr.
        log = self.log_path.open("ab") if self.server == "granian" else None
        try:
            self.process = subprocess.Popen(  # noqa: S603
                self.command(),
                cwd=settings.BASE_DIR,
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=log or subprocess.DEVNULL,
            )
        finally:
            if log is not None:
                log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(f"{self.server} exited at start:\n{self.log_tail()}")
            if self._answers() and len(self.worker_pids()) >= self.workers:
                return
            time.sleep(0.2)
        self.stop()
        raise ServerError(f"{self.server} did not answer in {timeout:.0f} s:\n{self.log_tail()}")

    def _answers(self) -> bool:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            conn.request("GET", "/api/v1/")
            conn.getresponse().read()
            return True
        except OSError:
            return False
        finally:
            conn.close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        return children_of(self.process.pid) if self.process else []

    def sample_memory(self) -> None:
        """Remember each worker's peak RSS so far (VmHWM only grows while a worker lives)."""
        for pid in self.worker_pids():
            peak = peak_rss_kib(pid)
            if peak is not None:
                self.peaks_kib[pid] = max(peak, self.peaks_kib.get(pid, 0))

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.process is not None:
            self.sample_memory()
            _stop(self.process)
            self.process = None

    def __enter__(self) -> AppServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


_HELP: list[str] = []


def _gunicorn_help() -> str:
    if not _HELP:
        out = subprocess.run(
            [sys.executable, "-m", "gunicorn", "--help"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        _HELP.append(out.stdout)
    return _HELP[0]


@dataclass
class HueyRun:
    peak_rss_kib: int | None
    seconds: float  # from start to stop
    first_progress: float | None  # seconds after start when `progress()` first grew
    finished: float | None  # seconds after start when `done()` became true
    exit_code: int | None


def run_huey_for(
    *,
    env: dict[str, str],
    seconds: float,
    log_path: Path,
    progress: Callable[[], int] | None = None,
    done: Callable[[], bool] | None = None,
) -> HueyRun:
    """Start `manage.py run_huey` (bench settings), sample its peak RSS while it works, stop it
    when `done()` turns true or after `seconds`. `progress()` (e.g. delivered messages) marks
    when the consumer started doing work, so start-up time can be told apart."""
    baseline = progress() if progress else 0
    first: float | None = None
    finished: float | None = None
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "run_huey", "--no-periodic"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started = time.monotonic()
        peak: int | None = None
        try:
            while time.monotonic() - started < seconds and process.poll() is None:
                time.sleep(0.25)
                value = peak_rss_kib(process.pid)
                if value is not None:
                    peak = max(value, peak or 0)
                now = time.monotonic() - started
                if first is None and progress is not None and progress() > baseline:
                    first = now
                if done is not None and done():
                    finished = now
                    break
        finally:
            elapsed = time.monotonic() - started
            _stop(process, signal.SIGINT)
    return HueyRun(
        peak_rss_kib=peak,
        seconds=elapsed,
        first_progress=first,
        finished=finished,
        exit_code=process.returncode,
    )
