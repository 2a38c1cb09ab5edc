"""Networks: SFERA (per-slice residual CNN + bidirectional LSTM over a variable slice count), its
Bayesian ridge head held as tensors, and the regressor giving EDV/ESV and their SDs in ml."""

from cardio_monai.networks.ridge import REGRESSOR_OUTPUTS, BayesianRidgeHead, SFERARegressor
from cardio_monai.networks.sfera import NORM_LAYERS, POOLING_MODES, SFERA, ResidualBlock2d, norm_layer

__all__ = [
    "NORM_LAYERS",
    "POOLING_MODES",
    "REGRESSOR_OUTPUTS",
    "SFERA",
    "BayesianRidgeHead",
    "ResidualBlock2d",
    "SFERARegressor",
    "norm_layer",
]
