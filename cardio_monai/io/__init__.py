"""Readers: every study on disk becomes a :class:`StudyRecord` here and nowhere else."""

from cardio_monai.errors import InputError
from cardio_monai.io.acdc import read_acdc_patient
from cardio_monai.io.dicom import read_dicom_cine
from cardio_monai.io.discover import (
    StudySource,
    find_studies,
    read_once,
    read_studies,
    read_study,
    record_source,
    shared_source,
)
from cardio_monai.io.manifest import read_manifest_rows
from cardio_monai.io.nifti import load_label, read_nifti_cine
from cardio_monai.io.outputs import check_output, safe_name
from cardio_monai.io.record import StudyRecord
from cardio_monai.io.sunnybrook import read_sunnybrook_subject

__all__ = [
    "InputError",
    "StudyRecord",
    "StudySource",
    "check_output",
    "find_studies",
    "load_label",
    "read_acdc_patient",
    "read_dicom_cine",
    "read_manifest_rows",
    "read_nifti_cine",
    "read_once",
    "read_studies",
    "read_study",
    "read_sunnybrook_subject",
    "record_source",
    "safe_name",
    "shared_source",
]
