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

from cardio_monai.io import InputError, find_studies
from cardio_monai.networks import SFERARegressor
from cardio_monai.regression.data import IMAGE, MASK, SPACING, STUDY, SUBJECT, WARNING, collate_studies
from cardio_monai.regression.engine import prediction_rows, write_predictions
from cardio_monai.utils import progress
from cardio_monai.utils.checkpoint import load_weights

DEFAULT_BUNDLE = Path(__file__).resolve().parents[2] / "bundles" / "cardiac_sfera_regression"
INFERENCE_CONFIG = Path("configs") / "inference.json"
WEIGHTS = Path("models") / "model.pt"


def resolve_device(device: str | None) -> torch.device:
    """``cpu``, ``cuda`` or ``cuda:N``; None picks CUDA when available."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    name = str(device)
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise InputError("--device", f"{name}: no CUDA device on this machine; use --device cpu")
    try:
        return torch.device(name)
    except RuntimeError:
        raise InputError("--device", f"{name!r} is not a device (cpu, cuda, cuda:N)") from None


def load_bundle(bundle: str | Path | None = None, device: str | torch.device = "cpu") -> tuple[SFERARegressor, Any]:
    """The bundle's regressor with its weights (eval mode, on ``device``) and its preprocessing transform.

    Raises:
        InputError: no bundle config, a missing or corrupt checkpoint, or one that does not fit the network.
    """
    from monai.bundle import ConfigParser

    root = Path(bundle) if bundle is not None else DEFAULT_BUNDLE
    config = root / INFERENCE_CONFIG
    if not config.is_file():
        raise InputError(root, f"not a SFERA bundle: no {INFERENCE_CONFIG}")
    parser = ConfigParser()
    parser.read_config(str(config))
    parser["bundle_root"] = str(root)
    network = parser.get_parsed_content("network_def")
    weights = root / WEIGHTS
    load_weights(network, weights, "the bundle's network", "train the bundle or pass --bundle")
    if not bool(network.head.fitted_):
        raise InputError(weights, "the Bayesian ridge head was never fitted (training did not complete)")
    return network.to(device).eval(), parser.get_parsed_content("preprocessing")


@torch.no_grad()
def predict_studies(
    input_path: str | Path | None,
    out: str | Path,
    bundle: str | Path | None = None,
    device: str | None = "cpu",
    skip_bad: bool = False,
) -> list[dict[str, Any]]:
    """Predict every study of INPUT (default: the sample shipped in the package) and write ``out`` (CSV).

    Columns ``subject, EDV_ml, ESV_ml, EF_pct, EDV_sd_ml, ESV_sd_ml, EF_sd_pct`` (+ ``warning`` when a
    row has one). A bad study stops the run with nothing written, or with ``skip_bad`` gets a row with
    empty numbers and the reason in ``warning``.
    """
    from cardio_monai.data import SAMPLE_DIR

    dev = resolve_device(device)
    studies = find_studies(SAMPLE_DIR if input_path is None else input_path)
    network, preprocessing = load_bundle(bundle, dev)
    rows: list[dict[str, Any]] = []
    for study in progress(studies, desc="predict"):
        try:
            item = preprocessing({STUDY: study, SUBJECT: study.subject})
        except InputError as err:
            if not skip_bad:
                raise
            warnings.warn(str(err), stacklevel=2)
            rows.append({"subject": study.subject, "warning": str(err)})
            continue
        batch = collate_studies([item])
        output = network(batch[IMAGE].to(dev), batch[SPACING].to(dev), batch[MASK].to(dev))
        rows += prediction_rows(batch[SUBJECT], output, batch[SPACING].tolist(), network, batch[WARNING])
    write_predictions(out, rows)
    return rows
