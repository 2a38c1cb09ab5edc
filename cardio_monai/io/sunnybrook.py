"""Sunnybrook Cardiac Data layout: ``dicoms/<id>/*.dcm``, ``contours/<original_id>/{i,o}-contours/``
(``contourfiles/`` elsewhere) and ``link.csv`` (``patient_id, original_id``).

Contour ``IM-0001-NNNN-icontour-manual.txt`` belongs to ``dicoms/<id>/NNNN.dcm`` (file named by
InstanceNumber). Label maps: 3 = LV cavity inside the i-contour; 2 = myocardium between the o- and
i-contours where both exist. ED is the contoured phase with the larger LV volume, ES the smaller.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np

from cardio_monai.constants import LABEL_LV, LABEL_MYOCARDIUM
from cardio_monai.errors import InputError
from cardio_monai.io.contours import polygon_mask, read_contour
from cardio_monai.io.dicom import read_dicom_cine
from cardio_monai.io.manifest import csv_text
from cardio_monai.io.record import StudyRecord
from cardio_monai.volumes import lv_volume_ml

LINK_FILE = "link.csv"
CONTOUR_DIRS = ("contours", "contourfiles")
CONTOUR_NAME = re.compile(r"IM-\d+-(\d+)-([io])contour-manual\.txt$", re.IGNORECASE)


def is_sunnybrook_root(folder: Path) -> bool:
    folder = Path(folder)
    return (folder / LINK_FILE).is_file() and (folder / "dicoms").is_dir()


def read_link(root: Path) -> list[tuple[str, str]]:
    """(dicom folder id, original id) pairs from ``link.csv``."""
    path = Path(root) / LINK_FILE
    with csv_text(path) as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or not {"patient_id", "original_id"} <= set(reader.fieldnames):
            raise InputError(path, "needs the columns patient_id, original_id")
        pairs = [((row["patient_id"] or "").strip(), (row["original_id"] or "").strip()) for row in reader]
    pairs = [(pid, orig) for pid, orig in pairs if pid]
    for pid, orig in pairs:
        if not orig or Path(pid).name != pid or Path(orig).name != orig or pid in (".", ".."):
            raise InputError(path, f"patient {pid!r}, original id {orig!r}: ids must be plain folder names")
    if not pairs:
        raise InputError(path, "lists no subjects")
    return pairs


def contour_folder(root: Path, original_id: str) -> Path | None:
    for name in CONTOUR_DIRS:
        folder = Path(root) / name / original_id
        if folder.is_dir():
            return folder
    return None


def read_sunnybrook_subject(
    root: str | Path, patient_id: str, original_id: str, with_labels: bool = True
) -> StudyRecord:
    """One Sunnybrook subject as a record with label maps at its contoured phases."""
    root = Path(root)
    dicom_dir = root / "dicoms" / patient_id
    if not dicom_dir.is_dir():
        raise InputError(dicom_dir, f"DICOM folder of {original_id} (from {LINK_FILE}) not found")
    record, index = read_dicom_cine(dicom_dir, subject=original_id)
    record.source = str(dicom_dir)
    folder = contour_folder(root, original_id)
    if not with_labels or folder is None:
        return record
    by_instance = {}
    for path in index:
        stem = path.stem
        if stem.isdigit():
            by_instance[int(stem)] = path
    shape = record.frames.shape[2:]
    inner: dict[tuple[int, int], np.ndarray] = {}
    outer: dict[tuple[int, int], np.ndarray] = {}
    for path in sorted(folder.rglob("*contour-manual.txt")):
        match = CONTOUR_NAME.search(path.name)
        if not match:
            continue
        instance, kind = int(match.group(1)), match.group(2).lower()
        if instance not in by_instance:
            raise InputError(path, f"no DICOM file with instance {instance} in {dicom_dir}")
        key = index[by_instance[instance]]
        (inner if kind == "i" else outer)[key] = polygon_mask(read_contour(path), shape)
    phases = sorted({t for t, _ in inner})
    for t in phases:
        label = np.zeros(record.frames.shape[1:], dtype=np.uint8)
        for (tt, z), mask in outer.items():
            if tt == t and (t, z) in inner:
                label[z][mask] = LABEL_MYOCARDIUM
        for (tt, z), mask in inner.items():
            if tt == t:
                label[z][mask] = LABEL_LV
        record.labels[t] = label
    if phases:
        vols = {t: lv_volume_ml(record.labels[t], record.voxel_spacing) for t in phases}
        record.ed = max(vols, key=vols.get)
        if len(phases) > 1:
            record.es = min(vols, key=vols.get)
    return record


def sunnybrook_subjects(root: str | Path) -> list[tuple[str, str]]:
    return read_link(Path(root))
