"""ACDC patient folders."""

from __future__ import annotations

import numpy as np
import pytest

from cardio_monai.io import read_acdc_patient, read_study


def test_read_patient001(data_dir):
    folder = data_dir / "acdc" / "training" / "patient001"
    record = read_acdc_patient(folder)
    assert record.subject == "patient001"
    assert record.frames.dtype == np.float32
    assert record.frames.ndim == 4 and record.frames.shape[0] == 2
    assert (record.ed, record.es) == (0, 1)
    assert record.meta["ed_frame"] == 1 and record.meta["es_frame"] == 12
    assert record.voxel_spacing == pytest.approx((1.5625, 1.5625, 10.0))
    assert set(record.labels) == {0, 1}
    for label in record.labels.values():
        assert label.shape == record.frames.shape[1:]
        assert label.dtype == np.uint8
        assert set(np.unique(label).tolist()) <= {0, 1, 2, 3}
        assert (label == 3).any()
    # discovery finds the same study
    again = read_study(folder)
    assert again.frames.shape == record.frames.shape
