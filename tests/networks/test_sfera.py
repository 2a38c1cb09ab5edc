"""SFERA: variable slice counts through a mask, no leak from padding, export, and that it learns."""

from __future__ import annotations

import warnings

import pytest
import torch

from cardio_monai.networks import SFERA

TINY = {"base_channels": 8, "input_size": 64, "feature_dim": 16, "hidden": 8}
SLICES = (7, 4, 5)  # slice counts of the three studies of one padded batch
ATOL = 1e-5


def tiny(norm: str = "batch", seed: int = 0, **kwargs) -> SFERA:
    torch.manual_seed(seed)
    return SFERA(norm=norm, **{**TINY, **kwargs})


def padded_batch(counts=SLICES, size: int = 64, seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """Studies of ``counts`` slices, padded to the longest with random noise (never zeros, so a leak shows)."""
    gen = torch.Generator().manual_seed(seed)
    z = max(counts)
    image = torch.randn(len(counts), 2, z, size, size, generator=gen) * 3 + 5
    mask = torch.arange(z).unsqueeze(0) < torch.tensor(counts).unsqueeze(1)
    return image, mask


def settle_batchnorm(net: SFERA) -> SFERA:
    """A few train-mode passes so BatchNorm running statistics are not the (0, 1) defaults; then eval."""
    image, mask = padded_batch(seed=9)
    net.train()
    with torch.no_grad():
        for _ in range(3):
            net(image, mask)
    return net.eval()


@pytest.mark.parametrize("norm", ["batch", "instance", "group"])
def test_padded_batch_equals_one_study_at_a_time(norm):
    net = settle_batchnorm(tiny(norm))
    image, mask = padded_batch()
    with torch.no_grad():
        batched = net(image, mask)
        alone = torch.cat([net(image[i : i + 1, :, :n]) for i, n in enumerate(SLICES)])
        features = net.features(image, mask)
    assert batched.shape == (3, 2)
    assert features.shape == (3, 2 * TINY["hidden"])
    torch.testing.assert_close(batched, alone, atol=ATOL, rtol=0)


@pytest.mark.parametrize("train", [False, True])
def test_padding_values_do_not_change_outputs(train):
    # In train mode too: padded slices never reach BatchNorm's batch statistics.
    net = tiny("batch").train(train)
    image, mask = padded_batch()
    other = torch.where(mask.view(3, 1, -1, 1, 1), image, torch.randn_like(image) * 100)
    with torch.no_grad():
        torch.testing.assert_close(net(image, mask), net(other, mask), atol=ATOL, rtol=0)


def test_backward_direction_starts_at_last_valid_slice():
    # Features differ from the padded study's features if the backward LSTM started in the padding.
    net = tiny("group").eval()
    image, mask = padded_batch(counts=(6, 3))
    with torch.no_grad():
        short = net.features(image[1:, :, :3])
        padded = net.features(image, mask)[1:]
        reversed_order = net.features(image[1:, :, :3].flip(2))
    torch.testing.assert_close(padded, short, atol=ATOL, rtol=0)
    # Order matters (the sequence is read, not pooled): reversing the slices changes the features.
    assert (reversed_order - short).abs().max() > 1e-3


def test_mask_with_hole_reads_as_study_without_that_slice():
    net = tiny("instance").eval()
    image, _ = padded_batch(counts=(6,))
    mask = torch.ones(1, 6, dtype=torch.bool)
    mask[0, 2] = False
    keep = [0, 1, 3, 4, 5]
    with torch.no_grad():
        torch.testing.assert_close(net(image, mask), net(image[:, :, keep]), atol=ATOL, rtol=0)


def test_no_mask_means_all_slices_valid():
    net = tiny("group").eval()
    image, _ = padded_batch(counts=(5, 5))
    with torch.no_grad():
        torch.testing.assert_close(net(image), net(image, torch.ones(2, 5, dtype=torch.bool)), atol=0, rtol=0)


def test_global_average_pooling_takes_any_input_size():
    net = tiny("group", input_size=None, pooling="avg").eval()
    image, mask = padded_batch(size=48)
    with torch.no_grad():
        assert net(image, mask).shape == (3, 2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"pooling": "flatten", "input_size": None}, "needs input_size"),
        ({"norm": "layer"}, "norm='layer'"),
        ({"pooling": "max"}, "pooling='max'"),
        ({"input_size": 16}, "too small"),
    ],
)
def test_bad_configuration_is_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SFERA(**{**TINY, **kwargs})


def test_paper_profile_shares_code_and_fits_a_bundle():
    net = SFERA()  # 32 base channels, 150 px, 5 blocks, flatten, 128 features, 64 hidden
    assert [block.conv1.out_channels for block in net.encoder] == [32, 64, 128, 256, 512]
    assert net.project[0].in_features == 512 * 4 * 4  # 150 -> 75 -> 37 -> 18 -> 9 -> 4
    size_mb = sum(t.numel() * t.element_size() for t in net.state_dict().values()) / 1e6
    assert size_mb < 25  # model-zoo limit per file


def _our_tracer_warnings(caught) -> list[str]:
    """TracerWarnings raised from our code (torch's own shape checks in LSTM/GroupNorm are harmless)."""
    return [
        str(w.message)
        for w in caught
        if issubclass(w.category, torch.jit.TracerWarning) and "cardio_monai" in w.filename
    ]


@pytest.mark.parametrize("norm", ["batch", "group"])
def test_script_and_trace_equal_eager_and_trace_generalises(norm):
    net = settle_batchnorm(tiny(norm))
    image, mask = padded_batch()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scripted = torch.jit.script(net)
        traced = torch.jit.trace(net, (image, mask))
    assert not _our_tracer_warnings(caught)
    other_image, other_mask = padded_batch(counts=(2, 10, 9, 3), seed=5)  # other batch size and slice counts
    with torch.no_grad():
        for x, m in ((image, mask), (other_image, other_mask)):
            expected = net(x, m)
            torch.testing.assert_close(scripted(x, m), expected, atol=ATOL, rtol=0)
            torch.testing.assert_close(traced(x, m), expected, atol=ATOL, rtol=0)
            torch.testing.assert_close(scripted(x, m, True), net(x, m, True), atol=ATOL, rtol=0)  # slice head
        torch.testing.assert_close(scripted(other_image), net(other_image), atol=ATOL, rtol=0)


def test_a_few_training_steps_reduce_rmse():
    """Synthetic studies: a bright disc per slice and phase; targets are the normalised summed disc areas."""
    gen = torch.Generator().manual_seed(3)
    n, z, size = 12, 6, 64
    counts = torch.randint(3, z + 1, (n,), generator=gen)
    mask = torch.arange(z).unsqueeze(0) < counts.unsqueeze(1)
    radius = torch.rand(n, 2, z, generator=gen) * 14 + 4  # px, per study, phase and slice
    yy, xx = torch.meshgrid(torch.arange(size) - size / 2, torch.arange(size) - size / 2, indexing="ij")
    discs = ((yy**2 + xx**2).view(1, 1, 1, size, size) < radius.unsqueeze(-1).unsqueeze(-1) ** 2).float()
    image = discs + 0.05 * torch.randn(discs.shape, generator=gen)
    areas = (discs.sum((-1, -2)) * mask.unsqueeze(1)).sum(2)  # (n, 2): summed over valid slices
    target = (areas - areas.min(0).values) / (areas.max(0).values - areas.min(0).values)

    net = tiny("group", seed=4)
    optimiser = torch.optim.RAdam(net.parameters(), lr=1e-2)

    def rmse() -> float:
        net.eval()
        with torch.no_grad():
            return torch.sqrt(torch.mean((net(image, mask) - target) ** 2)).item()

    before = rmse()
    net.train()
    for _ in range(40):
        optimiser.zero_grad()
        loss = torch.sqrt(torch.mean((net(image, mask) - target) ** 2))
        loss.backward()
        optimiser.step()
    after = rmse()
    # Learned more than the mean: well below the target's own SD (the RMSE of predicting the mean).
    assert after < 0.5 * before, (before, after)
    assert after < 0.5 * target.std().item(), (after, target.std().item())


@pytest.mark.parametrize("block_pooling", ["end", "middle"])
def test_sum_pooling_and_slice_head_per_study_equal_one_at_a_time(block_pooling):
    net = settle_batchnorm(tiny("batch", sequence_pooling="sum", slice_outputs=2, block_pooling=block_pooling))
    image, mask = padded_batch()
    z = image.shape[2]
    with torch.no_grad():
        batched = net(image, mask, with_slices=True)
        assert batched.shape == (3, 2 + 2 * z)
        for k, n in enumerate(SLICES):
            alone = net(image[k : k + 1, :, :n], with_slices=True)
            torch.testing.assert_close(batched[k, : 2 + 2 * n], alone[0], atol=ATOL, rtol=0)
            assert float(batched[k, 2 + 2 * n :].abs().sum()) == 0.0  # nothing past the valid slices
            torch.testing.assert_close(net(image[k : k + 1, :, :n]), alone[:, :2], atol=ATOL, rtol=0)


def test_sum_pooling_grows_with_the_slice_count():
    # Summed features of a stack twice as long (the same slices repeated) are twice the sum of the
    # LSTM outputs only if those outputs were equal; instead check the definition: sum = mean x count.
    net = settle_batchnorm(tiny("batch", sequence_pooling="sum"))
    mean_net = settle_batchnorm(tiny("batch", sequence_pooling="mean"))
    mean_net.load_state_dict(net.state_dict())
    image, mask = padded_batch()
    with torch.no_grad():
        counts = mask.sum(1, keepdim=True).float()
        torch.testing.assert_close(
            net.features(image, mask), mean_net.features(image, mask) * counts, atol=1e-4, rtol=1e-5
        )
