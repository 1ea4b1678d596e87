"""Ingest's pure decisions about devices: pairing codes, passwords, permissions, pairing refusals, sync answers."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from belegflow_contracts import subjects
from belegflow_contracts.messages import (
    DeviceConfigV1,
    DeviceMasterDataV1,
    DeviceState,
    SyncDataReplyV1,
    SyncDataRequestV1,
    SyncSessionV1,
)
from belegflow_contracts.types import normalize_tenant

# base32 without the look-alikes 0/O, 1/I/L (and U, so no word is spelled by accident): 31 symbols
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_GROUPS = 3
CODE_GROUP_LEN = 4
_SERIES_RE = re.compile(r"^[A-Z0-9]{1,16}$")

# the device subjects a device's NATS user may publish to (below its own prefix)
DEVICE_PUBLISH = ("upload.v1", "chunk.v1", "numbers.v1", "sync.v1", "session.v1", "receipts.v1", "capabilities.v1",
                  "batch.v1")


class PairingRefusal(StrEnum):
    """Why a pairing is refused: the HTTP status and the code are the protocol (edge/README.md)."""

    CODE_UNKNOWN = "pairing_code_unknown"
    CODE_USED = "pairing_code_used"
    CODE_EXPIRED = "pairing_code_expired"
    ALREADY_PAIRED = "device_already_paired"
    REVOKED = "device_revoked"

    @property
    def status_code(self) -> int:
        return _REFUSAL_STATUS[self]


_REFUSAL_STATUS = {
    PairingRefusal.CODE_UNKNOWN: 404,
    PairingRefusal.CODE_USED: 409,
    PairingRefusal.CODE_EXPIRED: 410,
    PairingRefusal.ALREADY_PAIRED: 409,
    PairingRefusal.REVOKED: 403,
}


class DeviceError(Exception):
    """A device operation refused with an HTTP status, a stable code and a specific detail."""

    def __init__(self, status_code: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.code = code
        self.detail = detail


def new_pairing_code() -> str:
    """A one-time code ``XXXX-XXXX-XXXX`` (about 59 bits), easy to type from a screen."""
    groups = ("".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUP_LEN)) for _ in range(CODE_GROUPS))
    return "-".join(groups)


def normalize_code(code: str) -> str:
    """What a person types, read kindly: case, spaces and dashes do not matter."""
    return re.sub(r"[\s-]", "", code.upper())


def hash_code(code: str) -> str:
    """Central keeps only this hash of a pairing code (the code has enough entropy for a plain hash)."""
    return hashlib.sha256(("belegflow-pairing:" + normalize_code(code)).encode()).hexdigest()


def new_password() -> str:
    return secrets.token_urlsafe(32)


_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$salt$hash`` (hex); slow on purpose."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                                dklen=len(expected) // 2)
    except ValueError:
        return False
    return hmac.compare_digest(digest.hex(), expected)


def nats_user(tenant: str, device: str) -> str:
    """A device's NATS user name: ``<tenant>.<device>`` (both are subject tokens without dots)."""
    return f"{normalize_tenant(tenant)}.{subjects.device_id(device)}"


def parse_nats_user(user: str) -> tuple[str, str] | None:
    parts = user.split(".")
    if len(parts) != 2:
        return None
    try:
        return normalize_tenant(parts[0]), subjects.device_id(parts[1])
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Permissions:
    publish: tuple[str, ...]
    subscribe: tuple[str, ...]


def device_permissions(tenant: str, device: str) -> Permissions:
    """Publish only below its own prefix, subscribe only to its own receipts and its own inbox."""
    prefix = subjects.device_prefix(tenant, device)
    return Permissions(
        publish=tuple(f"{prefix}.{suffix}" for suffix in DEVICE_PUBLISH),
        subscribe=(subjects.device_receipt(tenant, device), subjects.device_batch_receipt(tenant, device),
                   f"{subjects.device_inbox(tenant, device)}.>"),
    )


@dataclass(frozen=True, slots=True)
class CodeRow:
    """A pairing code as stored, and the slot it opens."""

    used: bool
    expires_at: datetime
    slot_state: DeviceState


def pairing_refusal(code: CodeRow | None, now: datetime) -> PairingRefusal | None:
    """Why a pairing with this code is refused, in the order a device can do something about it; None: go."""
    if code is None:
        return PairingRefusal.CODE_UNKNOWN
    if code.used:
        return PairingRefusal.CODE_USED
    if code.slot_state is DeviceState.REVOKED:
        return PairingRefusal.REVOKED
    if code.expires_at <= now:
        return PairingRefusal.CODE_EXPIRED
    if code.slot_state is DeviceState.PAIRED:
        return PairingRefusal.ALREADY_PAIRED
    return None


def release_refusal(state: DeviceState | None) -> DeviceError | None:
    """Releasing a slot again issues a fresh code while nobody paired; a paired or revoked slot needs a reset."""
    if state is DeviceState.PAIRED:
        return DeviceError(409, PairingRefusal.ALREADY_PAIRED.value,
                           "the slot is paired with a device; reset it to pair another device")
    if state is DeviceState.REVOKED:
        return DeviceError(403, PairingRefusal.REVOKED.value, "the slot is revoked; reset it to issue a new code")
    return None


def check_series(series: str, config: DeviceConfigV1) -> str | None:
    """An error message when a device asks for numbers of a series the tenant does not use."""
    if not _SERIES_RE.match(series):
        return f"series {series!r} is not valid: 1-16 of A-Z and 0-9"
    if series not in set(config.series.values()):
        return f"series {series!r} is not configured for this tenant (configured: {config_series(config)})"
    return None


def config_series(config: DeviceConfigV1) -> list[str]:
    """The series a device numbers from, each once, in a stable order."""
    return sorted(set(config.series.values()))


def masterdata_version(data: DeviceMasterDataV1) -> str:
    """The version of a snapshot is a hash of its content (so equal content has an equal version)."""
    content = data.model_dump(mode="json", exclude={"version"})
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]


def empty_masterdata(config: DeviceConfigV1) -> DeviceMasterDataV1:
    blank = DeviceMasterDataV1(version="-", document_types=list(config.document_types))
    return blank.model_copy(update={"version": masterdata_version(blank)})


def sync_answer(request: SyncDataRequestV1, config: DeviceConfigV1, masterdata: DeviceMasterDataV1) -> SyncDataReplyV1:
    """Only what changed: ``None`` where the device's copy is current."""
    return SyncDataReplyV1(
        config=None if request.config_version == config.version else config,
        masterdata=None if request.masterdata_version == masterdata.version else masterdata,
    )


def backlog_after(session: SyncSessionV1) -> int:
    """What the device still holds unsynced as this report says: at its start all of its backlog, at its end
    what central did not answer (accepted, duplicate and rejected documents are settled)."""
    if session.ended_at is None:
        return session.backlog
    return max(0, session.backlog - session.accepted - session.duplicates - session.rejected)
