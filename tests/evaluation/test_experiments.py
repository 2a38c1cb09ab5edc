"""The Table-1 comparison of experiments on analytic predictions with known errors."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from cardio_monai.evaluation.experiments import compare_experiments, write_experiments


def _write(path, subjects, edv, esv):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["subject", "EDV_ml", "ESV_ml"])
        w.writerows(zip(subjects, edv, esv))
    return path


def test_experiment_table_recovers_known_errors(tmp_path):
    rng = np.random.default_rng(0)
    subjects = [f"s{k:02d}" for k in range(30)]
    edv = rng.uniform(100, 250, 30)
    esv = edv * rng.uniform(0.2, 0.8, 30)  # EF 20-80 %: some below 40 %
    ref = _write(tmp_path / "ref.csv", subjects, edv, esv)
    rso = _write(tmp_path / "rso.csv", subjects, edv + 10.0, esv)  # EDV off by exactly +10 ml
    rsp = _write(tmp_path / "rsp.csv", subjects[:-1], edv[:-1] + 2.0, esv[:-1])  # one subject fewer
    result = compare_experiments({"RSO": (rso, ref), "RSP": (rsp, ref)}, n_bootstrap=200)
    assert result["n_subjects"] == 29  # only the subjects every experiment predicts
    assert result["experiments"]["RSO"]["all"]["EDV"]["rmse"]["value"] == pytest.approx(10.0)
    assert result["experiments"]["RSP"]["all"]["EDV"]["mae"]["value"] == pytest.approx(2.0)
    assert result["experiments"]["RSO"]["all"]["ESV"]["rmse"]["value"] == pytest.approx(0.0, abs=1e-9)
    low = 100 * (edv[:-1] - esv[:-1]) / edv[:-1] < 40
    assert result["experiments"]["RSP"]["ef_below_40"]["n"] == int(low.sum()) > 0
    kw = result["kruskal_wallis"]
    assert kw["all"]["EDV"]["p_value"] < 1e-6  # |2| against |10| on every subject
    assert kw["ef_below_40"]["EDV"]["n"] == [int(low.sum())] * 2
    out = write_experiments({"RSO": (rso, ref), "RSP": (rsp, ref)}, tmp_path / "cmp", n_bootstrap=200)
    md = (tmp_path / "cmp" / "experiments.md").read_text()
    assert "| RSO | 10.0 +- " in md and "The paper" in md and "Kruskal-Wallis" in md
    assert json.loads((tmp_path / "cmp" / "experiments.json").read_text())["n_subjects"] == out["n_subjects"]
