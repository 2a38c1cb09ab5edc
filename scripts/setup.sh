#!/usr/bin/env bash
# Create .venv (Python 3.11) and install the project: torch==2.13.0 first, explicitly (the CPU
# wheel; an unpinned torch pulls several GB of CUDA packages), then the package with its dev tools and
# the MONAI Deploy extra (the App SDK with Holoscan, highdicom: ~20 s, ~0.4 GB; tests/deploy runs the app).
# Idempotent: reinstalls only when pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.setup-stamp
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q torch==2.13.0
  .venv/bin/python -m pip install -q -e ".[dev,deploy]"
  echo "$want" > "$stamp"
fi
