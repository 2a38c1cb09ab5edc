"""Ignite handlers of the regressor's engines: the ridge-head fit after training and the predictions writer."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from ignite.engine import Engine, Events

from cardio_monai.keys import GROUP, PRED, SLICE_SPACING, SUBJECT, VOLUMES, WARNING
from cardio_monai.networks import SFERARegressor
from cardio_monai.regression.head import sequence_features
from cardio_monai.regression.predictions import prediction_rows, reference_row, write_predictions, write_reference
from cardio_monai.utils import atomic_path
from cardio_monai.utils.checkpoint import load_weights

logger = logging.getLogger(__name__)


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
        pred = engine.state.output[PRED]
        spacing = batch[SLICE_SPACING].tolist()
        self.rows += prediction_rows(batch[SUBJECT], pred, spacing, self.regressor, batch.get(WARNING))
        if VOLUMES in batch:
            groups = batch.get(GROUP) or [""] * len(batch[SUBJECT])
            for subject, (edv, esv), group in zip(batch[SUBJECT], batch[VOLUMES].tolist(), groups, strict=True):
                self.reference.append(reference_row(subject, edv, esv, group))

    def write(self, engine: Engine) -> None:
        self.output_file.parent.mkdir(parents=True, exist_ok=True)
        write_predictions(self.output_file, self.rows)
        if self.reference_file is not None and self.reference:
            write_reference(self.reference_file, self.reference)
        logger.info("%d predictions -> %s", len(self.rows), self.output_file)
