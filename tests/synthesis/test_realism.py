"""Realism measures of synthetic frames: contrast ratio (analytic) and the segmenter's Dice."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cardio_monai.data import frame_datalist
from cardio_monai.engines import train_segmenter
from cardio_monai.evaluation.realism import CORNERS, contrast_ratio, dice_per_label
from cardio_monai.networks.gaugan import SPADEGenerator
from cardio_monai.networks.segmenter import make_segmenter


def test_contrast_ratio_of_known_intensities():
    label = np.zeros((2, 8, 8), np.uint8)
    label[:, 2:4, 2:4] = 3
    label[:, 5:7, 5:7] = 2
    image = np.where(label == 3, 0.9, np.where(label == 2, 0.3, 0.1)).astype(np.float32)
    assert contrast_ratio([{"image": image, "label": label}]) == pytest.approx(3.0)
    assert np.isnan(contrast_ratio([{"image": image, "label": np.where(label == 2, 0, label)}]))


def test_segmenter_learns_real_frames_and_fails_on_noise(phantom_dir):
    items = frame_datalist(phantom_dir, pixel_mm=3.0, size=32)
    net = train_segmenter(items, epochs=40, batch=8, network=make_segmenter((8, 16, 32), num_res_units=1))
    real = dice_per_label(net, items)
    assert real[3] > 0.8 and real[2] > 0.5  # LV cavity and myocardium of frames it was trained on
    rng = np.random.default_rng(0)
    noise = [{"image": rng.random(i["image"].shape, dtype=np.float32), "label": i["label"]} for i in items]
    assert dice_per_label(net, noise)[3] < real[3] - 0.3


def test_evaluate_generator_writes_the_realism_figures(tiny_bundle, tmp_path):
    import json
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "regression"))
    from sfera_tiny import write_phantoms

    from cardio_monai.synthesis.experiments import evaluate_generator

    data = write_phantoms(tmp_path / "phantoms")
    seg = tmp_path / "segmenter.pt"
    fast = {"n_folds": 3, "classifier_epochs": 1, "bootstrap": 50}  # the two-sample test's plumbing, not its power
    report = evaluate_generator(str(data), str(tiny_bundle), str(tmp_path / "out"), segmenter_epochs=2,
                                segmenter_file=str(seg), **fast)  # fmt: skip
    assert seg.is_file()  # kept: a second generator checkpoint is judged by the same segmenter
    again = evaluate_generator(str(data), str(tiny_bundle), str(tmp_path / "again"), segmenter_epochs=0,
                               segmenter_file=str(seg), **fast)  # fmt: skip
    assert again["dice_real"] == report["dice_real"]
    on_training = evaluate_generator(
        str(data), str(tiny_bundle), str(tmp_path / "t"), segmenter_file=str(seg), subjects="training", **fast
    )
    assert on_training["evaluated_on"] == "training" and on_training["subjects"] == 4
    assert report["evaluated_on"] == "held_out" and report["subjects"] == 2
    for key in ("dice_real", "dice_synthetic"):
        assert all(0.0 <= v <= 1.0 for v in report[key].values())
    assert 0.0 <= report["two_sample_test"]["auc"] <= 1.0 and set(report["corner_sd"]["ratio"]) == set(CORNERS)
    assert json.loads((tmp_path / "out" / "metrics.json").read_text()) == json.loads(json.dumps(report))
    assert (tmp_path / "out" / "examples.png").stat().st_size > 10_000
    # A background-preserving checkpoint scored through the same bundle: its frames keep the real
    # background (the phantoms' is static), so the corners the painted region does not reach are the real
    # frames' exactly and ED and ES differ less outside the heart than the plain generator's.
    torch.manual_seed(0)
    bg = tmp_path / "bg.pt"
    torch.save(SPADEGenerator(image_size=64, channels=(32, 16), spade_hidden=8, background=True).state_dict(), bg)
    painted = evaluate_generator(str(data), str(tiny_bundle), str(tmp_path / "bg"), segmenter_file=str(seg),
                                 weights=str(bg), background=True, **fast)  # fmt: skip
    corners = painted["corner_sd"]
    assert sum(corners["synthetic"][c] == corners["real"][c] for c in CORNERS) >= 2
    assert not any(report["corner_sd"]["synthetic"][c] == report["corner_sd"]["real"][c] for c in CORNERS)
    change = "background_ed_es_abs_difference"
    assert painted[change]["synthetic"] < 0.5 * report[change]["synthetic"]
    # Real phantoms have a static background: ED and ES differ only where the heart moves.
    assert report["background_ed_es_abs_difference"]["real"] < 0.1


def test_compare_backgrounds_writes_figures_and_refuses_a_joint_checkpoint(tiny_bundle, tmp_path):
    import json
    import sys
    from pathlib import Path

    import torch

    from cardio_monai.io import InputError
    from cardio_monai.networks.gaugan import SPADEGenerator
    from cardio_monai.synthesis.experiments import compare_backgrounds

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "regression"))
    from sfera_tiny import write_phantoms

    data = write_phantoms(tmp_path / "phantoms")
    torch.manual_seed(1)
    per_frame = tmp_path / "per_frame.pt"
    torch.save(SPADEGenerator(phases=1, image_size=64, channels=(32, 16), spade_hidden=8).state_dict(), per_frame)
    report = compare_backgrounds(str(data), str(tiny_bundle), str(per_frame), str(tmp_path / "out"), n_folds=3, count=2)
    change = report["background_ed_es_abs_difference"]
    assert set(change) == {"real", "joint", "per-frame"} and all(0.0 <= v <= 1.0 for v in change.values())
    assert change["real"] < 0.1  # static phantom background
    assert json.loads((tmp_path / "out" / "background.json").read_text()) == json.loads(json.dumps(report))
    assert (tmp_path / "out" / "background.png").stat().st_size > 5_000
    torch.manual_seed(2)  # another joint checkpoint of the same architecture, written under another stem
    joint = tmp_path / "joint.pt"
    torch.save(SPADEGenerator(image_size=64, channels=(32, 16), spade_hidden=8).state_dict(), joint)
    other = compare_backgrounds(
        str(data),
        str(tiny_bundle),
        str(per_frame),
        str(tmp_path / "out"),
        joint_weights=str(joint),
        stem="b2",
        n_folds=3,
    )["background_ed_es_abs_difference"]
    assert other["real"] == change["real"] and other["per-frame"] == change["per-frame"]
    assert other["joint"] != change["joint"] and (tmp_path / "out" / "b2.png").is_file()
    with pytest.raises(InputError, match="model.pt"):  # the joint checkpoint is not a per-frame generator
        compare_backgrounds(
            str(data), str(tiny_bundle), str(tiny_bundle / "models" / "model.pt"), str(tmp_path / "x"), n_folds=3
        )


def test_select_checkpoint_scores_on_training_subjects_and_applies_the_rule(tiny_bundle, tmp_path):
    import json
    import sys
    from pathlib import Path

    import torch

    from cardio_monai.io import InputError
    from cardio_monai.networks.gaugan import SPADEGenerator
    from cardio_monai.synthesis.experiments import select_checkpoint

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "regression"))
    from sfera_tiny import write_phantoms

    data = write_phantoms(tmp_path / "phantoms")
    checkpoints = [str(tiny_bundle / "models" / "model.pt")]
    for seed in (1, 2):
        torch.manual_seed(seed)
        checkpoints.append(str(tmp_path / f"g{seed}.pt"))
        torch.save(SPADEGenerator(image_size=64, channels=(32, 16), spade_hidden=8).state_dict(), checkpoints[-1])
    seg = str(tmp_path / "segmenter.pt")
    loose = select_checkpoint(
        str(data), str(tiny_bundle), checkpoints, str(tmp_path / "loose.json"), n_folds=3, max_contrast=100.0,
        segmenter_epochs=2, segmenter_file=seg,
    )  # fmt: skip
    rows = loose["checkpoints"]
    assert [r["checkpoint"] for r in rows] == checkpoints
    assert "training subjects of fold 0 (4)" in loose["evaluated_on"]
    # Every checkpoint within a loose tolerance: the best myocardium Dice ratio wins.
    assert loose["checkpoint"] == max(rows, key=lambda r: r["dice_ratio_myocardium"])["checkpoint"]
    assert json.loads((tmp_path / "loose.json").read_text()) == loose
    assert (tmp_path / "loose.png").stat().st_size > 10_000  # the scores against the epoch
    # Random generators are far from the real contrast; with no tolerance the closest one is taken.
    strict = select_checkpoint(
        str(data), str(tiny_bundle), checkpoints, str(tmp_path / "strict.json"), n_folds=3, max_contrast=0.0,
        segmenter_file=seg,
    )  # fmt: skip
    assert strict["checkpoints"] == rows  # same segmenter, same frames: the same scores
    assert strict["checkpoint"] == min(rows, key=lambda r: abs(r["contrast_relative_difference"]))["checkpoint"]
    per_frame = tmp_path / "per_frame.pt"
    torch.save(SPADEGenerator(phases=1, image_size=64, channels=(32, 16), spade_hidden=8).state_dict(), per_frame)
    with pytest.raises(InputError, match="per_frame.pt"):
        select_checkpoint(str(data), str(tiny_bundle), [str(per_frame)], str(tmp_path / "x.json"), n_folds=3)
    assert not (tmp_path / "x.json").exists() and not (tmp_path / "x.png").exists()


def test_epoch_of_a_score_row():
    from cardio_monai.evaluation.realism_figures import score_epoch as _epoch

    assert _epoch({"epoch": 96}, 0) == 96
    assert _epoch({"checkpoint": "runs/gan/model_epoch=125.pt"}, 0) == 125
    assert _epoch({"checkpoint": "g1.pt"}, 4) == 5
