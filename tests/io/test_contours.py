"""Contour rasterisation and the shoelace area."""

from __future__ import annotations

import numpy as np
import pytest

from cardio_monai.io.contours import polygon_area_px, polygon_mask, read_contour


def test_polygon_area_square():
    square = np.array([[10.0, 10.0], [40.0, 10.0], [40.0, 40.0], [10.0, 40.0]])
    assert polygon_area_px(square) == pytest.approx(900.0)
    assert polygon_area_px(square[::-1]) == pytest.approx(900.0)  # orientation-free


@pytest.mark.parametrize("offset", [0.0, 0.5, 0.25])
def test_mask_of_square(offset):
    square = np.array([[10.0, 12.0], [40.0, 12.0], [40.0, 42.0], [10.0, 42.0]]) + offset
    mask = polygon_mask(square, (64, 64))
    assert mask.dtype == bool and mask.shape == (64, 64)
    assert mask.sum() == pytest.approx(polygon_area_px(square), rel=0.01)


def test_mask_of_circle():
    t = np.linspace(0, 2 * np.pi, 400, endpoint=False)
    circle = np.stack([50.3 + 20 * np.cos(t), 47.6 + 20 * np.sin(t)], axis=1)
    area = polygon_area_px(circle)
    assert area == pytest.approx(np.pi * 400, rel=1e-3)
    mask = polygon_mask(circle, (100, 100))
    assert mask.sum() == pytest.approx(area, rel=0.01)
    assert mask[48, 50] and not mask[5, 5]


def test_mask_clipped_to_image():
    square = np.array([[-5.0, -5.0], [5.0, -5.0], [5.0, 5.0], [-5.0, 5.0]])
    mask = polygon_mask(square, (20, 20))
    assert mask.sum() == pytest.approx(25, abs=6)


def test_read_contour(tmp_path):
    path = tmp_path / "IM-0001-0048-icontour-manual.txt"
    path.write_text("10.5 20.0\n30.0 20.0\n\n30.0 40.0\n")
    points = read_contour(path)
    assert points.shape == (3, 2) and points.dtype == np.float64
