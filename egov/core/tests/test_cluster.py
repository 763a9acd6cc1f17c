"""The local cluster (egov/core/cluster.py): the fast parts here; the whole check is
`make cluster-test` (egov/bench/cluster_check.py).

The whole check kills a web instance, the replica and a worker under load and waits for the
restarts and the outbox: minutes on a two-core machine, so it is not in the normal suite. It
runs here only against an already running cluster with EGOV_CLUSTER_TEST=1.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from egov.core import cluster as cl

ROOT = Path(settings.BASE_DIR)


def test_haproxy_configuration_is_valid(tmp_path: Path) -> None:
    if not Path("/usr/sbin/haproxy").exists():
        pytest.skip("haproxy is not installed (scripts/setup --cluster)")
    cfg = cl.Cluster(tmp_path).haproxy_config()
    text = cfg.read_text()
    assert "http-check send meth GET uri /healthz" in text
    assert "retry-on conn-failure" in text  # never a POST sent twice
    for port in cl.WEB_PORTS:
        assert f"127.0.0.1:{port} check" in text
    done = subprocess.run(
        ["/usr/sbin/haproxy", "-c", "-f", str(cfg)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_pgbouncer_configuration(tmp_path: Path) -> None:
    text = cl.Cluster(tmp_path).pgbouncer_config().read_text()
    assert "pool_mode = transaction" in text
    assert f"port={cl.PRIMARY_PORT}" in text
    assert f"listen_port = {cl.PGBOUNCER_PORT}" in text


def test_web_instances_use_pgbouncer_and_the_replica(tmp_path: Path) -> None:
    c = cl.Cluster(tmp_path)
    env = c.web_env()
    assert env["DATABASE_URL"] == c.pooled_url()
    assert env["DATABASE_POOL_MODE"] == "transaction"
    assert env["DATABASE_REPLICA_URL"] == c.replica_url()
    assert env["DJANGO_SETTINGS_MODULE"] == "egov.settings.production"
    assert env["MEDIA_ROOT"] == str(tmp_path / "media")  # one directory for both
    assert cl.Cluster(tmp_path, replica=False).web_env().get("DATABASE_REPLICA_URL") is None
    # Huey straight on the primary, not through PgBouncer.
    assert c.huey_env()["HUEY_DATABASE_URL"] == c.primary_url()
    # Secrets are made once and kept.
    assert c.secrets() == cl.Cluster(tmp_path).secrets()


def test_transaction_pool_mode_setting() -> None:
    """DATABASE_POOL_MODE=transaction: no server-side cursors, no prepared statements."""
    code = (
        "from django.conf import settings as s; d = s.DATABASES['default']; "
        "print(d.get('DISABLE_SERVER_SIDE_CURSORS'), d['OPTIONS'].get('prepare_threshold', 5))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "egov.settings.dev",
        "DATABASE_URL": "postgresql://u@127.0.0.1:1/x",
        "DATABASE_POOL_MODE": "transaction",
    }
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == ["True", "None"]


def test_stop_ends_exactly_what_was_started(tmp_path: Path) -> None:
    """Pid files: kill9 takes the process group, terminate the recorded process only; a process
    the cluster did not start is left alone, and status tells what runs."""
    c = cl.Cluster(tmp_path)
    sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
    outsider = subprocess.Popen(sleeper)
    try:
        c.spawn("web1", sleeper, dict(os.environ))
        c.spawn(
            "huey1",
            [
                *sleeper[:2],
                "import subprocess,sys,time; "
                "subprocess.Popen([sys.executable,'-c','import time; time.sleep(60)']);"
                " time.sleep(60)",
            ],
            dict(os.environ),
        )
        assert c.running("web1") and c.running("huey1")
        group = c.pid("huey1")
        assert group is not None
        time.sleep(0.5)
        c.kill9("huey1")  # the whole group, the child too
        assert not c.running("huey1")
        # Nothing of the group is alive (a killed orphan may stay a zombie until reaped).
        states = subprocess.run(
            ["ps", "-o", "stat=", "-g", str(group)],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split()
        assert all(state.startswith("Z") for state in states), states
        c.terminate("web1")
        assert not c.running("web1") and not c.pidfile("web1").exists()
        assert outsider.poll() is None
        assert c.status()["web1"] is False
    finally:
        outsider.kill()
        outsider.wait()


@pytest.mark.cluster
@pytest.mark.skipif(
    os.environ.get("EGOV_CLUSTER_TEST") != "1",
    reason="the whole cluster check takes minutes: make cluster-test (or EGOV_CLUSTER_TEST=1)",
)
def test_cluster_check_passes() -> None:
    assert shutil.which("bash")
    done = subprocess.run(
        [str(ROOT / "scripts" / "cluster"), "test"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
