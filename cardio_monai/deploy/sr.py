"""The SR writer of the Deploy app: a DICOM Comprehensive 3D SR holding a TID 1500 Measurement Report.

One measurement group (TID 1501) per estimate: ``combined`` (what ``predict`` reports, each value with its
predictive SD as a TID 311 statistical property, SCT 386136009 "Standard Deviation") and, when both readers
measured, ``sfera`` and ``seg`` (each reader's own values). Concepts: LV end-diastolic volume LN 8821-1, LV
end-systolic volume LN 8823-7 (ml, UCUM ``ml``), LV ejection fraction by MR LN 8811-2 (%, UCUM ``%``),
finding site SCT left ventricle. The source series' instances are the SR's evidence (Current Requested
Procedure Evidence Sequence), so the SR names the series it was measured on.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import highdicom as hd
import pydicom
from highdicom.sr import CodedConcept
from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes
from pydicom.valuerep import DA, TM

from cardio_monai.utils import atomic_path

ML = CodedConcept("ml", "UCUM", "milliliter")
PERCENT = CodedConcept("%", "UCUM", "percent")
CONCEPTS = {
    "EDV_ml": (CodedConcept("8821-1", "LN", "Left Ventricular ED Volume"), ML),
    "ESV_ml": (CodedConcept("8823-7", "LN", "Left Ventricular ES Volume"), ML),
    "EF_pct": (CodedConcept("8811-2", "LN", "Left ventricular ejection fraction by MR"), PERCENT),
}
"""Column (as :mod:`cardio_monai.columns` names it) -> (concept name, unit)."""
SD_COLUMNS = {"EDV_ml": "EDV_sd_ml", "ESV_ml": "ESV_sd_ml", "EF_pct": "EF_sd_pct"}
STANDARD_DEVIATION = codes.SCT.StandardDeviation
GROUPS = {
    "combined": "both readers combined (predict's estimate)",
    "sfera": "SFERA, segmentation-free regression",
    "seg": "LV segmentation reader",
}
"""Tracking identifier of each measurement group -> the algorithm it reports."""
SR_SERIES_NUMBER = 9501


def _package_version() -> str:
    try:
        return version("cardio-monai")
    except PackageNotFoundError:
        return "0+unknown"


def _measurement(column: str, value: float, sd: float | None) -> hd.sr.Measurement:
    name, unit = CONCEPTS[column]
    properties = None
    if sd is not None:
        spread = hd.sr.NumContentItem(
            name=STANDARD_DEVIATION,
            value=float(sd),
            unit=unit,
            relationship_type=hd.sr.RelationshipTypeValues.HAS_PROPERTIES,
        )
        properties = hd.sr.MeasurementProperties(
            measurement_statistical_properties=hd.sr.MeasurementStatisticalProperties(
                values=[spread], description="predictive standard deviation"
            )
        )
    return hd.sr.Measurement(name=name, value=float(value), unit=unit, properties=properties)


def _group(
    key: str, values: dict[str, float], sds: dict[str, float] | None
) -> hd.sr.MeasurementsAndQualitativeEvaluations:
    return hd.sr.MeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(uid=hd.UID(), identifier=key),
        algorithm_id=hd.sr.AlgorithmIdentification(name=f"cardio-monai {GROUPS[key]}", version=_package_version()),
        finding_sites=[hd.sr.FindingSite(anatomic_location=codes.SCT.LeftVentricle)],
        measurements=[_measurement(c, values[c], None if sds is None else sds[c]) for c in CONCEPTS],
    )


_REFERENCED = ("SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID", "Modality")
_PATIENT_STUDY = ("SpecificCharacterSet", "PatientID", "PatientName", "PatientSex", "AccessionNumber", "StudyID")
_DATES = (("PatientBirthDate", DA), ("StudyDate", DA), ("StudyTime", TM))


def evidence_headers(datasets: Sequence[Dataset]) -> list[Dataset]:
    """Header-only copies of the source instances for the SR: the identifiers it references and the patient
    and study attributes it copies; dates and times that are no valid DICOM value (anonymised ``00000000``)
    are left empty rather than failing the report."""
    out = []
    for ds in datasets:
        ref = Dataset()
        for keyword in (*_REFERENCED, *_PATIENT_STUDY):
            setattr(ref, keyword, ds.get(keyword))
        for keyword, kind in _DATES:
            value = ds.get(keyword)
            try:
                setattr(ref, keyword, kind(value) if value else None)
            except ValueError:
                setattr(ref, keyword, None)
        out.append(ref)
    return out


def build_sr(row: dict[str, Any], evidence: Sequence[Dataset]) -> hd.sr.Comprehensive3DSR:
    """The SR of one ``predict`` row (see :class:`cardio_monai.deploy.measure.CardiacFunction`) measured on
    the instances ``evidence`` (one series; patient and study are taken from them). The source's UIDs are
    referenced as they are, even where they break the UID syntax (anonymised data often does)."""
    previous = pydicom.config.settings.writing_validation_mode
    pydicom.config.settings.writing_validation_mode = pydicom.config.IGNORE
    try:
        return _build_sr(row, evidence)
    finally:
        pydicom.config.settings.writing_validation_mode = previous


def _build_sr(row: dict[str, Any], evidence: Sequence[Dataset]) -> hd.sr.Comprehensive3DSR:
    groups = [_group("combined", row, {c: row[s] for c, s in SD_COLUMNS.items()})]
    for reader in ("sfera", "seg"):
        if all(f"{reader}_{c}" in row for c in CONCEPTS):
            groups.append(_group(reader, {c: row[f"{reader}_{c}"] for c in CONCEPTS}, None))
    observer = hd.sr.ObserverContext(
        observer_type=codes.cid270.Device,
        observer_identifying_attributes=hd.sr.DeviceObserverIdentifyingAttributes(
            uid=hd.UID(), name="cardio-monai", manufacturer_name="cardio-monai", model_name=_package_version()
        ),
    )
    report = hd.sr.MeasurementReport(
        observation_context=hd.sr.ObservationContext(observer_device_context=observer),
        procedure_reported=codes.SCT.CardiacMRI,
        imaging_measurements=groups,
    )
    return hd.sr.Comprehensive3DSR(
        evidence=evidence_headers(evidence),
        content=report,
        series_instance_uid=hd.UID(),
        series_number=SR_SERIES_NUMBER,
        sop_instance_uid=hd.UID(),
        instance_number=1,
        manufacturer="cardio-monai",
        is_complete=True,
        series_description="LV function (EDV, ESV, EF)",
    )


def write_sr(path: str | Path, row: dict[str, Any], evidence: Sequence[Dataset]) -> Path:
    """Build the SR (:func:`build_sr`) and write it to ``path`` atomically; returns the path."""
    sr = build_sr(row, evidence)
    with atomic_path(path) as tmp:
        sr.save_as(tmp, enforce_file_format=True)
    return Path(path)


def _items(container: Dataset):
    for item in container.get("ContentSequence", []):
        yield item
        yield from _items(item)


def read_sr_measurements(path: str | Path) -> dict[str, dict[str, float]]:
    """The measurement groups of an SR written by :func:`write_sr`, read with plain pydicom:
    tracking identifier -> {``EDV_ml``, ``ESV_ml``, ``EF_pct`` and, where present, their SD columns}."""
    by_code = {concept.value: column for column, (concept, _) in CONCEPTS.items()}
    out: dict[str, dict[str, float]] = {}
    for group in _items(pydicom.dcmread(path)):
        if group.get("ValueType") != "CONTAINER" or group.ConceptNameCodeSequence[0].CodeValue != "125007":
            continue
        values: dict[str, float] = {}
        key = ""
        for item in group.ContentSequence:
            code = item.ConceptNameCodeSequence[0].CodeValue
            if item.ValueType == "TEXT" and code == "112039":  # Tracking Identifier
                key = str(item.TextValue)
            if item.ValueType == "NUM" and code in by_code:
                column = by_code[code]
                values[column] = float(item.MeasuredValueSequence[0].NumericValue)
                for prop in _items(item):
                    if prop.get("ValueType") == "NUM" and prop.ConceptNameCodeSequence[0].CodeValue == "386136009":
                        values[SD_COLUMNS[column]] = float(prop.MeasuredValueSequence[0].NumericValue)
        out[key] = values
    return out
