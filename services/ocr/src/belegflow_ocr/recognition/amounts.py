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
from belegflow_ocr.recognition.exemption import Exemption, exemption_note
from belegflow_ocr.recognition.labels import label_at
from belegflow_ocr.recognition.layout import Line, rounded, union
from belegflow_ocr.recognition.model import ProtocolLog
from belegflow_ocr.recognition.parsing import find_amounts
from belegflow_ocr.recognition.validation import plausible_rate

CENT = Decimal("0.01")
# Amounts a sum confirms are this sure at least; a weakly labelled one (read beside a slanting row) less so.
CONFIRMED = 0.93
# Amounts no sum could confirm (only a gross printed, or sums that disagree) are never touchless.
UNCONFIRMED_CAP = 0.85
INCONSISTENT_CAP = 0.6
DERIVED = 0.5
_RATE = re.compile(r"(?<![\d.,])(\d{1,2}(?:[.,]\d{1,3})?)\s*%")
_SUMS = ("net_amount", "tax_amount", "gross_amount")
# Standard and reduced VAT and GST rates of Europe and of the countries whose receipts we read; a printed rate
# always comes first.
COMMON_RATES = tuple(Decimal(r) for r in ("19", "7", "20", "10", "5.5", "2.1", "21", "9", "6", "12", "13", "22", "4",
                                          "5", "8.1", "2.6", "3.8", "8", "25", "24", "23", "17", "16", "15", "0"))


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
    exemption: Exemption | None = None
    """The note that says the invoice charges no tax, where its tax was read as zero by it."""


def _amount(c: Candidate) -> Decimal:
    assert isinstance(c.value, Decimal)
    return c.value


def _rate(c: Candidate) -> Decimal | None:
    m = _RATE.search(c.label)
    return Decimal(m.group(1).replace(",", ".")) if m else None


def _collect(lines: Sequence[Line], skip: set[int]) -> dict[str, list[Candidate]]:
    found: dict[str, list[Candidate]] = {}
    for kind in ("net_amount", "tax_amount", "gross_amount", "payable", "prepaid"):
        cands = labelled(lines, kind, parse_last_amount, skip=skip, rightmost=True)
        # Of equal labels the later one is the sum (totals sit below the table, the last page ends it).
        found[kind] = [replace(c, confidence=min(0.99, c.confidence + 0.01 * i)) for i, c in enumerate(cands)]
    for kind, cands in _breakdown(lines).items():
        found[kind] += cands
    return found


def _breakdown(lines: Sequence[Line]) -> dict[str, list[Candidate]]:
    """The tax breakdown table ("USt-Satz | Netto | Steuer | Brutto", one row per rate, maybe a total row):
    its total row, else the sum of its rows, is a candidate for each of net, tax and gross."""
    found: dict[str, list[Candidate]] = {k: [] for k in _SUMS}
    for line in lines:
        # every heading of the row, known or not: a value under a heading that names no sum is none of them
        headings: list[tuple[str | None, float]] = []
        left = float("inf")
        for seg in line.segments:
            hit = label_at(seg.text)
            if hit is not None and hit.kind in _SUMS and hit.match.end() >= len(seg.text.rstrip()) - 1:
                headings.append((hit.kind, seg.x1))
                left = min(left, seg.x0)
            else:
                headings.append((None, seg.x1))
        if len({kind for kind, _ in headings if kind is not None}) < 2:
            continue
        rows: list[tuple[Line, dict[str, Decimal], bool]] = []
        above = line
        for nxt in lines[line.index + 1 : line.index + 14]:
            if nxt.page != line.page or nxt.top - above.bottom > 3 * max(nxt.height, above.height):
                break
            # a line that prints nothing under the headings (small print of a column on the left, set between
            # the rows) is passed over
            cells = [seg for seg in nxt.segments if seg.x1 > left]
            if not cells:
                continue
            above = nxt
            values: dict[str, Decimal] = {}
            for seg in cells:
                amounts = find_amounts(seg.text)
                if amounts:
                    under = min(headings, key=lambda col: abs(seg.x1 - col[1]))[0]
                    if under is not None:
                        values[under] = amounts[-1][0]
            if len(values) < 2:
                break
            first = label_at(nxt.segments[0].text)
            rows.append((nxt, values, first is not None and first.kind in ("gross_amount", "net_amount", "payable")))
        if not rows:
            continue
        totals = [r for r in rows if r[2]]
        parts = [r for r in rows if not r[2]]
        if totals:
            chosen, conf, how = totals[-1][1], 0.95, "total row of the tax breakdown"
            box_lines = [totals[-1][0]]
        else:
            chosen = {k: sum((r[1][k] for r in parts if k in r[1]), Decimal(0)) for k in _SUMS
                      if any(k in r[1] for r in parts)}  # fmt: skip
            conf, box_lines = 0.9, [r[0] for r in parts]
            how = "tax breakdown, one rate" if len(parts) == 1 else f"sum of the {len(parts)} rows of the tax breakdown"
        base = _taxable_base(chosen, slack=CENT * max(1, len(box_lines)))
        if base is not None:
            chosen, how = base[0], f"{how}; its amount column is the taxable base (the tax is {base[1]} % of it)"
        box = rounded(union(ln.bbox for ln in box_lines))
        for kind, value in chosen.items():
            found[kind].append(Candidate(value, conf, line.page, box, how))
    return found


def _taxable_base(values: dict[str, Decimal], *, slack: Decimal) -> tuple[dict[str, Decimal], Decimal] | None:
    """A breakdown's plain "Amount" column beside its tax ("TAX CODE | % | AMOUNT | GST") is read as a gross by its
    label; where the tax is a common rate of that amount, and not of the amount less the tax, it is the taxable
    base (the net). The breakdown and the rate found, or None where the arithmetic does not say so."""
    if "net_amount" in values or not {"gross_amount", "tax_amount"} <= values.keys():
        return None
    amount, tax = values["gross_amount"], values["tax_amount"]
    if tax <= 0 or amount <= tax:
        return None
    of_base = [r for r in COMMON_RATES if r and abs(amount * r / 100 - tax) <= slack]
    of_total = [r for r in COMMON_RATES if r and abs((amount - tax) * r / 100 - tax) <= slack]
    if not of_base or of_total:
        return None
    return {"net_amount": amount, "tax_amount": tax}, of_base[0]


_TAX_KIND = re.compile(r"[\d.,%\s()]+|zzgl\.?|zuzüglich|plus|add", re.IGNORECASE)


def _tax_pool(taxes: list[Candidate]) -> list[_Pick]:
    """Each tax amount, and the sum of the amounts of different rates (an invoice at 7 % and 19 %)."""
    pool = [_Pick(c, c.source) for c in taxes]
    # One tax per rate and kind: "MwSt 7 %" and "MwSt 19 %", or India's "CGST 9 %" and "SGST 9 %".
    by_kind: dict[tuple[str, Decimal], Candidate] = {}
    for c in taxes:
        rate = _rate(c)
        if rate is not None:
            by_kind.setdefault((_TAX_KIND.sub("", c.label).casefold(), rate), c)
    for size in range(2, min(len(by_kind), 4) + 1):
        for group in combinations(by_kind.items(), size):
            total = sum((_amount(c) for _, c in group), Decimal(0))
            conf = min(c.confidence for _, c in group)
            rates = " + ".join(f"{r} %" for (_, r), _ in group)
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
    lines: Sequence[Line], skip: set[int], line_sum: Decimal | None, log: ProtocolLog, *, receipt: bool = False
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
                if abs(_amount(n.candidate) + _amount(t.candidate) - _amount(g.candidate)) > CENT / 2 \
                        or not plausible_rate(_amount(n.candidate), _amount(t.candidate)):  # fmt: skip
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
    note = None if receipt else exemption_note(lines)
    if note is not None and (untaxed := _untaxed(note, nets, grosses, log)) is not None:
        return untaxed

    net = choose("net_amount", [p.candidate for p in nets if p.how != "sum of the lines"], log)
    tax = choose("tax_amount", [p.candidate for p in taxes], log)
    gross = choose("gross_amount", [p.candidate for p in grosses], log)
    pair = _rate_fit(net, tax, gross)
    gross_fits = pair is not None and gross is not None and gross in pair[0]
    if pair is not None:
        kept, rate, how = pair
        log.info(f"amounts: {how} at {rate} % - confirmed by the tax rate", check="rate", ok=True, rate=rate)
        net, tax, gross = (_confirmed_by_rate(c, how) if c is not None and c in kept else c for c in (net, tax, gross))
    if not receipt and gross_fits and net is not None and tax is not None and gross is not None \
            and _amount(net) + _amount(tax) != _amount(gross):  # fmt: skip
        # The rate ties tax and gross; the printed subtotal is the net before document-level charges or
        # allowances (shipping, a discount: EN 16931 BG-20/BG-21) that the tax was computed on as well.
        log.warning(f"net_amount: {show(net.value)} + tax {show(tax.value)} is not gross {show(gross.value)}, which "
                    f"the rate confirms: a subtotal before charges or allowances", field="net_amount")  # fmt: skip
        net = None
    if not receipt:
        if net is None and tax is not None and gross is not None:
            net = _derived("net_amount", _amount(gross) - _amount(tax), log)
        elif tax is None and net is not None and gross is not None:
            tax = _derived("tax_amount", _amount(gross) - _amount(net), log)
        elif gross is None and net is not None and tax is not None:
            gross = _derived("gross_amount", _amount(net) + _amount(tax), log)
    if pair is not None:
        return Totals(net, tax, gross, confirmed=True)
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


def _untaxed(note: Exemption, nets: list[_Pick], grosses: list[_Pick], log: ProtocolLog) -> Totals | None:
    """An invoice that says it charges no tax and prints one total as net and as gross (or the lines' sum as net):
    net = gross, tax zero, the note as the tax's evidence. Where no printed net equals a printed total, the
    note alone does not say which total is the invoice's: the ordinary decision goes on."""
    best: tuple[float, _Pick, _Pick] | None = None
    top_gross = max((abs(_amount(g.candidate)) for g in grosses), default=Decimal(0))
    for n in nets:
        for g in grosses:
            if _amount(n.candidate) != _amount(g.candidate) or _amount(g.candidate) == 0:
                continue
            score = n.candidate.confidence + g.candidate.confidence + (0.3 if abs(_amount(g.candidate)) == top_gross
                                                                       else 0.0)  # fmt: skip
            if best is None or score > best[0]:
                best = (score, n, g)
    why = f"no tax charged ({note.kind}): '{note.text}'"
    if best is None:
        return _untaxed_total(note, why, nets, grosses, log)
    _, n, g = best
    tax = _Pick(Candidate(Decimal("0.00"), CONFIRMED, note.page, note.bbox, why), why)
    picks = {"net_amount": n, "tax_amount": tax, "gross_amount": g}
    log.info(f"amounts: {why}, so net {show(n.candidate.value)} ({n.how}) = gross {show(g.candidate.value)} "
             f"({g.how}) and tax 0.00", check="sum", ok=True, exemption=note.kind, note=note.text)  # fmt: skip
    chosen = {name: _confirmed(name, pick) for name, pick in picks.items()}
    for name, pick in picks.items():
        c = chosen[name]
        log.info(f"{name}: {show(c.value)} - {pick.how}, confirmed by the note (confidence {c.confidence:.2f})",
                 field=name, value=show(c.value), confidence=f"{c.confidence:.2f}", reason=pick.how)  # fmt: skip
    return Totals(chosen["net_amount"], chosen["tax_amount"], chosen["gross_amount"], confirmed=True, exemption=note)


def _untaxed_total(note: Exemption, why: str, nets: list[_Pick], grosses: list[_Pick], log: ProtocolLog
                   ) -> Totals | None:  # fmt: skip
    """A small business's invoice often prints only its total: with the note, that total is net and gross. Which
    printed total it is no sum confirms, so none of the three is sure."""
    if not grosses or any(p.how != "sum of the lines" for p in nets):
        return None
    gross = choose("gross_amount", [p.candidate for p in grosses], log)
    if gross is None or _amount(gross) == 0:
        return None
    cap = min(gross.confidence, UNCONFIRMED_CAP)
    net = Candidate(gross.value, cap, gross.page, gross.bbox, f"the total, as {why}")
    tax = Candidate(Decimal("0.00"), cap, note.page, note.bbox, why)
    log.info(f"amounts: {why}, so the total {show(gross.value)} is net and gross and tax is 0.00 - confidence at "
             f"most {cap}", check="sum", ok=True, exemption=note.kind, note=note.text)  # fmt: skip
    return Totals(net, tax, replace(gross, confidence=cap), confirmed=False, exemption=note)


def _rate_fit(
    net: Candidate | None, tax: Candidate | None, gross: Candidate | None
) -> tuple[tuple[Candidate, ...], Decimal, str] | None:
    """Two amounts that a tax rate ties together where no third confirms them: tax = rate x net, or tax
    included in gross (receipts: gross x rate / (100 + rate)). The rate printed beside the tax comes first."""
    if tax is None or _amount(tax) <= 0:
        return None
    printed = _rate(tax)
    # Without a printed rate, small amounts fit some rate by chance: only a tax of some size is evidence.
    rates = ([printed] if printed is not None else []) + ([r for r in COMMON_RATES if r > 0]
                                                           if _amount(tax) >= 1 else [])  # fmt: skip
    for rate in rates:
        if net is not None and abs((_amount(net) * rate / 100).quantize(CENT) - _amount(tax)) <= CENT:
            return (net, tax), rate, f"tax {show(tax.value)} = {rate} % of net {show(net.value)}"
        if gross is not None:
            included = (_amount(gross) * rate / (100 + rate)).quantize(CENT)
            if abs(included - _amount(tax)) <= CENT:
                return (gross, tax), rate, f"tax {show(tax.value)} included in gross {show(gross.value)}"
    return None


def _confirmed_by_rate(c: Candidate, how: str) -> Candidate:
    return replace(c, confidence=round(min(0.97, max(c.confidence, 0.9)), 3), source=f"{c.source}; {how}")


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
