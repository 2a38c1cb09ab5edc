"""Shared helpers of the benchmark scripts: timing, a markdown table, and rewriting one script's
section of ``docs/benchmarks.md`` between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``."""

from __future__ import annotations

import datetime as _dt
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "benchmarks.md"
DATA = Path(os.environ.get("CARDIO_MONAI_DATA", REPO.parent / "shared" / "data"))  # read in place

HEADER = """# Benchmarks

Machine: 2 CPU cores (the budgets below assume 2 cores; `torch.set_num_threads(2)`).
Data: the real studies in `../shared/data` (read in place, never copied).

What each benchmark measures:

- `bench_read_dicom`: wall time to read the Sunnybrook study `SCD0000101` (240 DICOM files) into a
  study record with `cardio_monai.io.read_dicom_cine`, against a bare
  `[pydicom.dcmread(f).pixel_array for f in files]` loop over the same files, in the same run.
  Budget: reader / baseline <= 1.5.
- `bench_preprocess`: wall time of `cardio_monai.transforms.preprocess_record` on one study already
  in memory (read excluded), inference mode and with labels, over ACDC subjects and the Sunnybrook
  studies; baseline: a plain `np.percentile` + `np.clip` normalisation of the same (2, Z, H, W)
  ED/ES array. Budget: < 0.2 s per study.
- `bench_synthesize_masks`: synthetic subjects per second of `synthesize-masks` from the ACDC
  training label maps, NIfTI writing included, 2 worker processes; baseline: writing the sources'
  own label maps with the same writer. Budget: >= 100 subjects/s.
- `bench_sfera_inference`: SFERA per 10-slice study (model loaded, no grad, 2 threads) at the paper
  profile (150 px, 32 base channels) in two block layouts, eager and frozen TorchScript, and the
  shipped CPU profile; against a MONAI 2D UNet pass over the same 20 frames. Budget: <= 0.15 s.
- `bench_synthesize_images`: frames per second of `synthesize-images` with the GauGAN bundle's
  generator on a synthetic mask cohort (reading and writing included); baseline: the same loop
  without the generator (read the label maps, write images).
- `bench_readers`: per-study time of each reader of `predict` (SFERA, the segmenter, both on one read)
  against the bare pass of the segmenter's UNet over the same frames; and `predict` on the shipped sample
  from a cold process. Budget: <= 30 s.
- `bench_predict_scale`: `predict` over N = 1,000 studies (ACDC studies repeated under new ids through a
  manifest), the marginal time per study against the bare read of the same files in the same run, and the
  peak memory of the 1,000-study process against a 10-study one. Budgets: memory <= 1.5x, time per study
  <= 2x the bare read.
- `bench_startup`: cold processes: `python -c pass`, `import torch` (baseline), `import torch, monai`,
  the CLI's imports, `predict` on the sample with one reader and with both. Budget: <= 3 s for predict.

How to run (from the repository root; `--write` rewrites only that script's section below,
without it the table is only printed):

```
.venv/bin/python benchmarks/bench_read_dicom.py --write
.venv/bin/python benchmarks/bench_preprocess.py --write
.venv/bin/python benchmarks/bench_synthesize_masks.py --write
.venv/bin/python benchmarks/bench_sfera_inference.py --write
.venv/bin/python benchmarks/bench_synthesize_images.py --write
.venv/bin/python benchmarks/bench_readers.py --write
.venv/bin/python benchmarks/bench_predict_scale.py --write [--n 1000] [--readers sfera,seg]
.venv/bin/python benchmarks/bench_startup.py --write
```
"""


def time_once(fn: Callable[[], object]) -> float:
    """Seconds of one call of ``fn``."""
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def best_cold_wall(cmd: Sequence[str], repeats: int, cwd: str | Path) -> float:
    """Best wall time (s) of ``repeats`` fresh processes running ``cmd`` (imports included)."""
    import subprocess

    walls = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        proc = subprocess.run(list(cmd), capture_output=True, text=True, cwd=cwd)
        walls.append(time.perf_counter() - t0)
        if proc.returncode:
            raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr[-2000:]}")
    return min(walls)


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A markdown table; floats get 4 decimals."""

    def cell(v: object) -> str:
        return f"{v:.4f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def environment() -> str:
    """Date, python/torch/monai versions and the command line, as markdown lines."""
    import monai
    import torch

    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cmd = " ".join([Path(sys.executable).name, *sys.argv])
    return (
        f"- date: {now}\n"
        f"- python {platform.python_version()}, torch {torch.__version__}, monai {monai.__version__}, "
        f"torch threads {torch.get_num_threads()}\n"
        f"- command: `{cmd}`"
    )


def verdict(ok: bool, budget: str) -> str:
    return f"**{'PASS' if ok else 'FAIL'}** (budget: {budget})"


def write_section(name: str, body: str, doc: Path = DOC) -> None:
    """Replace the text between ``<!-- name:start -->`` and ``<!-- name:end -->`` in ``doc`` by
    ``body`` (appending the section, or creating the file with its header, when missing)."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{body.strip()}\n{end}"
    text = doc.read_text(encoding="utf-8") if doc.exists() else HEADER
    i, j = text.find(start), text.find(end)
    if i >= 0 and j > i:
        text = text[:i] + block + text[j + len(end) :]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text, encoding="utf-8")


def report(name: str, title: str, tab: str, summary: str, write: bool) -> None:
    """Print a benchmark's table and summary; with ``write`` also rewrite its section of the doc."""
    print(tab)
    print()
    print(summary)
    if write:
        write_section(name, f"## {title} (`{name}`)\n\n{environment()}\n\n{tab}\n\n{summary}\n")
        print(f"wrote section {name} of docs/benchmarks.md")
