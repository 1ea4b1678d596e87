"""Recognition in a worker process with a wall-clock and a memory limit, so no document can take the service down."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import resource
import signal
import sys
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context, resource_tracker
from pathlib import Path
from typing import Any, Final

from belegflow_ocr.domain import recognize
from belegflow_ocr.errors import RecognitionError
from belegflow_ocr.recognition import Recognition
from belegflow_ocr.recognition.einvoice.validator import configure_rules, current_validator
from belegflow_ocr.recognition.ocr.engines import OcrOptions, configure


class WorkerLimitError(RecognitionError):
    """The worker ran out of time or memory on a document (permanent: it would again)."""

    def __init__(self, message: str, *, filename: str) -> None:
        super().__init__(message, filename=filename)


class RecognitionCancelledError(RecognitionError):
    """The recognition was cancelled on request; the document goes to manual capture (not an error of it)."""

    def __init__(self, *, filename: str, job: str) -> None:
        super().__init__(f"{filename}: recognition {job} was cancelled", filename=filename)
        self.job = job


class _Job:
    """A recognition in flight that :meth:`RecognitionPool.cancel` can stop."""

    def __init__(self) -> None:
        self.cancelled = asyncio.Event()


def _address_space() -> int:
    """Bytes of address space this process holds now (``VmSize``)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _limit_memory(limit_mb: int, *, above: int = 0) -> None:
    limit = above + limit_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """Ask the kernel to kill this worker when the service dies, also by SIGKILL (no atexit runs then); a
    service that died before this was set leaves us orphaned already, so we go at once."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def _start_worker(limit_mb: int, ocr: OcrOptions, parent: int | None = None, einvoice_rules: Path | None = None
                  ) -> None:
    """In each new worker process: die with the service, the e-invoice rules compiled, the memory limit, and the
    OCR options its engine is built from (on the first scan, once per process; ``engines.engine_for`` keeps it for
    every later document).

    Saxon reserves tens of GB of address space for its heap when it starts (reserved, not used), so with rules the
    limit counts from what the worker holds once they are compiled; before it, Saxon could not start at all.
    """
    if parent is not None:
        _die_with_parent(parent)
    configure_rules(einvoice_rules)
    validator = current_validator()
    if validator is not None:
        validator.warm_up()
    _limit_memory(limit_mb, above=_address_space() if validator is not None else 0)
    configure(ocr)


# A pool replaced after a limit leaves the semaphores of its killed workers to multiprocessing's resource
# tracker, which frees them and says so on stderr at shutdown, in plain text outside the JSON log stream.
# The tracker runs with this process's -W options, so the note is filtered there; nothing else is.
_TRACKER_NOTE: Final = "ignore:resource_tracker:UserWarning"


def _start_resource_tracker() -> None:
    if _TRACKER_NOTE not in sys.warnoptions:
        sys.warnoptions.append(_TRACKER_NOTE)
    resource_tracker.ensure_running()


class RecognitionPool:
    """A process pool that is replaced whenever a worker hits a limit."""

    def __init__(self, *, workers: int, timeout_s: float, memory_mb: int, ocr: OcrOptions | None = None,
                 einvoice_rules: Path | None = None) -> None:
        self._einvoice_rules = einvoice_rules
        self._workers = workers
        self._timeout_s = timeout_s
        self._memory_mb = memory_mb
        self._ocr = ocr or OcrOptions()
        _start_resource_tracker()
        self._pool = self._new_pool()
        self._jobs: dict[str, _Job] = {}

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self._workers,
            mp_context=get_context("spawn"),
            initializer=_start_worker,
            initargs=(self._memory_mb, self._ocr, os.getpid(), self._einvoice_rules),
        )

    def _replace(self) -> None:
        old = self._pool
        self._pool = self._new_pool()
        for process in list(getattr(old, "_processes", {}).values()):
            process.kill()
        old.shutdown(wait=False, cancel_futures=True)

    def cancel(self, job: str) -> bool:
        """Stop the recognition ``job`` if it is in flight here: unstarted it is dropped, running its worker is
        killed (other jobs of that pool run again on the new one). True when this pool had it."""
        entry = self._jobs.get(job)
        if entry is None:
            return False
        entry.cancelled.set()
        return True

    async def recognize(
        self, data: bytes, *, filename: str, media_type: str | None, ocr_engine: str | None = None,
        job: str | None = None,
    ) -> Recognition:
        """Recognise in a worker; ``job`` names it for :meth:`cancel` (``RecognitionCancelledError`` then)."""
        if job is not None and job in self._jobs:
            raise RuntimeError(f"recognition {job} is already running in this pool")
        entry = _Job()
        if job is not None:
            self._jobs[job] = entry
        try:
            while True:
                executor = self._pool
                cf: Future[Recognition] = executor.submit(_recognize, data, filename, media_type, ocr_engine)
                result = asyncio.wrap_future(cf)
                # a result (or error) nobody awaits any more must not be reported as never retrieved
                result.add_done_callback(lambda f: f.cancelled() or f.exception())
                stop = asyncio.ensure_future(entry.cancelled.wait())
                waiting: set[asyncio.Future[Any]] = {result, stop}
                try:
                    done, _ = await asyncio.wait(waiting, timeout=self._timeout_s,
                                                 return_when=asyncio.FIRST_COMPLETED)
                finally:
                    stop.cancel()
                if result in done:
                    if result.cancelled() or isinstance(result.exception(), BrokenProcessPool):
                        if executor is not self._pool:
                            continue  # another job's limit or cancel replaced the pool: not ours, run again
                        self._replace()
                        raise WorkerLimitError(
                            f"recognition worker died (memory limit {self._memory_mb} MB or crash)", filename=filename
                        )
                    if isinstance(result.exception(), MemoryError):
                        raise WorkerLimitError(f"recognition exceeded {self._memory_mb} MB", filename=filename)
                    return result.result()
                if entry.cancelled.is_set():
                    if not cf.cancel():  # already running: kill the worker doing it
                        self._replace()
                    raise RecognitionCancelledError(filename=filename, job=job or "?")
                self._replace()
                raise WorkerLimitError(f"recognition took longer than {self._timeout_s:.0f} s", filename=filename)
        finally:
            if job is not None:
                with contextlib.suppress(KeyError):
                    del self._jobs[job]

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _recognize(data: bytes, filename: str, media_type: str | None, ocr_engine: str | None = None) -> Recognition:
    return recognize(data, filename=filename, media_type=media_type, ocr_engine=ocr_engine)
