"""Ingest's API description and its error answers.

Every error is an RFC 9457 problem (``application/problem+json``), FastAPI's own validation errors and
unknown routes included. The OpenAPI 3.1 document names the credentials (``securitySchemes``: Basic, API key,
OIDC), which of them each operation takes and which roles it needs, and the problem answers it can give.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from starlette.exceptions import HTTPException as StarletteHTTPException

from belegflow_contracts.runtime.logging import get_logger
from belegflow_ingest import web
from belegflow_ingest.access import ALL_TENANTS, AccessError, Principal, Role, authorize, is_open

if TYPE_CHECKING:
    from fastapi.responses import JSONResponse

    from belegflow_ingest.settings import Settings

log = get_logger(__name__)

# the credentials an operation behind the gate takes: any one of them
SECURITY: list[dict[str, list[str]]] = [{"basic": []}, {"apiKey": []}, {"oidc": []}]
_CODES = {400: "bad-request", 401: "unauthenticated", 403: "forbidden", 404: "not-found",
          405: "method-not-allowed", 406: "not-acceptable", 409: "conflict", 413: "too-large",
          415: "unsupported-type", 422: "invalid", 429: "too-many-requests", 503: "unavailable"}
_GATE_ANSWERS = {
    "400": "X-Tenant names no valid tenant",
    "401": "no credentials, or wrong ones (`WWW-Authenticate` says which are taken)",
    "403": "the credential's roles or tenants do not cover this operation",
    "429": "too many failed sign-ins of this user or from this address: locked for a while (Retry-After)",
}


def _param(loc: tuple[int | str, ...] | list[int | str]) -> str:
    return ".".join(str(p) for p in loc) or "body"


async def validation_problem(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's request validation (parameters, headers, bodies) answered as a problem, 422."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    params = [{"name": _param(e.get("loc", ())), "reason": str(e.get("msg", "invalid"))} for e in errors]
    detail = "; ".join(f"{p['name']}: {p['reason']}" for p in params) or "the request is not valid"
    return web.problem(422, "invalid", detail, invalid_params=params)


async def http_problem(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's HTTP errors (unknown route, wrong method, …) answered as a problem."""
    status = exc.status_code if isinstance(exc, StarletteHTTPException) else 500
    detail = exc.detail if isinstance(exc, StarletteHTTPException) and isinstance(exc.detail, str) else ""
    headers = dict(exc.headers or {}) if isinstance(exc, StarletteHTTPException) else None
    code = _CODES.get(status, "error")
    if status == 404 and detail in ("", "Not Found"):
        detail = f"no route {request.method} {request.url.path}"
    return web.problem(status, code, detail or code, headers=headers)


async def server_problem(request: Request, exc: Exception) -> JSONResponse:
    """A bug: logged with its stack, answered as a problem that reveals nothing of it."""
    log.error("request failed", path=request.url.path, error_type=type(exc).__name__, exc_info=exc)
    return web.problem(500, "internal", "the request failed on the server; it is logged")


def install(app: FastAPI, settings: Settings) -> None:
    """Problem answers for every error, and the described OpenAPI document at ``/openapi.json``."""
    app.add_exception_handler(RequestValidationError, validation_problem)
    app.add_exception_handler(StarletteHTTPException, http_problem)
    app.add_exception_handler(Exception, server_problem)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(title=app.title, version=app.version, description=DESCRIPTION, routes=app.routes)
            app.openapi_schema = describe(doc, settings)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to customise it


DESCRIPTION = """\
Upload documents (invoices, receipts), read their status, fields and protocol, review them, steer recognition
and learning, and manage edge device slots.

**Credentials** (any one): `Authorization: Basic` (a local user), `Authorization: Bearer bfk_…` (an API key) or
`Authorization: Bearer <JWT>` (an OIDC access token). Each operation names the roles it needs. The tenant comes
from the credential; `X-Tenant` chooses among the tenants a credential holds.

**Errors** are RFC 9457 problem details (`application/problem+json`): `type` (`urn:belegflow:problem:<code>`),
`title`, `status`, `detail`, and `code` for programs; validation errors list every refused value in
`invalid_params`.
"""


def _security_schemes(settings: Settings) -> dict[str, Any]:
    oidc: dict[str, Any]
    if settings.oidc_issuer:
        oidc = {"type": "openIdConnect",
                "openIdConnectUrl": settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration",
                "description": f"an access token of {settings.oidc_issuer} for the audience "
                               f"{settings.oidc_audience}; roles from the {settings.oidc_roles_claim!r} claim, "
                               f"tenants from {settings.oidc_tenants_claim!r}"}
    else:
        oidc = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": "an OIDC access token (this server has no issuer configured: none is accepted)"}
    return {
        "basic": {"type": "http", "scheme": "basic", "description": "a local user and password"},
        "apiKey": {"type": "http", "scheme": "bearer", "bearerFormat": "bfk_<key id>_<secret>",
                   "description": "an API key (`belegflow keys add`), sent as a bearer token"},
        "oidc": oidc,
    }


def roles_for(method: str, path: str) -> list[Role]:
    """The roles that may call the operation (by the gate's own rules)."""
    sample = re.sub(r"\{[^}]+\}", "x", path)
    allowed = []
    for role in Role:
        try:
            authorize(Principal(name="openapi", roles=frozenset({role}), tenants=frozenset({ALL_TENANTS})),
                      method, sample)
        except AccessError:
            continue
        allowed.append(role)
    return allowed


def _problem_content() -> dict[str, Any]:
    return {web.PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def _hoist(schema: Any, schemas: dict[str, Any]) -> Any:
    """A body schema given inline (with its own ``$defs``), its definitions moved to the components."""
    if isinstance(schema, dict):
        for name, definition in schema.pop("$defs", {}).items():
            schemas.setdefault(name, _hoist(definition, schemas))
        return {k: (f"#/components/schemas/{v.removeprefix('#/$defs/')}" if k == "$ref" and isinstance(v, str)
                    and v.startswith("#/$defs/") else _hoist(v, schemas)) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_hoist(v, schemas) for v in schema]
    return schema


def describe(doc: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """FastAPI's document, with the security schemes, each operation's security and roles, and problem answers."""
    components = doc.setdefault("components", {})
    components["securitySchemes"] = _security_schemes(settings)
    schemas = components.setdefault("schemas", {})
    for operations in doc.get("paths", {}).values():
        for op in operations.values():
            for media in op.get("requestBody", {}).get("content", {}).values():
                media["schema"] = _hoist(media.get("schema", {}), schemas)
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    for path, operations in doc.get("paths", {}).items():
        for method, op in operations.items():
            responses = op.setdefault("responses", {})
            if is_open(method, path):
                op["security"] = []
            else:
                op["security"] = SECURITY
                roles = roles_for(method, path)
                note = f"Roles: {', '.join(r.value for r in roles)}." if roles else "No role may call it."
                op["description"] = f"{op.get('description', '').rstrip()}\n\n{note}".strip()
                for status, why in _GATE_ANSWERS.items():
                    responses.setdefault(status, {"description": why})
            if path != "/livez":
                responses.setdefault("503", {"description": "a backing service is unavailable (Retry-After)"})
            if op.get("parameters") or op.get("requestBody"):
                responses.setdefault("422", {"description": "a parameter or the body is not valid"})
            for status, answer in responses.items():
                ref = str(answer.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", ""))
                if status.isdigit() and int(status) >= 400 and (
                        "content" not in answer or ref.endswith(("/Problem", "/HTTPValidationError"))):
                    answer["content"] = _problem_content()
                    if answer.get("description") in (None, "", "Validation Error", "Additional Response"):
                        answer["description"] = _CODES.get(int(status), "error").replace("-", " ")
    return doc
