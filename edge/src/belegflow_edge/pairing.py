"""Pairing with central over HTTP (``POST /v1/devices/pair``), with the one-time code an operator released."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request

from pydantic import ValidationError

from belegflow_contracts.messages import PairingRequestV1, PairingResultV1
from belegflow_edge import __version__
from belegflow_edge.errors import AlreadyPairedError, CentralUnreachableError, EdgeError, PairingError
from belegflow_edge.store import Device, Store


def request_pairing(server: str, code: str, *, timeout_s: float = 15.0) -> PairingResultV1:
    """Central's answer to the code, or ``PairingError`` with central's reason (unknown, used, expired, ...)."""
    if not server.startswith(("http://", "https://")):
        raise EdgeError(f"server {server!r} is not an http:// or https:// URL")
    code = code.strip().upper()
    if not code:
        raise EdgeError("the pairing code is empty")
    body = PairingRequestV1(code=code, hostname=socket.gethostname()[:255], agent_version=__version__)
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        server.rstrip("/") + "/v1/devices/pair", data=body.model_dump_json().encode(), method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310
            payload = response.read()
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            error = json.loads(raw)
            code_name, detail = str(error.get("code", exc.code)), str(error.get("detail", ""))
        except (ValueError, AttributeError):
            code_name, detail = f"http_{exc.code}", raw.decode("utf-8", "replace")[:200]
        raise PairingError(code_name, detail or exc.reason) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise CentralUnreachableError(f"central is unreachable at {server}: {reason}") from None
    try:
        return PairingResultV1.model_validate_json(payload)
    except ValidationError as exc:
        raise EdgeError(f"central's pairing answer is not a PairingResultV1: {exc.errors()[0]['msg']}") from None


def pair(store: Store, server: str, code: str) -> Device:
    if store.is_paired():
        device = store.device()
        raise AlreadyPairedError(f"this agent is already paired as {device.device} of tenant {device.tenant}; "
                                 "use another --home for another device")
    result = request_pairing(server, code)
    return store.pair(result, server)
