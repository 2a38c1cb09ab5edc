"""Training engines beyond MONAI's own: the conditional GAN (GauGAN) trainer, weight averaging, freezing
part of a network for the first epochs, and the segmenter's training loop."""

from cardio_monai.engines.ema import WeightEMA
from cardio_monai.engines.freeze import FreezeForEpochs
from cardio_monai.engines.gan_losses import (
    DiscriminatorHingeLoss,
    GeneratorLoss,
    feature_matching_loss,
    region_mean_loss,
)
from cardio_monai.engines.gan_trainer import ConditionalGANTrainer
from cardio_monai.engines.segmenter_training import train_segmenter

__all__ = [
    "ConditionalGANTrainer",
    "DiscriminatorHingeLoss",
    "FreezeForEpochs",
    "GeneratorLoss",
    "WeightEMA",
    "feature_matching_loss",
    "region_mean_loss",
    "train_segmenter",
]
