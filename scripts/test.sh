#!/usr/bin/env bash
# Lint (ruff format + check) and the test suite. Real-data tests read ../shared/data (or
# $CARDIO_MONAI_DATA); with CARDIO_MONAI_REQUIRE_DATA=1 a missing data folder fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff format --check .
.venv/bin/ruff check .
.venv/bin/python -m pytest -q -n 2 --dist loadgroup "$@"
