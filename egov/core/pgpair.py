"""A PostgreSQL primary and its streaming replica, made from the Debian binaries on this machine.

What a province runs on two database servers, on one machine: `initdb` makes the primary,
`pg_basebackup -R` copies it into a hot standby that streams the primary's WAL. The local
cluster (`make cluster`) and the read-routing tests use it; nothing here is a stand-in, both
servers are real PostgreSQL. PostgreSQL refuses to run as root, so as root the commands run as
the `postgres` system user (the data directories are given to it).

    python -m egov.core.pgpair start DIR --primary-port 55432 --replica-port 55433
    python -m egov.core.pgpair stop DIR
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

PG_USER = "postgres"


def pg_bin(name: str) -> str:
    """The newest Debian PostgreSQL server binary of that name (they are not on PATH)."""
    found = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if found:
        return str(found[-1])
    on_path = shutil.which(name)
    if on_path:
        return on_path
    raise FileNotFoundError(f"PostgreSQL binary {name!r} not found (apt-get install postgresql)")


def available() -> bool:
    try:
        pg_bin("initdb")
        pg_bin("pg_basebackup")
    except FileNotFoundError:
        return False
    return True


def _as_pg(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", PG_USER, "--", *cmd]
    return cmd


def _give_to_pg(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, PG_USER, PG_USER)


@dataclass
class PgNode:
    name: str
    port: int
    datadir: Path

    @property
    def log(self) -> Path:
        return self.datadir.parent / f"{self.name}.log"

    def url(self, db: str = "postgres") -> str:
        return f"postgresql://{PG_USER}@127.0.0.1:{self.port}/{db}"

    def pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [pg_bin("pg_ctl"), "-D", str(self.datadir), *args]
        return subprocess.run(_as_pg(cmd), check=check, capture_output=True, text=True)  # noqa: S603 -- fixed binaries, our paths

    def start(self) -> None:
        # The socket lives in the data directory: no clash with the machine's own server.
        opts = f"-p {self.port} -k {self.datadir} -c listen_addresses=127.0.0.1"
        self.pg_ctl("-o", opts, "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        if self.running():
            self.pg_ctl("-m", mode, "-w", "-t", "60", "stop", check=False)

    def kill9(self) -> None:
        pid = self.pid()
        if pid:
            os.kill(pid, 9)

    def pid(self) -> int | None:
        pidfile = self.datadir / "postmaster.pid"
        try:
            return int(pidfile.read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    def running(self) -> bool:
        return self.pg_ctl("status", check=False).returncode == 0

    def connect(self, db: str = "postgres", **kwargs: object) -> psycopg.Connection:
        return psycopg.connect(self.url(db), autocommit=True, connect_timeout=5, **kwargs)  # type: ignore[arg-type]


class PgPair:
    """`base` holds primary/ and replica/ (data) and their logs."""

    def __init__(self, base: Path | str, primary_port: int, replica_port: int) -> None:
        self.base = Path(base)
        self.primary = PgNode("primary", primary_port, self.base / "primary")
        self.replica = PgNode("replica", replica_port, self.base / "replica")

    # -- set-up -------------------------------------------------------------------------------
    def create(self, *, fsync: bool = True, extra_conf: str = "") -> None:
        """initdb the primary, start it, copy it into the replica, start that; idempotent.
        `extra_conf` (postgresql.conf lines) is added at initdb; the replica copies it."""
        self.base.mkdir(parents=True, exist_ok=True)
        self.base.chmod(0o755)
        _give_to_pg(self.base)
        if not (self.primary.datadir / "PG_VERSION").exists():
            subprocess.run(  # noqa: S603 -- fixed binaries, our paths
                _as_pg(
                    [
                        pg_bin("initdb"),
                        "-D",
                        str(self.primary.datadir),
                        "-U",
                        PG_USER,
                        "-A",
                        "trust",
                        "-E",
                        "UTF8",
                        "--locale=C.UTF-8",
                    ]
                ),
                check=True,
                capture_output=True,
                text=True,
            )
            conf = self.primary.datadir / "postgresql.conf"
            with conf.open("a") as f:
                f.write(
                    "\n# egov.core.pgpair: a primary with a streaming hot standby\n"
                    "wal_level = replica\nmax_wal_senders = 10\nwal_keep_size = '512MB'\n"
                    "hot_standby = on\nhot_standby_feedback = on\nmax_connections = 200\n"
                    f"fsync = {'on' if fsync else 'off'}\n"
                    f"synchronous_commit = {'on' if fsync else 'off'}\n"
                    "shared_buffers = '256MB'\n" + extra_conf
                )
            with (self.primary.datadir / "pg_hba.conf").open("a") as f:
                f.write("host replication all 127.0.0.1/32 trust\n")
        if not self.primary.running():
            self.primary.start()
        if not (self.replica.datadir / "PG_VERSION").exists():
            subprocess.run(  # noqa: S603 -- fixed binaries, our paths
                _as_pg(
                    [
                        pg_bin("pg_basebackup"),
                        "-h",
                        "127.0.0.1",
                        "-p",
                        str(self.primary.port),
                        "-U",
                        PG_USER,
                        "-D",
                        str(self.replica.datadir),
                        "-R",  # standby.signal + primary_conninfo
                        "-X",
                        "stream",
                        "-c",
                        "fast",
                    ]
                ),
                check=True,
                capture_output=True,
                text=True,
            )
        if not self.replica.running():
            self.replica.start()

    def stop(self) -> None:
        self.replica.stop()
        self.primary.stop()

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)

    # -- what the tests and the cluster check need ---------------------------------------------
    def create_database(self, name: str) -> None:
        with self.primary.connect() as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
        self.wait_caught_up()

    def pause_replay(self) -> None:
        with self.replica.connect() as conn:
            conn.execute("SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        with self.replica.connect() as conn:
            conn.execute("SELECT pg_wal_replay_resume()")

    def primary_lsn(self) -> str:
        with self.primary.connect() as conn:
            row = conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()
        assert row is not None
        return str(row[0])

    def wait_received(self, timeout: float = 30.0) -> None:
        """Until the replica has received (not necessarily replayed) everything the primary had
        written when called: replay may be paused, streaming goes on."""
        self._wait_replica("pg_last_wal_receive_lsn()", timeout)

    def wait_caught_up(self, timeout: float = 30.0) -> None:
        """Until the replica has replayed everything the primary had written when called."""
        self._wait_replica("pg_last_wal_replay_lsn()", timeout)

    def _wait_replica(self, position: str, timeout: float) -> None:
        target = self.primary_lsn()
        deadline = time.monotonic() + timeout
        while True:
            try:
                with self.replica.connect() as conn:
                    row = conn.execute(
                        f"SELECT {position} >= %s::pg_lsn",
                        [target],
                    ).fetchone()
                if row and row[0]:
                    return
            except psycopg.OperationalError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"replica did not reach {target} in {timeout} s")
            time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["start", "stop", "destroy", "status"])
    parser.add_argument("dir")
    parser.add_argument("--primary-port", type=int, default=55432)
    parser.add_argument("--replica-port", type=int, default=55433)
    parser.add_argument("--no-fsync", action="store_true")
    args = parser.parse_args()
    pair = PgPair(args.dir, args.primary_port, args.replica_port)
    if args.action == "start":
        pair.create(fsync=not args.no_fsync)
        print(f"primary {pair.primary.url()}\nreplica {pair.replica.url()}")
    elif args.action == "stop":
        pair.stop()
    elif args.action == "destroy":
        pair.destroy()
    else:
        for node in (pair.primary, pair.replica):
            print(node.name, "running" if node.running() else "stopped", node.url())


if __name__ == "__main__":
    main()
