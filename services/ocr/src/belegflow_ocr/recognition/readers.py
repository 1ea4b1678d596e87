"""The reader protocol every recognition reader satisfies, and a base that owns a temp directory."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

from belegflow_ocr.recognition.model import Recognition


@runtime_checkable
class Reader(Protocol):
    """Reads one kind of document; the registry asks every reader for a score and uses the best."""

    name: str

    def score(self, data: bytes, media_type: str) -> int:
        """How well this reader can read ``data``: 0 means not at all, higher wins."""
        ...

    def read(self, data: bytes, *, filename: str) -> Recognition: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...


class BaseReader:
    """Context manager part of a reader: a private temp directory, removed on exit whatever happened."""

    name = "base"

    def __init__(self) -> None:
        self._workdir: Path | None = None

    @property
    def workdir(self) -> Path:
        # Created on first use: scoring must stay cheap, and most readers never touch the disk.
        if self._workdir is None:
            self._workdir = Path(tempfile.mkdtemp(prefix=f"belegflow-{self.name}-"))
        return self._workdir

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.cleanup()

    def cleanup(self) -> None:
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None
