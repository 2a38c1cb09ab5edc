"""The GauGAN bundle's realism experiments on a fold of the real dataset, run by its configs
(``evaluate.json``, ``select_checkpoint.json``, ``compare_backgrounds.json``): figures of a generator on the
held-out (or training) subjects, the choice of a checkpoint on the training subjects, and joint against
per-frame backgrounds. The generator comes from the bundle's ``configs/inference.json``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from cardio_monai.constants import CONTRAST_TOLERANCE, LABEL_LV, LABEL_MYOCARDIUM, SYN_REGION_MARGIN_PX
from cardio_monai.data import frame_datalist, split_subjects
from cardio_monai.engines.segmenter_training import train_segmenter
from cardio_monai.evaluation.realism import background_consistency, contrast_ratio, corner_sd, dice_per_label
from cardio_monai.evaluation.realism_figures import (
    background_grid,
    example_grid,
    score_epoch,
    selection_plot,
    spread_picks,
)
from cardio_monai.evaluation.two_sample import classifier_two_sample_test
from cardio_monai.keys import IMAGE, LABEL
from cardio_monai.networks.segmenter import make_segmenter
from cardio_monai.synthesis.images import load_generator
from cardio_monai.transforms.region import heart_region
from cardio_monai.utils import atomic_path, progress
from cardio_monai.utils.checkpoint import load_weights


@torch.no_grad()
def synthesize_items(
    generator: torch.nn.Module,
    items: Sequence[dict[str, Any]],
    device: str | torch.device = "cpu",
    batch: int = 16,
    margin_px: int = SYN_REGION_MARGIN_PX,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """The items with ``image`` replaced by the generator's frames from their ``label`` maps (P, H, W); a
    background-preserving generator keeps the items' own frames outside their heart dilated by
    ``margin_px`` pixels and paints the inside; a generator with noise channels gets noise from a
    generator seeded with ``seed`` (the same frames on every call)."""
    out = []
    n_noise = int(getattr(generator, "noise_channels", 0))
    rng = torch.Generator().manual_seed(seed)
    for start in range(0, len(items), batch):
        chunk = items[start : start + batch]
        labels = torch.as_tensor(np.stack([np.asarray(i[LABEL], dtype=np.int64) for i in chunk]))
        inputs = {"label": labels}
        if getattr(generator, "background", False):
            real = torch.as_tensor(np.stack([np.asarray(i[IMAGE], dtype=np.float32) for i in chunk]))
            inputs.update(image=real, region=heart_region(labels, margin_px))
        if n_noise:
            inputs["noise"] = torch.randn((len(chunk), n_noise, *labels.shape[-2:]), generator=rng)
        frames = generator.frames_from_labels(**{k: x.to(device) for k, x in inputs.items()}).cpu().numpy()
        out += [{**item, IMAGE: frame} for item, frame in zip(chunk, frames, strict=True)]
    return out


def _network(
    background: bool | None, noise_channels: int | None = None, upsampling_mode: str | None = None
) -> dict[str, Any]:
    """Overrides of the bundle's ``network_def``: ``background`` (``noise_channels``, ``upsampling_mode``)
    given, that kind of generator (a checkpoint of another kind than the bundle ships can then be scored);
    ``None``, the bundle's."""
    out: dict[str, Any] = {} if background is None else {"background": bool(background)}
    if noise_channels is not None:
        out["noise_channels"] = int(noise_channels)
    if upsampling_mode is not None:
        out["upsampling_mode"] = str(upsampling_mode)
    return out


def _split_frames(
    dataset_dir: str, fold: int, n_folds: int, split_seed: int, pixel_mm: float, image_size: int
) -> tuple[list[str], list[str], Any]:
    """Training and held-out subject names of ``fold`` (the regression bundle's split) and a reader of the
    frames of a list of subjects at the generator's pixel size and input size."""
    train, held = split_subjects(dataset_dir, fold, n_folds, split_seed)

    def frames(names: Sequence[str]) -> list[dict[str, Any]]:
        return frame_datalist(dataset_dir, pixel_mm, image_size, names)

    return train, held, frames


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
    classifier_folds: int = 5,
    classifier_epochs: int = 20,
    bootstrap: int = 1000,
    seed: int = 0,
    background: bool | None = None,
    noise_channels: int | None = None,
    upsampling_mode: str | None = None,
) -> dict[str, Any]:
    """The issue's realism figures on the held-out subjects of ``fold`` (the generator never saw them):
    a UNet segmenter trained on the real frames of the training subjects, its Dice per label on the
    held-out real frames and on frames synthesised from their label maps; blood/myocardium contrast;
    ED-ES background change; a classifier two-sample test of real against synthetic frames, cross-fitted
    over ``classifier_folds`` groups of subjects (``classifier_epochs``, ``bootstrap`` subject resamples,
    ``seed``; :func:`~cardio_monai.evaluation.two_sample.classifier_two_sample_test`) and the SD of the
    frames' corners (:func:`~cardio_monai.evaluation.realism.corner_sd`); writes ``metrics.json`` and
    ``examples.png`` in ``out_dir``.

    ``segmenter_file``: where the trained segmenter's weights are kept; read when it exists (it depends
    on the real frames, the split and ``segmenter_epochs`` only), so comparing generator checkpoints trains
    it once. ``weights``: a generator checkpoint other than the bundle's ``models/model.pt``; ``background``:
    its kind when it is not the bundle's (a background-preserving one keeps each held-out frame outside
    its dilated heart and paints the inside), ``noise_channels`` and ``upsampling_mode`` likewise.
    ``subjects="training"``: the same figures on the training subjects instead, to choose among a run's
    checkpoints without looking at the held-out subjects (Dice there is of frames the segmenter saw)."""
    if subjects not in ("held_out", "training"):
        raise ValueError(f"subjects={subjects!r}: 'held_out' or 'training'")
    generator, pixel_mm, image_size = load_generator(
        bundle, device, weights=weights, **_network(background, noise_channels, upsampling_mode)
    )
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
        "two_sample_test": classifier_two_sample_test(
            real_held, synthetic, classifier_folds, classifier_epochs, bootstrap, seed, device=device
        ),
        "corner_sd": corner_sd(real_held, synthetic),
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
    background: bool | None = None,
    noise_channels: int | None = None,
    upsampling_mode: str | None = None,
) -> dict[str, Any]:
    """Pick one of a run's generator checkpoints without looking at the held-out subjects: each is
    scored on the **training** subjects of ``fold`` (Dice ratio of the segmenter trained on their real
    frames, blood/myocardium contrast against their real frames), and the rule, fixed in advance, takes
    the highest myocardium Dice ratio among those whose contrast is within ``max_contrast`` (relative) of
    the real frames' (if none is, the one closest in contrast). Writes every score and the choice to
    ``out_file`` (JSON) and a plot of them next to it (same name, ``.png``), and returns them;
    ``checkpoint`` of the result names the chosen file; ``background``, ``noise_channels``, ``upsampling_mode``:
    the checkpoints' kind when it is not the bundle's."""
    if not checkpoints:
        raise ValueError("no checkpoints to choose from")
    generator, pixel_mm, image_size = load_generator(
        bundle, device, weights=checkpoints[0], **_network(background, noise_channels, upsampling_mode)
    )
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
    chosen_epoch = score_epoch(chosen, rows.index(chosen))
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
    joint, pixel_mm, image_size = load_generator(bundle, device, weights=joint_weights)
    per_frame, _, _ = load_generator(bundle, device, weights=per_frame_weights, phases=1, background=False)
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
    picks = spread_picks(len(real), count)
    background_grid(
        out / f"{stem}.png",
        [real[k] for k in picks],
        [("real", [real[k] for k in picks])] + [(n, [s[k] for k in picks]) for n, s in synthetic.items()],
    )
    return report
