"""Both readers together (above the workflows, which never import each other): SFERA and the LV
segmenter run on each study, their combined estimate with a calibrated SD, the agreement flag, and the
segmenter's masks and contour sheets. The ``predict`` command."""

from cardio_monai.readers.combine import Calibration, Combination, fit_combination
from cardio_monai.readers.merge import merge_predictions
from cardio_monai.readers.predict import READERS, parse_readers, predict_studies

__all__ = [
    "READERS",
    "Calibration",
    "Combination",
    "fit_combination",
    "merge_predictions",
    "parse_readers",
    "predict_studies",
]
