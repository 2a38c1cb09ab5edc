"""Training engines beyond MONAI's own: the conditional GAN (GauGAN) trainer and weight averaging."""

from cardio_monai.engines.ema import WeightEMA
from cardio_monai.engines.gan_trainer import ConditionalGANTrainer, feature_matching_loss, region_mean_loss

__all__ = ["ConditionalGANTrainer", "WeightEMA", "feature_matching_loss", "region_mean_loss"]
