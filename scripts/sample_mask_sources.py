"""Write the real source frames of the shipped sample mask cohort (cardio_monai/data/sample_masks/sources/),
which a background-preserving GauGAN generator needs: for each source subject of the sample's manifest, its
ED and ES frames and label maps cut to the grid of its synthetic subjects (the heart and a margin), in the
ACDC layout, and ``run.json`` pointing at them. Run once from the repository root:

    python scripts/sample_mask_sources.py ACDC_TRAINING_DIR
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np

from cardio_monai.data import SAMPLE_MASKS_DIR
from cardio_monai.io import StudyRecord, find_studies
from cardio_monai.io.nifti import load_label, load_nifti
from cardio_monai.io.writers import write_acdc_patient


def main(acdc: str) -> None:
    sample = Path(SAMPLE_MASKS_DIR)
    with open(sample / "manifest.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    studies = {s.subject: s for s in find_studies(acdc)}
    for subject in sorted({r["source_subject"] for r in rows}):
        row = next(r for r in rows if r["source_subject"] == subject)
        _, affine, _ = load_nifti(sample / row["ed_path"], ndim=(3,))
        z, h, w = load_label(sample / row["ed_path"]).shape
        record = studies[subject].read(with_labels=True)
        r0, c0 = (int(round(v)) for v in np.linalg.solve(record.affine, affine)[:2, 3])
        crop = (slice(None), slice(r0, r0 + h), slice(c0, c0 + w))
        ed, es = record.ed, record.es
        cut = StudyRecord(
            subject=subject,
            frames=np.stack([record.frames[ed][crop], record.frames[es][crop]]).astype(np.float32),
            affine=affine,
            pixel_spacing=record.pixel_spacing,
            slice_spacing=record.slice_spacing,
            ed=0,
            es=1,
            labels={0: record.labels[ed][crop], 1: record.labels[es][crop]},
        )
        write_acdc_patient(cut, sample / "sources" / subject)
    (sample / "run.json").write_text(
        json.dumps({"input": "sources", "note": "made from ACDC training"}, indent=1) + "\n"
    )


if __name__ == "__main__":
    main(sys.argv[1])
