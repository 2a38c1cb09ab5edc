"""Ground-truth LV volumes of studies on disk (the ``volumes`` command's library side)."""

from __future__ import annotations

import warnings
from pathlib import Path

from cardio_monai.columns import VOLUME_COLUMNS, WARNING
from cardio_monai.errors import InputError
from cardio_monai.io import StudyRecord, check_output, find_studies
from cardio_monai.utils import progress, write_csv
from cardio_monai.volumes import check_method, check_thickness, ejection_fraction_pct, lv_volume_ml, volume_problem


def record_volumes(record: StudyRecord, method: str = "summation", thickness_mm: float | None = None) -> dict:
    """EDV, ESV (ml) and EF (%) of one record, from its ED/ES label maps, or from the reference
    volumes it carries (manifest with volume labels only).

    Raises:
        InputError: no ED/ES label maps and no reference volumes.
    """
    edv = esv = None
    if record.ed is not None and record.ed in record.labels:
        edv = lv_volume_ml(record.labels[record.ed], record.voxel_spacing, method, thickness_mm)
    if record.es is not None and record.es in record.labels:
        esv = lv_volume_ml(record.labels[record.es], record.voxel_spacing, method, thickness_mm)
    edv = edv if edv is not None else record.edv_ml
    esv = esv if esv is not None else record.esv_ml
    missing = [n for n, v in (("ED", edv), ("ES", esv)) if v is None]
    if missing:
        raise InputError(record.source, f"{record.subject}: no {' or '.join(missing)} label map or volume")
    problem = volume_problem(edv, esv)
    if problem is not None:
        raise InputError(record.source, f"{record.subject}: {problem}")
    return {"subject": record.subject, "EDV_ml": edv, "ESV_ml": esv, "EF_pct": ejection_fraction_pct(edv, esv)}


def measure_volumes(
    input_path: str | Path,
    out: str | Path,
    method: str = "summation",
    thickness_mm: float | None = None,
    skip_bad: bool = False,
) -> list[dict]:
    """Write ``subject, EDV_ml, ESV_ml, EF_pct`` for every study of INPUT to ``out`` (CSV).

    With ``skip_bad`` a subject that cannot be read gets a row with empty numbers and a
    ``warning`` column; otherwise the first bad subject stops the run and nothing is written.
    """
    method, thickness_mm = check_method(method), check_thickness(thickness_mm)
    studies = find_studies(input_path)
    check_output(out, input_path)
    rows = []
    for study in progress(studies, desc="volumes"):
        try:
            rows.append(record_volumes(study.read(with_labels=True), method, thickness_mm))
        except InputError as exc:
            if not skip_bad:
                raise
            warnings.warn(str(exc), stacklevel=2)
            rows.append({"subject": study.subject, "warning": str(exc)})
    columns = VOLUME_COLUMNS + ((WARNING,) if any(WARNING in r for r in rows) else ())
    write_csv(out, rows, columns)
    return rows
