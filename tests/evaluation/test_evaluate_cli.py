"""``python -m cardio_monai evaluate``: metrics.json and PNGs end to end, and bad input."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cardio_monai.errors import InputError
from cardio_monai.evaluation import evaluate_predictions, read_volume_table

REPO = Path(__file__).resolve().parents[2]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PLOTS = [f"{kind}_{q}.png" for kind in ("scatter", "bland_altman") for q in ("EDV", "ESV", "EF")]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cardio_monai", "evaluate", *args], capture_output=True, text=True, cwd=REPO
    )


def _reference(path: Path, n: int = 30, seed: int = 0) -> dict[str, tuple[float, float]]:
    rng = np.random.default_rng(seed)
    edv = rng.uniform(90, 300, n)
    esv = edv * (1 - rng.uniform(0.15, 0.70, n))  # EF 15-70 %, so some are below 40 %
    groups = ["A", "B", "C"]
    rows = {}
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["subject", "dataset", "EDV_ml", "ESV_ml", "EF_pct", "group"])
        for i in range(n):
            s = f"s{i:03d}"
            rows[s] = (edv[i], esv[i])
            w.writerow(
                [s, "x", f"{edv[i]:.2f}", f"{esv[i]:.2f}", f"{100 * (edv[i] - esv[i]) / edv[i]:.2f}", groups[i % 3]]
            )
    return rows


def _predictions(path: Path, ref: dict, noise_ml: float, seed: int, extra_rows: list[list[str]] = ()) -> None:
    rng = np.random.default_rng(seed)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["subject", "EDV_ml", "ESV_ml", "EF_pct", "EDV_sd_ml", "ESV_sd_ml", "EF_sd_pct", "warning"])
        for s, (edv, esv) in ref.items():
            e, es = edv + rng.normal(0, noise_ml), esv + rng.normal(0, noise_ml / 2)
            w.writerow([s, f"{e:.2f}", f"{es:.2f}", f"{100 * (e - es) / e:.2f}", "5", "3", "2", ""])
        w.writerows(extra_rows)


def test_cli_end_to_end(tmp_path):
    ref = _reference(tmp_path / "ref.csv")
    _predictions(tmp_path / "good.csv", ref, 5.0, 1, [["s999", "", "", "", "", "", "", "fewer than 3 slices"]])
    _predictions(tmp_path / "bad.csv", ref, 40.0, 2)
    out = tmp_path / "res"
    proc = _run(str(tmp_path / "good.csv"), str(tmp_path / "ref.csv"), str(tmp_path / "bad.csv"), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "30 subjects" in proc.stdout
    assert "s999" in proc.stderr and proc.stderr.startswith("warning: ")  # the warning row is left out, loudly

    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(["metrics.json", *PLOTS, *(p.replace(".png", "_2.png") for p in PLOTS)])
    for name in names:
        if name.endswith(".png"):
            data = (out / name).read_bytes()
            assert data[:8] == PNG_MAGIC and len(data) > 5000, name

    m = json.loads((out / "metrics.json").read_text())
    assert m["n_subjects"] == 30 and [e["subject"] for e in m["excluded"]] == ["s999"]
    for block in (m, m["predictions2"]):
        for q in ("EDV", "ESV", "EF"):
            assert block[q]["n"] == 30
            for k in ("rmse", "rmse_sd", "mae", "bias", "pearson_r"):
                lo, hi = block[q][k]["ci95"]
                assert lo <= block[q][k]["value"] <= hi
    assert 3.0 < m["EDV"]["rmse"]["value"] < 8.0  # N(0, 5) errors
    assert m["predictions2"]["EDV"]["rmse"]["value"] > 25.0  # N(0, 40) errors
    low = m["ef_below_40"]
    ref_ef = {s: 100 * (e - es) / e for s, (e, es) in ref.items()}
    assert low["n"] == sum(ef < 40 for ef in ref_ef.values()) > 0 and low["EF"]["n"] == low["n"]
    assert sorted(m["groups"]) == ["A", "B", "C"] and m["groups"]["A"]["n"] == 10
    for q in ("EDV", "ESV", "EF"):
        assert m["kruskal_wallis"][q]["p_value"] < 0.01


def test_same_seed_same_metrics(tmp_path):
    ref = _reference(tmp_path / "ref.csv", n=12)
    _predictions(tmp_path / "p.csv", ref, 5.0, 1)
    a = evaluate_predictions(tmp_path / "p.csv", tmp_path / "ref.csv", out_dir=tmp_path / "a", n_bootstrap=300)
    b = evaluate_predictions(tmp_path / "p.csv", tmp_path / "ref.csv", out_dir=tmp_path / "b", n_bootstrap=300)
    assert a == b
    assert (tmp_path / "a" / "metrics.json").read_bytes() == (tmp_path / "b" / "metrics.json").read_bytes()


def test_ef_computed_when_absent(tmp_path):
    (tmp_path / "ref.csv").write_text("subject,EDV_ml,ESV_ml\na,200,100\nb,100,40\n")
    table = read_volume_table(tmp_path / "ref.csv")
    assert table.values["EF"] == pytest.approx([50.0, 60.0]) and table.groups is None


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing_file", "does not exist"),
        ("missing_column", "missing column(s) ESV_ml"),
        ("no_common", "no subjects in common"),
        ("malformed", "'12,5x' is not a number"),
    ],
)
def test_bad_input(tmp_path, case, message):
    ref = _reference(tmp_path / "ref.csv", n=5)
    pred = tmp_path / "pred.csv"
    if case == "missing_file":
        pred = tmp_path / "nowhere.csv"
    elif case == "missing_column":
        pred.write_text("subject,EDV_ml,EF_pct\ns000,100,50\n")
    elif case == "no_common":
        pred.write_text("subject,EDV_ml,ESV_ml,EF_pct\nzzz,100,50,50\n")
    else:
        _predictions(pred, ref, 5.0, 0, [["extra", "12,5x", "40", "60", "", "", "", ""]])
    out = tmp_path / "out"
    proc = _run(str(pred), str(tmp_path / "ref.csv"), "--out", str(out))
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert message in proc.stderr and pred.name in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists() or not any(out.iterdir())


def test_bad_second_file_writes_nothing(tmp_path):
    ref = _reference(tmp_path / "ref.csv", n=5)
    _predictions(tmp_path / "p.csv", ref, 5.0, 0)
    (tmp_path / "p2.csv").write_text("subject,EDV_ml,ESV_ml\nother,100,50\n")
    with pytest.raises(InputError, match="p2.csv: no subjects in common"):
        evaluate_predictions(tmp_path / "p.csv", tmp_path / "ref.csv", tmp_path / "p2.csv", out_dir=tmp_path / "o")
    assert not (tmp_path / "o").exists()


def test_reads_shared_reference(shared_data):
    table = read_volume_table(shared_data / "reference_volumes.csv")
    assert len(table.subjects) == 102 and table.groups is not None
    assert {"DCM", "HCM", "MINF", "NOR", "RV"} <= set(table.groups)
    # the file's EF column agrees with its volumes (to its 2-decimal rounding)
    ef = 100 * (table.values["EDV"] - table.values["ESV"]) / table.values["EDV"]
    assert np.abs(table.values["EF"] - ef).max() < 0.02


def test_folds_pooled_equal_one_file_and_overlap_is_refused(tmp_path):
    ref = _reference(tmp_path / "ref.csv", n=12)
    _predictions(tmp_path / "all.csv", ref, 5.0, 1)
    lines = (tmp_path / "all.csv").read_text().splitlines()
    (tmp_path / "a.csv").write_text("\n".join(lines[:6]) + "\n")
    (tmp_path / "b.csv").write_text("\n".join([lines[0], *lines[6:]]) + "\n")
    whole = evaluate_predictions(tmp_path / "all.csv", tmp_path / "ref.csv", out_dir=tmp_path / "w", n_bootstrap=200)
    ref_lines = (tmp_path / "ref.csv").read_text().splitlines()  # references pooled the same way
    (tmp_path / "r1.csv").write_text("\n".join(ref_lines[:4]) + "\n")
    (tmp_path / "r2.csv").write_text("\n".join([ref_lines[0], *ref_lines[4:]]) + "\n")
    refs = f"{tmp_path / 'r1.csv'},{tmp_path / 'r2.csv'}"
    pooled = _run(f"{tmp_path / 'a.csv'},{tmp_path / 'b.csv'}", refs, "--out", str(tmp_path / "p"))
    assert pooled.returncode == 0, pooled.stderr
    m = json.loads((tmp_path / "p" / "metrics.json").read_text())
    assert m["n_subjects"] == 12
    assert m["EF"]["rmse"]["value"] == pytest.approx(whole["EF"]["rmse"]["value"])
    assert m["groups"].keys() == whole["groups"].keys()
    (tmp_path / "c.csv").write_text("\n".join(lines[:3]) + "\n")  # s000, s001 again
    proc = _run(f"{tmp_path / 'a.csv'},{tmp_path / 'c.csv'}", str(tmp_path / "ref.csv"), "--out", str(tmp_path / "x"))
    assert proc.returncode != 0 and "c.csv" in proc.stderr and "s000 is also in" in proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "x").exists()
