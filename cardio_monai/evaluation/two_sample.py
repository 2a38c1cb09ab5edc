"""Classifier two-sample test of synthetic against real frames: how well a small CNN, trained on some
subjects and scored on others, tells a synthetic frame from a real one (ROC AUC 0.5: not at all, 1.0:
always), with a subject-clustered bootstrap CI and a real-against-real control that must come out near 0.5.

Items are frame items of :mod:`cardio_monai.data.frames`: ``image`` float32 (P, S, S) in [0, 1] (P phases,
each phase's frame one sample), ``subject``. The classifier sees the centre ``crop`` x ``crop`` px of each
frame, renormalised on its own to its [3, 97] % percentiles and clipped to [0, 1]: the global intensity
scale of a frame (which the generator does not control in the same way as the preprocessing of a real one
does) is then no cue, and what is left to tell the classes apart is anatomy, texture and noise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from cardio_monai.keys import IMAGE, SUBJECT

REAL, SYNTHETIC = 0, 1


def centre_crops(
    items: Sequence[dict[str, Any]], crop: int = 64, percentiles: tuple[float, float] = (3.0, 97.0)
) -> tuple[np.ndarray, np.ndarray]:
    """Frames (N, crop, crop) float32, the centre of every phase's (S, S) frame, each mapped from its own
    ``percentiles`` (%) to [0, 1] and clipped (a flat crop becomes 0), and the subject of each (N,)."""
    images = np.concatenate([np.asarray(i[IMAGE], dtype=np.float32) for i in items])
    h, w = images.shape[-2:]
    if crop > min(h, w):
        raise ValueError(f"crop={crop} px: larger than the {h} x {w} px frames")
    top, left = (h - crop) // 2, (w - crop) // 2
    crops = images[:, top : top + crop, left : left + crop]
    lo, hi = np.percentile(crops.reshape(len(crops), -1), percentiles, axis=1)
    scale = np.where(hi > lo, hi - lo, np.inf)[:, None, None]
    crops = np.clip((crops - lo[:, None, None]) / scale, 0.0, 1.0).astype(np.float32)
    subjects = np.repeat([str(i[SUBJECT]) for i in items], [len(i[IMAGE]) for i in items])
    return crops, subjects


def subject_folds(subjects: np.ndarray, folds: int, seed: int = 0, strata: np.ndarray | None = None) -> np.ndarray:
    """Fold index (N,) of every sample; all samples of a subject share one fold. Subjects are shuffled
    (``seed``) and dealt round-robin, within each stratum (``strata`` (N,), constant per subject) so that
    every fold holds subjects of every stratum."""
    names, first, inverse = np.unique(subjects, return_index=True, return_inverse=True)
    if folds < 2 or folds > len(names):
        raise ValueError(f"folds={folds}: between 2 and the number of subjects ({len(names)})")
    rng = np.random.default_rng(seed)
    per_subject = np.zeros(len(names), dtype=np.int64) if strata is None else np.asarray(strata)[first]
    fold_of = np.empty(len(names), dtype=np.int64)
    offset = 0
    for stratum in np.unique(per_subject):
        members = rng.permutation(np.flatnonzero(per_subject == stratum))
        fold_of[members] = (offset + np.arange(len(members))) % folds
        offset += len(members)
    return fold_of[inverse]


def _pair_counts(scores: np.ndarray, targets: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted count of (positive, negative) pairs ranked right (ties half) and of all pairs, (B,) each,
    for sample weights ``w`` (B, N)."""
    order = np.argsort(scores, kind="stable")
    s, t, w = scores[order], np.asarray(targets)[order].astype(bool), w[:, order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])  # one group per distinct score
    pos = np.add.reduceat(np.where(t, w, 0.0), starts, axis=1)
    neg = np.add.reduceat(np.where(t, 0.0, w), starts, axis=1)
    below = np.cumsum(neg, axis=1) - neg
    return (pos * (below + 0.5 * neg)).sum(1), pos.sum(1) * neg.sum(1)


def weighted_auc(
    scores: np.ndarray, targets: np.ndarray, weights: np.ndarray | None = None, strata: np.ndarray | None = None
) -> np.ndarray:
    """ROC AUC of ``scores`` (N,) for ``targets`` (N,) in {0, 1} (1 scored high), ties counted half, for
    each row of sample ``weights`` (B, N) (the Mann-Whitney statistic with weighted pairs); (B,) or ().
    ``strata`` (N,): only pairs within a stratum are counted (scores of different cross-fitting folds come
    from different classifiers, each on a scale of its own)."""
    w = np.ones((1, len(scores))) if weights is None else np.atleast_2d(weights).astype(np.float64)
    strata = np.zeros(len(scores), dtype=np.int64) if strata is None else np.asarray(strata)
    right, pairs = np.zeros(len(w)), np.zeros(len(w))
    for g in np.unique(strata):
        r, n = _pair_counts(scores[strata == g], targets[strata == g], w[:, strata == g])
        right, pairs = right + r, pairs + n
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = right / pairs
    return auc if weights is not None and np.ndim(weights) == 2 else auc[0]


def _dihedral(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Each frame of ``x`` (N, 1, H, W) under one of the 8 flips/90-degree turns drawn at random."""
    k = torch.randint(0, 8, (len(x),), generator=gen)
    out = x.clone()
    for g in range(8):
        sel = k == g
        if sel.any():
            y = torch.rot90(x[sel], g % 4, dims=(2, 3))
            out[sel] = torch.flip(y, dims=(3,)) if g >= 4 else y
    return out


def _fit_and_score(
    train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, seed: int, network: dict[str, Any]
) -> np.ndarray:
    """Train a fresh :class:`monai.networks.nets.Classifier` (one logit, synthetic high) on ``train_x``
    (N, H, W), ``train_y`` (N,) with BCE (the classes weighted to equal totals) and Adam, the same random
    flips/turns for both classes; the logits (M,) of ``test_x``."""
    from monai.networks.nets import Classifier

    cfg = dict(network)
    epochs, batch, lr, device = cfg.pop("epochs"), cfg.pop("batch"), cfg.pop("lr"), cfg.pop("device")
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    net = Classifier(in_shape=(1, *train_x.shape[1:]), classes=1, **cfg).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    x, y = torch.as_tensor(train_x)[:, None], torch.as_tensor(train_y, dtype=torch.float32)
    # Classes weighted alike: a fold's class imbalance would otherwise shift all its scores one way.
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=(1 - y).sum() / y.sum().clamp(min=1))
    net.train()
    for _ in range(epochs):
        perm = torch.randperm(len(x), generator=gen)
        for start in range(0, len(x), batch):
            idx = perm[start : start + batch]
            opt.zero_grad()
            loss = loss_fn(net(_dihedral(x[idx], gen).to(device))[:, 0], y[idx].to(device))
            loss.backward()
            opt.step()
    net.eval()
    with torch.no_grad():
        t = torch.as_tensor(test_x)[:, None]
        return torch.cat([net(t[i : i + 256].to(device))[:, 0].cpu() for i in range(0, len(t), 256)]).numpy()


def cross_fitted_scores(
    frames: np.ndarray, targets: np.ndarray, subjects: np.ndarray, fold: np.ndarray, seed: int, network: dict
) -> np.ndarray:
    """Out-of-fold logits (N,): the frames of fold k scored by a classifier trained on the other folds
    only (``fold`` (N,) from :func:`subject_folds`, so no subject is on both sides)."""
    scores = np.empty(len(frames), dtype=np.float64)
    for k in np.unique(fold):
        test = fold == k
        if np.intersect1d(subjects[test], subjects[~test]).size:
            raise ValueError(f"fold {k}: a subject is in both the training and the scored frames")
        scores[test] = _fit_and_score(frames[~test], targets[~test], frames[test], seed + int(k), network)
    return scores


def _summary(runs: Sequence[tuple], subjects: np.ndarray, n_boot: int, rng: np.random.Generator) -> dict[str, Any]:
    """AUC of out-of-fold scores, pairs compared within each fold and pooled over folds, averaged over
    ``runs`` (``(scores, targets, fold)``, each (N,), the same frames of ``subjects`` (N,)), with a 95 % CI
    from ``n_boot`` resamples of the subjects (with replacement, each drawn subject bringing all its frames
    to every run)."""
    names, inverse = np.unique(subjects, return_inverse=True)
    counts = rng.multinomial(len(names), np.full(len(names), 1.0 / len(names)), size=n_boot)[:, inverse]
    aucs = [float(weighted_auc(s, t, strata=f)) for s, t, f in runs]
    boot = np.mean([weighted_auc(s, t, counts, f) for s, t, f in runs], axis=0)
    lo, hi = np.nanpercentile(boot, [2.5, 97.5]) if n_boot else (np.nan, np.nan)
    out = {
        "auc": float(np.mean(aucs)),
        "ci_low": float(lo),
        "ci_high": float(hi),
        "n_subjects": int(len(names)),
        "n_frames": int(len(subjects)),
        "n_frames_per_class": [int(np.mean([(t == c).sum() for _, t, _ in runs])) for c in (REAL, SYNTHETIC)],
    }
    return out if len(runs) == 1 else {**out, "aucs": aucs}


def control_labels(items: Sequence[dict[str, Any]], control: str, rng: np.random.Generator) -> np.ndarray:
    """Labels (N,) of the frames of ``items`` for the real-against-real control, every phase's frame with
    its slice's label. ``"slices"``: each subject's slices dealt at random into two halves (0 and 1), so
    that, as in the paired main test, every subject is on both sides in equal parts and differences between
    subjects cancel; ``"subjects"``: the subjects split at random into two halves, all frames of a subject
    on one side (differences between the halves' subjects then show as an AUC away from 0.5 that swings
    with the split). Either way no scored subject is among the trained ones: the AUC to expect is 0.5."""
    names, inverse = np.unique([str(i[SUBJECT]) for i in items], return_inverse=True)
    if control == "slices":
        side = np.empty(len(items), dtype=np.int64)
        for k in range(len(names)):
            members = rng.permutation(np.flatnonzero(inverse == k))
            side[members] = (np.arange(len(members)) + rng.integers(2)) % 2
    elif control == "subjects":
        side = (rng.permutation(len(names)) < len(names) // 2).astype(np.int64)[inverse]
    else:
        raise ValueError(f"control={control!r}: 'slices' or 'subjects'")
    return np.repeat(side, [len(i[IMAGE]) for i in items])


def classifier_two_sample_test(
    real: Sequence[dict[str, Any]],
    synthetic: Sequence[dict[str, Any]],
    folds: int = 5,
    epochs: int = 20,
    bootstrap: int = 1000,
    seed: int = 0,
    crop: int = 64,
    channels: Sequence[int] = (16, 32, 64),
    strides: Sequence[int] = (2, 2, 2),
    num_res_units: int = 0,
    batch: int = 32,
    lr: float = 1e-3,
    control: str = "slices",
    control_repeats: int = 5,
    device: str | torch.device = "cpu",
) -> dict[str, Any]:
    """Real (0) against synthetic (1) frames, cross-fitted over ``folds`` groups of subjects, and the
    control: the real frames alone, split at random in two (``control``, :func:`control_labels`: by default
    each subject's slices in two halves, mirroring the paired main test) and told apart with the same folds
    rule, CNN and ``epochs`` (about half the frames per class of the main test: each real frame is used
    once), repeated for ``control_repeats`` random splits and averaged (``aucs`` lists them). Each returns
    ``auc``, ``ci_low``, ``ci_high`` (95 %, ``bootstrap`` subject resamples), ``n_subjects``, ``n_frames``;
    the control's are under ``control``.

    ``synthetic``: frames made from the label maps of ``real``, item for item (same subjects). The CNN is
    :class:`monai.networks.nets.Classifier` (``channels``, ``strides``, ``num_res_units``) on the centre
    ``crop`` x ``crop`` px of each frame (:func:`centre_crops`), trained ``epochs`` epochs (Adam, ``lr``,
    ``batch``). Deterministic given ``seed`` (on CPU). Fewer subjects than ``folds``: one subject a fold
    (``settings`` holds the folds used)."""
    if len(real) != len(synthetic):
        raise ValueError(f"{len(real)} real and {len(synthetic)} synthetic items: synthetic must pair with real")
    network = {
        "channels": tuple(channels),
        "strides": tuple(strides),
        "num_res_units": num_res_units,
        "epochs": epochs,
        "batch": batch,
        "lr": lr,
        "device": device,
    }
    rng = np.random.default_rng(seed)
    x_real, subjects = centre_crops(real, crop)
    x_syn, _ = centre_crops(synthetic, crop)
    folds = min(folds, len(np.unique(subjects)))
    x = np.concatenate([x_real, x_syn])
    y = np.repeat([REAL, SYNTHETIC], len(x_real))
    s = np.concatenate([subjects, subjects])
    fold = subject_folds(s, folds, seed)
    main = _summary([(cross_fitted_scores(x, y, s, fold, seed, network), y, fold)], s, bootstrap, rng)

    runs = []
    for r in range(control_repeats):
        y_ctl = control_labels(real, control, rng)
        fold_ctl = subject_folds(subjects, folds, seed + r, strata=y_ctl if control == "subjects" else None)
        runs.append((cross_fitted_scores(x_real, y_ctl, subjects, fold_ctl, seed + r, network), y_ctl, fold_ctl))
    settings = {"folds": folds, "epochs": epochs, "bootstrap": bootstrap, "seed": seed, "crop_px": crop}
    settings.update(control=control, control_repeats=control_repeats)
    control_summary = _summary(runs, subjects, bootstrap, rng)
    return {**main, "control": control_summary, "settings": settings}
