# Sourced by the inner-split scripts (segmentation_inner.sh, segmentation_synthetic_inner.sh, finetune_recipes.sh,
# sso_epochs_inner.sh) after they set OUT: PY (env PYTHON), DATA (ACDC training, env CARDIO_MONAI_DATA), OUT made
# absolute, and OUT/outer_train/: links to fold 0's 80 training subjects (fold 0's 20 test subjects never linked).
PY=${PYTHON:-.venv/bin/python}
DATA=${CARDIO_MONAI_DATA:-../shared/data}/acdc/training
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
[ -f "$OUT/outer_train/.done" ] || "$PY" scripts/link_outer_train.py "$DATA" "$OUT/outer_train"
