"""Training/inference items of the regressor: targets from cardio_monai.volumes, collate, splits, ED/ES."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from cardio_monai.data import collate_studies, link_studies, split_datalist, study_datalist
from cardio_monai.errors import input_error_in
from cardio_monai.io import find_studies, read_study
from cardio_monai.io.phantom import make_phantom
from cardio_monai.keys import AREAS, IMAGE, MASK, VOLUMES, WARNING
from cardio_monai.transforms import study_preprocessing as LoadStudyd
from cardio_monai.transforms.phases import estimate_ed_es
from cardio_monai.volumes import lv_volume_ml


def test_item_targets_are_the_label_volumes_and_areas(phantom_acdc):
    source = find_studies(phantom_acdc)[0]
    item = LoadStudyd(pixel_mm=3.0, size=32)({"study": source, "subject": source.subject})
    record = source.read(with_labels=True)
    z = record.frames.shape[1]
    assert item[IMAGE].shape == (2, z, 32, 32) and item[IMAGE].dtype == torch.float32
    edv = lv_volume_ml(record.labels[record.ed], record.voxel_spacing)
    esv = lv_volume_ml(record.labels[record.es], record.voxel_spacing)
    np.testing.assert_allclose(item[VOLUMES].numpy(), [edv, esv], rtol=1e-5)
    # Volume by slice summation = sum of the per-slice areas x slice spacing (mm^3 -> ml).
    np.testing.assert_allclose(item[AREAS].sum(0).numpy() * record.slice_spacing / 1000, [edv, esv], rtol=1e-4)
    assert item[WARNING] == ""


def test_inference_item_reads_no_labels(phantom_acdc):
    source = find_studies(phantom_acdc)[0]
    item = LoadStudyd(pixel_mm=3.0, size=32, with_targets=False)({"study": source, "subject": source.subject})
    assert VOLUMES not in item and AREAS not in item


def test_label_crop_is_refused():
    with pytest.raises(ValueError, match="labels"):
        LoadStudyd(crop_centre="label")


def test_fewer_than_three_slices_is_an_error_naming_the_study(tmp_path):
    from cardio_monai.io.writers import write_acdc_patient

    rec, _ = make_phantom(n_phases=2, n_slices=2, shape=(64, 64), es_phase=1, subject="patient001")
    write_acdc_patient(rec, tmp_path / "patient001")
    source = find_studies(tmp_path)[0]
    with pytest.raises(RuntimeError) as wrapped:  # MONAI's Compose re-raises a transform's error
        LoadStudyd(pixel_mm=3.0, size=32)({"study": source, "subject": source.subject})
    err = input_error_in(wrapped.value)
    assert err is not None and re.search("2 slice.*at least 3", str(err)) and "patient001" in str(err)


def test_collate_pads_and_masks_variable_slice_counts(phantom_acdc):
    load = LoadStudyd(pixel_mm=3.0, size=32)
    items = [load({"study": s, "subject": s.subject}) for s in find_studies(phantom_acdc)[:3]]
    batch = collate_studies(items)
    counts = [int(i[IMAGE].shape[1]) for i in items]
    assert batch[IMAGE].shape == (3, 2, max(counts), 32, 32)
    assert batch[MASK].sum(1).tolist() == counts
    for k, z in enumerate(counts):
        assert torch.equal(batch[IMAGE][k, :, :z], items[k][IMAGE])
        assert float(batch[IMAGE][k, :, z:].abs().sum()) == 0.0
        assert bool(torch.isnan(batch[AREAS][k, z:]).all()) and bool(torch.isfinite(batch[AREAS][k, :z]).all())


def test_split_is_stratified_disjoint_and_covers_everything(acdc_dir):
    items = study_datalist(str(acdc_dir))
    seen = set()
    for fold in range(5):
        train, val = split_datalist(items, fold, 5, seed=0)
        val_ids = {i["subject"] for i in val}
        assert not val_ids & {i["subject"] for i in train} and len(train) + len(val) == 100
        groups = [i["group"] for i in val]
        assert {g: groups.count(g) for g in set(groups)} == {g: 4 for g in ("NOR", "MINF", "DCM", "HCM", "RV")}
        seen |= val_ids
    assert len(seen) == 100  # every subject is held out exactly once
    assert split_datalist(items, 0, 5, seed=0) == split_datalist(items, 0, 5, seed=0)


def test_linked_subset_reads_like_the_original(acdc_dir, tmp_path):
    items = study_datalist(acdc_dir)[:3]
    assert link_studies(items, tmp_path / "subset") == 3
    assert link_studies(items, tmp_path / "subset") == 3  # links that exist are kept
    again = study_datalist(tmp_path / "subset")
    assert [(i["subject"], i["group"]) for i in again] == [(i["subject"], i["group"]) for i in items]
    assert np.array_equal(again[0]["study"].read().frames, items[0]["study"].read().frames)


def test_ed_es_from_images_on_acdc_and_the_sample(acdc_dir, sample_dir):
    right = 0
    sources = find_studies(acdc_dir)[::5]
    for s in sources:
        rec = s.read(with_labels=False)
        right += estimate_ed_es(rec.frames, float(rec.pixel_spacing[0])) == (rec.ed, rec.es)
    assert right == len(sources)  # 100/100 on all of ACDC training (docs/preprocessing.md)
    rec = read_study(sample_dir, with_labels=True)  # ED/ES from the contours, for reference
    assert estimate_ed_es(rec.frames, float(rec.pixel_spacing[0])) == (rec.ed, rec.es)
