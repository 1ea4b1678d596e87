"""Normalised value types shared by every contract: tenants, IBANs, VAT IDs, money, object references."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer

_TENANT_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_IBAN_RE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
_VAT_RE = re.compile(r"^[A-Z]{2}[A-Z0-9+*.]{2,13}$")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


def normalize_tenant(value: str) -> str:
    """A tenant (Mandant) is one NATS subject token: lower case, no dots, no wildcards."""
    tenant = value.strip().lower()
    if not _TENANT_RE.match(tenant):
        raise ValueError(
            f"tenant {value!r} is not valid: use 1-32 of a-z, 0-9, '-' or '_', starting with a letter or digit"
        )
    return tenant


def iban_checksum_ok(iban: str) -> bool:
    """ISO 13616 mod-97 check on a compact, upper-case IBAN."""
    if not _IBAN_RE.match(iban):
        return False
    rearranged = iban[4:] + iban[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


def normalize_iban(value: str) -> str:
    """Compact upper-case IBAN; rejects a wrong check sum."""
    iban = re.sub(r"[\s-]", "", value).upper()
    if not iban_checksum_ok(iban):
        raise ValueError(f"IBAN {value!r} is not valid (format or mod-97 check sum)")
    return iban


def de_vat_check_digit_ok(vat_id: str) -> bool:
    """German USt-IdNr. check digit (ISO 7064 MOD 11,10) on 'DE' + 9 digits."""
    if not re.fullmatch(r"DE[0-9]{9}", vat_id):
        return False
    digits = vat_id[2:]
    product = 10
    for ch in digits[:8]:
        total = (int(ch) + product) % 10
        if total == 0:
            total = 10
        product = (2 * total) % 11
    check = 11 - product
    if check == 10:
        check = 0
    return check == int(digits[8])


def normalize_vat_id(value: str) -> str:
    """Compact upper-case VAT ID; German ones must pass their check digit."""
    vat_id = re.sub(r"[\s.-]", "", value).upper()
    if not _VAT_RE.match(vat_id):
        raise ValueError(f"VAT ID {value!r} is not valid: expected a country prefix and 2-13 characters")
    if vat_id.startswith("DE") and not de_vat_check_digit_ok(vat_id):
        raise ValueError(f"VAT ID {value!r} fails the German check digit")
    return vat_id


def _check_sha256(value: str) -> str:
    if not _SHA256_RE.match(value):
        raise ValueError("sha256 must be 64 lower-case hex digits")
    return value


def _money_places(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("amount must be a finite number")
    return value


Tenant = Annotated[str, AfterValidator(normalize_tenant)]
Iban = Annotated[str, AfterValidator(normalize_iban)]
VatId = Annotated[str, AfterValidator(normalize_vat_id)]
Sha256 = Annotated[str, AfterValidator(_check_sha256)]
# Money travels as a JSON string so no consumer ever parses it through a float.
Money = Annotated[
    Decimal,
    AfterValidator(_money_places),
    PlainSerializer(lambda v: format(v, "f"), return_type=str, when_used="json"),
]


class Contract(BaseModel):
    """Base of every message: frozen, no unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class ObjectRef(Contract):
    """Claim check: where a document's bytes lie in object storage, and how to verify them."""

    bucket: str = Field(description="S3 bucket", examples=["originals"])
    key: str = Field(description="object key (content-addressed)", examples=["acme/ab/abcdef....pdf"])
    sha256: Sha256 = Field(description="SHA-256 of the object bytes, hex")
    size: int = Field(ge=0, description="size in bytes")
