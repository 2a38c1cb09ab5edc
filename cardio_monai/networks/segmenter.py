"""The segmenter: a plain MONAI 2D UNet for LV cavity, myocardium and RV on single frames. It judges
synthetic frames (semantic consistency) and is the segmentation baseline SFERA is compared with."""

from __future__ import annotations

from collections.abc import Sequence

from monai.networks.nets import UNet

from cardio_monai.constants import LABEL_VALUES


def make_segmenter(channels: Sequence[int] = (16, 32, 64, 128), num_res_units: int = 2) -> UNet:
    """MONAI 2D UNet: one frame (B, 1, H, W) in [0, 1] -> logits of the 4 labels (B, 4, H, W);
    H and W multiples of ``2 ** (len(channels) - 1)``."""
    strides = (2,) * (len(channels) - 1)
    return UNet(2, 1, len(LABEL_VALUES), channels=tuple(channels), strides=strides, num_res_units=num_res_units)
