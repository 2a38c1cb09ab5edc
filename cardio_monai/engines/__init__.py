"""Training engines beyond MONAI's own: the conditional GAN (GauGAN) trainer."""

from cardio_monai.engines.gan_trainer import ConditionalGANTrainer, feature_matching_loss

__all__ = ["ConditionalGANTrainer", "feature_matching_loss"]
