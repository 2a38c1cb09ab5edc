"""The first steps of the regressor's preprocessing, on a whole study: read it, choose its ED and ES
phases, check its slice count, make its training targets, and unpack it into the keys that the array
transforms work on (``image`` (T, Z, H, W), ``ed``, ``es``, ``pixel_spacing``, ``slice_spacing``, ...)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
import torch
from monai.config import KeysCollection
from monai.transforms import MapTransform

from cardio_monai.constants import LABEL_LV, MIN_USABLE_SLICES
from cardio_monai.errors import InputError
from cardio_monai.io import StudyRecord
from cardio_monai.keys import (
    AFFINE,
    AREAS,
    ED,
    ES,
    IMAGE,
    LABEL,
    PIXEL_SPACING,
    RECORD,
    SLICE_SPACING,
    SOURCE,
    STUDY,
    SUBJECT,
    VOLUMES,
    WARNING,
)
from cardio_monai.measure import record_volumes
from cardio_monai.transforms.phases import estimate_ed_es
from cardio_monai.volumes import slice_areas_mm2


def record_to_dict(record: StudyRecord, with_labels: bool = True) -> dict[str, Any]:
    """The data dict the transforms work on: ``image`` (T, Z, H, W), ``label`` {phase: (Z, H, W)},
    ``ed``, ``es``, ``pixel_spacing`` (row_mm, col_mm), ``slice_spacing`` (mm), ``subject``, ``source``."""
    d = {
        IMAGE: record.frames,
        ED: record.ed,
        ES: record.es,
        PIXEL_SPACING: tuple(record.pixel_spacing),
        SLICE_SPACING: float(record.slice_spacing),
        SUBJECT: record.subject,
        SOURCE: record.source,
    }
    if with_labels and record.labels:
        d[LABEL] = record.labels
    return d


class ReadStudyd(MapTransform):
    """Read the study source at ``keys`` (a :class:`cardio_monai.io.StudySource`, dropped) into a
    :class:`~cardio_monai.io.StudyRecord` at ``record_key``.

    Args:
        keys: the key of the study source (``"study"``).
        record_key: where the record goes.
        with_labels: read label maps (training targets); inference leaves it False and never reads them.
    """

    def __init__(self, keys: KeysCollection = STUDY, record_key: str = RECORD, with_labels: bool = False):
        super().__init__(keys)
        self.record_key, self.with_labels = record_key, with_labels

    def __call__(self, data: Mapping[Hashable, Any]) -> dict[Hashable, Any]:
        d = dict(data)
        for key in self.key_iterator(d):
            d[self.record_key] = d.pop(key).read(with_labels=self.with_labels)
        return d


class ChoosePhasesd(MapTransform):
    """The ED and ES phases of the record at ``keys``: those the study names, else estimated from the
    images (:func:`cardio_monai.transforms.phases.estimate_ed_es`, with a note in ``warning_key``; ``""``
    when the study names them).

    Raises:
        InputError: the study names no phases and they cannot be told apart (one phase).
    """

    def __init__(self, keys: KeysCollection = RECORD, warning_key: str = WARNING):
        super().__init__(keys)
        self.warning_key = warning_key

    def __call__(self, data: Mapping[Hashable, Any]) -> dict[Hashable, Any]:
        d = dict(data)
        for key in self.key_iterator(d):
            record: StudyRecord = d[key]
            warning = ""
            if record.ed is None or record.es is None:
                try:
                    record.ed, record.es = estimate_ed_es(record.frames, float(record.pixel_spacing[0]))
                except InputError as err:
                    problem = f"{record.subject}: no ED/ES frames given, and {err.problem}"
                    raise InputError(record.source, problem) from None
                warning = f"ED/ES not given: estimated from the images (phases {record.ed} and {record.es})"
            d[self.warning_key] = warning
        return d


class RequireSlicesd(MapTransform):
    """Refuse a record at ``keys`` that the regressor cannot measure (an :class:`InputError` naming the
    study), rather than give it a number: fewer than ``min_slices`` short-axis slices, a constant image
    (no anatomy), or ED and ES frames that are identical (no motion). Run it after the phases are chosen."""

    def __init__(self, keys: KeysCollection = RECORD, min_slices: int = MIN_USABLE_SLICES):
        super().__init__(keys)
        self.min_slices = int(min_slices)

    def __call__(self, data: Mapping[Hashable, Any]) -> dict[Hashable, Any]:
        for key in self.key_iterator(data):
            record: StudyRecord = data[key]
            if record.n_slices < self.min_slices:
                raise InputError(
                    record.source,
                    f"{record.subject}: {record.n_slices} slice(s); the regressor needs at least {self.min_slices}",
                )
            frames = record.frames
            if float(frames.max()) == float(frames.min()):
                raise InputError(record.source, f"{record.subject}: the image is constant ({float(frames.min()):g})")
            if record.ed is not None and record.es is not None and np.array_equal(frames[record.ed], frames[record.es]):
                raise InputError(record.source, f"{record.subject}: the ED and ES frames are identical (no motion)")
        return dict(data)


def record_targets(record: StudyRecord, require: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Reference (EDV, ESV) in ml (2,) and LV areas per slice at ED and ES in mm^2 (Z, 2) of a record.

    Volumes come from :func:`cardio_monai.measure.record_volumes` (label maps by slice summation, or
    the manifest's volumes); areas from the label maps (NaN where the record has none). Without any
    reference: NaN volumes, or :class:`InputError` when ``require``.
    """
    areas = np.full((record.n_slices, 2), np.nan, dtype=np.float32)
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


class StudyTargetsd(MapTransform):
    """Training targets of the record at ``keys`` (:func:`record_targets`): ``volumes`` float32 (2,) EDV,
    ESV in ml and ``areas`` float32 (Z, 2) LV cavity areas per slice in mm^2, as tensors. Training only:
    it needs the label maps (or the manifest's volumes)."""

    def __init__(self, keys: KeysCollection = RECORD, volumes_key: str = VOLUMES, areas_key: str = AREAS):
        super().__init__(keys)
        self.volumes_key, self.areas_key = volumes_key, areas_key

    def __call__(self, data: Mapping[Hashable, Any]) -> dict[Hashable, Any]:
        d = dict(data)
        for key in self.key_iterator(d):
            volumes, areas = record_targets(d[key])
            d[self.volumes_key], d[self.areas_key] = torch.as_tensor(volumes), torch.as_tensor(areas)
        return d


class UnpackRecordd(MapTransform):
    """Replace the record at ``keys`` by its fields (:func:`record_to_dict`): ``image`` (T, Z, H, W),
    ``ed``, ``es``, ``pixel_spacing``, ``slice_spacing``, ``subject``, ``source``; with ``with_labels``
    also ``label`` {phase: (Z, H, W)} (training a segmenter; inference leaves it False), with
    ``with_affine`` also ``affine`` (4, 4) (writing outputs in the input's geometry)."""

    def __init__(self, keys: KeysCollection = RECORD, with_labels: bool = False, with_affine: bool = False):
        super().__init__(keys)
        self.with_labels, self.with_affine = with_labels, with_affine

    def __call__(self, data: Mapping[Hashable, Any]) -> dict[Hashable, Any]:
        d = dict(data)
        for key in self.key_iterator(d):
            record = d.pop(key)
            d.update(record_to_dict(record, with_labels=self.with_labels))
            if self.with_affine:
                d[AFFINE] = np.asarray(record.affine, dtype=np.float64)
        return d
