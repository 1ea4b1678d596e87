"""NATS auth callout: the server asks ingest who a connecting device is; ingest answers with a signed user JWT.

The server (``authorization { auth_callout { issuer, auth_users } }``) sends every connection that is not a
service user as an authorization-request JWT (signed by the server's nkey) to ``$SYS.REQ.USER.AUTH``. The
answer is an authorization-response JWT signed by the issuer account nkey, for the server (``aud``) and the
per-connection user nkey (``sub``); it carries a user JWT with the device's permissions and a short ``exp``,
or an error. JWTs are ``base64url(header).base64url(claims).base64url(ed25519 signature)``, header
``{"typ": "JWT", "alg": "ed25519-nkey"}`` (nats-io/jwt v2).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

import nacl.exceptions
import nacl.signing
import nkeys  # type: ignore[import-untyped]

from belegflow_ingest.devices import Permissions

AUTH_SUBJECT = "$SYS.REQ.USER.AUTH"
REQUEST_AUDIENCE = "nats-authorization-request"
_HEADER = {"typ": "JWT", "alg": "ed25519-nkey"}
_PREFIX_SERVER = 13 << 3  # 'N'
_PREFIX_USER = 20 << 3  # 'U'
_PREFIX_ACCOUNT = 0  # 'A'
GLOBAL_ACCOUNT = "$G"


class AuthRequestError(ValueError):
    """An authorization request that is not what the NATS server sends."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def decode_public_key(key: str, prefix: int) -> bytes:
    """The raw ed25519 key of an encoded nkey public key (``N…``, ``U…``, ``A…``); checks prefix and CRC."""
    try:
        raw = base64.b32decode(key + "=" * (-len(key) % 8))
    except (binascii.Error, ValueError) as exc:
        raise AuthRequestError(f"not an nkey: {key!r}") from exc
    if len(raw) != 35 or raw[0] != prefix:
        raise AuthRequestError(f"not the expected kind of nkey: {key!r}")
    body, crc = raw[:-2], raw[-2:]
    if bytes(nkeys.crc16_checksum(body)) != crc:
        raise AuthRequestError(f"nkey checksum mismatch: {key!r}")
    return bytes(body[1:])


class Issuer:
    """The account nkey that signs device users (its seed comes from settings)."""

    def __init__(self, seed: str) -> None:
        try:
            self._kp = nkeys.from_seed(seed.strip().encode())
            public = self._kp.public_key.decode()
        except Exception as exc:
            raise ValueError("the NATS auth issuer seed is not a valid nkey seed") from exc
        if not public.startswith("A"):
            raise ValueError("the NATS auth issuer seed must be an account seed (SA…)")
        self.public_key: str = public

    def encode(self, claims: dict[str, Any]) -> str:
        """Sign claims as a NATS JWT v2 (issuer, issued-at and id filled in)."""
        body = {**claims, "iss": self.public_key, "iat": int(time.time())}
        body["jti"] = base64.b32encode(hashlib.sha256(json.dumps(body, sort_keys=True).encode()).digest()).decode()
        body["jti"] = body["jti"].rstrip("=")
        signing_input = f"{_b64(json.dumps(_HEADER).encode())}.{_b64(json.dumps(body).encode())}"
        signature: bytes = self._kp.sign(signing_input.encode())
        return f"{signing_input}.{_b64(signature)}"


def decode(token: str, *, prefix: int) -> dict[str, Any]:
    """Verify a NATS JWT signed by its ``iss`` (an nkey of ``prefix``) and return its claims."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise AuthRequestError("not a JWT: expected three dot-separated parts")
    try:
        header = json.loads(_unb64(parts[0]))
        claims = json.loads(_unb64(parts[1]))
        signature = _unb64(parts[2])
    except (ValueError, binascii.Error) as exc:
        raise AuthRequestError(f"not a JWT: {exc}") from exc
    if not isinstance(header, dict) or str(header.get("alg", "")).lower() not in ("ed25519-nkey", "ed25519"):
        raise AuthRequestError(f"unexpected JWT header {header!r}")
    if not isinstance(claims, dict):
        raise AuthRequestError("JWT claims are not an object")
    key = decode_public_key(str(claims.get("iss", "")), prefix)
    try:
        nacl.signing.VerifyKey(key).verify(f"{parts[0]}.{parts[1]}".encode(), signature)
    except nacl.exceptions.BadSignatureError as exc:
        raise AuthRequestError("JWT signature does not verify") from exc
    return claims


@dataclass(frozen=True, slots=True)
class AuthRequest:
    server_id: str
    user_nkey: str
    user: str
    password: str
    client_name: str
    host: str
    client_id: int


def parse_request(token: str, *, now: float | None = None) -> AuthRequest:
    """The authorization request the server sent, verified against the server's own key."""
    claims = decode(token, prefix=_PREFIX_SERVER)
    nats = claims.get("nats")
    if claims.get("aud") != REQUEST_AUDIENCE or not isinstance(nats, dict):
        raise AuthRequestError("not an authorization request")
    if nats.get("type") != "authorization_request":
        raise AuthRequestError(f"unexpected claim type {nats.get('type')!r}")
    exp = claims.get("exp")
    if isinstance(exp, int) and exp < (now if now is not None else time.time()):
        raise AuthRequestError("authorization request expired")
    server, client, opts = nats.get("server_id") or {}, nats.get("client_info") or {}, nats.get("connect_opts") or {}
    user_nkey = str(nats.get("user_nkey", ""))
    decode_public_key(user_nkey, _PREFIX_USER)
    if server.get("id") != claims.get("iss"):
        raise AuthRequestError("authorization request not signed by the server it names")
    return AuthRequest(server_id=str(server.get("id", "")), user_nkey=user_nkey, user=str(opts.get("user", "")),
                       password=str(opts.get("pass", "")), client_name=str(client.get("name", "")),
                       host=str(client.get("host", "")), client_id=int(client.get("id") or 0))


def user_jwt(issuer: Issuer, request: AuthRequest, *, name: str, permissions: Permissions, ttl_s: int) -> str:
    """A user JWT for this connection: only these subjects, valid for ``ttl_s`` seconds (then reconnect)."""
    return issuer.encode({
        "sub": request.user_nkey,
        "aud": GLOBAL_ACCOUNT,  # placement: the account the user joins (server configuration mode)
        "name": name,
        "exp": int(time.time()) + ttl_s,
        "nats": {
            "pub": {"allow": list(permissions.publish)},
            "sub": {"allow": list(permissions.subscribe)},
            "subs": -1,
            "data": -1,
            "payload": -1,
            "type": "user",
            "version": 2,
        },
    })


def response(issuer: Issuer, request: AuthRequest, *, jwt: str | None = None, error: str | None = None) -> bytes:
    """The authorization response: either the user JWT or an error (the server logs it, the client is refused)."""
    nats: dict[str, Any] = {"type": "authorization_response", "version": 2}
    if jwt is not None:
        nats["jwt"] = jwt
    else:
        nats["error"] = error or "not authorized"
    return issuer.encode({"sub": request.user_nkey, "aud": request.server_id, "nats": nats}).encode()


def new_account_seed() -> tuple[str, str]:
    """A fresh issuer account key pair: (seed, public key)."""
    import secrets

    seed: bytes = nkeys.encode_seed(secrets.token_bytes(32), nkeys.PREFIX_BYTE_ACCOUNT)
    return seed.decode(), nkeys.from_seed(seed).public_key.decode()
