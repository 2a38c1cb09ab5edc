"""The segmenter's loss: DiceCE exactly when the cavity-area term is off, the area term's value on analytic
frames, and its gradient shrinking an overestimated cavity; the bundle's ``cavity_area_weight`` reaches it."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from monai.bundle import ConfigParser
from monai.losses import DiceCELoss

from cardio_monai.constants import LABEL_LV
from cardio_monai.segmentation import CavityAreaDiceCELoss, cavity_area_error

CONFIGS = Path(__file__).resolve().parents[2] / "bundles" / "cardiac_lv_segmentation" / "configs"


def _frames(pred_rows: int, ref_rows: int, size: int = 16) -> tuple[torch.Tensor, torch.Tensor]:
    """One frame whose logits call the first ``pred_rows`` rows cavity (near-certainly), the label the first
    ``ref_rows`` rows; everything else background."""
    logits = torch.full((1, 4, size, size), -20.0)
    logits[0, 0] = 20.0
    logits[0, LABEL_LV, :pred_rows] = 40.0
    target = torch.zeros((1, 1, size, size), dtype=torch.long)
    target[0, 0, :ref_rows] = LABEL_LV
    return logits, target


def test_off_is_dice_ce_exactly():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(3, 4, 20, 20, generator=g), torch.randint(0, 4, (3, 1, 20, 20), generator=g)
    ours = CavityAreaDiceCELoss(0.0, to_onehot_y=True, softmax=True)(x, y)
    assert torch.equal(ours, DiceCELoss(to_onehot_y=True, softmax=True)(x, y))
    assert CavityAreaDiceCELoss(0.5, to_onehot_y=True, softmax=True)(x, y) > ours


def test_area_error_is_the_batch_relative_l1_of_the_areas():
    a = _frames(pred_rows=10, ref_rows=8)  # 160 px against 128 px
    b = _frames(pred_rows=2, ref_rows=4)  # 32 px against 64 px
    logits, target = torch.cat([a[0], b[0]]), torch.cat([a[1], b[1]])
    expected = (32 + 32) / (128 + 64)
    assert cavity_area_error(logits, target).item() == pytest.approx(expected, rel=1e-5)
    assert cavity_area_error(*_frames(6, 6)).item() == pytest.approx(0.0, abs=1e-5)
    # a false cavity where the reference has none still counts (normalised by at least one pixel)
    assert cavity_area_error(*_frames(3, 0)).item() == pytest.approx(48.0, rel=1e-5)


def test_its_gradient_shrinks_an_overestimated_cavity_faster_than_dice_ce():
    def area_after(weight: float) -> float:
        logits, target = _frames(pred_rows=12, ref_rows=6)
        logits = (logits / 20.0).requires_grad_()  # soft enough to move
        loss_fn = CavityAreaDiceCELoss(weight, to_onehot_y=True, softmax=True)
        opt = torch.optim.SGD([logits], lr=20.0)
        for _ in range(20):
            opt.zero_grad()
            loss_fn(logits, target).backward()
            opt.step()
        return torch.softmax(logits, 1)[:, LABEL_LV].sum().item()

    start = torch.softmax(_frames(12, 6)[0] / 20.0, 1)[:, LABEL_LV].sum().item()
    plain, with_area = area_after(0.0), area_after(1.0)
    assert with_area < plain < start
    assert abs(with_area - 96) < abs(plain - 96)  # the reference: 6 rows of 16 px
    with pytest.raises(ValueError, match="area_weight"):
        CavityAreaDiceCELoss(-1.0)


def test_the_bundle_passes_cavity_area_weight_to_its_loss():
    for weight in (0.0, 1.0):
        parser = ConfigParser()
        parser.read_config(str(CONFIGS / "train.json"))
        parser.update({"cavity_area_weight": weight, "device": "$torch.device('cpu')"})
        loss = parser.get_parsed_content("loss")
        assert isinstance(loss, CavityAreaDiceCELoss) and loss.area_weight == weight
