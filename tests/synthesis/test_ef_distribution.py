"""``synthesize-masks --ef-distribution``: ``sources`` draws the target EF from the sources' smoothed EFs
(real ACDC subjects of high EF), ``uniform`` stays the default; run.json, resume, bad values."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import chisquare, norm
from synthesis_cli import link_subjects, run_cli

from cardio_monai.constants import EF_MAX_PCT, EF_MIN_PCT, SYN_CHI2_BINS, SYN_EF_SOURCE_JITTER_PCT
from cardio_monai.errors import ParameterError
from cardio_monai.synthesis.cohort import load_sources, run_parameters
from cardio_monai.synthesis.ef_targets import (
    check_ef_distribution,
    chi2_sources_p,
    source_ef_mass,
    target_bin,
    target_probabilities,
)
from cardio_monai.synthesis.sampler import synthesize_subject

HIGH_EF = ("patient022", "patient061", "patient066", "patient077")  # ACDC HCM / NOR, EF 61-67 %
N = 40


def _run(*args: str) -> subprocess.CompletedProcess:
    return run_cli("synthesize-masks", *args)


def _manifest(out: Path) -> list[dict]:
    with open(out / "manifest.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def _ef(out: Path) -> np.ndarray:
    return np.array([float(r["EF_pct"]) for r in _manifest(out)])


def _files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.glob("syn_*.nii.gz"))}


def _json(path: Path) -> dict:
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def high_ef_sources(acdc_dir, tmp_path_factory) -> Path:
    return link_subjects(acdc_dir, tmp_path_factory.mktemp("high_ef"), HIGH_EF)


@pytest.fixture(scope="module")
def cohorts(high_ef_sources, tmp_path_factory) -> dict[str, Path]:
    """The same sources, size and seed: the default (uniform) and ``--ef_distribution sources``."""
    root = tmp_path_factory.mktemp("cohorts")
    extra = {"uniform": [], "sources": ["--ef_distribution", "sources"]}
    for name, flags in extra.items():
        proc = _run(str(high_ef_sources), "--out", str(root / name), "--n", str(N), "--seed", "0", *flags)
        assert proc.returncode == 0, proc.stderr
    return {name: root / name for name in extra}


def test_sources_cohort_follows_the_source_efs(cohorts, high_ef_sources):
    source_ef = np.array([s.ef_pct for s in load_sources(high_ef_sources)])
    assert source_ef.min() > 55.0  # the premise: every source has a high EF
    ef_uniform, ef_sources = _ef(cohorts["uniform"]), _ef(cohorts["sources"])
    assert ef_uniform.size == ef_sources.size == N
    share_uniform, share_sources = (ef_uniform > 50).mean(), (ef_sources > 50).mean()
    assert share_uniform < 0.6  # 30 of 70 points: 0.43 expected
    assert share_sources > 0.9 and share_sources > share_uniform + 0.4
    # sources within 61-67 % and 3 points of jitter: no target below ~50 %, the uniform cohort reaches 10 %
    assert ef_sources.min() > source_ef.min() - 4 * SYN_EF_SOURCE_JITTER_PCT - 1.0 and ef_uniform.min() < 20.0
    assert np.all((ef_sources >= EF_MIN_PCT) & (ef_sources <= EF_MAX_PCT))
    uniform, sources = _json(cohorts["uniform"] / "summary.json"), _json(cohorts["sources"] / "summary.json")
    assert uniform["ef_distribution"] == "uniform" and sources["ef_distribution"] == "sources"
    assert uniform["chi2_p_uniform"] >= 0.01 and uniform["chi2_p_sources"] is None
    assert sources["chi2_p_uniform"] is None and sources["chi2_p_sources"] >= 0.01  # not claimed uniform
    assert sources["complete"] and sources["subjects_in_manifest"] == N


def test_sources_cohort_is_deterministic(cohorts, high_ef_sources, tmp_path):
    args = (str(high_ef_sources), "--n", str(N), "--ef_distribution", "sources")
    assert _run(*args, "--out", str(tmp_path / "again"), "--seed", "0", "--workers", "2").returncode == 0
    assert _manifest(tmp_path / "again") == _manifest(cohorts["sources"])
    assert _files(tmp_path / "again") == _files(cohorts["sources"])
    assert _run(*args, "--out", str(tmp_path / "other"), "--seed", "1").returncode == 0
    assert _manifest(tmp_path / "other") != _manifest(cohorts["sources"])


def test_run_json_records_the_option_and_resume_with_another_is_refused(cohorts, high_ef_sources, tmp_path):
    for name, out in cohorts.items():
        assert _json(out / "run.json")["ef_distribution"] == name
    src = str(high_ef_sources)
    for out, flags in ((cohorts["sources"], []), (cohorts["uniform"], ["--ef-distribution", "sources"])):
        before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
        proc = _run(src, "--out", str(out), "--n", str(N), "--seed", "0", *flags)
        assert proc.returncode == 2 and proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1
        assert "ef_distribution=" in proc.stderr, proc.stderr
        assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before
    same = _run(src, "--out", str(cohorts["sources"]), "--n", str(N), "--seed", "0", "--ef-distribution", "sources")
    assert same.returncode == 0, same.stderr
    # a run.json written before the option existed is a uniform cohort
    old = tmp_path / "old"
    shutil.copytree(cohorts["uniform"], old)
    params = _json(old / "run.json")
    del params["ef_distribution"]
    (old / "run.json").write_text(json.dumps(params))
    assert _run(src, "--out", str(old), "--n", str(N), "--seed", "0").returncode == 0
    assert _run(src, "--out", str(old), "--n", str(N), "--seed", "0", "--ef_distribution", "sources").returncode == 2


def test_default_stays_uniform(cohorts, high_ef_sources):
    for k in range(500):  # the uniform draw is the same generator call as before the option existed
        t, lo, hi = target_bin(np.random.default_rng([0, k]))
        assert t == float(np.random.default_rng([0, k]).uniform(EF_MIN_PCT, EF_MAX_PCT)) and lo <= t < hi
    sources = load_sources(high_ef_sources)
    for k in (0, 7):
        a, b = synthesize_subject(k, sources, 0), synthesize_subject(k, sources, 0, ef_distribution="uniform")
        assert a.subject == b.subject and np.array_equal(a.ed, b.ed) and np.array_equal(a.es, b.es)
    assert run_parameters(high_ef_sources, N, 0, None)["ef_distribution"] == "uniform"
    rows = _manifest(cohorts["uniform"])
    assert [r["subject"] for r in rows[:2]] == [synthesize_subject(k, sources, 0).subject for k in (0, 1)]


def test_source_targets_follow_the_smoothed_distribution():
    source_ef = np.array([12.0, 30.0, 31.0, 78.0])  # two near the range's ends: truncation matters
    n = 20_000
    draws = np.array([target_bin(np.random.default_rng([0, k]), source_ef) for k in range(n)])
    t, lo, hi = draws.T
    assert np.all((t >= EF_MIN_PCT) & (t < EF_MAX_PCT) & (lo <= t) & (t < hi))
    edges = np.linspace(EF_MIN_PCT, EF_MAX_PCT, SYN_CHI2_BINS + 1)
    prob = target_probabilities(edges, source_ef)
    assert prob.sum() == pytest.approx(1.0)
    counts, _ = np.histogram(t, bins=edges)
    keep = prob * n >= 5  # bins expecting fewer than 5 draws pooled into one
    obs = np.append(counts[keep], counts[~keep].sum())
    assert chisquare(obs, n * np.append(prob[keep], prob[~keep].sum())).pvalue >= 0.01, (counts, n * prob)
    assert chi2_sources_p(t, source_ef) >= 0.01  # the summary's test (drops only bins of probability < 1e-6)
    # one source far from the ends: the Gaussian itself, SD SYN_EF_SOURCE_JITTER_PCT
    one = target_probabilities(np.array([EF_MIN_PCT, 40.0, 50.0, EF_MAX_PCT]), np.array([45.0]))
    inner = norm.cdf(5.0 / SYN_EF_SOURCE_JITTER_PCT) - norm.cdf(-5.0 / SYN_EF_SOURCE_JITTER_PCT)
    assert one[1] == pytest.approx(inner, rel=1e-6)
    assert source_ef_mass(np.array([78.0]), EF_MIN_PCT, EF_MAX_PCT) == pytest.approx(
        norm.cdf(2.0 / SYN_EF_SOURCE_JITTER_PCT), rel=1e-6
    )
    np.testing.assert_allclose(target_probabilities(edges), np.full(SYN_CHI2_BINS, 1.0 / SYN_CHI2_BINS))


@pytest.mark.parametrize("value", ["foo", "Sources", "3"])
def test_bad_value_is_a_one_line_error(value, phantom_dir, tmp_path):
    out = tmp_path / "out"
    proc = _run(str(phantom_dir), "--out", str(out), "--n", "5", "--ef_distribution", value)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: --ef-distribution: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert value in proc.stderr and "uniform, sources" in proc.stderr
    assert not out.exists()
    with pytest.raises(ParameterError) as err:
        check_ef_distribution(value)
    assert err.value.parameter == "ef_distribution"


def test_sources_outside_the_range_are_refused(make_phantom_input, tmp_path):
    src = make_phantom_input(tmp_path / "in", efs=(92.0, 93.0))
    assert min(s.ef_pct for s in load_sources(src)) > 80.0 + 3.5 * SYN_EF_SOURCE_JITTER_PCT
    out = tmp_path / "out"
    proc = _run(str(src), "--out", str(out), "--n", "5", "--ef_distribution", "sources")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and str(src) in proc.stderr, proc.stderr
    assert "lie outside EF 10-80 %" in proc.stderr
    assert not out.exists()
