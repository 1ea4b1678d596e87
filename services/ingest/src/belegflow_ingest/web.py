"""What ingest's HTTP routers share: the problem answer (RFC 9457 ``application/problem+json``), and the app's
runtime and settings."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from http import HTTPStatus
from typing import TYPE_CHECKING

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from belegflow_contracts.runtime import db
from belegflow_contracts.runtime.logging import get_logger

if TYPE_CHECKING:
    from belegflow_contracts.runtime.service import Runtime
    from belegflow_ingest.settings import Settings


log = get_logger(__name__)


PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE = "urn:belegflow:problem:"


class InvalidParam(BaseModel):
    """One value a request got wrong: where (``body``, ``query``, ``header``, ``path`` and the field) and why."""

    name: str = Field(examples=["query.status"])
    reason: str = Field(examples=["Input should be 'received', 'recognized' or 'review'"])


class Problem(BaseModel):
    """Every error answer (RFC 9457 problem details, ``application/problem+json``).

    ``type`` is ``urn:belegflow:problem:<code>``; ``code`` is the same name on its own, for programs to branch on.
    """

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["urn:belegflow:problem:not-found"])
    title: str = Field(description="the HTTP status phrase", examples=["Not Found"])
    status: int = Field(ge=400, le=599, examples=[404])
    detail: str = Field(description="what went wrong, for people", examples=["document … not found"])
    code: str = Field(description="what went wrong, for programs (stable)", examples=["not-found"])
    invalid_params: list[InvalidParam] | None = Field(
        default=None, description="validation errors: every value that was refused, and why")


def problem_body(status_code: int, code: str, detail: str, **extra: object) -> dict[str, object]:
    try:
        title = HTTPStatus(status_code).phrase
    except ValueError:
        title = "Error"
    return {"type": f"{PROBLEM_TYPE}{code}", "title": title, "status": status_code, "detail": detail, "code": code,
            **extra}


def problem(status_code: int, code: str, detail: str, *, headers: Mapping[str, str] | None = None,
            **extra: object) -> JSONResponse:
    """An error answer as ``application/problem+json``: type, title, status, detail and our ``code``."""
    return JSONResponse(status_code=status_code, content=problem_body(status_code, code, detail, **extra),
                        media_type=PROBLEM_JSON, headers=headers)


RETRY_AFTER_S = 5


async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Outermost middleware: an outage is 503 with Retry-After, a body nested too deeply is 400, never a 500."""
    try:
        return await call_next(request)
    except db.UNAVAILABLE as exc:
        log.warning("request answered 503: a backing service is unavailable", path=request.url.path,
                    error_type=type(exc).__name__, error=str(exc))
        return problem(503, "unavailable", "a backing service is unavailable; retry later",
                       headers={"Retry-After": str(RETRY_AFTER_S)})
    except RecursionError:
        return problem(400, "nested-too-deeply", "the request body is nested too deeply")


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def settings(request: Request) -> Settings:
    value: Settings = request.app.state.settings
    return value
