"""The SFERA bundle's configs, as the model zoo's CI checks them: ConfigWorkflow with tiny overrides
and ``check_properties``, evaluate layered on train, inference, export of a freshly trained model, torchrun
(metadata, shapes and export of the shipped weights for every bundle: tests/test_model_zoo.py)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from monai.bundle import ConfigParser, ConfigWorkflow
from sfera_tiny import BUNDLE, REPO, TINY, overrides, torchrun_bundle

CONFIGS = BUNDLE / "configs"


def _workflow(config, workflow_type: str, **kw) -> ConfigWorkflow:
    files = [str(CONFIGS / c) for c in config] if isinstance(config, list) else str(CONFIGS / config)
    wf = ConfigWorkflow(
        config_file=files,
        meta_file=str(CONFIGS / "metadata.json"),
        logging_file=str(CONFIGS / "logging.conf"),
        workflow_type=workflow_type,
        **kw,
    )
    wf.initialize()
    assert not wf.check_properties(), "required bundle properties are missing"
    return wf


@pytest.fixture(scope="module")
def trained(phantom_acdc, tmp_path_factory) -> Path:
    """One tiny training run on the phantoms (fold 0 of 3): models/model.pt with a fitted head."""
    tmp = tmp_path_factory.mktemp("train")
    wf = _workflow("train.json", "train", **overrides(tmp, phantom_acdc))
    wf.run()
    wf.finalize()
    return tmp


def test_train_writes_a_regressor_with_a_fitted_head(trained):
    state = torch.load(trained / "models" / "model.pt", weights_only=True)
    assert bool(state["head.fitted_"])
    assert torch.isfinite(state["head.coef_"]).all()
    assert float(state["spacing_min_"]) == 8.0 and float(state["spacing_max_"]) == 10.0  # the phantoms' spacings
    assert (state["target_max_"] > state["target_min_"]).all()


def test_fit_head_refits_a_trained_model_and_needs_its_checkpoint(trained, phantom_acdc, tmp_path):
    import shutil

    from cardio_monai.io import InputError

    models = tmp_path / "models"
    shutil.copytree(trained / "models", models)
    before = torch.load(models / "model.pt", weights_only=True)
    kw = overrides(tmp_path, phantom_acdc, **{"network_def#head_prior": "training"})
    wf = _workflow(["train.json", "fit_head.json"], "train", **kw)
    wf.run()
    after = torch.load(models / "model.pt", weights_only=True)
    for key in before:  # the network is untouched; only the ridge is refitted, to the training output's residuals
        if key.startswith("network."):
            assert torch.equal(before[key], after[key]), key
    assert bool(after["head.fitted_"]) and not torch.allclose(after["head.intercept_"], before["head.intercept_"])
    (models / "model.pt").unlink()
    with pytest.raises(RuntimeError) as err:  # the config parser wraps what an expression raises
        _workflow(["train.json", "fit_head.json"], "train", **kw).run()
    assert isinstance(err.value.__cause__, InputError) and "model.pt: no such checkpoint" in str(err.value.__cause__)


def test_evaluate_layered_on_train_writes_metrics(trained, phantom_acdc):
    wf = _workflow(["train.json", "evaluate.json"], "train", **overrides(trained, phantom_acdc))
    wf.run()
    wf.finalize()
    report = json.loads((trained / "eval" / "metrics.json").read_text())
    with open(trained / "eval" / "predictions.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert report["n_subjects"] == len(rows) == 2  # the held-out third of 6 phantoms
    assert all(float(r["EDV_sd_ml"]) > 0 for r in rows)


def test_inference_writes_predictions(trained, phantom_acdc, tmp_path):
    out = tmp_path / "pred.csv"
    wf = _workflow(
        "inference.json",
        "infer",
        bundle_root=str(BUNDLE),
        dataset_dir=str(phantom_acdc),
        ckpt_path=str(trained / "models" / "model.pt"),
        output_file=str(out),
        device="$torch.device('cpu')",
        **{k: TINY[k] for k in ("pixel_mm", "crop_size", "base_channels", "n_blocks")},
    )
    wf.run()
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["subject"] for r in rows] == [f"patient{k:03d}" for k in range(1, 7)]
    for r in rows:
        edv, esv, ef = float(r["EDV_ml"]), float(r["ESV_ml"]), float(r["EF_pct"])
        assert ef == pytest.approx(100 * (edv - esv) / edv, abs=0.01)  # rounded CSV values


def test_train_and_inference_describe_the_same_network_and_preprocessing():
    train, infer = ConfigParser(), ConfigParser()
    train.read_config(str(CONFIGS / "train.json"))
    infer.read_config(str(CONFIGS / "inference.json"))
    for key in ("network_def", "pixel_mm", "crop_size", "base_channels", "n_blocks", "norm"):
        assert train[key] == infer[key], key
    # the same chain, except that training reads the labels and adds its targets (StudyTargetsd)
    t_steps, i_steps = train["preprocessing"]["transforms"], infer["preprocessing"]["transforms"]
    assert t_steps[0] == {**i_steps[0], "with_labels": True} and i_steps[0]["with_labels"] is False
    targets = [s for s in t_steps if s["_target_"].endswith("StudyTargetsd")]
    assert len(targets) == 1
    assert [s for s in t_steps[1:] if s not in targets] == i_steps[1:]


def _bundle_cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "monai.bundle", *args], capture_output=True, text=True, cwd=cwd)


def test_ckpt_export_torchscript_equals_eager_head_included(trained, tmp_path):
    ts = tmp_path / "model.ts"
    tiny = [x for k in ("pixel_mm", "crop_size", "base_channels", "n_blocks") for x in (f"--{k}", str(TINY[k]))]
    proc = _bundle_cli(
        "ckpt_export",
        "network_def",
        "--filepath",
        str(ts),
        "--ckpt_file",
        str(trained / "models" / "model.pt"),
        "--meta_file",
        str(CONFIGS / "metadata.json"),
        "--config_file",
        str(CONFIGS / "inference.json"),
        "--bundle_root",
        str(BUNDLE),
        *tiny,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    scripted = torch.jit.load(str(ts))
    parser = ConfigParser()
    parser.read_config(str(CONFIGS / "inference.json"))
    for k in ("pixel_mm", "crop_size", "base_channels", "n_blocks"):
        parser[k] = TINY[k]
    eager = parser.get_parsed_content("network_def")
    eager.load_state_dict(torch.load(trained / "models" / "model.pt", weights_only=True))
    eager.eval()
    g = torch.Generator().manual_seed(0)
    image = torch.rand((3, 2, 7, 32, 32), generator=g)
    mask = torch.tensor([[True] * 7, [True] * 5 + [False] * 2, [True] * 3 + [False] * 4])
    spacing = torch.tensor([10.0, 8.0, 6.5])
    with torch.no_grad():
        expected = eager(image, spacing, mask)
        got = scripted(image, spacing, mask)
    assert bool(torch.isfinite(expected).all()) and expected.shape == (3, 4)
    torch.testing.assert_close(got, expected, atol=1e-5 * float(expected.abs().max()), rtol=0)


def test_torchrun_two_processes_gloo(phantom_acdc, tmp_path):
    proc = torchrun_bundle(CONFIGS, overrides(tmp_path, phantom_acdc), port=29517)
    assert proc.returncode == 0, proc.stderr[-3000:]
    state = torch.load(tmp_path / "models" / "model.pt", weights_only=True)
    assert bool(state["head.fitted_"])


def test_sso_resumed_from_its_first_epoch_gives_the_uninterrupted_weights(phantom_acdc, tmp_path):
    """sso.json's resume checkpoint holds the random state (shuffling, augmentation): an SSO run resumed after
    its first epoch ends with the weights of the run that was never stopped."""
    manifest = tmp_path / "synthetic.csv"
    rows = [f"syn_{k},{phantom_acdc / f'patient{k + 1:03d}'},patient{k // 2 + 1:03d}" for k in range(6)]
    manifest.write_text("subject,image_path,source_subject\n" + "\n".join(rows) + "\n")
    kw = overrides(tmp_path, manifest, max_epochs=2, val_fraction=0.34)

    def run() -> dict:
        wf = _workflow(["train.json", "sso.json"], "train", **kw)
        wf.run()
        wf.finalize()
        return torch.load(tmp_path / "models" / "model.pt", weights_only=True)

    reference = run()
    models = tmp_path / "models"
    assert sorted(p.name for p in models.glob("resume_*.pt")) == [f"resume_checkpoint_epoch={e}.pt" for e in (1, 2)]
    (models / "resume_checkpoint_epoch=2.pt").unlink()
    (models / "model.pt").unlink()
    resumed = run()
    assert reference.keys() == resumed.keys()
    assert all(torch.equal(reference[k], resumed[k]) for k in reference)
