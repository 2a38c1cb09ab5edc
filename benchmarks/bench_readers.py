"""Per-study time of each reader of ``predict`` (model loaded, 2 CPU threads) against the bare pass of the
segmentation reader's UNet over the same stack's ED/ES frames, measured in the same run; and the wall time
of ``python -m cardio_monai predict`` on the shipped sample from a cold start (imports, both models, both
readers, the CSV), against its budget of 30 s. Where the Sunnybrook cines are there, also the segmenter's
search for ED and ES in a cine that does not name them (SC-HF-I-1, 20 phases: what ``predict`` and the
MONAI Label task do first for such a study), against the same baseline.

Study: ACDC patient001 (10 slices) when ``../shared/data`` is there, else the shipped sample.
Run ``python benchmarks/bench_readers.py [--write] [--repeats N]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import best_cold_wall, median, report, table, time_once, verdict

from cardio_monai.data import SAMPLE_DIR
from cardio_monai.io import find_studies, read_once
from cardio_monai.keys import IMAGE, STUDY, SUBJECT
from cardio_monai.regression.predict import load_bundle, predict_study
from cardio_monai.segmentation import frame_labels, frame_probabilities, load_segmenter, segment_study, segmented_ed_es
from cardio_monai.transforms import CropOrPadCentred, QuantileNormalise

NAME = "bench_readers"
BUDGET_S = 30.0
REPO = Path(__file__).resolve().parents[1]
ACDC = REPO.parent / "shared" / "data" / "acdc" / "training" / "patient001"
SUNNYBROOK = REPO.parent / "shared" / "data" / "sunnybrook"
CINE = "SC-HF-I-1"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite this section of docs/benchmarks.md")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    study = find_studies(ACDC if ACDC.exists() else SAMPLE_DIR)[0]
    sfera, seg = load_bundle(None), load_segmenter(None)
    item = seg[1]({STUDY: study, SUBJECT: study.subject})
    frames = torch.as_tensor(np.asarray(item[IMAGE])).reshape(-1, 1, *item[IMAGE].shape[-2:])

    def timed(fn) -> float:
        with torch.inference_mode():
            fn()
            return median([time_once(fn) for _ in range(args.repeats)])

    t_unet = timed(lambda: seg[0](frames))
    t_read = timed(lambda: study.read(with_labels=False))
    t_sfera = timed(lambda: predict_study(*sfera, study))
    t_seg = timed(lambda: segment_study(*seg[:2], study))

    def both() -> None:
        _, source = read_once(study)
        predict_study(*sfera, source)
        segment_study(*seg[:2], source)

    t_both = timed(both)
    rows = [
        [f"bare UNet pass, {frames.shape[0]} frames of {frames.shape[-1]} px (baseline)", t_unet, 1.0],
        ["read the study (files -> StudyRecord)", t_read, t_read / t_unet],
        ["SFERA reader: read, preprocess, network, ridge head", t_sfera, t_sfera / t_unet],
        [
            "segmentation reader: read, preprocess, UNet, back to the input grid, components, volumes",
            t_seg,
            t_seg / t_unet,
        ],
        ["both readers on one read (predict's loop)", t_both, t_both / t_unet],
    ]
    cines = [s for s in find_studies(SUNNYBROOK) if s.subject == CINE] if SUNNYBROOK.exists() else []
    if cines:
        cine = cines[0].read(with_labels=False)
        geometry = (cine.frames, cine.pixel_spacing, cine.slice_spacing)
        t_cine = timed(lambda: segmented_ed_es(seg[0], *geometry, **seg[2]))
        shape = "x".join(str(n) for n in cine.frames.shape[:2])
        rows.append([f"ED/ES of a cine by the segmenter ({CINE}, {shape} phases x slices)", t_cine, t_cine / t_unet])
        x = torch.as_tensor(
            np.asarray(QuantileNormalise()(CropOrPadCentred(seg[2]["window"])(cine.frames)), dtype=np.float32)
        )
        labels = frame_labels(seg[0], x, orientation=3)
        if not torch.equal(labels, frame_probabilities(seg[0], x, 32, 3).argmax(1).to(torch.uint8)):
            raise SystemExit("frame_labels differs from the argmax of frame_probabilities")
        t_old = timed(lambda: frame_probabilities(seg[0], x, 32, 3).argmax(1))
        t_new = timed(lambda: frame_labels(seg[0], x, orientation=3))
        n = x.shape[0] * x.shape[1]
        rows.append(
            [
                f"labels of its {n} frames, one orientation: argmax of the stack's probabilities, 32 a pass (before)",
                t_old,
                t_old / t_unet,
            ]
        )
        rows.append(
            ["the same labels taken pass by pass, 16 a pass (`frame_labels`, now; identical)", t_new, t_new / t_unet]
        )
    with tempfile.TemporaryDirectory() as tmp:
        predict = [sys.executable, "-m", "cardio_monai", "predict", "--out", str(Path(tmp) / "p.csv")]
        cold = best_cold_wall(predict, 2, tmp)
    rows.append(
        ["`python -m cardio_monai predict` on the shipped sample, cold process (best of 2)", cold, cold / t_unet]
    )
    tab = table([f"per study ({study.subject}, {frames.shape[0] // 2} slices)", "seconds", "ratio to UNet pass"], rows)
    summary = (
        f"Both readers cost {t_both:.2f} s a study on {args.threads} CPU threads ({t_both / t_unet:.1f}x the bare "
        f"UNet pass); predict on the sample from a cold start {cold:.1f} s. "
        + (f"A cine's labels pass by pass: {t_old / t_new:.1f}x faster than before, identical. " if cines else "")
        + verdict(cold <= BUDGET_S, f"<= {BUDGET_S:.0f} s wall for predict on the sample, imports included")
    )
    report(NAME, "The two readers of predict, per study, and predict's cold start", tab, summary, args.write)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
