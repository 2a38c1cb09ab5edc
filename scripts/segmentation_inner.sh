#!/usr/bin/env bash
# The cavity-area weight of the segmentation loss chosen on an inner split, never on a test fold (issue #15,
# docs/segmentation_reader.md "The cavity-area weight, chosen on an inner split").
#
#   bash scripts/segmentation_inner.sh OUT_DIR [WEIGHTS]
#
# 1. OUT_DIR/outer_train/: links to fold 0's 80 training subjects (fold 0's 20 test subjects never linked).
# 2. For each weight of WEIGHTS (default "0 0.5 1"): the segmentation bundle trained (40 epochs) on the
#    stratified fold 0 of those 80 (60 training, 20 validation subjects: the inner split of
#    scripts/finetune_recipes.sh) with --cavity_area_weight W, and
#    evaluated on the 20 (scripts/segmentation_cv.sh: OUT_DIR/w<W>/fold0/eval/metrics.json).
# 3. OUT_DIR/inner_summary.md|json: the inner-validation figures of every weight evaluated in OUT_DIR (so
#    several invocations with different WEIGHTS can share it); the chosen weight (rule fixed
#    before the runs: lowest inner EF RMSE of the segmentation reader) in OUT_DIR/chosen.txt.
# Resumable: a trained weight is skipped, a killed training resumes from its last epoch.
# Env: PYTHON (default .venv/bin/python), EPOCHS (default 40).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:?usage: segmentation_inner.sh OUT_DIR [WEIGHTS]}
WEIGHTS=${2:-"0 0.5 1"}
source scripts/outer_train.sh
for w in $WEIGHTS; do
    DATA="$OUT/outer_train" PYTHON="$PY" TRAIN_ARGS="--cavity_area_weight $w" \
        bash scripts/segmentation_cv.sh "$OUT/w$w" "${EPOCHS:-40}" 0
done
"$PY" scripts/segmentation_summary.py "$OUT" w weight
