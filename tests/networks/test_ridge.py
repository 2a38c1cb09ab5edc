"""Bayesian ridge head (matches scikit-learn, held as tensors) and the regressor in millilitres."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.linear_model import BayesianRidge

from cardio_monai.networks import REGRESSOR_OUTPUTS, SFERA, BayesianRidgeHead, SFERARegressor

TINY = {"base_channels": 8, "input_size": 64, "feature_dim": 16, "hidden": 8, "norm": "group"}
ATOL = 1e-5


def regression_problem(n: int = 80, n_features: int = 12, seed: int = 0):
    """Features of very different scales and offsets; two noisy linear targets."""
    rng = np.random.default_rng(seed)
    scales = rng.uniform(0.05, 20.0, n_features)
    x = rng.normal(size=(n + 15, n_features)) * scales + rng.normal(size=n_features) * 10
    y = np.stack([x @ rng.normal(size=n_features) + rng.normal(size=n + 15), 3 * x[:, 0] / scales[0]], axis=1)
    y[:, 1] += 0.2 * rng.normal(size=n + 15)
    return x[:n], y[:n], x[n:]


def sklearn_reference(x, y, x_new, standardise: bool = True):
    mean, scale = (x.mean(0), x.std(0)) if standardise else (0.0, 1.0)
    outputs = [BayesianRidge().fit((x - mean) / scale, y[:, k]) for k in range(y.shape[1])]
    predictions = [e.predict((x_new - mean) / scale, return_std=True) for e in outputs]
    return np.stack([p[0] for p in predictions], 1), np.stack([p[1] for p in predictions], 1)


@pytest.mark.parametrize("standardise", [True, False])
def test_head_matches_sklearn_in_float64(standardise):
    x, y, x_new = regression_problem()
    head = BayesianRidgeHead(x.shape[1], 2, standardise=standardise)
    assert head.fit(x, y) is head
    assert bool(head.fitted_)
    mean, sd = head(torch.from_numpy(x_new))
    ref_mean, ref_sd = sklearn_reference(x, y, x_new, standardise)
    assert mean.dtype == torch.float64
    np.testing.assert_allclose(mean.numpy(), ref_mean, rtol=0, atol=1e-6)
    np.testing.assert_allclose(sd.numpy(), ref_sd, rtol=0, atol=1e-6)


def test_head_matches_sklearn_in_float32():
    x, y, x_new = regression_problem(seed=1)
    x, y, x_new = (a / np.abs(a).max() for a in (x, y, x_new))  # features of order 1, as SFERA's
    head = BayesianRidgeHead(x.shape[1], 2).fit(torch.tensor(x, dtype=torch.float32), torch.tensor(y))
    mean, sd = head(torch.tensor(x_new, dtype=torch.float32))
    ref_mean, ref_sd = sklearn_reference(x.astype(np.float32).astype(np.float64), y, x_new)
    assert mean.dtype == torch.float32
    np.testing.assert_allclose(mean.numpy(), ref_mean, rtol=0, atol=1e-4)
    np.testing.assert_allclose(sd.numpy(), ref_sd, rtol=0, atol=1e-4)


def test_predictive_sd_grows_away_from_the_training_features():
    x, y, _ = regression_problem(seed=2)
    head = BayesianRidgeHead(x.shape[1], 2).fit(x, y)
    _, sd_near = head(torch.from_numpy(x.mean(0, keepdims=True)))
    _, sd_far = head(torch.from_numpy(x.mean(0, keepdims=True) + 50 * x.std(0)))
    assert torch.all(sd_near >= torch.sqrt(1 / head.alpha_) - 1e-12)  # never below the noise SD
    assert torch.all(sd_far > 2 * sd_near)


def test_unfitted_head_returns_nan_and_bad_shapes_are_refused():
    head = BayesianRidgeHead(4, 2)
    mean, sd = head(torch.zeros(3, 4))
    assert torch.isnan(mean).all() and torch.isnan(sd).all()
    with pytest.raises(ValueError, match=r"expected \(N, 4\)"):
        head.fit(np.zeros((5, 3)), np.zeros((5, 2)))
    with pytest.raises(ValueError, match="expected"):
        head.fit(np.zeros((5, 4)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="NaN"):
        head.fit(np.full((5, 4), np.nan), np.zeros((5, 2)))


def test_head_scripts_and_traces():
    x, y, x_new = regression_problem(seed=3)
    head = BayesianRidgeHead(x.shape[1], 2).fit(x, y)
    features = torch.tensor(x_new, dtype=torch.float32)
    expected = head(features)
    for exported in (torch.jit.script(head), torch.jit.trace(head, features[:4])):
        for got, want in zip(exported(features), expected):
            torch.testing.assert_close(got, want, atol=0, rtol=0)


def studies(counts, size: int = 64, seed: int = 1):
    gen = torch.Generator().manual_seed(seed)
    z = max(counts)
    image = torch.randn(len(counts), 2, z, size, size, generator=gen)
    mask = torch.arange(z).unsqueeze(0) < torch.tensor(counts).unsqueeze(1)
    image = torch.where(mask.view(len(counts), 1, z, 1, 1), image, torch.randn(image.shape, generator=gen) * 50)
    return image, mask


def fit_tiny(head_prior: str = "zero", seed: int = 0):
    """Tiny regressor with its target range and head fitted on 12 random studies with known volumes."""
    torch.manual_seed(0)
    model = SFERARegressor(SFERA(**TINY), head_prior=head_prior).eval()
    counts = [3, 4, 5, 6] * 3
    image, mask = studies(counts, seed=2 + seed)
    spacing_mm = torch.linspace(5.0, 10.0, len(counts))
    rng = np.random.default_rng(seed)
    edv_ml = rng.uniform(80, 250, len(counts))
    volumes_ml = np.stack([edv_ml, edv_ml * rng.uniform(0.2, 0.7, len(counts))], 1)
    with torch.no_grad():
        features = model.network.features(image, mask)
    model.fit_target_range(volumes_ml, spacing_mm).fit_head(features, volumes_ml, spacing_mm)
    return model, features, volumes_ml, spacing_mm


@pytest.fixture(scope="module")
def fitted_regressor():
    return fit_tiny()


def test_target_normalisation_round_trips_and_spans_unit_range(fitted_regressor):
    model, _, volumes_ml, spacing_mm = fitted_regressor
    volumes = torch.tensor(volumes_ml, dtype=torch.float32)
    normalised = model.normalise_targets(volumes, spacing_mm)
    torch.testing.assert_close(normalised.min(0).values, torch.zeros(2), atol=1e-6, rtol=0)
    torch.testing.assert_close(normalised.max(0).values, torch.ones(2), atol=1e-6, rtol=0)
    torch.testing.assert_close(model.to_ml(normalised, spacing_mm), volumes, atol=1e-4, rtol=0)


def test_regressor_outputs_head_predictions_in_ml(fitted_regressor):
    model, _, _, _ = fitted_regressor
    image, mask = studies([5, 3], seed=3)
    spacing_mm = torch.tensor([8.0, 10.0])
    with torch.no_grad():
        out = model(image, spacing_mm, mask)
        mean, sd = model.head(model.network.features(image, mask))
    assert out.shape == (2, len(REGRESSOR_OUTPUTS))
    span = model.target_max_ - model.target_min_
    torch.testing.assert_close(out[:, :2], model.to_ml(mean, spacing_mm))
    torch.testing.assert_close(out[:, 2:], sd * span * spacing_mm[:, None])
    assert torch.all(out[:, 2:] > 0)


def test_regressor_batch_equals_one_study_at_a_time(fitted_regressor):
    model, _, _, _ = fitted_regressor
    counts = [6, 3, 4]
    image, mask = studies(counts, seed=4)
    spacing_mm = torch.tensor([9.0, 7.5, 10.0])
    with torch.no_grad():
        batched = model(image, spacing_mm, mask)
        alone = torch.cat([model(image[i : i + 1, :, :n], spacing_mm[i : i + 1]) for i, n in enumerate(counts)])
    # SDs are O(100) ml on this random head; compare relative to the output scale.
    torch.testing.assert_close(batched, alone, atol=ATOL * batched.abs().max().item(), rtol=0)


def test_unfitted_regressor_uses_training_output_with_nan_sd():
    torch.manual_seed(0)
    model = SFERARegressor(SFERA(**TINY)).eval()
    image, mask = studies([4, 2])
    spacing_mm = torch.tensor([10.0, 5.0])
    with torch.no_grad():
        out = model(image, spacing_mm, mask)
        expected = model.to_ml(model.network(image, mask), spacing_mm)
    torch.testing.assert_close(out[:, :2], expected)
    assert torch.isnan(out[:, 2:]).all()


@pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning")  # torch's own LSTM/GroupNorm shape checks
def test_regressor_script_trace_and_weights_only_state_dict(fitted_regressor, tmp_path):
    model, _, _, _ = fitted_regressor
    image, mask = studies([5, 3, 4], seed=5)
    spacing_mm = torch.tensor([8.0, 9.0, 10.0])
    scripted = torch.jit.script(model)
    traced = torch.jit.trace(model, (image, spacing_mm, mask))
    other_image, other_mask = studies([2, 7], seed=6)  # other batch size and slice counts than traced
    other_spacing = torch.tensor([6.0, 9.5])
    with torch.no_grad():
        for x, s, m in ((image, spacing_mm, mask), (other_image, other_spacing, other_mask)):
            expected = model(x, s, m)
            scale = expected.abs().max().item()  # ml; 1e-5 relative to the largest output
            torch.testing.assert_close(scripted(x, s, m), expected, atol=ATOL * scale, rtol=0)
            torch.testing.assert_close(traced(x, s, m), expected, atol=ATOL * scale, rtol=0)

    path = tmp_path / "model.pt"
    torch.save(model.state_dict(), path)
    restored = SFERARegressor(SFERA(**TINY)).eval()
    restored.load_state_dict(torch.load(path, weights_only=True))
    assert bool(restored.head.fitted_)
    assert restored.head.sigma_.dtype == torch.float64
    with torch.no_grad():
        torch.testing.assert_close(restored(image, spacing_mm, mask), model(image, spacing_mm, mask), atol=0, rtol=0)


def test_ridge_centred_on_the_training_output_fits_what_it_leaves(tmp_path):
    """head_prior="training": mean = linear training output + sklearn's ridge on the residual targets."""
    model, features, volumes_ml, spacing_mm = fit_tiny("training", seed=1)
    with torch.no_grad():
        new_image, new_mask = studies([5, 3], seed=8)
        new_spacing = torch.tensor([8.0, 10.0])
        new_features = model.network.features(new_image, new_mask)
        out = model(new_image, new_spacing, new_mask)
        linear = model.network.regress(new_features).double()
        targets = model.normalise_targets(torch.tensor(volumes_ml), spacing_mm.double())
        residual = targets - model.network.regress(features).double()
    ref_mean, ref_sd = sklearn_reference(features.double().numpy(), residual.numpy(), new_features.double().numpy())
    span = (model.target_max_ - model.target_min_).double()
    expected_ml = model.to_ml((linear + torch.from_numpy(ref_mean)).float(), new_spacing)
    torch.testing.assert_close(out[:, :2], expected_ml, atol=1e-3, rtol=1e-5)
    expected_sd = torch.from_numpy(ref_sd) * span * new_spacing[:, None].double()
    torch.testing.assert_close(out[:, 2:].double(), expected_sd, atol=1e-3, rtol=1e-4)
    scripted = torch.jit.script(model)
    torch.testing.assert_close(
        scripted(new_image, new_spacing, new_mask), out, atol=ATOL * out.abs().max().item(), rtol=0
    )
    with pytest.raises(ValueError, match="head_prior"):
        SFERARegressor(SFERA(**TINY), head_prior="ones")


def test_area_sum_gives_the_volume_of_slice_areas_and_blends_with_the_head(fitted_regressor):
    """Per-slice outputs equal to the slices' area targets (constant a mm^2 on every valid slice) must give
    n * a * spacing / 1000 ml, padded slices counting for nothing; weight w blends it with the head."""
    model, _, _, _ = fitted_regressor
    area_mm2 = torch.tensor([900.0, 400.0])
    blended = SFERARegressor(SFERA(**TINY, slice_outputs=2), area_sum_weight=0.25).eval()
    state = {k: v for k, v in model.state_dict().items() if not k.startswith("network.slice_head")}
    blended.load_state_dict(state, strict=False)
    span = blended.target_max_ - blended.target_min_
    with torch.no_grad():
        blended.network.slice_head.weight.zero_()
        blended.network.slice_head.bias.copy_(area_mm2 / 1000.0 / span)
        counts = [5, 3]
        image, mask = studies(counts, seed=9)
        spacing_mm = torch.tensor([8.0, 10.0])
        out = blended(image, spacing_mm, mask)
        head_only = model(image, spacing_mm, mask)
    from_areas = torch.tensor(counts)[:, None] * area_mm2 * spacing_mm[:, None] / 1000.0
    torch.testing.assert_close(out[:, :2], 0.75 * head_only[:, :2] + 0.25 * from_areas, atol=1e-3, rtol=1e-5)
    torch.testing.assert_close(out[:, 2:], head_only[:, 2:])  # the SD stays the head's
    with pytest.raises(ValueError, match="slice_outputs=0"):
        SFERARegressor(SFERA(**TINY), area_sum_weight=0.5)
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        SFERARegressor(SFERA(**TINY, slice_outputs=2), area_sum_weight=1.5)


def test_head_that_does_not_fit_the_network_is_refused():
    with pytest.raises(ValueError, match="does not fit the network"):
        SFERARegressor(SFERA(**TINY), BayesianRidgeHead(in_features=7))
