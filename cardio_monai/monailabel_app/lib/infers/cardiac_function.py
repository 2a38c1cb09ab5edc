"""The ``cardiac_function`` infer task: a 4D NIfTI cine in, LV EDV, ESV (ml) and EF (%) with their SDs
as JSON out (the numbers of ``predict``), with the segmentation reader's label map for the viewer.

Built on MONAI Label's ``InferTask`` (not ``BasicInferTask``'s pre/infer/post pipeline nor
``BundleInferTask``, which imports torchvision): the measurement is :mod:`..cine`'s, one call.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import HTTPException
from monailabel.interfaces.tasks.infer_v2 import InferTask, InferType

from cardio_monai.columns import SUBJECT
from cardio_monai.errors import InputError, ParameterError
from cardio_monai.monailabel_app.lib.cine import LABEL_NAMES, CineReaders, answer, phase_params, write_label_map

logger = logging.getLogger(__name__)

BAD_IMAGE = 422
"""HTTP status of an image the readers reject (not a NIfTI, not 4D, not measurable)."""
BAD_REQUEST = 400
"""HTTP status of a request parameter out of range (``ed``, ``es``)."""


class CardiacFunction(InferTask):
    """LV function of one cine by the project's readers.

    Request: ``image`` (the cine's path, as MONAI Label hands it over), optional ``ed`` and ``es``
    (0-based phase indices; both or neither: without them the readers estimate them as ``predict`` does)
    and ``subject`` (the answer's name of the study; default the file name).
    Answer: (path of a uint8 4D NIfTI label map (X, Y, Z, T), labels at ED and ES, or None without the
    segmentation reader; the JSON of :func:`cardio_monai.monailabel_app.lib.cine.answer`).
    A bad image or parameter is an ``HTTPException`` (4xx) with the one-line reason; nothing is written.

    Args:
        readers, bundle, seg_bundle, device: those of :class:`~cardio_monai.monailabel_app.lib.cine.CineReaders`.
    """

    def __init__(
        self,
        readers: str = "sfera,seg",
        bundle: str | None = None,
        seg_bundle: str | None = None,
        device: str = "cpu",
    ):
        super().__init__(
            type=InferType.OTHERS,
            labels=LABEL_NAMES if "seg" in readers else None,
            dimension=3,
            description="LV EDV, ESV (ml) and EF (%) with SDs from a 4D NIfTI cine (X, Y, Z, T); params ed, es",
            config={"ed": "", "es": "", "subject": ""},
        )
        self.cine_readers = CineReaders(readers, bundle, seg_bundle, device)

    def is_valid(self) -> bool:
        return True

    def __call__(self, request: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
        start = time.perf_counter()
        try:
            ed, es = phase_params(request)
            subject = str(request.get(SUBJECT) or "") or None
            result = self.cine_readers.measure(str(request.get("image") or ""), ed, es, subject)
        except ParameterError as err:
            raise HTTPException(status_code=BAD_REQUEST, detail=str(err)) from None
        except InputError as err:
            # the readers name MONAI Label's copy of an upload: say which request field it came from
            raise HTTPException(status_code=BAD_IMAGE, detail=f"image {err}") from None
        label = write_label_map(result)
        reply = answer(result)
        reply["latency_s"] = round(time.perf_counter() - start, 3)
        logger.info(f"cardiac_function: {reply}")
        return (None if label is None else str(label)), reply
