"""Loading the segmentation bundle and reading one study with it (the ``seg`` reader of ``predict``).

The bundle's ``configs/inference.json`` is the one description of the network and its preprocessing;
``models/model.pt`` loads with ``weights_only=True``. No label is read: honest inference.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from cardio_monai.errors import InputError, input_error_in
from cardio_monai.io import StudySource
from cardio_monai.keys import STUDY, SUBJECT
from cardio_monai.segmentation.reader import SegmentationResult, segment_item
from cardio_monai.utils.bundle import default_bundle, load_bundle_network

DEFAULT_BUNDLE = default_bundle("cardiac_lv_segmentation")


def load_segmenter(
    bundle: str | Path | None = None, device: str | torch.device = "cpu"
) -> tuple[torch.nn.Module, Any, dict[str, Any]]:
    """The bundle's segmenter with its weights (eval mode, on ``device``), its preprocessing transform and
    its grid settings (``pixel_mm``, ``window``) for whole cines (:mod:`cardio_monai.segmentation.phases`).

    Raises:
        InputError: no bundle config, a missing or corrupt checkpoint, or one that does not fit the network.
    """
    root = Path(bundle) if bundle is not None else DEFAULT_BUNDLE
    network, parser = load_bundle_network(
        root, "LV segmentation", "train the bundle or pass --seg_bundle", what="the segmenter"
    )
    grid = {"pixel_mm": float(parser["pixel_mm"]), "window": int(parser["window_size"])}
    return network.to(device).eval(), parser.get_parsed_content("preprocessing"), grid


@torch.no_grad()
def segment_study(
    network: torch.nn.Module, preprocessing: Any, study: StudySource, orientation: int | None = None
) -> tuple[SegmentationResult, dict]:
    """The segmentation reader's result for one study, and the preprocessed item (its ``warning`` says
    whether ED/ES were estimated); ``orientation`` as in :func:`~cardio_monai.segmentation.segment_item`.

    Raises:
        InputError: the study cannot be read or measured (MONAI's ``Compose`` wrapper removed).
    """
    try:
        item = preprocessing({STUDY: study, SUBJECT: study.subject})
    except (InputError, RuntimeError) as wrapped:
        err = input_error_in(wrapped)
        if err is None:
            raise
        raise err from None
    return segment_item(network, item, orientation=orientation), item
