"""Small label-map sources for synthesis tests: phantoms written in the ACDC layout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gaugan_tiny import write_tiny_gaugan

from cardio_monai.io.phantom import make_phantom
from cardio_monai.io.writers import write_acdc_patient


def phantom_input(root: Path, efs=(25.0, 45.0, 65.0), edit=None) -> Path:
    """A folder of small ACDC-layout phantoms (6 slices, 96 x 96 px, ED and ES labels)."""
    for k, ef in enumerate(efs):
        rec, _ = make_phantom(
            n_phases=2,
            n_slices=6,
            shape=(96, 96),
            pixel_mm=1.5,
            slice_mm=10.0,
            ef_pct=ef,
            es_phase=1,
            noise=0.0,
            seed=k,
            subject=f"ph{k:03d}",
        )
        rec.frames = rec.frames.astype(np.float32)
        if edit is not None:
            edit(k, rec)
        write_acdc_patient(rec, root / f"ph{k:03d}")
    return root


@pytest.fixture(scope="session")
def phantom_dir(tmp_path_factory) -> Path:
    return phantom_input(tmp_path_factory.mktemp("phantoms"))


@pytest.fixture(scope="session")
def make_phantom_input():
    """The :func:`phantom_input` builder, for tests that need edited sources."""
    return phantom_input


@pytest.fixture(scope="session")
def tiny_bundle(tmp_path_factory) -> Path:
    """A GauGAN bundle with a tiny, untrained generator (64 px at 3 mm)."""
    return write_tiny_gaugan(tmp_path_factory.mktemp("gaugan"))
