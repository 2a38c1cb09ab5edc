"""SFERA regression: studies as training/inference items, engine pieces, and prediction."""

from cardio_monai.regression.cohorts import imbalanced_subset, resume_path, source_datalist, source_split
from cardio_monai.regression.data import (
    LoadStudyd,
    augmentation,
    collate_studies,
    record_targets,
    split_datalist,
    study_datalist,
)
from cardio_monai.regression.engine import (
    FitRidgeHead,
    PredictionWriter,
    SFERABatch,
    VolumeSliceLoss,
    fit_target_range,
    prediction_rows,
    sequence_features,
    write_predictions,
)

__all__ = [
    "FitRidgeHead",
    "LoadStudyd",
    "PredictionWriter",
    "SFERABatch",
    "VolumeSliceLoss",
    "augmentation",
    "collate_studies",
    "fit_target_range",
    "imbalanced_subset",
    "prediction_rows",
    "record_targets",
    "resume_path",
    "sequence_features",
    "source_datalist",
    "source_split",
    "split_datalist",
    "study_datalist",
    "write_predictions",
]
