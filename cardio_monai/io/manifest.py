"""Manifest CSV: one row per subject, so that any dataset can be brought in.

Columns (header required; optional columns may be missing or empty):
- ``subject``: the id;
- ``image_path`` (4D NIfTI, DICOM folder or ACDC patient folder) or ``image_dir`` (DICOM folder),
  or ``ed_image_path`` + ``es_image_path`` (one 3D NIfTI per phase);
- ``ED``, ``ES``: frame numbers counted from 1 (as in ACDC's Info.cfg), or ``ed_phase``,
  ``es_phase`` counted from 0 (as in reference_volumes.csv);
- ``ed_label_path``, ``es_label_path``: 3D NIfTI label maps of those phases;
- ``EDV_ml``, ``ESV_ml``: reference volumes, for datasets with volume labels and no masks.
Relative paths are taken from the manifest's folder.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from pathlib import Path

from cardio_monai.errors import InputError
from cardio_monai.io.nifti import load_label
from cardio_monai.io.record import StudyRecord

IMAGE_COLUMNS = ("image_path", "image_dir")


def read_manifest_rows(path: str | Path) -> list[dict[str, str]]:
    """Rows of a manifest, validated for a subject column and an image or volume source."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "manifest not found")
    with csv_text(path) as fh:
        reader = csv.DictReader(fh)
        fields = [f.strip() for f in (reader.fieldnames or [])]
        if "subject" not in fields:
            raise InputError(path, "manifest needs a 'subject' column (plain comma-separated with a header)")
        rows = []
        for n, row in enumerate(reader, 2):
            if None in row:  # more cells than the header names
                raise InputError(
                    path, f"line {n}: {len(fields) + len(row[None])} cells, the header names {len(fields)}"
                )
            rows.append({(k or "").strip(): (v or "").strip() for k, v in row.items()})
    rows = [r for r in rows if r.get("subject")]
    if not rows:
        raise InputError(path, "manifest lists no subjects")
    seen: set[str] = set()
    for n, row in enumerate(rows, 2):
        if row["subject"] in seen:
            raise InputError(path, f"line {n}: subject {row['subject']!r} listed twice")
        seen.add(row["subject"])
    return rows


def csv_text(path: str | Path) -> io.StringIO:
    """The text of a CSV the user wrote, ready for ``csv.reader``: UTF-8 with or without a byte-order
    mark; anything else is an :class:`InputError`, not a decoding traceback."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(path, f"not UTF-8 text (byte {err.start}); save the CSV as UTF-8") from None
    return io.StringIO(text, newline="")


def _resolve(manifest: Path, value: str, n: int, column: str) -> Path:
    p = Path(value).expanduser()
    p = p if p.is_absolute() else manifest.parent / p
    if not p.exists():
        raise InputError(manifest, f"line {n}: {column} {value!r} does not exist")
    if p.suffix.lower() == ".csv":  # a manifest naming a manifest (itself, or a cycle) is not a study
        raise InputError(manifest, f"line {n}: {column} {value!r} is a CSV file, not an image or study folder")
    return p


def _number(manifest: Path, row: dict[str, str], column: str, n: int, kind: Callable = float):
    value = row.get(column, "")
    if value == "":
        return None
    try:
        out = float(value)
        if not math.isfinite(out):
            raise ValueError
    except ValueError:
        raise InputError(manifest, f"line {n}: {column} {value!r} is not a number") from None
    if kind is int:
        if out != int(out):
            raise InputError(manifest, f"line {n}: {column} {value!r} is not a whole frame number")
        return int(out)
    return out


def _held_frames(record: StudyRecord) -> dict[int, int] | None:
    """{0-based frame number: phase index} for an ACDC record that holds only its ED and ES frames
    (no 4D cine: T = 2), else None (phase index = frame number - 1)."""
    ed_frame, es_frame = record.meta.get("ed_frame"), record.meta.get("es_frame")
    if ed_frame is None or es_frame is None or record.n_phases != 2 or (record.ed, record.es) != (0, 1):
        return None
    return {int(ed_frame) - 1: 0, int(es_frame) - 1: 1}


def row_image(manifest: str | Path, row: dict[str, str], n: int) -> Path | tuple[Path, Path]:
    """Where the images of a manifest row (line ``n``) are: one study path (``image_path`` or
    ``image_dir``: any study form) or the (ED, ES) 3D NIfTI pair (``ed_image_path``, ``es_image_path``).

    Raises:
        InputError: the row names no image, or a path that does not exist.
    """
    manifest = Path(manifest)
    image_col = next((c for c in IMAGE_COLUMNS if row.get(c)), None)
    if image_col:
        return _resolve(manifest, row[image_col], n, image_col)
    if row.get("ed_image_path") and row.get("es_image_path"):
        return (
            _resolve(manifest, row["ed_image_path"], n, "ed_image_path"),
            _resolve(manifest, row["es_image_path"], n, "es_image_path"),
        )
    raise InputError(manifest, f"line {n}: subject {row['subject']!r} has no image_path, image_dir or ed/es_image_path")


def apply_manifest_row(
    manifest: str | Path, row: dict[str, str], n: int, record: StudyRecord, with_labels: bool = True
) -> StudyRecord:
    """Apply a manifest row (line ``n``) to the record read from its images (:func:`row_image`): the
    subject id, ED/ES phases, label maps and reference volumes; returns the record."""
    manifest = Path(manifest)
    record.subject = row["subject"]
    ed = _number(manifest, row, "ED", n, int)
    es = _number(manifest, row, "ES", n, int)
    ed = ed - 1 if ed is not None else _number(manifest, row, "ed_phase", n, int)
    es = es - 1 if es is not None else _number(manifest, row, "es_phase", n, int)
    if row.get("ed_image_path"):
        ed, es = 0, 1
    held = _held_frames(record)
    if held is not None:  # an ACDC folder holding only its ED and ES frames: map frame -> phase
        for name, phase in (("ED", ed), ("ES", es)):
            if phase is not None and phase not in held:
                frames = sorted(f + 1 for f in held)
                raise InputError(
                    manifest,
                    f"line {n}: {name} frame {phase + 1} does not exist ({record.source} holds frames {frames})",
                )
        ed = held[ed] if ed is not None else None
        es = held[es] if es is not None else None
    for name, phase in (("ED", ed), ("ES", es)):
        if phase is not None and not 0 <= phase < record.n_phases:
            raise InputError(manifest, f"line {n}: {name} frame {phase + 1} does not exist ({record.n_phases} phases)")
    if ed is not None:
        record.ed = ed
    if es is not None:
        record.es = es
    if with_labels:
        for column, phase in (("ed_label_path", record.ed), ("es_label_path", record.es)):
            if row.get(column):
                if phase is None:
                    raise InputError(manifest, f"line {n}: {column} given without its ED/ES frame")
                path = _resolve(manifest, row[column], n, column)
                record.labels[phase] = load_label(path, shape=record.frames.shape[1:])
        record.edv_ml = _number(manifest, row, "EDV_ml", n)
        record.esv_ml = _number(manifest, row, "ESV_ml", n)
    record.source = str(manifest)
    return record
