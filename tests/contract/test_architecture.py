"""Every service has the same shape and imports no other service."""

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
