"""``predict``: EDV, ESV and EF of studies on disk by one or both independent readers, SFERA (no
segmentation) and the LV segmenter, combined (:mod:`cardio_monai.readers.combine`) and checked against
each other; optionally the segmenter's label maps and contour sheets (:mod:`cardio_monai.readers.masks`).

Each study is read once (with ``workers``, by processes ahead of the readers: :mod:`cardio_monai.readers.reads`);
its ED/ES are those the study names or, else, estimated from the images once for both readers. No label
is read: honest inference.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cardio_monai.columns import PREDICTION_COLUMNS, READER_COLUMNS, READERS_AGREE, WARNING
from cardio_monai.data import SAMPLE_DIR
from cardio_monai.errors import InputError, ParameterError, input_error_in
from cardio_monai.io import StudyRecord, StudySource, check_output, find_studies, shared_source
from cardio_monai.keys import RECORD
from cardio_monai.readers.combine import Combination
from cardio_monai.readers.masks import check_mask_dir, save_study_masks
from cardio_monai.readers.reads import read_ahead
from cardio_monai.regression.predict import DEFAULT_BUNDLE as SFERA_BUNDLE
from cardio_monai.regression.predict import load_bundle, predict_study
from cardio_monai.segmentation import SegmentationResult, load_segmenter, segment_study, segmented_ed_es
from cardio_monai.segmentation.predict import DEFAULT_BUNDLE as SEG_BUNDLE
from cardio_monai.transforms import ChoosePhasesd
from cardio_monai.utils import progress, write_csv
from cardio_monai.utils.device import resolve_device
from cardio_monai.utils.memory import release_free_memory
from cardio_monai.utils.parallel import check_workers, shard_items
from cardio_monai.volumes import ejection_fraction_pct

READERS = ("sfera", "seg")
COMBINATION_FILE = Path("models") / "combination.json"
"""The combination fitted on the cross-validation predictions, in the segmentation bundle."""


def parse_readers(readers: str | Sequence[str]) -> tuple[str, ...]:
    """``"sfera,seg"`` (or a sequence) -> the readers in a fixed order; unknown or no readers is a ParameterError."""
    names = [r.strip() for r in (readers.split(",") if isinstance(readers, str) else readers) if str(r).strip()]
    unknown = [r for r in names if r not in READERS]
    if unknown or not names:
        raise ParameterError(
            "readers", f"{','.join(unknown) or 'none'}: choose from {', '.join(READERS)} (e.g. sfera,seg)"
        )
    return tuple(r for r in READERS if r in names)


def _numbers(edv: float, esv: float, sds: tuple[float, float, float]) -> dict[str, float]:
    return {
        "EDV_ml": edv,
        "ESV_ml": esv,
        "EF_pct": float(ejection_fraction_pct(edv, esv)),
        "EDV_sd_ml": sds[0],
        "ESV_sd_ml": sds[1],
        "EF_sd_pct": sds[2],
    }


def combined_row(subject: str, sfera: dict | None, seg, combination: Combination | None, notes: list[str]) -> dict:
    """One CSV row from SFERA's row and/or the segmenter's result (see the module docstring)."""
    row: dict[str, Any] = {"subject": subject}
    if sfera is not None:
        row.update({f"sfera_{c}": sfera[c] for c in ("EDV_ml", "ESV_ml", "EF_pct")})
        notes += [sfera[WARNING]] if sfera.get(WARNING) else []
    if seg is not None:
        row.update({"seg_EDV_ml": seg.edv_ml, "seg_ESV_ml": seg.esv_ml, "seg_EF_pct": seg.ef_pct})
        notes += [seg.warning] if seg.warning else []
    seg_ok = seg is not None and not seg.warning
    if sfera is not None and seg is None:
        row.update({c: sfera[c] for c in PREDICTION_COLUMNS[1:]})
    elif sfera is None:
        if seg_ok:
            row.update(_numbers(seg.edv_ml, seg.esv_ml, combination.seg.sds(seg.edv_ml, seg.esv_ml)))
    elif not seg_ok:  # the segmenter could not measure this study: SFERA alone, said in the warning
        edv, esv = sfera["EDV_ml"], sfera["ESV_ml"]
        row.update(_numbers(edv, esv, combination.sfera.sds(edv, esv)))
        notes.append("combined estimate is SFERA's alone")
    else:
        pair_f, pair_s = (sfera["EDV_ml"], sfera["ESV_ml"]), (seg.edv_ml, seg.esv_ml)
        edv, esv, _ = combination.combine(pair_f, pair_s)
        row.update(_numbers(edv, esv, combination.combined.sds(edv, esv)))
        row[READERS_AGREE] = combination.agree(pair_f, pair_s)
        if not row[READERS_AGREE]:
            notes.append(
                f"the readers disagree (EF {sfera['EF_pct']:.0f} % by SFERA, {seg.ef_pct:.0f} % by segmentation): "
                "check the contours"
            )
    row[WARNING] = "; ".join(n for n in notes if n)
    return row


def choose_phases(record: StudyRecord, seg: tuple | None) -> tuple[str, int | None]:
    """Set the record's ED/ES where the study does not name them, and say how: with the segmenter, the
    phases of largest and smallest segmented LV volume; without it, or where it finds no LV in any phase
    (its own row then says so), the intensity heuristic. Returns the note and, where the segmenter read the
    cine, the orientation it read it in (None otherwise)."""
    if record.ed is not None and record.es is not None:
        return "", None
    if seg is None or record.n_phases < 2:
        return ChoosePhasesd()({RECORD: record})[WARNING], None
    network, _, grid = seg
    try:
        record.ed, record.es, orientation = segmented_ed_es(
            network, record.frames, record.pixel_spacing, record.slice_spacing, **grid
        )
    except InputError as err:  # no LV in any phase: the heuristic's phases, and the segmenter's row warns
        return f"{err.problem}; " + ChoosePhasesd()({RECORD: record})[WARNING], None
    note = f"ED/ES not given: phases {record.ed} and {record.es}, of largest and smallest LV volume by the segmenter"
    return note, orientation


def load_readers(
    readers: Sequence[str] = READERS,
    bundle: str | Path | None = None,
    seg_bundle: str | Path | None = None,
    device: Any = "cpu",
) -> tuple[tuple | None, tuple | None, Combination | None]:
    """The ``readers`` loaded from their bundles (default: the package's): SFERA's (network, preprocessing),
    the segmenter's (network, preprocessing, grid) and the combination fitted on their cross-validation
    predictions (in the segmentation bundle); None for a reader not asked for. Weights load with
    ``weights_only=True``."""
    sfera = load_bundle(bundle, device) if "sfera" in readers else None
    seg = load_segmenter(seg_bundle, device) if "seg" in readers else None
    combination = Combination.load(Path(seg_bundle or SEG_BUNDLE) / COMBINATION_FILE) if seg else None
    return sfera, seg, combination


def measure_study(
    record: StudyRecord,
    source: StudySource,
    sfera: tuple | None,
    seg: tuple | None,
    combination: Combination | None,
    device: Any = "cpu",
) -> tuple[dict[str, Any], SegmentationResult | None]:
    """One study read (``record``, and ``source`` handing out label-free copies of it) measured by the loaded
    readers (SFERA's (network, preprocessing), the segmenter's (network, preprocessing, grid), either None):
    ED/ES chosen once for both, then the predictions CSV row and the segmenter's result.

    Raises:
        InputError: a reader cannot measure the study (MONAI's ``Compose`` wrapper removed).
    """
    try:
        phase_note, orientation = choose_phases(record, seg)
        sfera_row = predict_study(*sfera, source, device) if sfera else None
        result = segment_study(*seg[:2], source, orientation)[0] if seg else None
    except (InputError, RuntimeError) as wrapped:
        err = input_error_in(wrapped)
        if err is None:
            raise
        raise err from None
    return combined_row(record.subject, sfera_row, result, combination, [phase_note]), result


def write_rows(out: str | Path, rows: list[dict], readers: tuple[str, ...]) -> None:
    """The predictions CSV: the combined columns, each reader's when both ran, ``warning`` when any row has one."""
    columns = PREDICTION_COLUMNS + (READER_COLUMNS if len(readers) == 2 else ())
    columns += (WARNING,) if any(r.get(WARNING) for r in rows) else ()
    write_csv(out, [{k: r.get(k, "") for k in columns} for r in rows], columns)


def predict_studies(
    input_path: str | Path | None,
    out: str | Path,
    readers: str | Sequence[str] = "sfera,seg",
    bundle: str | Path | None = None,
    seg_bundle: str | Path | None = None,
    save_masks: str | Path | None = None,
    device: str | None = "cpu",
    skip_bad: bool = False,
    shard: str | None = None,
    workers: int = 0,
) -> list[dict[str, Any]]:
    """Predict every study of INPUT (default: the shipped sample) and write ``out`` (CSV).

    Args:
        readers: ``sfera``, ``seg`` or both (default); alone, SFERA's row is the SFERA bundle's output.
        bundle, seg_bundle: the SFERA and segmentation bundle folders (default: those of the package).
        save_masks: folder for the segmenter's ED/ES label maps (NIfTI, the input's geometry) and one
            contour PNG per study; checked before any work.
        skip_bad: a bad study gets a row with empty numbers and the reason in ``warning``.
        shard: ``I/K``: only studies k = I mod K of INPUT (K shards together are the whole run; their CSVs
            join with :func:`cardio_monai.readers.merge_predictions`).
        workers: processes that read the studies ahead of the readers (0: the main process reads).
    """
    chosen = parse_readers(readers)
    if save_masks is not None and "seg" not in chosen:
        raise ParameterError("save_masks", "needs the segmentation reader (--readers sfera,seg or seg)")
    dev = resolve_device(device)
    source_path = SAMPLE_DIR if input_path is None else input_path
    workers = check_workers(workers)
    studies = shard_items(find_studies(source_path), shard)
    check_output(out, source_path, bundle or SFERA_BUNDLE, seg_bundle or SEG_BUNDLE)
    if save_masks is not None:
        check_mask_dir(save_masks, source_path)
    sfera, seg, combination = load_readers(chosen, bundle, seg_bundle, dev)
    rows: list[dict[str, Any]] = []
    for study, record, error in progress(read_ahead(studies, workers), total=len(studies), desc="predict"):
        release_free_memory()  # else the heap keeps the temporaries of every study size met (utils.memory)
        try:
            if error is not None:
                raise error
            row, result = measure_study(record, shared_source(study, record), sfera, seg, combination, dev)
        except InputError as err:
            if not skip_bad:
                raise err from None
            warnings.warn(str(err), stacklevel=2)
            rows.append({"subject": study.subject, WARNING: str(err)})
            continue
        if result is not None and save_masks is not None:
            save_study_masks(save_masks, record, result.labels)
        rows.append(row)
    write_rows(out, rows, chosen)
    return rows
