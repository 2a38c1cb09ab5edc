"""Throughput of ``synthesize-images`` (frames/s, reading and writing included) with the GauGAN bundle's
shipped generator (background-preserving: the sources' frames read and blended), on a synthetic mask
cohort made from ACDC training subjects, beside the plain generator of version 0.3.0
(``models/model_plain.pt``); baseline: the same loop reading the label maps and writing them back as
images (everything but the generator).

Run ``python benchmarks/bench_synthesize_images.py [--write] [--n N] [--device cpu|cuda]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import DATA, report, table

from cardio_monai.io.nifti import load_label, load_nifti
from cardio_monai.io.writers import write_nifti
from cardio_monai.synthesis.cohort import synthesize_cohort
from cardio_monai.synthesis.images import (
    DEFAULT_BUNDLE,
    MANIFEST,
    CohortSynthesizer,
    _read_mask_manifest,
    load_generator,
    synthesize_images,
)

NAME = "bench_synthesize_images"
PLAIN = Path(DEFAULT_BUNDLE) / "models" / "model_plain.pt"
ACDC = DATA / Path("acdc/training")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite this section of docs/benchmarks.md")
    parser.add_argument("--n", type=int, default=40, help="synthetic subjects")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        masks, out, copy = Path(tmp) / "masks", Path(tmp) / "images", Path(tmp) / "copy"
        synthesize_cohort(ACDC, masks, args.n, seed=0, workers=2)
        rows = _read_mask_manifest(masks)
        frames = 2 * sum(load_label(masks / r["ed_path"]).shape[0] for r in rows)

        t0 = time.perf_counter()
        synthesize_images(masks, out, device=args.device)
        t_syn = time.perf_counter() - t0
        assert (out / MANIFEST).is_file()

        plain, pixel_mm, size = load_generator(None, args.device, weights=PLAIN, background=False)
        t0 = time.perf_counter()
        CohortSynthesizer(plain, pixel_mm, size, args.device)(masks, Path(tmp) / "plain")
        t_plain = time.perf_counter() - t0

        copy.mkdir()
        t0 = time.perf_counter()
        for r in rows:
            for key in ("ed_path", "es_path"):
                label = load_label(masks / r[key])
                _, affine, _ = load_nifti(masks / r[key], ndim=(3,))
                write_nifti(copy / r[key], label.astype("float32") / 3.0, affine)
        t_base = time.perf_counter() - t0

    tab = table(
        ["step", "seconds", "frames/s", "subjects/s"],
        [
            [f"synthesize-images, {args.device}", t_syn, frames / t_syn, len(rows) / t_syn],
            ["plain generator (0.3.0), same loop", t_plain, frames / t_plain, len(rows) / t_plain],
            ["baseline: read labels + write images", t_base, frames / t_base, len(rows) / t_base],
        ],
    )
    summary = (
        f"{len(rows)} subjects, {frames} frames (ED + ES of every slice): {frames / t_syn:.1f} frames/s on "
        f"{args.threads} {args.device} thread(s); the generator accounts for "
        f"{100 * (1 - t_base / t_syn):.0f} % of the time; the plain generator gives {frames / t_plain:.1f} "
        "frames/s. No budget in the issue; the GPU figure waits for a GPU."
    )
    report(NAME, f"Synthetic cine frames from label maps ({args.device})", tab, summary, args.write)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
