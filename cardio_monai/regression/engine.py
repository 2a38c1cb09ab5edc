"""The pieces a MONAI engine needs to train, validate and run the SFERA regressor: batch preparation
(normalised targets), the loss, the target range, the ridge-head fit after training, prediction rows."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from ignite.engine import Engine, Events
from torch import nn

from cardio_monai.constants import PREDICTION_COLUMNS
from cardio_monai.networks import SFERARegressor
from cardio_monai.regression.data import (
    AREAS,
    GROUP,
    IMAGE,
    MASK,
    SPACING,
    SUBJECT,
    VOLUMES,
    WARNING,
    collate_studies,
)
from cardio_monai.utils import atomic_path, write_csv
from cardio_monai.utils.checkpoint import load_weights
from cardio_monai.volumes import ejection_fraction_pct, ejection_fraction_sd_pct

ML_PER_MM3 = 1e-3
logger = logging.getLogger(__name__)


class SFERABatch:
    """``prepare_batch`` of MONAI's Supervised engines for batches of :func:`collate_studies`.

    Returns ``(image, target, args, kwargs)``: training (``with_slices``) targets are the normalised
    (EDV, ESV) followed by the normalised per-slice ED/ES areas (B, 2 + 2 Z; NaN where unknown) and the
    network is called ``network(image, mask=mask, with_slices=True)``; validation targets are the
    normalised volumes (B, 2); ``inference`` calls the whole regressor ``network(image, slice_spacing,
    mask)`` (ml) with the reference volumes in ml (NaN when absent) as target.

    A per-slice area a (mm^2) is normalised as the volume per mm of slice spacing is: a / 1000 / span,
    span = ``target_max_ - target_min_`` (ml per mm), so the slice targets add up to the volume target
    plus ``target_min_ / span``.
    """

    def __init__(self, regressor: SFERARegressor, with_slices: bool = False, inference: bool = False):
        self.regressor = regressor
        self.with_slices = with_slices
        self.inference = inference

    def __call__(
        self, batch: Mapping[str, Any], device: str | torch.device | None = None, non_blocking: bool = False, **kw
    ) -> tuple[torch.Tensor, torch.Tensor | None, tuple, dict]:
        image = batch[IMAGE].to(device=device, non_blocking=non_blocking)
        mask = batch[MASK].to(device=device, non_blocking=non_blocking)
        spacing = batch[SPACING].to(device=device, non_blocking=non_blocking)
        volumes = batch.get(VOLUMES)
        if volumes is None:
            volumes = torch.full((image.shape[0], 2), float("nan"))
        volumes = volumes.to(device=device, non_blocking=non_blocking)
        if self.inference:
            return image, volumes, (spacing, mask), {}
        target = self.regressor.normalise_targets(volumes, spacing)
        if not self.with_slices:
            return image, target, (), {"mask": mask}
        span = (self.regressor.target_max_ - self.regressor.target_min_).to(device)
        areas = batch[AREAS].to(device=device, non_blocking=non_blocking) * ML_PER_MM3 / span
        return image, torch.cat([target, areas.flatten(1)], 1), (), {"mask": mask, "with_slices": True}


class VolumeSliceLoss(nn.Module):
    """RMSE of the normalised volumes (the paper's loss) + ``slice_weight`` x RMSE of the per-slice outputs
    over the slices whose targets are known (finite). Inputs as :class:`SFERABatch` makes them:
    (B, n_volumes [+ Z * slice_channels]); without slice columns it is the plain RMSE."""

    def __init__(self, n_volumes: int = 2, slice_weight: float = 1.0):
        super().__init__()
        self.n_volumes = n_volumes
        self.slice_weight = slice_weight

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        n = self.n_volumes
        loss = torch.sqrt(torch.mean((pred[:, :n] - target[:, :n]) ** 2) + 1e-12)
        if self.slice_weight and target.shape[1] > n:
            known = torch.isfinite(target[:, n:])
            if bool(known.any()):
                diff = (pred[:, n:] - torch.nan_to_num(target[:, n:]))[known]
                loss = loss + self.slice_weight * torch.sqrt(torch.mean(diff**2) + 1e-12)
        return loss


def fit_target_range(regressor: SFERARegressor, dataset: Sequence[Mapping[str, Any]]) -> SFERARegressor:
    """Set the regressor's target range (and trained slice-spacing range) from a dataset of items with
    ``volumes`` (ml) and ``slice_spacing`` (mm); returns the regressor."""
    volumes = np.stack([np.asarray(item[VOLUMES], dtype=np.float64) for item in dataset])
    spacing = np.array([float(item[SPACING]) for item in dataset])
    return regressor.fit_target_range(volumes, spacing)


@torch.no_grad()
def sequence_features(
    regressor: SFERARegressor, dataset: Sequence[Mapping[str, Any]], device: str | torch.device = "cpu", batch: int = 4
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SFERA's sequence features (N, F) in eval mode, reference volumes (N, 2) ml and spacing (N,) mm."""
    regressor.eval()
    feats, vols, spacing = [], [], []
    for start in range(0, len(dataset), batch):
        b = collate_studies([dataset[i] for i in range(start, min(start + batch, len(dataset)))])
        feats.append(regressor.network.features(b[IMAGE].to(device), b[MASK].to(device)).cpu().numpy())
        vols.append(b[VOLUMES].numpy())
        spacing.append(b[SPACING].numpy())
    return np.concatenate(feats), np.concatenate(vols), np.concatenate(spacing)


class FitRidgeHead:
    """Ignite handler: when training completes, load the best checkpoint (``checkpoint``, the regressor's
    state dict, ``weights_only``), fit the Bayesian ridge head on the sequence features of ``dataset``
    (the training items, without augmentation) and save the whole regressor back to ``checkpoint``.

    Called on its own (``handler(None)``, the bundle's ``fit_head.json``: refit the head of a trained model,
    e.g. after changing ``head_prior``), the checkpoint must exist."""

    def __init__(self, regressor: SFERARegressor, dataset: Sequence[Mapping[str, Any]], checkpoint: str | Path):
        self.regressor = regressor
        self.dataset = dataset
        self.checkpoint = Path(checkpoint)

    def attach(self, engine: Engine) -> None:
        engine.add_event_handler(Events.COMPLETED, self)

    def __call__(self, engine: Engine | None = None) -> None:
        if not _is_main_process():
            return
        device = next(self.regressor.parameters()).device
        if engine is None or self.checkpoint.is_file():
            load_weights(self.regressor, self.checkpoint, "the regressor", "train the bundle first")
        feats, vols, spacing = sequence_features(self.regressor, self.dataset, device)
        self.regressor.fit_head(feats, vols, spacing)
        self.checkpoint.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(self.checkpoint) as tmp:
            torch.save(self.regressor.state_dict(), tmp)
        logger.info("ridge head fitted on %d studies -> %s", len(self.dataset), self.checkpoint)


def _is_main_process() -> bool:
    dist = torch.distributed
    return not (dist.is_available() and dist.is_initialized()) or dist.get_rank() == 0


def prediction_rows(
    subjects: Sequence[str],
    outputs: torch.Tensor | np.ndarray,
    spacing_mm: Iterable[float],
    regressor: SFERARegressor,
    warnings: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """CSV rows (:data:`PREDICTION_COLUMNS` + ``warning``) from the regressor's (B, 4) outputs in ml.
    A slice spacing outside the training range gets a warning, never silence; ``warnings`` (one per
    subject, e.g. ED/ES estimated from the images) are carried into the same column."""
    out = np.asarray(outputs.detach().cpu() if isinstance(outputs, torch.Tensor) else outputs, dtype=np.float64)
    lo, hi = float(regressor.spacing_min_), float(regressor.spacing_max_)
    warnings = list(warnings) if warnings is not None else [""] * len(subjects)
    rows = []
    for subject, (edv, esv, edv_sd, esv_sd), s, given in zip(subjects, out, spacing_mm, warnings, strict=True):
        notes = [given] if given else []
        if np.isfinite(lo) and not lo - 0.5 <= float(s) <= hi + 0.5:
            notes.append(f"slice spacing {float(s):.1f} mm outside the trained range {lo:.1f}-{hi:.1f} mm")
        warning = "; ".join(notes)
        rows.append(
            {
                "subject": subject,
                "EDV_ml": edv,
                "ESV_ml": esv,
                "EF_pct": ejection_fraction_pct(edv, esv),
                "EDV_sd_ml": edv_sd,
                "ESV_sd_ml": esv_sd,
                "EF_sd_pct": ejection_fraction_sd_pct(edv, esv, edv_sd, esv_sd),
                "warning": warning,
            }
        )
    return rows


def write_predictions(path: str | Path, rows: Sequence[Mapping[str, Any]]) -> None:
    """Write prediction rows (atomic); the ``warning`` column only when some row has one."""
    columns = PREDICTION_COLUMNS + (("warning",) if any(r.get("warning") for r in rows) else ())
    write_csv(path, [{k: r.get(k, "") for k in columns} for r in rows], columns)


class PredictionWriter:
    """Ignite handler for an inference evaluator: collects the regressor's outputs per iteration and
    writes ``output_file`` (predictions CSV) when the run completes."""

    def __init__(self, regressor: SFERARegressor, output_file: str | Path, reference_file: str | Path | None = None):
        self.regressor = regressor
        self.output_file = Path(output_file)
        self.reference_file = None if reference_file is None else Path(reference_file)
        self.rows: list[dict[str, Any]] = []
        self.reference: list[dict[str, Any]] = []

    def attach(self, engine: Engine) -> None:
        engine.add_event_handler(Events.STARTED, self.reset)
        engine.add_event_handler(Events.ITERATION_COMPLETED, self.collect)
        engine.add_event_handler(Events.COMPLETED, self.write)

    def reset(self, engine: Engine) -> None:
        self.rows.clear()
        self.reference.clear()

    def collect(self, engine: Engine) -> None:
        batch = engine.state.batch
        pred = engine.state.output["pred"]
        self.rows += prediction_rows(batch[SUBJECT], pred, batch[SPACING].tolist(), self.regressor, batch.get(WARNING))
        if VOLUMES in batch:
            groups = batch.get(GROUP) or [""] * len(batch[SUBJECT])
            for subject, (edv, esv), group in zip(batch[SUBJECT], batch[VOLUMES].tolist(), groups, strict=True):
                ef = ejection_fraction_pct(edv, esv)
                self.reference.append({"subject": subject, "EDV_ml": edv, "ESV_ml": esv, "EF_pct": ef, "group": group})

    def write(self, engine: Engine) -> None:
        self.output_file.parent.mkdir(parents=True, exist_ok=True)
        write_predictions(self.output_file, self.rows)
        if self.reference_file is not None and self.reference:
            write_csv(self.reference_file, self.reference, ("subject", "EDV_ml", "ESV_ml", "EF_pct", "group"))
        logger.info("%d predictions -> %s", len(self.rows), self.output_file)
