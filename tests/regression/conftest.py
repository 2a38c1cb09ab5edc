"""Fixtures of the regression tests: a tiny ACDC-layout phantom dataset."""

from __future__ import annotations

from pathlib import Path

import pytest
from sfera_tiny import write_phantoms


@pytest.fixture(scope="session")
def phantom_acdc(tmp_path_factory) -> Path:
    return write_phantoms(tmp_path_factory.mktemp("acdc_phantoms"))
