"""Stand-ins for tests, demonstrations and the benchmark.

- `AutoResponder`: an incoming handler standing in for the documents app: it "registers" each
  package and answers 03, 04, 05, 06 (a revoke, update or replace gets 03; a take-back request
  13 gets 15).
- `serve(...)`: this platform's WSGI application on 127.0.0.1 with an outbox worker thread, as
  `manage.py exchange_standin` runs it: a second platform instance in its own process.
- `PeerInstance`: starts such an instance as a subprocess with its own SQLite database (migrated
  there), its agencies, the shared demo CA and its external endpoints, and stops it again.
- `write_hierarchy` / `read_hierarchy`: share one demo CA between instances through files, so
  both trust the same root.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.conf import settings
from django.db import close_old_connections

from egov.core.actors import SYSTEM

from .edxml import ACCEPTED, ASSIGNED, COMPLETED, PROCESSING, TAKE_BACK_AGREED, TAKE_BACK_REQUESTED

logger = logging.getLogger("egov.exchange.standin")

DEFAULT_ANSWERS = (ACCEPTED, ASSIGNED, PROCESSING, COMPLETED)


# ---------------------------------------------------------------------------------------------
# The stand-in registrar
# ---------------------------------------------------------------------------------------------


class AutoResponder:
    """Answers like a diligent clerk: registered (03), assigned (04), processing (05), done
    (06). Register it with `register()`; it remembers what it saw.

    With `delay` > 0 the answers come later, from a thread, each in its own transaction (as a
    clerk would act after the package arrived); with 0 they are sent inside the receipt's
    transaction."""

    def __init__(self, answers: Sequence[str] = DEFAULT_ANSWERS, delay: float = 0.0) -> None:
        self.answers = tuple(answers)
        self.delay = delay
        self.received: list[tuple[str, int]] = []  # (DocumentId, BussinessDocType)
        self.statuses: list[tuple[str, str]] = []  # (DocumentId, StatusCode)
        self._lock = threading.Lock()

    def _answer(
        self,
        document_id: str,
        to_organ_id: str,
        agency: Any,
        codes: Sequence[str],
        description: str = "",
    ) -> None:
        from django.db import transaction

        from . import statuses

        def send_one(code: str) -> None:
            statuses.send_status(
                document_id,
                to_organ_id=to_organ_id,
                status_code=code,
                description=description,
                staff="Văn thư (tự động)",
                from_agency=agency,
            )

        if not self.delay:
            for code in codes:
                send_one(code)
            return

        def later() -> None:
            time.sleep(self.delay)
            try:
                for code in codes:
                    close_old_connections()
                    with transaction.atomic():
                        send_one(code)
            except Exception:
                logger.exception("stand-in could not answer %s", document_id)
            finally:
                close_old_connections()

        transaction.on_commit(lambda: threading.Thread(target=later, daemon=True).start())

    def on_package(self, received: Any) -> None:
        with self._lock:
            self.received.append((received.document_id, int(received.business_doc_type)))
        answers = self.answers if int(received.business_doc_type) == 0 else self.answers[:1]
        self._answer(received.document_id, received.sender.organ_id, received.agency, answers)

    def on_status(self, received: Any) -> None:
        with self._lock:
            self.statuses.append((received.document_id, received.status_code))
        if (
            received.status_code == TAKE_BACK_REQUESTED
            and received.incoming is not None
            and not received.stale
        ):
            self._answer(
                received.document_id,
                received.message.sender.organ_id,
                received.agency,
                [TAKE_BACK_AGREED],
                "Đồng ý trả lại văn bản.",
            )

    def register(self) -> AutoResponder:
        from . import handlers

        handlers.register_incoming_handler(self.on_package)
        handlers.register_status_handler(self.on_status)
        return self

    def unregister(self) -> None:
        from . import handlers

        handlers.unregister_incoming_handler(self.on_package)
        handlers.unregister_status_handler(self.on_status)


# ---------------------------------------------------------------------------------------------
# Sharing one demo CA between instances
# ---------------------------------------------------------------------------------------------


def write_hierarchy(hierarchy: Any, directory: Path) -> Path:
    """Store a signing DemoHierarchy (root + issuing CA, with keys) as PKCS#12 files."""
    from egov.signing import keystore

    directory.mkdir(parents=True, exist_ok=True)
    passphrase = keystore.new_passphrase()
    (directory / "passphrase").write_bytes(passphrase)
    for name in ("root", "intermediate"):
        material = getattr(hierarchy, name)
        (directory / f"{name}.p12").write_bytes(keystore.to_pkcs12(material, passphrase, name))
    return directory


def read_hierarchy(directory: Path) -> Any:
    from egov.signing import keystore
    from egov.signing.services import DemoHierarchy

    passphrase = (directory / "passphrase").read_bytes()
    root = keystore.load_pkcs12((directory / "root.p12").read_bytes(), passphrase)
    intermediate = keystore.load_pkcs12((directory / "intermediate.p12").read_bytes(), passphrase)
    return DemoHierarchy(root=root, intermediate=intermediate)


# ---------------------------------------------------------------------------------------------
# One instance's setup (run inside that instance)
# ---------------------------------------------------------------------------------------------


@dataclass
class PeerAgency:
    identifier: str
    name: str
    abbreviation: str = "CQ"
    kind: str = "so"


@dataclass
class PeerLink:
    """An agency on another instance, as this instance declares it."""

    organ_id: str
    organ_name: str
    url: str  # the other instance's exchange API: http://127.0.0.1:PORT/api/v1/exchange/
    auth_token: str  # what this instance presents there
    inbound_token: str  # what the other instance presents here


@dataclass
class InstanceConfig:
    agencies: list[PeerAgency] = field(default_factory=list)
    peers: list[PeerLink] = field(default_factory=list)
    demo_ca_dir: str = ""
    answers: list[str] = field(default_factory=lambda: list(DEFAULT_ANSWERS))
    answer_delay: float = 0.0
    exclusive_handlers: bool = True  # only the AutoResponder answers (not the documents app)
    host: str = "127.0.0.1"
    port: int = 0
    worker_interval: float = 0.2

    @classmethod
    def load(cls, path: Path) -> InstanceConfig:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            agencies=[PeerAgency(**a) for a in data.get("agencies", [])],
            peers=[PeerLink(**p) for p in data.get("peers", [])],
            demo_ca_dir=data.get("demo_ca_dir", ""),
            answers=list(data.get("answers", DEFAULT_ANSWERS)),
            answer_delay=float(data.get("answer_delay", 0.0)),
            exclusive_handlers=bool(data.get("exclusive_handlers", True)),
            host=data.get("host", "127.0.0.1"),
            port=int(data.get("port", 0)),
            worker_interval=float(data.get("worker_interval", 0.2)),
        )

    def dump(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=2), encoding="utf-8")


def setup_instance(config: InstanceConfig) -> None:
    """Agencies, the shared demo CA with a certificate per agency, and the external endpoints
    (idempotent)."""
    from egov.org.models import Agency
    from egov.org.services import create_agency

    from . import endpoints

    for spec in config.agencies:
        if not Agency.objects.filter(identifier=spec.identifier).exists():
            create_agency(
                actor=SYSTEM,
                identifier=spec.identifier,
                name=spec.name,
                abbreviation=spec.abbreviation,
                kind=spec.kind,
            )
    if config.demo_ca_dir:
        from egov.signing.services import ensure_demo_ca

        ensure_demo_ca(actor=SYSTEM, hierarchy=read_hierarchy(Path(config.demo_ca_dir)))
    for peer in config.peers:
        endpoints.save_endpoint(
            actor=SYSTEM,
            organ_id=peer.organ_id,
            organ_name=peer.organ_name,
            url=peer.url,
            auth_token=peer.auth_token,
            inbound_token=peer.inbound_token,
        )


# ---------------------------------------------------------------------------------------------
# Serving
# ---------------------------------------------------------------------------------------------


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return None


def run_outbox_worker(stop: threading.Event, interval: float = 0.2) -> None:
    """Deliver due outbox messages until `stop` is set (what `run_huey` does in production)."""
    from egov.events.services import sweep_outbox

    while not stop.is_set():
        try:
            close_old_connections()
            report = sweep_outbox(time_budget=5.0)
            busy = report.claimed > 0
        except Exception:  # keep working: one bad round must not stop the worker
            logger.exception("outbox worker round failed")
            busy = False
        finally:
            close_old_connections()
        if not busy:
            stop.wait(interval)


def serve(config: InstanceConfig, *, announce: Any = print) -> None:
    """Serve this platform on config.host:config.port (0 = any free port) with an outbox
    worker thread and the AutoResponder; announce "READY <url>" once listening."""
    from django.core.wsgi import get_wsgi_application

    from . import handlers

    if config.exclusive_handlers:
        handlers.incoming_handlers.clear()
        handlers.status_handlers.clear()
    responder = AutoResponder(config.answers, delay=config.answer_delay).register()
    stop = threading.Event()
    worker = threading.Thread(
        target=run_outbox_worker, args=(stop, config.worker_interval), daemon=True
    )
    worker.start()
    httpd = make_server(
        config.host,
        config.port,
        get_wsgi_application(),
        server_class=_ThreadingServer,
        handler_class=_QuietHandler,
    )
    announce(f"READY http://{config.host}:{httpd.server_port}")
    try:
        httpd.serve_forever(poll_interval=0.2)
    finally:
        stop.set()
        httpd.server_close()
        responder.unregister()
        worker.join(timeout=5)


# ---------------------------------------------------------------------------------------------
# Driving an instance from outside
# ---------------------------------------------------------------------------------------------


def manage_py() -> Path:
    return Path(settings.BASE_DIR) / "manage.py"


class InstanceError(RuntimeError):
    pass


class PeerInstance:
    """A platform instance in a subprocess with its own SQLite database.

    with PeerInstance(tmp / "b", config) as b:   # migrate, set up, start
        b.api_url  ->  http://127.0.0.1:PORT/api/v1/exchange/
    """

    def __init__(
        self,
        workdir: Path,
        config: InstanceConfig,
        *,
        template_db: Path | None = None,
        settings_module: str = "egov.settings.dev",
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.workdir = workdir
        self.config = config
        self.template_db = template_db
        self.settings_module = settings_module
        self.extra_env = extra_env or {}
        self.db_path = workdir / "db.sqlite3"
        self.log_path = workdir / "server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/v1/exchange/"

    def env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "HUEY_BACKEND", "REDIS_URL"}
        }
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": self.settings_module,
                "DATABASE_URL": f"sqlite:///{self.db_path}",
                "EGOV_VAR_DIR": str(self.workdir / "var"),
                "DEBUG": "0",
                "LOG_LEVEL": "WARNING",
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(self.extra_env)
        return env

    def manage(self, *args: str, timeout: float = 600) -> str:
        done = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
            [sys.executable, str(manage_py()), *args],
            env=self.env(),
            cwd=str(manage_py().parent),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise InstanceError(
                f"manage.py {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-4000:]}"
            )
        return done.stdout

    def prepare(self) -> None:
        """A migrated database (copied from the template when there is one), then the setup."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "var").mkdir(exist_ok=True)
        if self.template_db is not None and self.template_db.exists():
            shutil.copyfile(self.template_db, self.db_path)
        else:
            self.manage("migrate", "--noinput")
        config_path = self.workdir / "instance.json"
        self.config.dump(config_path)
        self.manage("exchange_standin", "--config", str(config_path), "--setup-only")

    def start(self, timeout: float = 60) -> PeerInstance:
        config_path = self.workdir / "instance.json"
        self.config.dump(config_path)
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
            [sys.executable, str(manage_py()), "exchange_standin", "--config", str(config_path)],
            env=self.env(),
            cwd=str(manage_py().parent),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
            for line in text.splitlines():
                if line.startswith("READY "):
                    self.url = line.split(" ", 1)[1].strip()
                    return self
            if self.process.poll() is not None:
                raise InstanceError(f"instance exited ({self.process.returncode}):\n{text[-4000:]}")
            time.sleep(0.1)
        self.stop()
        raise InstanceError(f"instance not ready after {timeout}s:\n{self.log_text()[-4000:]}")

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def __enter__(self) -> PeerInstance:
        self.prepare()
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def migrated_template(directory: Path) -> Path:
    """Migrate one SQLite database to copy for each instance (migrating takes a while)."""
    directory.mkdir(parents=True, exist_ok=True)
    template = directory / "template.sqlite3"
    if not template.exists():
        instance = PeerInstance(directory / "template-work", InstanceConfig())
        instance.workdir.mkdir(parents=True, exist_ok=True)
        instance.manage("migrate", "--noinput")
        connection = sqlite3.connect(instance.db_path)
        try:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.execute("PRAGMA journal_mode=DELETE")
        finally:
            connection.close()
        shutil.move(str(instance.db_path), template)
    return template
