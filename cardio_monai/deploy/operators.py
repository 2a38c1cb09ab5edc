"""The Deploy app's operators (MONAI Deploy App SDK / Holoscan ``Operator`` subclasses).

Each ``compute`` receives one Python object and emits one; the work is done by the plain functions of
:mod:`cardio_monai.deploy.cine`, :mod:`~cardio_monai.deploy.measure`, :mod:`~cardio_monai.deploy.sr` and
:mod:`~cardio_monai.deploy.report`. An :class:`~cardio_monai.errors.InputError` raised in ``compute`` stops
the graph and reaches the caller of ``Application.run`` unchanged, before any writer has run.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pydicom
from monai.deploy.core import Fragment, Operator, OperatorSpec
from monai.deploy.core.domain.dicom_series import DICOMSeries
from monai.deploy.core.domain.dicom_study import DICOMStudy
from monai.deploy.exceptions import ItemNotExistsError
from monai.deploy.operators.dicom_data_loader_operator import DICOMDataLoaderOperator
from pydicom.errors import InvalidDicomError

from cardio_monai.deploy import PDF_SUFFIX, SR_SUFFIX
from cardio_monai.deploy.cine import choose_cine_series
from cardio_monai.deploy.measure import CardiacFunction, Readers, load_readers, read_function
from cardio_monai.deploy.report import write_report
from cardio_monai.deploy.sr import write_sr
from cardio_monai.errors import InputError
from cardio_monai.io import safe_name

CINE = "cine"
FUNCTION = "cardiac_function"
STUDIES = DICOMDataLoaderOperator.DEFAULT_OUTPUT_NAME  # "dicom_study_list"
SELECTED = "study_selected_series_list"  # the SDK selector's output name
logger = logging.getLogger(__name__)


class CineDICOMDataLoaderOperator(DICOMDataLoaderOperator):
    """The SDK's DICOM loader, keeping every instance of a series.

    The SDK's loader keeps one instance per ImagePositionPatient in a series (a 3D volume's rule); a
    cine has one instance per position *and phase*, so this loader keeps them all and leaves the grouping
    by position and trigger time to the cine step. Output ``dicom_study_list``: a list of ``DICOMStudy``.
    """

    def load_data_to_studies(self, input_path: Path) -> list[DICOMStudy]:
        """The studies of the folder (files read recursively); no DICOM study is an :class:`InputError`."""
        try:
            return super().load_data_to_studies(Path(input_path))
        except ItemNotExistsError:
            raise InputError(input_path, "no DICOM files found (no readable DICOM instance in the folder)") from None

    def _load_data(self, files: list[str]) -> list[DICOMStudy]:
        studies: dict[str, DICOMStudy] = {}
        series: dict[str, DICOMSeries] = {}
        previous = pydicom.config.settings.reading_validation_mode
        pydicom.config.settings.reading_validation_mode = pydicom.config.IGNORE  # anonymised UIDs, odd dates
        try:
            for file in sorted(files):
                try:
                    ds = pydicom.dcmread(file)
                except (InvalidDicomError, OSError, EOFError, ValueError) as err:
                    logger.info("ignored %s: %s", file, type(err).__name__)
                    continue
                if not all(k in ds for k in ("SOPInstanceUID", "SOPClassUID", "StudyInstanceUID", "SeriesInstanceUID")):
                    logger.info("ignored %s: no SOP, study or series UID", file)
                    continue
                if str(ds.SOPClassUID) in self.SOP_CLASSES_TO_IGNORE:
                    continue
                study_uid, series_uid = str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID)
                if study_uid not in studies:
                    studies[study_uid] = DICOMStudy(study_uid)
                    self.populate_study_attributes(studies[study_uid], ds)
                if series_uid not in series:
                    series[series_uid] = DICOMSeries(series_uid)
                    self.populate_series_attributes(series[series_uid], ds)
                    studies[study_uid].add_series(series[series_uid])
                series[series_uid].add_sop_instance(ds)
        finally:
            pydicom.config.settings.reading_validation_mode = previous
        return list(studies.values())


class CineSeriesOperator(Operator):
    """The selected series -> the short-axis cine (:class:`cardio_monai.deploy.cine.CineSeries`, frames
    float32 (T, Z, H, W), base -> apex), read by the project's DICOM reader.

    Input ``study_selected_series_list`` (the SDK selector's output); output ``cine``.
    """

    def __init__(self, fragment: Fragment, *args, input_path: Path, **kwargs):
        self.input_path = Path(input_path)
        super().__init__(fragment, *args, **kwargs)

    def setup(self, spec: OperatorSpec):
        spec.input(SELECTED)
        spec.output(CINE)

    def compute(self, op_input, op_output, context):
        selections = op_input.receive(SELECTED) or []
        candidates = [
            [instance.get_native_sop_instance() for instance in selected.series.get_sop_instances()]
            for study in selections
            for selected in study.selected_series
        ]
        cine = choose_cine_series(candidates, self.input_path)
        logger.info("cine %s: %s phases x %s slices", cine.record.subject, cine.record.n_phases, cine.record.n_slices)
        op_output.emit(cine, CINE)


class CardiacFunctionOperator(Operator):
    """Both readers on the cine, as ``predict`` runs them (:func:`cardio_monai.deploy.measure.read_function`).

    Input ``cine``; output ``cardiac_function`` (:class:`~cardio_monai.deploy.measure.CardiacFunction`).
    The bundles load on the first cine, so that a bad input fails before any weight is read.
    """

    def __init__(self, fragment: Fragment, *args, models: Path | None = None, device: str = "cpu", **kwargs):
        self.models = models
        self.device = device
        self._readers: Readers | None = None
        self.rows: list[dict] = []
        super().__init__(fragment, *args, **kwargs)

    def setup(self, spec: OperatorSpec):
        spec.input(CINE)
        spec.output(FUNCTION)

    def compute(self, op_input, op_output, context):
        cine = op_input.receive(CINE)
        if self._readers is None:
            self._readers = load_readers(self.models, self.device)
        result = read_function(cine, self._readers)
        row = result.row
        self.rows.append(row)
        logger.info(
            "%s: EDV %.1f ml, ESV %.1f ml, EF %.1f %%", row["subject"], row["EDV_ml"], row["ESV_ml"], row["EF_pct"]
        )
        op_output.emit(result, FUNCTION)


class _WriterOperator(Operator):
    """A writer: input ``cardiac_function``, one file ``<PatientID><suffix>`` in ``output_folder``."""

    suffix = ""

    def __init__(self, fragment: Fragment, *args, output_folder: Path, **kwargs):
        self.output_folder = Path(output_folder)
        self.written: list[Path] = []
        super().__init__(fragment, *args, **kwargs)

    def setup(self, spec: OperatorSpec):
        spec.input(FUNCTION)

    def target(self, result: CardiacFunction) -> Path:
        return self.output_folder / f"{safe_name(result.cine.record.subject)}{self.suffix}"

    def write(self, path: Path, result: CardiacFunction) -> Path:
        raise NotImplementedError

    def compute(self, op_input, op_output, context):
        result = op_input.receive(FUNCTION)
        path = self.write(self.target(result), result)
        self.written.append(path)
        logger.info("wrote %s", path)


class DICOMSRWriterOperator(_WriterOperator):
    """Writes the Comprehensive 3D SR (TID 1500, :func:`cardio_monai.deploy.sr.write_sr`) referencing the
    source series."""

    suffix = SR_SUFFIX

    def write(self, path: Path, result: CardiacFunction) -> Path:
        return write_sr(path, result.row, result.cine.datasets)


class PDFReportWriterOperator(_WriterOperator):
    """Writes the one-page PDF report (:func:`cardio_monai.deploy.report.write_report`)."""

    suffix = PDF_SUFFIX

    def write(self, path: Path, result: CardiacFunction) -> Path:
        return write_report(path, result)
