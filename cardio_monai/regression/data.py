"""Studies on disk as training and inference items of the SFERA regressor.

One item per study: a data dict that :class:`LoadStudyd` turns into

- ``image``: float32 (2, Z, S, S), ED and ES channels, the whole short-axis stack (no label-based
  slice selection: the network sees what :func:`predict` sees), cropped around the heart found
  from the images (``motion``), never from labels;
- ``slice_spacing``: mm;
- ``volumes``: float32 (2,) reference EDV, ESV in ml (from the label maps, by
  :mod:`cardio_monai.volumes`, or from the manifest); NaN when the study has none (inference);
- ``areas``: float32 (Z, 2) LV cavity area per slice at ED and ES in mm^2 (NaN without label maps);
- ``warning``: "" or what the prediction of this study should be read with (ED/ES estimated).

:func:`collate_studies` pads a batch to its longest stack and adds the (B, Z) ``mask``.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from monai.config import KeysCollection
from monai.data import partition_dataset_classes
from monai.transforms import (
    Compose,
    MapTransform,
    RandAdjustContrastd,
    RandAffined,
    RandFlipd,
    RandGaussianNoised,
    RandRotate90d,
    RandScaleIntensityd,
)

from cardio_monai.constants import (
    CROP_SIZE_PX,
    DEFAULT_CROP_CENTRE,
    LABEL_LV,
    MIN_USABLE_SLICES,
    TARGET_PIXEL_MM,
)
from cardio_monai.io import InputError, StudyRecord, find_studies
from cardio_monai.io.discover import StudySource
from cardio_monai.measure import record_volumes
from cardio_monai.transforms import preprocess_record
from cardio_monai.transforms.phases import estimate_ed_es
from cardio_monai.volumes import slice_areas_mm2

IMAGE, MASK, VOLUMES, AREAS, SPACING = "image", "mask", "volumes", "areas", "slice_spacing"
STUDY, SUBJECT, GROUP, WARNING = "study", "subject", "group", "warning"


def study_datalist(dataset: str | Path | Sequence[StudySource], with_groups: bool = True) -> list[dict[str, Any]]:
    """One item ``{"study": StudySource, "subject": id, "group": str}`` per study of a dataset (any INPUT
    form: DICOM, NIfTI, ACDC, Sunnybrook, manifest). ``group`` (for stratified splits) is the ACDC
    pathology group where the study tells it, else ``"all"``; reading it costs a look at Info.cfg."""
    sources = find_studies(dataset) if isinstance(dataset, str | Path) else list(dataset)
    items = []
    for source in sources:
        group = _acdc_group(source) if with_groups else None
        items.append({STUDY: source, SUBJECT: source.subject, GROUP: group or "all"})
    return items


def _acdc_group(source: StudySource) -> str | None:
    info = source.path / "Info.cfg" if source.kind == "acdc" else None
    if info is None or not info.is_file():
        return None
    for line in info.read_text(errors="replace").splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "Group":
            return value.strip()
    return None


def split_datalist(
    items: Sequence[dict], fold: int = 0, n_folds: int = 5, seed: int = 0
) -> tuple[list[dict], list[dict]]:
    """(train, validation) items of fold ``fold`` of ``n_folds``, stratified by ``group`` (MONAI's
    ``partition_dataset_classes``; deterministic for a seed). ``fold=-1``: all items train, and the
    validation set is the training set (a final fit with no model selection)."""
    items = list(items)
    if fold == -1:
        return items, items
    if not 0 <= fold < n_folds:
        raise ValueError(f"fold={fold}: expected -1 or 0 <= fold < n_folds={n_folds}")
    parts = partition_dataset_classes(items, [i[GROUP] for i in items], num_partitions=n_folds, shuffle=True, seed=seed)
    val = parts[fold]
    val_ids = {i[SUBJECT] for i in val}
    return [i for i in items if i[SUBJECT] not in val_ids], val


def record_targets(record: StudyRecord, require: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Reference (EDV, ESV) in ml (2,) and LV areas per slice at ED and ES in mm^2 (Z, 2) of a record.

    Volumes come from :func:`cardio_monai.measure.record_volumes` (label maps by slice summation, or
    the manifest's volumes); areas from the label maps (NaN where the record has none). Without any
    reference: NaN volumes, or :class:`InputError` when ``require``.
    """
    z = record.frames.shape[1]
    areas = np.full((z, 2), np.nan, dtype=np.float32)
    for k, phase in enumerate((record.ed, record.es)):
        if phase is not None and phase in record.labels:
            areas[:, k] = slice_areas_mm2(record.labels[phase], record.pixel_spacing, LABEL_LV)
    try:
        v = record_volumes(record)
        volumes = np.array([v["EDV_ml"], v["ESV_ml"]], dtype=np.float32)
    except InputError:
        if require:
            raise
        volumes = np.full(2, np.nan, dtype=np.float32)
    return volumes, areas


class LoadStudyd(MapTransform):
    """Read and preprocess the study of ``data[key]`` (a :class:`StudySource`) into the training
    item described in the module docstring. Labels are read only when ``with_targets``.

    Args:
        keys: the key holding the study source (``"study"``); it is dropped from the output.
        pixel_mm: in-plane pixel size after resampling (mm).
        size: crop size (pixels).
        crop_centre: ``motion`` (default), ``image``; never ``label`` (labels do not exist at inference).
        with_targets: read label maps / volumes and add ``volumes`` and ``areas``.
        min_slices: fewer usable slices than this is an :class:`InputError`.
    """

    def __init__(
        self,
        keys: KeysCollection = STUDY,
        pixel_mm: float = TARGET_PIXEL_MM,
        size: int = CROP_SIZE_PX,
        crop_centre: str = DEFAULT_CROP_CENTRE,
        with_targets: bool = True,
        min_slices: int = MIN_USABLE_SLICES,
    ):
        super().__init__(keys)
        if crop_centre == "label":
            raise ValueError('crop_centre="label" would read labels at inference; use "motion" or "image"')
        self.pixel_mm = pixel_mm
        self.size = size
        self.crop_centre = crop_centre
        self.with_targets = with_targets
        self.min_slices = min_slices

    def __call__(self, data: Mapping[Hashable, Any]) -> dict[Hashable, Any]:
        d = dict(data)
        for key in self.key_iterator(d):
            source = d.pop(key)
            record = source.read(with_labels=self.with_targets)
            d.update(self.load(record))
        return d

    def load(self, record: StudyRecord) -> dict[str, Any]:
        """The item of one record (see the module docstring)."""
        warning = ""
        if record.ed is None or record.es is None:
            try:
                record.ed, record.es = estimate_ed_es(record.frames, float(record.pixel_spacing[0]))
            except InputError as err:
                raise InputError(record.source, f"{record.subject}: no ED/ES frames given, and {err.problem}") from None
            warning = f"ED/ES not given: estimated from the images (phases {record.ed} and {record.es})"
        if record.frames.shape[1] < self.min_slices:
            raise InputError(
                record.source,
                f"{record.subject}: {record.frames.shape[1]} slice(s); the regressor needs at least {self.min_slices}",
            )
        pre = preprocess_record(
            record, use_labels=False, crop_centre=self.crop_centre, pixel_mm=self.pixel_mm, size=self.size
        )
        out = {
            IMAGE: torch.as_tensor(pre[IMAGE]),
            SPACING: float(record.slice_spacing),
            SUBJECT: record.subject,
            WARNING: warning,
        }
        if self.with_targets:
            volumes, areas = record_targets(record)
            out[VOLUMES] = torch.as_tensor(volumes)
            out[AREAS] = torch.as_tensor(areas)
        return out


def augmentation(prob: float = 0.5, max_shift_px: int = 8, max_rotate_deg: float = 15.0) -> Compose:
    """Random in-plane changes that keep LV volumes: flips, 90-degree turns, a small rotation and shift
    (no scaling: pixels are millimetres), intensity gamma, scale and noise. ``image`` is (2, Z, H, W),
    seen by MONAI as channel-first 3D with the slice axis first, so every spatial op acts in-plane."""
    rad = float(np.deg2rad(max_rotate_deg))
    return Compose(
        [
            RandFlipd(IMAGE, prob=prob, spatial_axis=1),
            RandFlipd(IMAGE, prob=prob, spatial_axis=2),
            RandRotate90d(IMAGE, prob=prob, spatial_axes=(1, 2)),
            RandAffined(
                IMAGE,
                prob=prob,
                rotate_range=(rad, 0.0, 0.0),
                translate_range=(0, max_shift_px, max_shift_px),
                mode="bilinear",
                padding_mode="zeros",
            ),
            RandAdjustContrastd(IMAGE, prob=prob, gamma=(0.7, 1.5)),
            RandScaleIntensityd(IMAGE, prob=prob, factors=0.1),
            RandGaussianNoised(IMAGE, prob=prob, std=0.03),
        ]
    )


def collate_studies(batch: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Stack studies of different slice counts: ``image`` (B, 2, Zmax, S, S) zero-padded, ``mask`` (B, Zmax)
    bool, ``slice_spacing`` (B,), ``volumes`` (B, 2), ``areas`` (B, Zmax, 2) NaN-padded, ``subject`` list."""
    zmax = max(int(item[IMAGE].shape[1]) for item in batch)
    b = len(batch)
    c, _, h, w = batch[0][IMAGE].shape
    image = torch.zeros((b, c, zmax, h, w), dtype=torch.float32)
    mask = torch.zeros((b, zmax), dtype=torch.bool)
    for i, item in enumerate(batch):
        z = int(item[IMAGE].shape[1])
        image[i, :, :z] = torch.as_tensor(item[IMAGE], dtype=torch.float32)
        mask[i, :z] = True
    out: dict[str, Any] = {
        IMAGE: image,
        MASK: mask,
        SPACING: torch.tensor([float(item[SPACING]) for item in batch], dtype=torch.float32),
        SUBJECT: [item[SUBJECT] for item in batch],
        WARNING: [item.get(WARNING, "") for item in batch],
        GROUP: [item.get(GROUP, "") for item in batch],
    }
    if all(VOLUMES in item for item in batch):
        out[VOLUMES] = torch.stack([torch.as_tensor(item[VOLUMES], dtype=torch.float32) for item in batch])
        areas = torch.full((b, zmax, 2), float("nan"))
        for i, item in enumerate(batch):
            areas[i, : item[AREAS].shape[0]] = torch.as_tensor(item[AREAS], dtype=torch.float32)
        out[AREAS] = areas
    return out
