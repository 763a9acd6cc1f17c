"""The architecture contracts (docs/architecture.md, "Layers and contracts"): the layers and
cycles import-linter checks in `make lint`, and no app reaching into another app's private names."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from egov.core.api_auth import require_scope
from egov.core.api_scopes import api_scopes, declare_scope
from egov.core.registry import DuplicateEntry

ROOT = Path(__file__).resolve().parents[3]
EGOV = ROOT / "egov"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

# Private names taken across apps, each with its reason; none today, and it stays so.
KNOWN_PRIVATE_IMPORTS: set[tuple[str, str]] = set()


def app_of(module: str) -> str:
    return ".".join(module.split(".")[:2])


def is_private(name: str) -> bool:
    # `_meta` is Django's public model API despite its underscore.
    return name.startswith("_") and not name.startswith("__") and name != "_meta"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def private_uses(path: Path, importer: str = "") -> list[tuple[str, str]]:
    """(importer, egov.<other app>...<_name>) for every private name of another app it uses."""
    importer = importer or module_name(path)
    own = app_of(importer)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str, str]] = []
    aliases: dict[str, str] = {}  # local name -> another app's module

    def other_app(module: str) -> bool:
        return module.startswith("egov.") and app_of(module) != own

    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if not other_app(node.module):
                continue
            for alias in node.names:
                target = f"{node.module}.{alias.name}"
                if any(is_private(part) for part in target.split(".")):
                    found.append((importer, target))
                else:
                    aliases[alias.asname or alias.name] = target
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if other_app(alias.name):
                    if any(is_private(part) for part in alias.name.split(".")):
                        found.append((importer, alias.name))
                    aliases[alias.asname or alias.name.split(".")[0]] = (
                        alias.name if alias.asname else "egov"
                    )
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and is_private(node.attr):
            chain, value = [node.attr], node.value
            while isinstance(value, ast.Attribute):
                chain.append(value.attr)
                value = value.value
            if isinstance(value, ast.Name) and value.id in aliases:
                dotted = ".".join([aliases[value.id], *reversed(chain)])
                if other_app(dotted):
                    found.append((importer, dotted))
    return found


def test_no_app_uses_another_apps_private_names() -> None:
    paths = [p for p in EGOV.rglob("*.py") if "migrations" not in p.parts]
    found = {use for path in paths for use in private_uses(path)}
    assert sorted(found - KNOWN_PRIVATE_IMPORTS) == []
    # A fixed exception must leave the list, so that it cannot come back unnoticed.
    assert sorted(KNOWN_PRIVATE_IMPORTS - found) == []


def test_the_private_name_check_sees_imports_and_attributes(tmp_path: Path) -> None:
    source = (
        "from egov.dossiers.services import _notify\n"
        "from egov.dossiers import services\n"
        "import egov.onestop.models\n"
        "services._remove_files\n"
        "egov.onestop.models._hidden\n"
        "from egov.stats.views import _own  # its own app: allowed\n"
    )
    probe = tmp_path / "probe_private.py"
    probe.write_text(source)
    uses = private_uses(probe, importer="egov.stats.probe_private")
    assert {target for _, target in uses} == {
        "egov.dossiers.services._notify",
        "egov.dossiers.services._remove_files",
        "egov.onestop.models._hidden",
    }


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(cwd)},
    )


def test_make_lint_fails_on_an_upward_import(tmp_path: Path) -> None:
    """A copy of the package with core importing a top-layer app breaks the layers contract."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(
        EGOV,
        tmp_path / "egov",
        ignore=shutil.ignore_patterns("__pycache__", "static", "templates", "locale", "*.json"),
    )
    assert lint_imports(tmp_path).returncode == 0

    (tmp_path / "egov" / "core" / "upward.py").write_text("from egov.web import views  # noqa\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "Apps import only downwards" in result.stdout and "BROKEN" in result.stdout
    assert "egov.core is not allowed to import egov.web" in result.stdout
    assert "egov.core.upward -> egov.web.views" in result.stdout


def test_a_scope_declared_twice_is_refused() -> None:
    assert api_scopes()["dossiers:read"] == "Đọc hồ sơ"
    with pytest.raises(DuplicateEntry, match="dossiers:read"):
        declare_scope("dossiers:read", "Một phạm vi khác cùng tên")
    assert api_scopes()["dossiers:read"] == "Đọc hồ sơ"


def test_an_undeclared_scope_cannot_guard_an_api() -> None:
    with pytest.raises(LookupError, match="dossier:read"):
        require_scope("dossier:read")
