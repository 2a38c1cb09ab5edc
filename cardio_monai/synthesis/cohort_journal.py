"""The journal of a synthetic mask cohort: one CSV line per finished subject (per shard) in
``OUT/.journal/``, so that a killed run resumes and shards sharing OUT never write the same file."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TextIO

from cardio_monai.columns import MASK_MANIFEST_COLUMNS

JOURNAL_DIR = ".journal"
# Slices fixed by each plausibility rule of cardio_monai.synthesis.masks.to_labels.
FIX_NAMES = ("cavity_components", "cavity_holes", "open_myocardium", "myocardium_holes", "background_holes")
JOURNAL_FIELDS = ("index", *MASK_MANIFEST_COLUMNS, *FIX_NAMES)


def journal_path(out: Path, shard: tuple[int, int]) -> Path:
    """The journal file of shard (I, K) in OUT."""
    return out / JOURNAL_DIR / f"shard-{shard[0]}-of-{shard[1]}.csv"


def journal_rows(out: Path) -> dict[int, dict]:
    """Finished subjects from every journal of OUT whose two files exist (torn lines ignored)."""
    rows: dict[int, dict] = {}
    folder = out / JOURNAL_DIR
    if not folder.is_dir():
        return rows
    for path in sorted(folder.glob("*.csv")):
        with open(path, newline="") as fh:
            text = fh.read()
        # A last line without its line end was torn by a kill, even when it still parses (only "\n" lost, or a
        # number cut to fewer digits): it is not finished, as open_journal (which cuts it off) treats it.
        text = text[: text.rfind("\n") + 1]
        for rec in csv.reader(io.StringIO(text, newline="")):
            if len(rec) != len(JOURNAL_FIELDS) or not rec[0].isdigit():
                continue
            row = dict(zip(JOURNAL_FIELDS, rec))
            try:
                for k in ("EDV_ml", "ESV_ml", "EF_pct"):
                    row[k] = float(row[k])
                for k in FIX_NAMES:
                    row[k] = int(row[k])
            except ValueError:
                continue
            if (out / row["ed_path"]).is_file() and (out / row["es_path"]).is_file():
                rows[int(rec[0])] = row
    return rows


def open_journal(path: Path) -> TextIO:
    """Open a journal to append rows; a torn last line (a write killed half-way) is cut off first, so the
    next row starts on a line of its own instead of being glued to it and lost on the next resume."""
    path.parent.mkdir(exist_ok=True)
    if path.is_file():
        data = path.read_bytes()
        if data and not data.endswith(b"\n"):
            with open(path, "r+b") as fh:
                fh.truncate(data.rfind(b"\n") + 1)
    return open(path, "a", newline="")


def journal_record(row: dict) -> list[str]:
    return [repr(row[k]) if isinstance(row[k], float) else str(row[k]) for k in JOURNAL_FIELDS]
