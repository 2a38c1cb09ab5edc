#!/usr/bin/env bash
# The main job on the sample shipped in the repo (one Sunnybrook subject, ED and ES frames).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m cardio_monai volumes cardio_monai/data/sample_sunnybrook --out volumes.csv
cat volumes.csv
