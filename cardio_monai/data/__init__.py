"""Datalists below the workflows: studies, the stratified fold split, 2D frames, batches of stacks,
synthetic cohorts by source subject, and the small sample shipped with the package (derived from one
Sunnybrook subject, CC0)."""

from pathlib import Path

from cardio_monai.data.collate import collate_studies
from cardio_monai.data.frames import frame_augmentation, frame_datalist, frame_tensors, study_frames
from cardio_monai.data.studies import link_studies, split_datalist, split_subjects, study_datalist
from cardio_monai.data.synthetic import draw_by_source, source_datalist, source_split

SAMPLE_DIR = Path(__file__).resolve().parent / "sample_sunnybrook"
"""Sunnybrook-layout root holding the ED and ES frames of SC-HF-I-1 with their contours."""
SAMPLE_MASKS_DIR = Path(__file__).resolve().parent / "sample_masks"
"""A ``synthesize-masks`` output of 3 subjects (from ACDC patient006 and patient012) with those sources'
ED/ES frames around the heart (``sources/``): the GauGAN bundle's default inference input (ACDC terms)."""

__all__ = [
    "SAMPLE_DIR",
    "SAMPLE_MASKS_DIR",
    "collate_studies",
    "draw_by_source",
    "frame_augmentation",
    "frame_datalist",
    "frame_tensors",
    "link_studies",
    "source_datalist",
    "source_split",
    "split_datalist",
    "split_subjects",
    "study_datalist",
    "study_frames",
]
