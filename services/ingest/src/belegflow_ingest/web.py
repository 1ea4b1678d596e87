"""What ingest's HTTP routers share: the ``{"code", "detail"}`` problem answer, and the app's runtime and settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

if TYPE_CHECKING:
    from belegflow_contracts.runtime.service import Runtime
    from belegflow_ingest.settings import Settings


class Problem(BaseModel):
    code: str
    detail: str


def problem(status_code: int, code: str, detail: str) -> JSONResponse:
    return JSONResponse(status_code=status_code, content={"code": code, "detail": detail})


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def settings(request: Request) -> Settings:
    value: Settings = request.app.state.settings
    return value
