"""A local cluster: on this one machine, what a province runs on several (`make cluster`).

    python -m egov.core.cluster start | stop | status | restart NAME | env

- PostgreSQL primary and streaming replica (egov.core.pgpair: initdb, pg_basebackup -R);
- PgBouncer in transaction mode in front of the primary (what the web instances use);
- two gunicorn web instances of the project's WSGI application, production settings;
- HAProxy in front of both, health-checking /healthz;
- two Huey consumers on PostgreSQL (straight on the primary: see `huey_env`);
- the local stand-ins the outbox delivers to (SMS gateway, national portal, webhook receiver,
  time-stamping authority, payment platform, VNeID), each counting what it received;
- one media directory both web instances share.

Every piece's state is under var/cluster/ (EGOV_CLUSTER_DIR): data, generated configuration,
logs, and one pid file per process, so `stop` ends exactly what `start` started. Starting again
starts only what is not running. Stdlib only (and pgpair): Django runs in the child processes.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from egov.core.pgpair import PG_USER, PgPair

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DB_NAME = "egov_cluster"

# Ports (the brief's range; each overridable from the environment).
PRIMARY_PORT = int(os.environ.get("CLUSTER_PRIMARY_PORT", "55432"))
REPLICA_PORT = int(os.environ.get("CLUSTER_REPLICA_PORT", "55433"))
PGBOUNCER_PORT = int(os.environ.get("CLUSTER_PGBOUNCER_PORT", "56432"))
HAPROXY_PORT = int(os.environ.get("CLUSTER_HAPROXY_PORT", "8100"))
WEB_PORTS = (
    int(os.environ.get("CLUSTER_WEB1_PORT", "8101")),
    int(os.environ.get("CLUSTER_WEB2_PORT", "8102")),
)
STANDIN_BASE_PORT = int(os.environ.get("CLUSTER_STANDIN_PORT", "8110"))
SMS_PORT, NATIONAL_PORT, WEBHOOK_PORT, TSA_PORT, PAYMENT_PORT, IDENTITY_PORT = (
    STANDIN_BASE_PORT + i for i in range(6)
)
REDIS_URL = os.environ.get("CLUSTER_REDIS_URL", "redis://127.0.0.1:6379/7")
WEB_WORKERS = os.environ.get("CLUSTER_WEB_WORKERS", "2")
WEB_THREADS = os.environ.get("CLUSTER_WEB_THREADS", "4")

# (name, what it is) in start order; the stand-ins first: a dossier event made while
# NATIONAL_PORTAL_URL is unset is never queued.
STANDINS = ("sms", "national", "webhooks", "tsa", "payment", "identity")
WEBS = ("web1", "web2")
WORKERS = ("huey1", "huey2")


def cluster_dir() -> Path:
    return Path(os.environ.get("EGOV_CLUSTER_DIR", BASE_DIR / "var" / "cluster")).resolve()


def python() -> str:
    venv = BASE_DIR / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def bin_path(name: str) -> str:
    venv = BASE_DIR / ".venv" / "bin" / name
    return str(venv) if venv.exists() else name


@dataclass
class Cluster:
    root: Path
    db: str = DB_NAME  # the web instances' database (bench_cluster points them at its own)
    replica: bool = True  # give the web instances DATABASE_REPLICA_URL

    # -- places ---------------------------------------------------------------------------------
    @property
    def pair(self) -> PgPair:
        return PgPair(self.root / "pg", PRIMARY_PORT, REPLICA_PORT)

    def pidfile(self, name: str) -> Path:
        return self.root / "run" / f"{name}.pid"

    def logfile(self, name: str) -> Path:
        return self.root / "log" / f"{name}.log"

    @property
    def media(self) -> Path:
        return self.root / "media"

    # -- environment ----------------------------------------------------------------------------
    def secrets(self) -> dict[str, str]:
        """Made on the first start and kept: the keystore key protects signing keys in the
        database, the stand-ins' tokens must match what the platform sends."""
        path = self.root / "secrets.json"
        if path.exists():
            loaded: dict[str, str] = json.loads(path.read_text())
            return loaded
        values = {
            "SECRET_KEY": secrets.token_urlsafe(48),
            "SIGNING_KEYSTORE_KEY": secrets.token_urlsafe(32),
            "NATIONAL_PORTAL_TOKEN": secrets.token_urlsafe(32),
            "PAYMENT_PARTNER_SECRET": secrets.token_urlsafe(32),
            "VNEID_CLIENT_SECRET": secrets.token_urlsafe(32),
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values, indent=1))
        path.chmod(0o600)
        return values

    def primary_url(self) -> str:
        return f"postgresql://{PG_USER}@127.0.0.1:{PRIMARY_PORT}/{self.db}"

    def replica_url(self) -> str:
        return f"postgresql://{PG_USER}@127.0.0.1:{REPLICA_PORT}/{self.db}"

    def pooled_url(self) -> str:
        return f"postgresql://{PG_USER}@127.0.0.1:{PGBOUNCER_PORT}/{self.db}"

    def base_env(self) -> dict[str, str]:
        """What every Django process of the cluster shares (production settings over HTTP)."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DATABASE_", "DJANGO_", "HUEY_"))
        }
        env.update(self.secrets())
        app = self.root / "app"
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "egov.settings.production",
                # Plain HTTP on 127.0.0.1: HTTPS is the province's front proxy's job.
                "SECURE_SSL_REDIRECT": "0",
                "EGOV_VAR_DIR": str(app),
                "MEDIA_ROOT": str(self.media),
                "STATIC_ROOT": str(self.root / "static"),
                "DATABASE_URL": self.primary_url(),
                "REDIS_URL": REDIS_URL,
                "HUEY_BACKEND": "postgres",
                "HUEY_DATABASE_URL": self.primary_url(),
                "ALLOWED_HOSTS": "localhost,127.0.0.1",
                "TRUSTED_PROXY_COUNT": "1",  # HAProxy
                # Every test client comes from 127.0.0.1: the per-address lookup limit would
                # stop the cluster check and the benchmark after 10 lookups.
                "LOOKUP_RATE_LIMIT_PER_MINUTE": "1000000000",
                "LOG_LEVEL": "WARNING",
                # A message held by a consumer that died is taken again after the lease; the
                # production default (300 s) would make the cluster check wait five minutes.
                "OUTBOX_LEASE_SECONDS": "30",
                "OUTBOX_BACKOFF_BASE_SECONDS": "5",
                "SMS_GATEWAY_URL": f"http://127.0.0.1:{SMS_PORT}/sms",
                "NATIONAL_PORTAL_URL": f"http://127.0.0.1:{NATIONAL_PORT}",
                "TSA_URL": f"http://127.0.0.1:{TSA_PORT}/tsa",
                "PAYMENT_PLATFORM_URL": f"http://127.0.0.1:{PAYMENT_PORT}/api",
                "PAYMENT_PARTNER_CODE": "000.00.00.H41",
                "PAYMENT_PUBLIC_URL": f"http://localhost:{HAPROXY_PORT}",
                "PUBLIC_BASE_URL": f"http://localhost:{HAPROXY_PORT}",
                "VNEID_CLIENT_ID": "cong-dvc-cluster",
                "VNEID_ISSUER": f"http://127.0.0.1:{IDENTITY_PORT}",
                "VNEID_DISCOVERY_URL": (
                    f"http://127.0.0.1:{IDENTITY_PORT}/.well-known/openid-configuration"
                ),
                "WEBHOOK_ALLOW_LOCALHOST": "1",
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env

    def web_env(self) -> dict[str, str]:
        """The web instances: the primary through PgBouncer (transaction mode), reads that
        tolerate lag from the replica."""
        env = self.base_env()
        env["DATABASE_URL"] = self.pooled_url()
        env["DATABASE_POOL_MODE"] = "transaction"
        env["DB_CONN_MAX_AGE"] = "600"
        if self.replica:
            env["DATABASE_REPLICA_URL"] = self.replica_url()
        return env

    def huey_env(self) -> dict[str, str]:
        """The consumers go straight to the primary, not through PgBouncer: each holds one
        connection per worker thread for its whole life (nothing to pool), and Huey's storage
        (peewee on psycopg 3) prepares its statements server-side after five runs, which
        PgBouncer 1.18 in transaction mode cannot follow."""
        env = self.base_env()
        env["HUEY_WORKERS"] = "2"
        return env

    # -- processes -------------------------------------------------------------------------------
    def pid(self, name: str) -> int | None:
        try:
            pid = int(self.pidfile(name).read_text().strip())
        except (OSError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return pid
        return pid

    def running(self, name: str) -> bool:
        return self.pid(name) is not None

    def spawn(self, name: str, cmd: list[str], env: dict[str, str]) -> int:
        """Start `cmd` in a session of its own (so `kill9` can take its whole process group,
        as a crashed machine would) and record its pid."""
        self.pidfile(name).parent.mkdir(parents=True, exist_ok=True)
        self.logfile(name).parent.mkdir(parents=True, exist_ok=True)
        with self.logfile(name).open("ab") as log:
            proc = subprocess.Popen(  # noqa: S603 -- our own commands
                cmd,
                cwd=BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.pidfile(name).write_text(str(proc.pid))
        return proc.pid

    def kill9(self, name: str) -> None:
        """kill -9 the process and its children (its process group)."""
        pid = self.pid(name)
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            _wait_gone(pid, 10)

    def terminate(self, name: str, timeout: float = 15) -> None:
        pid = self.pid(name)
        if pid is None:
            self.pidfile(name).unlink(missing_ok=True)
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        if not _wait_gone(pid, timeout):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            _wait_gone(pid, 5)
        self.pidfile(name).unlink(missing_ok=True)

    # -- pieces ------------------------------------------------------------------------------
    def manage(self, *args: str, env: dict[str, str] | None = None) -> str:
        done = subprocess.run(  # noqa: S603 -- our own command
            [python(), "manage.py", *args],
            cwd=BASE_DIR,
            env=env or self.base_env(),
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def start_database(self) -> None:
        pair = self.pair
        # UTC on the server: Django then never sends SET TIME ZONE, which in transaction mode
        # would stay on whichever server connection PgBouncer lent for that transaction.
        pair.create(extra_conf="timezone = 'UTC'\nmax_connections = 300\njit = off\n")
        pair.create_database(DB_NAME)

    def pgbouncer_config(self) -> Path:
        d = self.root / "pgbouncer"
        d.mkdir(parents=True, exist_ok=True)
        (d / "userlist.txt").write_text(f'"{PG_USER}" ""\n')
        ini = d / "pgbouncer.ini"
        ini.write_text(
            "[databases]\n"
            f"* = host=127.0.0.1 port={PRIMARY_PORT}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {PGBOUNCER_PORT}\nunix_socket_dir =\n"
            "auth_type = trust\n"
            f"auth_file = {d / 'userlist.txt'}\n"
            "pool_mode = transaction\n"
            "max_client_conn = 1000\ndefault_pool_size = 20\nreserve_pool_size = 5\n"
            "server_reset_query =\n"
            # psycopg may send these at start-up; PgBouncer would refuse the connection.
            "ignore_startup_parameters = extra_float_digits,options\n"
            f"pidfile = {d / 'pgbouncer.pid'}\nlogfile = {d / 'pgbouncer.log'}\n"
            "admin_users = postgres\n"
        )
        if os.geteuid() == 0:  # PgBouncer refuses to run as root: it runs as postgres
            for path in (d, *d.iterdir()):
                shutil.chown(path, PG_USER, PG_USER)
        return ini

    def start_pgbouncer(self) -> None:
        if self.running("pgbouncer"):
            return
        ini = self.pgbouncer_config()
        cmd = ["/usr/sbin/pgbouncer", str(ini)]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", PG_USER, "--", *cmd]
        self.spawn("pgbouncer", cmd, dict(os.environ))
        _wait_port(PGBOUNCER_PORT, 20)

    def haproxy_config(self, weights: dict[str, int] | None = None) -> Path:
        d = self.root / "haproxy"
        d.mkdir(parents=True, exist_ok=True)
        servers = "".join(
            f"    server {name} 127.0.0.1:{port} check inter 1s fall 3 rise 1\n"
            for name, port in zip(WEBS, WEB_PORTS, strict=True)
        )
        cfg = d / "haproxy.cfg"
        cfg.write_text(
            "global\n"
            f"    stats socket {d / 'admin.sock'} mode 600 level admin\n"
            "    maxconn 2000\n"
            "defaults\n"
            "    mode http\n"
            "    timeout connect 2s\n    timeout client 120s\n    timeout server 120s\n"
            # HAProxy drops an idle server connection before gunicorn would (its keep-alive is
            # longer, below): otherwise a request sent as gunicorn closes the idle connection
            # is lost and the client sees the connection closed without an answer.
            "    timeout http-keep-alive 10s\n"
            # A busy two-core machine answers /healthz slowly, not never.
            "    timeout check 5s\n"
            "    option forwardfor\n"
            "    option http-keep-alive\n"
            # A request that never reached a server (it was down) goes to the other one; one
            # that did is never sent twice (a POST could then be taken twice).
            "    retries 3\n    option redispatch\n    retry-on conn-failure\n"
            "frontend www\n"
            f"    bind 127.0.0.1:{HAPROXY_PORT}\n"
            "    default_backend web\n"
            "backend web\n"
            "    balance roundrobin\n"
            "    option httpchk\n"
            "    http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host localhost\n"
            "    http-check expect status 200\n" + servers
        )
        return cfg

    def start_haproxy(self) -> None:
        if self.running("haproxy"):
            return
        cfg = self.haproxy_config()
        check = subprocess.run(  # noqa: S603
            ["/usr/sbin/haproxy", "-c", "-q", "-f", str(cfg)],
            capture_output=True,
            text=True,
            check=False,
        )
        if check.returncode:
            raise RuntimeError(f"haproxy configuration refused:\n{check.stderr}")
        # -db: stays in the foreground, so its pid is the one we record.
        self.spawn("haproxy", ["/usr/sbin/haproxy", "-db", "-f", str(cfg)], dict(os.environ))
        _wait_port(HAPROXY_PORT, 20)

    def haproxy_command(self, command: str) -> str:
        """A command on HAProxy's admin socket (e.g. 'disable server web/web2')."""
        import socket

        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(str(self.root / "haproxy" / "admin.sock"))
            sock.sendall(command.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def start_web(self, name: str) -> None:
        if self.running(name):
            return
        port = WEB_PORTS[WEBS.index(name)]
        cmd = [
            bin_path("gunicorn"),
            "egov.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            WEB_WORKERS,
            # Threads: a /healthz probe is answered while slow requests hold the other
            # threads; with sync workers a busy instance fails its checks and HAProxy, seeing
            # none healthy while the other instance is down, answers 503 to everything.
            "--worker-class",
            "gthread",
            "--threads",
            WEB_THREADS,
            "--reuse-port",
            "--timeout",
            "120",
            "--graceful-timeout",
            "10",
            "--keep-alive",
            "75",  # longer than HAProxy's idle timeout (above): HAProxy closes first
            # gunicorn 27's control socket is one path per user: two instances would share it.
            "--no-control-socket",
        ]
        self.spawn(name, cmd, self.web_env())

    def start_worker(self, name: str) -> None:
        if self.running(name):
            return
        cmd = [python(), "manage.py", "run_huey", "--quiet"]
        if name != WORKERS[0]:
            # One scheduler for the periodic tasks (checkpoints, reminders, sweeps): the
            # other consumers only take queued tasks.
            cmd.append("--no-periodic")
        self.spawn(name, cmd, self.huey_env())

    def start_standin(self, name: str) -> None:
        if self.running(name):
            return
        env = self.base_env()
        manage = [python(), "manage.py"]
        if name == "sms":
            cmd = [python(), "-m", "egov.events.standins", "--port", str(SMS_PORT)]
        elif name == "national":
            cmd = [*manage, "national_portal_standin", "--port", str(NATIONAL_PORT)]
        elif name == "tsa":
            cmd = [python(), "-m", "egov.signing.tsa_standin", "--port", str(TSA_PORT)]
        elif name == "payment":
            cmd = [*manage, "payment_standin", "--port", str(PAYMENT_PORT)]
        elif name == "identity":
            cmd = [*manage, "identity_standin", "--port", str(IDENTITY_PORT)]
        elif name == "webhooks":
            # The demo subscription's signing secret is new on every (re)start: the receiver
            # gets it from the environment, as in scripts/run.
            target = f"http://127.0.0.1:{WEBHOOK_PORT}/hook"
            env["WEBHOOK_STANDIN_SECRET"] = self.manage("load_demo_webhooks", "--target", target)
            env["WEBHOOK_STANDIN_SECRET"] = env["WEBHOOK_STANDIN_SECRET"].strip()
            cmd = [*manage, "webhook_receiver_standin", "--port", str(WEBHOOK_PORT)]
        else:
            raise ValueError(name)
        self.spawn(name, cmd, env)

    def first_load(self, say: Callable[[str], None]) -> None:
        """Migrate and load the demo province once (a marker file says it was done)."""
        marker = self.root / "app" / "demo-loaded"
        say("migrating")
        self.manage("migrate", "--noinput", "-v", "0")
        if marker.exists():
            return
        # Once: after a code update, `scripts/cluster env` then manage.py collectstatic.
        self.manage("collectstatic", "--noinput", "-v", "0")
        say("loading the demo province (first start only)")
        for command in ("load_demo", "make_demo_ca", "load_demo_results", "load_demo_meetings"):
            say(f"  manage.py {command}")
            self.manage(command)
        marker.write_text(time.strftime("%Y-%m-%d %H:%M:%S"))

    # -- the whole -------------------------------------------------------------------------------
    def start(self, say: Callable[[str], None] = print) -> None:
        for sub in ("run", "log", "app", "media"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        say(f"PostgreSQL primary :{PRIMARY_PORT} and streaming replica :{REPLICA_PORT}")
        self.start_database()
        say(f"PgBouncer :{PGBOUNCER_PORT} (transaction mode)")
        self.start_pgbouncer()
        say("stand-ins (SMS, national portal, webhook receiver, TSA, payments, VNeID)")
        # The outbox's receivers before the demo is loaded (its events queue messages to them);
        # the TSA after make_demo_ca (it signs with the demo CA's TSA certificate).
        for name in ("sms", "national"):
            self.start_standin(name)
        self.first_load(say)
        for name in ("tsa", "payment", "identity", "webhooks"):
            self.start_standin(name)
        say(
            f"web instances :{WEB_PORTS[0]} :{WEB_PORTS[1]} "
            f"(gunicorn, {WEB_WORKERS} workers × {WEB_THREADS} threads)"
        )
        for name in WEBS:
            self.start_web(name)
        say("Huey consumers ×2 (PostgreSQL queue)")
        for name in WORKERS:
            self.start_worker(name)
        say(f"HAProxy :{HAPROXY_PORT}")
        self.start_haproxy()
        for port in WEB_PORTS:
            wait_http(f"http://127.0.0.1:{port}/healthz", 300)
        wait_http(f"http://127.0.0.1:{HAPROXY_PORT}/healthz", 30)

    def restart(self, name: str) -> None:
        """Start one piece again after it died (the cluster check's kills)."""
        if name in WEBS:
            self.start_web(name)
            wait_http(f"http://127.0.0.1:{WEB_PORTS[WEBS.index(name)]}/healthz", 300)
        elif name in WORKERS:
            self.start_worker(name)
        elif name in STANDINS:
            self.start_standin(name)
        elif name == "replica":
            if not self.pair.replica.running():
                self.pair.replica.start()
        elif name == "pgbouncer":
            self.start_pgbouncer()
        elif name == "haproxy":
            self.start_haproxy()
        else:
            raise ValueError(name)

    def stop(self, say: Callable[[str], None] = print) -> None:
        for name in ("haproxy", *WEBS, *WORKERS, *STANDINS, "pgbouncer"):
            if self.running(name):
                say(f"stopping {name}")
            self.terminate(name)
        if self.pair.primary.datadir.exists():
            say("stopping PostgreSQL (replica, primary)")
            self.pair.stop()

    def status(self) -> dict[str, bool]:
        names = ("haproxy", *WEBS, *WORKERS, *STANDINS, "pgbouncer")
        state = {name: self.running(name) for name in names}
        if self.pair.primary.datadir.exists():
            state["primary"] = self.pair.primary.running()
            state["replica"] = self.pair.replica.running()
        else:
            state["primary"] = state["replica"] = False
        return state


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        # Our own child that died stays a zombie until reaped.
        with contextlib.suppress(ChildProcessError):
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return True
        time.sleep(0.05)
    return False


def _wait_port(port: int, timeout: float) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock, contextlib.suppress(OSError):
            sock.settimeout(0.5)
            sock.connect(("127.0.0.1", port))
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {port} after {timeout} s")


def wait_http(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 -- local
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError) as exc:
            last = str(exc)
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer 200 in {timeout} s ({last})")


def print_welcome(c: Cluster) -> None:
    url = f"http://localhost:{HAPROXY_PORT}/"
    print(
        f"""
  Cluster running (state in {c.root}):
  Platform (HAProxy):   {url}  → web1 :{WEB_PORTS[0]}, web2 :{WEB_PORTS[1]}
  HAProxy admin socket: {c.root / "haproxy" / "admin.sock"}
  PostgreSQL:           primary {c.primary_url()}  replica {c.replica_url()}
  PgBouncer:            {c.pooled_url()} (transaction mode, what the web instances use)
  Huey:                 huey1 (with the scheduler), huey2 (queue only), on the primary
  Stand-ins:            SMS :{SMS_PORT}, national portal :{NATIONAL_PORT}, webhook receiver
                        :{WEBHOOK_PORT}, TSA :{TSA_PORT}, payments :{PAYMENT_PORT}, VNeID
                        :{IDENTITY_PORT}
  Logs:                 {c.root / "log"}
  Logins (password of every demo account: DemoEgov@2026): quantri (operator), ubndtinh.chutich,
                        ttpvhcc.tiepnhan; officials confirm a TOTP code: `manage.py demo_totp USER`
                        with the cluster's environment (scripts/cluster env).
  The production settings over plain HTTP: log in at http://localhost:{HAPROXY_PORT} (browsers
  keep Secure cookies for localhost), not 127.0.0.1.
  Check it:  make cluster-test     Stop it:  make cluster-stop
"""
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["start", "stop", "status", "restart", "env", "createdb"])
    parser.add_argument("name", nargs="?")
    parser.add_argument("--db", default=DB_NAME, help="database of the web instances / env")
    args = parser.parse_args(argv)
    c = Cluster(cluster_dir(), db=args.db)
    if args.action == "start":
        c.start(lambda line: print(f"==> {line}", flush=True))
        print_welcome(c)
    elif args.action == "stop":
        c.stop()
    elif args.action == "createdb":
        c.pair.create_database(c.db)  # bench_cluster's database, before Django connects
    elif args.action == "restart":
        c.restart(args.name)
    elif args.action == "env":
        # For a shell: eval "$(scripts/cluster env)" then manage.py runs against the cluster.
        for key, value in sorted(c.base_env().items()):
            if key in os.environ and os.environ[key] == value:
                continue
            print(f"export {key}={_shell_quote(value)}")
    else:
        state = c.status()
        for name, up in state.items():
            print(f"{name:10} {'running' if up else 'stopped'}")
        return 0 if all(state.values()) else 3
    return 0


def _shell_quote(value: str) -> str:
    import shlex

    return shlex.quote(value)


if __name__ == "__main__":
    sys.exit(main())
