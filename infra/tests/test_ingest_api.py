"""Calls to ingest from the operator commands: answers, refusals and an unreachable ingest, as their messages."""

from __future__ import annotations

import json

import httpx
import pytest
import typer

from belegflow_ops.ingest_api import IngestRequestError, call, exit_on


def client_answering(status: int, content: bytes, seen: list[httpx.Request] | None = None) -> httpx.Client:
    def handle(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return httpx.Response(status, content=content)

    return httpx.Client(transport=httpx.MockTransport(handle))


def test_the_answer_comes_back_and_the_tenant_goes_in_the_header() -> None:
    seen: list[httpx.Request] = []
    with client_answering(202, b'{"id": "d1", "revision": 2}', seen) as client:
        answer = call("POST", "http://ingest", "/v1/x", tenant="acme", action="repeat", json={"a": 1}, client=client)
    assert answer == {"id": "d1", "revision": 2}
    assert seen[0].url == "http://ingest/v1/x"
    assert seen[0].headers["X-Tenant"] == "acme"
    assert json.loads(seen[0].content) == {"a": 1}


def test_a_refusal_names_the_action_status_code_and_detail() -> None:
    body = b'{"code": "recognition-finished", "detail": "revision 2 has already finished"}'
    with client_answering(409, body) as client, pytest.raises(IngestRequestError) as err:
        call("POST", "http://ingest", "/v1/x", tenant="acme", action="cancel", client=client)
    assert str(err.value) == "cancel refused (409 recognition-finished): revision 2 has already finished"


def test_a_refusal_that_is_not_json_shows_the_text() -> None:
    with client_answering(502, b"  bad gateway from the proxy  ") as client, pytest.raises(IngestRequestError) as err:
        call("GET", "http://ingest", "/v1/devices", tenant="acme", action="list", client=client)
    assert str(err.value) == "list refused (502): bad gateway from the proxy"


def test_an_empty_refusal_shows_the_reason_phrase() -> None:
    with client_answering(503, b"") as client, pytest.raises(IngestRequestError) as err:
        call("GET", "http://ingest", "/v1/devices", tenant="acme", action="list", client=client)
    assert str(err.value) == "list refused (503): Service Unavailable"


def test_an_unreachable_ingest_says_where_it_was_looked_for() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with httpx.Client(transport=httpx.MockTransport(refuse)) as client, pytest.raises(IngestRequestError) as err:
        call("POST", "http://ingest:9", "/v1/devices", tenant="acme", action="release", client=client)
    assert str(err.value) == "ingest is not reachable at http://ingest:9: connection refused"


def test_exit_on_prints_the_error_and_exits_with_the_code(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit) as exited, exit_on(IngestRequestError, 2):
        raise IngestRequestError("release refused (409 device_already_paired): paired")
    assert exited.value.exit_code == 2
    assert capsys.readouterr().err == "error: release refused (409 device_already_paired): paired\n"


def test_exit_on_lets_other_errors_through() -> None:
    with pytest.raises(KeyError), exit_on(IngestRequestError):
        raise KeyError("not an ingest error")
