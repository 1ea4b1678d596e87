"""What ingest's HTTP routers share: the ``{"code", "detail"}`` problem answer, and the app's runtime and settings."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from belegflow_contracts.runtime import db
from belegflow_contracts.runtime.logging import get_logger

if TYPE_CHECKING:
    from belegflow_contracts.runtime.service import Runtime
    from belegflow_ingest.settings import Settings


log = get_logger(__name__)


class Problem(BaseModel):
    code: str
    detail: str


def problem(status_code: int, code: str, detail: str) -> JSONResponse:
    return JSONResponse(status_code=status_code, content={"code": code, "detail": detail})


RETRY_AFTER_S = 5


async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Outermost middleware: an outage is 503 with Retry-After, a body nested too deeply is 400, never a 500."""
    try:
        return await call_next(request)
    except db.UNAVAILABLE as exc:
        log.warning("request answered 503: a backing service is unavailable", path=request.url.path,
                    error_type=type(exc).__name__, error=str(exc))
        response = problem(503, "unavailable", "a backing service is unavailable; retry later")
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
        return response
    except RecursionError:
        return problem(400, "nested-too-deeply", "the request body is nested too deeply")


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def settings(request: Request) -> Settings:
    value: Settings = request.app.state.settings
    return value
