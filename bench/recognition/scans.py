"""Scans and phone photos of the development set's PDFs, with the same truth (Pillow, pypdfium2, numpy).

Scans: each page rendered at 150, 200 or 300 DPI in grey, tilted by up to ±2°, slightly blurred,
with sensor noise, saved as JPEG with visible artefacts (one page) or as an image-only PDF (several
pages). Photos: receipts as a phone sees them, on a darker desk, in perspective, under uneven light,
in colour, as JPEG. ``python -m bench.recognition.scans --src DIR --out DIR --dpi 200`` converts a
folder written by ``bench.recognition.devset``; ``--photos`` makes photos instead.
"""

from __future__ import annotations

import argparse
import io
import json
import random
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium  # type: ignore[import-untyped, unused-ignore]
from PIL import Image, ImageChops, ImageEnhance, ImageFilter, ImageOps

MAX_SKEW_DEGREES = 2.0


def render_pages(pdf: Path, dpi: int) -> list[Image.Image]:
    """Every page of ``pdf`` as a greyscale image at ``dpi``."""
    doc = pdfium.PdfDocument(str(pdf))
    try:
        images = []
        for index in range(len(doc)):
            page = doc[index]
            try:
                images.append(page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L"))
            finally:
                page.close()
        return images
    finally:
        doc.close()


def _noise(image: Image.Image, sigma: float, rng: random.Random) -> Image.Image:
    """Adds Gaussian noise of ``sigma`` grey levels, drawn from ``rng`` so that a seed gives the same scan."""
    grey = np.asarray(image.convert("L"), dtype=np.float32)
    noise = np.random.default_rng(rng.getrandbits(64)).normal(0.0, sigma, grey.shape).astype(np.float32)
    return Image.fromarray(np.clip(grey + noise, 0, 255).astype(np.uint8), "L")


def _jpeg(image: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality)
    buf.seek(0)
    return Image.open(buf).copy()


def degrade_scan(image: Image.Image, rng: random.Random, dpi: int) -> tuple[Image.Image, dict[str, float]]:
    """A flatbed or sheet-feeder scan: skew, blur, noise, uneven contrast and JPEG artefacts."""
    skew = round(rng.uniform(-MAX_SKEW_DEGREES, MAX_SKEW_DEGREES), 2)
    blur = round(rng.uniform(0.2, 0.9) * dpi / 200, 2)
    sigma = round(rng.uniform(4, 14), 1)
    quality = rng.randint(45, 80)
    out = image.rotate(skew, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    out = out.filter(ImageFilter.GaussianBlur(blur))
    out = ImageEnhance.Contrast(out).enhance(rng.uniform(0.8, 1.05))
    out = ImageEnhance.Brightness(out).enhance(rng.uniform(0.95, 1.05))
    out = _noise(out, sigma, rng)
    out = _jpeg(out, quality)
    return out, {"skew_degrees": skew, "blur_radius": blur, "noise_sigma": sigma, "jpeg_quality": quality}


def _solve(matrix: list[list[float]], rhs: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (8 unknowns: no numpy needed)."""
    n = len(rhs)
    a = [[*row, rhs[i]] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        for r in range(n):
            if r != col and a[col][col]:
                factor = a[r][col] / a[col][col]
                a[r] = [x - factor * y for x, y in zip(a[r], a[col], strict=True)]
    return [a[i][n] / a[i][i] for i in range(n)]


def perspective_coefficients(dst: Sequence[tuple[float, float]], src: Sequence[tuple[float, float]]) -> list[float]:
    """Pillow's PERSPECTIVE data mapping output corners ``dst`` back to input corners ``src``."""
    matrix: list[list[float]] = []
    rhs: list[float] = []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        matrix.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        matrix.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    return _solve(matrix, rhs)


def phone_photo(image: Image.Image, rng: random.Random) -> tuple[Image.Image, dict[str, float]]:
    """A receipt photographed on a desk: margin, perspective, uneven light, colour cast, blur, JPEG."""
    w, h = image.size
    margin = int(0.18 * max(w, h))
    desk = Image.new("L", (w + 2 * margin, h + 2 * margin), rng.randint(60, 110))
    desk.paste(image, (margin, margin))
    cw, ch = desk.size
    jitter = 0.035
    corners = [(0.0, 0.0), (cw, 0.0), (cw, ch), (0.0, ch)]
    src = [(x + rng.uniform(-jitter, jitter) * cw, y + rng.uniform(-jitter, jitter) * ch) for x, y in corners]
    coeffs = perspective_coefficients(corners, src)
    warped = desk.transform(desk.size, Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC, fillcolor=70)
    light = Image.linear_gradient("L").rotate(rng.uniform(0, 360)).resize(warped.size)
    light = light.point(lambda p: int(150 + p * 105 / 255))
    lit = ImageChops.multiply(warped, light)
    tint = (rng.randint(235, 255), rng.randint(225, 245), rng.randint(195, 225))
    colour = ImageOps.colorize(lit, black=(20, 18, 15), white=tint)
    colour = colour.filter(ImageFilter.GaussianBlur(rng.uniform(0.6, 1.3)))
    sigma = rng.uniform(5, 12)
    noisy = Image.merge("RGB", [_noise(band, sigma, rng) for band in colour.split()])
    quality = rng.randint(60, 85)
    return _jpeg(noisy, quality), {"perspective_jitter": jitter, "noise_sigma": round(sigma, 1),
                                   "jpeg_quality": quality}  # fmt: skip


def _truths(src: Path) -> list[dict[str, object]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(src.glob("*.truth.json"))]


def scan_folder(src: Path, out: Path, *, dpi: int, limit: int | None = None, seed: int = 0,
                max_pages: int | None = None) -> list[Path]:  # fmt: skip
    """Scans the first ``limit`` documents of ``src`` (of at most ``max_pages``) into ``out``; each keeps its truth."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    truths = _truths(src)
    if max_pages is not None:
        truths = [t for t in truths if int(str(t.get("pages", 1))) <= max_pages]
    for truth in truths[:limit]:
        name = str(truth["file"])
        rng = random.Random(f"{seed}-{dpi}-{name}")
        pages = [degrade_scan(page, rng, dpi) for page in render_pages(src / name, dpi)]
        stem = Path(name).stem + f"-{dpi}dpi"
        if len(pages) == 1:
            target = out / f"{stem}.jpg"
            pages[0][0].save(target, "JPEG", quality=92, dpi=(dpi, dpi))
        else:
            target = out / f"{stem}.pdf"
            first, *rest = [p for p, _ in pages]
            first.save(target, "PDF", save_all=True, append_images=rest, resolution=float(dpi))
        record = dict(truth, file=target.name, source=name, scan={"dpi": dpi, "pages": [m for _, m in pages]})
        (out / f"{stem}.truth.json").write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n",
                                                encoding="utf-8")  # fmt: skip
        written.append(target)
    return written


def photo_folder(src: Path, out: Path, *, seed: int = 0, templates: Sequence[str] = ("receipt",),
                 dpi: int = 220, limit: int | None = None) -> list[Path]:  # fmt: skip
    """Phone photos of the one-page documents of the given templates (receipts by default), at most ``limit``."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for truth in _truths(src):
        if truth.get("template") not in templates or truth.get("pages") != 1:
            continue
        if limit is not None and len(written) >= limit:
            break
        name = str(truth["file"])
        rng = random.Random(f"{seed}-photo-{name}")
        photo, meta = phone_photo(render_pages(src / name, dpi)[0], rng)
        target = out / f"{Path(name).stem}-photo.jpg"
        photo.save(target, "JPEG", quality=90)
        record = dict(truth, file=target.name, source=name, photo=meta)
        (out / f"{Path(name).stem}-photo.truth.json").write_text(
            json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        written.append(target)
    return written


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--src", type=Path, required=True, help="folder written by bench.recognition.devset")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--dpi", type=int, default=200)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--photos", action="store_true", help="phone photos of the receipts instead of scans")
    args = parser.parse_args(argv)
    if not args.src.is_dir() or not any(args.src.glob("*.truth.json")):
        parser.error(f"{args.src} holds no generated documents (*.truth.json)")
    if not 50 <= args.dpi <= 600:
        parser.error("--dpi must lie between 50 and 600")
    if args.photos:
        paths = photo_folder(args.src, args.out, seed=args.seed)
    else:
        paths = scan_folder(args.src, args.out, dpi=args.dpi, limit=args.limit, seed=args.seed)
    print(f"{len(paths)} {'photos' if args.photos else 'scans'} with truth in {args.out}")


if __name__ == "__main__":
    main()
