"""Find the studies in an INPUT path and read them: the entry point of ``cardio_monai.io``.

INPUT is any of: a DICOM cine folder (one series, or ``sax_N/`` subfolders), a 4D NIfTI, an ACDC
patient folder or a folder of them, a Sunnybrook root (``dicoms/``, ``contours/``, ``link.csv``),
a manifest CSV, or a folder holding several studies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from cardio_monai.errors import InputError
from cardio_monai.io.acdc import acdc_group, is_acdc_patient, looks_like_acdc_patient, read_acdc_patient
from cardio_monai.io.dicom import is_dicom_folder, read_dicom_cine
from cardio_monai.io.manifest import apply_manifest_row, read_manifest_rows, row_image
from cardio_monai.io.nifti import is_nifti, nifti_stem, read_nifti_cine, read_phase_frames
from cardio_monai.io.record import StudyRecord
from cardio_monai.io.sunnybrook import is_sunnybrook_root, read_link, read_sunnybrook_subject


@dataclass(frozen=True)
class StudySource:
    """A study found on disk, not read yet: ``read()`` gives the record, ``group()`` the group the
    source names for stratified splits (the ACDC pathology group; None where the source has none)."""

    subject: str
    path: Path
    kind: str
    _reader: Callable[[bool], StudyRecord]
    _group: Callable[[], str | None] | None = None

    def read(self, with_labels: bool = True) -> StudyRecord:
        """The record; a file the system cannot read (permissions, a vanished file) is an :class:`InputError`."""
        try:
            return self._reader(with_labels)
        except OSError as err:
            raise InputError(err.filename or self.path, err.strerror or type(err).__name__) from None

    def group(self) -> str | None:
        return None if self._group is None else self._group()


def read_once(source: StudySource, with_labels: bool = False) -> tuple[StudyRecord, StudySource]:
    """Read ``source`` once and give a source that hands out label-free copies of that record, so that
    several readers' preprocessing chains (each starting with a read) share one read of the files. With
    ``with_labels`` the record returned keeps its labels (evaluation) and the copies keep the phases the
    labels name, never the labels."""
    record = source.read(with_labels=with_labels)
    return record, shared_source(source, record)


def record_source(record: StudyRecord, kind: str) -> StudySource:
    """A source that hands out label-free copies of ``record`` (a study read in memory, e.g. from a DICOM
    series a MONAI Deploy operator selected), for preprocessing chains that start with a read."""
    return StudySource(record.subject, Path(record.source), kind, lambda lab: replace(record, labels={}))


def shared_source(source: StudySource, record: StudyRecord) -> StudySource:
    """``source`` reading as ``record`` (label-free copies) instead of its files: a record read elsewhere
    (e.g. in a worker process) handed to preprocessing chains that start with a read."""
    return StudySource(source.subject, source.path, source.kind, lambda lab: replace(record, labels={}), source._group)


def _single(path: Path) -> StudySource | None:
    """The study at ``path`` if it is one study (not a collection)."""
    if path.is_file() and is_nifti(path):
        return StudySource(nifti_stem(path), path, "nifti", lambda lab, p=path: read_nifti_cine(p))
    if path.is_dir():
        if is_acdc_patient(path) or looks_like_acdc_patient(path):
            return StudySource(
                path.name,
                path,
                "acdc",
                lambda lab, p=path: read_acdc_patient(p, with_labels=lab),
                lambda p=path: acdc_group(p),
            )
        if is_dicom_folder(path):
            return StudySource(path.name, path, "dicom", lambda lab, p=path: read_dicom_cine(p)[0])
    return None


def read_manifest_row(manifest: str | Path, row: dict[str, str], n: int, with_labels: bool = True) -> StudyRecord:
    """The study of one manifest row (line ``n``): its images read here (a row's image may be any study
    form), then the row applied by :func:`cardio_monai.io.manifest.apply_manifest_row`."""
    manifest = Path(manifest)
    image = row_image(manifest, row, n)
    if isinstance(image, tuple):
        record = read_phase_frames(*image, subject=row["subject"], source=manifest)
    else:
        record = read_study(image, with_labels=with_labels)
        record.subject = row["subject"]
    return apply_manifest_row(manifest, row, n, record, with_labels)


def find_studies(path: str | Path) -> list[StudySource]:
    """List the studies of INPUT without reading their pixels.

    Raises:
        InputError: the path does not exist or holds no study.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(path, "does not exist")
    if not (path.is_file() or path.is_dir()):
        raise InputError(path, "not a regular file or folder (a device, pipe or socket)")
    if path.is_file() and path.suffix.lower() == ".csv":
        rows = read_manifest_rows(path)
        return [
            StudySource(r["subject"], path, "manifest", lambda lab, r=r, n=n: read_manifest_row(path, r, n, lab))
            for n, r in enumerate(rows, 2)
        ]
    if path.is_dir() and is_sunnybrook_root(path):
        return [
            StudySource(
                orig, path, "sunnybrook", lambda lab, pid=pid, orig=orig: read_sunnybrook_subject(path, pid, orig, lab)
            )
            for pid, orig in read_link(path)
        ]
    one = _single(path)
    if one is not None:
        return [one]
    if path.is_file():
        raise InputError(path, "not a study: expected a NIfTI file, a manifest .csv or a folder")
    found: list[StudySource] = []
    for child in sorted(path.iterdir()):
        if child.name.startswith("."):
            continue
        if child.is_dir() and is_sunnybrook_root(child):
            found += find_studies(child)
            continue
        study = _single(child)
        if study is not None:
            found.append(study)
    if not found:
        raise InputError(path, "no study found (empty folder or no DICOM, NIfTI, ACDC, Sunnybrook or manifest input)")
    return found


def read_study(path: str | Path, with_labels: bool = True) -> StudyRecord:
    """Read INPUT that holds exactly one study."""
    studies = find_studies(path)
    if len(studies) != 1:
        raise InputError(path, f"holds {len(studies)} studies where one was expected")
    return studies[0].read(with_labels)


def read_studies(path: str | Path, with_labels: bool = True) -> Iterator[StudyRecord]:
    """Read every study of INPUT in turn."""
    for study in find_studies(path):
        yield study.read(with_labels)
