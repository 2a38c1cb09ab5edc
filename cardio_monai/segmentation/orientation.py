"""The layout of the heart in the image: the 8 flips and quarter turns of a frame, and the one in which the
network reads a study best.

Scanners and datasets lay the short-axis view out differently (the RV left or right of the LV, apex up or
down). The network is trained on one layout (ACDC's); a study in another is turned into it before the
network and the probabilities are turned back. The layout is chosen from the images alone: the network's
confidence (mean highest class probability over the pixels it calls heart) on the ED frames in each of the
8 orientations. On ACDC's held-out subjects the untouched layout is within 0.01 of the best of the 8
(docs/segmentation_reader.md); a Sunnybrook cine read in ACDC's layout scores 0.83 against 0.95 once
flipped, and its ED LV goes from 109 to 192 ml (reference 191 ml).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from cardio_monai.transforms import slice_context

ORIENTATIONS = 8
FRAME_BATCH = 16
"""Frames a network pass by default: on one CPU thread 16 frames of 160 x 160 read about 15 % faster than 32
(the cache), with bit-identical outputs; measured on the shipped segmenter."""
ORIENTATION_MARGIN = 0.02
"""Another orientation is chosen over the image's own only when the network's confidence in it is higher by
more than this (the largest gain of a wrong turn on ACDC's held-out subjects: about 0.01)."""


def dihedral(x: torch.Tensor, k: int, inverse: bool = False) -> torch.Tensor:
    """The ``k``-th of the 8 flips and quarter turns of the last two axes (k in 0-7: ``k % 4`` quarter turns
    after a flip of the last axis when ``k >= 4``), or its inverse."""
    if not 0 <= k < ORIENTATIONS:
        raise ValueError(f"orientation {k}: expected 0-7")
    turns, flip = k % 4, k >= 4
    if inverse:
        x = torch.rot90(x, -turns, (-2, -1))
        return x.flip(-1) if flip else x
    x = x.flip(-1) if flip else x
    return torch.rot90(x, turns, (-2, -1))


def _read(
    network: torch.nn.Module,
    image: torch.Tensor,
    batch: int,
    orientation: int,
    head: Callable[[torch.Tensor], torch.Tensor],
) -> torch.Tensor:
    """``head`` of the network's logits (B, C, S, S) -> (B, ..., S, S) for the frames of a (P, Z, S, S)
    stack (each with its through-plane neighbours where the network takes them: :func:`context_slices`),
    ``batch`` frames a pass in ``orientation``, concatenated and turned back into the image's own."""
    p, z, h, w = image.shape
    c = context_slices(network)
    view = dihedral(slice_context(image.float(), c).reshape(p * z, 1 + 2 * c, h, w), orientation)
    device = next(network.parameters()).device
    out = [head(network(view[i : i + batch].to(device))).cpu() for i in range(0, p * z, batch)]
    return dihedral(torch.cat(out), orientation, inverse=True)


def context_slices(network: torch.nn.Module) -> int:
    """Through-plane neighbours on each side of a slice that ``network`` reads with it
    (:func:`cardio_monai.transforms.slice_context`): (input channels - 1) / 2, from the network's
    ``in_channels``, else its first 2D convolution's, else 1 (no context).

    Raises:
        ValueError: an even number of input channels (no middle slice).
    """
    channels = getattr(network, "in_channels", None)
    if channels is None:
        channels = next((m.in_channels for m in network.modules() if isinstance(m, torch.nn.Conv2d)), 1)
    if channels % 2 == 0:
        raise ValueError(f"a segmenter with {channels} input channels: expected 1 + 2 x context slices")
    return (int(channels) - 1) // 2


def _softmax(logits: torch.Tensor) -> torch.Tensor:
    return torch.softmax(logits, 1)


def _labels(logits: torch.Tensor) -> torch.Tensor:
    # the class of highest probability; ``max(1).indices`` is the same as ``argmax(1)`` (first of ties) and
    # several times faster on CPU across a short channel axis
    return torch.softmax(logits, 1).max(1).indices.to(torch.uint8)


def _heart_confidence(logits: torch.Tensor) -> torch.Tensor:
    values, classes = torch.softmax(logits, 1).max(1)
    return torch.where(classes > 0, values, torch.nan)


@torch.no_grad()
def frame_probabilities(
    network: torch.nn.Module, image: torch.Tensor, batch: int = FRAME_BATCH, orientation: int = 0
) -> torch.Tensor:
    """Softmax class probabilities (P * Z, C, S, S) of the frames of a (P, Z, S, S) stack, ``batch`` frames a
    pass, read in ``orientation`` (see :func:`dihedral`) and turned back into the image's own."""
    return _read(network, image, batch, orientation, _softmax)


@torch.no_grad()
def frame_labels(
    network: torch.nn.Module, image: torch.Tensor, batch: int = FRAME_BATCH, orientation: int = 0
) -> torch.Tensor:
    """uint8 class labels (P * Z, S, S) of the frames of a (P, Z, S, S) stack: the argmax of
    :func:`frame_probabilities`, taken batch by batch (the stack's probabilities never exist at once)."""
    return _read(network, image, batch, orientation, _labels)


@torch.no_grad()
def orientation_confidence(network: torch.nn.Module, frames: torch.Tensor, batch: int = FRAME_BATCH) -> torch.Tensor:
    """(8,) mean highest softmax probability over the pixels called heart (any class but background) of the
    (N, S, S) ``frames`` in each orientation (0 where nothing is called heart)."""
    scores = torch.zeros(ORIENTATIONS)
    for k in range(ORIENTATIONS):
        heart = _read(network, frames[None], batch, k, _heart_confidence)
        heart = heart[~torch.isnan(heart)]
        scores[k] = heart.mean() if heart.numel() else 0.0
    return scores


def choose_orientation(
    network: torch.nn.Module, frames: torch.Tensor, batch: int = FRAME_BATCH, margin: float = ORIENTATION_MARGIN
) -> int:
    """The orientation (0-7, see :func:`dihedral`) in which to read a study whose ED frames are the
    (N, S, S) ``frames`` (base to apex): the image's own (0) unless another scores higher by more than
    ``margin``. Scored on every slice: the basal and apical slices are where a network reads a strange layout
    least confidently (on the middle half alone a Sunnybrook cine's gain fell from 0.03 to 0.015)."""
    scores = orientation_confidence(network, frames, batch)
    best = int(torch.argmax(scores))
    return best if scores[best] > scores[0] + margin else 0
