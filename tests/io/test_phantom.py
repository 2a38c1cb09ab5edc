"""The analytic phantom: label volumes within 1 % of the analytic volumes, through the CLI too."""

from __future__ import annotations

import csv
import subprocess
import sys

import numpy as np
import pytest

from cardio_monai.constants import LABEL_LV, LABEL_MYOCARDIUM, LABEL_RV
from cardio_monai.io.phantom import make_phantom
from cardio_monai.io.writers import write_acdc_patient
from cardio_monai.volumes import lv_volume_ml


@pytest.mark.parametrize(
    ("edv", "ef", "pixel_mm", "slice_mm"), [(90, 25, 1.8, 10.0), (160, 55, 1.4, 8.0), (230, 70, 1.0, 6.0)]
)
def test_label_volumes_within_one_percent(edv, ef, pixel_mm, slice_mm):
    record, truth = make_phantom(n_phases=10, n_slices=14, edv_ml=edv, ef_pct=ef, pixel_mm=pixel_mm, slice_mm=slice_mm)
    assert truth.edv_ml == pytest.approx(edv, rel=1e-6)  # the stack holds the whole LV
    assert truth.ef_pct == pytest.approx(ef, abs=1e-6)
    for phase, expected in ((truth.ed, truth.edv_ml), (truth.es, truth.esv_ml)):
        measured = lv_volume_ml(record.labels[phase], record.voxel_spacing)
        assert measured == pytest.approx(expected, rel=0.01)


def test_phantom_is_seeded_and_has_all_structures():
    a, _ = make_phantom(n_phases=4, n_slices=6, seed=3)
    b, _ = make_phantom(n_phases=4, n_slices=6, seed=3)
    c, _ = make_phantom(n_phases=4, n_slices=6, seed=4)
    np.testing.assert_array_equal(a.frames, b.frames)
    assert not np.array_equal(a.frames, c.frames)
    assert a.frames.shape == (4, 6, 192, 192)
    assert set(np.unique(a.labels[a.ed])) == {0, LABEL_RV, LABEL_MYOCARDIUM, LABEL_LV}
    ed = a.frames[a.ed]
    lab = a.labels[a.ed]
    # bSSFP contrast: blood brighter than myocardium
    assert ed[lab == LABEL_LV].mean() > 2.0 * ed[lab == LABEL_MYOCARDIUM].mean()


def test_volumes_cli_on_written_phantom(tmp_path):
    record, truth = make_phantom(n_phases=8, n_slices=12, edv_ml=140, ef_pct=45, seed=1)
    write_acdc_patient(record, tmp_path / "phantom001")
    out = tmp_path / "v.csv"
    res = subprocess.run(
        [sys.executable, "-m", "cardio_monai", "volumes", str(tmp_path / "phantom001"), "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr
    row = next(csv.DictReader(open(out)))
    assert float(row["EDV_ml"]) == pytest.approx(truth.edv_ml, rel=0.01)
    assert float(row["ESV_ml"]) == pytest.approx(truth.esv_ml, rel=0.01)
    assert float(row["EF_pct"]) == pytest.approx(truth.ef_pct, abs=1.0)
