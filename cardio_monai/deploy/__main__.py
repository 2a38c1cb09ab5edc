"""``python -m cardio_monai.deploy -i DICOM_DIR -o OUT_DIR [-m MODELS_DIR] [-l LEVEL]``.

Writes ``OUT_DIR/<PatientID>_lv_function_sr.dcm`` (DICOM Comprehensive 3D SR, TID 1500) and
``OUT_DIR/<PatientID>_lv_function_report.pdf`` and prints one summary line. Bad input prints
``error: <file>: <problem>`` on stderr and exits 2 with nothing written (an OUT_DIR that the run created
is removed again). Logs are quiet unless ``-l INFO`` or ``-l DEBUG`` is given.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

import pydicom

from cardio_monai.errors import InputError, input_error_in

HELP = """usage: python -m cardio_monai.deploy -i DICOM_DIR -o OUT_DIR [-m MODELS_DIR] [-l LEVEL] [-w WORKDIR]

LV EDV, ESV (ml) and EF (%) with SDs from the short-axis cine series of a DICOM folder, by both readers of
`predict`: writes OUT_DIR/<PatientID>_lv_function_sr.dcm (DICOM Comprehensive 3D SR, TID 1500) and
OUT_DIR/<PatientID>_lv_function_report.pdf.

  -i, --input    folder of DICOM files, read recursively (default: $HOLOSCAN_INPUT_PATH, else input)
  -o, --output   output folder, made if missing (default: $HOLOSCAN_OUTPUT_PATH, else output)
  -m, --model    folder holding the bundle folders cardiac_sfera_regression/ and cardiac_lv_segmentation/
                 (default: $HOLOSCAN_MODEL_PATH, else the bundles of the package)
  -l, --log-level  DEBUG, INFO, WARN, ERROR or CRITICAL (default: quiet)
  -w, --workdir  the App SDK's work folder"""
QUIET_LOG_LEVEL = "WARN"
HOLOSCAN_QUIET_LEVEL = "CRITICAL"  # Holoscan logs an operator's exception as an error: the CLI says it once


def _early_args(argv: list[str]) -> argparse.Namespace:
    """The output folder and log level, read before the SDK's parser (which creates the output folder)."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("-i", "--input")
    parser.add_argument("-o", "--output")
    parser.add_argument("-l", "--log-level", dest="log_level", type=str.upper)
    return parser.parse_known_args(argv)[0]


def _one_line_warning(message, category, filename, lineno, line=None) -> str:
    return f"warning: {message}\n"


def _remove_if_new_and_empty(folder: Path | None, existed: bool) -> None:
    if folder is not None and not existed and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()


def main(argv: list[str] | None = None) -> int:
    """Run the app once; returns the exit code (0 ok, 2 bad input)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if {"-h", "--help"} & set(argv):  # Holoscan would answer with its own (driver/worker) options
        print(HELP)
        return 0
    early = _early_args(argv)
    if early.input and not Path(early.input).exists():
        print(f"error: {early.input}: does not exist", file=sys.stderr)
        return 2
    if early.log_level is None:
        argv = [*argv, "-l", QUIET_LOG_LEVEL]
    os.environ.setdefault("HOLOSCAN_LOG_LEVEL", early.log_level or HOLOSCAN_QUIET_LEVEL)
    warnings.formatwarning = _one_line_warning
    warnings.filterwarnings("ignore")  # the SDK's, Holoscan's, torch's and pydicom's are for developers
    warnings.filterwarnings("default", module=r"cardio_monai(\.|$)")
    # the source's values are used as they are (anonymised data often breaks the UID and date syntax);
    # pydicom converts values lazily, so its validation would warn at every later access
    pydicom.config.settings.reading_validation_mode = pydicom.config.IGNORE
    pydicom.config.settings.writing_validation_mode = pydicom.config.IGNORE
    output = Path(early.output) if early.output else None
    existed = output is not None and output.exists()
    try:
        from cardio_monai.deploy.app import CardiacFunctionApp
    except ImportError as err:
        print(
            f"error: the MONAI Deploy App SDK is not installed ({err.name}): pip install 'cardio-monai[deploy]'",
            file=sys.stderr,
        )
        return 2
    app = CardiacFunctionApp([sys.executable, "cardio_monai.deploy", *argv])
    try:
        app.run()
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        _remove_if_new_and_empty(output, existed)
        return 2
    except (RuntimeError, ValueError) as exc:  # MONAI's Compose (and Holoscan) may wrap the InputError
        cause = input_error_in(exc)
        if cause is None:
            raise
        print(f"error: {cause}", file=sys.stderr)
        _remove_if_new_and_empty(output, existed)
        return 2
    except OSError as exc:  # the system refused a read or a write (permissions, a full disk)
        print(f"error: {exc.filename or 'output'}: {exc.strerror or type(exc).__name__}", file=sys.stderr)
        _remove_if_new_and_empty(output, existed)
        return 2
    if not app.written:
        print("error: the app wrote nothing (see the log with -l INFO)", file=sys.stderr)
        return 1
    for row in app.rows:
        print(
            f"{row['subject']}: EDV {row['EDV_ml']:.0f} +- {row['EDV_sd_ml']:.0f} ml, "
            f"ESV {row['ESV_ml']:.0f} +- {row['ESV_sd_ml']:.0f} ml, EF {row['EF_pct']:.0f} +- {row['EF_sd_pct']:.0f} %"
        )
    print("wrote " + ", ".join(str(p) for p in app.written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
