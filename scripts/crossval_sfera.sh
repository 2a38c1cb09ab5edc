#!/usr/bin/env bash
# 5-fold cross-validation of the SFERA bundle, stratified by pathology group (the bundle's
# split_datalist): for each fold, train on the other four fifths and predict the held-out fifth;
# then pool the five held-out prediction files into one metrics.json with plots.
#
#   bash scripts/crossval_sfera.sh DATASET_DIR OUT_DIR [bundle overrides, e.g. --max_epochs 120]
#
# No model selection on the held-out fold: validation runs once, after the last epoch, so the
# checkpoint is the last epoch's. A fold whose OUT_DIR/foldK/predictions.csv exists is skipped
# (resumable); CARDIO_MONAI_FOLDS="0 2" runs only those folds (shardable across machines).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 2 ]; then
    echo "usage: $0 DATASET_DIR OUT_DIR [bundle overrides]" >&2
    exit 2
fi
DATA=$1
OUT=$2
shift 2
B=bundles/cardiac_sfera_regression
PY=${PYTHON:-.venv/bin/python}
EPOCHS=$(sed -n 's/^ *"max_epochs": \([0-9]*\),/\1/p' $B/configs/train.json)
for arg in "$@"; do [ "${prev:-}" = "--max_epochs" ] && EPOCHS=$arg; prev=$arg; done
for k in ${CARDIO_MONAI_FOLDS:-0 1 2 3 4}; do
    D=$OUT/fold$k
    [ -f "$D/predictions.csv" ] && continue
    mkdir -p "$D"
    "$PY" -m monai.bundle run --config_file $B/configs/train.json --bundle_root $B --dataset_dir "$DATA" \
        --fold "$k" --val_interval "$EPOCHS" --ckpt_dir "$D" --output_dir "$D" "$@"
    "$PY" -m monai.bundle run --config_file "['$B/configs/train.json','$B/configs/evaluate.json']" \
        --bundle_root $B --dataset_dir "$DATA" --fold "$k" --ckpt_dir "$D" --output_dir "$D" "$@"
done
PRED=$(ls "$OUT"/fold*/predictions.csv | paste -sd, -)
REF=$(ls "$OUT"/fold*/reference.csv | paste -sd, -)
"$PY" -m cardio_monai evaluate "$PRED" "$REF" --out "$OUT/pooled"
