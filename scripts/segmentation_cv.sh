#!/usr/bin/env bash
# 5-fold cross-validation of the LV segmentation bundle on ACDC training (the same stratified folds as
# SFERA), then the shipped model on all 100 subjects. Resumable: a finished fold is skipped, a killed
# training resumes from its last epoch (MONAI CheckpointSaver/Loader), a missing evaluation is redone.
#   bash scripts/segmentation_cv.sh OUT_DIR [EPOCHS] [FOLDS]
# Env: DATA (default ../shared/data/acdc/training), PYTHON (default python), TRAIN_ARGS (more arguments of
# train.json, e.g. "--small_cavity_weight 4"), CONFIGS (configs layered on train.json for training, e.g.
# "synthetic.json"), EVAL_ARGS (more arguments of inference.json for the evaluation, e.g. "--context_slices 1"
# for a network trained with "--context_slices 1"), NETWORK_CONFIG (a config of another network layered on
# training and evaluation alike, e.g. "segresnet.json"; default the UNet of train.json / inference.json).
set -euo pipefail
OUT=${1:?usage: segmentation_cv.sh OUT_DIR [EPOCHS] [FOLDS]}
EPOCHS=${2:-20}
FOLDS=${3:-"0 1 2 3 4 all"}
HERE=$(cd "$(dirname "$0")/.." && pwd)
DATA=$(cd "${DATA:-$HERE/../shared/data/acdc/training}" && pwd)
PY=${PYTHON:-python}
[[ "$PY" == */* ]] && PY=$(cd "$(dirname "$PY")" && pwd)/$(basename "$PY")  # the folds run in their own folders
BUNDLE=$HERE/bundles/cardiac_lv_segmentation
TRAIN_CONFIGS="'configs/train.json'"
EVAL_CONFIGS="'configs/inference.json'"
for c in ${NETWORK_CONFIG:-}; do TRAIN_CONFIGS="$TRAIN_CONFIGS,'configs/$c'"; EVAL_CONFIGS="$EVAL_CONFIGS,'configs/$c'"; done
for c in ${CONFIGS:-}; do TRAIN_CONFIGS="$TRAIN_CONFIGS,'configs/$c'"; done
mkdir -p "$OUT"
for f in $FOLDS; do
    fold=$f; [ "$f" = all ] && fold=-1
    dir=$OUT/fold$f; [ "$f" = all ] && dir=$OUT/all
    mkdir -p "$dir/configs"
    cp "$BUNDLE"/configs/*.json "$BUNDLE"/configs/logging.conf "$dir/configs/"
    if [ ! -f "$dir/models/model.pt" ]; then
        start=$(date +%s)
        (cd "$dir" && "$PY" -m monai.bundle run --config_file "[$TRAIN_CONFIGS]" --bundle_root . \
            --meta_file configs/metadata.json --dataset_dir "$DATA" --fold "$fold" --max_epochs "$EPOCHS" \
            $([ "$fold" = -1 ] && echo "--val_interval 1000") ${TRAIN_ARGS:-} > train.log 2>&1)
        echo "fold $f: trained $EPOCHS epochs in $(( $(date +%s) - start )) s" | tee -a "$OUT/timing.txt"
    fi
    if [ "$fold" != -1 ] && [ ! -f "$dir/eval/metrics.json" ]; then
        (cd "$dir" && "$PY" -m monai.bundle run --config_file "[$EVAL_CONFIGS,'configs/evaluate.json']" \
            --bundle_root . --meta_file configs/metadata.json --dataset_dir "$DATA" --fold "$fold" ${EVAL_ARGS:-} > evaluate.log 2>&1)
    fi
done
