"""How real synthetic frames are: semantic consistency (a segmenter trained on real frames, Dice on
synthetic frames against their label maps) and contrast (LV blood pool / myocardium mean intensity).

The segmenter is a plain MONAI 2D UNet, trained here on real ACDC frames of the training split; it
is also the independent reader later experiments compare against.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from monai.losses import DiceCELoss

from cardio_monai.constants import CONTRAST_TOLERANCE, LABEL_LV, LABEL_MYOCARDIUM
from cardio_monai.networks.segmenter import make_segmenter
from cardio_monai.utils import atomic_path, progress
from cardio_monai.utils.checkpoint import load_weights


def _frames(items: Sequence[dict[str, Any]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Items with ``image`` and ``label`` (P, H, W) -> frames (N, 1, H, W) and labels (N, 1, H, W), phases split."""
    images = np.concatenate([np.asarray(i["image"], dtype=np.float32) for i in items])
    labels = np.concatenate([np.asarray(i["label"], dtype=np.int64) for i in items])
    return torch.as_tensor(images)[:, None], torch.as_tensor(labels)[:, None]


def train_segmenter(
    items: Sequence[dict[str, Any]],
    epochs: int = 10,
    batch: int = 16,
    lr: float = 1e-3,
    seed: int = 0,
    device: str | torch.device = "cpu",
    network: torch.nn.Module | None = None,
) -> torch.nn.Module:
    """Train the segmenter on real frames (DiceCE, Adam, random flips); returns it in eval mode."""
    torch.manual_seed(seed)
    net = (network or make_segmenter()).to(device)
    images, labels = _frames(items)
    loss_fn = DiceCELoss(to_onehot_y=True, softmax=True)
    opt = torch.optim.Adam(net.parameters(), lr)
    g = torch.Generator().manual_seed(seed)
    net.train()
    for _ in range(epochs):
        order = torch.randperm(len(images), generator=g)
        for start in range(0, len(order), batch):
            idx = order[start : start + batch]
            x, y = images[idx], labels[idx]
            if torch.rand(1, generator=g).item() < 0.5:
                x, y = x.flip(-1), y.flip(-1)
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(x.to(device)), y.to(device))
            loss.backward()
            opt.step()
    return net.eval()


@torch.no_grad()
def dice_per_label(
    net: torch.nn.Module,
    items: Sequence[dict[str, Any]],
    labels: Sequence[int] = (LABEL_LV, LABEL_MYOCARDIUM),
    device: str | torch.device = "cpu",
) -> dict[int, float]:
    """Dice of the segmenter's labels against the items' label maps, pooled over all frames (one
    number per label: 2 |A n B| / (|A| + |B|) over every pixel)."""
    images, truth = _frames(items)
    pred = torch.cat(
        [net(images[i : i + 32].to(device)).argmax(1, keepdim=True).cpu() for i in range(0, len(images), 32)]
    )
    out = {}
    for lab in labels:
        a, b = pred == lab, truth == lab
        denom = int(a.sum() + b.sum())
        out[int(lab)] = float(2 * (a & b).sum()) / denom if denom else float("nan")
    return out


def contrast_ratio(items: Sequence[dict[str, Any]]) -> float:
    """Mean intensity of the LV blood pool (label 3) over that of the myocardium (label 2), pooled over
    all frames of ``items`` (``image`` and ``label`` (P, H, W)); NaN without myocardium."""
    images, labels = _frames(items)
    blood = images[labels == LABEL_LV]
    myo = images[labels == LABEL_MYOCARDIUM]
    if myo.numel() == 0 or blood.numel() == 0 or float(myo.mean()) == 0:
        return float("nan")
    return float(blood.mean() / myo.mean())


@torch.no_grad()
def synthesize_items(
    generator: torch.nn.Module, items: Sequence[dict[str, Any]], device: str | torch.device = "cpu", batch: int = 16
) -> list[dict[str, Any]]:
    """The items with ``image`` replaced by the generator's frames from their ``label`` maps (P, H, W)."""
    out = []
    for start in range(0, len(items), batch):
        chunk = items[start : start + batch]
        labels = torch.as_tensor(np.stack([np.asarray(i["label"], dtype=np.int64) for i in chunk]))
        frames = generator.frames_from_labels(labels.to(device)).cpu().numpy()
        out += [{**item, "image": frame} for item, frame in zip(chunk, frames, strict=True)]
    return out


def background_consistency(items: Sequence[dict[str, Any]]) -> float:
    """Mean |ED - ES| over pixels that are background (label 0) in both phases, pooled over items
    with (2, H, W) frames: how much the anatomy-free surroundings change between the two phases."""
    diffs = [
        np.abs(np.asarray(i["image"][0]) - np.asarray(i["image"][1]))[(i["label"][0] == 0) & (i["label"][1] == 0)]
        for i in items
    ]
    return float(np.concatenate(diffs).mean())


def _image_grid(path, rows: Sequence[Sequence[tuple]], row_labels: Sequence[str], panel_inches: float = 2.0) -> None:
    """PNG of a grid: ``rows`` of panels ``(image (H, W), colormap, vmax, title)`` (vmin 0; titles on the
    first row), one label per row."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n_cols = len(rows[0])
    fig, axes = plt.subplots(
        len(rows), n_cols, figsize=(panel_inches * n_cols, 1.05 * panel_inches * len(rows)), squeeze=False
    )
    for r, panels in enumerate(rows):
        for c, (img, cmap, vmax, title) in enumerate(panels):
            ax = axes[r, c]
            ax.imshow(np.asarray(img), cmap=cmap, vmin=0, vmax=vmax)
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(title, fontsize=8)
        axes[r, 0].set_ylabel(row_labels[r], fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _picks(n: int, count: int) -> list[int]:
    step = max(1, n // count)
    return list(range(0, n, step))[:count]


def example_grid(path, real: Sequence[dict[str, Any]], synthetic: Sequence[dict[str, Any]], count: int = 4) -> None:
    """PNG grid: for ``count`` items, real frame, label map and synthetic frame, at ED and at ES."""
    rows, labels = [], []
    for k in _picks(len(real), count):
        panels = []
        for p, phase in enumerate(("ED", "ES")):
            panels += [
                (real[k]["image"][p], "gray", 1, f"real {phase}"),
                (real[k]["label"][p], "viridis", 3, f"labels {phase}"),
                (synthetic[k]["image"][p], "gray", 1, f"synthetic {phase}"),
            ]
        rows.append(panels)
        labels.append(f"{real[k]['subject']} z{real[k]['slice']}")
    _image_grid(path, rows, labels)


def background_grid(
    path, items: Sequence[dict[str, Any]], rows: Sequence[tuple[str, Sequence[dict[str, Any]]]]
) -> None:
    """PNG: one row per item; its ED and ES label maps, then for each (name, frames) of ``rows`` (real or a
    generator's, aligned with ``items``) the ED frame, the ES frame and |ED - ES| (0 to 0.5)."""
    grid = []
    for r, item in enumerate(items):
        panels = [(item["label"][0], "viridis", 3, "labels ED"), (item["label"][1], "viridis", 3, "labels ES")]
        for name, frames in rows:
            image = np.asarray(frames[r]["image"])
            panels += [
                (image[0], "gray", 1, f"{name} ED"),
                (image[1], "gray", 1, f"{name} ES"),
                (np.abs(image[0] - image[1]), "magma", 0.5, f"{name} |ED-ES|"),
            ]
        grid.append(panels)
    _image_grid(path, grid, [f"{i['subject']} z{i['slice']}" for i in items], panel_inches=1.6)


def _epoch(row: dict[str, Any], index: int) -> int:
    """A score row's epoch: its ``epoch`` key, else ``epoch=N`` in its checkpoint name, else its position."""
    if "epoch" in row:
        return int(row["epoch"])
    match = re.search(r"epoch=(\d+)", str(row.get("checkpoint", "")))
    return int(match[1]) if match else index + 1


def selection_plot(
    path,
    runs: Sequence[tuple[str, Sequence[dict[str, Any]]]],
    marks: Sequence[tuple[int, str]] = (),
    max_contrast: float = CONTRAST_TOLERANCE,
    title: str | None = None,
) -> None:
    """PNG of checkpoint scores against the epoch: blood/myocardium contrast difference (%) with the
    tolerance band, and the Dice ratios (LV, myocardium) with the 0.9 line. ``runs``: (name, score rows of
    ``select_checkpoint``); ``marks``: (epoch, text) drawn as vertical lines (e.g. the chosen epoch)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 5.5), sharex=True)
    top.axhspan(-100 * max_contrast, 100 * max_contrast, color="tab:green", alpha=0.12, label="tolerance")
    for name, rows in runs:
        epochs = [_epoch(r, k) for k, r in enumerate(rows)]
        top.plot(epochs, [100 * r["contrast_relative_difference"] for r in rows], "o-", ms=3, label=name)
        line = bottom.plot(epochs, [r["dice_ratio_myocardium"] for r in rows], "o-", ms=3, label=f"{name}: myocardium")
        bottom.plot(
            epochs, [r["dice_ratio_LV"] for r in rows], "^--", ms=3, color=line[0].get_color(), label=f"{name}: LV"
        )
    bottom.axhline(0.9, color="k", lw=0.8, ls=":")
    for epoch, text in marks:
        for ax in (top, bottom):
            ax.axvline(epoch, color="k", lw=0.8, alpha=0.5)
        top.annotate(text, (epoch, top.get_ylim()[1]), fontsize=7, ha="center", va="bottom")
    top.set_ylabel("contrast vs real (%)")
    bottom.set_ylabel("Dice ratio synthetic / real")
    bottom.set_xlabel("epoch")
    top.legend(fontsize=7)
    bottom.legend(fontsize=7, ncol=2)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _split_frames(
    dataset_dir: str, fold: int, n_folds: int, split_seed: int, pixel_mm: float, image_size: int
) -> tuple[list[str], list[str], Any]:
    """Training and held-out subject names of ``fold`` (the regression bundle's split) and a reader of the
    frames of a list of subjects at the generator's pixel size and input size."""
    from cardio_monai.regression.data import split_datalist, study_datalist
    from cardio_monai.synthesis.frames import frame_datalist

    train, held = split_datalist(study_datalist(dataset_dir), fold, n_folds, split_seed)

    def frames(names: Sequence[str]) -> list[dict[str, Any]]:
        return frame_datalist(dataset_dir, pixel_mm, image_size, names)

    return [i["subject"] for i in train], [i["subject"] for i in held], frames


def _segmenter(train_frames, epochs: int, device: str, segmenter_file: str | None) -> torch.nn.Module:
    """The segmenter read from ``segmenter_file`` when it exists, else trained on ``train_frames()`` (and
    saved there when a file is named)."""
    if segmenter_file is not None and Path(segmenter_file).is_file():
        return load_weights(make_segmenter(), segmenter_file, "the segmenter", "delete it to retrain").eval()
    segmenter = train_segmenter(train_frames(), epochs=epochs, device=device)
    if segmenter_file is not None:
        with atomic_path(segmenter_file) as tmp:
            torch.save(segmenter.state_dict(), tmp)
    return segmenter


def evaluate_generator(
    dataset_dir: str,
    bundle: str,
    out_dir: str,
    fold: int = 0,
    n_folds: int = 5,
    split_seed: int = 0,
    segmenter_epochs: int = 10,
    device: str = "cpu",
    segmenter_file: str | None = None,
    weights: str | None = None,
    subjects: str = "held_out",
) -> dict[str, Any]:
    """The issue's realism figures on the held-out subjects of ``fold`` (the generator never saw them):
    a UNet segmenter trained on the real frames of the training subjects, its Dice per label on the
    held-out real frames and on frames synthesised from their label maps; blood/myocardium contrast;
    ED-ES background change; writes ``metrics.json`` and ``examples.png`` in ``out_dir``.

    ``segmenter_file``: where the trained segmenter's weights are kept; read when it exists (it depends
    on the real frames, the split and ``segmenter_epochs`` only), so comparing generator checkpoints trains
    it once. ``weights``: a generator checkpoint other than the bundle's ``models/model.pt``.
    ``subjects="training"``: the same figures on the training subjects instead, to choose among a run's
    checkpoints without looking at the held-out subjects (Dice there is of frames the segmenter saw)."""
    if subjects not in ("held_out", "training"):
        raise ValueError(f"subjects={subjects!r}: 'held_out' or 'training'")
    from cardio_monai.synthesis.images import load_generator

    generator, pixel_mm, image_size = load_generator(bundle, device, weights=weights)
    train, held, read_frames = _split_frames(dataset_dir, fold, n_folds, split_seed, pixel_mm, image_size)
    if subjects == "training":
        held = train
    real_held = read_frames(held)
    synthetic = synthesize_items(generator, real_held, device)
    # The training frames are read only to train the segmenter (they are real_held on the training subjects).
    segmenter = _segmenter(
        lambda: real_held if subjects == "training" else read_frames(train), segmenter_epochs, device, segmenter_file
    )
    dice_real = dice_per_label(segmenter, real_held, device=device)
    dice_syn = dice_per_label(segmenter, synthetic, device=device)
    c_real, c_syn = contrast_ratio(real_held), contrast_ratio(synthetic)
    report = {
        "evaluated_on": subjects,
        "subjects": len(held),
        "frames": 2 * len(real_held),
        "dice_real": {"LV": dice_real[LABEL_LV], "myocardium": dice_real[LABEL_MYOCARDIUM]},
        "dice_synthetic": {"LV": dice_syn[LABEL_LV], "myocardium": dice_syn[LABEL_MYOCARDIUM]},
        "dice_ratio": {
            "LV": dice_syn[LABEL_LV] / dice_real[LABEL_LV],
            "myocardium": dice_syn[LABEL_MYOCARDIUM] / dice_real[LABEL_MYOCARDIUM],
        },
        "contrast_blood_myocardium": {"real": c_real, "synthetic": c_syn, "relative_difference": c_syn / c_real - 1},
        "background_ed_es_abs_difference": {
            "real": background_consistency(real_held),
            "synthetic": background_consistency(synthetic),
        },
    }
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(report, indent=2) + "\n")
    example_grid(out / "examples.png", real_held, synthetic)
    return report


def select_checkpoint(
    dataset_dir: str,
    bundle: str,
    checkpoints: Sequence[str],
    out_file: str,
    fold: int = 0,
    n_folds: int = 5,
    split_seed: int = 0,
    max_contrast: float = CONTRAST_TOLERANCE,
    segmenter_epochs: int = 10,
    segmenter_file: str | None = None,
    device: str = "cpu",
) -> dict[str, Any]:
    """Pick one of a run's generator checkpoints without looking at the held-out subjects: each is
    scored on the **training** subjects of ``fold`` (Dice ratio of the segmenter trained on their real
    frames, blood/myocardium contrast against their real frames), and the rule, fixed in advance, takes
    the highest myocardium Dice ratio among those whose contrast is within ``max_contrast`` (relative) of
    the real frames' (if none is, the one closest in contrast). Writes every score and the choice to
    ``out_file`` (JSON) and a plot of them next to it (same name, ``.png``), and returns them;
    ``checkpoint`` of the result names the chosen file."""
    if not checkpoints:
        raise ValueError("no checkpoints to choose from")
    from cardio_monai.synthesis.images import load_generator

    generator, pixel_mm, image_size = load_generator(bundle, device, weights=checkpoints[0])
    train, _, read_frames = _split_frames(dataset_dir, fold, n_folds, split_seed, pixel_mm, image_size)
    real = read_frames(train)
    segmenter = _segmenter(lambda: real, segmenter_epochs, device, segmenter_file)
    dice_real = dice_per_label(segmenter, real, device=device)
    c_real = contrast_ratio(real)
    rows = []
    for path in progress(checkpoints, desc="scoring", unit="checkpoint"):
        load_weights(generator, path, "a generator checkpoint", "pass checkpoints of this bundle's generator")
        synthetic = synthesize_items(generator.eval(), real, device)
        dice = dice_per_label(segmenter, synthetic, device=device)
        rows.append(
            {
                "checkpoint": str(path),
                "dice_ratio_LV": round(dice[LABEL_LV] / dice_real[LABEL_LV], 4),
                "dice_ratio_myocardium": round(dice[LABEL_MYOCARDIUM] / dice_real[LABEL_MYOCARDIUM], 4),
                "contrast_relative_difference": round(contrast_ratio(synthetic) / c_real - 1, 4),
            }
        )
    eligible = [r for r in rows if abs(r["contrast_relative_difference"]) <= max_contrast]
    if eligible:
        chosen = max(eligible, key=lambda r: r["dice_ratio_myocardium"])
    else:
        chosen = min(rows, key=lambda r: abs(r["contrast_relative_difference"]))
    report = {
        "evaluated_on": f"training subjects of fold {fold} ({len(train)}), segmenter trained on their real frames",
        "rule": f"among checkpoints whose blood/myocardium contrast is within {max_contrast:.0%} of the real "
        "frames', the highest myocardium Dice ratio (none within: the closest in contrast)",
        "checkpoint": chosen["checkpoint"],
        "checkpoints": rows,
    }
    with atomic_path(out_file) as tmp:
        tmp.write_text(json.dumps(report, indent=2) + "\n")
    chosen_epoch = _epoch(chosen, rows.index(chosen))
    with atomic_path(Path(out_file).with_suffix(".png")) as tmp:
        selection_plot(tmp, [("checkpoints", rows)], [(chosen_epoch, "chosen")], max_contrast, report["evaluated_on"])
    return report


def compare_backgrounds(
    dataset_dir: str,
    bundle: str,
    per_frame_weights: str,
    out_dir: str,
    joint_weights: str | None = None,
    stem: str = "background",
    fold: int = 0,
    n_folds: int = 5,
    split_seed: int = 0,
    count: int = 5,
    device: str = "cpu",
) -> dict[str, Any]:
    """ED-ES consistency of the background, the bundle's joint generator (its ``models/model.pt``, or
    ``joint_weights``) against a per-frame (paper) generator (``per_frame_weights``, the same bundle
    config with ``phases=1``), on the held-out subjects of ``fold``: mean |ED - ES| over pixels that are
    background in both phases (real frames for reference). Writes ``<stem>.json`` and ``<stem>.png``
    (``count`` slices) in ``out_dir``."""
    from cardio_monai.synthesis.images import load_generator

    joint, pixel_mm, image_size = load_generator(bundle, device, weights=joint_weights)
    per_frame, _, _ = load_generator(bundle, device, weights=per_frame_weights, phases=1)
    _, held, read_frames = _split_frames(dataset_dir, fold, n_folds, split_seed, pixel_mm, image_size)
    real = read_frames(held)
    synthetic = {"joint": synthesize_items(joint, real, device), "per-frame": synthesize_items(per_frame, real, device)}
    report = {
        "held_out_subjects": len(held),
        "slices": len(real),
        "background_ed_es_abs_difference": {
            "real": background_consistency(real),
            **{name: background_consistency(items) for name, items in synthetic.items()},
        },
    }
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with atomic_path(out / f"{stem}.json") as tmp:
        tmp.write_text(json.dumps(report, indent=2) + "\n")
    picks = _picks(len(real), count)
    background_grid(
        out / f"{stem}.png",
        [real[k] for k in picks],
        [("real", [real[k] for k in picks])] + [(n, [s[k] for k in picks]) for n, s in synthetic.items()],
    )
    return report
