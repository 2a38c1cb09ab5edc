"""The segmentation reader's parts on analytic data: the largest 3D component, the inverse of the
crop-after-resampling, the volumes and their warnings, the training frames and their augmentation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cardio_monai.constants import LABEL_LV, LABEL_MYOCARDIUM
from cardio_monai.segmentation import (
    dice,
    frame_augmentation,
    frame_sampler,
    frame_weights,
    largest_components,
    stack_frames,
    stack_volumes,
)
from cardio_monai.transforms import CropOrPadCentred, restore_in_plane
from cardio_monai.volumes import lv_volume_ml


def test_largest_component_keeps_the_biggest_blob_of_each_structure():
    labels = np.zeros((4, 20, 20), np.uint8)
    labels[0:3, 2:8, 2:8] = LABEL_LV  # 108 voxels
    labels[3, 15:17, 15:17] = LABEL_LV  # 4 voxels, not touching
    labels[1, 10:12, 10:12] = LABEL_MYOCARDIUM
    out = largest_components(labels)
    assert int((out == LABEL_LV).sum()) == 108
    assert int((out == LABEL_MYOCARDIUM).sum()) == 4
    assert not out[3, 15:17, 15:17].any()


def test_a_diagonal_neighbour_is_connected():
    labels = np.zeros((2, 6, 6), np.uint8)
    labels[0, 1, 1] = labels[1, 2, 2] = LABEL_LV
    assert int((largest_components(labels) == LABEL_LV).sum()) == 2


def test_restore_in_plane_inverts_the_crop_and_fills_background():
    resampled = (50, 40)
    centre = (20.0, 25.0)
    probs_full = torch.rand(3, 4, *resampled)
    crop = torch.as_tensor(CropOrPadCentred(16)(probs_full.numpy(), centre))
    back = restore_in_plane(crop, centre, resampled, resampled)
    src, _ = CropOrPadCentred(16).window(resampled, centre)
    torch.testing.assert_close(back[(..., *src)], probs_full[(..., *src)])
    outside = torch.ones(resampled, dtype=torch.bool)
    outside[src] = False
    assert bool((back[:, 0][:, outside] == 1).all()) and bool((back[:, 1:][:, :, outside] == 0).all())


def test_restore_in_plane_resizes_to_the_input_grid():
    probs = torch.zeros(1, 4, 8, 8)
    probs[:, 0] = 1.0
    probs[:, LABEL_LV, 2:6, 2:6], probs[:, 0, 2:6, 2:6] = 1.0, 0.0
    back = restore_in_plane(probs, (3.5, 3.5), (8, 8), (16, 16))
    lv = back.argmax(1)[0] == LABEL_LV
    assert back.shape == (1, 4, 16, 16)
    assert 48 <= int(lv.sum()) <= 80  # the 4 x 4 square at twice the resolution: about 8 x 8


def test_stack_volumes_and_their_warnings():
    labels = np.zeros((2, 5, 10, 10), np.uint8)
    labels[:, :, 1:9, 1:9] = LABEL_MYOCARDIUM  # the cavities sit inside myocardium
    labels[0, :, 2:8, 2:8] = LABEL_LV
    labels[1, :, 3:7, 3:7] = LABEL_LV
    spacing = (1.5, 1.5, 10.0)
    edv, esv, counts, warning = stack_volumes(labels, spacing)
    assert edv == pytest.approx(lv_volume_ml(labels[0], spacing)) == pytest.approx(5 * 36 * 2.25 * 10 / 1000)
    assert counts == (5, 5) and warning == ""
    assert "ED/ES swapped" in stack_volumes(labels[::-1], spacing)[3]
    few = labels.copy()
    few[1, 2:][few[1, 2:] == LABEL_LV] = 0
    assert "only 2 slice" in stack_volumes(few, spacing)[3]
    none = labels.copy()
    none[1][none[1] == LABEL_LV] = 0
    assert "no LV cavity at ES" in stack_volumes(none, spacing)[3]


def test_dice():
    a = np.zeros((4, 4), np.uint8)
    b = a.copy()
    a[:2], b[1:3] = 3, 3
    assert dice(a, b, 3) == pytest.approx(0.5)
    assert np.isnan(dice(a, b, 1))


def test_stack_frames_keeps_every_slice_and_phase():
    image = np.random.default_rng(0).random((2, 3, 8, 8))
    stack = {"image": image, "label": np.zeros((2, 3, 8, 8), int), "subject": "s"}
    stack["label"][1, 2, 1, 1] = LABEL_LV
    items = stack_frames([stack])
    assert len(items) == 6 and items[0]["image"].shape == (1, 8, 8)
    assert [(i["phase"], i["slice"]) for i in items if i["label"].any()] == [(1, 2)]
    with pytest.raises(ValueError, match="must be"):
        stack_frames([{**stack, "label": stack["label"][:, :2]}])


def test_stack_frames_with_context_hold_the_neighbours_around_the_frame():
    image = np.random.default_rng(0).random((2, 3, 8, 8)).astype(np.float32)
    stack = {"image": image, "label": np.zeros((2, 3, 8, 8), int), "subject": "s"}
    items = stack_frames([stack], context_slices=1)
    assert len(items) == 6 and items[0]["image"].shape == (3, 8, 8)
    es_mid = next(i for i in items if (i["phase"], i["slice"]) == (1, 1))["image"]
    assert np.array_equal(es_mid, image[1, 0:3])
    ed_top = items[0]["image"]
    assert not ed_top[0].any() and np.array_equal(ed_top[1:], image[0, 0:2])


def test_augmentation_with_context_keeps_the_frame_in_the_middle():
    image = np.stack([np.full((32, 32), v, np.float32) for v in (0.2, 0.5, 0.8)])
    seen = set()
    for seed in range(12):
        aug = frame_augmentation(crop=24, prob=0.0, context_slices=1)
        aug.set_random_state(seed)
        item = aug({"image": image, "label": np.zeros((1, 32, 32), np.int64)})
        out = np.asarray(item["image"])
        assert out.shape == (3, 24, 24) and np.allclose(out[1], 0.5)
        seen.add(round(float(out[0, 0, 0]), 1))
    assert seen == {0.2, 0.8}  # the neighbours swap in some draws, not in others


def test_augmentation_moves_image_and_label_together():
    aug = frame_augmentation(crop=24, prob=1.0, orientations=True)
    aug.set_random_state(3)
    image = np.zeros((1, 32, 32), np.float32)
    image[0, 4:10, 20:30] = 1.0
    item = aug({"image": image, "label": (image > 0).astype(np.int64)})
    assert item["image"].shape == (1, 24, 24) and item["label"].shape == (1, 24, 24)
    bright = np.asarray(item["image"]) > np.asarray(item["image"]).mean() + 0.3
    assert dice(bright.astype(int), np.asarray(item["label"]), 1) > 0.9


def test_myocardial_enclosure_tells_a_ring_from_a_blob():
    from cardio_monai.segmentation.reader import myocardial_enclosure

    yy, xx = np.mgrid[:40, :40]
    r = np.hypot(yy - 20, xx - 20)
    ring = np.where(r < 8, LABEL_LV, np.where(r < 12, LABEL_MYOCARDIUM, 0)).astype(np.uint8)
    assert myocardial_enclosure(ring[None]) == pytest.approx(1.0)
    blob = np.where(r < 8, LABEL_LV, 0).astype(np.uint8)
    assert myocardial_enclosure(blob[None]) == 0.0
    spacing = (1.5, 1.5, 10.0)
    assert "not enclosed by myocardium" in stack_volumes(np.stack([blob[None]] * 2).repeat(4, 1) * 1, spacing)[3]


def _ring_frame(outer: int, inner: int, size: int = 40) -> dict:
    """A label map of a disc of LV cavity (radius ``inner`` px) inside a myocardial ring (radius ``outer``)."""
    yy, xx = np.mgrid[:size, :size] - size / 2
    r = np.hypot(yy, xx)
    label = np.zeros((1, size, size), np.int64)
    label[0][r < outer] = LABEL_MYOCARDIUM
    label[0][r < inner] = LABEL_LV
    return {"label": label}


def test_frame_weights_follow_the_wall_to_cavity_ratio():
    thin = _ring_frame(12, 10)  # ring area / disc area = (144 - 100) / 100 < 1: weight 1
    thick = _ring_frame(12, 4)  # (144 - 16) / 16 = 8: clipped to 4
    medium = _ring_frame(12, 7)  # (144 - 49) / 49 ~ 1.9
    empty = {"label": np.zeros((1, 40, 40), np.int64)}
    w = frame_weights([thin, thick, medium, empty], max_weight=4.0)
    ratio = (medium["label"] == LABEL_MYOCARDIUM).sum() / (medium["label"] == LABEL_LV).sum()
    np.testing.assert_allclose(w, [1.0, 4.0, ratio, 1.0])
    assert 1.5 < ratio < 2.5


def test_frame_sampler_draws_thick_walled_frames_more_often():
    frames = [_ring_frame(12, 10), _ring_frame(12, 10), _ring_frame(12, 4)]  # weights 1, 1, 4
    assert frame_sampler(frames, 1.0) is None  # off: the DataLoader shuffles
    sampler = frame_sampler(frames, 4.0)
    assert len(sampler) == len(frames)  # an epoch keeps its length
    torch.manual_seed(0)
    draws = np.concatenate([list(sampler) for _ in range(2000)])
    share = float(np.mean(draws == 2))
    assert 0.63 < share < 0.70, share  # 4 / 6 expected; 1 / 3 without the weights
    torch.manual_seed(0)
    again = np.concatenate([list(sampler) for _ in range(2000)])
    np.testing.assert_array_equal(draws, again)  # seeded by torch's global generator
