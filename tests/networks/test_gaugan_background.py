"""The background-preserving generator: real frames kept outside the painted region, the plain generator's
weights widened into it, the painted region itself, and a trainer step that keeps the real background."""

from __future__ import annotations

import pytest
import torch

from cardio_monai.engines import ConditionalGANTrainer
from cardio_monai.networks.gaugan import ConditionalDiscriminator, SPADEGenerator
from cardio_monai.transforms import RandHeartRegiond, heart_region
from cardio_monai.utils.checkpoint import load_weights_widened

TINY = {"image_size": 32, "channels": (16, 8), "spade_hidden": 8}


def _labels(seed: int = 0, n: int = 3, size: int = 32) -> torch.Tensor:
    label = torch.zeros(n, 2, size, size, dtype=torch.long)
    gen = torch.Generator().manual_seed(seed)
    for i in range(n):
        r, c = (int(v) for v in torch.randint(10, 22, (2,), generator=gen))
        label[i, :, r - 4 : r + 4, c - 4 : c + 4] = 2
        label[i, 0, r - 2 : r + 2, c - 2 : c + 2] = 3
        label[i, 1, r - 1 : r + 1, c - 1 : c + 1] = 3
    return label


def test_heart_region_is_the_union_of_phases_and_maps_dilated_by_a_disc():
    label = torch.zeros(1, 2, 41, 41, dtype=torch.long)
    label[0, 0, 20, 20] = 3
    label[0, 1, 20, 32] = 1
    region = heart_region(label, 5)
    assert region.shape == (1, 1, 41, 41) and set(region.unique().tolist()) == {0.0, 1.0}
    assert int(region.sum()) == 2 * 81  # two discs of radius 5 (81 pixels each), apart
    assert region[0, 0, 20, 25] == 1 and region[0, 0, 20, 26] == 0 and region[0, 0, 15, 15] == 0
    extra = torch.zeros(1, 2, 41, 41, dtype=torch.long)
    extra[0, 0, 5, 5] = 2
    assert int(heart_region(label, 5, extra).sum()) == 2 * 81 + int(heart_region(extra, 5)[0, 0, :11, :11].sum())
    assert int(heart_region(label, 0).sum()) == 2  # no margin: the labelled pixels themselves


def test_rand_heart_region_draws_margins_from_its_range_deterministically():
    item = {"label": torch.zeros(2, 41, 41, dtype=torch.long)}
    item["label"][:, 20, 20] = 3
    areas = []
    for seed in (0, 0, 1):
        t = RandHeartRegiond(margin_px=(2, 9)).set_random_state(seed)
        areas.append([int(t(item)["region"].sum()) for _ in range(20)])
    assert areas[0] == areas[1] and areas[0] != areas[2]
    possible = {int(heart_region(item["label"], m).sum()) for m in range(2, 10)}
    assert set(areas[0]) <= possible and len(set(areas[0])) > 3
    with pytest.raises(ValueError, match="low <= high"):
        RandHeartRegiond(margin_px=(5, 2))


def test_outside_the_region_the_output_is_the_given_frames_exactly():
    torch.manual_seed(0)
    g = SPADEGenerator(**TINY, background=True).eval()
    label = _labels()
    image, region = torch.rand(3, 2, 32, 32), heart_region(label, 3)
    with torch.no_grad():
        out = g.frames_from_labels(label, image, region)
        moved = g.frames_from_labels(label, image.roll(5, -1), region)
    assert torch.equal(out * (1 - region), image * (1 - region))
    assert (out - image).abs().mul(region).sum() > 0  # the region is painted
    # The blanked frames are inputs: what lies outside the region changes what is painted inside.
    assert not torch.allclose(out * region, moved * region)
    with pytest.raises(ValueError, match="source's frames"):
        g.frames_from_labels(label)
    scripted = torch.jit.script(g)
    torch.testing.assert_close(scripted(g.condition(label, image, region)), out)


def test_widened_weights_paint_what_the_plain_generator_draws(tmp_path):
    torch.manual_seed(0)
    plain = SPADEGenerator(**TINY).eval()
    torch.save(plain.state_dict(), tmp_path / "plain.pt")
    wide = load_weights_widened(SPADEGenerator(**TINY, background=True), tmp_path / "plain.pt").eval()
    label = _labels(1)
    image, region = torch.rand(3, 2, 32, 32), heart_region(label, 3)
    with torch.no_grad():
        torch.testing.assert_close(wide.frames_from_labels(label, image, region) * region,
                                   plain.frames_from_labels(label) * region)  # fmt: skip
    with pytest.raises(Exception, match="cannot be widened"):
        load_weights_widened(SPADEGenerator(image_size=32, channels=(32, 8), spade_hidden=8, background=True),
                             tmp_path / "plain.pt")  # fmt: skip


def test_a_trainer_step_keeps_the_real_background():
    torch.manual_seed(0)
    g = SPADEGenerator(**{**TINY, "image_size": 64}, background=True)
    d = ConditionalDiscriminator(image_size=64, channels=8)
    label = _labels(2, 2, size=64)
    batch = {"image": torch.rand(2, 2, 64, 64), "label": label, "region": heart_region(label, 3)}
    trainer = ConditionalGANTrainer(
        "cpu", 1, [batch], g, d,
        torch.optim.Adam(g.parameters(), 1e-4, betas=(0.0, 0.9)),
        torch.optim.Adam(d.parameters(), 4e-4, betas=(0.0, 0.9)),
    )  # fmt: skip
    trainer.run()
    pred, region = trainer.state.output["pred"], batch["region"]
    assert torch.equal(pred * (1 - region), batch["image"] * (1 - region))
