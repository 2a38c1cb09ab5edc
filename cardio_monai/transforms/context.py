"""Through-plane context of a 2D reader: each slice handed to the network with its ``c`` neighbours above
and below as extra channels (2.5D input), so that a frame can be read knowing what lies next to it (the
atrium above a basal slice at ES, the apex below the last cavity slice).

:func:`slice_context` turns a (P, Z, H, W) stack into (P, Z, 1 + 2c, H, W): channel ``c`` is the slice itself,
channels ``c - k`` and ``c + k`` the slices ``k`` before and after it, zeros beyond the ends of the stack (so
the network sees where the stack stops). Stacks are not always ordered base to apex, so training reverses
the neighbours at random (:class:`RandReverseContextd`): the reader does not depend on the slice order.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
import torch
from monai.config import KeysCollection
from monai.transforms import MapTransform, RandomizableTransform, Transform

ArrayLike = np.ndarray | torch.Tensor


def slice_context(stack: ArrayLike, slices: int) -> ArrayLike:
    """(P, Z, H, W) stack -> (P, Z, 1 + 2 * ``slices``, H, W) frames with their through-plane neighbours as
    channels, zeros beyond the stack's first and last slice (numpy in, numpy out; torch in, torch out).

    Raises:
        ValueError: ``slices`` negative, or a stack that is not 4D.
    """
    if slices < 0:
        raise ValueError(f"context slices {slices}: expected 0 or more")
    if stack.ndim != 4:
        raise ValueError(f"stack of shape {tuple(stack.shape)}: expected (P, Z, H, W)")
    if slices == 0:
        return stack[:, :, None]
    z = stack.shape[1]
    if isinstance(stack, torch.Tensor):
        padded = torch.nn.functional.pad(stack, (0, 0, 0, 0, slices, slices))
        return torch.stack([padded[:, k : k + z] for k in range(2 * slices + 1)], dim=2)
    padded = np.pad(stack, ((0, 0), (slices, slices), (0, 0), (0, 0)))
    return np.stack([padded[:, k : k + z] for k in range(2 * slices + 1)], axis=2)


class ReverseContext(Transform):
    """Reverse the channel axis of a (C, H, W) frame with context (:func:`slice_context`): the slices before
    it become those after it; the middle channel, the frame itself, stays."""

    def __call__(self, img: ArrayLike) -> ArrayLike:
        return torch.flip(img, dims=(0,)) if isinstance(img, torch.Tensor) else np.ascontiguousarray(img[::-1])


class RandReverseContextd(RandomizableTransform, MapTransform):
    """Dictionary transform: with probability ``prob`` reverse the context channels of ``keys``
    (:class:`ReverseContext`), one draw for all keys of an item."""

    def __init__(self, keys: KeysCollection, prob: float = 0.5, allow_missing_keys: bool = False):
        MapTransform.__init__(self, keys, allow_missing_keys)
        RandomizableTransform.__init__(self, prob)
        self.reverse = ReverseContext()

    def __call__(self, data: Mapping[Hashable, Any]) -> dict[Hashable, Any]:
        d = dict(data)
        self.randomize(None)
        if self._do_transform:
            for key in self.key_iterator(d):
                d[key] = self.reverse(d[key])
        return d
