"""Adapt a trained SFERA bundle to a site's studies (the ``finetune`` command).

A hospital has its studies and the EDV/ESV of its reports, rarely contours: the manifest may carry
label maps, volumes only (``EDV_ml, ESV_ml``: the per-slice area term is then skipped), or a mix.
A seeded part of the studies is held back; the rest finetunes the network from the source bundle's
weights with the bundle's own ``finetune.json`` (strict, ``weights_only`` load; the ridge head is refit
on the site's training studies). The held-back studies are predicted before and after, and the new
bundle carries that comparison in ``docs/finetune/`` (``metrics.json``: after at the top level, before
under ``predictions2``; ``finetune.json``: settings, subjects, RMSE before/after).

The new bundle is built in a hidden folder beside OUT and renamed into place at the end, so a failed
or killed run leaves no partial bundle.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cardio_monai.evaluation import evaluate_predictions
from cardio_monai.io import InputError, find_studies
from cardio_monai.io.manifest import read_manifest_rows
from cardio_monai.io.outputs import PATH_COLUMNS
from cardio_monai.measure import record_volumes
from cardio_monai.regression.predict import DEFAULT_BUNDLE, WEIGHTS, load_bundle, predict_studies, resolve_device
from cardio_monai.utils import write_csv

logger = logging.getLogger(__name__)
REPORT_DIR = Path("docs") / "finetune"
BUNDLE_PARTS = ("configs", "docs", "LICENSE")


def _split(n: int, holdout: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, held-back) row indices: ``round(holdout * n)`` (at least 1) held back, drawn with ``seed``."""
    n_hold = max(1, round(holdout * n))
    if n - n_hold < 2:
        raise ValueError(f"holdout={holdout}: {n} studies leave {n - n_hold} to train on; at least 2 are needed")
    order = np.random.default_rng(seed).permutation(n)
    return np.sort(order[n_hold:]), np.sort(order[:n_hold])


def _absolute_rows(rows: Sequence[dict[str, str]], folder: Path) -> list[dict[str, str]]:
    """Manifest rows with every path cell (:data:`~cardio_monai.io.outputs.PATH_COLUMNS`) made absolute
    (relative to ``folder``), so that the rows can be written to a manifest elsewhere."""
    out = []
    for row in rows:
        new = dict(row)
        for key in PATH_COLUMNS:
            value = row.get(key, "")
            if value and not Path(value).expanduser().is_absolute():
                new[key] = str((folder / value).resolve())
        out.append(new)
    return out


def _write_manifest(path: Path, rows: Sequence[dict[str, str]]) -> Path:
    columns = list(dict.fromkeys(k for r in rows for k in r))
    write_csv(path, rows, columns)
    return path


def _check_out(out: Path, source: Path) -> None:
    if out.resolve() == source.resolve():
        raise InputError(out, "is the source bundle; finetuning writes a new bundle (pick another --out)")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(out, "exists and is not an empty folder; the new bundle needs a fresh --out")


def finetune_bundle(
    manifest: str | Path,
    out: str | Path,
    bundle: str | Path | None = None,
    epochs: int = 30,
    learning_rate: float = 3e-4,
    holdout: float = 0.2,
    seed: int = 0,
    device: str | None = "cpu",
) -> dict[str, Any]:
    """Finetune the SFERA bundle ``bundle`` (default: the shipped one) on the studies of ``manifest`` and
    write a complete bundle to ``out``; returns the ``finetune.json`` report (RMSE before/after in ml, %).

    Raises:
        InputError: a bad manifest, a study without reference volumes, a bundle that does not load, an
            ``out`` that is the source bundle or a non-empty folder.
        ValueError: ``epochs`` < 1, ``learning_rate`` <= 0, ``holdout`` outside (0, 1), too few studies.
    """
    from monai.bundle import run

    if int(epochs) < 1:
        raise ValueError(f"epochs={epochs}: must be at least 1")
    if not float(learning_rate) > 0:
        raise ValueError(f"learning_rate={learning_rate}: must be positive")
    if not 0.0 < float(holdout) < 1.0:
        raise ValueError(f"holdout={holdout}: must be in (0, 1)")
    manifest, out = Path(manifest), Path(out)
    source = Path(bundle) if bundle is not None else DEFAULT_BUNDLE
    dev = resolve_device(device)
    _check_out(out, source)
    load_bundle(source, "cpu")  # a source bundle that does not load is reported before any work
    rows = _absolute_rows(read_manifest_rows(manifest), manifest.parent)
    train_idx, hold_idx = _split(len(rows), float(holdout), int(seed))

    started = time.time()
    with tempfile.TemporaryDirectory(prefix="cardio_monai_finetune_") as scratch:
        scratch = Path(scratch)
        train_csv = _write_manifest(scratch / "train.csv", [rows[i] for i in train_idx])
        hold_csv = _write_manifest(scratch / "holdout.csv", [rows[i] for i in hold_idx])
        reference = [record_volumes(s.read(with_labels=True)) for s in find_studies(hold_csv)]
        for s in find_studies(train_csv):  # every training study must carry a reference before training starts
            record_volumes(s.read(with_labels=True))
        ref_csv = scratch / "reference.csv"
        write_csv(ref_csv, reference, ("subject", "EDV_ml", "ESV_ml", "EF_pct"))
        predict_studies(hold_csv, scratch / "before.csv", source, str(dev))

        work = out.parent / f".{out.name}.partial-{os.getpid()}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        try:
            for part in BUNDLE_PARTS:
                src = source / part
                if src.is_dir():
                    shutil.copytree(src, work / part, ignore=shutil.ignore_patterns("results", "__pycache__"))
                elif src.is_file():
                    shutil.copy2(src, work / part)
            (work / WEIGHTS.parent).mkdir(parents=True, exist_ok=True)
            run(
                config_file=[str(work / "configs" / "train.json"), str(work / "configs" / "finetune.json")],
                bundle_root=str(work),
                dataset_dir=str(train_csv),
                fold=-1,
                pretrained_checkpoint=str(source / WEIGHTS),
                max_epochs=int(epochs),
                val_interval=int(epochs),
                learning_rate=float(learning_rate),
                seed=int(seed),
                ckpt_dir=str(work / WEIGHTS.parent),
                output_dir=str(scratch / "eval"),
                device=dev,
            )
            predict_studies(hold_csv, scratch / "after.csv", work, str(dev))
            report_dir = work / REPORT_DIR
            metrics = evaluate_predictions(scratch / "after.csv", ref_csv, scratch / "before.csv", report_dir)
            report = _report(metrics, manifest, source, rows, train_idx, hold_idx, epochs, learning_rate, seed)
            report["wall_s"] = round(time.time() - started, 1)
            (report_dir / "finetune.json").write_text(json.dumps(report, indent=4) + "\n")
            for name in ("before.csv", "after.csv", "reference.csv"):
                shutil.copy2(scratch / name, report_dir / f"holdout_{name}")
            _note_in_changelog(work, report)
            if out.exists():
                out.rmdir()  # an empty folder, checked above
            os.replace(work, out)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
    logger.info(
        "held-back studies (%d): RMSE before -> after: EF %.1f -> %.1f %%, EDV %.1f -> %.1f ml, ESV %.1f -> %.1f ml",
        len(hold_idx),
        *(report["rmse"][q][k] for q in ("EF", "EDV", "ESV") for k in ("before", "after")),
    )
    if report["rmse"]["EF"]["after"] > report["rmse"]["EF"]["before"]:
        warnings.warn(
            f"{out}: the finetuned bundle is worse than the source on the {len(hold_idx)} held-back studies "
            f"(EF RMSE {report['rmse']['EF']['before']:.1f} -> {report['rmse']['EF']['after']:.1f} %); "
            "keep the source bundle or finetune on more studies",
            stacklevel=2,
        )
    return report


def _report(metrics, manifest, source, rows, train_idx, hold_idx, epochs, learning_rate, seed) -> dict[str, Any]:
    rmse = {
        q: {"before": metrics["predictions2"][q]["rmse"]["value"], "after": metrics[q]["rmse"]["value"]}
        for q in ("EDV", "ESV", "EF")
    }
    return {
        "manifest": str(manifest),
        "source_bundle": str(source),
        "epochs": int(epochs),
        "learning_rate": float(learning_rate),
        "seed": int(seed),
        "train_subjects": [rows[i]["subject"] for i in train_idx],
        "holdout_subjects": [rows[i]["subject"] for i in hold_idx],
        "units": {"EDV": "ml", "ESV": "ml", "EF": "%"},
        "rmse": rmse,
    }


def _note_in_changelog(bundle: Path, report: dict[str, Any]) -> None:
    """Add a changelog entry (patch version + 1) to the new bundle's metadata.json, when it has one."""
    meta_path = bundle / "configs" / "metadata.json"
    if not meta_path.is_file():
        return
    meta = json.loads(meta_path.read_text())
    major, minor, patch = [*str(meta.get("version", "0.0.0")).split("."), "0", "0"][:3]
    version = f"{major}.{minor}.{int(patch) + 1 if patch.isdigit() else 1}"
    rmse = report["rmse"]["EF"]
    note = (
        f"finetuned on {len(report['train_subjects'])} site studies ({report['epochs']} epochs); held-back "
        f"EF RMSE {rmse['before']:.1f} -> {rmse['after']:.1f} %"
    )
    meta["version"] = version
    meta["changelog"] = {version: note, **meta.get("changelog", {})}
    meta_path.write_text(json.dumps(meta, indent=4) + "\n")
