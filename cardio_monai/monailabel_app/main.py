"""MONAI Label app of cardio-monai: ``monailabel start_server --app "$(python -m cardio_monai monailabel-app)"
--studies DIR``; infer task ``cardiac_function`` (:mod:`cardio_monai.monailabel_app.lib.infers.cardiac_function`).

Options (``--conf KEY VALUE``): ``readers`` (``sfera,seg``, ``sfera`` or ``seg``), ``bundle`` and
``seg_bundle`` (bundle folders; default those of the package), ``device`` (``cpu`` or ``cuda``).
"""

import logging

from monailabel.interfaces.app import MONAILabelApp
from monailabel.interfaces.tasks.infer_v2 import InferTask

import cardio_monai
from cardio_monai.monailabel_app.lib.cine import LABEL_NAMES
from cardio_monai.monailabel_app.lib.endpoints import install_request_check
from cardio_monai.monailabel_app.lib.infers.cardiac_function import CardiacFunction

logger = logging.getLogger(__name__)

TASK = "cardiac_function"


class CardioMonaiApp(MONAILabelApp):
    """The app: one infer task, no training, the studies folder as MONAI Label's local datastore."""

    def __init__(self, app_dir: str, studies: str, conf: dict[str, str]):
        self.readers = conf.get("readers", "sfera,seg")
        self.device = conf.get("device", "cpu")
        super().__init__(
            app_dir=app_dir,
            studies=studies,
            conf=conf,
            name="cardio-monai",
            description="LV EDV, ESV and EF with SDs from cine short-axis MRI (4D NIfTI)",
            version=cardio_monai.__version__,
            labels=LABEL_NAMES,
        )

    def init_infers(self) -> dict[str, InferTask]:
        return {TASK: CardiacFunction(self.readers, self.conf.get("bundle"), self.conf.get("seg_bundle"), self.device)}

    def on_init_complete(self) -> None:
        super().on_init_complete()
        from monailabel.app import app  # the server's FastAPI app (imported by the server before this runs)

        install_request_check(app, TASK)
