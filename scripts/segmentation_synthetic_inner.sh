#!/usr/bin/env bash
# Synthetic frames for the segmentation reader, chosen on an inner split, never on a test fold (issue #15,
# docs/segmentation_reader.md "Synthetic frames in training, on the inner split").
#
#   bash scripts/segmentation_synthetic_inner.sh OUT_DIR MANIFEST [COUNTS]
#
# MANIFEST: a synthesize-images cohort made from the inner split's 60 training subjects only, e.g. the one
# scripts/sso_epochs_inner.sh builds (OUT/inner/fold0/images/manifest.csv: masks from the 60, the shipped
# GauGAN generator). For each N of COUNTS (default "0 60"): the segmentation bundle (40 epochs) trained on the
# inner split's 60 real subjects plus N synthetic subjects drawn across the cohort's sources
# (configs/synthetic.json, cardio_monai.data.draw_by_source, split_seed), evaluated on the 20 inner validation
# subjects (OUT_DIR/syn<N>/fold0/eval). N = 0 is the shipped recipe. OUT_DIR/inner_summary.md|json, chosen.txt:
# lowest inner EF RMSE (scripts/segmentation_summary.py), the rule fixed before the runs.
# Resumable like scripts/segmentation_cv.sh. Env: PYTHON, EPOCHS (default 40).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:?usage: segmentation_synthetic_inner.sh OUT_DIR MANIFEST [COUNTS]}
MANIFEST=$(realpath "${2:?usage: segmentation_synthetic_inner.sh OUT_DIR MANIFEST [COUNTS]}")
COUNTS=${3:-"0 60"}
source scripts/outer_train.sh
for n in $COUNTS; do
    configs=""; args=""
    [ "$n" = 0 ] || { configs=synthetic.json; args="--synthetic_manifest $MANIFEST --synthetic_subjects $n"; }
    DATA="$OUT/outer_train" PYTHON="$PY" CONFIGS="$configs" TRAIN_ARGS="$args" \
        bash scripts/segmentation_cv.sh "$OUT/syn$n" "${EPOCHS:-40}" 0
done
"$PY" scripts/segmentation_summary.py "$OUT" syn "synthetic subjects"
