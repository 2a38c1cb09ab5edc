"""The package's MONAI Label app (``main.py`` in this folder, served by ``monailabel start_server --app
"$(python -m cardio_monai monailabel-app)" --studies DIR``).

Only the app's own modules import monailabel: this one does not, so ``import cardio_monai`` and
:func:`app_dir` work without it.
"""

from __future__ import annotations

from pathlib import Path

APP_DIR = Path(__file__).resolve().parent
"""The app folder: the one MONAI Label's ``--app`` takes (it holds ``main.py``)."""


def app_dir() -> Path:
    """The folder of the MONAI Label app, for ``monailabel start_server --app``."""
    return APP_DIR
