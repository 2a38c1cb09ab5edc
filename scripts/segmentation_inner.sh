#!/usr/bin/env bash
# A setting of the segmentation bundle chosen on an inner split, never on a test fold (issue #15,
# docs/segmentation_reader.md: "The cavity-area weight, chosen on an inner split", "Through-plane context").
#
#   bash scripts/segmentation_inner.sh OUT_DIR [VALUES]
#
# 1. OUT_DIR/outer_train/: links to fold 0's 80 training subjects (fold 0's 20 test subjects never linked).
# 2. For each value V of VALUES (default "0 0.5 1"): the segmentation bundle trained (40 epochs) on the
#    stratified fold 0 of those 80 (60 training, 20 validation subjects: the inner split of
#    scripts/finetune_recipes.sh) with --OPTION V, and evaluated on the 20 with the same --OPTION V
#    (scripts/segmentation_cv.sh: OUT_DIR/<PREFIX>V/fold0/eval/metrics.json).
# 3. OUT_DIR/inner_summary.md|json: the inner-validation figures of every value evaluated in OUT_DIR (so
#    several invocations with different VALUES can share it); the chosen value (rule fixed
#    before the runs: lowest inner EF RMSE of the segmentation reader) in OUT_DIR/chosen.txt.
# Resumable: a trained value is skipped, a killed training resumes from its last epoch.
# Env: PYTHON (default .venv/bin/python), EPOCHS (default 40), OPTION (the setting of train.json and
# inference.json compared, default cavity_area_weight; e.g. context_slices; "network": VALUES name configs of
# the bundle, e.g. "segresnet dynunet" for configs/segresnet.json, configs/dynunet.json), PREFIX (of the folders:
# default w for the cavity-area weight, c for context_slices, net_ for networks).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:?usage: segmentation_inner.sh OUT_DIR [VALUES]}
VALUES=${2:-"0 0.5 1"}
OPTION=${OPTION:-cavity_area_weight}
case "$OPTION" in
    cavity_area_weight) PREFIX=${PREFIX:-w}; COLUMN=weight ;;
    context_slices) PREFIX=${PREFIX:-c}; COLUMN=context ;;
    network) PREFIX=${PREFIX:-net_}; COLUMN=network ;;
    *) PREFIX=${PREFIX:-v}; COLUMN=$OPTION ;;
esac
source scripts/outer_train.sh
for v in $VALUES; do
    if [ "$OPTION" = network ]; then args=(NETWORK_CONFIG="$v.json"); else args=(TRAIN_ARGS="--$OPTION $v" EVAL_ARGS="--$OPTION $v"); fi
    env DATA="$OUT/outer_train" PYTHON="$PY" "${args[@]}" bash scripts/segmentation_cv.sh "$OUT/$PREFIX$v" "${EPOCHS:-40}" 0
done
"$PY" scripts/segmentation_summary.py "$OUT" "$PREFIX" "$COLUMN"
