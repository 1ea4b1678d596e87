"""Handler parameters from FastStream's context, resolved on the event loop.

fast_depends resolves a parameter annotated with FastStream's ``Context`` by running its synchronous ``use`` in a
worker thread (``anyio.to_thread``): a thread hop for each such parameter of every message, the message itself
included. ``Context`` here resolves the same value in the same way without leaving the event loop (fast_depends
awaits a resolver that is a coroutine function); handlers take their message as ``NatsMessage`` from here for the
same reason.
"""

from __future__ import annotations

from typing import Annotated, Any

# the class behind faststream.Context (that one is a function returning it)
from faststream._internal.context import Context as _ContextField
from faststream.nats.message import NatsMessage as _NatsMessage

__all__ = ["Context", "NatsMessage"]


class _LoopContext(_ContextField):
    async def use(self, /, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        found: dict[str, Any] = super().use(**kwargs)
        return found


def Context(real_name: str = "") -> Any:
    """``faststream.Context(real_name)`` (a function too), resolved on the event loop."""
    return _LoopContext(real_name)


NatsMessage = Annotated[_NatsMessage, Context("message")]
