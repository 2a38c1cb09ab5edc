"""Fixtures for the reader tests: the real data folder and the shipped Sunnybrook sample."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pydicom
import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLE_ROOT = REPO / "cardio_monai" / "data" / "sample_sunnybrook"
SAMPLE_DICOMS = SAMPLE_ROOT / "dicoms" / "SCD0000101"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real data folder (env CARDIO_MONAI_DATA, default <repo>/../shared/data).

    Skips when absent, unless CARDIO_MONAI_REQUIRE_DATA=1, in which case the test fails.
    """
    path = Path(os.environ.get("CARDIO_MONAI_DATA", REPO.parent / "shared" / "data"))
    if not path.is_dir():
        reason = f"real data folder {path} not found (set CARDIO_MONAI_DATA)"
        if os.environ.get("CARDIO_MONAI_REQUIRE_DATA") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def sample_dicoms() -> Path:
    return SAMPLE_DICOMS


@pytest.fixture(scope="session")
def sample_root() -> Path:
    return SAMPLE_ROOT


@pytest.fixture
def dicom_copy(tmp_path: Path) -> Path:
    """The 24 DICOM files of the shipped sample, copied to ``tmp_path/study``."""
    dst = tmp_path / "study"
    shutil.copytree(SAMPLE_DICOMS, dst)
    return dst


def _positions(folder: Path) -> dict[tuple[float, ...], list[Path]]:
    """Files of a DICOM folder grouped by ImagePositionPatient, in file-name order."""
    groups: dict[tuple[float, ...], list[Path]] = {}
    for p in sorted(folder.glob("*.dcm"), key=lambda p: int(p.stem)):
        ds = pydicom.dcmread(p, stop_before_pixels=True)
        groups.setdefault(tuple(round(float(v), 3) for v in ds.ImagePositionPatient), []).append(p)
    return groups


def _run_volumes(inp: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cardio_monai", "volumes", str(inp), "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )


@pytest.fixture(scope="session")
def positions():
    """``positions(folder)``: files of a DICOM folder grouped by ImagePositionPatient."""
    return _positions


@pytest.fixture(scope="session")
def run_volumes():
    """``run_volumes(inp, out)``: run ``python -m cardio_monai volumes INPUT --out OUT``."""
    return _run_volumes
