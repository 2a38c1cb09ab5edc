"""The EF sampler: every subject lands in its target's fine EF bin, so EF is uniform."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import chisquare

from cardio_monai.constants import EF_MAX_PCT, EF_MIN_PCT, SYN_EF_BIN_PCT
from cardio_monai.synthesis.cohort import load_sources
from cardio_monai.synthesis.sampler import synthesize_subject, target_bin


@pytest.fixture(scope="module")
def sources(phantom_dir):
    return load_sources(phantom_dir)


def test_subject_depends_only_on_seed_and_index(sources):
    a = synthesize_subject(7, sources, seed=3)
    b = synthesize_subject(7, sources, seed=3)
    assert a.subject == b.subject and np.array_equal(a.ed, b.ed) and np.array_equal(a.es, b.es)
    assert synthesize_subject(7, sources, seed=4).ef_pct != a.ef_pct


def test_targets_uniform_chi_square():
    # the coarse-bin counts of the cohort are those of the targets (each subject is kept in its
    # target's fine bin), so this checks the cohort's EF histogram on 5,000 subjects
    bins = [target_bin(np.random.default_rng([0, k]))[1] for k in range(5000)]
    counts, _ = np.histogram(bins, bins=7, range=(EF_MIN_PCT, EF_MAX_PCT))
    assert chisquare(counts).pvalue >= 0.01


def test_synthesized_ef_uniform_and_in_target_bin(sources):
    n = 800
    ef = []
    for k in range(n):
        syn = synthesize_subject(k, sources, seed=0)
        t, lo, hi = target_bin(np.random.default_rng([0, k]))
        assert lo <= syn.ef_pct < hi and hi - lo == SYN_EF_BIN_PCT
        assert set(np.unique(syn.ed)) <= {0, 1, 2, 3} and (syn.es == 3).any()
        ef.append(syn.ef_pct)
    counts, _ = np.histogram(ef, bins=7, range=(EF_MIN_PCT, EF_MAX_PCT))
    assert chisquare(counts).pvalue >= 0.01, counts
