"""SFERA regression: the pieces its bundle configs name (batch preparation, loss, handlers,
augmentation, target range, the imbalanced real subset of the pretraining experiment) and prediction of
studies on disk."""

from cardio_monai.regression.augmentation import augmentation
from cardio_monai.regression.batch import SFERABatch
from cardio_monai.regression.cohorts import imbalanced_subset
from cardio_monai.regression.handlers import FitRidgeHead, PredictionWriter
from cardio_monai.regression.head import fit_target_range, sequence_features
from cardio_monai.regression.losses import VolumeSliceLoss
from cardio_monai.regression.predictions import prediction_rows, write_predictions
from cardio_monai.utils.checkpoint import resume_path

__all__ = [
    "FitRidgeHead",
    "PredictionWriter",
    "SFERABatch",
    "VolumeSliceLoss",
    "augmentation",
    "fit_target_range",
    "imbalanced_subset",
    "prediction_rows",
    "resume_path",
    "sequence_features",
    "write_predictions",
]
