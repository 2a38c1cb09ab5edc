"""4D NIfTI cines and 3D label maps: axis convention, geometry, round trip through the writers."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

from cardio_monai.io import InputError, find_studies, read_study
from cardio_monai.io.nifti import load_label
from cardio_monai.io.phantom import make_phantom
from cardio_monai.io.writers import write_nifti


def test_4d_cine_becomes_t_z_h_w(tmp_path):
    record, _ = make_phantom(n_phases=5, n_slices=7, shape=(64, 48), pixel_mm=1.25, slice_mm=9.0)
    xyzt = np.transpose(record.frames, (2, 3, 1, 0))  # (T, Z, H, W) -> (X, Y, Z, T)
    img = nib.Nifti1Image(xyzt, np.diag([1.25, 1.25, 9.0, 1.0]))
    nib.save(img, tmp_path / "case07.nii.gz")
    studies = find_studies(tmp_path / "case07.nii.gz")
    assert [s.subject for s in studies] == ["case07"]
    read = studies[0].read()
    assert read.frames.shape == (5, 7, 64, 48)
    np.testing.assert_allclose(read.frames, record.frames, rtol=1e-6)
    assert read.voxel_spacing == pytest.approx((1.25, 1.25, 9.0))
    assert read.ed is None and read.es is None  # a bare cine does not name its phases


def test_label_round_trip_and_checks(tmp_path):
    label = np.zeros((4, 10, 12), np.uint8)
    label[1:3, 2:5, 3:9] = 3
    affine = np.diag([1.5, 1.5, 10.0, 1.0])
    write_nifti(tmp_path / "lab.nii.gz", label, affine)
    np.testing.assert_array_equal(load_label(tmp_path / "lab.nii.gz"), label)
    with pytest.raises(InputError, match="does not match the image"):
        load_label(tmp_path / "lab.nii.gz", shape=(4, 10, 11))
    label[0, 0, 0] = 7
    write_nifti(tmp_path / "bad.nii.gz", label, affine)
    with pytest.raises(InputError, match=r"labels \[7\] outside"):
        load_label(tmp_path / "bad.nii.gz")
    assert not list(tmp_path.glob(".part-*"))  # atomic writes leave no temporaries


def test_manifest_with_phase_images_and_labels(tmp_path):
    record, truth = make_phantom(n_phases=6, n_slices=9, edv_ml=120, ef_pct=40, seed=7)
    paths = {}
    for name, phase in (("ed", record.ed), ("es", record.es)):
        paths[f"{name}_image_path"] = write_nifti(tmp_path / f"p_{name}.nii.gz", record.frames[phase], record.affine)
        paths[f"{name}_label_path"] = write_nifti(tmp_path / f"p_{name}_gt.nii.gz", record.labels[phase], record.affine)
    cols = list(paths)
    (tmp_path / "m.csv").write_text("subject," + ",".join(cols) + "\nsyn1," + ",".join(p.name for p in paths.values()))
    read = read_study(tmp_path / "m.csv")
    from cardio_monai.measure import record_volumes

    vols = record_volumes(read)
    assert vols["subject"] == "syn1"
    assert vols["EDV_ml"] == pytest.approx(truth.edv_ml, rel=0.01)
    assert vols["ESV_ml"] == pytest.approx(truth.esv_ml, rel=0.01)
