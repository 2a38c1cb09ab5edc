"""SFERA (Gheorghita et al. 2022): a per-slice 2D residual CNN on the (ED, ES) pair, a linear layer to
a feature vector per slice, and a bidirectional LSTM over a variable number of slices.

Variable slice counts are handled with a boolean mask, not packed sequences, so the network exports
with ``torch.jit.script`` and ``torch.jit.trace`` (and the trace generalises to other slice counts):

- only the valid slices go through the CNN (padding never enters a BatchNorm batch statistic);
- the valid slices of each study are compacted to the front of its sequence (a mask with holes
  reads as the study without those slices);
- the backward LSTM runs on each sequence reversed within its own valid length (an index gather),
  so it starts at the last valid slice;
- the sequence feature is the mean of the BiLSTM outputs over the valid slices.
"""

import math

import torch
from torch import nn

from cardio_monai.constants import CROP_SIZE_PX

NORM_LAYERS = ("batch", "instance", "group")
POOLING_MODES = ("flatten", "avg")
SEQUENCE_POOLING = ("mean", "sum")
BLOCK_POOLING = ("end", "middle")


def norm_layer(norm: str, channels: int, groups: int = 8) -> nn.Module:
    """2D normalisation layer by name: ``"batch"``, ``"instance"`` (affine, no running statistics,
    the same in train and eval mode) or ``"group"`` (``gcd(groups, channels)`` groups)."""
    if norm == "batch":
        return nn.BatchNorm2d(channels)
    if norm == "instance":
        return nn.InstanceNorm2d(channels, affine=True)
    if norm == "group":
        return nn.GroupNorm(math.gcd(groups, channels), channels)
    raise ValueError(f"norm={norm!r}: expected one of {NORM_LAYERS}")


class ResidualBlock2d(nn.Module):
    """Residual block with 2x2 max pooling: (N, C_in, H, W) -> (N, C_out, H // 2, W // 2).

    ``pool="end"``: conv3x3-norm-ReLU-conv3x3-norm plus a 1x1 projection skip, ReLU, then pooling.
    ``pool="middle"``: conv3x3-norm-ReLU, pooling, conv3x3-norm, plus the pooled 1x1 projection skip,
    ReLU: the second convolution runs on a quarter of the pixels (about half the block's
    multiply-adds; docs/benchmarks.md measures what it buys on 2 CPU cores).
    """

    def __init__(
        self, in_channels: int, out_channels: int, norm: str = "batch", norm_groups: int = 8, pool: str = "end"
    ):
        super().__init__()
        if pool not in BLOCK_POOLING:
            raise ValueError(f"pool={pool!r}: expected one of {BLOCK_POOLING}")
        self.pool_middle = pool == "middle"
        self.conv1 = nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False)
        self.norm1 = norm_layer(norm, out_channels, norm_groups)
        self.conv2 = nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1, bias=False)
        self.norm2 = norm_layer(norm, out_channels, norm_groups)
        self.skip = nn.Conv2d(in_channels, out_channels, kernel_size=1)
        self.act = nn.ReLU()
        self.pool = nn.MaxPool2d(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.act(self.norm1(self.conv1(x)))
        if self.pool_middle:
            y = self.norm2(self.conv2(self.pool(y)))
            return self.act(y + self.pool(self.skip(x)))
        y = self.norm2(self.conv2(y))
        return self.pool(self.act(y + self.skip(x)))


class SFERA(nn.Module):
    """Spatial Feature Encoding Recurrent network for Abstracting patient features.

    Input ``image`` (B, C, Z, H, W) float: C = ``in_channels`` (ED and ES), Z slices ordered base to
    apex, H = W = ``input_size`` for ``pooling="flatten"``; ``mask`` (B, Z) bool, True on valid
    slices (None: all valid). Output of :meth:`forward`: (B, ``out_channels``), the normalised
    (EDV, ESV) the network is trained on; :meth:`features` gives the (B, 2 * ``hidden``) sequence
    features the Bayesian ridge head is fitted on.

    Args:
        in_channels: image channels per slice (2: ED, ES).
        out_channels: regression outputs of the training head (2: EDV, ESV).
        base_channels: channels of the first residual block, doubled at every further block.
        n_blocks: residual blocks, each halving H and W.
        input_size: H = W of the input in pixels; required by ``pooling="flatten"``.
        pooling: ``"flatten"`` (the paper: flatten the last feature map) or ``"avg"`` (global
            average pooling; any input size).
        feature_dim: per-slice feature size after the linear layer (128 in the paper).
        hidden: LSTM hidden size per direction.
        norm: ``"batch"``, ``"instance"`` or ``"group"``. BatchNorm with one subject per batch
            collapses in eval mode (docs: monai-notes); instance and group norm do not.
        norm_groups: groups of GroupNorm (reduced to divide the channel count).
        dropout: dropout on the sequence features before the training head.
        sequence_pooling: how the per-slice BiLSTM outputs become the sequence feature: ``"mean"``
            over the valid slices, or their ``"sum"`` (a volume is a sum over slices, so summed
            features let a linear head read it whatever the slice count).
        slice_outputs: size of an auxiliary linear head on every slice's BiLSTM output (0: none).
            Trained against per-slice quantities (e.g. the ED and ES LV areas) it gives the encoder a
            dense training signal; ``forward(..., with_slices=True)`` returns its outputs too.
    """

    def __init__(
        self,
        in_channels: int = 2,
        out_channels: int = 2,
        base_channels: int = 32,
        n_blocks: int = 5,
        input_size: int | None = CROP_SIZE_PX,
        pooling: str = "flatten",
        feature_dim: int = 128,
        hidden: int = 64,
        norm: str = "batch",
        norm_groups: int = 8,
        dropout: float = 0.0,
        sequence_pooling: str = "mean",
        slice_outputs: int = 0,
        block_pooling: str = "end",
    ):
        super().__init__()
        if sequence_pooling not in SEQUENCE_POOLING:
            raise ValueError(f"sequence_pooling={sequence_pooling!r}: expected one of {SEQUENCE_POOLING}")
        if pooling not in POOLING_MODES:
            raise ValueError(f"pooling={pooling!r}: expected one of {POOLING_MODES}")
        if norm not in NORM_LAYERS:
            raise ValueError(f"norm={norm!r}: expected one of {NORM_LAYERS}")
        if n_blocks < 1:
            raise ValueError(f"n_blocks={n_blocks}: need at least one residual block")
        if pooling == "flatten" and input_size is None:
            raise ValueError('pooling="flatten" needs input_size (H = W of the input in pixels)')
        if input_size is not None and input_size < 2**n_blocks:
            raise ValueError(
                f"input_size={input_size} px is too small for {n_blocks} blocks of 2x2 pooling "
                f"(needs >= {2**n_blocks} px)"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.input_size = input_size
        self.pooling = pooling
        self.feature_dim = feature_dim
        self.hidden = hidden
        self.sequence_dim = 2 * hidden
        self.sequence_pooling = sequence_pooling
        self.slice_outputs = slice_outputs

        blocks = []
        channels = in_channels
        for i in range(n_blocks):
            blocks.append(ResidualBlock2d(channels, base_channels * 2**i, norm, norm_groups, block_pooling))
            channels = base_channels * 2**i
        self.encoder = nn.Sequential(*blocks)
        if pooling == "flatten":
            assert input_size is not None  # checked above; narrows the type
            side = input_size
            for _ in range(n_blocks):
                side //= 2
            self.reduce: nn.Module = nn.Flatten(1)
            flat = channels * side * side
        else:
            self.reduce = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(1))
            flat = channels
        self.project = nn.Sequential(nn.Linear(flat, feature_dim), nn.ReLU())
        self.lstm_fwd = nn.LSTM(feature_dim, hidden, batch_first=True)
        self.lstm_bwd = nn.LSTM(feature_dim, hidden, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(self.sequence_dim, out_channels)
        self.slice_head = nn.Linear(self.sequence_dim, max(slice_outputs, 1))

    def encode_slices(self, slices: torch.Tensor) -> torch.Tensor:
        """Per-slice features: (N, C, H, W) -> (N, ``feature_dim``)."""
        return self.project(self.reduce(self.encoder(slices)))

    def slice_features(
        self, image: torch.Tensor, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-slice BiLSTM outputs (B, Z, 2 * hidden), zero on invalid slices, and the (B, Z) bool mask
        of the valid slices in their compacted order (each study's valid slices first)."""
        b, c, z, h, w = image.shape
        if mask is None:
            mask = torch.ones((b, z), dtype=torch.bool, device=image.device)
        mask = mask.to(torch.bool)
        # Valid slices only through the CNN, in batch-major order.
        slices = image.permute(0, 2, 1, 3, 4).reshape(b * z, c, h, w)
        valid = mask.reshape(-1).nonzero().squeeze(1)
        encoded = self.encode_slices(slices.index_select(0, valid))
        # Compact each study's valid slices to the front of its sequence; padding is zeros.
        lengths = mask.sum(1)
        rows = torch.arange(b, device=image.device).unsqueeze(1) * z
        target = (rows + mask.cumsum(1) - 1).reshape(-1).index_select(0, valid)
        seq = encoded.new_zeros((b * z, encoded.shape[1])).index_copy(0, target, encoded).reshape(b, z, -1)
        steps = torch.arange(z, device=image.device).unsqueeze(0)
        in_length = steps < lengths.unsqueeze(1)
        # Reverse each sequence within its valid length (an involution), padding stays in place.
        reverse = torch.where(in_length, lengths.unsqueeze(1) - 1 - steps, steps)
        fwd, _ = self.lstm_fwd(seq)
        bwd, _ = self.lstm_bwd(seq.gather(1, reverse.unsqueeze(2).expand(b, z, seq.shape[2])))
        bwd = bwd.gather(1, reverse.unsqueeze(2).expand(b, z, bwd.shape[2]))
        out = torch.cat([fwd, bwd], 2)
        return torch.where(in_length.unsqueeze(2), out, torch.zeros_like(out)), in_length

    def pool(self, out: torch.Tensor, in_length: torch.Tensor) -> torch.Tensor:
        """Sequence feature from per-slice outputs (B, Z, F) (zero on invalid slices): (B, F)."""
        total = out.sum(1)
        if self.sequence_pooling == "sum":
            return total
        return total / in_length.sum(1).clamp(min=1).unsqueeze(1).to(out.dtype)

    def features(self, image: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Sequence features: mean (or sum) over the valid slices of the BiLSTM outputs, (B, 2 * hidden)."""
        out, in_length = self.slice_features(image, mask)
        return self.pool(out, in_length)

    def slice_sum(self, out: torch.Tensor, in_length: torch.Tensor) -> torch.Tensor:
        """Auxiliary per-slice outputs summed over the valid slices: (B, Z, 2 * hidden) -> (B, slice_outputs)."""
        return (self.slice_head(out) * in_length.unsqueeze(2).to(out.dtype)).sum(1)

    def regress(self, features: torch.Tensor) -> torch.Tensor:
        """Training head on sequence features: (B, 2 * hidden) -> (B, out_channels)."""
        return self.head(self.dropout(features))

    def forward(self, image: torch.Tensor, mask: torch.Tensor | None = None, with_slices: bool = False) -> torch.Tensor:
        """(B, C, Z, H, W) image and (B, Z) bool mask -> (B, out_channels) normalised volumes.

        With ``with_slices`` (training with the auxiliary slice head): (B, out_channels + Z * slice_outputs),
        the volumes then the per-slice outputs flattened slice-major, in the order of the valid slices
        (each study's valid slices first, as the mask compacts them) and zero past them.
        """
        out, in_length = self.slice_features(image, mask)
        volumes = self.regress(self.pool(out, in_length))
        if not with_slices:
            return volumes
        per_slice = self.slice_head(out) * in_length.unsqueeze(2).to(out.dtype)
        return torch.cat([volumes, per_slice.flatten(1)], 1)
