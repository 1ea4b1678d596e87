"""The recognition development set, every source in its own folder, rebuilt from a seed.

Sources (born-digital):

- ``devset``: the seven original templates (``bench.recognition.devset``),
- ``xrviz``: the e-invoice corpus printed by the official XRechnung visualisation (``bench.recognition.xrviz``),
- ``xrhouse``: the same corpus in the zoo's house styles, with the XML's own values (``bench.recognition.xrhouse``),
- ``zoo``: the layout zoo (``bench.recognition.zoo``),
- ``receipts``: till receipts (``bench.recognition.receipts``);

and from them ``scan-<source>-<dpi>`` (scans of the first documents of each source at each resolution;
200 DPI is always made) and ``photo-receipts`` (phone photos of the receipts). The development seed
(1) builds the development part of every source, any other seed a held-out part (different documents,
different zoo templates, the other third of the e-invoice corpus).

``python -m bench.recognition.sources --out DIR [--seed 2] [--sources ...] [--count N] [--dpi 150 200 300]``
writes ``DIR/<set>/`` folders of ``<stem>.<pdf|jpg>`` + ``<stem>.truth.json``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.recognition import devset, receipts, scans, truthfile, xrhouse, xrviz, zoo

BORN_DIGITAL = ("devset", "xrviz", "xrhouse", "zoo", "receipts")
DEFAULT_COUNTS = {"devset": 70, "xrviz": None, "xrhouse": None, "zoo": 300, "receipts": 100}
"""Documents per source (None: the whole corpus part)."""
QUICK_COUNTS = {"devset": 7, "xrviz": 4, "xrhouse": 6, "zoo": 30, "receipts": 12}
DEFAULT_DPI = (150, 200, 300)
DPI_RANGE = (50, 600)
SCAN_MAX_PAGES = 6
"""Longer documents are left out of the scans (nobody feeds a 20-page print through a scanner to book it)."""


@dataclass(frozen=True)
class Built:
    name: str
    folder: Path
    documents: int
    seconds: float


def _generate(name: str, out: Path, count: int | None, seed: int, paths: dict[str, Path]) -> int:
    if name == "devset":
        return len(devset.generate(out, count=count or 70, seed=seed))
    if name == "xrviz":
        return len(xrviz.generate(out, seed=seed, count=count, corpora=paths["corpora"],
                                  visualisation=paths["visualisation"]))  # fmt: skip
    if name == "xrhouse":
        return len(xrhouse.generate(out, seed=seed, count=count, corpora=paths["corpora"]))
    if name == "zoo":
        return len(zoo.generate(out, count=count or 300, seed=seed))
    return len(receipts.generate(out, count=count or 100, seed=seed))


def check_dpi(dpis: Sequence[int]) -> tuple[int, ...]:
    lo, hi = DPI_RANGE
    bad = [d for d in dpis if not lo <= d <= hi]
    if bad:
        raise ValueError(f"--dpi values must lie between {lo} and {hi} (got {', '.join(map(str, bad))})")
    return tuple(sorted({200, *dpis}))


def build(out: Path, *, seed: int, sources: Sequence[str] = BORN_DIGITAL, counts: dict[str, int | None] | None = None,
          dpis: Sequence[int] = DEFAULT_DPI, scan_count: int | None = 20, photos: bool = True,
          photo_count: int | None = None,
          corpora: Path = xrviz.CORPORA, visualisation: Path = xrviz.VISUALISATION,
          log: Callable[[str], None] = lambda _: None) -> list[Built]:  # fmt: skip
    """Builds the sets of ``sources`` (with their scans and photos) under ``out``; returns what was built."""
    unknown = set(sources) - set(BORN_DIGITAL)
    if unknown or not sources:
        got = ", ".join(sorted(unknown)) or "none"
        raise ValueError(f"sources must be among {', '.join(BORN_DIGITAL)} (got {got})")
    dpis = check_dpi(dpis)
    if scan_count is not None and scan_count < 0:
        raise ValueError("--scan-count must not be negative")
    counts = {**DEFAULT_COUNTS, **(counts or {})}
    for name in sources:
        truthfile.check_count(counts[name], f"the count of {name}")
    paths = {"corpora": corpora, "visualisation": visualisation}
    built: list[Built] = []
    for name in sources:
        start = time.perf_counter()
        folder = out / name
        n = _generate(name, folder, counts[name], seed, paths)
        built.append(Built(name, folder, n, time.perf_counter() - start))
        log(f"{name}: {n} documents in {built[-1].seconds:.1f} s")
        if scan_count != 0:
            for dpi in dpis:
                start = time.perf_counter()
                target = out / f"scan-{name}-{dpi}"
                written = scans.scan_folder(folder, target, dpi=dpi, limit=scan_count, seed=seed,
                                             max_pages=SCAN_MAX_PAGES)
                built.append(Built(target.name, target, len(written), time.perf_counter() - start))
                log(f"{target.name}: {len(written)} scans in {built[-1].seconds:.1f} s")
        if name == "receipts" and photos:
            start = time.perf_counter()
            target = out / "photo-receipts"
            written = scans.photo_folder(folder, target, seed=seed, templates=receipts.STYLES, limit=photo_count)
            built.append(Built(target.name, target, len(written), time.perf_counter() - start))
            log(f"{target.name}: {len(written)} photos in {built[-1].seconds:.1f} s")
    return built


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for one sub-folder per set")
    parser.add_argument("--seed", type=int, default=truthfile.HELD_OUT_SEED,
                        help=f"{truthfile.DEVELOPMENT_SEED} builds the development part, any other seed a held-out "
                             f"part (default {truthfile.HELD_OUT_SEED})")  # fmt: skip
    parser.add_argument("--sources", nargs="+", default=list(BORN_DIGITAL), choices=BORN_DIGITAL)
    parser.add_argument("--count", type=int, help="documents per source (default: " + ", ".join(
        f"{k} {v or 'all'}" for k, v in DEFAULT_COUNTS.items()) + ")")  # fmt: skip
    parser.add_argument("--dpi", type=int, nargs="+", default=list(DEFAULT_DPI), help="scan resolutions (200 always)")
    parser.add_argument("--scan-count", type=int, default=20, help="documents of each source scanned (0: no scans)")
    parser.add_argument("--quick", action="store_true", help="a few documents per source, 200 DPI scans only")
    parser.add_argument("--photo-count", type=int, help="receipts photographed (default: all)")
    parser.add_argument("--corpora", type=Path, default=xrviz.CORPORA)
    parser.add_argument("--visualisation", type=Path, default=xrviz.VISUALISATION)
    args = parser.parse_args(argv)
    counts: dict[str, int | None] = dict(QUICK_COUNTS) if args.quick else {}
    if args.count is not None:
        counts = dict.fromkeys(BORN_DIGITAL, args.count)
    try:
        built = build(args.out, seed=args.seed, sources=args.sources, counts=counts,
                      dpis=[200] if args.quick else args.dpi, scan_count=4 if args.quick else args.scan_count,
                      photo_count=4 if args.quick else args.photo_count,
                      corpora=args.corpora, visualisation=args.visualisation,
                      log=lambda m: print(m, file=sys.stderr))  # fmt: skip
    except (ValueError, FileNotFoundError, RuntimeError) as exc:
        parser.error(str(exc))
    total = sum(b.documents for b in built)
    print(f"{total} documents in {len(built)} sets under {args.out} (seed {args.seed}, "
          f"{truthfile.part_of_seed(args.seed)} part)")  # fmt: skip


if __name__ == "__main__":
    main()
