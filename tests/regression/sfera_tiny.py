"""Tiny ACDC-layout phantom datasets and the tiny SFERA profile shared by the regression tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from cardio_monai.io.phantom import make_phantom
from cardio_monai.io.writers import write_acdc_patient

REPO = Path(__file__).resolve().parents[2]
BUNDLE = REPO / "bundles" / "cardiac_sfera_regression"

# A profile small enough for a CPU test: 3 mm pixels, 32 px crop, 2 blocks of 4 channels.
TINY = {
    "pixel_mm": 3.0,
    "crop_size": 32,
    "base_channels": 4,
    "n_blocks": 2,
    "batch_size": 2,
    "max_epochs": 1,
    "val_interval": 1,
    "n_folds": 3,
    "num_workers": 0,
}


def write_phantoms(root: Path, n: int = 6, slices=(5, 6, 7)) -> Path:
    """``n`` ACDC-layout phantoms with different EFs, slice counts and spacings."""
    for k in range(n):
        rec, _ = make_phantom(
            n_phases=2,
            n_slices=slices[k % len(slices)],
            shape=(80, 80),
            pixel_mm=1.5,
            slice_mm=(10.0, 8.0)[k % 2],
            edv_ml=120.0 + 10 * k,
            ef_pct=25.0 + 8 * (k % 7),  # 25-73 %
            es_phase=1,
            noise=0.02,
            seed=k,
            subject=f"patient{k + 1:03d}",
        )
        rec.frames = rec.frames.astype(np.float32)
        write_acdc_patient(rec, root / f"patient{k + 1:03d}")
    return root


def overrides(tmp: Path, dataset_dir: Path, **extra) -> dict:
    """ConfigWorkflow overrides: the tiny profile, outputs under ``tmp``."""
    return {
        "bundle_root": str(BUNDLE),
        "dataset_dir": str(dataset_dir),
        "ckpt_dir": str(tmp / "models"),
        "output_dir": str(tmp / "eval"),
        "device": "$torch.device('cpu')",
        **TINY,
        **extra,
    }


def torchrun_bundle(configs: Path, overrides: dict, port: int) -> subprocess.CompletedProcess:
    """``torchrun --nproc_per_node=2 -m monai.bundle run`` of ``train.json`` + ``multi_gpu_train.json`` of
    the bundle configs folder ``configs`` on CPU (gloo), one thread per process."""
    import os
    import sys

    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", f"--master_port={port}"]
    cmd += ["-m", "monai.bundle", "run"]
    cmd += ["--config_file", str([str(configs / "train.json"), str(configs / "multi_gpu_train.json")])]
    cmd += ["--meta_file", str(configs / "metadata.json"), "--logging_file", str(configs / "logging.conf")]
    cmd += [x for k, v in overrides.items() for x in (f"--{k}", str(v))]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    return subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=env, timeout=600)
