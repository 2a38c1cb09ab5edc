"""The segmentation workflow: the second, independent reader (a MONAI 2D UNet of LV cavity, myocardium
and RV), its training frames, its inference on whole stacks and its evaluation on held-out studies.
Bundle: ``bundles/cardiac_lv_segmentation``."""

from cardio_monai.segmentation.evaluate import DICE_COLUMNS, dice, evaluate_phases, evaluate_reader
from cardio_monai.segmentation.frames import frame_augmentation, frame_sampler, frame_weights, stack_frames
from cardio_monai.segmentation.losses import CavityAreaDiceCELoss, cavity_area_error
from cardio_monai.segmentation.orientation import (
    ORIENTATION_MARGIN,
    choose_orientation,
    context_slices,
    dihedral,
    frame_labels,
    frame_probabilities,
)
from cardio_monai.segmentation.phases import lv_volume_curve, segmented_ed_es
from cardio_monai.segmentation.predict import DEFAULT_BUNDLE, load_segmenter, segment_study
from cardio_monai.segmentation.reader import (
    SegmentationResult,
    largest_components,
    segment_item,
    stack_volumes,
)
from cardio_monai.segmentation.writer import SegmentationWriter

__all__ = [
    "DEFAULT_BUNDLE",
    "DICE_COLUMNS",
    "ORIENTATION_MARGIN",
    "CavityAreaDiceCELoss",
    "SegmentationResult",
    "SegmentationWriter",
    "cavity_area_error",
    "choose_orientation",
    "context_slices",
    "dice",
    "dihedral",
    "evaluate_phases",
    "evaluate_reader",
    "frame_augmentation",
    "frame_labels",
    "frame_probabilities",
    "frame_sampler",
    "frame_weights",
    "largest_components",
    "load_segmenter",
    "lv_volume_curve",
    "segment_item",
    "segment_study",
    "segmented_ed_es",
    "stack_frames",
    "stack_volumes",
]
