"""Who may do what over HTTP: roles, the tenants a credential is scoped to, and the routes each role may call.

Pure decisions; ``http_auth`` finds the principal from the request's credential and applies them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

# roles and tenant grants: shared with the operator CLI, which grants them
from belegflow_contracts.credentials import ALL_TENANTS, Role, parse_roles, parse_tenants
from belegflow_contracts.runtime.errors import BelegflowError
from belegflow_contracts.types import normalize_tenant


class AccessError(BelegflowError):
    """A request refused before it reaches a route: ``status_code`` and ``code`` are the answer."""

    def __init__(self, status_code: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: a local user, an API key or an OIDC subject, with roles and the tenants they hold."""

    name: str
    roles: frozenset[Role]
    tenants: frozenset[str]

    def holds(self, tenant: str) -> bool:
        return ALL_TENANTS in self.tenants or tenant in self.tenants

    def tenant(self, header: str | None) -> str | None:
        """The tenant a request acts for: the header's, when the credential holds it; else the only one it holds.

        ``None`` when the credential holds several and the request names none. A tenant the credential does not
        hold is refused (403), whatever the header says.
        """
        if header is not None and header.strip():
            try:
                tenant = normalize_tenant(header)
            except ValueError as exc:
                raise AccessError(400, "invalid-tenant", str(exc)) from exc
            if not self.holds(tenant):
                raise AccessError(403, "tenant-not-granted", f"{self.name} may not act for tenant {tenant}")
            return tenant
        own = sorted(self.tenants - {ALL_TENANTS})
        return own[0] if len(own) == 1 and ALL_TENANTS not in self.tenants else None


_READ: Final = frozenset(Role)
_WORK: Final = frozenset({Role.CLERK, Role.APPROVER, Role.OPERATOR})
_DESK: Final = frozenset({Role.CLERK, Role.APPROVER})
# (method, path pattern, roles); the first match decides, a path no rule names is refused
_RULES: Final[tuple[tuple[str, re.Pattern[str], frozenset[Role]], ...]] = tuple(
    (method, re.compile(pattern), roles) for method, pattern, roles in (
        ("GET", r"/v1/documents(/[^/]+(/audit)?)?", _READ),
        ("POST", r"/v1/documents", _WORK),
        ("POST", r"/v1/documents/[^/]+/recognition/(repeat|cancel)", _WORK),
        ("POST", r"/v1/documents/[^/]+/review/approve", frozenset({Role.APPROVER})),
        ("POST", r"/v1/documents/[^/]+/review/(reject|correct|supplier)", _DESK),
        ("GET", r"/v1/learning(/templates/[^/]+)?", _READ),
        ("PUT", r"/v1/learning/templates", _WORK),
        ("DELETE", r"/v1/learning(/[^/]+)?", _DESK),
        ("POST", r"/v1/learning/repeat", _DESK),
        ("GET", r"/v1/devices(/[^/]+)?", frozenset({Role.OPERATOR})),
        ("POST", r"/v1/devices(/[^/]+/(reset|revoke))?", frozenset({Role.OPERATOR})),
    )
)
# reachable without a credential: the probes, the API description, and a device redeeming its one-time code
OPEN: Final = frozenset({("GET", "/healthz"), ("GET", "/livez"), ("GET", "/readyz"), ("GET", "/docs"),
                         ("GET", "/openapi.json"),
                         ("GET", "/docs/oauth2-redirect"), ("GET", "/redoc"),
                         ("POST", "/v1/devices/pair")})


def is_open(method: str, path: str) -> bool:
    """Open routes, the page's own assets, and the review page (which signs its users in with a session)."""
    if (method.upper(), path.rstrip("/") or "/") in OPEN:
        return True
    assets = path.startswith(("/static/", "/docs-assets/"))
    return (method.upper() == "GET" and assets) or path == "/desk" or path.startswith("/desk/")


def authorize(principal: Principal, method: str, path: str) -> None:
    """Refuse (403) a route none of the principal's roles may call."""
    for rule_method, pattern, roles in _RULES:
        if rule_method == method.upper() and pattern.fullmatch(path.rstrip("/")):
            if principal.roles & roles:
                return
            needed = ", ".join(sorted(r.value for r in roles))
            raise AccessError(403, "forbidden", f"{method.upper()} {path} needs the role {needed}")
    raise AccessError(404, "not-found", f"no route {method.upper()} {path}")


__all__ = ["ALL_TENANTS", "OPEN", "AccessError", "Principal", "Role", "authorize", "is_open", "parse_roles",
           "parse_tenants"]
