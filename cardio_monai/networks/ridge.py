"""Bayesian ridge head on SFERA's sequence features, and the whole regressor in millilitres.

:class:`BayesianRidgeHead` is fitted with scikit-learn's ``BayesianRidge`` (one per output) and then
holds the posterior as tensors (registered buffers), so the network runs, saves
(``torch.load(weights_only=True)``) and exports (script, trace) without scikit-learn or pickle.
"""

import numpy as np
import torch
from sklearn.linear_model import BayesianRidge
from torch import nn

from cardio_monai.networks.sfera import SFERA

# Columns of SFERARegressor's output, in order.
REGRESSOR_OUTPUTS = ("EDV_ml", "ESV_ml", "EDV_sd_ml", "ESV_sd_ml")


def _as_float64(array: np.ndarray | torch.Tensor) -> np.ndarray:
    if isinstance(array, torch.Tensor):
        array = array.detach().cpu().numpy()
    return np.asarray(array, dtype=np.float64)


class BayesianRidgeHead(nn.Module):
    """One Bayesian ridge regression per output on (optionally standardised) features.

    ``fit(X, y)`` (scikit-learn convention: returns self, learned state ends with ``_``) runs
    ``sklearn.linear_model.BayesianRidge`` per output column and stores, per output k, the posterior
    mean ``coef_[k]``, ``intercept_[k]``, posterior covariance ``sigma_[k]``, noise precision
    ``alpha_[k]``, weight precision ``lambda_[k]`` and the estimator's feature offset, plus the feature
    standardisation ``x_mean_`` / ``x_scale_``. Buffers are float64 (the predictive variance is a
    quadratic form); :meth:`forward` computes in the buffers' dtype and returns the input's dtype.

    ``forward(features (B, in_features)) -> (mean (B, out_features), sd (B, out_features))`` with
    ``sd = sqrt(1 / alpha_ + d^T sigma_ d)``, ``d`` the centred features: sklearn's
    ``predict(X, return_std=True)``. An unfitted head returns NaN, never a silent number.

    Args:
        in_features: feature size (SFERA's ``sequence_dim``).
        out_features: number of outputs (2: EDV, ESV).
        standardise: scale features to zero mean, unit SD (constant features: scale 1) before the
            ridge; its prior is isotropic, so feature scale matters.
        max_iter, tol: passed to ``BayesianRidge``.
    """

    def __init__(
        self,
        in_features: int = 128,
        out_features: int = 2,
        standardise: bool = True,
        max_iter: int = 300,
        tol: float = 1e-3,
    ):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.standardise = standardise
        self.max_iter = max_iter
        self.tol = tol
        f64 = torch.float64
        nan = float("nan")
        self.register_buffer("x_mean_", torch.zeros(in_features, dtype=f64))
        self.register_buffer("x_scale_", torch.ones(in_features, dtype=f64))
        self.register_buffer("x_offset_", torch.zeros(out_features, in_features, dtype=f64))
        self.register_buffer("coef_", torch.full((out_features, in_features), nan, dtype=f64))
        self.register_buffer("intercept_", torch.full((out_features,), nan, dtype=f64))
        self.register_buffer("sigma_", torch.zeros(out_features, in_features, in_features, dtype=f64))
        self.register_buffer("alpha_", torch.full((out_features,), nan, dtype=f64))
        self.register_buffer("lambda_", torch.full((out_features,), nan, dtype=f64))
        self.register_buffer("fitted_", torch.tensor(False))

    def fit(self, X: np.ndarray | torch.Tensor, y: np.ndarray | torch.Tensor) -> "BayesianRidgeHead":
        """Fit on features X (N, in_features) and targets y (N, out_features) (or (N,) for one output)."""
        x = _as_float64(X)
        t = _as_float64(y)
        if t.ndim == 1:
            t = t[:, None]
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(f"features of shape {x.shape}: expected (N, {self.in_features})")
        if t.shape != (x.shape[0], self.out_features):
            raise ValueError(f"targets of shape {t.shape}: expected ({x.shape[0]}, {self.out_features})")
        if x.shape[0] < 2:
            raise ValueError(f"{x.shape[0]} sample(s): a Bayesian ridge fit needs at least 2")
        if not (np.isfinite(x).all() and np.isfinite(t).all()):
            raise ValueError("features or targets hold NaN or infinite values")
        if self.standardise:
            mean = x.mean(0)
            scale = x.std(0)
            scale[scale == 0] = 1.0
        else:
            mean = np.zeros(self.in_features)
            scale = np.ones(self.in_features)
        z = (x - mean) / scale
        estimators = [BayesianRidge(max_iter=self.max_iter, tol=self.tol).fit(z, t[:, k]) for k in range(t.shape[1])]

        def store(name: str, value: np.ndarray) -> None:
            buffer = getattr(self, name)
            buffer.copy_(torch.as_tensor(np.asarray(value), dtype=buffer.dtype, device=buffer.device))

        store("x_mean_", mean)
        store("x_scale_", scale)
        store("x_offset_", np.stack([e.X_offset_ for e in estimators]))
        store("coef_", np.stack([e.coef_ for e in estimators]))
        store("intercept_", np.array([e.intercept_ for e in estimators]))
        store("sigma_", np.stack([e.sigma_ for e in estimators]))
        store("alpha_", np.array([e.alpha_ for e in estimators]))
        store("lambda_", np.array([e.lambda_ for e in estimators]))
        self.fitted_.fill_(True)
        return self

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, in_features) -> predictive mean and SD, each (B, out_features)."""
        z = (features.to(self.coef_.dtype) - self.x_mean_) / self.x_scale_
        mean = z @ self.coef_.t() + self.intercept_
        centred = z.unsqueeze(1) - self.x_offset_  # (B, K, F)
        variance = (torch.einsum("bkf,kfg->bkg", centred, self.sigma_) * centred).sum(2) + 1.0 / self.alpha_
        return mean.to(features.dtype), variance.sqrt().to(features.dtype)


class SFERARegressor(nn.Module):
    """SFERA + Bayesian ridge head + target scaling: image stack to EDV, ESV and their SDs in ml.

    Targets are divided by the slice spacing and unity-normalised to [0, 1] with the training
    range stored in ``target_min_`` / ``target_max_`` (per output, in ml per mm of spacing;
    set by :meth:`fit_target_range`). The network trains on :meth:`normalise_targets`; after
    training, :meth:`fit_head` fits the ridge head on the sequence features.

    ``forward(image (B, C, Z, H, W), slice_spacing_mm (B,), mask (B, Z) bool or None)`` returns
    (B, 4): columns :data:`REGRESSOR_OUTPUTS` (EDV_ml, ESV_ml, EDV_sd_ml, ESV_sd_ml). Until the head is
    fitted, the means come from SFERA's linear training output and the SDs are NaN.

    Args:
        network: the SFERA network (its ``regress`` is the linear training output).
        head: the Bayesian ridge head (default: one that fits the network).
        head_prior: where the ridge's Gaussian prior on the weights is centred. ``"zero"`` (the paper):
            the ridge replaces the training output. ``"training"``: centred on the trained linear
            output, i.e. the ridge is fitted to what that output leaves unexplained and the mean is
            their sum; with a network that fits its training subjects closely, a zero-centred ridge
            refitted on their features discards what the linear output learned from augmented data.
        area_sum_weight: weight in [0, 1] of a second volume estimate in the mean: the network's per-slice
            LV area outputs (``slice_outputs`` = ``out_channels``, trained against the slices' areas)
            summed over the slices. 0: the head alone. The SD stays the head's.
    """

    def __init__(
        self,
        network: SFERA | None = None,
        head: BayesianRidgeHead | None = None,
        head_prior: str = "zero",
        area_sum_weight: float = 0.0,
    ):
        super().__init__()
        if head_prior not in ("zero", "training"):
            raise ValueError(f"head_prior={head_prior!r}: 'zero' or 'training'")
        self.head_prior = head_prior
        self.area_sum_weight = float(area_sum_weight)
        self.network = network if network is not None else SFERA()
        if head is None:
            head = BayesianRidgeHead(self.network.sequence_dim, self.network.out_channels)
        if head.in_features != self.network.sequence_dim or head.out_features != self.network.out_channels:
            raise ValueError(
                f"head ({head.in_features} -> {head.out_features}) does not fit the network "
                f"({self.network.sequence_dim} features -> {self.network.out_channels} outputs)"
            )
        self.head = head
        n_out = self.network.out_channels
        if not 0.0 <= self.area_sum_weight <= 1.0:
            raise ValueError(f"area_sum_weight={area_sum_weight}: must be in [0, 1]")
        if self.area_sum_weight > 0 and self.network.slice_outputs != n_out:
            raise ValueError(
                f"area_sum_weight needs per-slice outputs for the {n_out} volumes; the network has "
                f"slice_outputs={self.network.slice_outputs}"
            )
        self.register_buffer("target_min_", torch.zeros(n_out))
        self.register_buffer("target_max_", torch.ones(n_out))
        # Slice spacings (mm) of the training set: predictions outside get a warning, not silence.
        self.register_buffer("spacing_min_", torch.tensor(float("nan")))
        self.register_buffer("spacing_max_", torch.tensor(float("nan")))

    def fit_target_range(
        self, volumes_ml: np.ndarray | torch.Tensor, slice_spacing_mm: np.ndarray | torch.Tensor
    ) -> "SFERARegressor":
        """Store the per-output min and max of volumes / spacing over the training set, and the range of
        its slice spacings (``spacing_min_``, ``spacing_max_``, mm); returns self."""
        per_mm = _as_float64(volumes_ml) / _as_float64(slice_spacing_mm).reshape(-1, 1)
        low, high = per_mm.min(0), per_mm.max(0)
        if np.any(high <= low):
            raise ValueError(f"degenerate target range (min {low}, max {high}): need distinct training volumes")
        self.target_min_.copy_(torch.as_tensor(low, dtype=self.target_min_.dtype))
        self.target_max_.copy_(torch.as_tensor(high, dtype=self.target_max_.dtype))
        spacing = _as_float64(slice_spacing_mm).reshape(-1)
        self.spacing_min_.fill_(float(spacing.min()))
        self.spacing_max_.fill_(float(spacing.max()))
        return self

    def normalise_targets(self, volumes_ml: torch.Tensor, slice_spacing_mm: torch.Tensor) -> torch.Tensor:
        """(B, K) volumes in ml and (B,) spacing in mm -> (B, K) training targets in [0, 1] on the training set."""
        per_mm = volumes_ml / slice_spacing_mm.reshape(-1, 1).to(volumes_ml.dtype)
        return (per_mm - self.target_min_) / (self.target_max_ - self.target_min_)

    def to_ml(self, normalised: torch.Tensor, slice_spacing_mm: torch.Tensor) -> torch.Tensor:
        """Inverse of :meth:`normalise_targets`: (B, K) normalised values -> ml."""
        span = self.target_max_ - self.target_min_
        return (normalised * span + self.target_min_) * slice_spacing_mm.reshape(-1, 1).to(normalised.dtype)

    def fit_head(
        self,
        features: np.ndarray | torch.Tensor,
        volumes_ml: np.ndarray | torch.Tensor,
        slice_spacing_mm: np.ndarray | torch.Tensor,
    ) -> "SFERARegressor":
        """Fit the ridge head on sequence features (N, sequence_dim) against normalised targets (less the
        training output with ``head_prior="training"``); returns self. Call it in eval mode."""
        targets = self.normalise_targets(
            torch.as_tensor(_as_float64(volumes_ml)), torch.as_tensor(_as_float64(slice_spacing_mm))
        )
        if self.head_prior == "training":
            feats = torch.as_tensor(_as_float64(features), dtype=torch.float32)
            param = next(self.network.parameters())
            with torch.no_grad():
                training_output = self.network.regress(feats.to(param.device)).cpu().double()
            targets = targets - training_output
        self.head.fit(features, targets)
        return self

    def forward(
        self, image: torch.Tensor, slice_spacing_mm: torch.Tensor | None = None, mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """(B, C, Z, H, W) image, (B,) slice spacing in mm, (B, Z) bool mask -> (B, 4) in ml.

        Without ``slice_spacing_mm`` (shape checks such as ``verify_net_in_out``) the outputs are per mm
        of slice spacing (ml / mm); a caller that wants ml always passes the spacing.
        """
        if slice_spacing_mm is None:
            slice_spacing_mm = torch.ones(image.shape[0], dtype=image.dtype, device=image.device)
        out, in_length = self.network.slice_features(image, mask)
        features = self.network.pool(out, in_length)
        head_mean, head_sd = self.head(features)
        linear_mean = self.network.regress(features)
        fitted = self.head.fitted_
        if self.head_prior == "training":
            head_mean = head_mean + linear_mean
        mean = torch.where(fitted, head_mean, linear_mean)
        sd = torch.where(fitted, head_sd, torch.full_like(head_sd, float("nan")))
        span = self.target_max_ - self.target_min_
        if self.area_sum_weight > 0:
            # Slice targets are areas / 1000 / span: their sum is the normalised volume + target_min_ / span.
            from_areas = self.network.slice_sum(out, in_length) - self.target_min_ / span
            w = self.area_sum_weight
            mean = (1.0 - w) * mean + w * from_areas.to(mean.dtype)
        spacing = slice_spacing_mm.reshape(-1, 1).to(mean.dtype)
        return torch.cat([(mean * span + self.target_min_) * spacing, sd * span * spacing], 1)
