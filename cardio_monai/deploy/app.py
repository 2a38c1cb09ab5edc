"""The Deploy application: DICOM folder -> LV EDV, ESV, EF -> DICOM SR + PDF report.

Graph (one pass, ``CountCondition(1)`` on the loader)::

    CineDICOMDataLoaderOperator --dicom_study_list--> DICOMSeriesSelectorOperator (MR series, largest first)
      --study_selected_series_list--> CineSeriesOperator --cine--> CardiacFunctionOperator
      --cardiac_function--> DICOMSRWriterOperator, PDFReportWriterOperator

Arguments are the App SDK's (``-i`` input folder, ``-o`` output folder, ``-m`` models folder, ``-l`` log
level; environment ``HOLOSCAN_INPUT_PATH``, ``HOLOSCAN_OUTPUT_PATH``, ``HOLOSCAN_MODEL_PATH`` in a MAP).
The models folder holds the two bundle folders by name; without ``-m`` (and outside a MAP) the bundles
of the package are used.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from monai.deploy.conditions import CountCondition
from monai.deploy.core import Application
from monai.deploy.operators.dicom_series_selector_operator import DICOMSeriesSelectorOperator

from cardio_monai.deploy.cine import CINE_MODALITY
from cardio_monai.deploy.measure import bundle_folders
from cardio_monai.deploy.operators import (
    CINE,
    FUNCTION,
    SELECTED,
    STUDIES,
    CardiacFunctionOperator,
    CineDICOMDataLoaderOperator,
    CineSeriesOperator,
    DICOMSRWriterOperator,
    PDFReportWriterOperator,
)
from cardio_monai.errors import InputError
from cardio_monai.io import check_output

SELECTION_RULES = json.dumps(
    {"selections": [{"name": "SAX cine", "conditions": {"Modality": f"(?i)^{CINE_MODALITY}$"}}]}
)
"""The selector's rule: every MR series; the cine step keeps the largest that reads as a cine stack."""


def models_folder(given: str | None) -> Path | None:
    """The models folder: ``-m``, else ``HOLOSCAN_MODEL_PATH`` (set inside a MAP), else None (the
    package's bundles). Checked here, before the graph runs: it must hold both bundle folders."""
    chosen = given or os.environ.get("HOLOSCAN_MODEL_PATH") or None
    if chosen is not None:
        bundle_folders(chosen)
    return None if chosen is None else Path(chosen)


class CardiacFunctionApp(Application):
    """LV EDV, ESV (ml) and EF (%) with SDs from the short-axis cine series of a DICOM folder.

    After :meth:`run`, :attr:`rows` holds the readers' ``predict`` rows and :attr:`written` the files
    written (the SR, then the PDF).
    """

    def __init__(self, *args, **kwargs):
        self._writers: list = []
        self._readers: CardiacFunctionOperator | None = None
        super().__init__(*args, **kwargs)

    @property
    def rows(self) -> list[dict]:
        return [] if self._readers is None else list(self._readers.rows)

    @property
    def written(self) -> list[Path]:
        return [path for writer in self._writers for path in writer.written]

    def compose(self):
        context = Application.init_app_context(self.argv)
        input_path, output_path = Path(context.input_path), Path(context.output_path)
        if not input_path.is_dir():
            raise InputError(input_path, "is not a folder; -i names a folder of DICOM files")
        check_output(output_path, input_path, file=False)
        models = models_folder(context.args.get("model"))
        loader = CineDICOMDataLoaderOperator(self, CountCondition(self, 1), input_folder=input_path, name="loader")
        selector = DICOMSeriesSelectorOperator(
            self, rules=SELECTION_RULES, all_matched=True, sort_by_sop_instance_count=True, name="selector"
        )
        cine = CineSeriesOperator(self, input_path=input_path, name="cine")
        readers = self._readers = CardiacFunctionOperator(self, models=models, name="readers")
        self._writers = [
            DICOMSRWriterOperator(self, output_folder=output_path, name="sr_writer"),
            PDFReportWriterOperator(self, output_folder=output_path, name="pdf_writer"),
        ]
        self.add_flow(loader, selector, {(STUDIES, STUDIES)})
        self.add_flow(selector, cine, {(SELECTED, SELECTED)})
        self.add_flow(cine, readers, {(CINE, CINE)})
        for writer in self._writers:
            self.add_flow(readers, writer, {(FUNCTION, FUNCTION)})
