"""Inspect an untrusted PDF in a child process bounded in memory, CPU and wall-clock time.

pypdf's own limits stop some bombs only after seconds of CPU and hundreds of MB (an object stream
inflating to 120 MB), and a limit that pypdf lacks would hang a web worker. The inspection (page
count, encryption, active content, optionally the text layer) therefore runs in a child process
that sets RLIMIT_AS, RLIMIT_CPU and RLIMIT_FSIZE on itself before parsing; the parent kills it
after a wall-clock timeout. Any breach is `PdfTooComplex`; a file pypdf cannot read is
`PdfUnreadable`.

Inspectors come from a multiprocessing "forkserver" that has imported pypdf once (a fresh
interpreter per file costs ~0.5 s), and each web process keeps a few of them waiting (a fork per
file cost ~10 ms of a 16 ms inspection of a 50 KB scan, the largest share of an online
submission's CPU at the desk rush, issue #19). An inspector sets its memory and file limits once;
before each file it moves its CPU limit to what it has used plus the file's allowance, so a file
that breaches any limit kills only that inspector, which is then replaced. One that answered
"too complex" (a MemoryError caught inside) is retired too, and each is retired after
INSPECTOR_USES files, so nothing a file left behind outlives a few hundred others.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

# Active content: what makes a viewer run code, open other files or carry a file inside.
ACTIVE_KEYS = {
    "/JS": "JavaScript",
    "/JavaScript": "JavaScript",
    "/AA": "hành động tự động (/AA)",
    "/EmbeddedFiles": "tệp nhúng",
    "/EF": "tệp nhúng",
    "/RichMedia": "nội dung đa phương tiện",
    "/XFA": "biểu mẫu XFA",
}
ACTIVE_ACTIONS = {
    "/JavaScript": "JavaScript",
    "/Launch": "lệnh mở chương trình (/Launch)",
    "/ImportData": "lệnh nhập dữ liệu",
    "/SubmitForm": "lệnh gửi biểu mẫu",
    "/Rendition": "lệnh phát đa phương tiện",
    "/RichMediaExecute": "nội dung đa phương tiện",
    "/GoToE": "liên kết tới tệp nhúng",
}
ACTIVE_TYPES = {"/EmbeddedFile": "tệp nhúng"}
ACTIVE_ANNOTATIONS = {
    "/FileAttachment": "tệp đính kèm",
    "/RichMedia": "nội dung đa phương tiện",
    "/Screen": "nội dung đa phương tiện",
    "/Movie": "nội dung đa phương tiện",
    "/Sound": "nội dung đa phương tiện",
    "/3D": "nội dung 3D",
}
MAX_OBJECTS = 500_000
MAX_TEXT_CHARS = 200_000


class PdfInspectionError(Exception):
    code = "pdf_invalid"


class PdfUnreadable(PdfInspectionError):
    code = "corrupt"


class PdfTooComplex(PdfInspectionError):
    code = "too_complex"


@dataclass(frozen=True)
class PdfReport:
    pages: int
    encrypted: bool
    active: tuple[str, ...]  # Vietnamese names of the active content found, none for a clean file
    text: str = ""


@dataclass(frozen=True)
class Limits:
    memory_bytes: int = 512 * 1024 * 1024
    cpu_seconds: int = 5
    wall_seconds: float = 10.0

    @classmethod
    def from_settings(cls) -> Limits:
        from django.conf import settings

        return cls(
            memory_bytes=int(getattr(settings, "PDF_INSPECT_MEMORY_MB", 512)) * 1024 * 1024,
            cpu_seconds=int(getattr(settings, "PDF_INSPECT_CPU_SECONDS", 5)),
            wall_seconds=float(getattr(settings, "PDF_INSPECT_WALL_SECONDS", 10)),
        )


_context_lock = threading.Lock()
_context: Any = None


def _get_context() -> Any:
    global _context
    with _context_lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["pypdf", __name__])
            _context = context
        return _context


def inspect_pdf(content: bytes, *, text: bool = False, limits: Limits | None = None) -> PdfReport:
    """Page count, encryption and active content of `content` (and its text layer with `text`),
    read in a bounded child process. Raises PdfUnreadable or PdfTooComplex."""
    limits = limits or Limits.from_settings()
    if multiprocessing.current_process().daemon:
        # A daemonic process (a multiprocessing pool worker, Huey's process workers) may not
        # start multiprocessing children: run the same inspection as a fresh interpreter.
        return _report(_inspect_in_subprocess(content, text, limits))
    inspector = _POOL.take(limits)
    answer = inspector.ask(content, text, limits)
    if answer is None or answer.get("error") == "too_complex" or inspector.worn_out():
        inspector.stop()
    else:
        _POOL.give_back(inspector)
    return _report(answer)


INSPECTOR_USES = 200  # files one inspector reads before it is replaced
IDLE_INSPECTORS = 2  # kept waiting per web process (one per thread that inspects at once)


class _Inspector:
    """One waiting child process and the parent's end of its pipe."""

    def __init__(self, limits: Limits) -> None:
        context = _get_context()
        self.limits = limits
        self.conn, child_end = context.Pipe(duplex=True)
        self.process = context.Process(
            target=_serve, args=(child_end, limits.memory_bytes), daemon=True
        )
        self.process.start()
        child_end.close()  # the child holds the only other end: its death ends any wait
        self.uses = 0

    def ask(self, content: bytes, text: bool, limits: Limits) -> dict[str, Any] | None:
        self.uses += 1
        try:
            self.conn.send((content, text, limits.cpu_seconds))
            if self.conn.poll(limits.wall_seconds):
                answer: dict[str, Any] = self.conn.recv()
                return answer
        except (EOFError, OSError):
            pass  # killed by SIGXCPU/SIGKILL, or died of MemoryError
        return None

    def worn_out(self) -> bool:
        return self.uses >= INSPECTOR_USES or not self.process.is_alive()

    def stop(self) -> None:
        self.conn.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join(1)


class _Pool:
    """Idle inspectors of this process, by limits. Rebuilt after a fork (a child process never
    uses its parent's inspectors: their pipes are shared with the parent)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pid = os.getpid()
        self.idle: dict[Limits, list[_Inspector]] = {}

    def take(self, limits: Limits) -> _Inspector:
        with self.lock:
            if self.pid != os.getpid():
                self.pid, self.idle = os.getpid(), {}
            waiting = self.idle.get(limits)
            if waiting:
                return waiting.pop()
        return _Inspector(limits)

    def give_back(self, inspector: _Inspector) -> None:
        with self.lock:
            if self.pid == os.getpid():
                waiting = self.idle.setdefault(inspector.limits, [])
                if len(waiting) < IDLE_INSPECTORS:
                    waiting.append(inspector)
                    return
        inspector.stop()


_POOL = _Pool()


def _report(answer: dict[str, Any] | None) -> PdfReport:
    if answer is None:
        raise PdfTooComplex("the inspector was stopped by its limits")
    if answer.get("error") == "corrupt":
        raise PdfUnreadable(str(answer.get("detail", "")))
    if answer.get("error"):
        raise PdfTooComplex(str(answer.get("detail", "")))
    return PdfReport(
        pages=int(answer["pages"]),
        encrypted=bool(answer["encrypted"]),
        active=tuple(answer.get("active", [])),
        text=str(answer.get("text", "")),
    )


def _inspect_in_subprocess(content: bytes, text: bool, limits: Limits) -> dict[str, Any] | None:
    """This module run as a script (stdlib imports only, then pypdf) with the same limits."""
    command = [sys.executable, "-I", __file__, str(limits.memory_bytes), str(limits.cpu_seconds)]
    try:
        done = subprocess.run(  # noqa: S603 - our own interpreter and module, no shell
            [*command, "text" if text else "-"],
            input=content,
            capture_output=True,
            timeout=limits.wall_seconds,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        return None
    try:
        answer: dict[str, Any] = json.loads(done.stdout)
    except ValueError:
        return None
    return answer


# --- the child ----------------------------------------------------------------------------------


def _active_content(reader: Any) -> list[str]:
    """Walk every object of the file (not only those reachable from the pages): a viewer runs an
    action wherever it sits, and pypdf has already decoded names (`/J#53` is `/JS`)."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    found: dict[str, None] = {}
    roots: list[Any] = [reader.trailer]
    numbers = [(num, gen) for gen, table in reader.xref.items() for num in table]
    numbers += [(num, 0) for num in reader.xref_objStm]
    if len(numbers) > MAX_OBJECTS:
        raise OverflowError("too many objects")
    for num, gen in numbers:
        obj = reader.get_object(IndirectObject(num, gen, reader))
        if obj is not None:
            roots.append(obj)
    stack = roots
    seen = 0
    while stack:
        item = stack.pop()
        seen += 1
        if seen > MAX_OBJECTS * 20:
            raise OverflowError("too many values")
        if isinstance(item, DictionaryObject):
            for key, value in item.items():
                if key in ACTIVE_KEYS:
                    found[ACTIVE_KEYS[key]] = None
                if key == "/S" and value in ACTIVE_ACTIONS:
                    found[ACTIVE_ACTIONS[value]] = None
                if key == "/Type" and value in ACTIVE_TYPES:
                    found[ACTIVE_TYPES[value]] = None
                if key == "/Subtype" and value in ACTIVE_ANNOTATIONS:
                    found[ACTIVE_ANNOTATIONS[value]] = None
                if isinstance(value, DictionaryObject | ArrayObject):
                    stack.append(value)
        elif isinstance(item, ArrayObject):
            stack.extend(v for v in item if isinstance(v, DictionaryObject | ArrayObject))
    return list(found)


def _inspect(content: bytes, want_text: bool) -> dict[str, Any]:
    import io

    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError, PyPdfError

    CORRUPT = (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError)

    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted:
            return {"pages": 0, "encrypted": True, "active": []}
        pages = len(reader.pages)
        active = _active_content(reader)
        text = ""
        if want_text:
            parts: list[str] = []
            total = 0
            for page in reader.pages:
                piece = page.extract_text() or ""
                parts.append(piece)
                total += len(piece)
                if total > MAX_TEXT_CHARS:
                    break
            text = "\n".join(parts)[:MAX_TEXT_CHARS]
    except (LimitReachedError, MemoryError, RecursionError, OverflowError) as exc:
        return {"error": "too_complex", "detail": f"{type(exc).__name__}: {exc}"[:200]}
    except CORRUPT as exc:
        return {"error": "corrupt", "detail": f"{type(exc).__name__}: {exc}"[:200]}
    return {"pages": pages, "encrypted": False, "active": active, "text": text}


def _limit_self(memory: int, cpu: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _serve(conn: Connection, memory: int) -> None:
    """An inspector's life: its fixed limits once, then one file after another until the pipe
    closes. Before each file the CPU limit moves to the seconds used so far plus the file's
    allowance (SIGXCPU, whose default action ends the process, when it is passed)."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    while True:
        try:
            content, want_text, cpu = conn.recv()
        except (EOFError, OSError):
            return
        used = resource.getrusage(resource.RUSAGE_SELF)
        spent = math.ceil(used.ru_utime + used.ru_stime)
        hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
        soft = spent + cpu if hard == resource.RLIM_INFINITY else min(spent + cpu, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
        try:
            answer = _inspect(content, want_text)
        except MemoryError:
            answer = {"error": "too_complex", "detail": "MemoryError"}
        del content
        conn.send(answer)


if __name__ == "__main__":
    # The subprocess form (see _inspect_in_subprocess): limits from argv, the file on stdin.
    _content = sys.stdin.buffer.read()
    _limit_self(int(sys.argv[1]), int(sys.argv[2]))
    try:
        _answer = _inspect(_content, sys.argv[3] == "text")
    except MemoryError:
        _answer = {"error": "too_complex", "detail": "MemoryError"}
    sys.stdout.write(json.dumps(_answer))
