"""Synthetic pretraining pieces (split by source, imbalance, resume, finetune.json) and the ``finetune``
command on real ACDC studies with volume-only labels."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import torch
from monai.bundle import ConfigParser

from cardio_monai.cli import main
from cardio_monai.data import draw_by_source, source_datalist, source_split
from cardio_monai.io import InputError
from cardio_monai.regression import imbalanced_subset, resume_path

REPO = Path(__file__).resolve().parents[2]
SFERA = REPO / "bundles" / "cardiac_sfera_regression"
GAUGAN_WEIGHTS = REPO / "bundles" / "cardiac_gaugan_synthesis" / "models" / "model.pt"


def _items(n_sources: int, per_source: int) -> list[dict]:
    return [
        {"subject": f"syn_{s}_{k}", "group": f"patient{s:03d}"} for s in range(n_sources) for k in range(per_source)
    ]


def test_source_split_keeps_every_source_on_one_side():
    items = _items(40, 5)
    train, val = source_split(items, val_fraction=0.1, seed=3)
    train_sources = {i["group"] for i in train}
    val_sources = {i["group"] for i in val}
    assert not train_sources & val_sources
    assert len(val_sources) == 4 and len(train) + len(val) == 200
    assert source_split(items, 0.1, 3) == (train, val)  # deterministic for a seed
    assert {i["group"] for i in source_split(items, 0.1, 4)[1]} != val_sources
    with pytest.raises(ValueError, match="val_fraction"):
        source_split(items, 1.0)


def test_draw_by_source_takes_every_source_once_before_any_twice():
    items = _items(7, 4)
    drawn = draw_by_source(items, 10, seed=1)
    assert len(drawn) == 10 and len({i["subject"] for i in drawn}) == 10
    counts = [sum(i["group"] == g for i in drawn) for g in {i["group"] for i in items}]
    assert sorted(counts) == [1, 1, 1, 1, 2, 2, 2]  # 7 sources once, then 3 a second time
    assert draw_by_source(items, 10, seed=1) == drawn and draw_by_source(items, 10, seed=2) != drawn
    assert len(draw_by_source(items, 100)) == 28 and draw_by_source(items, 0) == []


def test_imbalanced_subset_keeps_high_ef_and_draws_low_ef_to_the_fraction():
    items = [{"subject": f"s{k}"} for k in range(80)]
    ef = [30.0 if k % 8 < 3 else 60.0 for k in range(80)]  # 30 low, 50 high
    subset = imbalanced_subset(items, 0.06, seed=0, ef_pct=ef)
    low = [i for i in subset if ef[int(i["subject"][1:])] < 40]
    assert len(subset) - len(low) == 50 and len(low) == 3  # 3 / 53 = 5.7 %
    assert [i["subject"] for i in subset] == sorted((i["subject"] for i in subset), key=lambda s: int(s[1:]))


def test_resume_path_finds_the_newest_checkpoint(tmp_path):
    assert resume_path(tmp_path) == ""
    for epoch in (2, 10, 9):
        torch.save({"epoch": epoch}, tmp_path / f"resume_checkpoint_epoch={epoch}.pt")
    assert resume_path(tmp_path).endswith("resume_checkpoint_epoch=10.pt")
    full = (tmp_path / "resume_checkpoint_epoch=10.pt").read_bytes()
    (tmp_path / "resume_checkpoint_epoch=11.pt").write_bytes(full[: len(full) // 2])  # a save cut short by a kill
    assert resume_path(tmp_path).endswith("resume_checkpoint_epoch=10.pt")


def test_source_datalist_needs_a_synthetic_manifest(tmp_path, acdc_dir):
    manifest = tmp_path / "m.csv"
    manifest.write_text(f"subject,image_path\npatient001,{acdc_dir / 'patient001'}\n")
    with pytest.raises(InputError, match="source_subject"):
        source_datalist(manifest)


def _input_errors(config_error: BaseException) -> list[str]:
    """The InputError messages in the cause chain of a config evaluation error."""
    found, err = [], config_error
    while err is not None:
        if isinstance(err, InputError):
            found.append(str(err))
        err = err.__cause__ or err.__context__
    return found


def test_finetune_config_refuses_a_checkpoint_of_another_architecture(tmp_path):
    parser = ConfigParser()
    parser.read_config([str(SFERA / "configs" / "train.json"), str(SFERA / "configs" / "finetune.json")])
    for checkpoint, problem in ((GAUGAN_WEIGHTS, "another architecture"), (tmp_path / "no.pt", "no such checkpoint")):
        parser.update({"bundle_root": str(SFERA), "pretrained_checkpoint": str(checkpoint), "device": "cpu"})
        with pytest.raises(RuntimeError) as info:
            parser.get_parsed_content("initialize", lazy=False)
        messages = _input_errors(info.value)
        assert messages and messages[0].startswith(str(checkpoint)) and problem in messages[0]


def _volume_only_manifest(path: Path, acdc_dir: Path, reference_volumes: dict, subjects: list[str]) -> Path:
    rows = []
    for s in subjects:
        d = acdc_dir / s
        info = dict(line.split(":", 1) for line in (d / "Info.cfg").read_text().splitlines() if ":" in line)
        ed, es = int(info["ED"]), int(info["ES"])
        rows.append(
            {
                "subject": s,
                "ed_image_path": str(d / f"{s}_frame{ed:02d}.nii.gz"),
                "es_image_path": str(d / f"{s}_frame{es:02d}.nii.gz"),
                "EDV_ml": reference_volumes[s]["EDV_ml"],
                "ESV_ml": reference_volumes[s]["ESV_ml"],
            }
        )
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.mark.slow
def test_finetune_command_writes_a_bundle_that_predict_uses(tmp_path, acdc_dir, reference_volumes, capsys):
    subjects = ["patient003", "patient023", "patient043", "patient063", "patient083"]
    manifest = _volume_only_manifest(tmp_path / "site.csv", acdc_dir, reference_volumes, subjects)
    out = tmp_path / "site_bundle"
    code = main(["finetune", str(manifest), "--out", str(out), "--epochs", "1", "--holdout", "0.4", "--seed", "1"])
    assert code == 0
    report = json.loads((out / "docs" / "finetune" / "finetune.json").read_text())
    assert len(report["train_subjects"]) == 3 and len(report["holdout_subjects"]) == 2
    assert not set(report["train_subjects"]) & set(report["holdout_subjects"])
    for q in ("EDV", "ESV", "EF"):
        assert report["rmse"][q]["before"] > 0 and report["rmse"][q]["after"] > 0
    assert "EF RMSE" in capsys.readouterr().out
    meta = json.loads((out / "configs" / "metadata.json").read_text())
    assert meta["version"] in meta["changelog"] and "finetuned on 3 site studies" in meta["changelog"][meta["version"]]
    assert not list(tmp_path.glob(".site_bundle.partial-*"))
    # the new bundle serves predict, and its numbers are the "after" predictions of the held-back studies
    held = tmp_path / "held.csv"
    rows = list(csv.DictReader(open(manifest, newline="")))
    with open(held, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(r for r in rows if r["subject"] in report["holdout_subjects"])
    assert main(["predict", str(held), "--out", str(tmp_path / "p.csv"), "--bundle", str(out)]) == 0
    got = {r["subject"]: float(r["sfera_EF_pct"]) for r in csv.DictReader(open(tmp_path / "p.csv"))}
    after = {r["subject"]: float(r["EF_pct"]) for r in csv.DictReader(open(out / "docs/finetune/holdout_after.csv"))}
    assert got == pytest.approx(after, abs=1e-3)


def test_finetune_bad_input_writes_nothing(tmp_path, acdc_dir, reference_volumes, capsys):
    subjects = ["patient003", "patient023", "patient043"]
    manifest = _volume_only_manifest(tmp_path / "site.csv", acdc_dir, reference_volumes, subjects)
    assert main(["finetune", str(manifest), "--out", str(SFERA)]) == 2
    assert "is the source bundle" in capsys.readouterr().err
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x").write_text("x")
    assert main(["finetune", str(manifest), "--out", str(busy)]) == 2
    assert "not an empty folder" in capsys.readouterr().err
    assert main(["finetune", str(manifest), "--out", str(tmp_path / "o"), "--holdout", "0.9"]) == 2
    assert "holdout=0.9" in capsys.readouterr().err
    # a study with neither label maps nor volumes is named before any training
    text = manifest.read_text().replace(reference_volumes["patient023"]["EDV_ml"], "")
    (tmp_path / "novol.csv").write_text(text)
    assert main(["finetune", str(tmp_path / "novol.csv"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "patient023" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "o").exists() and not list(tmp_path.glob(".o.partial-*"))
