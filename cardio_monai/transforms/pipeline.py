"""The preprocessing of the paper as one MONAI ``Compose``: a study record becomes a
(2, Z, 150, 150) float32 array (ED, ES channels; 1 x 1 mm pixels; [3, 97] % normalised to [0, 1])
plus its slice spacing in mm."""

from __future__ import annotations

from typing import Any

import numpy as np
from monai.transforms import Compose

from cardio_monai.constants import CROP_SIZE_PX, DEFAULT_CROP_CENTRE, TARGET_PIXEL_MM
from cardio_monai.io.record import StudyRecord
from cardio_monai.transforms.intensity import QuantileNormalised
from cardio_monai.transforms.phases import SelectPhasesd
from cardio_monai.transforms.slices import KeepLabelledSlicesd
from cardio_monai.transforms.spatial import CropOrPadCentredd, FindCropCentred, ResampleInPlaned

IMAGE, LABEL = "image", "label"


def record_to_dict(record: StudyRecord, with_labels: bool = True) -> dict[str, Any]:
    """The data dict the transforms work on: ``image`` (T, Z, H, W), ``label`` {phase: (Z, H, W)},
    ``ed``, ``es``, ``pixel_spacing`` (row_mm, col_mm), ``slice_spacing`` (mm), ``subject``, ``source``."""
    d = {
        IMAGE: record.frames,
        "ed": record.ed,
        "es": record.es,
        "pixel_spacing": tuple(record.pixel_spacing),
        "slice_spacing": float(record.slice_spacing),
        "subject": record.subject,
        "source": record.source,
    }
    if with_labels and record.labels:
        d[LABEL] = record.labels
    return d


def preprocessing(
    use_labels: bool = False,
    crop_centre: str = DEFAULT_CROP_CENTRE,
    pixel_mm: float = TARGET_PIXEL_MM,
    size: int = CROP_SIZE_PX,
) -> Compose:
    """The preprocessing chain.

    Args:
        use_labels: keep only base-to-apex slices where ED/ES labels exist, and crop/resample the
            labels along (training targets). Inference leaves it False: it never reads labels.
        crop_centre: ``image`` (the paper's centred crop), ``motion`` (heart found from the ED-ES
            difference) or ``label`` (LV centroid; needs labels).
        pixel_mm: in-plane pixel size after resampling (mm).
        size: crop size (pixels).
    """
    keys = [IMAGE, LABEL] if use_labels else [IMAGE]
    chain = [SelectPhasesd(IMAGE, label_keys=[LABEL] if use_labels else [])]
    if use_labels:
        chain.append(KeepLabelledSlicesd(IMAGE, label_key=LABEL))
    chain += [
        ResampleInPlaned(keys, pixel_mm=pixel_mm, mode=["bilinear", "nearest"][: len(keys)], allow_missing_keys=True),
        FindCropCentred(IMAGE, method=crop_centre, label_key=LABEL),
        CropOrPadCentredd(keys, size=size, allow_missing_keys=True),
        QuantileNormalised(IMAGE),
    ]
    return Compose(chain)


def preprocess_record(
    record: StudyRecord, use_labels: bool = False, crop_centre: str = DEFAULT_CROP_CENTRE, **kw
) -> dict[str, Any]:
    """Run :func:`preprocessing` on a record. ``image`` comes out float32 (2, Z, size, size)."""
    d = preprocessing(use_labels=use_labels, crop_centre=crop_centre, **kw)(record_to_dict(record, use_labels))
    d[IMAGE] = np.ascontiguousarray(d[IMAGE], dtype=np.float32)
    return d
