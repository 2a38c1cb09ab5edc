"""Synthetic cohorts: label maps with a uniform EF distribution (``masks``, ``sampler``, ``cohort``)."""

from cardio_monai.synthesis.masks import signed_distance
from cardio_monai.synthesis.sampler import Synthetic, synthesize_subject
from cardio_monai.synthesis.sources import SourceMasks, prepare_source

__all__ = ["SourceMasks", "Synthetic", "prepare_source", "signed_distance", "synthesize_subject"]
