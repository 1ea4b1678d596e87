"""Net, tax and gross decided together: the amounts an invoice prints must add up, whatever its layout.

Every labelled amount is a candidate for its kind (net, tax, gross, amount payable, prepaid). The decision
takes the combination that is consistent, net + tax = gross (with tax summed over several rates, payable =
gross - prepaid, the line amounts summing to net) and best labelled; among consistent combinations the one
with the largest gross wins, since a per-rate row or a subtotal adds up as well but is never the total.
Amounts that no combination confirms stay below the touchless threshold: a clerk looks at them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from itertools import combinations

from belegflow_ocr.recognition.candidates import Candidate, choose, labelled, parse_last_amount, show
from belegflow_ocr.recognition.layout import Line
from belegflow_ocr.recognition.model import ProtocolLog

CENT = Decimal("0.01")
# Amounts a sum confirms are this sure at least; a weakly labelled one (read beside a slanting row) less so.
CONFIRMED = 0.93
# Amounts no sum could confirm (only a gross printed, or sums that disagree) are never touchless.
UNCONFIRMED_CAP = 0.85
INCONSISTENT_CAP = 0.6
DERIVED = 0.5
_RATE = re.compile(r"(\d{1,2}(?:[.,]\d{1,2})?)\s*%")


@dataclass(frozen=True, slots=True)
class _Pick:
    candidate: Candidate
    how: str
    """How this value takes part: its label, or how it was formed ('7 % + 19 % tax', 'payable + prepaid')."""


@dataclass(frozen=True, slots=True)
class Totals:
    net: Candidate | None
    tax: Candidate | None
    gross: Candidate | None
    confirmed: bool


def _amount(c: Candidate) -> Decimal:
    assert isinstance(c.value, Decimal)
    return c.value


def _rate(c: Candidate) -> Decimal | None:
    m = _RATE.search(c.source)
    return Decimal(m.group(1).replace(",", ".")) if m else None


def _collect(lines: Sequence[Line], skip: set[int]) -> dict[str, list[Candidate]]:
    found: dict[str, list[Candidate]] = {}
    for kind in ("net_amount", "tax_amount", "gross_amount", "payable", "prepaid"):
        cands = labelled(lines, kind, parse_last_amount, skip=skip, rightmost=True)
        # Of equal labels the later one is the sum (totals sit below the table, the last page ends it).
        found[kind] = [replace(c, confidence=min(0.99, c.confidence + 0.01 * i)) for i, c in enumerate(cands)]
    return found


def _tax_pool(taxes: list[Candidate]) -> list[_Pick]:
    """Each tax amount, and the sum of the amounts of different rates (an invoice at 7 % and 19 %)."""
    pool = [_Pick(c, c.source) for c in taxes]
    by_rate: dict[Decimal, Candidate] = {}
    for c in taxes:
        rate = _rate(c)
        if rate is not None and rate not in by_rate:
            by_rate[rate] = c
    for size in range(2, min(len(by_rate), 4) + 1):
        for group in combinations(by_rate.items(), size):
            total = sum((_amount(c) for _, c in group), Decimal(0))
            conf = min(c.confidence for _, c in group)
            rates = " + ".join(f"{r} %" for r, _ in group)
            first = group[0][1]
            pool.append(_Pick(Candidate(total, conf, first.page, first.bbox, f"sum of the taxes at {rates}"),
                              f"{rates} tax"))  # fmt: skip
    return pool


def _gross_pool(found: dict[str, list[Candidate]]) -> list[_Pick]:
    pool = [_Pick(c, c.source) for c in found["gross_amount"]]
    for p in found["payable"]:
        pool.append(_Pick(replace(p, confidence=0.95 * p.confidence), f"amount payable, {p.source}"))
        for pre in found["prepaid"]:
            if _amount(pre) != 0:
                total = _amount(p) + abs(_amount(pre))
                conf = 0.9 * min(p.confidence, pre.confidence)
                pool.append(_Pick(Candidate(total, conf, p.page, p.bbox, "payable + prepaid"),
                                  f"payable {show(p.value)} + prepaid {show(abs(_amount(pre)))}"))  # fmt: skip
    return pool


def decide_totals(
    lines: Sequence[Line], skip: set[int], line_sum: Decimal | None, log: ProtocolLog
) -> Totals:
    """Net, tax and gross with their confidence and the protocol saying why they won."""
    found = _collect(lines, skip)
    nets = [_Pick(c, c.source) for c in found["net_amount"]]
    if line_sum is not None:
        nets.append(_Pick(Candidate(line_sum, 0.6, None, None, "sum of the line amounts"), "sum of the lines"))
    taxes = _tax_pool(found["tax_amount"])
    grosses = _gross_pool(found)

    best: tuple[float, _Pick, _Pick, _Pick] | None = None
    top_gross = max((_amount(g.candidate) for g in grosses), default=Decimal(0))
    for n in nets:
        for t in taxes:
            for g in grosses:
                if abs(_amount(n.candidate) + _amount(t.candidate) - _amount(g.candidate)) > CENT / 2:
                    continue
                score = n.candidate.confidence + t.candidate.confidence + g.candidate.confidence
                if _amount(g.candidate) == top_gross:
                    score += 0.3
                if best is None or score > best[0]:
                    best = (score, n, t, g)
    if best is not None:
        _, n, t, g = best
        picks = {"net_amount": n, "tax_amount": t, "gross_amount": g}
        chosen = {name: _confirmed(name, pick) for name, pick in picks.items()}
        log.info(
            f"amounts: gross {show(g.candidate.value)} ({g.how}) = net {show(n.candidate.value)} ({n.how}) + tax "
            f"{show(t.candidate.value)} ({t.how})",
            check="sum",
            ok=True,
            candidates=_listing(found),
        )
        for name, pick in picks.items():
            c = chosen[name]
            log.info(f"{name}: {show(c.value)} - {pick.how}, confirmed by the sum (confidence {c.confidence:.2f})",
                     field=name, value=show(c.value), confidence=f"{c.confidence:.2f}", reason=pick.how)  # fmt: skip
        return Totals(chosen["net_amount"], chosen["tax_amount"], chosen["gross_amount"], confirmed=True)

    net = choose("net_amount", [p.candidate for p in nets if p.how != "sum of the lines"], log)
    tax = choose("tax_amount", [p.candidate for p in taxes], log)
    gross = choose("gross_amount", [p.candidate for p in grosses], log)
    if net is None and tax is not None and gross is not None:
        net = _derived("net_amount", _amount(gross) - _amount(tax), log)
    elif tax is None and net is not None and gross is not None:
        tax = _derived("tax_amount", _amount(gross) - _amount(net), log)
    elif gross is None and net is not None and tax is not None:
        gross = _derived("gross_amount", _amount(net) + _amount(tax), log)
    present = [c for c in (net, tax, gross) if c is not None and c.source != "derived"]
    cap = INCONSISTENT_CAP if len(present) == 3 else UNCONFIRMED_CAP
    if present:
        log.warning(
            f"amounts: no combination of the printed amounts adds up (net + tax = gross) - confidence at most {cap}",
            check="sum",
            ok=False,
            candidates=_listing(found),
        )
    return Totals(_capped(net, cap), _capped(tax, cap), _capped(gross, cap), confirmed=False)


def _confirmed(name: str, pick: _Pick) -> Candidate:
    c = pick.candidate
    conf = max(c.confidence, CONFIRMED) if c.confidence >= 0.6 else c.confidence + 0.25
    return replace(c, confidence=round(min(0.99, conf), 3), source=f"{pick.how}, fits net + tax = gross")


def _capped(c: Candidate | None, cap: float) -> Candidate | None:
    return None if c is None else replace(c, confidence=min(c.confidence, cap))


def _derived(name: str, value: Decimal, log: ProtocolLog) -> Candidate:
    log.warning(f"{name}: not printed, derived from the other two amounts as {value}", field=name, value=value)
    return Candidate(value, DERIVED, None, None, "derived")


def _listing(found: dict[str, list[Candidate]]) -> str:
    return "; ".join(f"{kind}: " + ", ".join(f"{show(c.value)} ({c.source})" for c in cands)
                     for kind, cands in found.items() if cands)  # fmt: skip


__all__ = ["Totals", "decide_totals"]
