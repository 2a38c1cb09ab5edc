"""Write a synthetic mask cohort to a folder: the library behind ``synthesize-masks``.

Layout of OUT:

- ``<subject>_ED.nii.gz``, ``<subject>_ES.nii.gz``: uint8 label maps (0 bg, 1 RV, 2 myocardium,
  3 LV cavity) on the source's grid cropped around the heart (affine and spacing in the header);
- ``manifest.csv``: ``subject, source_subject, operation, EDV_ml, ESV_ml, EF_pct, ed_path, es_path``;
- ``ef_histogram.png`` (source vs synthetic EF), ``examples.png`` (mid-ventricular slices);
- ``run.json``: the run's parameters (a run with other parameters refuses the folder);
- ``summary.json``: counts of subjects and of plausibility fixes;
- ``.journal/``: one line per finished subject (per shard), so that a killed run resumes.

Subject ``k`` depends only on (seed, k), so shards ``I/K`` (subjects k = I mod K) are disjoint and
their union is the unsharded cohort; shards may share OUT (each keeps its own journal).
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from cardio_monai.constants import EF_MAX_PCT, EF_MIN_PCT, SYN_CHI2_BINS, SYN_EXAMPLES
from cardio_monai.io import InputError, find_studies
from cardio_monai.io.writers import write_nifti
from cardio_monai.synthesis.masks import SourceMasks, prepare_source
from cardio_monai.synthesis.sampler import Synthetic, UnreachableEF, synthesize_subject
from cardio_monai.utils import atomic_path, progress, write_csv

MANIFEST_COLUMNS = ("subject", "source_subject", "operation", "EDV_ml", "ESV_ml", "EF_pct", "ed_path", "es_path")
FIX_NAMES = ("cavity_components", "cavity_holes", "open_myocardium", "myocardium_holes", "background_holes")
RUN_FILE = "run.json"
JOURNAL_DIR = ".journal"
FORMAT_VERSION = 1
_JOURNAL_FIELDS = ("index", *MANIFEST_COLUMNS, *FIX_NAMES)


def parse_shard(spec: str | None) -> tuple[int, int]:
    """``"I/K"`` -> (I, K) with 0 <= I < K; None -> (0, 1)."""
    if spec is None:
        return 0, 1
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(spec))
    if not m or not int(m.group(1)) < int(m.group(2)):
        raise InputError("--shard", f"{spec!r} is not I/K with 0 <= I < K (e.g. 0/4)")
    return int(m.group(1)), int(m.group(2))


def check_count(n: object) -> int:
    """The cohort size: a positive integer."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or int(n) <= 0:
        raise InputError("--n", f"{n!r} is not a positive integer number of subjects")
    return int(n)


def run_parameters(input_path: str | Path, n: int, seed: int, thickness_mm: float | None) -> dict:
    """What makes two runs the same cohort (shard and workers do not)."""
    return {
        "format": FORMAT_VERSION,
        "input": str(Path(input_path).resolve()),
        "n": int(n),
        "seed": int(seed),
        "thickness_mm": None if thickness_mm is None else float(thickness_mm),
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
        diff = [k for k in params if old.get(k) != params[k]]
        if diff:
            k = diff[0]
            raise InputError(
                out, f"holds another run's files ({k}={old.get(k)!r}, this run {k}={params[k]!r}); use a new --out"
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

_STATE: dict = {}


def _make_one(index: int) -> dict:
    syn = synthesize_subject(index, _STATE["sources"], _STATE["seed"], _STATE["thickness_mm"])
    return _write_subject(syn, _STATE["out"])


def _write_subject(syn: Synthetic, out: Path) -> dict:
    ed_name, es_name = f"{syn.subject}_ED.nii.gz", f"{syn.subject}_ES.nii.gz"
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


def _generate(indices: list[int], workers: int) -> Iterator[dict]:
    if workers <= 1 or len(indices) < 2:
        yield from map(_make_one, indices)
        return
    import multiprocessing as mp

    chunk = max(1, min(64, len(indices) // (workers * 8)))
    with mp.get_context("fork").Pool(workers) as pool:  # the prepared sources are inherited
        yield from pool.imap_unordered(_make_one, indices, chunksize=chunk)


# --- journal ----------------------------------------------------------------------------------


def _journal_rows(out: Path) -> dict[int, dict]:
    """Finished subjects from every journal of OUT whose two files exist (torn lines ignored)."""
    rows: dict[int, dict] = {}
    folder = out / JOURNAL_DIR
    if not folder.is_dir():
        return rows
    for path in sorted(folder.glob("*.csv")):
        with open(path, newline="") as fh:
            for rec in csv.reader(fh):
                if len(rec) != len(_JOURNAL_FIELDS) or not rec[0].isdigit():
                    continue
                row = dict(zip(_JOURNAL_FIELDS, rec))
                try:
                    for k in ("EDV_ml", "ESV_ml", "EF_pct"):
                        row[k] = float(row[k])
                    for k in FIX_NAMES:
                        row[k] = int(row[k])
                except ValueError:
                    continue
                if (out / row["ed_path"]).is_file() and (out / row["es_path"]).is_file():
                    rows[int(rec[0])] = row
    return rows


def _journal_record(row: dict) -> list[str]:
    return [repr(row[k]) if isinstance(row[k], float) else str(row[k]) for k in _JOURNAL_FIELDS]


# --- the run ----------------------------------------------------------------------------------


def synthesize_cohort(
    input_path: str | Path,
    out: str | Path,
    n: int,
    seed: int = 0,
    shard: str | None = None,
    workers: int = 1,
    thickness_mm: float | None = None,
) -> dict:
    """Generate (or finish) the synthetic cohort ``(input, n, seed)`` in OUT; returns the summary.

    Every bad input raises :class:`InputError` before anything is written.
    """
    n = check_count(n)
    shard_i, shard_k = parse_shard(shard)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or int(seed) < 0:
        raise InputError("--seed", f"{seed!r} is not a non-negative integer")
    if isinstance(workers, bool) or not isinstance(workers, int | np.integer) or int(workers) < 1:
        raise InputError("--workers", f"{workers!r} is not a positive integer")
    if thickness_mm is not None and not float(thickness_mm) > 0:
        raise InputError("--thickness-mm", f"{thickness_mm!r} is not a positive thickness")
    out = Path(out)
    params = run_parameters(input_path, n, seed, thickness_mm)
    check_out_dir(out, params)
    sources = load_sources(input_path, thickness_mm)  # validates every source before any write

    out.mkdir(parents=True, exist_ok=True)
    if not (out / RUN_FILE).is_file():
        with atomic_path(out / RUN_FILE) as tmp:
            tmp.write_text(json.dumps(params, indent=1) + "\n")
    if shard_k == 1:  # temporary files of a killed run (shards sharing OUT may be writing theirs)
        for tmp in out.glob(".part-*"):
            tmp.unlink(missing_ok=True)
    done = _journal_rows(out)
    todo = [k for k in range(shard_i, n, shard_k) if k not in done]
    _STATE.update(sources=sources, seed=int(seed), thickness_mm=thickness_mm, out=out)
    journal = out / JOURNAL_DIR / f"shard-{shard_i}-of-{shard_k}.csv"
    journal.parent.mkdir(exist_ok=True)
    with open(journal, "a", newline="") as fh:
        writer = csv.writer(fh)
        try:
            for row in progress(_generate(todo, int(workers)), total=len(todo), desc="synthesize"):
                writer.writerow(_journal_record(row))
                fh.flush()
                done[int(row["index"])] = row
        except UnreachableEF as err:  # the sources' EF range is too narrow for the uniform target
            raise InputError(input_path, f"{err}; the source label maps cannot cover EF 10-80 %") from None
    return finish_cohort(out, sources, shard=(shard_i, shard_k), n=n)


def finish_cohort(out: Path, sources: list[SourceMasks], shard: tuple[int, int], n: int) -> dict:
    """Rebuild manifest.csv (every finished subject in OUT, in cohort order), the figures and the summary."""
    rows_by_index = _journal_rows(out)
    rows = [rows_by_index[k] for k in sorted(rows_by_index)]
    write_csv(out / "manifest.csv", rows, MANIFEST_COLUMNS, float_format="{:.4f}")
    ef = np.array([r["EF_pct"] for r in rows])
    fixes = {k: int(sum(r[k] for r in rows)) for k in FIX_NAMES}
    mine = [k for k in range(shard[0], n, shard[1])]
    summary = {
        "subjects_in_manifest": len(rows),
        "subjects_of_this_shard": len(mine),
        "complete": len(rows) == n,
        "sources": len(sources),
        "ef_pct_min": float(ef.min()) if ef.size else None,
        "ef_pct_max": float(ef.max()) if ef.size else None,
        "chi2_p_uniform": chi2_uniform_p(ef) if ef.size else None,
        "plausibility_fixes_slices": fixes,
    }
    with atomic_path(out / "summary.json") as tmp:
        tmp.write_text(json.dumps(summary, indent=1) + "\n")
    plot_ef_histogram(out / "ef_histogram.png", np.array([s.ef_pct for s in sources]), ef)
    plot_examples(out / "examples.png", out, rows)
    return summary


def chi2_uniform_p(ef_pct: np.ndarray, bins: int = SYN_CHI2_BINS) -> float:
    """p-value of a chi-square test of EF uniform on [EF_MIN_PCT, EF_MAX_PCT] over equal bins."""
    from scipy.stats import chisquare

    counts, _ = np.histogram(ef_pct, bins=bins, range=(EF_MIN_PCT, EF_MAX_PCT))
    return float(chisquare(counts).pvalue)


def plot_ef_histogram(path: Path, source_ef: np.ndarray, synthetic_ef: np.ndarray) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    edges = np.linspace(0, 100, 41)
    ax.hist(source_ef, bins=edges, density=True, alpha=0.6, label=f"source (n={len(source_ef)})")
    ax.hist(synthetic_ef, bins=edges, density=True, alpha=0.6, label=f"synthetic (n={len(synthetic_ef)})")
    ax.axvspan(EF_MIN_PCT, EF_MAX_PCT, color="0.9", zorder=0)
    ax.set_xlabel("EF (%)")
    ax.set_ylabel("density")
    ax.legend()
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    plt.close(fig)


def plot_examples(path: Path, out: Path, rows: list[dict], count: int = SYN_EXAMPLES) -> None:
    """ED and ES mid-ventricular slices of up to ``count`` subjects spread over the EF range."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from cardio_monai.io import load_label

    if not rows:
        return
    chosen = sorted(rows, key=lambda r: r["EF_pct"])
    chosen = [chosen[i] for i in np.unique(np.linspace(0, len(chosen) - 1, min(count, len(chosen))).astype(int))]
    fig, axes = plt.subplots(2, len(chosen), figsize=(2 * len(chosen), 4.4), squeeze=False)
    for j, r in enumerate(chosen):
        for i, key in enumerate(("ed_path", "es_path")):
            lab = load_label(out / r[key])
            z = int(np.argmax((lab == 3).sum(axis=(1, 2))))
            axes[i, j].imshow(lab[z], cmap="viridis", vmin=0, vmax=3, interpolation="nearest")
            axes[i, j].set_xticks([])
            axes[i, j].set_yticks([])
        axes[0, j].set_title(f"EF {r['EF_pct']:.0f}%\n{r['operation'].split('(')[0]}", fontsize=8)
    axes[0, 0].set_ylabel("ED")
    axes[1, 0].set_ylabel("ES")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=90, format="png")
    plt.close(fig)


def cohort_files(out: Path) -> list[str]:
    """Names of the label-map files in OUT (for tests and disk figures)."""
    return sorted(p for p in os.listdir(out) if p.endswith(".nii.gz"))
