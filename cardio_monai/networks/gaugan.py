"""GauGAN (SPADE) networks for label-map-to-cine synthesis, on MONAI's ``SPADENet`` and
``MultiScalePatchDiscriminator``.

The ED and ES frames of a slice are generated jointly: the generator sees the one-hot label maps of
both phases (``phases * n_labels`` channels) and returns both frames as channels, so the two phases
of a synthetic subject share one background and one appearance (the paper's 2D model, one frame at a
time, gives them inconsistent backgrounds). ``phases=1`` is the paper's per-frame model.

The generator is scriptable (``torch.jit.script``, what ``monai.bundle ckpt_export`` does by default):
MONAI's ``SPADENet`` is not (its decoder interpolates to a size held in a list), so the deterministic
decoder's layers are built by ``SPADENet`` and run by :class:`_SPADEDecoderPath`, under the same
parameter names (``net.decoder.*``): checkpoints of either form load into the other, strictly.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from monai.networks.nets import MultiScalePatchDiscriminator, SPADENet
from monai.networks.nets.spade_network import SPADEDecoder
from torch import nn

from cardio_monai.constants import LABEL_VALUES


def labels_to_onehot(label: torch.Tensor, n_labels: int = len(LABEL_VALUES)) -> torch.Tensor:
    """(B, P, H, W) integer label maps of P phases -> (B, P * n_labels, H, W) float one-hot, phase-major."""
    b, p, h, w = label.shape
    onehot = torch.nn.functional.one_hot(label.long().clamp(0, n_labels - 1), n_labels)  # (B, P, H, W, L)
    return onehot.permute(0, 1, 4, 2, 3).reshape(b, p * n_labels, h, w).to(torch.float32)


class _SPADEDecoderPath(nn.Module):
    """The forward pass of a deterministic (``is_vae=False``) ``SPADEDecoder``, on that decoder's own layers,
    with its latent size as a tuple of ints so that TorchScript can compile it."""

    def __init__(self, decoder: SPADEDecoder):
        super().__init__()
        if decoder.is_vae:
            raise ValueError("only the deterministic SPADE decoder (is_vae=False) is supported")
        size = tuple(int(s) for s in decoder.latent_spatial_shape)
        self.latent_size: tuple[int, int] = (size[0], size[1])
        self.conv_init = decoder.conv_init
        self.blocks = decoder.blocks
        self.upsampling = decoder.upsampling
        self.last_conv = decoder.last_conv

    def forward(self, seg: torch.Tensor) -> torch.Tensor:
        x = self.conv_init(F.interpolate(seg, size=self.latent_size))  # nearest, as SPADEDecoder
        for block in self.blocks:
            x = self.upsampling(block(x, seg))
        return self.last_conv(x)


class _SPADENetLayers(nn.Module):
    """Holds the decoder path as ``decoder``, so that parameter names are those of ``SPADENet`` (``decoder.*``)."""

    def __init__(self, net: SPADENet):
        super().__init__()
        self.decoder = _SPADEDecoderPath(net.decoder)

    def forward(self, seg: torch.Tensor) -> torch.Tensor:
        return self.decoder(seg)


class SPADEGenerator(nn.Module):
    """Deterministic SPADE generator (``SPADENet`` with ``is_vae=False``): one-hot labels to frames.

    ``forward(condition (B, C, H, W)) -> (B, phases, H, W)`` in [0, 1] (sigmoid), the range of the
    preprocessed real frames; :meth:`condition` builds the input. Plain (``background=False``): the
    one-hot label maps, C = phases * n_labels. Background-preserving (``background=True``): the label
    maps, then the source subject's real frames with the painted region blanked (``phases`` channels),
    then that region (1 channel), C = phases * (n_labels + 1) + 1; the output is the real frames outside
    the region and the generated ones inside (label-conditioned inpainting, so the anatomy around the
    heart, and its change from ED to ES, is the real subject's). ``noise_channels`` > 0 appends that many
    channels of standard normal noise (B, noise_channels, H, W) last: the SPADE normalisations then see a
    per-pixel random input, from which the otherwise deterministic network can draw texture that the label
    maps do not describe (trabeculae, papillary muscles, the blood pool's flow artefacts).

    Args:
        phases: frames generated together (2: ED and ES; 1: one frame at a time, as the paper).
        n_labels: label values per phase (4: background, RV, myocardium, LV cavity).
        image_size: H = W in pixels, a multiple of ``2 ** len(channels)``.
        channels: decoder channels, widest first (``SPADENet`` reverses its own copy).
        spade_hidden: hidden channels of every SPADE normalisation.
        background: paint only a region of given real frames (see above).
        noise_channels: noise channels in the condition (0: none).
        upsampling_mode: how the decoder doubles its grid between levels (``torch.nn.Upsample`` mode:
            "nearest", SPADE's and the shipped weights'; "bilinear" leaves no 2 x 2 blocks for the next
            convolution to smooth). No parameters: a checkpoint loads into either.
    """

    def __init__(
        self,
        phases: int = 2,
        n_labels: int = len(LABEL_VALUES),
        image_size: int = 128,
        channels: Sequence[int] = (256, 128, 64, 32),
        spade_hidden: int = 64,
        background: bool = False,
        noise_channels: int = 0,
        upsampling_mode: str = "nearest",
    ):
        super().__init__()
        if noise_channels < 0:
            raise ValueError(f"noise_channels={noise_channels}: must be >= 0")
        step = 2 ** len(channels)
        if image_size % step:
            raise ValueError(f"image_size={image_size} px: must be a multiple of {step} for {len(channels)} levels")
        self.phases, self.n_labels, self.image_size, self.background = phases, n_labels, image_size, bool(background)
        self.noise_channels = int(noise_channels)
        self.upsampling_mode = str(upsampling_mode)
        self.in_channels = phases * n_labels + (phases + 1 if background else 0) + self.noise_channels
        spade = SPADENet(
            spatial_dims=2,
            in_channels=phases,
            out_channels=phases,
            label_nc=self.in_channels,
            input_shape=(image_size, image_size),
            channels=list(channels),  # SPADENet reverses the list it is given in place: give it a copy
            is_vae=False,
            spade_intermediate_channels=spade_hidden,
            last_act="SIGMOID",
            upsampling_mode=self.upsampling_mode,
        )
        self.net = _SPADENetLayers(spade)  # SPADENet's layers and parameter names, a scriptable forward

    def forward(self, condition: torch.Tensor) -> torch.Tensor:
        frames = self.net(condition)
        if not self.background:
            return frames
        k = self.phases * self.n_labels
        kept, region = condition[:, k : k + self.phases], condition[:, k + self.phases : k + self.phases + 1]
        return kept + region * frames  # ``kept`` is zero inside the region

    def condition(
        self,
        label: torch.Tensor,
        image: torch.Tensor | None = None,
        region: torch.Tensor | None = None,
        noise: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The network input for label maps (B, phases, H, W); a background-preserving generator also takes
        the source's real frames ``image`` (B, phases, H, W) in [0, 1] and the painted ``region``
        (B, 1, H, W) in {0, 1} (e.g. :func:`cardio_monai.transforms.heart_region`); a generator with noise
        channels takes ``noise`` (B, noise_channels, H, W), drawn from torch's global generator when ``None``
        (what training does; :func:`cardio_monai.synthesis.images.synthesize_stack` passes seeded noise)."""
        parts = [labels_to_onehot(label, self.n_labels)]
        if self.background:
            if image is None or region is None:
                raise ValueError("a background-preserving generator needs the source's frames and the painted region")
            region = region.to(parts[0])
            parts += [image.to(parts[0]) * (1.0 - region), region]
        if self.noise_channels:
            b, _, h, w = label.shape
            if noise is None:
                noise = torch.randn((b, self.noise_channels, h, w), device=label.device)
            if tuple(noise.shape) != (b, self.noise_channels, h, w):
                raise ValueError(f"noise of shape {tuple(noise.shape)}: expected {(b, self.noise_channels, h, w)}")
            parts.append(noise.to(parts[0]))
        return torch.cat(parts, 1) if len(parts) > 1 else parts[0]

    def frames_from_labels(
        self,
        label: torch.Tensor,
        image: torch.Tensor | None = None,
        region: torch.Tensor | None = None,
        noise: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """(B, P, H, W) integer label maps (with ``image``, ``region`` and ``noise`` as :meth:`condition`)
        -> (B, P, H, W) frames in [0, 1], whatever ``phases`` is: the joint model generates the P phases of a
        slice together, the per-frame model (``phases=1``) each on its own (all P with the same noise)."""
        b, p, h, w = label.shape
        if p == self.phases:
            return self(self.condition(label, image, region, noise))
        if self.phases != 1:
            raise ValueError(f"label maps of {p} phases for a generator of {self.phases}")
        image = None if image is None else image.reshape(b * p, 1, h, w)
        region = None if region is None else region.repeat_interleave(p, 0)
        noise = None if noise is None else noise.repeat_interleave(p, 0)
        return self(self.condition(label.reshape(b * p, 1, h, w), image, region, noise)).reshape(b, p, h, w)


class ConditionalDiscriminator(nn.Module):
    """Multi-scale patch discriminator on label maps and frames concatenated.

    ``forward(label_onehot, image) -> (logits per scale, features per scale)``: the intermediate
    feature maps of each scale (before its logits), what feature matching compares.
    """

    def __init__(
        self,
        phases: int = 2,
        n_labels: int = len(LABEL_VALUES),
        image_size: int = 128,
        num_d: int = 2,
        num_layers: int = 2,
        channels: int = 64,
    ):
        super().__init__()
        self.net = MultiScalePatchDiscriminator(
            num_d=num_d,
            num_layers_d=num_layers,
            spatial_dims=2,
            channels=channels,
            in_channels=phases * n_labels + phases,
            out_channels=1,
            norm="INSTANCE",
            minimum_size_im=image_size,
        )

    def forward(
        self, label_onehot: torch.Tensor, image: torch.Tensor
    ) -> tuple[list[torch.Tensor], list[list[torch.Tensor]]]:
        return self.net(torch.cat([label_onehot, image], 1))
