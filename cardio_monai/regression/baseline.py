"""The segmentation baseline SFERA is judged against: a plain MONAI 2D UNet trained on the labelled
ED/ES frames of the training subjects, LV volumes of the held-out subjects by slice summation of
its LV masks (``cardio_monai.volumes``), evaluated exactly as SFERA's predictions are.

Honest like ``predict``: on the held-out subjects it sees the whole stack, cropped around the heart
found from the images, never their labels.

Run: ``python -m cardio_monai.regression.baseline DATASET_DIR --out DIR [--fold 0] [--epochs 10]``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from cardio_monai.constants import LABEL_LV
from cardio_monai.data import frame_datalist, split_datalist, study_datalist
from cardio_monai.engines.segmenter_training import train_segmenter
from cardio_monai.keys import GROUP, IMAGE, STUDY, SUBJECT
from cardio_monai.measure import record_volumes
from cardio_monai.regression.predictions import reference_row, write_predictions, write_reference
from cardio_monai.transforms import preprocess_record
from cardio_monai.utils import progress
from cardio_monai.volumes import lv_volume_ml


@torch.no_grad()
def segment_volumes(net: torch.nn.Module, record, pixel_mm: float, size: int) -> tuple[float, float]:
    """(EDV, ESV) in ml of one study from the segmenter's LV masks on the whole preprocessed stack."""
    d = preprocess_record(record, use_labels=False, crop_centre="motion", pixel_mm=pixel_mm, size=size)
    image = torch.as_tensor(d[IMAGE])  # (2, Z, S, S)
    z = image.shape[1]
    masks = net(image.reshape(2 * z, 1, size, size)).argmax(1).reshape(2, z, size, size).numpy()
    spacing = (pixel_mm, pixel_mm, float(record.slice_spacing))
    edv, esv = (lv_volume_ml((masks[p] == LABEL_LV).astype(np.uint8) * LABEL_LV, spacing) for p in range(2))
    return float(edv), float(esv)


def run_baseline(
    dataset_dir: str,
    out: str,
    fold: int = 0,
    n_folds: int = 5,
    split_seed: int = 0,
    epochs: int = 10,
    pixel_mm: float = 1.5,
    size: int = 128,
    seed: int = 0,
) -> dict[str, Any]:
    """Train the UNet on the training subjects of ``fold`` and write ``OUT/predictions.csv`` and
    ``OUT/reference.csv`` (with groups) for its held-out subjects; returns timing and counts."""
    train, held = split_datalist(study_datalist(dataset_dir), fold, n_folds, split_seed)
    items = frame_datalist(dataset_dir, pixel_mm, size, [i[SUBJECT] for i in train])
    t0 = time.perf_counter()
    net = train_segmenter(items, epochs=epochs, seed=seed)
    train_s = time.perf_counter() - t0
    rows, reference = [], []
    for item in progress(held, desc="baseline"):
        record = item[STUDY].read(with_labels=True)
        ref = record_volumes(record)
        edv, esv = segment_volumes(net, record, pixel_mm, size)
        rows.append(reference_row(record.subject, edv, esv))
        reference.append({**ref, GROUP: item[GROUP]})
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_predictions(out_dir / "predictions.csv", rows)
    write_reference(out_dir / "reference.csv", reference)
    return {"train_frames": 2 * len(items), "train_seconds": round(train_s, 1), "held_out": len(held)}


if __name__ == "__main__":
    import fire

    fire.Fire(run_baseline)
