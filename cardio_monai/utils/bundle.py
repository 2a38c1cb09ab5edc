"""Loading a bundle's network for inference: the one reader of ``configs/inference.json`` + weights.

The network is the config's ``network_def`` (its one description, as the model zoo reads it); its
weights load with ``torch.load(weights_only=True)`` (:func:`cardio_monai.utils.checkpoint.load_weights`).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from cardio_monai.errors import InputError
from cardio_monai.utils.checkpoint import load_weights

INFERENCE_CONFIG = Path("configs") / "inference.json"
WEIGHTS = Path("models") / "model.pt"
CHECKOUT_BUNDLES = Path(__file__).resolve().parents[2] / "bundles"
"""The bundles of a source checkout (``bundles/`` beside ``cardio_monai/``), for one used without installing."""


def bundles_dir() -> Path:
    """The folder of the bundles that come with the package: the package data of ``cardio_monai.bundles``.

    A wheel installs them in ``cardio_monai/bundles/`` (``pip install``); an editable install maps that
    package onto the checkout's ``bundles/`` (``[tool.setuptools] package-dir`` in ``pyproject.toml``); a
    checkout on ``sys.path`` without being installed falls back to its ``bundles/``.
    """
    try:
        return Path(str(resources.files("cardio_monai.bundles")))
    except ModuleNotFoundError:
        return CHECKOUT_BUNDLES


def default_bundle(name: str) -> Path:
    """The folder of the bundle ``name`` (e.g. ``cardiac_sfera_regression``) that comes with the package."""
    return bundles_dir() / name


def load_bundle_network(
    root: str | Path,
    kind: str,
    hint: str,
    weights: str | Path | None = None,
    overrides: dict[str, Any] | None = None,
    what: str = "the bundle's network",
) -> tuple[Any, Any]:
    """The ``network_def`` of the bundle at ``root`` with its weights loaded, and the config parser.

    Args:
        root: the bundle folder (``bundle_root`` of its configs).
        kind: the bundle's name in messages (``SFERA``, ``GauGAN``).
        hint: what a user with a missing or foreign checkpoint should do.
        weights: a checkpoint other than the bundle's ``models/model.pt``.
        overrides: config values replaced before the network is built (e.g. ``{"phases": 1}``).
        what: the network's name in messages.

    Raises:
        InputError: no bundle config, a missing or corrupt checkpoint, or one that does not fit the network.
    """
    from monai.bundle import ConfigParser

    root = Path(root)
    config = root / INFERENCE_CONFIG
    if not config.is_file():
        raise InputError(root, f"not a {kind} bundle: no {INFERENCE_CONFIG}")
    parser = ConfigParser()
    parser.read_config(str(config))
    parser["bundle_root"] = str(root)
    parser.update(overrides or {})
    network = parser.get_parsed_content("network_def")
    load_weights(network, root / WEIGHTS if weights is None else Path(weights), what, hint)
    return network, parser
