"""Where a request's CPU goes: CPU time by process group over a window, read from /proc.

An HTTP figure beside the floor says how fast a page is, not why. Two snapshots of every
process's CPU time (utime + stime, and cutime + cstime for the children it has reaped) bracket
the measured window; each process is put in the group of the first ancestor that is a root
(the web server, the load generator), or in PostgreSQL's when it or an ancestor is a
`postgres` process, else in "other" (this command, Redis, kernel threads). Counting the reaped
children's time keeps the CPU of processes that ended inside the window (the web workers' PDF
inspectors are replaced every few hundred files; PostgreSQL backends end with their
connections): a process's whole life moves into its parent's cutime when the parent reaps it,
and its life before the window was in the first snapshot, under its own pid.

Linux only (the benchmark's machines); elsewhere `snapshot` returns None and nothing is
reported.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

WEB = "web server"
POSTGRES = "PostgreSQL"
LOAD = "load generator"
OTHER = "other"
GROUPS = (WEB, POSTGRES, LOAD, OTHER)

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class Proc:
    ppid: int
    comm: str
    ticks: int  # utime + stime + cutime + cstime


@dataclass(frozen=True)
class Snapshot:
    at: float  # time.time()
    procs: dict[int, Proc]
    busy_ticks: int  # the whole machine, from /proc/stat
    total_ticks: int
    stolen_ticks: int = 0  # time the hypervisor gave this machine's CPUs to someone else


def _proc(pid: int) -> Proc | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # pid (comm) state ppid ...: comm may hold spaces and parentheses, so split at the last ')'.
    head, _, tail = text.rpartition(")")
    fields = tail.split()
    if len(fields) < 15:
        return None
    # fields[0] is the state (stat field 3): utime..cstime are stat fields 14-17.
    ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))
    return Proc(ppid=int(fields[1]), comm=head.partition("(")[2], ticks=ticks)


def _machine() -> tuple[int, int, int]:
    """Busy, total and stolen ticks of all CPUs: user nice system idle iowait irq softirq steal
    (guest time is already counted in user)."""
    line = Path("/proc/stat").read_text().splitlines()[0].split()
    values = [int(v) for v in line[1:9]] + [0] * 8
    idle = values[3] + values[4]  # idle + iowait
    stolen = values[7]
    total = sum(values[:8])
    return total - idle - stolen, total, stolen


def snapshot() -> Snapshot | None:
    if not Path("/proc/stat").exists():
        return None
    procs = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            proc = _proc(int(entry.name))
            if proc is not None:
                procs[int(entry.name)] = proc
    busy, total, stolen = _machine()
    return Snapshot(
        at=time.time(), procs=procs, busy_ticks=busy, total_ticks=total, stolen_ticks=stolen
    )


def _group(pid: int, procs: dict[int, Proc], roots: dict[int, str]) -> str:
    seen = 0
    postgres = False
    while pid > 1 and seen < 64:
        if pid in roots:
            return roots[pid]
        proc = procs.get(pid)
        if proc is None:
            break
        postgres = postgres or proc.comm.startswith("postgres")
        pid = proc.ppid
        seen += 1
    return POSTGRES if postgres else OTHER


@dataclass(frozen=True)
class CpuWindow:
    seconds: float  # wall time between the snapshots
    cpu_seconds: dict[str, float]  # group -> CPU seconds in the window
    busy_cores: float  # the whole machine's busy time over the window, in cores
    stolen_cores: float = 0.0  # taken by the hypervisor for other machines, in cores

    def per_request_ms(self, requests: float) -> dict[str, float]:
        if requests <= 0:
            return {}
        return {g: self.cpu_seconds.get(g, 0.0) * 1000 / requests for g in GROUPS}


def between(before: Snapshot, after: Snapshot, roots: dict[int, str]) -> CpuWindow:
    """CPU seconds by group from `before` to `after`. `roots` maps a process id to the group of
    it and its descendants. A process that ended in the window was counted in `before` under
    its own group; its whole life now sits in its parent's cutime (the same group when the
    parent reaps it, which the servers, the load generator's pool and PostgreSQL all do)."""
    totals = dict.fromkeys(GROUPS, 0)
    for pid, proc in after.procs.items():
        totals[_group(pid, after.procs, roots)] += proc.ticks
    for pid, proc in before.procs.items():
        totals[_group(pid, before.procs, roots)] -= proc.ticks
    seconds = max(after.at - before.at, 1e-9)
    busy = (after.busy_ticks - before.busy_ticks) / TICKS
    stolen = (after.stolen_ticks - before.stolen_ticks) / TICKS
    return CpuWindow(
        seconds=seconds,
        cpu_seconds={g: max(t, 0) / TICKS for g, t in totals.items()},
        busy_cores=busy / seconds,
        stolen_cores=stolen / seconds,
    )
