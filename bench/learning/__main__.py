"""Learning from corrections: accuracy and touchless share of a supplier's k-th invoice, k = 1 ... 10.

``python -m bench.learning [--suppliers 30] [--per-supplier 10] [--seed 7] [--varied 0.5] [--json FILE]``

Generates a stream of invoices from suppliers whose layouts the base extractor has never seen (``stream.py``),
in random order; a share of them (``--varied``) vary their invoices: prepayments and amounts due, delivery
dates beside the invoice date, "Rechnung Nr. X vom DATE" titles, lexicon labels the base extractor reads, a
second layout, invalid or shared IBANs. Each invoice is read by the base extractor, then with what the ocr
service learned so far (``belegflow_ocr.learning``, the same code the service runs, keyed as the service keys
it: by the valid IDs of the supplier's master data, none seen with several suppliers). A simulated clerk
corrects every wrong key field and approves; the approval teaches the supplier's layout memory. A document is
touchless when invoice number, date and gross are read at matching's threshold (0.9) and net + tax = gross, as
matching decides; a touchless document with a wrong key field is counted as a silent error. A field the base
extractor read right and the learned reading gets wrong is counted as *made worse*: it must be 0.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from belegflow_contracts.messages import InvoiceFieldsV1, InvoiceV1
from belegflow_ocr import learning
from belegflow_ocr.recognition import ProtocolLog, default_registry
from bench.learning import collective
from bench.learning.stream import KEY_FIELDS, StreamInvoice, render, stream

THRESHOLD = 0.9


def _touchless(fields: InvoiceFieldsV1) -> bool:
    for name in ("invoice_number", "invoice_date", "gross_amount"):
        value = getattr(fields, name)
        if value is None or value.confidence < THRESHOLD:
            return False
    if fields.supplier_iban is None and fields.supplier_vat_id is None:
        return False
    net, tax, gross = fields.net_amount, fields.tax_amount, fields.gross_amount
    return not (net is not None and tax is not None and gross is not None and net.value + tax.value != gross.value)


def _right(fields: InvoiceFieldsV1, inv: StreamInvoice) -> dict[str, bool]:
    out = {}
    for name in KEY_FIELDS:
        got = getattr(fields, name)
        out[name] = got is not None and got.value == inv.truth[name]
    return out


def run(*, suppliers: int, per_supplier: int, seed: int, work: Path, varied: float = 0.5,
        worse: list[str] | None = None) -> dict[str, Any]:
    """The figures by k; ``worse`` collects a line for each field made worse (document, field, base, learned)."""
    registry = default_registry()
    memory: dict[tuple[str, str], learning.LearnedLayout] = {}
    owners: dict[str, set[str]] = defaultdict(set)
    """each IBAN and VAT ID: the suppliers whose approvals printed or carried it (as ocr.learning_key_owners)"""
    by_k: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    base_by_k: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for n, inv in enumerate(stream(suppliers=suppliers, per_supplier=per_supplier, seed=seed, varied=varied)):
        path = work / f"{n:04d}.pdf"
        render(inv, path)
        rec = registry.recognize(path.read_bytes(), filename=path.name)
        keys = learning.supplier_keys(*(f.value for f in (rec.fields.supplier_iban, rec.fields.supplier_vat_id)
                                        if f is not None))
        shared = frozenset(k for k in keys if len(owners[k]) > 1)
        known = [lay for lay in memory.values() if lay.supplier_keys & keys]
        applied = learning.apply(rec.fields, rec.words, rec.pages, known, ProtocolLog(), shared=shared)
        if applied.layout is not None:
            memory[(applied.layout.supplier_number, applied.layout.fingerprint)] = applied.layout
        base_right = _right(rec.fields, inv)
        for counts, fields in ((by_k[inv.k], applied.fields), (base_by_k[inv.k], rec.fields)):
            right = _right(fields, inv)
            counts["docs"] += 1
            counts["fields"] += len(right)
            counts["exact"] += sum(right.values())
            touchless = _touchless(fields)
            counts["touchless"] += touchless
            counts["silent"] += touchless and not all(right.values())
            made_worse = [name for name, ok in right.items() if base_right[name] and not ok]
            counts["worse"] += len(made_worse)
            if fields is applied.fields and worse is not None:
                worse += [f"doc {n} supplier {inv.supplier.number} k={inv.k} {name}: base "
                          f"{getattr(rec.fields, name).value}, learned {getattr(fields, name).value!s}"
                          for name in made_worse]
        # the clerk: every wrong key field corrected, then approved; keyed as the ocr service keys it
        right = _right(applied.fields, inv)
        now = datetime.now(UTC)
        printed = inv.supplier.prints
        master = (inv.supplier.iban, inv.supplier.vat_id)
        teaching_keys, _ = learning.teaching_keys(printed, master)
        seen = teaching_keys | learning.supplier_keys(*printed)
        for key in seen:
            owners[key].add(inv.supplier.number)
        teaching = learning.Teaching(
            tenant="bench", document_id=f"doc-{n}", invoice=InvoiceV1(**inv.truth),  # type: ignore[arg-type]
            supplier_number=inv.supplier.number, supplier_name=inv.supplier.name,
            keys=teaching_keys, approved_by="clerk", at=now,
            corrected={name: ("clerk", now) for name, ok in right.items() if not ok})
        mine = [lay for lay in memory.values() if lay.supplier_number == inv.supplier.number]
        layout, _ = learning.learn(teaching, rec.words, rec.pages, mine,
                                   shared=frozenset(k for k in seen if len(owners[k]) > 1))
        if layout is not None:
            memory[(layout.supplier_number, layout.fingerprint)] = layout
    rows = []
    for k in sorted(by_k):
        c, b = by_k[k], base_by_k[k]
        rows.append({"k": k, "docs": c["docs"], "exact": c["exact"] / c["fields"],
                     "touchless": c["touchless"] / c["docs"],
                     "silent": c["silent"], "worse": c["worse"], "base_exact": b["exact"] / b["fields"],
                     "base_touchless": b["touchless"] / b["docs"]})
    later = [by_k[k] for k in by_k if k >= 2]
    summary = {
        "exact_from_2nd": sum(c["exact"] for c in later) / max(1, sum(c["fields"] for c in later)),
        "touchless_from_2nd": sum(c["touchless"] for c in later) / max(1, sum(c["docs"] for c in later)),
        "silent_errors": sum(c["silent"] for c in by_k.values()),
        "made_worse": sum(c["worse"] for c in by_k.values()),
        "base_silent_errors": sum(c["silent"] for c in base_by_k.values()),
        "layouts": len(memory),
    }
    return {"suppliers": suppliers, "per_supplier": per_supplier, "seed": seed, "varied": varied, "by_k": rows,
            "summary": summary}


def table(result: dict[str, Any]) -> str:
    out = ["k   docs  key fields exact  touchless  silent errors  made worse  | base extractor alone: exact  "
           "touchless",
           "--  ----  ----------------  ---------  -------------  ----------  | ---------------------------  "
           "---------"]
    for r in result["by_k"]:
        out.append(f"{r['k']:<3} {r['docs']:<5} {r['exact']:>15.1%}  {r['touchless']:>9.1%}  {r['silent']:>13}  "
                   f"{r['worse']:>10}  | {r['base_exact']:>27.1%}  {r['base_touchless']:>9.1%}")
    s = result["summary"]
    out.append(f"from the 2nd invoice on: {s['exact_from_2nd']:.1%} of key fields exact, "
               f"{s['touchless_from_2nd']:.1%} touchless; silent errors {s['silent_errors']} (base extractor alone "
               f"{s['base_silent_errors']}); made worse {s['made_worse']}; {s['layouts']} learned layouts")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.learning", description=__doc__.split("\n")[0])
    parser.add_argument("--suppliers", type=int, default=30)
    parser.add_argument("--per-supplier", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--varied", type=float, default=0.5,
                        help="share of suppliers whose invoices vary (prepayments, delivery dates, titles, IBANs)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-learning-") as tmp:
        worse: list[str] = []
        result = run(suppliers=args.suppliers, per_supplier=args.per_supplier, seed=args.seed, work=Path(tmp),
                     varied=args.varied, worse=worse)
        lines = collective.run(creditors=args.suppliers, per_creditor=args.per_supplier, seed=args.seed,
                               work=Path(tmp))
    result["collective"] = lines
    print(f"{args.suppliers} unseen supplier layouts x {args.per_supplier} invoices, seed {args.seed}, "
          f"{args.varied:.0%} of the suppliers varying their invoices, random order, a simulated clerk correcting "
          "every wrong key field")
    print(table(result))
    for line in worse:
        print(f"  made worse: {line}")
    print()
    print(f"collective invoices: {args.suppliers} unseen creditors x {args.per_supplier}, random order; after the "
          "first, the clerk writes the creditor's line template")
    print(collective.table(lines))
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2))
    return 1 if result["summary"]["made_worse"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
