"""Shared fixtures: the real data folder (skip when absent, fail under CARDIO_MONAI_REQUIRE_DATA=1)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("CARDIO_MONAI_DATA", REPO.parent / "shared" / "data"))
MONAI_SCHEMA = REPO.parent / "shared" / "schemas" / "meta_schema_20240725.json"


def require_data(path: Path) -> Path:
    """Return ``path`` if it exists; else skip (or fail when CARDIO_MONAI_REQUIRE_DATA=1)."""
    if path.exists():
        return path
    msg = f"real data not found at {path} (set CARDIO_MONAI_DATA)"
    if os.environ.get("CARDIO_MONAI_REQUIRE_DATA") == "1":
        pytest.fail(msg + "; CARDIO_MONAI_REQUIRE_DATA=1 forbids skipping")
    pytest.skip(msg)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return require_data(DATA)


@pytest.fixture(scope="session")
def monai_schema() -> Path:
    """MONAI's bundle metadata schema (the model zoo's), read in place from ../shared/schemas."""
    return require_data(MONAI_SCHEMA)


@pytest.fixture(scope="session")
def acdc_dir(shared_data) -> Path:
    return require_data(shared_data / "acdc" / "training")


@pytest.fixture(scope="session")
def sunnybrook_dir(shared_data) -> Path:
    return require_data(shared_data / "sunnybrook")


@pytest.fixture(scope="session")
def reference_volumes(shared_data) -> dict[str, dict[str, str]]:
    import csv

    with open(require_data(shared_data / "reference_volumes.csv"), newline="") as fh:
        return {row["subject"]: row for row in csv.DictReader(fh)}


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    from cardio_monai.data import SAMPLE_DIR

    return SAMPLE_DIR
