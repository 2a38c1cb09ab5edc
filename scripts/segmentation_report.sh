#!/usr/bin/env bash
# After scripts/segmentation_cv.sh: the pooled 5-fold figures of the segmentation reader (volumes, Dice)
# into the bundle's docs/results/cv5, and the readers' combination fitted on the CV predictions of both
# readers (SFERA's from bundles/cardiac_sfera_regression/docs/results/cv5/folds) into models/combination.json,
# with its leave-one-fold-out measurement in docs/results/cv5/readers_cv.json.
#   bash scripts/segmentation_report.sh CV_DIR [REPORT_DIR]
# With REPORT_DIR (an experiment, not the shipped model): everything goes there, combination.json included,
# and the bundle is left alone.
set -euo pipefail
CV=${1:?usage: segmentation_report.sh CV_DIR}
HERE=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-python}
B=$HERE/bundles/cardiac_lv_segmentation
S=$HERE/bundles/cardiac_sfera_regression/docs/results/cv5/folds
OUT=${2:-$B/docs/results/cv5}
rm -rf "$OUT/folds"; mkdir -p "$OUT/folds"  # a fold left out must not leave its old files
FOLDS=()  # the folds whose evaluation is done (all 5 once segmentation_cv.sh has finished)
for f in 0 1 2 3 4; do
    [ -f "$CV/fold$f/eval/metrics.json" ] || continue
    FOLDS+=("$f")
    for name in predictions reference dice; do cp "$CV/fold$f/eval/$name.csv" "$OUT/folds/fold${f}_$name.csv"; done
done
echo "folds: ${FOLDS[*]}"
join() { local IFS=,; echo "$*"; }
list() { local out=(); for f in "${FOLDS[@]}"; do out+=("$1/fold${f}_$2.csv"); done; join "${out[@]}"; }
PRED=$(list "$OUT/folds" predictions)
REF=$(list "$OUT/folds" reference)
"$PY" -m cardio_monai evaluate "$PRED" "$REF" --out "$OUT"
"$PY" -c "import sys; from cardio_monai.segmentation.evaluate import summarise_dice; summarise_dice(sys.argv[1], sys.argv[2])" \
    "$(list "$OUT/folds" dice)" "$OUT/dice.json"
"$PY" -m cardio_monai.readers.cv --sfera "$(list "$S" predictions)" --seg "$PRED" --reference "$REF" --out "$OUT"
[ -n "${2:-}" ] || mv "$OUT/combination.json" "$B/models/combination.json"
