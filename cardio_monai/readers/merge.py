"""Joining the predictions CSVs of the shards of one ``predict`` run (``--shard I/K``) into one file."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from cardio_monai.columns import PREDICTION_COLUMNS, WARNING
from cardio_monai.errors import InputError
from cardio_monai.io import check_output
from cardio_monai.utils import write_csv


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            columns = list(reader.fieldnames or [])
            rows = list(reader)
    except UnicodeDecodeError:
        raise InputError(path, "not a UTF-8 text file: not a predictions CSV") from None
    except csv.Error as err:
        raise InputError(path, f"not a readable CSV ({err})") from None
    missing = [c for c in PREDICTION_COLUMNS if c not in columns]
    if missing:
        raise InputError(path, f"not a predictions CSV: no column {', '.join(missing)}")
    if any(None in row for row in rows):
        raise InputError(path, "a row has more fields than the header")
    return columns, rows


def merge_predictions(files: Sequence[str | Path], out: str | Path) -> list[dict[str, str]]:
    """Write the rows of ``files`` (predictions CSVs of one run's shards, in the order given) to ``out``.

    The shards must have been made with the same readers (the same columns; ``warning`` may be missing in
    those without a warning) and hold different subjects. Values are copied as written.

    Raises:
        InputError: no file, a file that is not a predictions CSV, other columns than the first file's,
            a subject in two files, or ``out`` one of the inputs.
    """
    paths = [Path(f) for f in files]
    if not paths:
        raise InputError(out, "no predictions CSV to merge (give the shards' files)")
    check_output(out, *paths)
    columns: list[str] | None = None
    rows: list[dict[str, str]] = []
    seen: dict[str, Path] = {}
    for path in paths:
        if not path.is_file():
            raise InputError(path, "no such file" if not path.exists() else "not a regular file (a predictions CSV)")
        cols, file_rows = _read(path)
        core = [c for c in cols if c != WARNING]
        if columns is None:
            columns = core
        elif core != columns:
            raise InputError(path, f"its columns differ from {paths[0]}'s: not a shard of the same run")
        for row in file_rows:
            subject = row["subject"]
            if subject in seen:
                raise InputError(path, f"subject {subject!r} is also in {seen[subject]}: shards overlap")
            seen[subject] = path
            rows.append(row)
    assert columns is not None
    if any(row.get(WARNING) for row in rows):
        columns = [*columns, WARNING]
    write_csv(out, rows, columns)
    return rows
