"""The ``python -m cardio_monai`` command line (fire). Thin: parse, call the library, report.

Errors in the user's input print ``error: <file>: <problem>`` on stderr and exit 2, with no
traceback and no partial output file.
"""

from __future__ import annotations

import sys
import warnings

import fire

from cardio_monai.io import InputError


def volumes(
    input: str,
    out: str = "volumes.csv",
    method: str = "summation",
    thickness_mm: float | None = None,
    skip_bad: bool = False,
) -> str:
    """LV volumes from label maps: writes ``subject, EDV_ml, ESV_ml, EF_pct`` to OUT.

    Args:
        input: a DICOM cine folder, 4D NIfTI, ACDC patient folder (or a folder of them),
            Sunnybrook root, manifest CSV, or a folder holding several studies.
        out: output CSV path.
        method: ``summation`` (slice summation) or ``simpson`` (Simpson's rule over slices).
        thickness_mm: slice thickness for the volume (default: the study's slice spacing).
        skip_bad: write a warning row for an unreadable subject instead of stopping.
    """
    from cardio_monai.measure import measure_volumes

    rows = measure_volumes(input, out, method=method, thickness_mm=thickness_mm, skip_bad=skip_bad)
    return f"{len(rows)} subjects -> {out}"


COMMANDS = {
    "volumes": volumes,
}


def _one_line_warning(message, category, filename, lineno, line=None) -> str:
    return f"warning: {message}\n"


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code (0 ok, 2 bad input)."""
    warnings.formatwarning = _one_line_warning
    try:
        result = fire.Fire(COMMANDS, command=argv, name="cardio_monai", serialize=lambda r: r)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except fire.core.FireExit as exc:
        return int(exc.code or 0)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    del result  # fire has printed it
    return 0
