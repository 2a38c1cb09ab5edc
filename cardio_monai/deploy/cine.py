"""The cine step of the Deploy app: the DICOM instances of one series -> a (T, Z, H, W) cine record.

The App SDK's series-to-volume operator builds one 3D volume and knows no time axis, so the cine is built
by the project's own DICOM reader (:func:`cardio_monai.io.read_dicom_cine`: slices by position along the
normal base -> apex, phases by trigger time, spacing from positions). The reader takes a folder; the files
of the chosen series are linked into a private temporary folder for it, so that other series stored
beside them (localisers, long-axis cines) are never mixed in, and its errors name the original files.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydicom.dataset import Dataset

from cardio_monai.errors import InputError
from cardio_monai.io import StudyRecord, read_dicom_cine

MIN_PHASES = 2
"""A cine gives EDV and ESV only with at least this many phases (ED and ES)."""
CINE_MODALITY = "MR"


@dataclass
class CineSeries:
    """One short-axis cine series read for the readers.

    Attributes:
        record: the cine, frames float32 (T, Z, H, W) base -> apex, ED/ES unset (the readers choose them).
        datasets: the series' SOP instances (pydicom, as the SDK's loader read them): the SR's evidence.
        input_path: the folder the app read (errors and the report name it).
    """

    record: StudyRecord
    datasets: list[Dataset] = field(repr=False)
    input_path: Path

    @property
    def first(self) -> Dataset:
        """The first instance: patient, study and series attributes for the outputs."""
        return self.datasets[0]


def series_label(datasets: Sequence[Dataset]) -> str:
    """``series <SeriesNumber> "<SeriesDescription>"`` for messages (what a person sees in a viewer)."""
    ds = datasets[0]
    description = str(ds.get("SeriesDescription", "") or "").strip()
    return f"series {ds.get('SeriesNumber', '?')}" + (f' "{description}"' if description else "")


def _source_path(ds: Dataset) -> Path:
    name = getattr(ds, "filename", None)
    if not isinstance(name, str | os.PathLike):
        raise InputError(None, "a DICOM instance without a file behind it; the cine reader reads files")
    return Path(name)


def read_cine_series(datasets: Sequence[Dataset], input_path: str | Path, subject: str | None = None) -> CineSeries:
    """The cine of one series, read by :func:`cardio_monai.io.read_dicom_cine` from the instances' files.

    Args:
        datasets: the SOP instances of one series (each with ``filename``), in any order.
        input_path: the folder the app was given (named in errors about the series as a whole).
        subject: the record's subject id (default: PatientID, else the input folder's name).

    Raises:
        InputError: the series is no short-axis stack (one slice location, uneven spacing, ...) or has
            fewer than :data:`MIN_PHASES` phases; the message names the original file or the input folder.
    """
    input_path = Path(input_path)
    if not datasets:
        raise InputError(input_path, "an empty series")
    label = series_label(datasets)
    subject = subject or str(datasets[0].get("PatientID", "") or "").strip() or input_path.name
    with tempfile.TemporaryDirectory(prefix="cardio-monai-cine-") as tmp:
        links: dict[str, Path] = {}
        for i, ds in enumerate(datasets):
            src = _source_path(ds).resolve()
            link = Path(tmp) / f"{i:05d}.dcm"
            link.symlink_to(src)
            links[str(link)] = src
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                record, _ = read_dicom_cine(tmp, subject=subject)
        except InputError as err:
            where = links.get(err.path or "", input_path)
            raise InputError(where, f"{label}: {err.problem}" if where == input_path else err.problem) from None
    for warning in caught:  # the reader's warnings name the temporary folder: name the input instead
        warnings.warn(str(warning.message).replace(tmp, f"{input_path} ({label})"), warning.category, stacklevel=2)
    record.source = str(input_path)
    if record.n_phases < MIN_PHASES:
        raise InputError(
            input_path,
            f"{label} has {record.n_phases} phase per slice location; EDV and ESV need a cine with at least "
            f"{MIN_PHASES} phases (ED and ES)",
        )
    return CineSeries(record=record, datasets=list(datasets), input_path=input_path)


def choose_cine_series(candidates: Sequence[Sequence[Dataset]], input_path: str | Path) -> CineSeries:
    """The first candidate series (most instances first) that reads as a short-axis cine stack.

    Args:
        candidates: the MR series the SDK's selector matched, each a list of SOP instances.

    Raises:
        InputError: no candidate (no MR image series in the folder) or none reads as a cine stack: the
            problem of the largest candidate is given.
    """
    input_path = Path(input_path)
    ordered = sorted((c for c in candidates if c), key=len, reverse=True)
    if not ordered:
        raise InputError(input_path, f"no {CINE_MODALITY} image series; expected a short-axis cine series")
    first_error: InputError | None = None
    for datasets in ordered:
        try:
            return read_cine_series(datasets, input_path)
        except InputError as err:
            first_error = first_error or err
    assert first_error is not None
    if len(ordered) == 1:
        raise first_error
    raise InputError(
        first_error.path,
        f"no short-axis cine series among {len(ordered)} {CINE_MODALITY} series; the largest: {first_error.problem}",
    )
