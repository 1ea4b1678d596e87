"""Every HTTP request is authenticated before it reaches a route, then authorized by role and tenant.

Credentials: ``Authorization: Basic`` (a local user, Argon2id), ``Authorization: Bearer bfk_…`` (an API key)
or ``Authorization: Bearer <JWT>`` (an OIDC access token, verified against the issuer's JWKS). The tenant
comes from the credential: ``X-Tenant`` only chooses among the tenants it holds. Failed passwords and API keys
are counted per user and per client address, and too many are answered 429 for a while (``throttle``).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from typing import TYPE_CHECKING, Any

import jwt
from fastapi import Request

from belegflow_contracts.runtime.logging import get_logger
from belegflow_ingest import credential_store, credentials, throttle, web
from belegflow_ingest.access import AccessError, Principal, Role, authorize, is_open, parse_tenants

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from starlette.responses import Response

    from belegflow_contracts.runtime.service import Runtime
    from belegflow_ingest.settings import Settings

log = get_logger(__name__)
_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"]
_HOW = "send Authorization: Basic <user:password>, Bearer <API key> or Bearer <OIDC access token>"


def _unauthenticated(detail: str, code: str = "unauthenticated") -> AccessError:
    return AccessError(401, code, detail)


class OidcVerifier:
    """Verifies OIDC access tokens: signature by a key of the issuer's JWKS, issuer, audience, expiry."""

    def __init__(self, settings: Settings) -> None:
        if not (settings.oidc_issuer and settings.oidc_jwks_url and settings.oidc_audience):
            raise ValueError("OIDC needs BELEGFLOW_OIDC_ISSUER, BELEGFLOW_OIDC_JWKS_URL and BELEGFLOW_OIDC_AUDIENCE")
        self.issuer, self.audience = settings.oidc_issuer, settings.oidc_audience
        self.roles_claim, self.tenants_claim = settings.oidc_roles_claim, settings.oidc_tenants_claim
        self.jwks = jwt.PyJWKClient(settings.oidc_jwks_url, cache_keys=True, lifespan=300, timeout=5)

    def verify(self, token: str) -> Principal:
        try:
            key = self.jwks.get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token, key.key, algorithms=_ALGORITHMS, audience=self.audience, issuer=self.issuer,
                options={"require": ["exp", "iss", "aud", "sub"]}, leeway=30,
            )
        except jwt.ExpiredSignatureError:
            raise _unauthenticated("the token has expired", "token-expired") from None
        except jwt.InvalidAudienceError:
            raise _unauthenticated(f"the token is not meant for {self.audience}", "wrong-audience") from None
        except jwt.InvalidIssuerError:
            raise _unauthenticated(f"the token was not issued by {self.issuer}", "wrong-issuer") from None
        except jwt.PyJWKClientConnectionError:
            raise AccessError(503, "oidc-unavailable", "the identity provider's keys could not be fetched") from None
        except (jwt.PyJWKClientError, jwt.InvalidTokenError) as exc:
            raise _unauthenticated(f"the token is not valid: {exc}", "invalid-token") from None
        roles = frozenset(Role(r) for r in _strings(claims.get(self.roles_claim)) if r in set(Role))
        try:
            tenants = parse_tenants(_strings(claims.get(self.tenants_claim)))
        except ValueError as exc:
            raise AccessError(403, "no-tenant", f"the token's {self.tenants_claim!r} claim: {exc}") from None
        if not roles:
            raise AccessError(403, "no-role", f"the token's {self.roles_claim!r} claim names no belegflow role")
        return Principal(name=f"oidc:{claims['sub']}", roles=roles, tenants=tenants)


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return value.split()
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


async def _basic(rt: Runtime, value: str, policy: throttle.Policy, address: str) -> Principal:
    try:
        name, sep, password = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise _unauthenticated("Basic credentials are not base64 of user:password") from None
    if not sep:
        raise _unauthenticated("Basic credentials are not base64 of user:password")
    if not name.isprintable() or "\x00" in password:
        # no user name holds a control character, and a NUL never reaches the database
        async with rt.db.acquire() as conn:
            await throttle.check(conn, policy, None, address)
            await throttle.failed(conn, policy, None, address)
        raise _unauthenticated("wrong user name or password", "invalid-credentials")
    async with rt.db.acquire() as conn:
        # a locked user or address is refused before any password is checked (429, Retry-After)
        had_failures = await throttle.check(conn, policy, name, address)
        stored = await credential_store.user(conn, name)
    # a missing user costs the same hash as a wrong password, so neither can be told apart by time
    ok = await asyncio.to_thread(credentials.password_matches, stored.hash if stored else None, password)
    if stored is None or not ok:
        async with rt.db.acquire() as conn:
            await throttle.failed(conn, policy, name, address)
        raise _unauthenticated("wrong user name or password", "invalid-credentials")
    if had_failures:
        async with rt.db.acquire() as conn:
            await throttle.succeeded(conn, name, address)
    return stored.principal


async def _key(rt: Runtime, value: str, policy: throttle.Policy, address: str) -> Principal:
    parts = credentials.split_key(value)
    key_id = parts[0] if parts else None
    async with rt.db.acquire() as conn:
        had_failures = await throttle.check(conn, policy, f"key:{key_id}" if key_id else None, address)
        stored = await credential_store.key(conn, key_id) if key_id else None
    if parts is None or stored is None or not credentials.key_matches(stored.hash, parts[1]):
        async with rt.db.acquire() as conn:
            await throttle.failed(conn, policy, f"key:{key_id}" if key_id else None, address)
        if parts is None:
            raise _unauthenticated("not an API key", "invalid-credentials")
        raise _unauthenticated("unknown or revoked API key", "invalid-credentials")
    if had_failures:
        async with rt.db.acquire() as conn:
            await throttle.succeeded(conn, f"key:{key_id}", address)
    return stored.principal


async def authenticate(request: Request, rt: Runtime, oidc: OidcVerifier | None) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if not header.strip():
        raise _unauthenticated(f"no credentials: {_HOW}")
    policy = throttle.Policy.of(request.app.state.settings)
    if scheme.lower() == "basic":
        return await _basic(rt, value, policy, throttle.address_of(request, policy))
    if scheme.lower() == "bearer" and value.startswith(f"{credentials.KEY_PREFIX}_"):
        return await _key(rt, value, policy, throttle.address_of(request, policy))
    if scheme.lower() == "bearer" and value.count(".") == 2:
        if oidc is None:
            raise _unauthenticated("OIDC tokens are not accepted here (no issuer configured)", "invalid-credentials")
        return await asyncio.to_thread(oidc.verify, value)
    raise _unauthenticated(f"unsupported credentials: {_HOW}")


def principal(request: Request) -> Principal:
    """The principal the gate found for this request (routes behind the gate only)."""
    found: Principal = request.state.principal
    return found


def gate(oidc: OidcVerifier | None) -> Callable[[Request, Callable[[Request], Awaitable[Response]]],
                                                Awaitable[Response]]:
    """HTTP middleware: authenticate, authorize the route, fix the tenant; answer 401/403 as a problem."""

    async def middleware(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if is_open(request.method, request.url.path):
            return await call_next(request)
        rt: Runtime = request.app.state.runtime
        try:
            found = await authenticate(request, rt, oidc)
            authorize(found, request.method, request.url.path)
            tenant = found.tenant(request.headers.get("x-tenant"))
        except AccessError as exc:
            log.info("http request refused", path=request.url.path, code=exc.code)
            headers = {"WWW-Authenticate": 'Basic realm="belegflow", Bearer'} if exc.status_code == 401 else {}
            if isinstance(exc, throttle.Locked):
                headers["Retry-After"] = str(exc.retry_after_s)
            return web.problem(exc.status_code, exc.code, exc.detail, headers=headers)
        request.state.principal = found
        if tenant is not None:
            # routes read the tenant from X-Tenant; from here on it is the credential's
            request.scope["headers"] = [(k, v) for k, v in request.scope["headers"] if k != b"x-tenant"]
            request.scope["headers"].append((b"x-tenant", tenant.encode()))
        return await call_next(request)

    return middleware
