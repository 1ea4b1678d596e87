"""The agent running on its own: watches a folder, syncs on its interval and as soon as central is back.

While central is unreachable it probes with exponential backoff and full jitter (so a fleet of devices
does not return all in the same second); the first successful probe starts a sync at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from belegflow_contracts.messages import SyncResult
from belegflow_edge.errors import EdgeError, SyncBusyError
from belegflow_edge.store import Store
from belegflow_edge.sync import SyncOptions, probe, run_sync
from belegflow_edge.watch import scan_once


@dataclass(slots=True)
class Backoff:
    base_s: float = 1.0
    cap_s: float = 60.0
    attempt: int = 0

    def next_delay(self) -> float:
        """Full jitter: uniform between 0 and min(cap, base * 2^attempt)."""
        ceiling = min(self.cap_s, self.base_s * (2 ** self.attempt))
        self.attempt = min(self.attempt + 1, 30)
        return random.uniform(0.0, ceiling)

    def reset(self) -> None:
        self.attempt = 0


@dataclass(frozen=True, slots=True)
class DaemonOptions:
    watch: Path | None = None
    document_type: str = "invoice"
    description: str = ""
    interval_s: float | None = None
    """Between syncs while all is well; the device config's ``sync_interval_s`` when None."""
    poll_s: float = 1.0
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 60.0
    sync: SyncOptions = field(default_factory=SyncOptions)


async def run_daemon(store: Store, options: DaemonOptions, say: Callable[[str], None],
                     stop: asyncio.Event | None = None) -> None:
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    backoff = Backoff(options.backoff_base_s, options.backoff_cap_s)
    online = True
    next_sync = 0.0
    synced_backlog = -1
    while not stop.is_set():
        now = time.monotonic()
        if options.watch is not None:
            try:
                report = scan_once(store, options.watch, document_type=options.document_type,
                                   description=options.description)
            except EdgeError as exc:
                say(f"watch: {exc.message}")
            else:
                for path, doc in report.captured:
                    say(f"captured {doc.document_number} sequence={doc.sequence} from {path.name}")
                for path, reason in report.rejected:
                    say(f"rejected {path.name}: {reason}")
                for path, reason in report.held:
                    say(f"held {path.name}: {reason}")
        backlog = store.backlog()
        due = now >= next_sync or (online and backlog > 0 and backlog != synced_backlog)
        if due and not online:
            # offline: a cheap probe first; a sync only once central answers again
            if await probe(store.device()):
                say("central is reachable again")
                online = True
            else:
                delay = backoff.next_delay()
                next_sync = time.monotonic() + delay
                say(f"central still unreachable; next try in {delay:.1f} s")
                due = False
        if due:
            try:
                session = await run_sync(store, options.sync)
            except SyncBusyError:
                next_sync = time.monotonic() + options.poll_s * 5
            else:
                synced_backlog = store.backlog()
                say(f"sync {session.session_id}: {session.result.value} (sent {session.sent}, accepted "
                    f"{session.accepted}, duplicates {session.duplicates}, rejected {session.rejected}, "
                    f"failed {session.failed})")
                if session.connection_lost:
                    online = False
                    delay = backoff.next_delay()
                    say(f"central unreachable; next try in {delay:.1f} s")
                    next_sync = time.monotonic() + delay
                elif session.result in (SyncResult.SUCCESS, SyncResult.NOTHING_NEW):
                    backoff.reset()
                    next_sync = time.monotonic() + (options.interval_s or store.device().config.sync_interval_s)
                else:
                    next_sync = time.monotonic() + backoff.next_delay()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), options.poll_s)
