"""The watched inbox folder: ``<inbox>/<tenant>/<file>`` is taken in, then moved to ``.done`` or ``.rejected``."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from belegflow_contracts.messages import Source
from belegflow_contracts.runtime.errors import TransientError
from belegflow_contracts.runtime.logging import get_logger
from belegflow_ingest.errors import AdmissionError
from belegflow_ingest.intake import take_in

if TYPE_CHECKING:
    from belegflow_contracts.runtime.service import Runtime
    from belegflow_ingest.settings import Settings

log = get_logger(__name__)


def _settled(path: Path, seen: dict[Path, tuple[int, float]]) -> bool:
    """A file is taken only once its size and mtime held still for one poll (the writer is done)."""
    stat = path.stat()
    now = (stat.st_size, stat.st_mtime)
    before = seen.get(path)
    seen[path] = now
    return before == now


def _file_away(path: Path, folder: Path) -> Path:
    """Moves a file that was taken (or refused) into ``folder``; what stays of a document there is its owner's
    alone, whatever mode the file arrived with."""
    folder.mkdir(mode=0o700, exist_ok=True)
    target = folder / path.name
    path.replace(target)
    target.chmod(0o600)
    return target


async def scan_once(rt: Runtime, settings: Settings, inbox: Path, seen: dict[Path, tuple[int, float]]) -> int:
    taken = 0
    for tenant_dir in sorted(p for p in inbox.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for path in sorted(p for p in tenant_dir.iterdir() if p.is_file() and not p.name.startswith(".")):
            if not _settled(path, seen):
                continue
            data = path.read_bytes()
            try:
                result = await take_in(rt, tenant=tenant_dir.name, data=data, filename=path.name,
                                       source=Source.INBOX, limit=settings.max_upload_bytes)
            except AdmissionError as exc:
                target = _file_away(path, tenant_dir / ".rejected")
                target.with_name(target.name + ".reason.txt").write_text(f"{exc.code}: {exc.message}\n")
                log.warning("inbox file rejected", file=path.name, reason=exc.message)
            except TransientError as exc:
                log.warning("inbox file left for the next scan", file=path.name, error=str(exc))
                continue
            else:
                _file_away(path, tenant_dir / ".done")
                log.info("inbox file taken", file=path.name, document_id=str(result.document_id),
                         duplicate=result.duplicate)
                taken += 1
            seen.pop(path, None)
    return taken


async def watch(rt: Runtime, settings: Settings, inbox: Path) -> None:
    inbox.mkdir(parents=True, exist_ok=True)
    seen: dict[Path, tuple[int, float]] = {}
    while True:
        try:
            await scan_once(rt, settings, inbox, seen)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the watcher must survive one bad scan
            log.error("inbox scan failed", error=str(exc))
        await asyncio.sleep(settings.inbox_poll_s)
