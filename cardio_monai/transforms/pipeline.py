"""The preprocessing of the paper as one MONAI ``Compose``: a study record becomes a
(2, Z, 150, 150) float32 array (ED, ES channels; 1 x 1 mm pixels; [3, 97] % normalised to [0, 1])
plus its slice spacing in mm. :func:`study_preprocessing` is the same chain from a study on disk, as the
SFERA bundle's configs spell it out (``preprocessing``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from monai.transforms import Compose, DeleteItemsd, EnsureTyped

from cardio_monai.constants import CROP_SIZE_PX, DEFAULT_CROP_CENTRE, MIN_USABLE_SLICES, TARGET_PIXEL_MM
from cardio_monai.io.record import StudyRecord
from cardio_monai.keys import CROP_CENTRE, ED, ES, IMAGE, LABEL, PIXEL_SPACING, SOURCE
from cardio_monai.transforms.heart import FindCropCentred
from cardio_monai.transforms.intensity import QuantileNormalised
from cardio_monai.transforms.phases import SelectPhasesd
from cardio_monai.transforms.slices import KeepLabelledSlicesd
from cardio_monai.transforms.spatial import CropOrPadCentredd, ResampleInPlaned
from cardio_monai.transforms.study import (
    ChoosePhasesd,
    ReadStudyd,
    RequireSlicesd,
    StudyTargetsd,
    UnpackRecordd,
    record_to_dict,
)


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


# Keys the array steps use and the regressor's items do not carry.
INTERMEDIATE_KEYS = (ED, ES, PIXEL_SPACING, SOURCE, CROP_CENTRE)


def study_preprocessing(
    pixel_mm: float = TARGET_PIXEL_MM,
    size: int = CROP_SIZE_PX,
    crop_centre: str = DEFAULT_CROP_CENTRE,
    with_targets: bool = True,
    min_slices: int = MIN_USABLE_SLICES,
) -> Compose:
    """A study source (``{"study": StudySource, ...}``) -> the regressor's item: ``image`` float32 tensor
    (2, Z, size, size) of the whole stack (no label-based slice selection), cropped around the heart
    found from the images, ``slice_spacing`` (mm), ``subject``, ``warning``; with ``with_targets`` also
    ``volumes`` (2,) ml and ``areas`` (Z, 2) mm^2. The chain the bundle configs declare, step by step.

    Args:
        pixel_mm: in-plane pixel size after resampling (mm).
        size: crop size (pixels).
        crop_centre: ``motion`` (default) or ``image``; never ``label`` (labels do not exist at inference).
        with_targets: read label maps / volumes and add the targets (training).
        min_slices: fewer slices than this is an :class:`~cardio_monai.errors.InputError`.
    """
    if crop_centre == "label":
        raise ValueError('crop_centre="label" would read labels at inference; use "motion" or "image"')
    chain = [
        ReadStudyd(with_labels=with_targets),
        ChoosePhasesd(),
        RequireSlicesd(min_slices=min_slices),
        *([StudyTargetsd()] if with_targets else []),
        UnpackRecordd(),
        SelectPhasesd(IMAGE),
        ResampleInPlaned(IMAGE, pixel_mm=pixel_mm),
        FindCropCentred(IMAGE, method=crop_centre),
        CropOrPadCentredd(IMAGE, size=size),
        QuantileNormalised(IMAGE),
        EnsureTyped(IMAGE, data_type="tensor", dtype=torch.float32, track_meta=False),
        DeleteItemsd(list(INTERMEDIATE_KEYS)),
    ]
    return Compose(chain)
