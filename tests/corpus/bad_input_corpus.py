"""A corpus of malformed studies and misuses, built in a temporary folder from the phantom and the
shipped Sunnybrook sample (and the shared data where present): ``CASES`` maps a case name to a builder
``build(root) -> Case``. The contract test runs every CLI command on every case."""

from __future__ import annotations

import gzip
import io
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import nibabel as nib
import numpy as np
import pydicom

from cardio_monai.io.phantom import make_phantom
from cardio_monai.io.writers import write_acdc_patient

REPO = Path(__file__).resolve().parents[2]
SAMPLE_DICOMS = REPO / "cardio_monai" / "data" / "sample_sunnybrook" / "dicoms" / "SCD0000101"
COMMANDS = ("volumes", "predict", "merge", "synthesize-masks", "synthesize-images", "evaluate", "finetune")


@dataclass
class Case:
    """One bad input: ``input`` given to every command (``argv`` overrides a command's arguments),
    ``errors``: command -> words its one error line must hold (a command not named may succeed)."""

    input: Path
    errors: dict[str, str] = field(default_factory=dict)
    argv: dict[str, list[str]] = field(default_factory=dict)
    out: dict[str, str] = field(default_factory=dict)  # command -> --out (default OUT/<command>)


def _phantom(root: Path, name: str = "patient001", **kw) -> Path:
    record, _ = make_phantom(n_phases=6, n_slices=4, shape=(48, 48), pixel_mm=3.0, seed=1, es_phase=3, **kw)
    return write_acdc_patient(record, root / name)


def _edit_pixdim(path: Path, index: int, value: float) -> None:
    """Write ``value`` into pixdim[index] of a .nii.gz as raw header bytes (nibabel would fix it on save)."""
    body = gzip.decompress(path.read_bytes())
    hdr = nib.Nifti1Header.from_fileobj(io.BytesIO(body), check=False)
    hdr["pixdim"][index] = value
    block = hdr.binaryblock
    path.write_bytes(gzip.compress(block + body[len(block) :]))


def _pixdim(index: int, value: float, words: str) -> Callable[[Path], Case]:
    def build(root: Path) -> Case:
        patient = _phantom(root)
        _edit_pixdim(patient / "patient001_frame01.nii.gz", index, value)
        return Case(patient, {"volumes": words, "predict": words})

    return build


def _info(text_from: str, text_to: str, words: str, predict: str | None = None) -> Callable[[Path], Case]:
    def build(root: Path) -> Case:
        patient = _phantom(root)
        info = patient / "Info.cfg"
        info.write_text(info.read_text().replace(text_from, text_to))
        errors = {"volumes": words}
        if predict:
            errors["predict"] = predict
        return Case(patient, errors)

    return build


def _empty_es(root: Path) -> Case:
    patient = _phantom(root)
    gt = patient / "patient001_frame04_gt.nii.gz"
    img = nib.load(gt)
    data = np.asanyarray(img.dataobj).copy()
    data[data == 3] = 2
    nib.save(nib.Nifti1Image(data, img.affine, img.header), gt)
    return Case(patient, {"volumes": "ESV"})


def _frames(change: Callable[[np.ndarray, np.ndarray], tuple], words: str) -> Callable[[Path], Case]:
    def build(root: Path) -> Case:
        patient = _phantom(root)
        ed_path, es_path = patient / "patient001_frame01.nii.gz", patient / "patient001_frame04.nii.gz"
        ed, es = (nib.load(p) for p in (ed_path, es_path))
        new_ed, new_es = change(np.asanyarray(ed.dataobj), np.asanyarray(es.dataobj))
        nib.save(nib.Nifti1Image(new_ed, ed.affine, ed.header), ed_path)
        nib.save(nib.Nifti1Image(new_es, es.affine, es.header), es_path)
        return Case(patient, {"predict": words})

    return build


def _huge_header(root: Path) -> Case:
    path = root / "huge.nii"
    hdr = nib.Nifti1Header()
    hdr.set_data_shape((4000, 4000, 100, 2))
    hdr.set_data_dtype(np.float32)
    hdr["pixdim"][1:4] = [1.5, 1.5, 8.0]
    path.write_bytes(hdr.binaryblock + b"\0" * 104)
    return Case(path, {"volumes": "declares", "predict": "declares"})


def _dicom(change: Callable[[pydicom.Dataset, int], None], words: str) -> Callable[[Path], Case]:
    def build(root: Path) -> Case:
        study = root / "SCD0000101"
        shutil.copytree(SAMPLE_DICOMS, study)
        for n, p in enumerate(sorted(study.glob("*.dcm"))):
            ds = pydicom.dcmread(p)
            change(ds, n)
            ds.save_as(p)
        return Case(study, {"volumes": words, "predict": words})

    return build


def _set(tag: str, value, every: int = 1):
    def change(ds: pydicom.Dataset, n: int) -> None:
        if n % every == 0:  # as text (VR LO): a corrupt file holds what it holds, not what pydicom allows
            if tag in ds:
                del ds[tag]
            ds.add_new(tag, "LO", value)

    return change


def _interleaved(root: Path) -> Case:
    study = root / "mixed"
    shutil.copytree(SAMPLE_DICOMS, study)
    for p in sorted(SAMPLE_DICOMS.glob("*.dcm")):
        ds = pydicom.dcmread(p)
        ds.PatientID, ds.SeriesInstanceUID = "OTHER", "1.2.3.4.5"
        ds.save_as(study / f"9{p.name}")
    return Case(study, {"volumes": "PatientID", "predict": "PatientID"})


def _manifest(text: str | bytes, words: str, name: str = "manifest.csv") -> Callable[[Path], Case]:
    def build(root: Path) -> Case:
        _phantom(root)
        path = root / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        return Case(path, {"volumes": words, "predict": words} if words else {})

    return build


def _escaping_masks(root: Path) -> Case:
    masks = root / "masks"
    masks.mkdir()
    patient = _phantom(root)
    shutil.copy(patient / "patient001_frame01_gt.nii.gz", masks / "a_ED.nii.gz")
    shutil.copy(patient / "patient001_frame04_gt.nii.gz", masks / "a_ES.nii.gz")
    (masks / "manifest.csv").write_text(
        "subject,source_subject,operation,EDV_ml,ESV_ml,EF_pct,ed_path,es_path\n"
        "../../escaped,p,rescale,100,50,50,a_ED.nii.gz,a_ES.nii.gz\n"
    )
    return Case(masks, {"volumes": "", "predict": ""})


def _special(kind: str) -> Callable[[Path], Case]:
    def build(root: Path) -> Case:
        if kind == "fifo":
            path = root / "pipe.nii.gz"
            os.mkfifo(path)
        else:
            path = Path(os.devnull)
        return Case(path, {c: "" for c in ("volumes", "predict")})

    return build


def _out_onto_input(root: Path) -> Case:
    patient = _phantom(root)
    info = str(patient / "Info.cfg")
    return Case(patient, {"volumes": "input", "predict": "input"}, out={"volumes": info, "predict": info})


def _out_folder(root: Path) -> Case:
    patient = _phantom(root)
    return Case(patient, {"volumes": "folder", "predict": "folder"}, out={"volumes": str(root), "predict": str(root)})


def _masks_onto_itself(root: Path) -> Case:
    case = _escaping_masks(root)
    (case.input / "manifest.csv").write_text((case.input / "manifest.csv").read_text().replace("../../escaped", "s1"))
    return Case(case.input, {"synthesize-images": "input"}, out={"synthesize-images": str(case.input)})


def _flags(command_args: dict[str, list[str]], errors: dict[str, str]) -> Callable[[Path], Case]:
    def build(root: Path) -> Case:
        return Case(_phantom(root), errors, argv=command_args)

    return build


def _numeric_name(root: Path) -> Case:
    return Case(_phantom(root, name="2024"))


_HEADER = "subject,image_path,ED,ES,EDV_ml,ESV_ml\n"

CASES: dict[str, Callable[[Path], Case]] = {
    # corrupt geometry (NIfTI pixdim as stored, before nibabel's fix-up)
    "pixdim_zero": _pixdim(1, 0.0, "pixdim"),
    "pixdim_nan": _pixdim(2, float("nan"), "pixdim"),
    "pixdim_slice_inf": _pixdim(3, float("inf"), "pixdim"),
    "pixdim_slice_1e30": _pixdim(3, 1e30, "pixdim"),
    "pixdim_100mm": _pixdim(1, 100.0, "plausible"),
    "pixdim_0.001mm": _pixdim(2, 0.001, "plausible"),
    "pixdim_negative": _pixdim(1, -1.5, "positive"),
    "header_claims_gigabytes": _huge_header,
    # impossible volumes and degenerate images
    "ed_es_swapped": _info("ED: 1\nES: 4", "ED: 4\nES: 1", "ED and ES swapped"),
    "empty_lv_at_es": _empty_es,
    "constant_image": _frames(lambda ed, es: (np.zeros_like(ed), np.zeros_like(es)), "constant"),
    "identical_ed_es": _frames(lambda ed, es: (ed, ed.copy()), "identical"),
    # DICOM headers
    "dicom_negative_spacing": _dicom(_set("PixelSpacing", ["-1.3", "1.3"]), "PixelSpacing"),
    "dicom_zero_spacing": _dicom(_set("PixelSpacing", ["0", "0"]), "PixelSpacing"),
    "dicom_inf_spacing": _dicom(_set("PixelSpacing", ["inf", "1.3"]), "PixelSpacing"),
    "dicom_garbage_spacing": _dicom(_set("PixelSpacing", "abc\\1.3", every=5), "PixelSpacing"),
    "dicom_garbage_trigger": _dicom(_set("TriggerTime", "12:3x", every=3), "TriggerTime"),
    "dicom_garbage_instance": _dicom(_set("InstanceNumber", "x7", every=4), "InstanceNumber"),
    "dicom_inf_rescale": _dicom(_set("RescaleSlope", "inf"), "RescaleSlope"),
    "dicom_two_patients": _interleaved,
    # manifests
    "manifest_points_at_itself": _manifest("subject,image_path\ns1,manifest.csv\n", "CSV file"),
    "manifest_not_utf8": _manifest(b"subject,image_path\ns\xe9,patient001\n", "UTF-8"),
    "manifest_ragged": _manifest("subject,image_path\ns1,patient001,extra,cells\n", "cells"),
    "manifest_fractional_frame": _manifest("subject,image_path,ED,ES\ns1,patient001,1.7,4\n", "whole frame"),
    "manifest_esv_above_edv": _manifest(_HEADER + "s1,patient001,1,4,50,100\n", ""),
    "manifest_negative_esv": _manifest(_HEADER + "s1,patient001,1,4,100,-50\n", ""),
    "manifest_bom_formula_subject": _manifest("\ufeffsubject,image_path\n=HYPERLINK(1),patient001\n", ""),
    "mask_manifest_escaping_name": _escaping_masks,
    # what is not a study file, and outputs onto inputs
    "fifo_input": _special("fifo"),
    "dev_null_input": _special("devnull"),
    "numeric_folder_name": _numeric_name,
    "out_is_input_file": _out_onto_input,
    "out_is_a_folder": _out_folder,
    "images_out_is_mask_dir": _masks_onto_itself,
    # flags
    "mistyped_flag": _flags({c: ["--thickness", "8"] for c in COMMANDS}, {c: "unknown flag" for c in COMMANDS}),
    "method_foo": _flags({"volumes": ["--method", "foo"]}, {"volumes": "method"}),
    "thickness_abc": _flags({"volumes": ["--thickness_mm", "abc"]}, {"volumes": "not a number"}),
    "n_10_12": _flags({"synthesize-masks": ["--n", "1000000000000"]}, {"synthesize-masks": "--n"}),
    "workers_100000": _flags({"synthesize-masks": ["--workers", "100000"]}, {"synthesize-masks": "--workers"}),
}
