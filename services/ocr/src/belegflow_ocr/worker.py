"""Recognition in a worker process with a wall-clock and a memory limit, so no document can take the service down."""

from __future__ import annotations

import asyncio
import resource
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context

from belegflow_ocr.domain import recognize
from belegflow_ocr.errors import RecognitionError
from belegflow_ocr.recognition import Recognition


class WorkerLimitError(RecognitionError):
    """The worker ran out of time or memory on a document (permanent: it would again)."""

    def __init__(self, message: str, *, filename: str) -> None:
        super().__init__(message, filename=filename)


def _limit_memory(limit_mb: int) -> None:
    limit = limit_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


class RecognitionPool:
    """A process pool that is replaced whenever a worker hits a limit."""

    def __init__(self, *, workers: int, timeout_s: float, memory_mb: int) -> None:
        self._workers = workers
        self._timeout_s = timeout_s
        self._memory_mb = memory_mb
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self._workers,
            mp_context=get_context("spawn"),
            initializer=_limit_memory,
            initargs=(self._memory_mb,),
        )

    def _replace(self) -> None:
        old = self._pool
        self._pool = self._new_pool()
        for process in list(getattr(old, "_processes", {}).values()):
            process.kill()
        old.shutdown(wait=False, cancel_futures=True)

    async def recognize(self, data: bytes, *, filename: str, media_type: str | None) -> Recognition:
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._pool, _recognize, data, filename, media_type)
        try:
            return await asyncio.wait_for(future, timeout=self._timeout_s)
        except TimeoutError:
            self._replace()
            raise WorkerLimitError(f"recognition took longer than {self._timeout_s:.0f} s", filename=filename) from None
        except BrokenProcessPool:
            self._replace()
            raise WorkerLimitError(
                f"recognition worker died (memory limit {self._memory_mb} MB or crash)", filename=filename
            ) from None
        except MemoryError:
            raise WorkerLimitError(f"recognition exceeded {self._memory_mb} MB", filename=filename) from None

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _recognize(data: bytes, filename: str, media_type: str | None) -> Recognition:
    return recognize(data, filename=filename, media_type=media_type)
