"""Failed sign-ins slow down whoever fails, across every replica: counters in Postgres, not in a process.

Two counters per failure (a wrong password, an unknown user, a wrong or revoked API key): the user (or API key)
*from that client address*, and the client address whatever user it names. Past its free failures
(``BELEGFLOW_LOCKOUT_FREE_FAILURES``, ``…_ADDRESS``) each further failure locks that counter for 1 s, 2 s,
4 s, ... at most ``BELEGFLOW_LOCKOUT_MAX_S``; while locked, attempts are answered 429 with ``Retry-After``
and no password is checked. A success forgets the user's failures from that address; any counter is
forgotten after ``BELEGFLOW_LOCKOUT_FORGET_S`` without a failure.

Why per user *from an address*: a lock that followed the user everywhere would let anyone keep them out for
good by failing on their behalf now and then; this way an attacker only locks themselves out, and the user
signs in from their own address meanwhile. Guessing from many addresses is slowed by each address's own lock.
An unknown user name is counted like a known one, so a 429 tells nothing about who exists.
"""

from __future__ import annotations

import functools
import ipaddress
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from belegflow_ingest.access import AccessError

if TYPE_CHECKING:
    from starlette.requests import Request

    from belegflow_contracts.runtime.db import Connection
    from belegflow_ingest.settings import Settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_MAX_NAME: Final = 100  # a longer name is no user's; the counter's key stays short
_MAX_EXPONENT: Final = 30


class Locked(AccessError):
    """Too many failed sign-ins: 429, to be retried after ``retry_after_s``."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(429, "too-many-attempts",
                         f"too many failed sign-ins from here; retry after {retry_after_s} s")
        self.retry_after_s = retry_after_s


@dataclass(frozen=True, slots=True)
class Policy:
    free_per_user: int = 5
    free_per_address: int = 20
    max_lock_s: int = 900
    forget_s: int = 3600
    trusted: tuple[Network, ...] = ()

    @classmethod
    def of(cls, settings: Settings) -> Policy:
        return cls(free_per_user=settings.lockout_free_failures,
                   free_per_address=settings.lockout_free_failures_address, max_lock_s=settings.lockout_max_s,
                   forget_s=settings.lockout_forget_s, trusted=parse_networks(settings.trusted_proxies))


@functools.lru_cache(maxsize=8)
def parse_networks(text: str) -> tuple[Network, ...]:
    """``10.0.0.0/8, 192.0.2.7`` as networks; ValueError names a part that is neither an address nor a network."""
    networks = []
    for part in (p.strip() for p in text.split(",")):
        if part:
            try:
                networks.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                raise ValueError(f"{part!r} is neither an IP address nor a network") from None
    return tuple(networks)


def lock_s(failures: int, free: int, max_s: int) -> int:
    """How long the ``failures``-th failure locks a counter that allows ``free`` ones: 0, then 1, 2, 4 ... max_s."""
    if failures <= free:
        return 0
    return int(min(max_s, 2 ** min(failures - free - 1, _MAX_EXPONENT)))


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def client_address(peer: str | None, forwarded_for: list[str], trusted: tuple[Network, ...]) -> str:
    """Who is asking: the connection's peer, unless it is a trusted proxy; then the nearest address in
    X-Forwarded-For (read from the right) that is not a trusted proxy itself. A client can put anything at
    the left of the header, so only what the trusted proxies appended counts."""
    found = _ip(peer or "")
    if found is None:
        return peer or "unknown"
    if not any(found in net for net in trusted):
        return str(found)
    hops = [hop for header in forwarded_for for hop in header.split(",")]
    for hop in reversed(hops):
        address = _ip(hop)
        if address is None:
            break  # garbage where a trusted proxy should have written an address: trust nothing beyond it
        found = address
        if not any(address in net for net in trusted):
            break
    return str(found)


def _user_key(user: str, address: str) -> str:
    return f"user:{user[:_MAX_NAME]}@{address}"


def _keys(policy: Policy, user: str | None, address: str) -> dict[str, int]:
    """Each counter a failure of ``user`` from ``address`` counts on, with its free failures."""
    keys = {f"address:{address}": policy.free_per_address}
    if user is not None:
        keys[_user_key(user, address)] = policy.free_per_user
    return keys


async def check(conn: Connection, policy: Policy, user: str | None, address: str) -> bool:
    """Raise Locked while a counter of this attempt is locked; else whether the user has failures to forget."""
    rows = await conn.fetch(
        "SELECT key, locked_until > now() AS locked, extract(epoch FROM locked_until - now()) AS wait_s "
        "FROM auth_failures WHERE key = ANY($1::text[]) AND last_failure_at > now() - make_interval(secs => $2)",
        list(_keys(policy, user, address)), float(policy.forget_s),
    )
    waits = [float(r["wait_s"]) for r in rows if r["locked"]]
    if waits:
        raise Locked(max(1, math.ceil(max(waits))))
    return user is not None and any(r["key"] == _user_key(user, address) for r in rows)


async def failed(conn: Connection, policy: Policy, user: str | None, address: str) -> int:
    """Count a failure on each counter; the longest lock it set (0: none)."""
    keys = _keys(policy, user, address)
    async with conn.transaction():
        counts = await conn.fetch(
            "INSERT INTO auth_failures AS f (key, failures, last_failure_at) "
            "SELECT key, 1, now() FROM unnest($1::text[]) AS g(key) "
            "ON CONFLICT (key) DO UPDATE SET "
            "failures = CASE WHEN f.last_failure_at < now() - make_interval(secs => $2) THEN 1 "
            "ELSE f.failures + 1 END, "
            "locked_until = CASE WHEN f.last_failure_at < now() - make_interval(secs => $2) THEN NULL "
            "ELSE f.locked_until END, "
            "last_failure_at = now() RETURNING key, failures",
            list(keys), float(policy.forget_s),
        )
        locks = {r["key"]: lock_s(r["failures"], keys[r["key"]], policy.max_lock_s) for r in counts}
        locks = {key: seconds for key, seconds in locks.items() if seconds > 0}
        if locks:
            await conn.execute(
                "UPDATE auth_failures AS f SET locked_until = greatest(f.locked_until, now() + "
                "make_interval(secs => g.secs)) FROM unnest($1::text[], $2::float8[]) AS g(key, secs) "
                "WHERE f.key = g.key",
                list(locks), [float(s) for s in locks.values()],
            )
        # forgotten counters go on the way, so the table holds only what still counts
        await conn.execute(
            "DELETE FROM auth_failures WHERE last_failure_at < now() - make_interval(secs => $1) "
            "AND (locked_until IS NULL OR locked_until < now())", float(policy.forget_s),
        )
    return max(locks.values(), default=0)


async def succeeded(conn: Connection, user: str, address: str) -> None:
    """Forget the user's failures from this address (the address's own counter only fades)."""
    await conn.execute("DELETE FROM auth_failures WHERE key = $1", _user_key(user, address))


def address_of(request: Request, policy: Policy) -> str:
    """The client address of an HTTP request (``client_address``)."""
    peer = request.client.host if request.client else None
    return client_address(peer, request.headers.getlist("x-forwarded-for"), policy.trusted)
