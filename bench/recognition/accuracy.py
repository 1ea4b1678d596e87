"""Recognition accuracy, calibration and speed per source, beside the previous release, on the same files.

``python -m bench.recognition.accuracy`` builds the development set of a seed (held out by default; see
``bench.recognition.sources``) and reads every document through ``default_registry()`` and
``recognition_to_json``, exactly as the product reads a file:

- the e-invoices in ``samples/einvoices/`` (truth from the XML),
- born-digital PDFs: ``devset`` (seven original templates), ``xrviz`` (the official XRechnung
  visualisation of the e-invoice corpus), ``zoo`` (combinatorial layouts in six languages), ``receipts``,
- ``scan-<source>-<dpi>`` scans of each and ``photo-receipts``.

It prints, per set, the share of exact fields (after normalising: amounts to two decimals, IBAN, VAT ID
and invoice number without spaces; a field the document does not state is right only if none is
reported) and the key-field aggregate (receipts: merchant, date, total); a reliability table
(confidence bucket → fields, share correct); silent errors, the share of all fields that are wrong
with a confidence at or above the touchless threshold (matching's ``touchless_min_confidence`` by
default); and seconds per page (median, p90) for the text layer and OCR. The previous release's
extractor (a git ref, materialised with ``git archive`` into a temporary folder) reads the same files in a
subprocess, and its figures and the speed ratios are printed beside.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from io import BytesIO
from pathlib import Path
from typing import Any

from lxml import etree

from belegflow_ocr.errors import UnsupportedMediaTypeError
from belegflow_ocr.recognition import default_registry, sniff_media_type
from belegflow_ocr.recognition.registry import ReaderRegistry
from bench.recognition import runner, sources, truthfile, xrviz

ROOT = Path(__file__).resolve().parents[2]
EINVOICES = ROOT / "samples" / "einvoices"
FIELDS = truthfile.FIELDS
KEY_FIELDS = truthfile.KEY_FIELDS
RECEIPT_KEY_FIELDS = truthfile.RECEIPT_KEY_FIELDS
LINE_CHECKS = ("lines_count", "line_amounts")
AMOUNT_FIELDS = {"net_amount", "tax_amount", "gross_amount"}
DEVELOPMENT_SEED = truthfile.DEVELOPMENT_SEED
HELD_OUT_SEED = truthfile.HELD_OUT_SEED
BASELINE_REF = "7017380"
"""The previous release's extractor, timed and scored beside the current one."""
BUCKETS = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0)
KINDS = ("einvoice", "born-digital", "scan", "photo")


def touchless_threshold() -> float:
    """Matching's default ``touchless_min_confidence``: the confidence at which a field is booked unseen."""
    from belegflow_matching.settings import Settings

    default = Settings.model_fields["touchless_min_confidence"].default
    return float(default)


# --- comparing ---------------------------------------------------------------------------------


def normalise(name: str, value: object) -> str | None:
    """The comparable form of a field value: amounts as two-decimal strings, IDs compact, text trimmed."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    if name in AMOUNT_FIELDS:
        try:
            return format(Decimal(text).quantize(Decimal("0.01")), "f")
        except InvalidOperation:
            return text
    if name in ("supplier_iban", "supplier_vat_id"):
        return truthfile.compact(text)
    if name == "invoice_number":
        return "".join(text.split()).upper()
    return " ".join(text.split())


@dataclass
class FieldScore:
    right: int = 0
    total: int = 0
    found: int = 0
    stated: int = 0

    def add(self, ok: bool, found: bool, stated: bool) -> None:
        self.total += 1
        self.right += ok
        self.found += found and stated
        self.stated += stated

    def merge(self, other: FieldScore) -> None:
        self.right += other.right
        self.total += other.total
        self.found += other.found
        self.stated += other.stated

    @property
    def rate(self) -> float | None:
        return self.right / self.total if self.total else None


@dataclass
class Miss:
    file: str
    field: str
    want: str | None
    got: str | None
    confidence: float | None = None


@dataclass
class Observation:
    """One field of one document: right or not, and the confidence it was reported with."""

    field: str
    ok: bool
    confidence: float | None


@dataclass
class SetResult:
    name: str
    documents: int = 0
    failed: int = 0
    status: str = ""
    receipt: bool = False
    fields: dict[str, FieldScore] = field(default_factory=lambda: {n: FieldScore() for n in (*FIELDS, *LINE_CHECKS)})
    by_group: dict[str, FieldScore] = field(default_factory=dict)
    misses: list[Miss] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    timings: list[tuple[str, int, float]] = field(default_factory=list)
    """(reader, pages, seconds) per document."""

    @property
    def key_names(self) -> tuple[str, ...]:
        return RECEIPT_KEY_FIELDS if self.receipt else KEY_FIELDS

    @property
    def key(self) -> FieldScore:
        total = FieldScore()
        for name in self.key_names:
            total.merge(self.fields[name])
        return total


def _confidence(raw: object) -> float | None:
    if isinstance(raw, dict) and isinstance(raw.get("confidence"), int | float):
        return float(raw["confidence"])
    return None


def score_document(result: SetResult, truth: dict[str, Any], got: dict[str, Any], group: str) -> None:
    result.documents += 1
    group_score = result.by_group.setdefault(group, FieldScore())
    fields_got = got.get("fields") or {}
    for name in FIELDS:
        want = normalise(name, truth["fields"].get(name))
        raw = fields_got.get(name)
        have = normalise(name, raw["value"] if isinstance(raw, dict) else None)
        ok = want == have
        result.fields[name].add(ok, have is not None, want is not None)
        result.observations.append(Observation(name, ok, _confidence(raw) if have is not None else None))
        if name in result.key_names:
            group_score.add(ok, have is not None, want is not None)
        if not ok:
            result.misses.append(Miss(str(truth.get("file")), name, want, have, _confidence(raw)))
    want_lines = truth.get("lines")
    if want_lines is None:
        return
    got_lines = got.get("lines") or []
    count_ok = len(got_lines) == len(want_lines)
    result.fields["lines_count"].add(count_ok, bool(got_lines), bool(want_lines))
    want_amounts = [normalise("net_amount", ln.get("net_amount")) for ln in want_lines]
    got_amounts = [normalise("net_amount", ln.get("net_amount")) for ln in got_lines]
    result.fields["line_amounts"].add(want_amounts == got_amounts, bool(got_lines), bool(want_lines))
    if not count_ok:
        result.misses.append(Miss(str(truth.get("file")), "lines_count", str(len(want_lines)), str(len(got_lines))))


# --- running the product -----------------------------------------------------------------------


def recognise(path: Path, registry: ReaderRegistry) -> dict[str, Any]:
    return runner.recognise(path, registry)


def readable(paths: Sequence[Path], registry: ReaderRegistry) -> str | None:
    """None when some registered reader takes the first document; otherwise why none does."""
    if not paths:
        return "no documents"
    data = paths[0].read_bytes()
    media = sniff_media_type(data) or ""
    try:
        registry.select(data, media, filename=paths[0].name)
    except UnsupportedMediaTypeError:
        return f"no reader registered for {media or 'this type'}"
    return None


Doc = tuple[Path, dict[str, Any], str]


def score_records(name: str, items: Sequence[Doc], records: Iterable[dict[str, Any]], *,
                  receipt: bool = False) -> SetResult:  # fmt: skip
    """Scores runner records (one per document, in order) against the truth of ``items``."""
    result = SetResult(name, receipt=receipt)
    for (path, truth, group), record in zip(items, records, strict=True):
        got = record.get("result")
        if got is None:
            result.failed += 1
            result.errors.append(f"{path.name}: {record.get('error')}")
            got = {"fields": {}, "lines": []}
        else:
            pages = int(truth.get("pages") or 1)
            result.timings.append((str(record.get("reader")), pages, float(record["seconds"])))
        score_document(result, truth, got, group)
    return result


def run_set(name: str, docs: Iterable[Doc], registry: ReaderRegistry, *, unreadable_hint: str = "",
            receipt: bool = False) -> SetResult:  # fmt: skip
    items = list(docs)
    why = readable([p for p, _, _ in items], registry)
    if why is not None:
        result = SetResult(name, receipt=receipt)
        result.status = why + (f" ({unreadable_hint})" if unreadable_hint else "")
        return result
    return score_records(name, items, runner.run([p for p, _, _ in items], registry), receipt=receipt)


def generated_docs(folder: Path) -> list[Doc]:
    docs = []
    for truth in truthfile.read_all(folder):
        docs.append((folder / truth["file"], truth, str(truth.get("template", "?"))))
    return docs


# --- e-invoice truth from the XML ----------------------------------------------------------------


def einvoice_truth(path: Path) -> dict[str, Any] | None:
    """Fields and lines of a UBL or CII invoice or credit note, read with XPath; None for other XML."""
    truth = xrviz.xml_truth(xrviz.parse(path))
    if truth is None:
        return None
    return {"file": path.name, "pages": 1, "fields": truth["fields"], "lines": truth["lines"]}


def einvoice_docs(folder: Path) -> list[Doc]:
    docs = []
    for path in sorted(folder.rglob("*.xml")):
        try:
            truth = einvoice_truth(path)
        except etree.XMLSyntaxError:
            continue
        if truth is not None:
            docs.append((path, truth, "ubl" if "ubl" in path.name.lower() or "/ubl/" in str(path) else "cii"))
    return docs


# --- the previous release --------------------------------------------------------------------------


def materialise(ref: str, target: Path) -> Path:
    """``services/ocr/src`` and ``contracts/src`` of ``ref`` under ``target``."""
    try:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", ref, "services/ocr/src",
                                  "contracts/src"], check=True, capture_output=True, timeout=120).stdout  # fmt: skip
    except subprocess.CalledProcessError as exc:
        raise ValueError(f"cannot read {ref!r} from git: {exc.stderr.decode(errors='replace').strip()}") from exc
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


def run_baseline(ref: str, paths: Sequence[Path], work: Path) -> list[dict[str, Any]]:
    """Runs ``runner.py`` against the release ``ref`` in a subprocess; one record per path."""
    copy = materialise(ref, work / f"baseline-{ref}")
    files = work / "baseline-files.json"
    out = work / "baseline-results.jsonl"
    files.write_text(json.dumps([str(p) for p in paths]), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(copy / "services" / "ocr" / "src"),
                                                        str(copy / "contracts" / "src")]))  # fmt: skip
    proc = subprocess.run([sys.executable, str(Path(runner.__file__).resolve()), str(files), str(out)], env=env,
                          capture_output=True, text=True, check=False)  # fmt: skip
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()] if out.exists() else []
    if proc.returncode != 0 or len(records) != len(paths):
        raise RuntimeError(f"the baseline {ref} did not read the files: {proc.stderr.strip()[-2000:]}")
    return records


# --- figures -------------------------------------------------------------------------------------


def _pct(score: FieldScore | float | None) -> str:
    rate = score.rate if isinstance(score, FieldScore) else score
    return "n/a" if rate is None else f"{100 * rate:5.1f} %"


def reliability(observations: Iterable[Observation]) -> list[dict[str, Any]]:
    """Confidence bucket → reported fields, share correct (fields reported without confidence apart)."""
    rows: list[dict[str, Any]] = []
    reported = [(o.confidence, o.ok) for o in observations if o.confidence is not None]
    for lo, hi in itertools.pairwise(BUCKETS):
        last = hi == BUCKETS[-1]
        inside = [ok for c, ok in reported if lo <= c and (c < hi or last)]
        right = sum(inside)
        rows.append({"bucket": f"[{lo:.2f}, {hi:.2f}{']' if last else ')'}", "fields": len(inside),
                     "correct": right, "rate": right / len(inside) if inside else None})  # fmt: skip
    return rows


def printed_observations(results: Iterable[SetResult]) -> list[Observation]:
    """The fields of the generated sets (printed, scanned, photographed), not of the e-invoice XML."""
    return [o for r in results if not r.name.startswith("einvoice") for o in r.observations]


def silent_errors(observations: Sequence[Observation], threshold: float) -> dict[str, Any]:
    wrong = sum(1 for o in observations if not o.ok and o.confidence is not None and o.confidence >= threshold)
    return {"threshold": threshold, "fields": len(observations), "silent_errors": wrong,
            "rate": wrong / len(observations) if observations else None}  # fmt: skip


def reader_kind(reader: str) -> str:
    if reader == "pdf-text":
        return "text layer"
    if "invoice" in reader or "xml" in reader or "einvoice" in reader:
        return "e-invoice"
    return "OCR"


def speed(results: Iterable[SetResult]) -> dict[str, dict[str, float | int]]:
    """Seconds per page by reader kind: median, p90, pages."""
    per: dict[str, list[float]] = {}
    for r in results:
        for reader, pages, seconds in r.timings:
            per.setdefault(reader_kind(reader), []).append(seconds / max(pages, 1))
    out: dict[str, dict[str, float | int]] = {}
    for kind, values in sorted(per.items()):
        values.sort()
        p90 = values[min(len(values) - 1, int(0.9 * len(values)))]
        out[kind] = {"median_s": statistics.median(values), "p90_s": p90, "documents": len(values)}
    return out


def table(result: SetResult) -> str:
    head = f"## {result.name}: "
    if result.status:
        return head + result.status + "\n"
    out = [head + f"{result.documents} documents" + (f", {result.failed} not readable" if result.failed else ""),
           "", "| field | exact | right / total | stated | found |", "|---|---:|---:|---:|---:|"]  # fmt: skip
    for name, s in result.fields.items():
        if s.total:
            out.append(f"| {name}{' *' if name in result.key_names else ''} | {_pct(s)} | {s.right} / {s.total} | "
                       f"{s.stated} | {s.found} |")  # fmt: skip
    k = result.key
    out.append(f"| **key fields** (*) | **{_pct(k)}** | {k.right} / {k.total} | {k.stated} | {k.found} |")
    return "\n".join(out) + "\n"


def group_table(result: SetResult) -> str:
    if result.status or len(result.by_group) < 2 or len(result.by_group) > 12:
        return ""
    out = [f"key fields of {result.name} by template:", "", "| template | key fields | right / total |",
           "|---|---:|---:|"]  # fmt: skip
    for group, s in sorted(result.by_group.items()):
        out.append(f"| {group} | {_pct(s)} | {s.right} / {s.total} |")
    return "\n".join(out) + "\n"


def summary_table(current: Sequence[SetResult], baseline: dict[str, SetResult], threshold: float) -> str:
    out = ["## summary per set (key fields exact; silent = wrong with confidence >= "
           f"{threshold:g}, share of all fields)", "",
           "| set | documents | key fields | silent errors | previous release: key fields | silent errors |",
           "|---|---:|---:|---:|---:|---:|"]  # fmt: skip
    for r in current:
        if r.status:
            out.append(f"| {r.name} | {r.status} | | | | |")
            continue
        b = baseline.get(r.name)
        bk = _pct(b.key) if b else "-"
        bs = _pct(silent_errors(b.observations, threshold)["rate"]) if b else "-"
        silent = _pct(silent_errors(r.observations, threshold)["rate"])
        out.append(f"| {r.name} | {r.documents} | {_pct(r.key)} | {silent} | {bk} | {bs} |")
    return "\n".join(out) + "\n"


def reliability_table(rows: list[dict[str, Any]], title: str) -> str:
    out = [f"## reliability ({title})", "", "| confidence | fields | correct |", "|---|---:|---:|"]
    for row in rows:
        out.append(f"| {row['bucket']} | {row['fields']} | {_pct(row['rate'])} |")
    return "\n".join(out) + "\n"


def speed_table(now: dict[str, dict[str, float | int]], before: dict[str, dict[str, float | int]], ref: str) -> str:
    out = [f"## seconds per page (this tree vs {ref})", "",
           "| reader | documents | median | p90 | previous median | previous p90 | median ratio |",
           "|---|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    for kind in sorted(set(now) | set(before)):
        n, b = now.get(kind), before.get(kind)
        ratio = f"{n['median_s'] / b['median_s']:.2f} ×" if n and b and b["median_s"] else "-"
        out.append(f"| {kind} | {n['documents'] if n else '-'} | {n['median_s'] if n else 0:.3f} | "
                   f"{n['p90_s'] if n else 0:.3f} | {b['median_s'] if b else 0:.3f} | {b['p90_s'] if b else 0:.3f} | "
                   f"{ratio} |")  # fmt: skip
    return "\n".join(out) + "\n"


def set_json(r: SetResult, threshold: float) -> dict[str, Any]:
    if r.status:
        return {"status": r.status}
    return {
        "documents": r.documents,
        "not_readable": r.failed,
        "fields": {n: {"right": s.right, "total": s.total, "rate": s.rate} for n, s in r.fields.items() if s.total},
        "key_fields": {"names": list(r.key_names), "right": r.key.right, "total": r.key.total, "rate": r.key.rate},
        "key_fields_by_template": {g: s.rate for g, s in r.by_group.items()},
        "silent_errors": silent_errors(r.observations, threshold),
        "reliability": reliability(r.observations),
        "speed": speed([r]),
    }


def to_json(results: Sequence[SetResult], meta: dict[str, object], threshold: float = 0.9,
            baseline: Sequence[SetResult] = ()) -> dict[str, object]:  # fmt: skip
    all_obs = printed_observations(results)
    out: dict[str, object] = {
        "meta": meta, "key_fields": list(KEY_FIELDS), "receipt_key_fields": list(RECEIPT_KEY_FIELDS),
        "sets": {r.name: set_json(r, threshold) for r in results},
        "reliability": reliability(all_obs), "silent_errors": silent_errors(all_obs, threshold),
        "speed": speed(results),
    }  # fmt: skip
    if baseline:
        base_obs = printed_observations(baseline)
        out["baseline"] = {
            "sets": {r.name: set_json(r, threshold) for r in baseline}, "reliability": reliability(base_obs),
            "silent_errors": silent_errors(base_obs, threshold), "speed": speed(baseline),
        }  # fmt: skip
    return out


KEY_DEFINITION = (
    "key fields (*) = " + ", ".join(KEY_FIELDS) + " (receipts: " + ", ".join(RECEIPT_KEY_FIELDS) + "); exact "
    "match after normalising (amounts to two decimals, IBAN and VAT ID without spaces, dots or hyphens, invoice "
    "number without spaces); a field the "
    "document does not state is right only if none is reported"
)


# --- the command ---------------------------------------------------------------------------------------


def _order(folder: Path) -> tuple[int, int, str]:
    """Born-digital sets first, then scans, then photos; sources in their usual order."""
    kind = ("born-digital", "scan", "photo").index(_kind(folder.name))
    rank = next((i for i, s in enumerate(sources.BORN_DIGITAL) if s in folder.name), len(sources.BORN_DIGITAL))
    return kind, rank, folder.name


def _kind(name: str) -> str:
    if name.startswith("scan-"):
        return "scan"
    if name.startswith("photo-"):
        return "photo"
    return "born-digital"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seed", type=int, default=HELD_OUT_SEED,
                        help=f"set seed (default {HELD_OUT_SEED}, held out; {DEVELOPMENT_SEED} is the development "
                             "part)")  # fmt: skip
    parser.add_argument("--sources", nargs="+", default=list(sources.BORN_DIGITAL), choices=sources.BORN_DIGITAL,
                        help="generated sources (default: all)")  # fmt: skip
    parser.add_argument("--sets", nargs="+", default=list(KINDS), choices=KINDS,
                        help="kinds of sets: einvoice (XML), born-digital, scan, photo (default: all)")  # fmt: skip
    parser.add_argument("--count", type=int, help="documents per source (default: " + ", ".join(
        f"{k} {v or 'all'}" for k, v in sources.DEFAULT_COUNTS.items()) + ")")  # fmt: skip
    parser.add_argument("--dpi", type=int, nargs="*", default=list(sources.DEFAULT_DPI),
                        help="scan resolutions; 200 is always measured")  # fmt: skip
    parser.add_argument("--scan-count", type=int, default=20, help="documents of each source scanned per DPI")
    parser.add_argument("--photo-count", type=int, help="receipts photographed (default: all)")
    parser.add_argument("--quick", action="store_true",
                        help="a few documents per source, scans at 200 DPI only (a smoke run)")  # fmt: skip
    parser.add_argument("--set-dir", type=Path, help="read a set built by bench.recognition.sources instead")
    parser.add_argument("--einvoices", type=Path, default=EINVOICES)
    parser.add_argument("--corpora", type=Path, default=xrviz.CORPORA)
    parser.add_argument("--visualisation", type=Path, default=xrviz.VISUALISATION)
    parser.add_argument("--baseline", default=BASELINE_REF,
                        help=f"git ref of the previous release (default {BASELINE_REF})")  # fmt: skip
    parser.add_argument("--no-baseline", action="store_true", help="do not run the previous release")
    parser.add_argument("--threshold", type=float, help="touchless confidence (default: matching's setting)")
    parser.add_argument("--work", type=Path, help="keep generated files here (default: a temporary folder)")
    parser.add_argument("--json", type=Path, help="write the figures as JSON here")
    parser.add_argument("--misses", type=int, default=0, help="print this many wrong fields per set")
    args = parser.parse_args(argv)
    if any(d < 50 or d > 600 for d in args.dpi):
        parser.error("--dpi values must lie between 50 and 600")
    if (args.count is not None and args.count < 1) or args.scan_count < 0 or (args.photo_count or 0) < 0:
        parser.error("--count must be at least 1, --scan-count and --photo-count not negative")
    threshold = touchless_threshold() if args.threshold is None else args.threshold
    if not 0 <= threshold <= 1:
        parser.error("--threshold must lie between 0 and 1")
    if args.set_dir is not None and not args.set_dir.is_dir():
        parser.error(f"--set-dir {args.set_dir} is not a folder")

    registry = default_registry()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="belegflow-accuracy-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        if args.set_dir is not None:
            root = args.set_dir
        else:
            root = work / f"set-seed{args.seed}"
            counts: dict[str, int | None] = dict(sources.QUICK_COUNTS) if args.quick else {}
            if args.count is not None:
                counts = dict.fromkeys(sources.BORN_DIGITAL, args.count)
            wanted = set(args.sets)
            if wanted & {"born-digital", "scan", "photo"}:
                try:
                    sources.build(root, seed=args.seed, sources=args.sources, counts=counts,
                                  dpis=[200] if args.quick else args.dpi,
                                  scan_count=(4 if args.quick else args.scan_count) if "scan" in wanted else 0,
                                  photos="photo" in wanted, photo_count=4 if args.quick else args.photo_count,
                                  corpora=args.corpora, visualisation=args.visualisation,
                                  log=lambda m: print(m, file=sys.stderr))  # fmt: skip
                except (ValueError, FileNotFoundError, RuntimeError) as exc:
                    parser.error(str(exc))
        built = time.perf_counter() - started
        sets: list[tuple[str, list[Doc], bool]] = []
        if "einvoice" in args.sets:
            docs = einvoice_docs(args.einvoices) if args.einvoices.is_dir() else []
            sets.append(("einvoice (samples/einvoices)", docs, False))
        for folder in sorted((p for p in root.iterdir() if p.is_dir()), key=_order) if root.is_dir() else []:
            if _kind(folder.name) in args.sets and any(folder.glob("*.truth.json")):
                receipt = "receipts" in folder.name
                sets.append((folder.name, generated_docs(folder), receipt))
        results = []
        for name, docs, receipt in sets:
            hint = "no OCR reader" if _kind(name) != "born-digital" else ""
            results.append(run_set(name, docs, registry, unreadable_hint=hint, receipt=receipt))
            r = results[-1]
            print(f"read {name}: {r.status or f'{r.documents} documents, key fields {_pct(r.key)}'}", file=sys.stderr)
        baseline: list[SetResult] = []
        if not args.no_baseline:
            readable_sets = [(n, d, rc) for (n, d, rc), r in zip(sets, results, strict=True) if not r.status]
            paths = [p for _, docs, _ in readable_sets for p, _, _ in docs]
            try:
                records = run_baseline(args.baseline, paths, work) if paths else []
            except (ValueError, RuntimeError) as exc:
                parser.error(str(exc))
            it = iter(records)
            for name, docs, receipt in readable_sets:
                baseline.append(score_records(name, docs, [next(it) for _ in docs], receipt=receipt))
        elapsed = time.perf_counter() - started

    threshold_text = f"{threshold:g}"
    print(KEY_DEFINITION + "\n")
    for r in results:
        print(table(r))
        extra = group_table(r)
        if extra:
            print(extra)
        if args.misses:
            for m in r.misses[: args.misses]:
                print(f"  miss {m.file} {m.field}: want {m.want!r} got {m.got!r} (confidence {m.confidence})")
            for e in r.errors[: args.misses]:
                print(f"  error {e}")
            print()
    by_name = {b.name: b for b in baseline}
    print(summary_table(results, by_name, threshold))
    all_obs = printed_observations(results)
    print(reliability_table(reliability(all_obs), "generated sets, this tree"))
    if baseline:
        print(reliability_table(reliability(printed_observations(baseline)), f"generated sets, {args.baseline}"))
    silent = silent_errors(all_obs, threshold)
    print(f"silent errors on the generated sets (wrong with confidence >= {threshold_text}): "
          f"{silent['silent_errors']} of {silent['fields']} fields = {_pct(silent['rate'])}")  # fmt: skip
    if baseline:
        before = silent_errors(printed_observations(baseline), threshold)
        print(f"previous release ({args.baseline}): {before['silent_errors']} of {before['fields']} fields = "
              f"{_pct(before['rate'])}")  # fmt: skip
    print()
    print(speed_table(speed(results), speed(baseline), args.baseline if baseline else "no baseline"))
    print(f"built the set in {built:.0f} s, the whole run took {elapsed:.0f} s")
    if args.json:
        meta = {"seed": args.seed, "part": truthfile.part_of_seed(args.seed), "sources": args.sources,
                "sets": args.sets, "count": args.count, "quick": args.quick, "dpi": args.dpi,
                "scan_count": args.scan_count, "threshold": threshold, "baseline": None if args.no_baseline else
                args.baseline, "key_definition": KEY_DEFINITION, "seconds": round(elapsed, 1)}  # fmt: skip
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(to_json(results, meta, threshold, baseline), indent=2) + "\n",
                             encoding="utf-8")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
