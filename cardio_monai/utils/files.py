"""Atomic output: write to a temporary file beside the target, rename when complete, so that a
failed or interrupted run never leaves a partial output file."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path (``.part-*-<name>``) in the target's folder; on success it is renamed onto ``target``,
    on error removed. The target's folder is created if needed."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    # the temporary name ends with the target's own name, so writers that pick a format from the
    # extension (nibabel: .nii.gz) behave as for the target
    fd, tmp = tempfile.mkstemp(prefix=".part-", suffix=f"-{target.name}", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    # mkstemp makes the file private (0600); give it the mode a plain open() would (0666 less the umask)
    umask = os.umask(0)
    os.umask(umask)
    tmp_path.chmod(0o666 & ~umask)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


# Columns holding ids the user chose: a spreadsheet runs a cell that starts with one of FORMULA_START.
TEXT_COLUMNS = ("subject", "source_subject")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def write_csv(
    path: str | os.PathLike, rows: Iterable[Mapping], columns: Sequence[str], float_format: str = "{:.2f}"
) -> Path:
    """Write rows (dicts) as a plain comma-separated CSV with a header, atomically. An id in a
    :data:`TEXT_COLUMNS` column that a spreadsheet would run as a formula is written with a leading ``'``."""
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_fmt(row.get(c, ""), float_format, c in TEXT_COLUMNS) for c in columns])
    return path


def _fmt(value, float_format: str, text: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if value != value else float_format.format(value)
    value = str(value)
    return "'" + value if text and value.startswith(FORMULA_START) else value


def write_json(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` as indented JSON (NaN refused), atomically."""
    path = Path(path)
    text = json.dumps(obj, indent=2, allow_nan=False) + "\n"
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return path
