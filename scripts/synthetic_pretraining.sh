#!/usr/bin/env bash
# The paper's experiment on our data: synthetic pretraining (SSO), finetuning on real subjects (RSP),
# against real-only training (RSO), on the held-out subjects of a fold. docs/synthetic_pretraining.md.
#
#   bash scripts/synthetic_pretraining.sh PROFILE OUT_DIR [FOLD ...]     (default fold: 0)
#
# Per fold, into OUT_DIR/foldK/:
#   real_train/   links to the fold's training subjects (the test fifth is never linked)
#   masks/        synthesize-masks from real_train only
#   images/       synthesize-images with a generator trained without the fold's test subjects
#   sso/          SFERA trained on the synthetic cohort (validation: 10 % of the sources, held back
#                 whole); sso/test/ its predictions of the real test subjects
#   rso/          SFERA trained on real_train only; rso/test/ (reused when it exists)
#   rsp/          sso/model.pt finetuned on real_train (finetune.json); rsp/test/
#   compare/      RSP against RSO on the test subjects: metrics.json (Kruskal-Wallis), plots;
#                 experiments.md/.json: SSO, RSO, RSP in the layout of the paper's Table 1
# Every step is skipped when its output exists and the long ones resume from their checkpoints,
# so a killed run continues where it stopped. No step sees the fold's test subjects except the
# final predictions: validation runs once, after the last epoch (no model selection on them).
#
# Real data: PRETRAINING_DATA (an ACDC-layout folder), default ${CARDIO_MONAI_DATA:-../shared/data}/acdc/training.
# Profiles (numbers in docs/synthetic_pretraining.md):
#   tiny  the plumbing on a small ACDC-layout folder (the CI test: 15 phantoms), 24 synthetic
#         subjects, 2 epochs of a 4-channel network; PRETRAINING_DATA names the folder
#   cpu   what runs on 2 CPU cores: 4,000 synthetic subjects, 1.5 mm, 100 px, 16 base channels,
#         the shipped generator (trained on fold 0's 80 training subjects, so fold 0 only)
#   gpu   the paper's size: 22,653 synthetic subjects, 1 mm, 150 px, 32 base channels
# SETTING=a (default): all the fold's training subjects. SETTING=b: imbalanced like the paper's data, the
# fold's training subjects with EF < 40 % drawn down to about 6 % of them (imbalanced_subset, seed = fold);
# masks, SSO, RSO and RSP all come from that subset only; the test subjects are the fold's, untouched.
# SYN_SUBJECTS overrides the profile's cohort size; EF_DISTRIBUTION=uniform (default, the paper's) or sources
# (the cohort's EF drawn like the real training subjects': the paper's ablation, docs/synthetic_masks.md).
# Finetuning recipes (scripts/finetune_recipes.sh): RSP_EPOCHS and RSP_LR override the profile's RSP epochs and
# finetune.json's learning rate, RSP_FREEZE its freeze_encoder_epochs (the CNN encoder frozen for the first
# epochs of finetuning, FreezeForEpochs), RSP_SEED its --seed (default 0; the seed repeats of the docs: RSP_SEED=1
# RSP_DIR=rsp_seed1), RSP_DIR names its folder (default rsp; compared in compare_RSP_DIR); REUSE_RSO=0
# trains RSO instead of reusing the SFERA bundle's cross-validation folds (whenever PRETRAINING_DATA is not ACDC).
# SSO_EPOCHS overrides the profile's SSO epochs and SSO_DIR names the SSO's folder (default sso), from which RSP starts
# (scripts/sso_epochs_inner.sh). Several runs with different SSO_DIR / RSP_DIR may share one OUT_DIR side by side:
# the steps they share (linking, masks, images, RSO) hold a lock (flock on foldK/.shared.lock), so one does them
# and the others wait for it and then find them done.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: $0 tiny|cpu|gpu OUT_DIR [FOLD ...]" >&2; exit 2; }
PROFILE=$1 OUT=$2
shift 2
FOLDS=${*:-0}
PY=${PYTHON:-.venv/bin/python}
SETTING=${SETTING:-a}
case $SETTING in a|b) ;; *) echo "error: SETTING=$SETTING: expected a or b" >&2; exit 2 ;; esac
EF_DISTRIBUTION=${EF_DISTRIBUTION:-uniform}
case $EF_DISTRIBUTION in uniform|sources) ;;
    *) echo "error: EF_DISTRIBUTION=$EF_DISTRIBUTION: expected uniform or sources" >&2; exit 2 ;; esac
DATA=${PRETRAINING_DATA:-${CARDIO_MONAI_DATA:-../shared/data}/acdc/training}
B=bundles/cardiac_sfera_regression
GAN=${GAN_BUNDLE:-bundles/cardiac_gaugan_synthesis}
case $PROFILE in
    tiny) N=24; SSO_E=2; FT_EPOCHS=2; RSO_EPOCHS=2; RSO_REUSE=""
          NET=(--pixel_mm 3.0 --crop_size 32 --base_channels 4 --n_blocks 2 --batch_size 2) ;;
    cpu)  N=4000; SSO_E=2; FT_EPOCHS=60; RSO_EPOCHS=120; NET=()
          RSO_REUSE=$B/docs/results/cv5/folds ;;
    gpu)  N=22653; SSO_E=30; FT_EPOCHS=120; RSO_EPOCHS=120; RSO_REUSE=""
          NET=(--pixel_mm 1.0 --crop_size 150 --base_channels 32 --batch_size 8) ;;
    *) echo "error: $PROFILE: unknown profile (tiny, cpu or gpu)" >&2; exit 2 ;;
esac
N=${SYN_SUBJECTS:-$N}
SSO=${SSO_DIR:-sso}
FT_EPOCHS=${RSP_EPOCHS:-$FT_EPOCHS}
SSO_EPOCHS=${SSO_EPOCHS:-$SSO_E}   # the environment's, else the profile's
for v in SSO_EPOCHS:$SSO_EPOCHS RSP_EPOCHS:$FT_EPOCHS; do
    [[ ${v#*:} =~ ^[1-9][0-9]*$ ]] || { echo "error: ${v/:/=}: expected a positive whole number of epochs" >&2; exit 2; }
done
[ "${REUSE_RSO:-1}" = 1 ] || RSO_REUSE=""
RSP=${RSP_DIR:-rsp}
FT_LR=(); [ -z "${RSP_LR:-}" ] || FT_LR=(--learning_rate "$RSP_LR")
[ -z "${RSP_FREEZE:-}" ] || FT_LR+=(--freeze_encoder_epochs "$RSP_FREEZE")
RSP_SEED=${RSP_SEED:-0}   # the RSP's --seed (augmentation, batch order): the seed repeats, each with its own RSP_DIR
[[ $RSP_SEED =~ ^[0-9]+$ ]] || { echo "error: RSP_SEED=$RSP_SEED: expected a whole number" >&2; exit 2; }
[ "$SETTING" = a ] || RSO_REUSE=""
log() { echo "[$(date -u +%H:%M:%S)] $*"; }
timed() { local t0=$SECONDS; "$@"; log "  took $((SECONDS - t0)) s"; }
# the numbers are bit-reproducible only at the same thread count on the same CPU (docs/synthetic_pretraining.md,
# "Reproducibility"): both go into the log
log "threads: OMP_NUM_THREADS=${OMP_NUM_THREADS:-unset}, torch $("$PY" -c 'import torch; print(torch.__version__, "threads", torch.get_num_threads())'), CPU: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -1)"

for K in $FOLDS; do
    F=$OUT/fold$K
    mkdir -p "$F"
    # setting (a) trains the real models on the fold's split of DATA; (b) on real_train, all of it
    if [ "$SETTING" = a ]; then REAL=(--dataset_dir "$DATA" --fold "$K"); else REAL=(--dataset_dir "$F/real_train" --fold -1); fi
    exec 9> "$F/.shared.lock"
    flock 9    # linking, masks, images: shared by runs side by side on this OUT_DIR
    if [ ! -f "$F/real_train/.done" ]; then
        log "fold $K: linking its training subjects (setting $SETTING)"
        "$PY" - "$DATA" "$F/real_train" "$K" "$SETTING" <<'EOF'
import sys
from pathlib import Path

from cardio_monai.data import link_studies, split_datalist, study_datalist
from cardio_monai.regression import imbalanced_subset

data, out, fold, setting = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
train, _ = split_datalist(study_datalist(data), fold, 5, 0)
if setting == "b":
    train = imbalanced_subset(train, 0.06, seed=fold)
(out / ".done").write_text(f"{link_studies(train, out)} subjects\n")
EOF
    fi
    if [ ! -f "$F/masks/manifest.csv" ]; then
        log "fold $K: synthetic masks ($N, EF $EF_DISTRIBUTION)"
        timed "$PY" -m cardio_monai synthesize-masks "$F/real_train" --out "$F/masks" --n "$N" --seed "$K" --workers 2 \
            --ef_distribution "$EF_DISTRIBUTION"
    fi
    if [ ! -f "$F/images/manifest.csv" ]; then
        log "fold $K: synthetic images ($GAN)"
        timed "$PY" -m cardio_monai synthesize-images "$F/masks" --out "$F/images" --bundle "$GAN"
    fi
    flock -u 9
    if [ ! -f "$F/$SSO/model.pt" ]; then
        log "fold $K: SSO, $SSO_EPOCHS epochs into $SSO/"
        timed "$PY" -m monai.bundle run --config_file "['$B/configs/train.json','$B/configs/sso.json']" \
            --bundle_root $B --dataset_dir "$F/images/manifest.csv" --ckpt_dir "$F/$SSO" --output_dir "$F/$SSO" \
            --max_epochs "$SSO_EPOCHS" "${NET[@]}"
    fi
    flock 9    # RSO: shared
    if [ ! -f "$F/rso/test/predictions.csv" ] && [ -n "$RSO_REUSE" ] && [ -f "$RSO_REUSE/fold${K}_predictions.csv" ]; then
        log "fold $K: RSO reused from $RSO_REUSE"
        mkdir -p "$F/rso/test"
        cp "$RSO_REUSE/fold${K}_predictions.csv" "$F/rso/test/predictions.csv"
        cp "$RSO_REUSE/fold${K}_reference.csv" "$F/rso/test/reference.csv"
    fi
    if [ ! -f "$F/rso/model.pt" ] && [ ! -f "$F/rso/test/predictions.csv" ]; then
        log "fold $K: RSO, $RSO_EPOCHS epochs"
        timed "$PY" -m monai.bundle run --config_file $B/configs/train.json --bundle_root $B "${REAL[@]}" \
            --max_epochs "$RSO_EPOCHS" --val_interval "$RSO_EPOCHS" --ckpt_dir "$F/rso" \
            --output_dir "$F/rso" "${NET[@]}"
    fi
    if [ ! -f "$F/rso/test/predictions.csv" ]; then
        log "fold $K: rso predicts the test subjects"
        "$PY" -m monai.bundle run --config_file "['$B/configs/train.json','$B/configs/evaluate.json']" \
            --bundle_root $B --dataset_dir "$DATA" --fold "$K" --ckpt_dir "$F/rso" --output_dir "$F/rso/test" \
            "${NET[@]}"
    fi
    flock -u 9
    if [ ! -f "$F/$RSP/model.pt" ]; then
        log "fold $K: RSP, $FT_EPOCHS epochs from $SSO/model.pt into $RSP/, seed $RSP_SEED ${FT_LR[*]}"
        timed "$PY" -m monai.bundle run --config_file "['$B/configs/train.json','$B/configs/finetune.json']" \
            --bundle_root $B "${REAL[@]}" --pretrained_checkpoint "$F/$SSO/model.pt" \
            --max_epochs "$FT_EPOCHS" --val_interval "$FT_EPOCHS" --ckpt_dir "$F/$RSP" --output_dir "$F/$RSP" \
            --seed "$RSP_SEED" "${FT_LR[@]}" "${NET[@]}"
    fi
    for E in "$SSO" "$RSP"; do
        if [ ! -f "$F/$E/test/predictions.csv" ]; then
            log "fold $K: $E predicts the test subjects"
            "$PY" -m monai.bundle run --config_file "['$B/configs/train.json','$B/configs/evaluate.json']" \
                --bundle_root $B --dataset_dir "$DATA" --fold "$K" --ckpt_dir "$F/$E" --output_dir "$F/$E/test" \
                "${NET[@]}"
        fi
    done
    CMP=compare; [ "$RSP" = rsp ] || CMP=compare_$RSP
    log "fold $K: RSP ($RSP) against RSO"
    "$PY" -m cardio_monai evaluate "$F/$RSP/test/predictions.csv" "$F/$RSP/test/reference.csv" \
        --predictions2 "$F/rso/test/predictions.csv" --out "$F/$CMP"
    "$PY" - "$F" "$SSO" "$RSP" "$CMP" <<'EOF'
import sys
from pathlib import Path

from cardio_monai.evaluation.experiments import write_experiments

f, sso, rsp, cmp = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
runs = {name: (f / e / "test" / "predictions.csv", f / e / "test" / "reference.csv") for name, e in (("SSO", sso), ("RSO", "rso"), ("RSP", rsp))}
print(write_experiments(runs, f / cmp)["n_subjects"], "subjects ->", f / cmp / "experiments.md")
EOF
done
