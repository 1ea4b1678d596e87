"""E-invoice validation benchmark: validations per second and p95 per invoice, small and 1,000-line invoices.

Runs the official rules (KoSIT validator configuration, ``../shared/tools/einvoice-rules`` or ``--rules``) as the
ocr worker does: stylesheets compiled once (the compile time is reported apart), then each invoice validated
again and again after a warm-up. Also times the whole e-invoice recognition (read, map, validate) of the small
invoices, which is what one document costs the ocr worker.

    python -m bench.einvoice_validation --rounds 200
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from belegflow_ocr.recognition.einvoice.validator import configure_rules, validator_for
from belegflow_ocr.recognition.registry import ReaderRegistry

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT.parent / "shared" / "tools" / "einvoice-rules"
CASES = ROOT / "samples" / "einvoices" / "xrechnung-testsuite" / "src" / "test" / "business-cases" / "standard"
SMALL = ("01.01a-INVOICE_ubl.xml", "01.01a-INVOICE_uncefact.xml", "01.05a-INVOICE_uncefact.xml",
         "01.13a-INVOICE_ubl.xml", "02.01a-INVOICE_uncefact.xml", "03.01a-INVOICE_ubl.xml")
LINE_START, LINE_END = "<ram:IncludedSupplyChainTradeLineItem>", "</ram:IncludedSupplyChainTradeLineItem>"


def many_lines(count: int) -> bytes:
    """A valid XRechnung CII invoice with ``count`` lines: the test suite's 01.02a (one line at 7 %) with its line
    repeated and every total made to add up again."""
    xml = (CASES / "01.02a-INVOICE_uncefact.xml").read_text(encoding="utf-8")
    start, end = xml.index(LINE_START), xml.index(LINE_END) + len(LINE_END)
    line = xml[start:end]
    lines = "\n".join(line.replace("<ram:LineID>SZ300540</ram:LineID>", f"<ram:LineID>{n}</ram:LineID>")
                      for n in range(1, count + 1))
    net = Decimal("11.78") * count
    tax = (net * Decimal("0.07")).quantize(Decimal("0.01"))
    gross = net + tax
    head = xml[:start] + lines + xml[end:]
    settlement = head.index("<ram:ApplicableHeaderTradeSettlement>")
    tail = head[settlement:]
    for tag, value in (("CalculatedAmount", tax), ("BasisAmount", net), ("LineTotalAmount", net),
                       ("TaxBasisTotalAmount", net), ("GrandTotalAmount", gross), ("DuePayableAmount", gross)):
        tail = re.sub(rf"(<ram:{tag}>)[^<]*(</ram:{tag}>)", rf"\g<1>{value}\g<2>", tail, count=1)
    tail = re.sub(r'(<ram:TaxTotalAmount currencyID="EUR">)[^<]*(</ram:TaxTotalAmount>)', rf"\g<1>{tax}\g<2>", tail,
                  count=1)
    return (head[:settlement] + tail).encode()


def _timed(run: Callable[[], object], rounds: int, warm_up: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds (this process, all its threads) of each run after ``warm_up`` runs."""
    for _ in range(warm_up):
        run()
    wall, cpu = [], []
    for _ in range(rounds):
        started, used = time.perf_counter(), time.process_time()
        run()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - used)
    return wall, cpu


def _report(label: str, timings: tuple[list[float], list[float]]) -> None:
    wall, cpu = timings

    def p95(values: list[float]) -> float:
        return statistics.quantiles(values, n=20)[-1] * 1000

    print(f"{label:<46} {len(wall) / sum(wall):7.1f}/s  wall p50 {statistics.median(wall) * 1000:7.1f} ms  "
          f"p95 {p95(wall):7.1f} ms  |  cpu p50 {statistics.median(cpu) * 1000:7.1f} ms  p95 {p95(cpu):7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=Path, default=RULES, help="the rules folder (KoSIT validator configuration)")
    parser.add_argument("--rounds", type=int, default=200, help="timed validations per invoice kind")
    parser.add_argument("--lines", type=int, default=1000, help="lines of the large invoice")
    args = parser.parse_args()

    validator = validator_for(args.rules)
    started = time.perf_counter()
    validator.warm_up()
    print(f"rules: {validator.rules.label}")
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    print(f"compile (once per worker process): {time.perf_counter() - started:.2f} s")

    small = [(CASES / name).read_bytes() for name in SMALL]
    large = many_lines(args.lines)
    for data in (*small, large):
        assert validator.validate_bytes(data).verdict.value == "valid", "the bench invoices must be valid"
    turn = iter(range(10**9))

    def one_small() -> object:
        return validator.validate_bytes(small[next(turn) % len(small)])

    _report(f"validation, small invoices ({len(small)} test-suite files)", _timed(one_small, args.rounds, 20))
    _report(f"validation, {args.lines}-line invoice ({len(large) // 1024} KiB)",
            _timed(lambda: validator.validate_bytes(large), max(10, args.rounds // 10), 3))

    configure_rules(args.rules)
    from belegflow_ocr.recognition.einvoice.readers import XmlInvoiceReader

    registry = ReaderRegistry([XmlInvoiceReader])
    names = iter(range(10**9))

    def one_recognition() -> object:
        n = next(names)
        return registry.recognize(small[n % len(small)], filename=f"{n}.xml")

    _report("recognition with validation, small invoices", _timed(one_recognition, args.rounds, 20))
    _report(f"recognition with validation, {args.lines} lines",
            _timed(lambda: registry.recognize(large, filename="large.xml"), max(10, args.rounds // 10), 3))


if __name__ == "__main__":
    main()
