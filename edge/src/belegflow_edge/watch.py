"""The watched folder: files dropped there are captured, then moved to ``.done/``; bad ones to ``.rejected/``.

A rejected file gets ``<name>.reason.txt`` beside it. A file whose capture committed but whose move a
crash prevented is recognised by its path and hash the next time and only moved.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from belegflow_edge.errors import CaptureError, NumbersExhaustedError
from belegflow_edge.store import Document, Store

DONE = ".done"
REJECTED = ".rejected"


@dataclass(slots=True)
class ScanReport:
    captured: list[tuple[Path, Document]] = field(default_factory=list)
    rejected: list[tuple[Path, str]] = field(default_factory=list)
    held: list[tuple[Path, str]] = field(default_factory=list)
    """Good files left in place because the device cannot capture now (numbers exhausted)."""


def _free_name(folder: Path, name: str) -> Path:
    target = folder / name
    stem, suffix = os.path.splitext(name)
    n = 1
    while target.exists():
        target = folder / f"{stem}-{n}{suffix}"
        n += 1
    return target


def _move(path: Path, folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    target = _free_name(folder, path.name)
    os.replace(path, target)
    return target


def scan_once(store: Store, folder: Path, *, document_type: str, description: str = "",
              settle_s: float = 1.0) -> ScanReport:
    """Capture every settled file in ``folder`` (files changed within ``settle_s`` may still be written)."""
    report = ScanReport()
    if not folder.is_dir():
        raise CaptureError(f"watched folder {folder} does not exist or is not a folder")
    now = time.time()
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or not entry.is_file():
            continue
        try:
            if now - entry.stat().st_mtime < settle_s:
                continue
            source = str(entry.resolve())
            sha = hashlib.sha256(entry.read_bytes()).hexdigest()
        except OSError:
            continue  # gone or unreadable for a moment; the next scan sees it again
        known = store.find_by_source(source, sha)
        if known is not None:
            _move(entry, folder / DONE)
            continue
        try:
            doc = store.capture(entry, document_type=document_type, description=description, source=source)
        except NumbersExhaustedError as exc:
            report.held.append((entry, exc.message))
            break
        except CaptureError as exc:
            rejected = folder / REJECTED
            rejected.mkdir(exist_ok=True)
            target = _free_name(rejected, entry.name)
            target.with_name(target.name + ".reason.txt").write_text(f"{exc.code}: {exc.message}\n")
            os.replace(entry, target)
            report.rejected.append((entry, exc.message))
            continue
        _move(entry, folder / DONE)
        report.captured.append((entry, doc))
    return report
