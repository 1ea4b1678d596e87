"""Every service has the same shape and imports no other service; the operator CLI imports none at module level."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SERVICES = ("ingest", "ocr", "matching", "accrual", "export")
SHAPE = ("__init__.py", "__main__.py", "app.py", "handlers.py", "domain.py", "store.py", "settings.py", "errors.py")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def foreign_service_imports(service: str, root: Path) -> list[str]:
    """``file: module`` for every import of another belegflow service below ``root``."""
    others = {f"belegflow_{s}" for s in SERVICES if s != service}
    problems = []
    for path in sorted(root.rglob("*.py")):
        for module in imported_modules(path):
            if module.split(".")[0] in others:
                problems.append(f"{path.relative_to(REPO) if path.is_relative_to(REPO) else path}: {module}")
    return problems


def eager_imports(path: Path) -> set[str]:
    """Modules a file imports when it is imported: not inside a function, not under ``if TYPE_CHECKING:``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
            elif isinstance(node, ast.If):
                if not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.ClassDef | ast.With | ast.Try | ast.For | ast.While):
                for block in ("body", "orelse", "finalbody"):
                    visit(getattr(node, block, []))
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)

    visit(tree.body)
    return found


OPS = REPO / "infra" / "src" / "belegflow_ops"
# The operator CLI depends on contracts only. A command that runs a service's code in its own process imports the
# package inside itself, after belegflow_ops.extras.require has named the missing extra: file -> packages it may.
OPS_LAZY_SERVICE_IMPORTS = {"cli.py": {"belegflow_ocr"}, "books.py": {"belegflow_export"}}


def ops_service_imports(root: Path) -> list[str]:
    """``file: module (why)`` for every import of a service below ``root`` the operator CLI may not have."""
    services = {f"belegflow_{s}" for s in SERVICES}
    problems = []
    for path in sorted(root.rglob("*.py")):
        eager = {m for m in eager_imports(path) if m.split(".")[0] in services}
        lazy = {m for m in imported_modules(path) if m.split(".")[0] in services} - eager
        allowed = OPS_LAZY_SERVICE_IMPORTS.get(path.name, set())
        problems += [f"{path.name}: {m} (module level)" for m in sorted(eager)]
        problems += [f"{path.name}: {m} (not a command with an extra)" for m in sorted(lazy)
                     if m.split(".")[0] not in allowed]
    return problems


def test_the_operator_cli_imports_no_service_at_module_level() -> None:
    assert ops_service_imports(OPS) == []


def test_the_operator_cli_check_catches_service_imports(tmp_path: Path) -> None:
    # GIVEN a CLI module that imports ingest at module level, and one that imports it inside a function
    (tmp_path / "eager.py").write_text("from belegflow_ingest import credentials\nimport belegflow_contracts\n")
    (tmp_path / "lazy.py").write_text("def f():\n    import belegflow_ingest.access\n")
    (tmp_path / "books.py").write_text("def f():\n    from belegflow_export import store\n")
    # WHEN checking THEN both are reported; a lazy import where an extra covers it is not
    assert ops_service_imports(tmp_path) == ["eager.py: belegflow_ingest (module level)",
                                             "lazy.py: belegflow_ingest.access (not a command with an extra)"]


def test_the_operator_cli_depends_on_contracts_only() -> None:
    import tomllib

    project = tomllib.loads((REPO / "infra" / "pyproject.toml").read_text())["project"]
    local = [d for d in project["dependencies"] if d.startswith("belegflow-")]
    assert [d.split("[")[0] for d in local] == ["belegflow-contracts"]


@pytest.mark.parametrize("service", SERVICES)
def test_service_imports_no_other_service(service: str) -> None:
    assert foreign_service_imports(service, REPO / "services" / service) == []


@pytest.mark.parametrize("service", SERVICES)
def test_service_has_the_common_shape(service: str) -> None:
    package = REPO / "services" / service / "src" / f"belegflow_{service}"
    missing = [name for name in SHAPE if not (package / name).is_file()]
    assert missing == []
    assert (REPO / "services" / service / "pyproject.toml").is_file()


def test_the_check_catches_a_forbidden_import(tmp_path: Path) -> None:
    # GIVEN a matching module that reaches into ingest
    (tmp_path / "bad.py").write_text("from belegflow_ingest.store import get_document\nimport belegflow_contracts\n")
    # WHEN checking THEN it is reported, and the contracts import is not
    assert foreign_service_imports("matching", tmp_path) == [f"{tmp_path / 'bad.py'}: belegflow_ingest.store"]


def test_services_touch_asyncpg_only_in_store() -> None:
    offenders = []
    for service in SERVICES:
        package = REPO / "services" / service / "src" / f"belegflow_{service}"
        for path in package.rglob("*.py"):
            if path.name != "store.py" and "asyncpg" in {m.split(".")[0] for m in imported_modules(path)}:
                offenders.append(str(path.relative_to(REPO)))
    assert offenders == []
