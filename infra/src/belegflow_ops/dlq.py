"""Read and re-drive dead letters from the DLQ stream."""

from __future__ import annotations

import base64

import nats
import nats.js.errors

from belegflow_contracts.messages import DeadLetterV1
from belegflow_contracts.runtime.settings import nats_servers
from belegflow_contracts.subjects import MSG_ID_HEADER


async def read_dead_letters(nats_url: str, *, limit: int = 100) -> list[tuple[int, DeadLetterV1]]:
    """The newest ``limit`` dead letters, oldest first, with their DLQ stream sequence."""
    nc = await nats.connect(nats_servers(nats_url), connect_timeout=5)
    try:
        js = nc.jetstream()
        info = await js.stream_info("DLQ")
        letters: list[tuple[int, DeadLetterV1]] = []
        if info.state.messages == 0:
            return letters
        first = max(info.state.first_seq, info.state.last_seq - limit + 1)
        for seq in range(first, info.state.last_seq + 1):
            try:
                raw = await js.get_msg("DLQ", seq)
            except nats.js.errors.NotFoundError:
                continue
            if raw.data:
                letters.append((seq, DeadLetterV1.model_validate_json(raw.data)))
        return letters
    finally:
        await nc.close()


class UnknownDeadLetterError(LookupError):
    """No dead letter has this DLQ sequence (never was, or already removed)."""

    def __init__(self, sequence: int) -> None:
        super().__init__(f"no dead letter #{sequence} in the DLQ (see `belegflow dlq list`)")
        self.sequence = sequence


async def redrive(nats_url: str, sequences: list[int]) -> list[tuple[int, str]]:
    """Publish each dead letter's original payload to its subject, under a new message id.

    Every sequence is looked up first: one unknown sequence re-drives none.
    """
    nc = await nats.connect(nats_servers(nats_url), connect_timeout=5)
    done: list[tuple[int, str]] = []
    try:
        js = nc.jetstream()
        found = []
        for seq in sequences:
            try:
                found.append((seq, await js.get_msg("DLQ", seq)))
            except (nats.js.errors.NotFoundError, nats.js.errors.BadRequestError):
                raise UnknownDeadLetterError(seq) from None
        for seq, raw in found:
            letter = DeadLetterV1.model_validate_json(raw.data or b"")
            headers = {k: v for k, v in letter.headers.items() if k != MSG_ID_HEADER}
            # a new id: the original was never processed, and the broker must not drop the retry as a duplicate
            headers[MSG_ID_HEADER] = f"redrive:{seq}:{letter.headers.get(MSG_ID_HEADER, '')}"
            await js.publish(letter.subject, base64.b64decode(letter.payload), headers=headers, timeout=10)
            done.append((seq, letter.subject))
        return done
    finally:
        await nc.close()
