"""Both readers together (above the workflows, which never import each other): SFERA and the LV
segmenter run on each study, their combined estimate with a calibrated SD, the agreement flag, and the
segmenter's masks and contour sheets. The ``predict`` command."""

from cardio_monai.readers.combine import Calibration, Combination, fit_combination
from cardio_monai.readers.predict import READERS, parse_readers, predict_studies

__all__ = ["READERS", "Calibration", "Combination", "fit_combination", "parse_readers", "predict_studies"]
