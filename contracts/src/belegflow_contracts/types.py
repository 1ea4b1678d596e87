"""Normalised value types shared by every contract: tenants, IBANs, VAT IDs, money, object references."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Final

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer
from stdnum import iban as stdnum_iban
from stdnum.de import vat as stdnum_de_vat
from stdnum.eu import vat as stdnum_eu_vat
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError

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


_IBAN_PROBLEM: Final = {
    InvalidChecksum: "its check digits are wrong (ISO 13616 mod 97)",
    InvalidComponent: "its country code has no IBAN",
    InvalidFormat: "its length or structure is wrong for its country",
    InvalidLength: "its length or structure is wrong for its country",
}
_VAT_PROBLEM: Final = {
    InvalidChecksum: "its check digit is wrong",
    InvalidComponent: "its country prefix is not an EU VAT scheme",
    InvalidFormat: "its format is wrong for its country",
    InvalidLength: "its length is wrong for its country",
}


def iban_problem(iban: str) -> str | None:
    """Why a compact, upper-case IBAN is not valid (country, length, structure, mod-97), or None when it is.

    Checked by python-stdnum against the IBAN registry and the country's own rules where it has them.
    """
    if not _IBAN_RE.match(iban):
        return "it is not two letters, two check digits and 11-30 letters or digits"
    try:
        stdnum_iban.validate(iban)
    except ValidationError as exc:
        return _IBAN_PROBLEM.get(type(exc), str(exc))
    return None


def iban_checksum_ok(iban: str) -> bool:
    """A compact, upper-case IBAN that is valid: known country, its length and structure, and mod-97 check."""
    return iban_problem(iban) is None


def normalize_iban(value: str) -> str:
    """Compact upper-case IBAN; rejects an unknown country, a wrong length or structure, a wrong check sum."""
    iban = re.sub(r"[\s-]", "", value).upper()
    if problem := iban_problem(iban):
        raise ValueError(f"IBAN {value!r} is not valid: {problem}")
    return iban


def de_vat_check_digit_ok(vat_id: str) -> bool:
    """German USt-IdNr. check digit (ISO 7064 MOD 11,10) on 'DE' + 9 digits."""
    return bool(re.fullmatch(r"DE[0-9]{9}", vat_id)) and stdnum_de_vat.is_valid(vat_id[2:])


def vat_id_problem(vat_id: str) -> str | None:
    """Why a compact, upper-case VAT ID is not valid, or None when it is.

    EU VAT IDs (every member state's scheme, Greece as EL, Northern Ireland as XI) are checked by
    python-stdnum: length, format and check digits. Other countries' prefixes are checked for format only.
    """
    if not _VAT_RE.match(vat_id):
        return "expected a country prefix and 2-13 characters"
    if vat_id[:2].lower() not in stdnum_eu_vat.MEMBER_STATES:
        return None
    try:
        stdnum_eu_vat.validate(vat_id)
    except ValidationError as exc:
        return _VAT_PROBLEM.get(type(exc), str(exc))
    return None


def normalize_vat_id(value: str) -> str:
    """Compact upper-case VAT ID; EU ones must pass their country's length, format and check digits."""
    vat_id = re.sub(r"[\s.-]", "", value).upper()
    if problem := vat_id_problem(vat_id):
        raise ValueError(f"VAT ID {value!r} is not valid: {problem}")
    return vat_id


def _check_sha256(value: str) -> str:
    if not _SHA256_RE.match(value):
        raise ValueError("sha256 must be 64 lower-case hex digits")
    return value


def _storable(ch: str) -> str:
    """``ch`` as it can be stored: what no store or XML 1.0 document holds goes, a control character (C0 but tab,
    newline and return, DEL, C1: a form feed between two words) as a space, a noncharacter (U+FDD0-U+FDEF,
    U+xFFFE and U+xFFFF of every plane) without a trace."""
    code = ord(ch)
    if code < 0x20:
        return ch if ch in "\t\n\r" else " "
    if 0x7F <= code <= 0x9F:
        return " "
    return "" if 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE else ch


def storable_text(value: str) -> str:
    """Text read from a document, made safe for every place it goes (Postgres, JSON, the TMS and DATEV files):
    a lone surrogate (a broken font) becomes U+FFFD, control characters spaces, noncharacters nothing."""
    if value.isascii() and value.isprintable():
        return value
    value = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return "".join(_storable(ch) for ch in value)


def _money_places(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("amount must be a finite number")
    return value


Tenant = Annotated[str, AfterValidator(normalize_tenant)]
Iban = Annotated[str, AfterValidator(normalize_iban)]
VatId = Annotated[str, AfterValidator(normalize_vat_id)]
Sha256 = Annotated[str, AfterValidator(_check_sha256)]
# Text as read from a document (a field's value, a line's description): always storable, see storable_text.
ReadText = Annotated[str, BeforeValidator(lambda v: storable_text(v) if isinstance(v, str) else v)]
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
