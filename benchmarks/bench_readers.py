"""Per-study time of each reader of ``predict`` (model loaded, 2 CPU threads) against the bare pass of the
segmentation reader's UNet over the same stack's ED/ES frames, measured in the same run; and the wall time
of ``python -m cardio_monai predict`` on the shipped sample from a cold start (imports, both models, both
readers, the CSV), against its budget of 30 s.

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
from cardio_monai.segmentation import load_segmenter, segment_study

NAME = "bench_readers"
BUDGET_S = 30.0
REPO = Path(__file__).resolve().parents[1]
ACDC = REPO.parent / "shared" / "data" / "acdc" / "training" / "patient001"


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
        + verdict(cold <= BUDGET_S, f"<= {BUDGET_S:.0f} s wall for predict on the sample, imports included")
    )
    report(NAME, "The two readers of predict, per study, and predict's cold start", tab, summary, args.write)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
