"""EDV, ESV and EF of studies on disk with a trained SFERA bundle (the ``predict`` command).

The bundle's ``configs/inference.json`` is the one description of the network and its preprocessing;
this module reads ``network_def`` and ``preprocessing`` from it, loads ``models/model.pt`` with
``weights_only=True`` and runs study by study (no labels are read: honest inference).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import torch

from cardio_monai.data import SAMPLE_DIR, collate_studies
from cardio_monai.errors import InputError, input_error_in
from cardio_monai.io import StudySource, check_output, find_studies
from cardio_monai.keys import IMAGE, MASK, SLICE_SPACING, STUDY, SUBJECT, WARNING
from cardio_monai.networks import SFERARegressor
from cardio_monai.regression.predictions import prediction_rows, write_predictions
from cardio_monai.utils import progress
from cardio_monai.utils.bundle import WEIGHTS, default_bundle, load_bundle_network
from cardio_monai.utils.device import resolve_device

DEFAULT_BUNDLE = default_bundle("cardiac_sfera_regression")

__all__ = ["DEFAULT_BUNDLE", "WEIGHTS", "load_bundle", "predict_studies", "predict_study", "resolve_device"]


def load_bundle(bundle: str | Path | None = None, device: str | torch.device = "cpu") -> tuple[SFERARegressor, Any]:
    """The bundle's regressor with its weights (eval mode, on ``device``) and its preprocessing transform
    (the config's ``preprocessing``: a study source in, the network's input item out).

    Raises:
        InputError: no bundle config, a missing or corrupt checkpoint, or one that does not fit the network.
    """
    root = Path(bundle) if bundle is not None else DEFAULT_BUNDLE
    network, parser = load_bundle_network(root, "SFERA", "train the bundle or pass --bundle")
    if not bool(network.head.fitted_):
        raise InputError(root / WEIGHTS, "the Bayesian ridge head was never fitted (training did not complete)")
    return network.to(device).eval(), parser.get_parsed_content("preprocessing")


@torch.no_grad()
def predict_study(
    network: SFERARegressor, preprocessing: Any, study: StudySource, device: str | torch.device = "cpu"
) -> dict[str, Any]:
    """The prediction row of one study (:func:`~cardio_monai.regression.predictions.prediction_rows`).

    Raises:
        InputError: the study cannot be read or measured (MONAI's ``Compose`` wrapper removed).
    """
    try:
        item = preprocessing({STUDY: study, SUBJECT: study.subject})
    except (InputError, RuntimeError) as wrapped:  # Compose wraps a transform's InputError
        err = input_error_in(wrapped)
        if err is None:
            raise
        raise err from None
    batch = collate_studies([item])
    output = network(batch[IMAGE].to(device), batch[SLICE_SPACING].to(device), batch[MASK].to(device))
    return prediction_rows(batch[SUBJECT], output, batch[SLICE_SPACING].tolist(), network, batch[WARNING])[0]


def predict_studies(
    input_path: str | Path | None,
    out: str | Path,
    bundle: str | Path | None = None,
    device: str | None = "cpu",
    skip_bad: bool = False,
) -> list[dict[str, Any]]:
    """Predict every study of INPUT (default: the sample shipped in the package) with SFERA alone and
    write ``out`` (CSV).

    Columns ``subject, EDV_ml, ESV_ml, EF_pct, EDV_sd_ml, ESV_sd_ml, EF_sd_pct`` (+ ``warning`` when a
    row has one). A bad study stops the run with nothing written, or with ``skip_bad`` gets a row with
    empty numbers and the reason in ``warning``.
    """
    dev = resolve_device(device)
    studies = find_studies(SAMPLE_DIR if input_path is None else input_path)
    check_output(out, SAMPLE_DIR if input_path is None else input_path, bundle or DEFAULT_BUNDLE)
    network, preprocessing = load_bundle(bundle, dev)
    rows: list[dict[str, Any]] = []
    for study in progress(studies, desc="predict"):
        try:
            rows.append(predict_study(network, preprocessing, study, dev))
        except InputError as err:
            if not skip_bad:
                raise
            warnings.warn(str(err), stacklevel=2)
            rows.append({"subject": study.subject, "warning": str(err)})
    write_predictions(out, rows)
    return rows
