"""MONAI dictionary transforms (each with its array twin) that turn a study into the network input:
(2, Z, S, S) ED/ES channels at the chosen pixel size, plus the slice spacing. Read, choose phases,
check the slice count, (training) targets, select phases, resample, find the heart, crop, normalise;
the through-plane context of a 2D reader."""

from cardio_monai.transforms.context import RandReverseContextd, ReverseContext, slice_context
from cardio_monai.transforms.heart import FindCropCentred, heart_peak, label_centre, motion_centre
from cardio_monai.transforms.intensity import QuantileNormalise, QuantileNormalised
from cardio_monai.transforms.phases import SelectPhases, SelectPhasesd, estimate_ed_es
from cardio_monai.transforms.pipeline import preprocess_record, preprocessing, study_preprocessing
from cardio_monai.transforms.region import HeartRegion, HeartRegiond, RandHeartRegiond, heart_region
from cardio_monai.transforms.slices import KeepLabelledSlices, KeepLabelledSlicesd, labelled_slice_range
from cardio_monai.transforms.spatial import (
    CropOrPadCentred,
    CropOrPadCentredd,
    RecordShaped,
    ResampleInPlane,
    ResampleInPlaned,
    restore_in_plane,
)
from cardio_monai.transforms.study import (
    ChoosePhasesd,
    ReadStudyd,
    RequireSlicesd,
    StudyTargetsd,
    UnpackRecordd,
    record_targets,
    record_to_dict,
)

__all__ = [
    "ChoosePhasesd",
    "CropOrPadCentred",
    "CropOrPadCentredd",
    "FindCropCentred",
    "HeartRegion",
    "HeartRegiond",
    "KeepLabelledSlices",
    "KeepLabelledSlicesd",
    "QuantileNormalise",
    "QuantileNormalised",
    "RandHeartRegiond",
    "RandReverseContextd",
    "ReadStudyd",
    "RecordShaped",
    "RequireSlicesd",
    "ResampleInPlane",
    "ResampleInPlaned",
    "ReverseContext",
    "SelectPhases",
    "SelectPhasesd",
    "StudyTargetsd",
    "UnpackRecordd",
    "estimate_ed_es",
    "heart_peak",
    "heart_region",
    "label_centre",
    "labelled_slice_range",
    "motion_centre",
    "preprocess_record",
    "preprocessing",
    "record_targets",
    "record_to_dict",
    "restore_in_plane",
    "slice_context",
    "study_preprocessing",
]
