#!/usr/bin/env bash
# The main job on the sample shipped in the repo (one Sunnybrook subject, ED and ES frames):
# EDV, ESV and EF with predictive SDs from the images alone (the SFERA bundle's shipped weights),
# then the reference volumes from the sample's expert contours, for comparison.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m cardio_monai predict --out predictions.csv
cat predictions.csv
.venv/bin/python -m cardio_monai volumes cardio_monai/data/sample_sunnybrook --out volumes.csv
cat volumes.csv
