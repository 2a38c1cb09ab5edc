"""Every project-wide constant lives here: label values, default sizes, tolerances."""

from __future__ import annotations

# Label convention everywhere (ACDC's): 0 background, 1 RV cavity, 2 LV myocardium, 3 LV cavity.
LABEL_BACKGROUND = 0
LABEL_RV = 1
LABEL_MYOCARDIUM = 2
LABEL_LV = 3
LABEL_VALUES = (LABEL_BACKGROUND, LABEL_RV, LABEL_MYOCARDIUM, LABEL_LV)

# Preprocessing of the paper (Gheorghita et al. 2022).
TARGET_PIXEL_MM = 1.0
CROP_SIZE_PX = 150
QUANTILE_LOW_PCT = 3.0
QUANTILE_HIGH_PCT = 97.0

# Image-only heart localisation for the crop (pixels at TARGET_PIXEL_MM): smoothing of the ED-ES
# difference map and width of the prior around the image centre. Chosen on ACDC training
# (docs/preprocessing.md): 30-60 px all keep >= 99 of 100 LVs whole, the image centre 96.
MOTION_SMOOTH_PX = 8.0
HEART_PRIOR_SIGMA_PX = 50.0
DEFAULT_CROP_CENTRE = "motion"
# ED/ES from the images when the input does not name them: mean intensity in a disc this wide (mm)
# around the moving heart is highest at ED, lowest at ES (bright blood; docs/preprocessing.md).
HEART_DISC_RADIUS_MM = 30.0

# Ejection fraction range of the synthetic cohort (%).
EF_MIN_PCT = 10.0
EF_MAX_PCT = 80.0

# Geometry tolerances for DICOM stacks.
PARALLEL_TOL = 1e-3  # 1 - |cos(angle)| between slice normals beyond which slices are not parallel
SAME_POSITION_TOL_MM = 0.5  # slices closer than this along the normal share one location
SPACING_REL_TOL = 0.25  # relative spread of gaps between slice positions tolerated in one stack

# Anatomical direction from heart base to apex in DICOM patient coordinates (LPS): the apex points
# to the patient's left, anterior and inferior. Used to order slices base -> apex.
APEX_DIRECTION_LPS = (1.0, -1.0, -1.0)

# Studies with more subjects than this get a progress bar.
PROGRESS_MIN_SUBJECTS = 3

# Synthetic mask cohort (cardio_monai.synthesis; docs/synthetic_masks.md).
SYN_INTERP_STEPS = 11  # F: SDT interpolation steps between ED and ES, alpha in (0, F)
SYN_GAMMA_ES = (0.7, 1.0)  # rescaling factors applied to ES (shrink), [low, high)
SYN_GAMMA_ED = (1.0, 1.2)  # rescaling factors applied to ED (grow), [low, high)
SYN_PAPER_THICKNESS_MM = 8.0  # the paper's fixed slice thickness for Simpson's rule
SYN_EF_BIN_PCT = 1.0  # sampler: a subject is kept when its EF falls in the fine bin of its target EF
SYN_MAX_TRIES = 40  # sampler: syntheses tried per subject before giving up on it (an error)
SYN_CHI2_BINS = 7  # EF uniformity check: equal bins over [EF_MIN_PCT, EF_MAX_PCT]
# ef_distribution='sources': the target EF is a source's EF plus Gaussian jitter of this SD (EF points),
# redrawn until in [EF_MIN_PCT, EF_MAX_PCT]. Wider than the 1 % fine bin and about the inter-observer SD
# of EF, narrower than a rule-of-thumb KDE bandwidth for 100 sources (~7 points), so clusters survive.
SYN_EF_SOURCE_JITTER_PCT = 3.0

# SFERA regressor (cardio_monai.regression; bundles/cardiac_sfera_regression).
MIN_USABLE_SLICES = 3  # a study with fewer short-axis slices gets an error, not a number

# Contrast realism of the GauGAN bundle (its target, and the rule that picks a generator checkpoint on
# the training subjects): synthetic blood pool / myocardium intensity ratio within this relative
# difference of the real frames'.
CONTRAST_TOLERANCE = 0.2
# Background-preserving synthesis: the painted region is the heart (synthetic and real label maps
# together) dilated by this many generator pixels (9 mm at 1.5 mm); training draws it from the range.
SYN_REGION_MARGIN_PX = 6
SYN_REGION_MARGIN_TRAIN_PX = (3, 12)

# Plausible geometry of a cine short-axis study (mm): spacings outside are refused as corrupt
# headers rather than measured (a pixdim of 0 or 1e30 would give a silent wrong volume).
PIXEL_MM_RANGE = (0.1, 20.0)
SLICE_MM_RANGE = (1.0, 30.0)
# Largest deflate compression ratio (about 1032:1): a .nii.gz declaring more voxel bytes than this
# times its size is corrupt, and is refused before its array is allocated.
GZIP_MAX_RATIO = 1100
