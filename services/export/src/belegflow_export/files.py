"""The export folder integrators read: files appear whole (written aside, fsynced, renamed)."""

from __future__ import annotations

import os
from pathlib import Path


def write_atomically(root: Path, relative: str, data: bytes) -> Path:
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(target)
    return target
