"""The segmentation bundle's model card (docs/README.md) and the eval_metrics of its metadata.json, from the
committed results (docs/results/cv5, docs/results/sunnybrook) and the CV run's timing file.
    python scripts/segmentation_card.py CV_DIR/timing.txt"""

# ruff: noqa: E501 (the card's lines are the template's)
import csv
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
B = REPO / "bundles" / "cardiac_lv_segmentation"
R = B / "docs/results/cv5"
m = json.load(open(R / "metrics.json"))
dice = json.load(open(R / "dice.json"))
rc = json.load(open(R / "readers_cv.json"))
sb = B / "docs/results/sunnybrook"
n = m["n_subjects"] if "n_subjects" in m else m["EF"]["n"]
folds = rc["folds"]


def v(q, s):
    return m[q][s]["value"]


def r2(x, d=2):
    return round(float(x), d)


em = {}
for q, unit in (("EDV", "ml"), ("ESV", "ml"), ("EF", "pct")):
    for stat in ("rmse", "mae", "bias", "pearson_r"):
        key = f"cv{folds}_{q.lower()}_{stat}" + ("" if stat == "pearson_r" else f"_{unit}")
        em[key] = r2(v(q, stat), 3 if stat == "pearson_r" else 2)
meta = json.load(open(B / "configs/metadata.json"))
meta["eval_metrics"] = em
open(B / "configs/metadata.json", "w").write(json.dumps(meta, indent=4) + "\n")
rows = []


def metric(q: str, stat: str) -> float:
    return em[f"cv{folds}_{q.lower()}_{stat}" + ("" if stat == "pearson_r" else f"_{'pct' if q == 'EF' else 'ml'}")]


for q, unit in (("EDV", "ml"), ("ESV", "ml"), ("EF", "%")):
    k = lambda s, q=q: metric(q, s)  # noqa: E731
    ci = m[q]["rmse"]["ci95"]
    rows.append(
        f"| {q} ({unit}) | {k('rmse')} | {k('mae')} | {k('bias')} | {k('pearson_r')} | [{ci[0]:.1f}, {ci[1]:.1f}] |"
    )
rm = rc["rmse"]
cov = rc["coverage_1.96sd"]["combined_leave_one_fold_out"]
ag = rc["agreement_flag"]
w = rc["seg_weight_shipped"]
sbp = list(csv.DictReader(open(sb / "predictions.csv")))
sbr = list(csv.DictReader(open(sb / "reference.csv")))
sbd = list(csv.DictReader(open(sb / "dice.csv")))
sbph = list(csv.DictReader(open(sb / "phases.csv")))
sb_rows = "\n".join(
    f"| {p['subject']} | {float(p['EDV_ml']):.1f} / {float(r['EDV_ml']):.1f} | {float(p['ESV_ml']):.1f} / {float(r['ESV_ml']):.1f} | {float(p['EF_pct']):.1f} / {float(r['EF_pct']):.1f} | {float(d['LV_ED']):.3f} / {float(d['LV_ES']):.3f} | {ph['ed_seg']}, {ph['es_seg']} / {ph['ed_heuristic']}, {ph['es_heuristic']} / {ph['ed_ref']}, {ph['es_ref']} |"
    for p, r, d, ph in zip(sbp, sbr, sbd, sbph)
)
timing = [t for t in Path(sys.argv[1]).read_text().split("\n") if t.startswith("fold ")]
all_line = next(t for t in timing if t.startswith("fold all"))
all_s, epochs = all_line.split(" in ")[1], int(all_line.split("trained ")[1].split()[0])
fold_s = [int(t.split(" in ")[1].split()[0]) for t in timing if not t.startswith("fold all") and "resumed" not in t]
fold_min = f"{min(fold_s) / 60:.0f}-{max(fold_s) / 60:.0f} min" if fold_s else "(not timed)"
errors = []  # the held-out subjects with the largest EF error: where the remaining error is
for f in range(folds):
    pred = {r["subject"]: r for r in csv.DictReader(open(R / f"folds/fold{f}_predictions.csv"))}
    for r in csv.DictReader(open(R / f"folds/fold{f}_reference.csv")):
        p = pred[r["subject"]]
        errors.append(
            (abs(float(p["EF_pct"]) - float(r["EF_pct"])), r["subject"], r["group"], p["ESV_ml"], r["ESV_ml"])
        )
worst = sorted(errors, reverse=True)[:2]
weight = json.load(open(B / "configs/train.json"))["small_cavity_weight"]
sampling = (
    f" Frames are drawn by their myocardium-to-cavity area ratio (clipped to [1, {weight:g}], "
    "`small_cavity_weight`): the thick-walled ES frames of hypertrophied hearts about 3x as often."
    if weight > 1
    else ""
)
worst_text = (
    f"{worst[0][1]} ({worst[0][2]}) and {worst[1][1]} ({worst[1][2]}): ESV {float(worst[0][3]):.1f} and "
    f"{float(worst[1][3]):.1f} ml against {float(worst[0][4]):.1f} and {float(worst[1][4]):.1f} ml"
)


def target(name, value, goal, unit=""):
    return f"{name} {value:.3g}{unit} ({'<=' if name.find('Dice') < 0 else '>='} {goal}{unit})"


checks = [
    ("LV cavity Dice at ED", dice["LV_ED"]["mean"], 0.93, dice["LV_ED"]["mean"] >= 0.93),
    ("LV cavity Dice at ES", dice["LV_ES"]["mean"], 0.93, dice["LV_ES"]["mean"] >= 0.93),
    ("EF RMSE", v("EF", "rmse"), 3.5, v("EF", "rmse") <= 3.5),
    ("EDV RMSE", v("EDV", "rmse"), 8, v("EDV", "rmse") <= 8),
    ("ESV RMSE", v("ESV", "rmse"), 7, v("ESV", "rmse") <= 7),
]
reached = [target(c[0], c[1], c[2], "" if "Dice" in c[0] else (" ml" if "V " in c[0] else "")) for c in checks if c[3]]
missed = [
    target(c[0], c[1], c[2], "" if "Dice" in c[0] else (" ml" if "V " in c[0] else "")) for c in checks if not c[3]
]
targets = (
    "Targets of issue #15 for the segmentation reader: "
    + (("reached: " + ", ".join(reached)) if reached else "none reached")
    + (("; not reached: " + ", ".join(missed) + ".") if missed else ".")
)

card = f"""# Cardiac LV segmentation

## Overview

LV cavity, LV myocardium and RV cavity label maps of every slice of a short-axis cine stack at ED and ES,
and the LV volumes measured on them: EDV and ESV (ml) by slice summation, EF = 100 (EDV - ESV) / EDV. A
plain MONAI 2D UNet (channels 16-32-64-128, strides 2, 2 residual units, 4 output classes) applied frame by
frame to the whole stack as the scanner gives it; the class probabilities are mapped back to the input's
pixel grid and the largest 3D connected component of each structure is kept (image-based post-processing;
no label is read at inference). It is the second, independent reader of `cardio_monai predict`, beside the
segmentation-free SFERA bundle: the two are combined and checked against each other there, and the label
maps give the contours that let a person confirm a number.

A segmentation whose LV cavity is not enclosed by myocardium (less than half of its border touching it: on
ACDC studies 81-100 %, on an image of pure noise 2 %), is missing at ED or ES, lies on fewer than 3
slices, or has ESV >= EDV comes with a warning, never as a bare number.

Research use only; not for clinical use.

## Data

ACDC training set (Automated Cardiac Diagnosis Challenge, MICCAI 2017,
https://www.creatis.insa-lyon.fr/Challenge/acdc/): 100 subjects in 5 pathology groups of 20 (NOR, MINF,
DCM, HCM, RV), the ED and ES frames with expert label maps (0 background, 1 RV, 2 myocardium, 3 LV
cavity). The data are not shipped; download them from the challenge site. Licence of the data and of the
shipped sample: [`data_license.txt`](data_license.txt).

Inference reads any input form of `cardio_monai` as `dataset_dir` (a DICOM folder, NIfTI, an ACDC or
Sunnybrook layout, a manifest CSV). The default is the Sunnybrook sample shipped in the `cardio-monai`
package (`cardio_monai/data/sample_sunnybrook`, one subject, CC0).

## Training

Every slice of the stack at ED and ES (the base and apex slices without a label included, so that the
network learns where the heart is not), resampled in-plane to 1.5 x 1.5 mm, a 160 x 160 px window at the
image centre, the [3 %, 97 %] quantiles of the study mapped to [0, 1]. Augmentation: a random 128 x 128 px
crop of the window (shifts of up to 24 mm), intensity scale, gamma and Gaussian noise; no flips or turns
(`orientation_augmentation: false`: the network learns ACDC's layout of the heart). DiceCE loss, Adam
1e-3 with cosine annealing, batch 16, {epochs} epochs, seed 0.{sampling}

Datasets lay the heart out differently (ACDC and Sunnybrook are mirror images), and the ACDC files carry
no patient orientation in their headers. At inference the reader therefore turns each study into the
layout it was trained on: of the 8 flips and quarter turns of the ED frames it takes the one in which the
network is most confident (mean highest class probability over the pixels it calls heart, every slice),
and keeps the study as it is unless another is better by more than 0.02; the probabilities are turned
back before anything is measured.

The shipped weights (`models/model.pt`, 1.6 MB) were trained on all 100 subjects (`--fold -1`): {all_s}
on 1 CPU thread (shared with other work). The 5-fold cross-validation took {fold_min} a fold.
`models/combination.json` is the readers' combination fitted on the cross-validation predictions (see
Performance); `cardio_monai predict` reads it.

## Input and output

Input (`network_data_format`, `configs/metadata.json`): (B, 1, 160, 160) float32 in [0, 1], one frame,
made by the `preprocessing` of `configs/inference.json` (ED/ES frames as the input names them, otherwise
estimated from the images; resampled to 1.5 mm; image-centred 160 px window; [3 %, 97 %] quantiles of
the study to [0, 1]). Any multiple of 8 px works (the network is fully convolutional).

Output: (B, 4, 160, 160) class logits (background, RV cavity, LV myocardium, LV cavity).
`configs/inference.json` writes, per study, `<subject>_ED_seg.nii.gz` and `<subject>_ES_seg.nii.gz` in
the input's geometry and a row of `predictions.csv` (subject, EDV_ml, ESV_ml, EF_pct, warning).

## Performance

{folds}-fold cross-validation on the 100 ACDC training subjects, the same stratified folds as SFERA (4
subjects of each pathology group held out per fold): each fold's model is trained on the other subjects
with the recipe above and reads its held-out subjects from the images alone (the whole stack, the
image-centred window, nothing from labels); the held-out predictions are pooled
(`results/cv5/metrics.json`, scatter and Bland-Altman plots in `results/cv5`; per fold in
`results/cv5/folds`). These are the `eval_metrics` of `configs/metadata.json`.

{targets}

Most of the remaining error is the ES cavity of a few small hearts ({worst_text}); the repository's `docs/segmentation_reader.md` has what was
tried.

| {n} held-out subjects | RMSE | MAE | bias | Pearson r | RMSE 95 % CI |
|---|---|---|---|---|---|
{chr(10).join(rows)}

Dice of the held-out subjects on the input's pixel grid (`results/cv5/dice.json`), mean (SD): LV cavity
{dice['LV_ED']['mean']:.3f} ({dice['LV_ED']['sd']:.3f}) at ED and {dice['LV_ES']['mean']:.3f} ({dice['LV_ES']['sd']:.3f}) at ES, myocardium
{dice['MYO_ED']['mean']:.3f} / {dice['MYO_ES']['mean']:.3f}, RV {dice['RV_ED']['mean']:.3f} / {dice['RV_ES']['mean']:.3f} (ED / ES).

With SFERA (`cardio_monai predict`, `results/cv5/readers_cv.json`): SFERA's held-out predictions of its
own cross-validation (the real-only weights of its version 0.2.1, the only SFERA with predictions for
every subject) and the segmenter's, combined as `w seg + (1 - w) SFERA` for EDV and ESV (`w` fitted by
least squares on the folds: shipped {w['EDV']:.2f} for EDV, {w['ESV']:.2f} for ESV) and measured leave one fold out (the
combination applied to a fold is fitted on the others):

| RMSE | SFERA | segmentation | combined |
|---|---|---|---|
| EDV (ml) | {rm['sfera']['EDV']} | {rm['seg']['EDV']} | {rm['combined']['EDV']} |
| ESV (ml) | {rm['sfera']['ESV']} | {rm['seg']['ESV']} | {rm['combined']['ESV']} |
| EF (%) | {rm['sfera']['EF']} | {rm['seg']['EF']} | {rm['combined']['EF']} |

The combined SD is calibrated on the same predictions (95 % of the errors within 1.96 SD, relative for
volumes): leave one fold out it covers {100 * cov['EDV']:.0f} % of the EDV, {100 * cov['ESV']:.0f} % of the ESV and {100 * cov['EF']:.0f} % of the EF
errors. `readers_agree` is false for {ag['flagged']} of {n} subjects; among them {100 * (ag['share_large_ef_error_flagged'] or 0):.0f} % have an EF error above
5 points, against {100 * ag['share_large_ef_error_agreeing']:.0f} % of the others.

Unseen heart-failure cines (Sunnybrook SC-HF-I-1 and SC-HF-I-2, shipped weights, never trained on
Sunnybrook; `results/sunnybrook`), segmenter / reference, and the ED, ES phases found by the segmenter /
the intensity heuristic / the contoured reference (20 phases):

| subject | EDV (ml) | ESV (ml) | EF (%) | LV Dice ED / ES | ED, ES phases |
|---|---|---|---|---|---|
{sb_rows}

Speed: `docs/benchmarks.md` of the repository (`bench_readers`).

## Commands

Run from this bundle's folder (`bundle_root` is `.`); `ACDC` is the ACDC training folder, `INPUT` any
input that `cardio_monai` reads. The custom code is the `cardio-monai` package (`cardio_monai.*` in the
configs): install it, with the versions of `required_packages_version`, first. Installed from the
`cardio-monai` wheel, the bundle's folder is `B=$(python -m cardio_monai.bundles cardiac_lv_segmentation)`:
from any folder, add `--bundle_root $B --output_dir OUT` to the commands below. Training has no usable
default `dataset_dir` (`/workspace/data/acdc/training`): pass `--dataset_dir ACDC`.

```bash
# inference on the shipped sample (default dataset_dir) -> eval/*_seg.nii.gz, eval/predictions.csv
python -m monai.bundle run --config_file configs/inference.json
# inference on your own studies
python -m monai.bundle run --config_file configs/inference.json --dataset_dir INPUT --output_dir OUT
# training (fold 0 of the 5-fold split; --fold -1: all subjects, as the shipped weights); resumes when killed
python -m monai.bundle run --config_file configs/train.json --dataset_dir ACDC --fold 0
# the same with N synthetic subjects of a synthesize-images cohort added (an experiment, not the shipped recipe)
python -m monai.bundle run --config_file "['configs/train.json','configs/synthetic.json']" --dataset_dir ACDC \\
    --fold 0 --synthetic_manifest SYNTHETIC/manifest.csv --synthetic_subjects 60
# evaluation of the trained fold on its held-out subjects -> eval/metrics.json, dice.csv, plots
python -m monai.bundle run --config_file "['configs/inference.json','configs/evaluate.json']" --dataset_dir ACDC --fold 0
# ED/ES found by the segmenter and by the intensity heuristic against the phases a dataset names
python -m monai.bundle run --config_file "['configs/inference.json','configs/evaluate_phases.json']" --dataset_dir SUNNYBROOK
# multi-GPU training (or CPU processes with gloo)
torchrun --nproc_per_node=2 -m monai.bundle run \\
    --config_file "['configs/train.json','configs/multi_gpu_train.json']" --dataset_dir ACDC
# TorchScript export
python -m monai.bundle ckpt_export network_def --filepath models/model.ts --ckpt_file models/model.pt \\
    --meta_file configs/metadata.json --config_file configs/inference.json
# the model zoo's checks (SCHEMA: a local copy of the schema named in configs/metadata.json)
python -m monai.bundle verify_metadata --meta_file configs/metadata.json --filepath SCHEMA
python -m monai.bundle verify_net_in_out network_def --meta_file configs/metadata.json \\
    --config_file configs/inference.json
```

The whole cross-validation, the shipped model and the combination: `bash scripts/segmentation_cv.sh OUT {epochs}`
then `bash scripts/segmentation_report.sh OUT` in the repository.

**This folder is code.** MONAI evaluates the `$` expressions of `configs/*.json` as Python when the
bundle is run or loaded (also by `python -m cardio_monai predict --seg_bundle`); the weights are read
with `weights_only=True`, but that does not make a modified config safe. Run only a copy you trust.

## References

- Bernard O, Lalande A, Zotti C, et al. Deep Learning Techniques for Automatic MRI Cardiac
  Multi-structures Segmentation and Diagnosis: Is the Problem Solved? IEEE TMI 37(11):2514-2525 (2018).
- Ronneberger O, Fischer P, Brox T. U-Net: Convolutional Networks for Biomedical Image Segmentation.
  MICCAI 2015.
- Kerfoot E, Clough J, Oksuz I, et al. Left-Ventricle Quantification Using Residual U-Net. STACOM 2018
  (the residual units of MONAI's UNet).
- Gheorghita BA, Itu LM, Sharma P, et al. Improving robustness of automatic cardiac function
  quantification from cine magnetic resonance imaging using synthetic image data. Scientific Reports 12,
  2391 (2022) (the hybrid of a regression and a segmentation reader its discussion proposes).

## Licence

Code, configs and weights: Apache License 2.0 (`../LICENSE`). The weights were trained on ACDC (research
use; cite Bernard et al. 2018); the data's terms: [`data_license.txt`](data_license.txt).
"""
(B / "docs/README.md").write_text(card)
print(em)
