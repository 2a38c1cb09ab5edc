"""One 4D NIfTI cine measured by the project's readers, as ``predict`` measures a study: the readers
loaded once by :func:`cardio_monai.readers.predict.load_readers`, each cine read once and measured by
:func:`~cardio_monai.readers.predict.measure_study` (ED/ES, SFERA, the segmenter, the combined row with
its SDs). No monailabel import: the infer task wraps this module.

Units: volumes in ml, EF in %, SDs in the same units; phases are 0-based indices into the cine's T axis.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np

from cardio_monai.columns import PREDICTION_COLUMNS, READER_COLUMNS, READERS_AGREE, SUBJECT, WARNING
from cardio_monai.errors import InputError, ParameterError
from cardio_monai.io import StudyRecord, find_studies, read_once
from cardio_monai.io.nifti import is_nifti
from cardio_monai.keys import ED, ES
from cardio_monai.readers.predict import load_readers, measure_study, parse_readers
from cardio_monai.utils.device import resolve_device

N_PHASES = "n_phases"
"""Answer key: the number of phases T of the cine."""
ANSWER_KEYS = (SUBJECT, *PREDICTION_COLUMNS[1:], *READER_COLUMNS, WARNING, ED, ES, N_PHASES)
"""The keys of the JSON answer: ``predict``'s columns, then the phases used and the cine's T."""
LABEL_NAMES = {"background": 0, "right ventricle": 1, "myocardium": 2, "left ventricle": 3}
"""The segmentation reader's label values (those of every label map of the package)."""


@dataclass
class CineResult:
    """A cine measured: ``row`` is ``predict``'s row of the study, ``labels`` the segmenter's uint8
    (2, Z, H, W) ED/ES label maps on the cine's pixel grid (None without the segmentation reader)."""

    row: dict[str, Any]
    record: StudyRecord
    labels: np.ndarray | None


def phase_params(params: dict[str, Any]) -> tuple[int | None, int | None]:
    """``ed`` and ``es`` of a request (0-based; both or neither; absent, None or "" is not given).

    Raises:
        ParameterError: one without the other, or a value that is not a whole number >= 0.
    """
    found: dict[str, int | None] = {}
    for key in (ED, ES):
        value = params.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            found[key] = None
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ParameterError(key, f"{value!r} is not a phase index (0-based whole number)") from None
        if isinstance(value, bool) or not number.is_integer() or number < 0:
            raise ParameterError(key, f"{value!r} is not a phase index (0-based whole number)")
        found[key] = int(number)
    if (found[ED] is None) != (found[ES] is None):
        given = ED if found[ED] is not None else ES
        raise ParameterError(given, f"given without {ES if given == ED else ED}: give both phases or neither")
    return found[ED], found[ES]


def set_phases(record: StudyRecord, ed: int | None, es: int | None) -> None:
    """Give the record the request's ED/ES (0-based), checked against its T phases."""
    if ed is None or es is None:
        return
    for key, value in ((ED, ed), (ES, es)):
        if value >= record.n_phases:
            raise ParameterError(key, f"{value} is outside the cine's phases 0..{record.n_phases - 1}")
    if ed == es:
        raise ParameterError(ES, f"{es} is also ed: ED and ES are different phases")
    record.ed, record.es = int(ed), int(es)


class CineReaders:
    """The readers of ``predict`` loaded once (bundles, combination), to measure cines one by one.

    Args:
        readers: ``sfera,seg`` (default), ``sfera`` or ``seg``, as ``predict --readers``.
        bundle, seg_bundle: the SFERA and segmentation bundle folders (default: those of the package).
        device: ``cpu`` or ``cuda``.
    """

    def __init__(
        self,
        readers: str = "sfera,seg",
        bundle: str | Path | None = None,
        seg_bundle: str | Path | None = None,
        device: str | None = "cpu",
    ):
        self.readers = parse_readers(readers)
        self.device = resolve_device(device)
        self.sfera, self.seg, self.combination = load_readers(self.readers, bundle, seg_bundle, self.device)

    def measure(
        self, path: str | Path, ed: int | None = None, es: int | None = None, subject: str | None = None
    ) -> CineResult:
        """Measure the 4D NIfTI cine at ``path`` (X, Y, Z, T), with ED/ES given or, else, estimated; the
        row's ``subject`` is ``subject`` or, as ``predict`` names a NIfTI study, the file name.

        Raises:
            InputError: not a NIfTI file, not 4D (one phase), or a study the readers cannot measure.
            ParameterError: ``ed`` / ``es`` outside the cine's phases, or equal.
        """
        path = Path(path)
        if not is_nifti(path):
            raise InputError(path, "not a NIfTI file (.nii or .nii.gz): a 4D cine (X, Y, Z, T) is needed")
        (study,) = find_studies(path)
        record, source = read_once(study)
        if record.n_phases < 2:
            raise InputError(path, "not a 4D cine: one phase; a 4D NIfTI (X, Y, Z, T) with T >= 2 is needed")
        set_phases(record, ed, es)
        record.subject = subject or record.subject
        row, result = measure_study(record, source, self.sfera, self.seg, self.combination, self.device)
        return CineResult(row, record, None if result is None else result.labels)


def answer(result: CineResult) -> dict[str, Any]:
    """The JSON answer (:data:`ANSWER_KEYS`): numbers as floats, None where a reader gave none."""
    out: dict[str, Any] = {}
    for key in ANSWER_KEYS:
        if key == N_PHASES:
            value: Any = result.record.n_phases
        elif key in (ED, ES):
            value = getattr(result.record, key)
        else:
            value = result.row.get(key)
        if key in (SUBJECT, WARNING):
            out[key] = str(value or "")
        elif value is None or value == "":
            out[key] = None
        elif key == READERS_AGREE:
            out[key] = bool(value)
        else:
            out[key] = int(value) if key in (ED, ES, N_PHASES) else float(value)
    return out


def write_label_map(result: CineResult, folder: str | Path | None = None) -> Path | None:
    """The segmenter's label maps as one uint8 4D NIfTI (X, Y, Z, T) in the cine's geometry, for a viewer:
    labels (:data:`LABEL_NAMES`) at the ED and ES phases, 0 at the others. Written to a new temporary file
    in ``folder`` (default: the system's), whose path is returned; None without the segmentation reader."""
    if result.labels is None:
        return None
    record = result.record
    cine = np.zeros(record.frames.shape, dtype=np.uint8)  # (T, Z, H, W)
    cine[int(record.ed)], cine[int(record.es)] = result.labels[0], result.labels[1]
    image = nib.Nifti1Image(np.transpose(cine, (2, 3, 1, 0)), np.asarray(record.affine, dtype=np.float64))
    image.header.set_zooms((*record.voxel_spacing, 1.0))
    image.set_qform(image.affine, code=1)
    image.set_sform(image.affine, code=1)
    handle, name = tempfile.mkstemp(suffix="_seg.nii.gz", prefix="cardio_monai_", dir=folder)
    os.close(handle)
    try:
        nib.save(image, name)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)
