"""Four eyes with limits: within your limit you approve alone, above it you give the first approval and a second
person whose limit covers it approves, nobody approves what they corrected."""

from __future__ import annotations

from decimal import Decimal

import pytest

from belegflow_contracts.credentials import parse_approval_limit
from belegflow_ingest.approval import ApprovalRefusedError, Verdict, decide, editors, final_reason, user_of


def _decide(by: str, gross: str | None, limit: str | None, *, edited: tuple[str, ...] = (),
            first: tuple[str, ...] = ()) -> Verdict:
    return decide(by=by, gross=Decimal(gross) if gross else None, limit=Decimal(limit) if limit else None,
                  edited_by=frozenset(edited), first=first).verdict


def test_within_the_limit_the_approval_is_final_above_it_the_first() -> None:
    assert _decide("user:anna", "999.99", "1000") is Verdict.FINAL
    assert _decide("user:anna", "1000.00", "1000") is Verdict.FINAL
    assert _decide("user:anna", "-1000.00", "1000") is Verdict.FINAL  # a credit note counts by its amount
    assert _decide("user:anna", "1000.01", "1000") is Verdict.FIRST
    # without a limit of their own in a tenant with limits, a person gives first approvals only
    assert _decide("key:erp", "0.01", None) is Verdict.FIRST


def test_the_second_approver_needs_a_limit_that_covers_the_amount() -> None:
    # GIVEN anna's first approval of 6,114.08
    assert _decide("user:ben", "6114.08", "10000", first=("user:anna",)) is Verdict.FINAL
    # a second person under the amount adds another first approval; anna cannot approve twice
    assert _decide("user:clara", "6114.08", "5000", first=("user:anna",)) is Verdict.FIRST
    with pytest.raises(ApprovalRefusedError) as refused:
        _decide("user:anna", "6114.08", "1000", first=("user:anna",))
    assert refused.value.code == "approved-already"


def test_nobody_approves_their_own_correction_whatever_their_limit() -> None:
    with pytest.raises(ApprovalRefusedError) as refused:
        _decide("user:anna", "10.00", "1000000", edited=("user:anna",))
    assert refused.value.code == "own-correction"
    assert _decide("user:ben", "10.00", "1000", edited=("user:anna",)) is Verdict.FINAL


def test_who_corrected_counts_since_the_revision_opened() -> None:
    def entry(action: str, by: str, step: str = "matching") -> dict[str, object]:
        return {"step": step, "data": {"action": action, "by": by}}

    protocol = [entry("review", "matching"), entry("correct", "user:old"), entry("review", "matching"),
                entry("choose_supplier", "user:anna"), entry("correct", "user:ben"),
                entry("first-approval", "user:clara", step="desk")]
    assert editors(protocol) == frozenset({"user:anna", "user:ben"})


def test_the_final_approval_names_who_approved_first() -> None:
    final = decide(by="user:ben", gross=Decimal(5000), limit=Decimal(9000), edited_by=frozenset(),
                   first=("user:anna",))
    assert final_reason(final, "") == "second approval, after the first by user:anna"
    assert final_reason(final, "checked") == "checked (second approval, after the first by user:anna)"
    assert user_of("user:anna") == "anna"
    assert user_of("oidc:123") is None


@pytest.mark.parametrize(("given", "expected"), [("acme=5000", ("acme", Decimal("5000.00"))),
                                                 ("acme=1234.5", ("acme", Decimal("1234.50"))),
                                                 ("acme=none", ("acme", None))])
def test_an_approval_limit_is_tenant_equals_amount(given: str, expected: tuple[str, Decimal | None]) -> None:
    assert parse_approval_limit(given) == expected


@pytest.mark.parametrize("given", ["acme", "=5", "*=5", "acme=-1", "acme=lots", "acme=NaN"])
def test_a_wrong_approval_limit_says_what_is_expected(given: str) -> None:
    with pytest.raises(ValueError, match=r"approval limit|tenant|not"):
        parse_approval_limit(given)
