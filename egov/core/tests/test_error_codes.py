"""Every error code the services raise is declared in an app's ErrorCode enum, so a new code
cannot reach the API (and its documentation) undeclared."""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path

from egov.core.error_codes import all_error_codes

EGOV = Path(__file__).resolve().parents[2]


def _modules() -> Iterator[Path]:
    for path in sorted(EGOV.rglob("*.py")):
        parts = path.relative_to(EGOV).parts
        if "tests" in parts or "migrations" in parts or path.name == "conftest.py":
            continue
        yield path


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def domain_error_classes(trees: list[ast.Module]) -> set[str]:
    """Names of DomainError and of the classes deriving from it, anywhere in the package."""
    found = {"DomainError"}
    classes = [node for tree in trees for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    grew = True
    while grew:
        grew = False
        for node in classes:
            if node.name not in found and any(_name(base) in found for base in node.bases):
                found.add(node.name)
                grew = True
    return found


def literal_codes(tree: ast.Module, errors: set[str]) -> Iterator[tuple[int, str]]:
    """(line, code) of each string literal given as a DomainError code: `code="..."` passed to
    one of `errors`, or `code = "..."` in the body of one of them."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _name(node.func) in errors:
            for keyword in node.keywords:
                value = keyword.value
                if keyword.arg == "code" and isinstance(value, ast.Constant):
                    yield node.lineno, str(value.value)
        elif isinstance(node, ast.ClassDef) and node.name in errors:
            for statement in node.body:
                targets: list[ast.expr] = []
                if isinstance(statement, ast.Assign):
                    targets, value = statement.targets, statement.value
                elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
                    targets, value = [statement.target], statement.value
                if any(_name(t) == "code" for t in targets) and isinstance(value, ast.Constant):
                    yield statement.lineno, str(value.value)


def _import_enums() -> None:
    for path in EGOV.glob("*/error_codes.py"):
        importlib.import_module(f"egov.{path.parent.name}.error_codes")


def test_every_literal_error_code_is_declared() -> None:
    _import_enums()
    declared = all_error_codes()
    parsed = {path: ast.parse(path.read_text(encoding="utf-8")) for path in _modules()}
    errors = domain_error_classes(list(parsed.values()))
    undeclared = [
        f"{path.relative_to(EGOV.parent)}:{line}: {code!r}"
        for path, tree in parsed.items()
        for line, code in literal_codes(tree, errors)
        if code not in declared
    ]
    assert not undeclared, "codes missing from every ErrorCode enum:\n" + "\n".join(undeclared)


def test_the_scan_finds_undeclared_codes() -> None:
    source = ast.parse(
        "class AppError(DomainError):\n"
        "    code = 'app_broken'\n"
        "class Other(AppError):\n"
        "    code: str = 'not_found'\n"
        "def f():\n"
        "    raise Other('x', code='other_broken')\n"
        "    raise ValueError('x', code='not_a_domain_error')\n"
    )
    errors = domain_error_classes([source])
    assert {"AppError", "Other"} <= errors
    found = [code for _line, code in literal_codes(source, errors)]
    assert sorted(found) == ["app_broken", "not_found", "other_broken"]
    assert [code for code in found if code not in all_error_codes()] == [
        "app_broken",
        "other_broken",
    ]
