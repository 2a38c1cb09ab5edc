#!/usr/bin/env bash
# How long to pretrain: SSO of several lengths, each finetuned with the shipped recipe (RSP 60 epochs at
# 5e-4), compared on an inner split, never on a test fold (issue #14, docs/synthetic_pretraining.md "A longer
# SSO, chosen on the inner split").
#
#   OMP_NUM_THREADS=1 bash scripts/sso_epochs_inner.sh OUT_DIR
#
# 1. OUT_DIR/outer_train/: links to fold 0's 80 training subjects (fold 0's 20 test subjects never linked).
# 2. The study of scripts/synthetic_pretraining.sh (cpu profile) on those 80 as the data (its fold 0: 60 training,
#    20 inner validation subjects), once per length of SSO_LENGTHS, side by side (one process each): the masks,
#    images and RSO are shared (made once, under the driver's lock); OUT_DIR/inner/fold0/sso_eL/ is the SSO of
#    L epochs (its cosine schedule over L epochs), rsp_sso_eL/ its finetuning, compare_rsp_sso_eL/ the tables;
#    OUT_DIR/log_eL.txt each run's log.
# 3. OUT_DIR/inner_summary.md|json, chosen.txt: lowest inner EF RMSE (scripts/inner_summary.py), the rule fixed
#    before the runs. Fold 0 itself is not run here: a longer SSO that wins needs its own SSO on fold 0's cohort.
# Resumable: every step is skipped when its output exists; SSO resumes from its last epoch.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:?usage: sso_epochs_inner.sh OUT_DIR}
SSO_LENGTHS=${SSO_LENGTHS:-"2 5"}
source scripts/outer_train.sh
pids=()
for epochs in $SSO_LENGTHS; do
    PRETRAINING_DATA="$OUT/outer_train" REUSE_RSO=0 SSO_EPOCHS="$epochs" SSO_DIR="sso_e$epochs" \
        RSP_DIR="rsp_sso_e$epochs" PYTHON="$PY" bash scripts/synthetic_pretraining.sh cpu "$OUT/inner" 0 \
        > "$OUT/log_e$epochs.txt" 2>&1 &
    pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
[ "$failed" = 0 ] || { echo "error: a run failed: see $OUT/log_e*.txt" >&2; exit 1; }
"$PY" scripts/inner_summary.py "$OUT"
