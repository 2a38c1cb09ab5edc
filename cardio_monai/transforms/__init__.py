"""MONAI dictionary transforms (each with its array twin) that turn a study record into the
network input: (2, Z, 150, 150) ED/ES channels at 1 x 1 mm, plus the slice spacing."""

from cardio_monai.transforms.intensity import QuantileNormalise, QuantileNormalised
from cardio_monai.transforms.phases import SelectPhases, SelectPhasesd
from cardio_monai.transforms.pipeline import preprocess_record, preprocessing, record_to_dict
from cardio_monai.transforms.slices import KeepLabelledSlices, KeepLabelledSlicesd, labelled_slice_range
from cardio_monai.transforms.spatial import (
    CropOrPadCentred,
    CropOrPadCentredd,
    FindCropCentred,
    ResampleInPlane,
    ResampleInPlaned,
    label_centre,
    motion_centre,
)

__all__ = [
    "CropOrPadCentred",
    "CropOrPadCentredd",
    "FindCropCentred",
    "KeepLabelledSlices",
    "KeepLabelledSlicesd",
    "QuantileNormalise",
    "QuantileNormalised",
    "ResampleInPlane",
    "ResampleInPlaned",
    "SelectPhases",
    "SelectPhasesd",
    "label_centre",
    "labelled_slice_range",
    "motion_centre",
    "preprocess_record",
    "preprocessing",
    "record_to_dict",
]
