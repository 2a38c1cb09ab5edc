"""ACDC layout: ``patientNNN/Info.cfg``, per-phase ``patientNNN_frameXX.nii.gz`` and ``_gt`` labels.

When ``patientNNN_4d.nii.gz`` is present the record holds the whole cine (T phases) with ED and ES
indices from Info.cfg; otherwise it holds the two labelled frames (T = 2, ED = 0, ES = 1).
"""

from __future__ import annotations

from pathlib import Path

from cardio_monai.errors import InputError
from cardio_monai.io.nifti import load_label, read_nifti_cine, read_phase_frames
from cardio_monai.io.record import StudyRecord

INFO_FILE = "Info.cfg"


def is_acdc_patient(folder: Path) -> bool:
    return Path(folder).is_dir() and (Path(folder) / INFO_FILE).is_file()


def looks_like_acdc_patient(folder: Path) -> bool:
    """A folder with ACDC frame files, Info.cfg or not (so that a missing Info.cfg is reported)."""
    folder = Path(folder)
    return folder.is_dir() and any(folder.glob(f"{folder.name}_frame*.nii*"))


def read_info(folder: Path) -> dict[str, str]:
    """Parse Info.cfg (``key: value`` lines)."""
    path = Path(folder) / INFO_FILE
    if not path.is_file():
        raise InputError(path, "missing; ACDC patient folders need Info.cfg with ED and ES frame numbers")
    info: dict[str, str] = {}
    for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep:
            raise InputError(path, f"line {n} is not 'key: value': {line.strip()[:40]!r}")
        info[key.strip()] = value.strip()
    for key in ("ED", "ES"):
        if key not in info:
            raise InputError(path, f"no {key} frame number")
        try:
            if int(info[key]) < 1:
                raise ValueError
        except ValueError:
            raise InputError(path, f"{key} frame number {info[key]!r} is not a positive integer") from None
    return info


def acdc_group(folder: Path) -> str | None:
    """The pathology group (``Group`` of Info.cfg: NOR, MINF, DCM, HCM, RV) of a patient folder; None
    when Info.cfg is missing or names none. Read without the ED/ES checks of :func:`read_info`."""
    path = Path(folder) / INFO_FILE
    if not path.is_file():
        return None
    for line in path.read_text(errors="replace").splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "Group":
            return value.strip()
    return None


def _frame_path(folder: Path, frame: int, gt: bool = False) -> Path:
    base = folder / f"{folder.name}_frame{frame:02d}{'_gt' if gt else ''}"
    for suf in (".nii.gz", ".nii"):
        if base.with_name(base.name + suf).is_file():
            return base.with_name(base.name + suf)
    return base.with_name(base.name + ".nii.gz")


def read_acdc_patient(folder: str | Path, with_labels: bool = True) -> StudyRecord:
    """Read one ACDC patient folder."""
    folder = Path(folder)
    info = read_info(folder)
    ed_frame, es_frame = int(info["ED"]), int(info["ES"])
    n_frames = int(info["NbFrame"]) if info.get("NbFrame", "").isdigit() else None
    cfg = folder / INFO_FILE
    for key, frame in (("ED", ed_frame), ("ES", es_frame)):
        if n_frames is not None and frame > n_frames:
            raise InputError(cfg, f"{key} frame {frame} beyond NbFrame {n_frames}")
        if not _frame_path(folder, frame).is_file() and not (folder / f"{folder.name}_4d.nii.gz").is_file():
            raise InputError(cfg, f"{key} frame {frame} does not exist ({_frame_path(folder, frame).name} missing)")

    cine = folder / f"{folder.name}_4d.nii.gz"
    if cine.is_file():
        record = read_nifti_cine(cine, subject=folder.name)
        if max(ed_frame, es_frame) > record.n_phases:
            raise InputError(
                cfg, f"ED/ES frames {ed_frame}/{es_frame} beyond the {record.n_phases} phases of {cine.name}"
            )
        record.ed, record.es = ed_frame - 1, es_frame - 1
        phase_of = {ed_frame: record.ed, es_frame: record.es}
    else:
        record = read_phase_frames(
            _frame_path(folder, ed_frame), _frame_path(folder, es_frame), subject=folder.name, source=folder
        )
        phase_of = {ed_frame: 0, es_frame: 1}
    record.source = str(folder)
    record.meta.update({"group": info.get("Group"), "ed_frame": ed_frame, "es_frame": es_frame})
    if with_labels:
        for frame, phase in phase_of.items():
            gt = _frame_path(folder, frame, gt=True)
            if gt.is_file():
                record.labels[phase] = load_label(gt, shape=record.frames.shape[1:])
    return record
