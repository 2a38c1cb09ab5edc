"""Through-plane context (2.5D input) on analytic stacks: each slice with its neighbours as channels, zeros
beyond the stack, numpy and torch alike, and the random reversal of the neighbours."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cardio_monai.transforms import RandReverseContextd, ReverseContext, slice_context


def _stack() -> np.ndarray:
    # (P=2, Z=4, 2, 3): every pixel of slice z of phase p holds 10 * p + z + 1 (never 0)
    return (10 * np.arange(2)[:, None] + np.arange(4)[None] + 1.0)[..., None, None] * np.ones((1, 1, 2, 3))


def test_each_slice_gets_its_neighbours_and_zeros_beyond_the_stack():
    out = slice_context(_stack(), 2)
    assert out.shape == (2, 4, 5, 2, 3)
    assert out[1, :, :, 0, 0].tolist() == [
        [0, 0, 11, 12, 13],
        [0, 11, 12, 13, 14],
        [11, 12, 13, 14, 0],
        [12, 13, 14, 0, 0],
    ]
    assert np.array_equal(out[:, :, 2], _stack())  # the middle channel is the slice itself


def test_no_context_is_the_slice_alone_and_torch_matches_numpy():
    stack = _stack()
    assert slice_context(stack, 0).shape == (2, 4, 1, 2, 3)
    for c in (0, 1, 3):
        t = slice_context(torch.as_tensor(stack), c)
        assert isinstance(t, torch.Tensor)
        assert np.array_equal(t.numpy(), slice_context(stack, c))


def test_bad_context_is_refused():
    with pytest.raises(ValueError, match="expected 0 or more"):
        slice_context(_stack(), -1)
    with pytest.raises(ValueError, match=r"expected \(P, Z, H, W\)"):
        slice_context(_stack()[0], 1)


def test_reversal_swaps_the_neighbours_and_keeps_the_slice():
    frame = slice_context(_stack(), 1)[0, 1]  # channels: slices 0, 1, 2 -> values 1, 2, 3
    assert ReverseContext()(frame)[:, 0, 0].tolist() == [3, 2, 1]
    assert ReverseContext()(torch.as_tensor(frame))[:, 0, 0].tolist() == [3, 2, 1]
    rand = RandReverseContextd("image", prob=0.5)
    rand.set_random_state(0)
    firsts = [rand({"image": frame})["image"][0, 0, 0] for _ in range(200)]
    assert set(firsts) == {1.0, 3.0} and 60 < firsts.count(3.0) < 140
    assert RandReverseContextd("image", prob=0.0)({"image": frame})["image"][0, 0, 0] == 1.0
