"""The readers step of the Deploy app: both readers on one cine, exactly as ``predict`` runs them.

The bundles load as :func:`cardio_monai.readers.predict.predict_studies` loads them, and each cine is
measured by the same :func:`cardio_monai.readers.predict.measure_study` (ED/ES chosen once for both readers,
SFERA's row, the segmenter's result, the combined row with its SDs); only the study comes from memory (the
cine step) instead of a path, so the numbers are ``predict``'s own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cardio_monai.deploy.cine import CineSeries
from cardio_monai.errors import InputError
from cardio_monai.io import record_source
from cardio_monai.readers.combine import Combination
from cardio_monai.readers.predict import READERS, measure_study
from cardio_monai.readers.predict import load_readers as load_reader_bundles
from cardio_monai.regression.predict import DEFAULT_BUNDLE as SFERA_BUNDLE
from cardio_monai.segmentation.predict import DEFAULT_BUNDLE as SEG_BUNDLE
from cardio_monai.utils.device import resolve_device

BUNDLE_NAMES = (SFERA_BUNDLE.name, SEG_BUNDLE.name)
"""The bundle folders a models folder (``-m``) must hold: SFERA's and the segmenter's."""
DEFAULT_MODELS = SFERA_BUNDLE.parent
"""The bundles that come with the package."""


def bundle_folders(models: str | Path | None) -> tuple[Path, Path]:
    """The SFERA and segmentation bundle folders inside ``models`` (default: the package's bundles).

    Raises:
        InputError: ``models`` lacks one of :data:`BUNDLE_NAMES`.
    """
    root = DEFAULT_MODELS if models is None else Path(models)
    missing = [name for name in BUNDLE_NAMES if not (root / name / "configs").is_dir()]
    if missing:
        raise InputError(root, f"holds no bundle folder {', '.join(missing)}; -m names a folder with both bundles")
    return root / BUNDLE_NAMES[0], root / BUNDLE_NAMES[1]


@dataclass
class Readers:
    """Both readers loaded once: SFERA (network, preprocessing), the segmenter (network, preprocessing,
    grid) and the combination fitted on their cross-validation predictions."""

    sfera: tuple[Any, Any]
    seg: tuple[Any, Any, dict[str, Any]]
    combination: Combination
    device: Any
    bundles: tuple[Path, Path]


def load_readers(models: str | Path | None = None, device: str | None = "cpu") -> Readers:
    """Load both bundles of ``models`` (see :func:`bundle_folders`) on ``device``; weights load with
    ``weights_only=True`` (the bundle loader's rule)."""
    sfera_root, seg_root = bundle_folders(models)
    dev = resolve_device(device)
    sfera, seg, combination = load_reader_bundles(READERS, sfera_root, seg_root, dev)
    return Readers(sfera=sfera, seg=seg, combination=combination, device=dev, bundles=(sfera_root, seg_root))


@dataclass
class CardiacFunction:
    """The readers' answer for one cine.

    Attributes:
        cine: the cine read (its record's ``ed``/``es`` now set: phase indices into T).
        row: ``predict``'s row: ``EDV_ml, ESV_ml, EF_pct, EDV_sd_ml, ESV_sd_ml, EF_sd_pct`` (combined),
            ``sfera_*``, ``seg_*``, ``readers_agree`` where both measured, ``warning`` (may be empty).
        labels: the segmenter's uint8 (2, Z, H, W) ED/ES label maps (0 bg, 1 RV, 2 myocardium, 3 LV
            cavity) in the cine's grid.
    """

    cine: CineSeries
    row: dict[str, Any]
    labels: np.ndarray


def read_function(cine: CineSeries, readers: Readers) -> CardiacFunction:
    """EDV, ESV (ml), EF (%) and their SDs of one cine by both readers and their combination.

    Raises:
        InputError: a reader cannot measure the cine (MONAI's ``Compose`` wrapper removed).
    """
    record = cine.record
    source = record_source(record, "dicom")
    row, result = measure_study(record, source, readers.sfera, readers.seg, readers.combination, readers.device)
    return CardiacFunction(cine=cine, row=row, labels=np.asarray(result.labels, dtype=np.uint8))
