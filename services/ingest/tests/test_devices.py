"""Ingest's pure decisions about devices, and the auth-callout JWTs it signs and reads."""

from __future__ import annotations

import base64
import json
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import nkeys  # type: ignore[import-untyped]
import pytest

from belegflow_contracts.messages import DeviceConfigV1, DeviceMasterDataV1, DeviceState, SyncDataRequestV1
from belegflow_ingest import devices, natsauth
from belegflow_ingest.devices import CodeRow, PairingRefusal
from belegflow_ingest.edge import parse_capture, parse_chunk
from belegflow_ingest.errors import AdmissionError
from belegflow_ingest.settings import Settings

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)


# --- pairing -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (None, PairingRefusal.CODE_UNKNOWN),
        (CodeRow(used=True, expires_at=LATER, slot_state=DeviceState.PAIRED), PairingRefusal.CODE_USED),
        (CodeRow(used=False, expires_at=LATER, slot_state=DeviceState.REVOKED), PairingRefusal.REVOKED),
        (CodeRow(used=False, expires_at=NOW, slot_state=DeviceState.RELEASED), PairingRefusal.CODE_EXPIRED),
        (CodeRow(used=False, expires_at=LATER, slot_state=DeviceState.PAIRED), PairingRefusal.ALREADY_PAIRED),
        (CodeRow(used=False, expires_at=LATER, slot_state=DeviceState.RELEASED), None),
    ],
)
def test_pairing_refusals_in_protocol_order(row: CodeRow | None, expected: PairingRefusal | None) -> None:
    assert devices.pairing_refusal(row, NOW) == expected


def test_refusals_carry_the_statuses_of_the_protocol() -> None:
    assert {r.value: r.status_code for r in PairingRefusal} == {
        "pairing_code_unknown": 404, "pairing_code_used": 409, "pairing_code_expired": 410,
        "device_already_paired": 409, "device_revoked": 403}


def test_release_of_a_paired_or_revoked_slot_needs_a_reset() -> None:
    assert devices.release_refusal(None) is None
    assert devices.release_refusal(DeviceState.RELEASED) is None
    paired = devices.release_refusal(DeviceState.PAIRED)
    assert paired is not None
    assert (paired.status_code, paired.code) == (409, "device_already_paired")
    revoked = devices.release_refusal(DeviceState.REVOKED)
    assert revoked is not None
    assert (revoked.status_code, revoked.code) == (403, "device_revoked")


def test_codes_are_three_groups_without_look_alikes_and_typed_kindly() -> None:
    codes = {devices.new_pairing_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        groups = code.split("-")
        assert [len(g) for g in groups] == [4, 4, 4]
        assert set("".join(groups)) <= set(devices.CODE_ALPHABET)
        assert not set(code) & set("01OIL")
    code = next(iter(codes))
    assert devices.hash_code(code) == devices.hash_code(code.lower().replace("-", " "))
    assert devices.hash_code(code) != devices.hash_code(devices.new_pairing_code())
    assert code not in devices.hash_code(code)


def test_passwords_are_stored_as_salted_scrypt() -> None:
    stored = devices.hash_password("s3cret")
    assert stored.startswith("scrypt$")
    assert "s3cret" not in stored
    assert devices.hash_password("s3cret") != stored  # salted
    assert devices.verify_password("s3cret", stored)
    assert not devices.verify_password("s3cret!", stored)
    assert not devices.verify_password("s3cret", "garbage")
    assert not devices.verify_password("s3cret", "bcrypt$1$2$3$00$00")


def test_nats_user_names_round_trip_and_reject_other_shapes() -> None:
    assert devices.nats_user("Acme", "KASSE-03") == "acme.kasse-03"
    assert devices.parse_nats_user("acme.kasse-03") == ("acme", "kasse-03")
    assert devices.parse_nats_user("belegflow") is None
    assert devices.parse_nats_user("acme.kasse.03") is None
    assert devices.parse_nats_user("acme.*") is None


def test_a_device_may_publish_only_below_its_prefix_and_subscribe_to_its_receipts_and_inbox() -> None:
    perms = devices.device_permissions("acme", "kasse-03")
    assert perms.publish == tuple(f"edge.acme.kasse-03.{s}" for s in (
        "upload.v1", "chunk.v1", "numbers.v1", "sync.v1", "session.v1", "receipts.v1", "capabilities.v1",
        "batch.v1"))
    assert perms.subscribe == ("edge.acme.kasse-03.receipt.v1", "edge.acme.kasse-03.batch-receipt.v1",
                               "_INBOX.acme.kasse-03.>")
    assert not any("*" in s or s.endswith(".>") for s in perms.publish)


# --- numbers and sync ----------------------------------------------------------------------------


def test_series_must_be_valid_and_configured() -> None:
    config = DeviceConfigV1(version=1)
    assert devices.config_series(config) == ["BE", "ER"]
    assert devices.check_series("BE", config) is None
    assert "not configured" in (devices.check_series("XX", config) or "")
    assert "not valid" in (devices.check_series("be-1", config) or "")


def test_sync_sends_only_what_changed() -> None:
    config = DeviceConfigV1(version=3)
    md = devices.empty_masterdata(config)
    current = devices.sync_answer(SyncDataRequestV1(config_version=3, masterdata_version=md.version), config, md)
    assert (current.config, current.masterdata) == (None, None)
    stale = devices.sync_answer(SyncDataRequestV1(config_version=2, masterdata_version=None), config, md)
    assert (stale.config, stale.masterdata) == (config, md)


def test_masterdata_version_is_a_hash_of_the_content() -> None:
    a = DeviceMasterDataV1(version="x", document_types=["invoice"])
    b = DeviceMasterDataV1(version="y", document_types=["invoice"])
    c = DeviceMasterDataV1(version="x", document_types=["receipt"])
    assert devices.masterdata_version(a) == devices.masterdata_version(b)
    assert devices.masterdata_version(a) != devices.masterdata_version(c)


# --- chunks and capture headers ------------------------------------------------------------------


def test_chunk_headers_are_checked() -> None:
    assert parse_chunk("0/4", "2000000", 25_000_000) == (0, 4, 2_000_000)
    assert parse_chunk("3/4", "2000000", 25_000_000) == (3, 4, 2_000_000)
    for header, size, message in [("4/4", "10", "index must be"), ("x", "10", "valid"), ("0/0", "10", "index"),
                                  ("0/1", "0", "not positive"), ("0/1", "", "valid"),
                                  ("0/1", "26000000", "larger than the limit")]:
        with pytest.raises(ValueError, match=message):
            parse_chunk(header, size, 25_000_000)


def test_capture_header_is_optional_but_must_be_valid() -> None:
    assert parse_capture("") is None
    capture = parse_capture('{"document_type": "receipt", "captured_at": "2026-03-01T12:00:00Z", '
                            '"document_number": "BE-000007"}')
    assert capture is not None
    assert capture.document_number == "BE-000007"
    with pytest.raises(AdmissionError, match="Belegflow-Capture header is not a valid DeviceCaptureV1"):
        parse_capture('{"document_type": "receipt"}')
    with pytest.raises(AdmissionError, match="DeviceCaptureV1"):
        parse_capture("not json")


def test_devices_are_told_the_server_without_the_service_credentials() -> None:
    base: dict[str, Any] = {"nats_url": "nats://belegflow:pw@nats.example.com:4222", "s3_endpoint_url": "http://s3",
                            "s3_access_key_id": "a", "s3_secret_access_key": "b", "database_url": "postgresql://x"}
    assert Settings(**base).device_servers() == ["nats://nats.example.com:4222"]
    explicit = Settings(**base, device_nats_servers="tls://edge.example.com:4222, nats://b:4222")
    assert explicit.device_servers() == ["tls://edge.example.com:4222", "nats://b:4222"]


# --- auth callout JWTs ---------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _server_request(*, aud: str = natsauth.REQUEST_AUDIENCE, user: str = "acme.kasse-03", password: str = "pw",
                    exp: int | None = None, tamper: bool = False) -> tuple[str, str, str]:
    """An authorization request as the NATS server signs it: (token, server id, user nkey)."""
    server = nkeys.from_seed(nkeys.encode_seed(secrets.token_bytes(32), nkeys.PREFIX_BYTE_SERVER))
    user_kp = nkeys.from_seed(nkeys.encode_seed(secrets.token_bytes(32), nkeys.PREFIX_BYTE_USER))
    server_id, user_nkey = server.public_key.decode(), user_kp.public_key.decode()
    claims = {"aud": aud, "iss": server_id, "sub": "AISSUER", "iat": int(time.time()),
              "exp": exp if exp is not None else int(time.time()) + 2,
              "nats": {"server_id": {"name": "n", "host": "127.0.0.1", "id": server_id}, "user_nkey": user_nkey,
                       "client_info": {"host": "127.0.0.1", "name": "dev"},
                       "connect_opts": {"user": user, "pass": password, "protocol": 1},
                       "type": "authorization_request", "version": 2}}
    head = f"{_b64(json.dumps({'typ': 'JWT', 'alg': 'ed25519-nkey'}).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = server.sign(head.encode())
    if tamper:
        signature = bytes([signature[0] ^ 1]) + signature[1:]
    return f"{head}.{_b64(signature)}", server_id, user_nkey


def test_a_request_signed_by_the_server_is_read() -> None:
    token, server_id, user_nkey = _server_request()
    request = natsauth.parse_request(token)
    assert (request.server_id, request.user_nkey, request.user, request.password) == (
        server_id, user_nkey, "acme.kasse-03", "pw")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"tamper": True}, "signature does not verify"), ({"aud": "someone"}, "not an authorization request"),
     ({"exp": 1}, "expired")],
)
def test_a_forged_or_stale_request_is_refused(kwargs: dict[str, Any], message: str) -> None:
    token, _, _ = _server_request(**kwargs)
    with pytest.raises(natsauth.AuthRequestError, match=message):
        natsauth.parse_request(token)
    with pytest.raises(natsauth.AuthRequestError, match="three"):
        natsauth.parse_request("not-a-jwt")


def test_the_answer_carries_a_user_jwt_signed_by_the_issuer_with_the_device_permissions() -> None:
    seed, public = natsauth.new_account_seed()
    issuer = natsauth.Issuer(seed)
    assert issuer.public_key == public
    token, server_id, user_nkey = _server_request()
    request = natsauth.parse_request(token)
    perms = devices.device_permissions("acme", "kasse-03")
    user = natsauth.user_jwt(issuer, request, name="acme.kasse-03", permissions=perms, ttl_s=300)
    answer = natsauth.decode(natsauth.response(issuer, request, jwt=user).decode(), prefix=0)
    assert (answer["iss"], answer["sub"], answer["aud"]) == (public, user_nkey, server_id)
    assert answer["nats"]["type"] == "authorization_response"
    claims = natsauth.decode(answer["nats"]["jwt"], prefix=0)
    assert (claims["iss"], claims["sub"], claims["aud"]) == (public, user_nkey, "$G")
    assert claims["nats"]["pub"]["allow"] == list(perms.publish)
    assert claims["nats"]["sub"]["allow"] == list(perms.subscribe)
    assert 290 <= claims["exp"] - time.time() <= 300
    refused = natsauth.decode(natsauth.response(issuer, request, error="wrong password").decode(), prefix=0)
    assert refused["nats"] == {"type": "authorization_response", "version": 2, "error": "wrong password"}


def test_only_an_account_seed_can_issue() -> None:
    with pytest.raises(ValueError, match="not a valid nkey seed"):
        natsauth.Issuer("SAnonsense")
    user_seed = nkeys.encode_seed(secrets.token_bytes(32), nkeys.PREFIX_BYTE_USER).decode()
    with pytest.raises(ValueError, match="account seed"):
        natsauth.Issuer(user_seed)
