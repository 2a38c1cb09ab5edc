"""The segmentation bundle's configs on a tiny profile (phantoms, CPU): ``train.json`` trains and resumes,
``multi_gpu_train.json`` runs under torchrun (gloo), ``evaluate.json`` writes the volumes and Dice of the
held-out fold; the reader's parts fit together (labels back on the input grid, volumes of the phantom)."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
from seg_tiny import TINY

REPO = Path(__file__).resolve().parents[2]
BUNDLE = REPO / "bundles" / "cardiac_lv_segmentation"
CONFIGS = BUNDLE / "configs"


@pytest.fixture(scope="module")
def phantoms(tmp_path_factory) -> Path:
    sys.path.insert(0, str(REPO / "tests" / "regression"))
    from sfera_tiny import write_phantoms

    return write_phantoms(tmp_path_factory.mktemp("seg_phantoms"), n=6)


def _run(configs: list[str], root: Path, data: Path, **extra) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "monai.bundle", "run", "--config_file", str([str(CONFIGS / c) for c in configs])]
    cmd += ["--meta_file", str(CONFIGS / "metadata.json"), "--bundle_root", str(root), "--dataset_dir", str(data)]
    cmd += [x for k, v in {**TINY, **extra}.items() for x in (f"--{k}", str(v))]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=root, timeout=600)


def test_train_resume_and_evaluate(phantoms, tmp_path):
    first = _run(["train.json"], tmp_path, phantoms, max_epochs=1)
    assert first.returncode == 0, first.stderr[-3000:]
    assert (tmp_path / "models" / "model.pt").is_file()
    assert (tmp_path / "models" / "resume_checkpoint_epoch=1.pt").is_file()
    (tmp_path / "models" / "model.pt").unlink()
    again = _run(["train.json"], tmp_path, phantoms, max_epochs=2)
    assert again.returncode == 0, again.stderr[-3000:]
    log = again.stdout + again.stderr
    assert "resuming from iteration" in log and "epoch 1 until 2 epochs" in log
    assert (tmp_path / "models" / "resume_checkpoint_epoch=2.pt").is_file()
    ev = _run(["inference.json", "evaluate.json"], tmp_path, phantoms)
    assert ev.returncode == 0, ev.stderr[-3000:]
    with open(tmp_path / "eval" / "dice.csv", newline="") as fh:
        dice = list(csv.DictReader(fh))
    with open(tmp_path / "eval" / "reference.csv", newline="") as fh:
        reference = list(csv.DictReader(fh))
    assert len(dice) == len(reference) == 2  # fold 0 of 3 over 6 phantoms
    assert all(0.0 <= float(r["LV_ED"]) <= 1.0 for r in dice)
    assert (tmp_path / "eval" / "metrics.json").is_file()


def test_context_slices_train_and_evaluate_a_2_5d_segmenter(phantoms, tmp_path):
    """``--context_slices 1``: a 3-channel network trained on frames with their neighbours, and evaluated
    through ``inference.json`` with the same setting (the reader hands it the neighbours)."""
    import torch

    trained = _run(["train.json"], tmp_path, phantoms, max_epochs=1, context_slices=1)
    assert trained.returncode == 0, trained.stderr[-3000:]
    weights = torch.load(tmp_path / "models" / "model.pt", weights_only=True)
    first = next(v for k, v in weights.items() if k.endswith("weight") and v.ndim == 4)
    assert first.shape[1] == 3
    ev = _run(["inference.json", "evaluate.json"], tmp_path, phantoms, context_slices=1)
    assert ev.returncode == 0, ev.stderr[-3000:]
    assert (tmp_path / "eval" / "metrics.json").is_file()
    wrong = _run(["inference.json", "evaluate.json"], tmp_path, phantoms)  # 1 channel against 3 in the weights
    assert wrong.returncode != 0 and "model.pt" in wrong.stderr


@pytest.mark.parametrize(
    ("config", "network", "sizes"),
    [("segresnet.json", "SegResNet", {"init_filters": 8}), ("dynunet.json", "DynUNet", {"filters": [4, 8, 16]})],
)
def test_other_networks_train_and_read_through_a_layered_config(phantoms, tmp_path, config, network, sizes):
    """``configs/segresnet.json`` / ``dynunet.json`` replace the UNet in training and inference alike: the
    weights saved load strictly into the network ``inference.json`` builds with it, and the reader reads a
    study with it (labels on the study's grid)."""
    import torch
    from monai.bundle import ConfigParser

    from cardio_monai.io import find_studies
    from cardio_monai.keys import STUDY, SUBJECT
    from cardio_monai.segmentation import segment_item

    trained = _run(["train.json", config], tmp_path, phantoms, max_epochs=1, **sizes)
    assert trained.returncode == 0, trained.stderr[-3000:]
    parser = ConfigParser()
    parser.read_config([str(CONFIGS / "inference.json"), str(CONFIGS / config)])
    parser.update({"bundle_root": str(tmp_path), **{k: v for k, v in TINY.items() if k in ("pixel_mm", "window_size")}})
    parser.update(sizes)
    net = parser.get_parsed_content("network_def")
    assert type(net).__name__ == network
    net.load_state_dict(torch.load(tmp_path / "models" / "model.pt", weights_only=True))  # strict: same network
    study = find_studies(phantoms)[0]
    item = parser.get_parsed_content("preprocessing")({STUDY: study, SUBJECT: study.subject})
    result = segment_item(net.eval(), item)
    assert result.labels.shape[0] == 2 and result.labels.shape[1] == item["image"].shape[1]


def test_small_cavity_weight_switches_the_shuffle_for_a_weighted_sampler(phantoms):
    import torch
    from monai.bundle import ConfigParser

    for weight, expected in ((1.0, torch.utils.data.RandomSampler), (4.0, torch.utils.data.WeightedRandomSampler)):
        parser = ConfigParser()
        parser.read_config(str(CONFIGS / "train.json"))
        parser.update({**TINY, "dataset_dir": str(phantoms), "small_cavity_weight": weight, "bundle_root": "."})
        parser.update({"channels": [4, 8], "strides": [2]})
        loader = parser.get_parsed_content("train#dataloader")
        assert isinstance(loader.sampler, expected)
        assert len(loader.sampler) == len(loader.dataset)


def test_synthetic_json_adds_synthetic_subjects_spread_over_sources(phantoms, tmp_path):
    from monai.bundle import ConfigParser

    # a synthetic cohort's manifest (synthesize-images columns) over the phantoms' frames: 4 variants of 2 sources
    rows = ["subject,source_subject,EDV_ml,ESV_ml,ed_image_path,es_image_path,ed_label_path,es_label_path"]
    for k in range(4):
        p = phantoms / f"patient{k + 1:03d}" / f"patient{k + 1:03d}"
        ed, es = f"{p}_frame01", f"{p}_frame02"
        rows.append(f"syn{k},src{k % 2},120,60,{ed}.nii.gz,{es}.nii.gz,{ed}_gt.nii.gz,{es}_gt.nii.gz")
    (tmp_path / "manifest.csv").write_text("\n".join(rows) + "\n")
    parser = ConfigParser()
    parser.read_config([str(CONFIGS / "train.json"), str(CONFIGS / "synthetic.json")])
    parser.update({**TINY, "dataset_dir": str(phantoms), "bundle_root": ".", "channels": [4, 8], "strides": [2]})
    parser.update({"synthetic_manifest": str(tmp_path / "manifest.csv"), "synthetic_subjects": 2})
    data = parser.get_parsed_content("train#stacks#data")
    real = parser.get_parsed_content("split")[0]
    assert data[: len(real)] == real and {d["subject"] for d in data[len(real) :]} in (
        {"syn0", "syn1"},
        {"syn0", "syn3"},
        {"syn2", "syn1"},
        {"syn2", "syn3"},
    )  # one variant of each source
    frames = parser.get_parsed_content("train#frames")
    assert {f["subject"] for f in frames} == {d["subject"] for d in data}
    assert all(f["label"].max() == 3 for f in frames if f["subject"] == data[-1]["subject"] and f["label"].any())


def test_multi_gpu_train_runs_under_torchrun_on_cpu(phantoms, tmp_path):
    import os

    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--master_port=29731"]
    cmd += [
        "-m",
        "monai.bundle",
        "run",
        "--config_file",
        str([str(CONFIGS / "train.json"), str(CONFIGS / "multi_gpu_train.json")]),
    ]
    cmd += [
        "--meta_file",
        str(CONFIGS / "metadata.json"),
        "--bundle_root",
        str(tmp_path),
        "--dataset_dir",
        str(phantoms),
    ]
    cmd += [x for k, v in {**TINY, "max_epochs": 1}.items() for x in (f"--{k}", str(v))]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "models" / "model.pt").is_file()
