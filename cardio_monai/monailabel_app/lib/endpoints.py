"""The request check in front of MONAI Label's ``POST /infer/{model}`` for this app's task.

MONAI Label answers a request without an image with HTTP 500, and keeps its temporary copy of an
upload when the task rejects it (its clean-up runs only after an answer). The route installed here for
``/infer/cardiac_function`` answers 400 with a one-line reason instead (no image, params not a JSON
object), names the study after the uploaded file, then hands over to MONAI Label's own
``run_inference``, and removes the copy when that fails.
"""

import json
import logging
from typing import Annotated

from fastapi import BackgroundTasks, Depends, File, Form, HTTPException, UploadFile
from monailabel.config import RBAC_USER, settings
from monailabel.endpoints.infer import ResultType, run_inference
from monailabel.endpoints.user.auth import RBAC, User

from cardio_monai.columns import SUBJECT
from cardio_monai.io.nifti import nifti_stem

logger = logging.getLogger(__name__)

NO_IMAGE = "no image: post the cine as the form field 'file' or name a datastore image with ?image=ID"


def checked_params(image: str, session_id: str, params: str, file: UploadFile | None) -> str:
    """The request's ``params`` (JSON text) with ``subject``, when not given, the uploaded file's name less
    ``.nii[.gz]`` (MONAI Label hands the task a temporary copy). Raises HTTP 400 for a request without an
    image, or whose ``params`` is not a JSON object."""
    if not file and not image and not session_id:
        raise HTTPException(status_code=400, detail=NO_IMAGE)
    try:
        parsed = json.loads(params) if params else {}
    except json.JSONDecodeError as err:
        raise HTTPException(status_code=400, detail=f"params: not JSON ({err.msg} at character {err.pos})") from None
    if not isinstance(parsed, dict):
        raise HTTPException(status_code=400, detail='params: not a JSON object (e.g. {"ed": 0, "es": 9})')
    if file and file.filename and not parsed.get(SUBJECT):
        parsed[SUBJECT] = nifti_stem(file.filename)
    return json.dumps(parsed)


def install_request_check(app, model: str) -> None:
    """Route ``POST {API}/infer/{model}`` of the FastAPI ``app`` through :func:`checked_params`, ahead of
    MONAI Label's generic ``/infer/{model}`` route (routes are matched in order, at each request)."""

    async def infer_checked(
        background_tasks: BackgroundTasks,
        user: Annotated[User, Depends(RBAC(settings.MONAI_LABEL_AUTH_ROLE_USER))],
        image: str = "",
        session_id: str = "",
        params: Annotated[str, Form()] = "{}",
        file: Annotated[UploadFile | None, File()] = None,
        label: Annotated[UploadFile | None, File()] = None,
        output: ResultType | None = None,
    ):
        params = checked_params(image, session_id, params, file)
        try:
            return run_inference(background_tasks, model, image, session_id, params, file, label, output)
        except Exception:
            for task in background_tasks.tasks:  # MONAI Label's removal of its copies of the uploads
                task.func(*task.args, **task.kwargs)
            raise

    path = f"{settings.MONAI_LABEL_API_STR}/infer/{model}"
    app.router.add_api_route(path, infer_checked, methods=["POST"], summary=f"{RBAC_USER}Run {model}", tags=["Infer"])
    app.router.routes.insert(0, app.router.routes.pop())
    logger.info(f"request check installed on POST {path}")
