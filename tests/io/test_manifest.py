"""Manifest CSV input through the CLI."""

from __future__ import annotations

import csv

import pytest


def _read_out(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_manifest_acdc_patient_folder(data_dir, tmp_path, run_volumes):
    with open(data_dir / "reference_volumes.csv", newline="") as fh:
        ref = next(r for r in csv.DictReader(fh) if r["subject"] == "patient001")
    manifest = tmp_path / "manifest.csv"
    patient = data_dir / "acdc" / "training" / "patient001"
    manifest.write_text(f"subject,image_path,ED,ES\np001,{patient},1,12\n")
    out = tmp_path / "volumes.csv"
    proc = run_volumes(manifest, out)
    assert proc.returncode == 0, proc.stderr
    rows = _read_out(out)
    assert [r["subject"] for r in rows] == ["p001"]
    assert float(rows[0]["EDV_ml"]) == pytest.approx(float(ref["EDV_ml"]), rel=0.01)
    assert float(rows[0]["ESV_ml"]) == pytest.approx(float(ref["ESV_ml"]), rel=0.01)
    assert float(rows[0]["EF_pct"]) == pytest.approx(float(ref["EF_pct"]), abs=0.5)


def test_manifest_volume_only_row(tmp_path, sample_dicoms, run_volumes):
    """A row whose image has no masks takes its volumes from EDV_ml / ESV_ml."""
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(f"subject,image_dir,EDV_ml,ESV_ml\nvol1,{sample_dicoms},150.0,90.0\n")
    out = tmp_path / "volumes.csv"
    proc = run_volumes(manifest, out)
    assert proc.returncode == 0, proc.stderr
    rows = _read_out(out)
    assert list(rows[0]) == ["subject", "EDV_ml", "ESV_ml", "EF_pct"]
    assert rows[0]["subject"] == "vol1"
    assert float(rows[0]["EDV_ml"]) == pytest.approx(150.0)
    assert float(rows[0]["ESV_ml"]) == pytest.approx(90.0)
    assert float(rows[0]["EF_pct"]) == pytest.approx(40.0)


def test_manifest_acdc_frame_not_held(data_dir, tmp_path, run_volumes):
    """ED/ES frame numbers must be among the frames the ACDC folder holds."""
    manifest = tmp_path / "manifest.csv"
    patient = data_dir / "acdc" / "training" / "patient001"
    manifest.write_text(f"subject,image_path,ED,ES\np001,{patient},1,5\n")
    out = tmp_path / "out" / "volumes.csv"
    proc = run_volumes(manifest, out)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert "manifest.csv" in proc.stderr and "ES frame 5 does not exist" in proc.stderr
    assert not out.exists()
