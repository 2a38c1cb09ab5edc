"""Where an output may go: never onto a file of the input, never inside an input folder, and (for a
CSV) never a folder; names written into an output folder are plain file names that stay inside it."""

from __future__ import annotations

import re
from pathlib import Path

from cardio_monai.errors import InputError
from cardio_monai.io.manifest import IMAGE_COLUMNS, read_manifest_rows

# manifest columns that name files or folders the run reads
PATH_COLUMNS = (
    *IMAGE_COLUMNS,
    "ed_image_path",
    "es_image_path",
    "ed_label_path",
    "es_label_path",
    "ed_path",
    "es_path",
)
_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")


def input_paths(input_path: str | Path) -> list[Path]:
    """Every file or folder an INPUT reads: the path itself and, for a manifest, the paths its rows name."""
    path = Path(input_path)
    paths = [path]
    if path.is_file() and path.suffix.lower() == ".csv":
        try:
            rows = read_manifest_rows(path)
        except InputError:  # not a study manifest (a mask cohort's): its columns are read below
            rows = []
        for row in rows:
            for column in PATH_COLUMNS:
                if row.get(column):
                    p = Path(row[column]).expanduser()
                    paths.append(p if p.is_absolute() else path.parent / p)
    return paths


def check_output(out: str | Path, *inputs: str | Path, file: bool = True) -> Path:
    """Refuse an output that resolves to a file an input reads or lies inside an input folder.

    Args:
        out: the output file (``file=True``: a CSV) or folder.
        inputs: the INPUT paths of the run (a manifest's rows are followed).
        file: the output is one file, so an existing folder (or an empty name) is refused too.

    Raises:
        InputError: naming ``out`` and the input it would overwrite.
    """
    out = Path(out)
    if file and (str(out) in ("", ".") or out.is_dir()):
        raise InputError(out, "is a folder; the output needs a file name")
    target = out.resolve()
    for given in inputs:
        for p in input_paths(given):
            src = p.resolve()
            if target == src:
                raise InputError(out, f"is the input {p}; choose another output so that the input stays intact")
            if p.is_dir() and target.is_relative_to(src):
                raise InputError(out, f"lies inside the input folder {p}; write outputs outside the input")
    return out


def safe_name(name: str) -> str:
    """A subject id as a plain file name: path separators and unusual characters become ``_`` and a
    leading dot is dropped, so that ``OUT / safe_name(id)`` stays inside OUT."""
    clean = _UNSAFE.sub("_", str(name)).lstrip(".")
    return clean or "_"
