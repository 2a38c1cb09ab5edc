#!/usr/bin/env bash
# The finetuning recipe of RSP chosen on an inner split, never on a test fold (issue #14,
# docs/synthetic_pretraining.md "The finetuning recipe, chosen on an inner split").
#
#   bash scripts/finetune_recipes.sh OUT_DIR
#
# 1. OUT_DIR/outer_train/: links to fold 0's 80 training subjects (fold 0's 20 test subjects never linked).
# 2. The whole study of scripts/synthetic_pretraining.sh (cpu profile) on those 80 as if they were the data:
#    its fold 0 is an inner split, 60 training and 20 validation subjects. Masks, synthetic images, SSO and
#    RSO come from the 60 only (RSO trained, not reused); every recipe of RECIPES finetunes that SSO on the
#    60 and predicts the 20 (OUT_DIR/inner/fold0/rsp_<recipe>/test, compared in compare_rsp_<recipe>).
# 3. OUT_DIR/inner_summary.md|json: the inner-validation figures of every recipe and of RSO; the chosen recipe
#    (lowest inner EF RMSE) is written to OUT_DIR/chosen.txt.
# 4. The chosen recipe on fold 0 itself (80 training, 20 test subjects), from SSO_CHECKPOINT (default: the
#    SFERA bundle's models/sso.pt, the SSO the shipped RSP started from), seeds 0 and 1 like the shipped
#    recipe's repeats: OUT_DIR/fold0/<recipe>_seed<S>/test/predictions.csv. Skipped when the chosen recipe is
#    the shipped one (60:5e-4: its fold-0 seeds are in docs/results/pretraining/cpu_seeds_fold0).
# Resumable: every step of synthetic_pretraining.sh is skipped when its output exists.
# RECIPES: "EPOCHS:LR[:FREEZE] ..." (default: the shipped 60:5e-4 against shorter and gentler ones; FREEZE: the
# encoder frozen for that many first epochs, e.g. 60:5e-4:20).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:?usage: finetune_recipes.sh OUT_DIR}
RECIPES=${RECIPES:-"60:5e-4 60:1e-4 20:5e-4 20:1e-4"}
SSO_CHECKPOINT=${SSO_CHECKPOINT:-bundles/cardiac_sfera_regression/models/sso.pt}
B=bundles/cardiac_sfera_regression
source scripts/outer_train.sh
for recipe in $RECIPES; do
    IFS=: read -r epochs lr freeze <<< "$recipe"
    dir="rsp_e${epochs}_lr${lr}"; [ -z "$freeze" ] || dir="${dir}_freeze${freeze}"
    PRETRAINING_DATA="$OUT/outer_train" REUSE_RSO=0 RSP_DIR="$dir" RSP_EPOCHS="$epochs" RSP_LR="$lr" \
        RSP_FREEZE="$freeze" PYTHON="$PY" bash scripts/synthetic_pretraining.sh cpu "$OUT/inner" 0
done
"$PY" scripts/inner_summary.py "$OUT"
chosen=$(cat "$OUT/chosen.txt")
rest=${chosen#rsp_e}; epochs=${rest%%_lr*}; rest=${rest#*_lr}; lr=${rest%%_freeze*}
freeze=0; [[ $rest != *_freeze* ]] || freeze=${rest##*_freeze}
if [ "$epochs:$lr:$freeze" = "60:5e-4:0" ]; then
    echo "the chosen recipe is the shipped one: nothing more to run on fold 0"
    exit 0
fi
for seed in 0 1; do
    R=$OUT/fold0/${chosen}_seed$seed
    if [ ! -f "$R/model.pt" ]; then
        echo "fold 0: RSP, $epochs epochs at $lr (encoder frozen $freeze) from $SSO_CHECKPOINT, seed $seed"
        "$PY" -m monai.bundle run --config_file "['$B/configs/train.json','$B/configs/finetune.json']" \
            --bundle_root $B --dataset_dir "$DATA" --fold 0 --pretrained_checkpoint "$SSO_CHECKPOINT" --seed "$seed" \
            --max_epochs "$epochs" --learning_rate "$lr" --freeze_encoder_epochs "$freeze" --val_interval "$epochs" \
            --ckpt_dir "$R" --output_dir "$R"
    fi
    if [ ! -f "$R/test/predictions.csv" ]; then
        "$PY" -m monai.bundle run --config_file "['$B/configs/train.json','$B/configs/evaluate.json']" \
            --bundle_root $B --dataset_dir "$DATA" --fold 0 --ckpt_dir "$R" --output_dir "$R/test"
    fi
done
