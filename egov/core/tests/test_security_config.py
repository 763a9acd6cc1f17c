"""Deployment configuration: what the documentation promises is what the settings do.

- Every environment variable docs/deployment.md names is read by the code (finding 8: the SMS
  gateway variables were documented but never read, so every SMS retried until dead).
- Production settings refuse to start with guessable secrets (finding 12).
- The health endpoint answers over plain HTTP behind the SSL redirect (finding 12).
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from egov.events.standins import StandInServer

ROOT = Path(settings.BASE_DIR)
DOC = ROOT / "docs" / "deployment.md"

# Backticked names in the deployment guide that are not environment variables of ours.
NOT_OUR_VARIABLES = {
    "DJANGO_SETTINGS_MODULE": "read by Django itself",
    "CALENDAR_CACHE_SECONDS": "a constant of egov.workcalendar.services, named for the reader",
    "ALLAUTH_TRUSTED_PROXY_COUNT": "allauth's setting, set from TRUSTED_PROXY_COUNT",
    "NUM_PROXIES": "DRF's setting, set from TRUSTED_PROXY_COUNT",
    **{
        f"RLIMIT_{name}": "a kernel resource limit the PDF inspector sets on its child"
        for name in ("AS", "CPU", "FSIZE", "CORE")
    },
}

# Where environment variables are read: the settings modules, and the signing app's settings
# helper (`conf.setting("NAME")` falls back to the environment variable of that name).
ENV_READERS = {"os.environ.get", "os.environ", "os.getenv", "env_bool", "env_list"}
SIGNING_READERS = {"setting", "setting_list"}


def documented_variables() -> set[str]:
    """`NAME` or `NAME=value` in backticks, NAME upper case with an underscore (SQL words and
    setting names such as `HUEY` have none)."""
    names = set()
    for token in re.findall(r"`([^`\s]+)`", DOC.read_text(encoding="utf-8")):
        match = re.fullmatch(r"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)(=.*)?", token)
        if match:
            names.add(match.group(1))
    return names


def _call_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_call_name(node.value)}.{node.attr}"
    return ""


def _string_args(tree: ast.AST, readers: set[str]) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _call_name(node.func) in readers and node.args:
            first = node.args[0]
        elif isinstance(node, ast.Subscript) and _call_name(node.value) in readers:
            first = node.slice
        else:
            continue
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            names.add(first.value)
    return names


def variables_read() -> set[str]:
    names: set[str] = set()
    for path in sorted((ROOT / "egov" / "settings").glob("*.py")):
        names |= _string_args(ast.parse(path.read_text(encoding="utf-8")), ENV_READERS)
    for path in sorted((ROOT / "egov" / "signing").glob("*.py")):
        names |= _string_args(ast.parse(path.read_text(encoding="utf-8")), SIGNING_READERS)
    return names


def test_the_guide_documents_variables_and_this_check_finds_them():
    documented = documented_variables()
    assert {"SMS_GATEWAY_URL", "SMS_GATEWAY_TOKEN", "SECRET_KEY", "HUEY_WORKERS"} <= documented
    assert "HUEY" not in documented and "SKIP_LOCKED" not in documented


def test_every_documented_environment_variable_is_read():
    missing = documented_variables() - variables_read() - set(NOT_OUR_VARIABLES)
    assert not missing, (
        f"docs/deployment.md documents {sorted(missing)} but no settings module reads them: "
        "read them in egov/settings/base.py or stop documenting them"
    )


def _run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # Only what the test gives: none of the secrets or gateways of the calling environment.
    inherited = {
        "SECRET_KEY",
        "DATABASE_URL",
        "SIGNING_KEYSTORE_KEY",
        "SMS_GATEWAY",
        "SMS_GATEWAY_URL",
    }
    clean = {k: v for k, v in os.environ.items() if k not in inherited}
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_sms_configured_only_through_the_environment_is_delivered():
    """A deployment that follows the guide sets SMS_GATEWAY_URL/TOKEN in the environment: the
    SMS deliverer of a fresh process reaches the gateway with the token (before, the settings
    never read them and every SMS failed with "Chưa cấu hình cổng gửi SMS")."""
    code = (
        "import django; django.setup()\n"
        "from egov.events.deliverers import get_sms_gateway\n"
        "get_sms_gateway().send(to='+84912345678', text='Hồ sơ đã tiếp nhận',"
        " idempotency_key='sms-env-1')\n"
        "print('sent')\n"
    )
    with StandInServer() as gateway:
        result = _run_python(
            code,
            {
                "DJANGO_SETTINGS_MODULE": "egov.settings.test",
                "SMS_GATEWAY_URL": f"{gateway.url}/sms",
                "SMS_GATEWAY_TOKEN": "token-cua-nha-mang",
            },
        )
        assert result.returncode == 0, result.stderr[-2000:]
        assert gateway.accepted_keys() == ["sms-env-1"]
        request = gateway.accepted["sms-env-1"]
    assert request.path == "/sms"
    assert request.headers["authorization"] == "Bearer token-cua-nha-mang"
    assert request.body == {
        "to": "+84912345678",
        "text": "Hồ sơ đã tiếp nhận",
        "idempotency_key": "sms-env-1",
    }


# -- production refuses to start with guessable secrets -----------------------------------------

GOOD = {
    "DJANGO_SETTINGS_MODULE": "egov.settings.production",
    "SECRET_KEY": "q8V#m2!xR7pL0zW4t9Ks@dF6hJ3nB1cY5gT8uE2iO7aQ4wZ-9rX",
    "DATABASE_URL": "postgresql://egov@127.0.0.1:5432/egov",
    "SIGNING_KEYSTORE_KEY": "k9Hq2LmV7xR4pT8wZ3nB6cY1gD5sF0jA",
}
IMPORT_SETTINGS = "from django.conf import settings; print(settings.SECURE_REDIRECT_EXEMPT)"


def _start(**changes: str | None) -> subprocess.CompletedProcess[str]:
    env = {**GOOD}
    for name, value in changes.items():
        if value is None:
            env.pop(name)
        else:
            env[name] = value
    return _run_python(IMPORT_SETTINGS, env)


def test_production_starts_with_a_good_configuration():
    result = _start()
    assert result.returncode == 0, result.stderr[-2000:]
    assert "^healthz$" in result.stdout


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"SIGNING_KEYSTORE_KEY": None}, "SIGNING_KEYSTORE_KEY"),
        ({"SIGNING_KEYSTORE_KEY": "dev-insecure-signing-keystore-key"}, "SIGNING_KEYSTORE_KEY"),
        (
            {"SIGNING_KEYSTORE_KEY": "dev-insecure-signing-keystore-key,k9Hq2LmV7xR4pT8wZ3nB6c"},
            "SIGNING_KEYSTORE_KEY",
        ),
        ({"SIGNING_KEYSTORE_KEY": "short-secret"}, "at least 32"),
        ({"SECRET_KEY": "a" * 45}, "SECRET_KEY"),
        ({"SECRET_KEY": "ab" * 30}, "SECRET_KEY"),
        ({"SECRET_KEY": "x9!Kq2" * 7}, "SECRET_KEY"),  # 42 characters
        ({"SECRET_KEY": "django-insecure-" + GOOD["SECRET_KEY"]}, "SECRET_KEY"),
        ({"SECRET_KEY": None}, "SECRET_KEY"),
    ],
    ids=[
        "keystore-unset",
        "keystore-dev-default",
        "keystore-dev-default-first",
        "keystore-short",
        "secret-45-identical",
        "secret-2-distinct",
        "secret-too-short",
        "secret-django-insecure",
        "secret-unset",
    ],
)
def test_production_refuses_to_start_with_guessable_secrets(changes, says):
    result = _start(**changes)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and says in result.stderr


def test_a_dev_key_may_follow_a_real_one_while_rotating():
    result = _start(SIGNING_KEYSTORE_KEY=GOOD["SIGNING_KEYSTORE_KEY"] + ",dev-insecure-x")
    assert result.returncode == 0, result.stderr[-2000:]


# -- the health endpoint answers over plain HTTP behind the SSL redirect ------------------------


@pytest.mark.django_db
@override_settings(SECURE_SSL_REDIRECT=True, SECURE_REDIRECT_EXEMPT=[r"^healthz$"])
def test_health_answers_over_http_while_everything_else_redirects(client):
    response = client.get("/healthz")  # plain HTTP, as a load balancer probes
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    other = client.get("/")
    assert other.status_code == 301
    assert other["Location"].startswith("https://")


def test_production_exempts_exactly_the_health_endpoint():
    result = _start()
    assert result.returncode == 0, result.stderr[-2000:]
    exempt = ast.literal_eval(result.stdout.strip())
    assert exempt == [r"^healthz$"]
    assert all(not re.search(p, "healthzz") and not re.search(p, "a/healthz") for p in exempt)
