"""The segmentation reader's soft volumes: the LV volume expected under the network's own probabilities."""

import numpy as np
import pytest
import torch

from cardio_monai.constants import LABEL_LV
from cardio_monai.data import SAMPLE_DIR
from cardio_monai.io import find_studies
from cardio_monai.keys import IMAGE, ORIGINAL_SHAPE, ORIGINAL_SPACING, RESAMPLED_SHAPE, SLICE_SPACING, STUDY, SUBJECT
from cardio_monai.segmentation import load_segmenter, segment_item
from cardio_monai.volumes import slice_areas_mm2, soft_slice_areas_mm2


def test_soft_areas_of_a_one_hot_map_are_the_label_areas_and_scale_with_the_probability():
    label = np.zeros((2, 3, 8, 8), dtype=np.uint8)
    label[0, 1, 2:6, 2:6] = LABEL_LV
    label[1, :, 3:5, 3:6] = LABEL_LV
    one_hot = (label == LABEL_LV).astype(np.float32)
    spacing = (1.25, 0.8)
    np.testing.assert_allclose(soft_slice_areas_mm2(one_hot, spacing), slice_areas_mm2(label, spacing))
    np.testing.assert_allclose(soft_slice_areas_mm2(0.3 * one_hot, spacing), 0.3 * slice_areas_mm2(label, spacing))
    assert soft_slice_areas_mm2(one_hot, spacing).shape == (2, 3)


class DiscNetwork(torch.nn.Module):
    """Certain background outside a disc of radius 20 px; inside it the LV cavity with logit ``lv_logit``
    against 0 for the other three classes (LV probability e^t / (e^t + 3))."""

    def __init__(self, size: int, lv_logit: float):
        super().__init__()
        yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
        disc = ((yy - size / 2) ** 2 + (xx - size / 2) ** 2 <= 20**2).float()
        self.disc = torch.nn.Parameter(disc, requires_grad=False)
        self.lv_logit = lv_logit

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.zeros(x.shape[0], 4, *x.shape[-2:])
        out[:, 0] = 30.0 * (1.0 - self.disc)
        out[:, LABEL_LV] = self.lv_logit * self.disc
        return out


@pytest.fixture(scope="module")
def sample_item():
    network, preprocessing, _ = load_segmenter()
    study = find_studies(SAMPLE_DIR)[0]
    return network, preprocessing({STUDY: study, SUBJECT: study.subject})


@pytest.mark.parametrize("probability", [0.5, 0.9])
def test_soft_volumes_are_the_discs_volume_times_the_networks_certainty(sample_item, probability):
    """An LV called with probability p on a disc of every slice: the soft volumes are p x the disc's volume
    (its pixels on the network's grid x their area there x the slice spacing; the pasting back into the
    input's grid keeps the mass), whatever the hard labels make of the disc's blurred border."""
    _, item = sample_item
    size = int(np.asarray(item[IMAGE]).shape[-1])
    network = DiscNetwork(size, float(np.log(3 * probability / (1 - probability))))
    result = segment_item(network, item, orientation=0)
    grid_mm = [s * n / r for s, n, r in zip(item[ORIGINAL_SPACING], item[ORIGINAL_SHAPE], item[RESAMPLED_SHAPE])]
    slices = np.asarray(item[IMAGE]).shape[1]
    disc_ml = float(network.disc.sum()) * grid_mm[0] * grid_mm[1] * slices * float(item[SLICE_SPACING]) / 1000
    assert result.edv_ml == pytest.approx(disc_ml, rel=0.05) and result.esv_ml == pytest.approx(result.edv_ml)
    assert result.soft_edv_ml == pytest.approx(probability * disc_ml, rel=0.01)
    assert result.soft_esv_ml == pytest.approx(probability * disc_ml, rel=0.01)


def test_the_shipped_segmenter_is_nearly_certain_of_the_sample(sample_item):
    """On the shipped Sunnybrook cine the soft volumes are within a few ml of the hard ones (the network is
    sure of most of the cavity) and never equal to them (it is not sure of every border pixel)."""
    network, item = sample_item
    result = segment_item(network, item)
    for soft, hard in ((result.soft_edv_ml, result.edv_ml), (result.soft_esv_ml, result.esv_ml)):
        assert soft != hard and soft == pytest.approx(hard, rel=0.06)
    assert abs(result.soft_ef_pct - result.ef_pct) < 3.0
