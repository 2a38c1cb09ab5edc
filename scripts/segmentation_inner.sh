#!/usr/bin/env bash
# The cavity-area weight of the segmentation loss chosen on an inner split, never on a test fold (issue #15,
# docs/segmentation_reader.md "The cavity-area weight, chosen on an inner split").
#
#   bash scripts/segmentation_inner.sh OUT_DIR [WEIGHTS]
#
# 1. OUT_DIR/outer_train/: links to fold 0's 80 training subjects (fold 0's 20 test subjects never linked).
# 2. For each weight of WEIGHTS (default "0 0.5 1"): the segmentation bundle trained (40 epochs) on the
#    stratified fold 0 of those 80 (64 training, 16 validation subjects) with --cavity_area_weight W, and
#    evaluated on the 16 (scripts/segmentation_cv.sh: OUT_DIR/w<W>/fold0/eval/metrics.json).
# 3. OUT_DIR/inner_summary.md|json: every weight's inner-validation figures; the chosen weight (rule fixed
#    before the runs: lowest inner EF RMSE of the segmentation reader) in OUT_DIR/chosen.txt.
# Resumable: a trained weight is skipped, a killed training resumes from its last epoch.
# Env: PYTHON (default .venv/bin/python), EPOCHS (default 40).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:?usage: segmentation_inner.sh OUT_DIR [WEIGHTS]}
WEIGHTS=${2:-"0 0.5 1"}
PY=${PYTHON:-.venv/bin/python}
DATA=${CARDIO_MONAI_DATA:-../shared/data}/acdc/training
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
if [ ! -f "$OUT/outer_train/.done" ]; then
    "$PY" - "$DATA" "$OUT/outer_train" <<'PYEOF'
import sys
from pathlib import Path

from cardio_monai.data import link_studies, split_datalist, study_datalist

train, _ = split_datalist(study_datalist(sys.argv[1]), 0, 5, 0)
out = Path(sys.argv[2])
(out / ".done").write_text(f"{link_studies(train, out)} subjects of fold 0's training part\n")
PYEOF
fi
for w in $WEIGHTS; do
    DATA="$OUT/outer_train" PYTHON="$PY" TRAIN_ARGS="--cavity_area_weight $w" \
        bash scripts/segmentation_cv.sh "$OUT/w$w" "${EPOCHS:-40}" 0
done
"$PY" - "$OUT" $WEIGHTS <<'PYEOF'
import json
import sys
from pathlib import Path

out, weights = Path(sys.argv[1]), sys.argv[2:]
rows = {w: json.loads((out / f"w{w}" / "fold0" / "eval" / "metrics.json").read_text()) for w in weights}
figure = lambda m, q, k="rmse": m[q][k]["value"]  # noqa: E731
lines = ["| weight | EDV RMSE (ml) | ESV RMSE (ml) | ESV bias (ml) | EF RMSE (%) |", "|---|---|---|---|---|"]
for w, m in rows.items():
    cells = [figure(m, "EDV"), figure(m, "ESV"), figure(m, "ESV", "bias"), figure(m, "EF")]
    lines.append(f"| {w} | " + " | ".join(f"{c:.2f}" for c in cells) + " |")
chosen = min(rows, key=lambda w: figure(rows[w], "EF"))
(out / "inner_summary.md").write_text("\n".join(lines) + f"\n\nchosen (lowest inner EF RMSE): {chosen}\n")
(out / "inner_summary.json").write_text(json.dumps({"weights": rows, "chosen": chosen}, indent=2) + "\n")
(out / "chosen.txt").write_text(chosen + "\n")
print("\n".join(lines), "\nchosen:", chosen)
PYEOF
