"""Write a synthetic mask cohort to a folder: the library behind ``synthesize-masks``.

Layout of OUT:

- ``<subject>_ED.nii.gz``, ``<subject>_ES.nii.gz``: uint8 label maps (0 bg, 1 RV, 2 myocardium,
  3 LV cavity) on the source's grid cropped around the heart (affine and spacing in the header);
- ``manifest.csv``: ``subject, source_subject, operation, EDV_ml, ESV_ml, EF_pct, ed_path, es_path``;
- ``ef_histogram.png`` (source vs synthetic EF), ``examples.png`` (mid-ventricular slices);
- ``run.json``: the run's parameters (a run with other parameters refuses the folder);
- ``summary.json``: counts of subjects and of plausibility fixes, the EF distribution and a chi-square
  p-value of the cohort's EF against it (``chi2_p_uniform`` or ``chi2_p_sources``, the other null);
- ``.journal/``: one line per finished subject (per shard), so that a killed run resumes.

Subject ``k`` depends only on (seed, k), so shards ``I/K`` (subjects k = I mod K) are disjoint and
their union is the unsharded cohort; shards may share OUT (each keeps its own journal).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from cardio_monai.columns import MASK_MANIFEST_COLUMNS
from cardio_monai.errors import InputError, ParameterError
from cardio_monai.evaluation.cohort_figures import plot_ef_histogram, plot_examples
from cardio_monai.io import check_output, find_studies, safe_name
from cardio_monai.io.writers import write_nifti
from cardio_monai.synthesis.cohort_journal import FIX_NAMES, journal_path, journal_record, journal_rows, open_journal
from cardio_monai.synthesis.ef_targets import (
    UnreachableEF,
    check_ef_distribution,
    check_source_efs,
    chi2_sources_p,
    chi2_uniform_p,
)
from cardio_monai.synthesis.sampler import Synthetic, synthesize_subject
from cardio_monai.synthesis.sources import SourceMasks, prepare_source
from cardio_monai.utils import atomic_path, progress, write_csv
from cardio_monai.utils.parallel import max_workers, parse_shard
from cardio_monai.volumes import check_thickness

RUN_FILE = "run.json"
FORMAT_VERSION = 1
MAX_SUBJECTS = 10_000_000  # a cohort larger than this is a typo (its index list alone would be large)
_RUN_DEFAULTS = {"ef_distribution": "uniform"}  # what a run.json written before a parameter existed meant


def _is_int(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | np.integer)


def check_count(n: object) -> int:
    """The cohort size: a positive integer (else :class:`ParameterError` naming ``n``)."""
    if not _is_int(n) or int(n) <= 0:
        raise ParameterError("n", f"{n!r} is not a positive integer number of subjects")
    if int(n) > MAX_SUBJECTS:
        raise ParameterError("n", f"{n!r} subjects is more than the {MAX_SUBJECTS:,} a cohort may have")
    return int(n)


def check_parameters(
    n: object, seed: object, workers: object, thickness_mm: float | None, ef_distribution: object = "uniform"
) -> None:
    """Raise :class:`ParameterError` naming the first of ``n``, ``seed``, ``workers``, ``thickness_mm``,
    ``ef_distribution`` out of range."""
    check_count(n)
    if not _is_int(seed) or int(seed) < 0:
        raise ParameterError("seed", f"{seed!r} is not a non-negative integer")
    if not _is_int(workers) or int(workers) < 1:
        raise ParameterError("workers", f"{workers!r} is not a positive integer")
    if int(workers) > max_workers():
        raise ParameterError("workers", f"{workers!r} is more than {max_workers()} (twice the CPU cores)")
    check_thickness(thickness_mm)
    check_ef_distribution(ef_distribution)


def run_parameters(
    input_path: str | Path, n: int, seed: int, thickness_mm: float | None, ef_distribution: str = "uniform"
) -> dict:
    """What makes two runs the same cohort (shard and workers do not)."""
    return {
        "format": FORMAT_VERSION,
        "input": str(Path(input_path).resolve()),
        "n": int(n),
        "seed": int(seed),
        "thickness_mm": None if thickness_mm is None else float(thickness_mm),
        "ef_distribution": str(ef_distribution),
    }


def check_out_dir(out: Path, params: dict) -> bool:
    """Refuse an OUT holding another run's files; True when OUT already holds this run."""
    if not out.exists():
        return False
    if not out.is_dir():
        raise InputError(out, "exists and is not a folder")
    run_file = out / RUN_FILE
    if run_file.is_file():
        try:
            old = json.loads(run_file.read_text())
        except (OSError, ValueError):
            raise InputError(run_file, "unreadable; the folder holds another run's files") from None
        recorded = {k: old.get(k, _RUN_DEFAULTS.get(k)) for k in params}
        diff = [k for k in params if recorded[k] != params[k]]
        if diff:
            k = diff[0]
            raise InputError(
                out, f"holds another run's files ({k}={recorded[k]!r}, this run {k}={params[k]!r}); use a new --out"
            )
        return True
    if any(out.iterdir()):
        raise InputError(out, "holds files but no run.json (not a synthesize-masks output); use an empty or new --out")
    return False


def load_sources(input_path: str | Path, thickness_mm: float | None = None) -> list[SourceMasks]:
    """Read and prepare every study of INPUT (each needs ED and ES label maps)."""
    studies = find_studies(input_path)
    return [prepare_source(s.read(with_labels=True), thickness_mm) for s in progress(studies, desc="sources")]


# --- workers ----------------------------------------------------------------------------------


class SubjectWriter:
    """Make synthetic subject ``index`` of the cohort (seed, sources) and write its label maps to OUT;
    returns its journal row."""

    def __init__(
        self,
        sources: list[SourceMasks],
        seed: int,
        thickness_mm: float | None,
        out: Path,
        ef_distribution: str = "uniform",
    ):
        self.sources, self.seed, self.thickness_mm, self.out = sources, int(seed), thickness_mm, Path(out)
        self.ef_distribution = ef_distribution

    def __call__(self, index: int) -> dict:
        syn = synthesize_subject(index, self.sources, self.seed, self.thickness_mm, self.ef_distribution)
        return _write_subject(syn, self.out)


_worker_writer: SubjectWriter | None = None  # a pool worker's own writer, set once by _init_worker


def _init_worker(writer: SubjectWriter) -> None:
    global _worker_writer
    _worker_writer = writer


def _work(index: int) -> dict:
    return _worker_writer(index)


def _write_subject(syn: Synthetic, out: Path) -> dict:
    ed_name, es_name = f"{safe_name(syn.subject)}_ED.nii.gz", f"{safe_name(syn.subject)}_ES.nii.gz"
    write_nifti(out / ed_name, syn.ed, syn.affine)
    write_nifti(out / es_name, syn.es, syn.affine)
    row = {
        "index": syn.index,
        "subject": syn.subject,
        "source_subject": syn.source_subject,
        "operation": syn.operation,
        "EDV_ml": syn.edv_ml,
        "ESV_ml": syn.esv_ml,
        "EF_pct": syn.ef_pct,
        "ed_path": ed_name,
        "es_path": es_name,
    }
    row.update({k: int(syn.fixes.get(k, 0)) for k in FIX_NAMES})
    return row


def generate_subjects(indices: list[int], writer: SubjectWriter, workers: int) -> Iterator[dict]:
    """Journal rows of the subjects ``indices`` (any order), made by ``writer`` in ``workers`` processes
    (forked, each given the writer once by its initializer)."""
    if workers <= 1 or len(indices) < 2:
        yield from map(writer, indices)
        return
    import multiprocessing as mp

    workers = min(workers, len(indices))  # never more processes than subjects
    chunk = max(1, min(64, len(indices) // (workers * 8)))
    with mp.get_context("fork").Pool(workers, initializer=_init_worker, initargs=(writer,)) as pool:
        yield from pool.imap_unordered(_work, indices, chunksize=chunk)


# --- the run ----------------------------------------------------------------------------------


def synthesize_cohort(
    input_path: str | Path,
    out: str | Path,
    n: int,
    seed: int = 0,
    shard: str | None = None,
    workers: int = 1,
    thickness_mm: float | None = None,
    ef_distribution: str = "uniform",
) -> dict:
    """Generate (or finish) the synthetic cohort ``(input, n, seed)`` in OUT; returns the summary.

    ``ef_distribution`` (``uniform`` or ``sources``, :mod:`cardio_monai.synthesis.sampler`) is the
    distribution of the subjects' target EF, recorded in ``run.json`` (a folder of another is refused).

    Every bad input raises before anything is written: :class:`InputError` for the data,
    :class:`ParameterError` (a ``ValueError`` naming the parameter) for an argument out of range.
    """
    n = check_count(n)
    shard_i, shard_k = parse_shard(shard)
    check_parameters(n, seed, workers, thickness_mm, ef_distribution)
    out = Path(out)
    check_output(out, input_path, file=False)
    params = run_parameters(input_path, n, seed, thickness_mm, ef_distribution)
    created = not out.exists()
    fresh = not check_out_dir(out, params) and shard_k == 1  # everything in OUT will be this run's
    sources = load_sources(input_path, thickness_mm)  # validates every source before any write
    if ef_distribution == "sources":
        check_source_efs(np.array([s.ef_pct for s in sources]), input_path)

    out.mkdir(parents=True, exist_ok=True)
    if not (out / RUN_FILE).is_file():
        with atomic_path(out / RUN_FILE) as tmp:
            tmp.write_text(json.dumps(params, indent=1) + "\n")
    if shard_k == 1:  # temporary files of a killed run (shards sharing OUT may be writing theirs)
        for tmp in out.glob(".part-*"):
            tmp.unlink(missing_ok=True)
    done = journal_rows(out)
    todo = [k for k in range(shard_i, n, shard_k) if k not in done]
    writer = SubjectWriter(sources, int(seed), thickness_mm, out, ef_distribution)
    journal = journal_path(out, (shard_i, shard_k))
    try:
        with open_journal(journal) as fh:
            lines = csv.writer(fh)
            for row in progress(generate_subjects(todo, writer, int(workers)), total=len(todo), desc="synthesize"):
                lines.writerow(journal_record(row))
                fh.flush()
                done[int(row["index"])] = row
    except UnreachableEF as err:  # the sources' EF range is too narrow for the uniform target
        if fresh:  # nothing of a failed new run is left behind
            _remove_contents(out, created)
        raise InputError(input_path, f"{err}; the source label maps cannot cover EF 10-80 %") from None
    return finish_cohort(out, sources, shard=(shard_i, shard_k), n=n, ef_distribution=ef_distribution)


def _remove_contents(out: Path, remove_folder: bool) -> None:
    for child in out.iterdir():
        shutil.rmtree(child) if child.is_dir() else child.unlink()
    if remove_folder:
        out.rmdir()


def finish_cohort(
    out: Path, sources: list[SourceMasks], shard: tuple[int, int], n: int, ef_distribution: str = "uniform"
) -> dict:
    """Rebuild manifest.csv (every finished subject in OUT, in cohort order), the figures and the summary;
    its chi-square p-value tests EF against the cohort's own target distribution (the other one is null)."""
    rows_by_index = journal_rows(out)
    rows = [rows_by_index[k] for k in sorted(rows_by_index)]
    write_csv(out / "manifest.csv", rows, MASK_MANIFEST_COLUMNS, float_format="{:.4f}")
    ef = np.array([r["EF_pct"] for r in rows])
    fixes = {k: int(sum(r[k] for r in rows)) for k in FIX_NAMES}
    mine = [k for k in range(shard[0], n, shard[1])]
    source_ef = np.array([s.ef_pct for s in sources])
    uniform = ef_distribution == "uniform"
    summary = {
        "subjects_in_manifest": len(rows),
        "subjects_of_this_shard": len(mine),
        "complete": len(rows) == n,
        "sources": len(sources),
        "ef_distribution": ef_distribution,
        "ef_pct_min": float(ef.min()) if ef.size else None,
        "ef_pct_max": float(ef.max()) if ef.size else None,
        "chi2_p_uniform": chi2_uniform_p(ef) if ef.size and uniform else None,
        "chi2_p_sources": chi2_sources_p(ef, source_ef) if ef.size and not uniform else None,
        "plausibility_fixes_slices": fixes,
    }
    with atomic_path(out / "summary.json") as tmp:
        tmp.write_text(json.dumps(summary, indent=1) + "\n")
    plot_ef_histogram(out / "ef_histogram.png", source_ef, ef)
    plot_examples(out / "examples.png", out, rows)
    return summary


def cohort_files(out: Path) -> list[str]:
    """Names of the label-map files in OUT (for tests and disk figures)."""
    return sorted(p for p in os.listdir(out) if p.endswith(".nii.gz"))
