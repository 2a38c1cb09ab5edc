"""The package's MONAI Label app (``main.py`` in this folder, served by ``monailabel start_server --app
"$(python -m cardio_monai monailabel-app)" --studies DIR``).

Only the app's own modules import monailabel: this one does not, so ``import cardio_monai`` and
:func:`app_dir` work without it.
"""

from __future__ import annotations

from pathlib import Path

APP_DIR = Path(__file__).resolve().parent
"""The app folder: the one MONAI Label's ``--app`` takes (it holds ``main.py``)."""


APP_SUBDIRS = ("model", "logs")
"""Folders MONAI Label expects in the app folder (``lib`` ships with the package)."""


def app_dir() -> Path:
    """The folder of the MONAI Label app, for ``monailabel start_server --app``, with the folders MONAI Label
    expects in it made first (``exist_ok``): monailabel 0.8.5 makes them with a check-then-``makedirs`` that
    fails with ``FileExistsError`` when two servers of the app start at once. Where the package folder is
    read-only they cannot be made and MONAI Label reports it."""
    for name in APP_SUBDIRS:
        try:
            (APP_DIR / name).mkdir(exist_ok=True)
        except OSError:
            pass
    return APP_DIR
