"""Helpers of the synthesis tests: the CLI run in this process, and real subjects linked into a folder."""

from __future__ import annotations

import contextlib
import io
import subprocess
from collections.abc import Iterable
from pathlib import Path

from cardio_monai.cli import main


def run_cli(command: str, *args: str) -> subprocess.CompletedProcess:
    """``python -m cardio_monai COMMAND ARGS`` in this process (``cli.main``, as ``__main__`` calls it): fast,
    the same exit code and stderr."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main([command, *args])
    return subprocess.CompletedProcess(args, code, "", err.getvalue())


def link_subjects(data: Path, root: Path, names: Iterable[str]) -> Path:
    """``root`` holding links to the subject folders ``names`` of the ACDC-layout folder ``data``."""
    for name in names:
        (root / name).symlink_to(data / name)
    return root
