"""Volumes and EF on analytic label maps."""

from __future__ import annotations

import numpy as np
import pytest

from cardio_monai.constants import LABEL_LV, LABEL_MYOCARDIUM
from cardio_monai.volumes import ejection_fraction_pct, lv_volume_ml, slice_areas_mm2, volume_from_areas_ml


def test_box_volume_by_summation_is_voxel_count_times_voxel_volume():
    label = np.zeros((5, 20, 30), np.uint8)
    label[1:4, 2:12, 5:25] = LABEL_LV  # 3 x 10 x 20 voxels
    label[0, :2, :2] = LABEL_MYOCARDIUM  # other labels do not count
    vol = lv_volume_ml(label, (1.5, 2.0, 8.0))
    assert vol == pytest.approx(3 * 10 * 20 * 1.5 * 2.0 * 8.0 / 1000.0)


def test_thickness_overrides_slice_spacing():
    label = np.full((4, 3, 3), LABEL_LV, np.uint8)
    assert lv_volume_ml(label, (1.0, 1.0, 10.0), thickness_mm=8.0) == pytest.approx(4 * 9 * 8.0 / 1000)


def test_simpson_equals_summation_for_a_cylinder_and_integrates_a_paraboloid_better():
    areas = np.full(7, 1000.0)
    assert volume_from_areas_ml(areas, 10.0, "simpson") == pytest.approx(volume_from_areas_ml(areas, 10.0))
    # a smooth profile A(z) = A0 (1 - (z/L)^2) sampled at slice centres
    thickness, length = 2.0, 60.0
    z = (np.arange(30) + 0.5) * thickness
    prof = 1000.0 * (1 - (z / length) ** 2)
    exact = 1000.0 * (length - length / 3.0) / 1000.0
    assert abs(volume_from_areas_ml(prof, thickness, "simpson") - exact) < 0.02 * exact


def test_batched_label_maps_give_one_volume_each():
    label = np.zeros((3, 4, 5, 5), np.uint8)
    for i in range(3):
        label[i, :, : i + 1, :] = LABEL_LV
    vols = lv_volume_ml(label, (1.0, 1.0, 10.0))
    np.testing.assert_allclose(vols, [4 * 5 * 10 / 1000 * (i + 1) for i in range(3)])
    assert slice_areas_mm2(label, (2.0, 1.0)).shape == (3, 4)


def test_ejection_fraction():
    assert ejection_fraction_pct(200.0, 80.0) == pytest.approx(60.0)
    np.testing.assert_allclose(ejection_fraction_pct(np.array([100.0, 50.0]), np.array([50.0, 40.0])), [50.0, 20.0])
    assert np.isnan(ejection_fraction_pct(0.0, 0.0))


def test_unknown_method_raises():
    with pytest.raises(ValueError, match="not one of"):
        volume_from_areas_ml(np.ones(3), 1.0, "trapezoid")
