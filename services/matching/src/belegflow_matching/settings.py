"""Settings of the matching service (environment, prefix ``BELEGFLOW_``)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from belegflow_contracts.runtime.settings import DatabaseSettings


class TouchlessPolicy(BaseModel):
    """When a tenant's invoice may be approved without a person, and when it needs a second one."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_confidence: float = Field(ge=0.0, le=1.0, description="least confidence of number, date and gross")
    max_gross: Decimal | None = Field(
        default=None, ge=0, description="largest gross amount approved without a person; None: no limit"
    )
    four_eyes_above: Decimal | None = Field(
        default=None, ge=0, description="above this gross, who changed an invoice in review may not approve it"
    )
    book_receipts: bool = Field(default=False, description="till receipts may be approved touchless like invoices")
    reject_invalid_einvoices: bool = Field(
        default=False, description="an e-invoice the official rules find invalid is rejected at once (a person may "
        "still see why), instead of waiting in review")


class Settings(DatabaseSettings):
    touchless_min_confidence: float = Field(
        default=0.9, ge=0.0, le=1.0, description="least confidence of number, date and gross for touchless"
    )
    touchless_max_gross: Decimal | None = Field(
        default=None, ge=0, description="largest gross amount approved without a person (every tenant); unset: none"
    )
    four_eyes_above_gross: Decimal | None = Field(
        default=None, ge=0, description="above this gross, who changed an invoice may not approve it; unset: off"
    )
    book_receipts: bool = Field(default=False, description="till receipts go touchless like invoices (every tenant)")
    reject_invalid_einvoices: bool = Field(
        default=False, description="e-invoices the official rules find invalid are rejected at once (every tenant)")
    touchless_policies: dict[str, TouchlessPolicy] = Field(
        default_factory=dict,
        description='per tenant, JSON: {"acme": {"min_confidence": 0.95, "max_gross": "5000", '
        '"reject_invalid_einvoices": true}}; '
        "a tenant not named gets the two settings above",
    )

    def policy(self, tenant: str) -> TouchlessPolicy:
        """The touchless policy of ``tenant``."""
        return self.touchless_policies.get(tenant) or TouchlessPolicy(
            min_confidence=self.touchless_min_confidence, max_gross=self.touchless_max_gross,
            four_eyes_above=self.four_eyes_above_gross, book_receipts=self.book_receipts,
            reject_invalid_einvoices=self.reject_invalid_einvoices,
        )
