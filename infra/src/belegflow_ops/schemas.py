"""JSON Schema of every contract and an AsyncAPI document per service, generated from the code."""

from __future__ import annotations

import importlib
import inspect
import json
from pathlib import Path

from faststream.specification import AsyncAPI
from pydantic import BaseModel

from belegflow_contracts import messages

SERVICES = ("ingest", "ocr", "matching", "accrual", "export")


def contract_models() -> dict[str, type[BaseModel]]:
    """Every versioned message model (``…V<n>``) in the contracts."""
    return {
        name: obj
        for name, obj in vars(messages).items()
        if inspect.isclass(obj) and issubclass(obj, BaseModel) and name[-2:-1] == "V" and name[-1].isdigit()
        and obj.__module__ == messages.__name__
    }


def _dump(data: object) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def generate() -> dict[str, str]:
    """Relative path under ``contracts/`` → file content."""
    files = {f"schemas/{name}.json": _dump(model.model_json_schema(mode="serialization"))
             for name, model in sorted(contract_models().items())}
    for service in SERVICES:
        module = importlib.import_module(f"belegflow_{service}.app")
        broker = module.build_broker()
        spec = AsyncAPI(broker, title=f"belegflow {service}", version="1.0.0",
                        description=f"Subjects the {service} service consumes and publishes")
        files[f"asyncapi/{service}.json"] = _dump(json.loads(spec.to_specification().to_json()))
    return files


def write(root: Path) -> list[Path]:
    written = []
    for rel, content in generate().items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != content:
            path.write_text(content)
            written.append(path)
    return written


def drift(root: Path) -> list[str]:
    """Files that differ from what the code generates (missing, changed or stale)."""
    expected = generate()
    problems = [rel for rel, content in expected.items()
                if not (root / rel).exists() or (root / rel).read_text() != content]
    for folder in ("schemas", "asyncapi"):
        for path in sorted((root / folder).glob("*.json")) if (root / folder).exists() else []:
            rel = f"{folder}/{path.name}"
            if rel not in expected:
                problems.append(f"{rel} (stale)")
    return problems
