"""Reads files through the product's reader registry and times each one.

Imported by the accuracy bench for the extractor in this working tree, and run as a script
(``python runner.py FILES.json OUT.jsonl``) with ``PYTHONPATH`` pointing at another release's
``services/ocr/src`` and ``contracts/src`` to time and score that release on the same files. It imports
nothing from the bench, so that it runs against any release.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from belegflow_ocr.recognition import default_registry, recognition_to_json


def recognise(path: Path, registry: Any) -> dict[str, Any]:
    data = path.read_bytes()
    recognition = registry.recognize(data, filename=path.name)
    return dict(recognition_to_json(recognition, file=str(path), sha256=hashlib.sha256(data).hexdigest()))


def warm_up(paths: Sequence[Path], registry: Any) -> None:
    """Reads one file of each kind once, untimed, so that loading models does not count as reading."""
    seen: set[str] = set()
    for path in paths:
        kind = path.suffix.lower()
        if kind in seen:
            continue
        seen.add(kind)
        try:
            recognise(path, registry)
        except Exception:  # a file that fails here fails again, timed, in run()
            continue


def run(paths: Sequence[Path], registry: Any | None = None) -> Iterator[dict[str, Any]]:
    """One record per file: seconds, the reader and the result (or the error)."""
    registry = registry or default_registry()
    warm_up(paths, registry)
    for path in paths:
        start = time.perf_counter()
        try:
            result: dict[str, Any] | None = recognise(path, registry)
            error = None
        except Exception as exc:  # recorded per file, the run goes on
            result, error = None, f"{type(exc).__name__}: {exc}"
        seconds = time.perf_counter() - start
        reader = result.get("reader") if result else None
        yield {"file": str(path), "seconds": seconds, "reader": reader, "result": result, "error": error}


def main(argv: Sequence[str]) -> int:
    if len(argv) != 2:
        print("usage: runner.py FILES.json OUT.jsonl", file=sys.stderr)
        return 2
    paths = [Path(p) for p in json.loads(Path(argv[0]).read_text(encoding="utf-8"))]
    with Path(argv[1]).open("w", encoding="utf-8") as out:
        for record in run(paths):
            out.write(json.dumps(record) + "\n")
            out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
