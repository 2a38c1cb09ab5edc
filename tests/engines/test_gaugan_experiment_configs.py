"""The GauGAN experiment configs (layered on train.json) call their experiment with the config's
values: each is run up to its first check, which fails fast on purpose."""

from __future__ import annotations

from pathlib import Path

import pytest
from monai.bundle import ConfigParser

from cardio_monai.errors import InputError

BUNDLE = Path(__file__).resolve().parents[2] / "bundles" / "cardiac_gaugan_synthesis"


def _run(name: str, **overrides) -> BaseException:
    """The error the config's run stops with (MONAI wraps it; the experiment's own is in the chain)."""
    parser = ConfigParser()
    parser.read_config([str(BUNDLE / "configs" / "train.json"), str(BUNDLE / "configs" / f"{name}.json")])
    parser.update({"bundle_root": str(BUNDLE), "device": "cpu", **overrides})
    assert parser["initialize"] == []  # the training's resume handlers are not attached
    with pytest.raises(RuntimeError) as caught:
        parser.get_parsed_content("run")
    err: BaseException | None = caught.value
    while err.__cause__ is not None:
        err = err.__cause__
    return err


def test_select_checkpoint_config_reads_the_snapshots_of_ckpt_dir(tmp_path):
    err = _run("select_checkpoint", ckpt_dir=str(tmp_path))
    assert isinstance(err, ValueError) and "no checkpoints" in str(err)


def test_evaluate_config_loads_the_named_weights(tmp_path):
    err = _run("evaluate", weights=str(tmp_path / "missing.pt"), results_dir=str(tmp_path / "out"))
    assert isinstance(err, InputError) and "missing.pt: no such checkpoint" in str(err)


def test_compare_backgrounds_config_loads_the_per_frame_weights(tmp_path):
    err = _run("compare_backgrounds", per_frame_weights=str(tmp_path / "missing.pt"), results_dir=str(tmp_path))
    assert isinstance(err, InputError) and "missing.pt: no such checkpoint" in str(err)
