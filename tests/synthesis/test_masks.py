"""SDTs, operations and plausibility fixes of cardio_monai.synthesis.masks on analytic masks."""

from __future__ import annotations

import itertools

import numpy as np
from scipy import ndimage

from cardio_monai.synthesis import masks as M


def _disc(shape=(3, 40, 40), r=8.0, c=(20.0, 20.0)):
    yy, xx = np.mgrid[: shape[1], : shape[2]]
    d = (yy - c[0]) ** 2 + (xx - c[1]) ** 2 <= r**2
    return np.broadcast_to(d, shape).copy()


def test_sdt_reproduces_mask_and_empty_slice():
    m = _disc()
    m[2] = False
    sdt = M.signed_distance(m)
    assert np.array_equal(sdt < 0, m)
    assert (sdt[2] > 0).all()


def test_rescale_area_scales_with_gamma_squared():
    m = _disc(r=10.0)
    for g in (0.7, 1.2):
        out = M.rescale(M.signed_distance(m), g, (20.0, 20.0)) < 0
        # pixelised disc area: relative error ~ perimeter / area, a few percent at r = 10 px
        assert abs(out[0].sum() / m[0].sum() - g**2) < 0.06


def test_interpolation_is_between_ed_and_es():
    big, small = M.signed_distance(_disc(r=12.0)), M.signed_distance(_disc(r=6.0))
    areas = [(M.interpolate(big, small, a, 11) < 0).sum() for a in range(1, 11)]
    assert all(x >= y for x, y in itertools.pairwise(areas))
    assert _disc(r=6.0).sum() <= areas[-1] < areas[0] <= _disc(r=12.0).sum()


def test_fill_holes_and_largest_component_match_scipy():
    rng = np.random.default_rng(0)
    m = ndimage.binary_opening(rng.random((4, 40, 40)) > 0.4)
    m[:, :3] = False
    filled, _ = M._fill_holes(m)
    assert np.array_equal(filled, np.stack([ndimage.binary_fill_holes(x) for x in m]))
    kept, changed = M._largest_per_slice(m)
    for z in range(4):
        lab, n = ndimage.label(m[z])
        if n:
            assert kept[z].sum() == np.bincount(lab.ravel())[1:].max()
    assert changed == sum(ndimage.label(x)[1] > 1 for x in m)


def test_to_labels_is_plausible_and_counts_fixes():
    cav = _disc(r=6.0)
    cav[1, 5:8, 5:8] = True  # a second cavity component
    cav[1, 20, 20] = False  # a hole
    epi = _disc(r=6.0)  # no wall: the myocardium must be added where the source enclosed it
    rv = _disc(r=8.0, c=(20.0, 33.0))
    sdt = {"cav": M.signed_distance(cav), "epi": M.signed_distance(epi), "rv": M.signed_distance(rv)}
    counts: dict[str, int] = {}
    lab = M.to_labels(sdt, np.array([True, True, False]), counts)
    assert set(np.unique(lab)) <= {0, 1, 2, 3}
    assert counts["cavity_components"] == 1 and counts["cavity_holes"] == 1
    assert counts["open_myocardium"] == 2
    assert M.enclosed_slices(lab)[:2].all()
    for z in range(3):
        assert ndimage.label(lab[z] == 3)[1] == 1
        assert np.array_equal(ndimage.binary_fill_holes(lab[z] > 0), lab[z] > 0)
