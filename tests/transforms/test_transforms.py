"""Preprocessing transforms: array twins on analytic arrays, the full chain on a phantom and ACDC."""

from __future__ import annotations

import numpy as np
import pytest

from cardio_monai.constants import LABEL_LV
from cardio_monai.io import InputError
from cardio_monai.io.phantom import make_phantom
from cardio_monai.transforms import (
    CropOrPadCentred,
    KeepLabelledSlicesd,
    QuantileNormalise,
    ResampleInPlane,
    SelectPhases,
    SelectPhasesd,
    label_centre,
    motion_centre,
    preprocess_record,
)
from cardio_monai.volumes import lv_volume_ml


def test_select_phases_stacks_ed_and_es():
    frames = np.arange(5)[:, None, None, None] * np.ones((5, 2, 3, 3))
    out = SelectPhases()(frames, 3, 1)
    assert out.shape == (2, 2, 3, 3)
    assert out[0].max() == 3 and out[1].max() == 1
    with pytest.raises(InputError, match="ES phase 7 outside"):
        SelectPhases()(frames, 0, 7)


def test_select_phases_dict_requires_labels_of_both_phases():
    d = {"image": np.zeros((3, 2, 4, 4)), "label": {0: np.zeros((2, 4, 4), np.uint8)}, "ed": 0, "es": 2}
    with pytest.raises(InputError, match="no ES label map"):
        SelectPhasesd("image", label_keys=["label"])(d)


def test_resample_in_plane_keeps_slices_and_physical_extent():
    img = np.random.default_rng(0).random((2, 7, 100, 80)).astype(np.float32)
    out, spacing = ResampleInPlane(1.0)(img, (1.5, 2.0))
    assert out.shape == (2, 7, 150, 160)
    assert spacing == pytest.approx((1.0, 1.0))
    assert out.mean() == pytest.approx(img.mean(), rel=0.01)  # bilinear keeps the mean intensity


def test_nearest_resampling_keeps_label_values_and_area():
    lab = np.zeros((1, 1, 90, 90), np.uint8)
    yy, xx = np.mgrid[:90, :90]
    lab[0, 0][(yy - 45) ** 2 + (xx - 45) ** 2 < 30**2] = LABEL_LV
    out, _ = ResampleInPlane(1.0, mode="nearest")(lab, (1.4, 1.4))
    assert set(np.unique(out)) <= {0, LABEL_LV}
    area_in = (lab == LABEL_LV).sum() * 1.4**2
    assert (out == LABEL_LV).sum() == pytest.approx(area_in, rel=0.02)


def test_crop_or_pad_centred_on_a_given_centre():
    img = np.zeros((1, 300, 200), np.float32)
    img[0, 250, 40] = 1.0
    out = CropOrPadCentred(150)(img, centre=(250, 40))
    assert out.shape == (1, 150, 150)
    # the centre lands in the middle (74 or 75 of an even size); outside the image is padded with 0
    assert out.sum() == 1.0 and set(np.argwhere(out[0] == 1.0)[0]) <= {74, 75}
    small = CropOrPadCentred(150)(np.ones((2, 3, 100, 120), np.float32))
    assert small.shape == (2, 3, 150, 150) and small.sum() == 2 * 3 * 100 * 120


def test_quantile_normalise_maps_3_97_percent_to_0_1():
    x = np.linspace(0, 100, 10001, dtype=np.float32).reshape(1, 1, 1, -1)
    y = QuantileNormalise()(x)
    assert y.min() == 0.0 and y.max() == 1.0
    assert y[0, 0, 0, 5000] == pytest.approx(0.5, abs=1e-3)
    assert np.mean(y == 0.0) == pytest.approx(0.03, abs=0.001)


def test_keep_labelled_slices():
    lab = np.zeros((2, 8, 5, 5), np.uint8)
    lab[0, 2:6, 2, 2] = LABEL_LV
    lab[1, 3, 2, 2] = LABEL_LV
    d = KeepLabelledSlicesd("image")({"image": np.zeros((2, 8, 5, 5)), "label": lab})
    assert d["image"].shape[1] == 4 and d["label"].shape[1] == 4 and d["slice_range"] == (2, 5)


def test_pipeline_on_phantom_keeps_lv_whole_and_volume():
    record, truth = make_phantom(n_phases=6, n_slices=12, shape=(200, 160), pixel_mm=1.6, seed=2)
    d = preprocess_record(record, use_labels=True)
    assert d["image"].shape[0] == 2 and d["image"].shape[2:] == (150, 150)
    assert d["image"].dtype == np.float32 and d["image"].min() >= 0 and d["image"].max() <= 1
    # at 1 mm pixels, the cropped label still measures the analytic volume (nearest resampling: 2 %)
    edv = lv_volume_ml(d["label"][0], (1.0, 1.0, record.slice_spacing))
    assert edv == pytest.approx(truth.edv_ml, rel=0.02)
    infer = preprocess_record(record)  # inference: no labels, whole stack
    assert infer["image"].shape == (2, 12, 150, 150) and "label" not in infer


def test_motion_centre_finds_the_phantom_heart():
    record, _ = make_phantom(n_phases=6, n_slices=8, shape=(240, 240), pixel_mm=1.0, seed=5)
    lv = label_centre(record.labels[record.ed])
    found = motion_centre(record.frames[[record.ed, record.es]])
    cavity_radius = np.sqrt((record.labels[record.ed][0] == LABEL_LV).sum() / np.pi)  # basal slice, px
    assert np.hypot(found[0] - lv[0], found[1] - lv[1]) < cavity_radius


def test_acdc_lv_inside_crop_for_every_subject(acdc_dir):
    """Image-only (motion) crop keeps every ACDC ED and ES LV whole (docs/preprocessing.md)."""
    from cardio_monai.io import find_studies
    from cardio_monai.transforms import FindCropCentred, ResampleInPlaned, record_to_dict
    from cardio_monai.transforms.phases import SelectPhasesd

    cut = []
    for study in find_studies(acdc_dir):
        d = SelectPhasesd("image", label_keys=["label"])(record_to_dict(study.read()))
        d = ResampleInPlaned(["image", "label"], mode=["bilinear", "nearest"])(d)
        centre = FindCropCentred("image", method="motion")(d)["crop_centre"]
        inside = (CropOrPadCentred(150)(d["label"], centre) == LABEL_LV).sum()
        if inside < (d["label"] == LABEL_LV).sum():
            cut.append(study.subject)
    assert cut == []


def test_quantile_normalise_equals_monai_percentile_transform():
    from monai.transforms import ScaleIntensityRangePercentiles

    x = np.random.default_rng(1).gamma(2.0, 100.0, size=(2, 5, 40, 40)).astype(np.float32)
    ours = QuantileNormalise()(x)
    ref = np.asarray(ScaleIntensityRangePercentiles(3, 97, 0.0, 1.0, clip=True)(x))
    np.testing.assert_allclose(ours, ref, atol=1e-5)
