"""Keys of the data dictionaries that transforms, datasets, batches and engine outputs share.

The generic ones are MONAI's (``monai.utils.CommonKeys``, ``GanKeys``), as plain strings; the rest are
this project's. Shapes are those of one item (a batch adds a leading B).
"""

from __future__ import annotations

from monai.utils import CommonKeys, GanKeys

IMAGE: str = CommonKeys.IMAGE.value  # "image": float32 frames, e.g. (2, Z, S, S) ED/ES channels
LABEL: str = CommonKeys.LABEL.value  # "label": integer label maps (0 bg, 1 RV, 2 myocardium, 3 LV)
PRED: str = CommonKeys.PRED.value  # "pred": a network's output in an engine's state.output
LOSS: str = CommonKeys.LOSS.value  # "loss": the scalar a supervised trainer optimises
G_LOSS: str = GanKeys.GLOSS.value  # "g_loss": the generator's total loss (GAN trainers)
D_LOSS: str = GanKeys.DLOSS.value  # "d_loss": the discriminator's loss (GAN trainers)
LOSSES = "losses"  # {name: float} every loss term of an iteration, for handlers (``from_engine``)

STUDY = "study"  # a cardio_monai.io.StudySource, not read yet
RECORD = "record"  # a cardio_monai.io.StudyRecord, read
SUBJECT = "subject"  # the subject id (str)
GROUP = "group"  # the group of a stratified split (str), e.g. the ACDC pathology group
WARNING = "warning"  # "" or what a prediction of the study should be read with
MASK = "mask"  # bool (Z,) slices present (a batch of stacks padded to its longest)
SLICE_SPACING = "slice_spacing"  # mm between slice centres (float)
PIXEL_SPACING = "pixel_spacing"  # (row_mm, col_mm)
VOLUMES = "volumes"  # float32 (2,) reference EDV, ESV in ml (NaN when unknown)
AREAS = "areas"  # float32 (Z, 2) LV cavity area per slice at ED and ES in mm^2 (NaN when unknown)
ED, ES = "ed", "es"  # phase indices into the cine's T axis
SOURCE = "source"  # the path a study came from
CROP_CENTRE = "crop_centre"  # (row, col) pixels: the centre of the crop window
ORIGINAL_SHAPE = "original_shape"  # (H, W) pixels of the input's frames before in-plane resampling
ORIGINAL_SPACING = "original_spacing"  # (row_mm, col_mm) of the input's frames before resampling
RESAMPLED_SHAPE = "resampled_shape"  # (h, w) pixels after in-plane resampling, before the crop
AFFINE = "affine"  # (4, 4) voxel (row, col, slice) -> patient mm of the input
REGION = "region"  # float32 (1, H, W) in {0, 1}: where a background-preserving generator paints
