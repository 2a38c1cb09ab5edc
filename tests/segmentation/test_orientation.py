"""The heart's layout: the 8 flips and turns, the choice of the one the network reads best, and the shipped
segmenter reading the shipped Sunnybrook sample (reference ED LV 191.3 ml from its contours) the same in any
layout it is given."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cardio_monai.data import SAMPLE_DIR
from cardio_monai.io import find_studies
from cardio_monai.keys import IMAGE, STUDY, SUBJECT
from cardio_monai.segmentation import (
    choose_orientation,
    dihedral,
    frame_labels,
    frame_probabilities,
    load_segmenter,
    segment_item,
)


def test_the_eight_orientations_are_distinct_and_invert():
    x = torch.arange(2 * 3 * 4 * 4, dtype=torch.float32).reshape(2, 3, 4, 4)
    views = [dihedral(x, k) for k in range(8)]
    assert len({tuple(v.flatten().tolist()) for v in views}) == 8
    for k, v in enumerate(views):
        assert torch.equal(dihedral(v, k, inverse=True), x)
    with pytest.raises(ValueError, match="expected 0-7"):
        dihedral(x, 8)


class TopLeftHeart(torch.nn.Module):
    """Calls a bright pixel heart (class 1) only in the top-left quadrant, with certainty sigmoid(8)."""

    def __init__(self, size: int):
        super().__init__()
        sign = -torch.ones(size, size)
        sign[: size // 2, : size // 2] = 1.0
        self.sign = torch.nn.Parameter(sign, requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([torch.zeros_like(x), 8.0 * x * self.sign], 1)


@pytest.mark.parametrize("corner", [(0, 0), (0, 1), (1, 0), (1, 1)])
def test_the_chosen_orientation_puts_the_heart_where_the_network_reads_it(corner):
    frames = torch.zeros(3, 16, 16)
    r, c = (slice(2, 6) if i == 0 else slice(10, 14) for i in corner)
    frames[:, r, c] = 1.0
    k = choose_orientation(TopLeftHeart(16), frames)
    assert (k == 0) == (corner == (0, 0))
    assert dihedral(frames, k)[:, :8, :8].sum() == frames.sum()


@pytest.fixture(scope="module")
def sample_item():
    network, preprocessing, _ = load_segmenter()
    study = find_studies(SAMPLE_DIR)[0]
    return network, preprocessing({STUDY: study, SUBJECT: study.subject})


@pytest.mark.parametrize("k", [0, 2, 4, 5])
def test_the_shipped_segmenter_reads_the_sample_in_any_layout(sample_item, k):
    network, item = sample_item
    image = dihedral(torch.as_tensor(np.asarray(item[IMAGE], np.float32)), k)
    result = segment_item(network, {**item, IMAGE: image})
    assert result.edv_ml == pytest.approx(191.3, rel=0.08)
    assert result.ef_pct == pytest.approx(26.2, abs=5)


@pytest.mark.parametrize("k", [0, 3, 6])
def test_frame_labels_are_the_argmax_of_the_probabilities_in_any_batching(sample_item, k):
    """The labels taken pass by pass (the phase curve's fast path) are those of the whole stack's
    probabilities, in the image's own layout, whatever the batch (16 frames or 3: a pass that splits a phase)."""
    network, item = sample_item
    image = torch.as_tensor(np.asarray(item[IMAGE], np.float32))
    probabilities = frame_probabilities(network, image, orientation=k)
    expected = probabilities.argmax(1).to(torch.uint8)
    assert (expected == 3).any() and probabilities.shape[0] == image.shape[0] * image.shape[1]
    for batch in (16, 3):
        labels = frame_labels(network, image, batch=batch, orientation=k)
        assert labels.dtype == torch.uint8 and torch.equal(labels, expected)


@pytest.mark.parametrize("k", [0, 5])
def test_a_network_with_context_reads_each_slice_with_its_neighbours(k):
    """A 3-channel network is handed slice z-1, z, z+1 (zeros beyond the stack), in any layout."""
    from monai.networks.nets import UNet

    from cardio_monai.segmentation import context_slices
    from cardio_monai.transforms import slice_context

    torch.manual_seed(0)
    network = UNet(2, 3, 4, (4, 8), (2,), num_res_units=1).eval()
    assert context_slices(network) == 1
    image = torch.rand(2, 4, 16, 16)
    frames = slice_context(image, 1).reshape(8, 3, 16, 16)
    expected = dihedral(torch.softmax(network(dihedral(frames, k)), 1), k, inverse=True)
    assert torch.allclose(frame_probabilities(network, image, batch=3, orientation=k), expected, atol=1e-6)
    # the neighbours matter: the same slice read alone (zeros around it) gives other probabilities
    alone = torch.softmax(network(torch.nn.functional.pad(image.reshape(8, 1, 16, 16), (0, 0, 0, 0, 1, 1))), 1)
    assert not torch.allclose(alone, expected, atol=1e-3)


def test_context_comes_from_the_input_channels():
    from monai.networks.nets import UNet

    from cardio_monai.segmentation import context_slices

    assert context_slices(UNet(2, 1, 4, (4, 8), (2,))) == 0
    assert context_slices(torch.nn.Sequential(torch.nn.Conv2d(5, 4, 3))) == 2
    with pytest.raises(ValueError, match="2 input channels"):
        context_slices(UNet(2, 2, 4, (4, 8), (2,)))
