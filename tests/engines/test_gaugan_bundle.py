"""The GauGAN bundle's train config with tiny overrides: properties, a run, resume, the generator weights
(the model zoo's checks of every bundle: tests/test_model_zoo.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import torch
from monai.bundle import ConfigWorkflow

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "regression"))
from sfera_tiny import torchrun_bundle, write_phantoms

from cardio_monai.networks.gaugan import SPADEGenerator

BUNDLE = Path(__file__).resolve().parents[2] / "bundles" / "cardiac_gaugan_synthesis"
CONFIGS = BUNDLE / "configs"


def _workflow(tmp: Path, data: Path, **extra) -> ConfigWorkflow:
    wf = ConfigWorkflow(
        config_file=str(CONFIGS / "train.json"),
        meta_file=str(CONFIGS / "metadata.json"),
        logging_file=str(CONFIGS / "logging.conf"),
        workflow_type="train",
        bundle_root=str(BUNDLE),
        dataset_dir=str(data),
        ckpt_dir=str(tmp / "models"),
        output_dir=str(tmp / "eval"),
        device="$torch.device('cpu')",
        image_size=64,
        pixel_mm=3.0,
        generator_channels=[32, 16],
        spade_hidden=8,
        discriminator_channels=8,
        n_folds=3,
        batch_size=4,
        **{"init_weights": "", **extra},  # default: no warm start (the shipped plain generator is full-size)
    )
    wf.initialize()
    assert not wf.check_properties()
    return wf


def test_train_resume_and_generator_weights(tmp_path):
    data = write_phantoms(tmp_path / "phantoms")
    wf = _workflow(tmp_path, data, max_epochs=1)
    wf.run()
    per_epoch = wf.trainer.state.iteration
    assert per_epoch > 0
    resume = next((tmp_path / "models").glob("resume_*.pt"))
    wf = _workflow(tmp_path, data, max_epochs=2, **{"train#resume_from": str(resume)})
    wf.run()
    assert wf.trainer.state.epoch == 2 and wf.trainer.state.iteration == 2 * per_epoch  # went on, not over
    generator = SPADEGenerator(image_size=64, channels=(32, 16), spade_hidden=8, background=True)
    generator.load_state_dict(torch.load(tmp_path / "models" / "model.pt", weights_only=True))
    with torch.no_grad():
        out = generator(torch.zeros(1, 11, 64, 64).index_fill_(1, torch.tensor([0, 4]), 1.0))
    assert out.shape == (1, 2, 64, 64) and bool(torch.isfinite(out).all())


def test_a_run_resumed_after_its_first_epoch_ends_with_the_uninterrupted_weights(tmp_path):
    """The resume checkpoint holds the random state (shuffling, augmentation, the painted region, the
    generator's noise) and the EMA average, and a run in a folder with one resumes by itself: the generator,
    the discriminator and the EMA weights of a run resumed after epoch 1 equal those of the run never stopped."""
    data = write_phantoms(tmp_path / "phantoms")
    models = tmp_path / "models"

    def run() -> dict:
        wf = _workflow(tmp_path, data, max_epochs=2)
        wf.run()
        return {name: torch.load(models / name, weights_only=True) for name in ("model.pt", "model_ema.pt")}

    reference = run()
    last = torch.load(models / "resume_checkpoint_epoch=2.pt", weights_only=True)["discriminator"]
    (models / "resume_checkpoint_epoch=2.pt").unlink()
    for name in reference:
        (models / name).unlink()
    resumed = run()
    again = torch.load(models / "resume_checkpoint_epoch=2.pt", weights_only=True)["discriminator"]
    for name, weights in reference.items():
        assert all(torch.equal(weights[k], resumed[name][k]) for k in weights), name
    assert all(torch.equal(last[k], again[k]) for k in last)


def test_the_plain_recipe_and_the_warm_start_from_a_plain_generator(tmp_path):
    data = write_phantoms(tmp_path / "phantoms")
    wf = _workflow(tmp_path / "plain", data, max_epochs=1, background=False)
    wf.run()
    assert "region" not in wf.trainer.state.batch  # no painted region without the background generator
    plain = tmp_path / "plain" / "models" / "model.pt"
    SPADEGenerator(image_size=64, channels=(32, 16), spade_hidden=8).load_state_dict(
        torch.load(plain, weights_only=True)
    )
    wf = _workflow(tmp_path / "bg", data, max_epochs=1, init_weights=str(plain))
    wide = {k: v.clone() for k, v in wf.parser.get_parsed_content("generator").state_dict().items()}
    start = torch.load(plain, weights_only=True)
    name = next(k for k, v in wide.items() if v.dim() == 4 and v.shape[1] == 11)  # an input layer, widened
    assert torch.equal(wide[name][:, :8], start[name]) and not wide[name][:, 8:].any()


def test_torchrun_two_processes_gloo(tmp_path):
    data = write_phantoms(tmp_path / "phantoms")
    overrides = {
        "bundle_root": str(BUNDLE),
        "dataset_dir": str(data),
        "ckpt_dir": str(tmp_path / "models"),
        "output_dir": str(tmp_path / "eval"),
        "image_size": 64,
        "pixel_mm": 3.0,
        "generator_channels": "[32, 16]",
        "spade_hidden": 8,
        "discriminator_channels": 8,
        "n_folds": 3,
        "batch_size": 2,
        "max_epochs": 1,
        "init_weights": str(tmp_path / "plain.pt"),  # the warm start through the DDP wrapper (.module)
    }
    torch.save(SPADEGenerator(image_size=64, channels=(32, 16), spade_hidden=8).state_dict(), tmp_path / "plain.pt")
    proc = torchrun_bundle(CONFIGS, overrides, port=29531)
    assert proc.returncode == 0, proc.stderr[-3000:]
    state = torch.load(tmp_path / "models" / "model.pt", weights_only=True)
    SPADEGenerator(image_size=64, channels=(32, 16), spade_hidden=8, background=True).load_state_dict(
        state
    )  # no "module."


def test_inference_network_is_the_trained_one_and_takes_the_shipped_weights():
    from monai.bundle import ConfigParser

    nets, geometry = {}, {}
    for name, key in (("train.json", "generator_def"), ("inference.json", "network_def")):
        parser = ConfigParser()
        parser.read_config(str(CONFIGS / name))
        nets[name] = parser.get_parsed_content(key)
        geometry[name] = (parser["pixel_mm"], parser["image_size"])
    shapes = {name: {k: v.shape for k, v in net.state_dict().items()} for name, net in nets.items()}
    assert shapes["train.json"] == shapes["inference.json"]
    assert geometry["train.json"] == geometry["inference.json"]
    state = torch.load(BUNDLE / "models" / "model.pt", map_location="cpu", weights_only=True)
    nets["inference.json"].load_state_dict(state)  # strict: every tensor of the shipped file fits
    assert (BUNDLE / "models" / "model.pt").stat().st_size <= 25 * 2**20
