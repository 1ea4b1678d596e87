"""Shared fixtures: the sample generator, loaded from samples/, and invoices it writes into tmp dirs."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

GENERATOR = Path(__file__).resolve().parents[3] / "samples" / "generate.py"


@pytest.fixture(scope="session")
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("belegflow_samples_generate", GENERATOR)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the class body runs.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def generated(generator: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, dict[str, object]]]:
    """Eight invoices (every layout twice) with their truth."""
    out = tmp_path_factory.mktemp("invoices")
    paths = generator.generate(out, seed=4711, count=8)
    return [(p, json.loads(p.with_name(p.stem + ".truth.json").read_text(encoding="utf-8"))) for p in paths]
