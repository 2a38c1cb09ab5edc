"""Sunnybrook root (dicoms/, contours/, link.csv)."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from cardio_monai.io import read_sunnybrook_subject


@pytest.fixture(scope="module")
def sc_hf_i_1(data_dir):
    return read_sunnybrook_subject(data_dir / "sunnybrook", "SCD0000101", "SC-HF-I-1")


def test_phases_and_slices(sc_hf_i_1):
    assert sc_hf_i_1.subject == "SC-HF-I-1"
    assert sc_hf_i_1.frames.shape[:2] == (20, 12)
    assert sc_hf_i_1.frames.dtype == np.float32


def test_ed_es_match_reference(sc_hf_i_1, data_dir):
    with open(data_dir / "reference_volumes.csv", newline="") as fh:
        ref = next(r for r in csv.DictReader(fh) if r["subject"] == "SC-HF-I-1")
    assert (sc_hf_i_1.ed, sc_hf_i_1.es) == (18, 7)
    assert (sc_hf_i_1.ed, sc_hf_i_1.es) == (int(ref["ed_phase"]), int(ref["es_phase"]))
    assert set(sc_hf_i_1.labels) == {18, 7}


def test_slice_spacing_from_positions(sc_hf_i_1):
    assert sc_hf_i_1.slice_spacing == pytest.approx(10.0, abs=0.5)
    assert abs(sc_hf_i_1.slice_spacing - 6.7) > 2  # not the SliceLocation step


def test_slices_base_to_apex(sc_hf_i_1):
    areas = (sc_hf_i_1.labels[sc_hf_i_1.ed] == 3).sum(axis=(1, 2))
    labelled = np.flatnonzero(areas)
    assert labelled.size >= 4
    first, last = areas[labelled[:2]].mean(), areas[labelled[-2:]].mean()
    assert first > last, areas.tolist()
