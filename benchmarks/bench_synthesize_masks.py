"""Synthetic mask cohort throughput (subjects/s, writing included) from the ACDC training set.

Times, on the same prepared sources: (1) the synthesis + NIfTI writing of N subjects with W worker
processes (the loop of ``synthesize-masks``), (2) the source preparation (read + crop + SDTs, once per
run), (3) the manifest and figures; baseline: writing the sources' own ED/ES label maps with the
same writer (the floor of the per-subject cost). Also reports bytes per subject on disk.

Run ``python benchmarks/bench_synthesize_masks.py [--write] [--n N] [--workers W]``; ``--write``
rewrites this script's section of ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import DATA, environment, table, verdict, write_section

from cardio_monai.io.writers import write_nifti
from cardio_monai.synthesis import cohort
from cardio_monai.synthesis.cohort_journal import journal_path, journal_record

NAME = "bench_synthesize_masks"
ACDC = DATA / Path("acdc/training")
BUDGET_PER_S = 100.0
PAPER_N = 22653


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite this section of docs/benchmarks.md")
    parser.add_argument("--n", type=int, default=2000, help="synthetic subjects to make")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    args = parser.parse_args()

    t0 = time.perf_counter()
    sources = cohort.load_sources(ACDC)
    t_prep = time.perf_counter() - t0

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "cohort"
        out.mkdir()
        base = Path(tmp) / "baseline"
        t0 = time.perf_counter()
        for s in sources:
            write_nifti(base / f"{s.subject}_ED.nii.gz", s.labels["ed"], s.affine)
            write_nifti(base / f"{s.subject}_ES.nii.gz", s.labels["es"], s.affine)
        t_base = (time.perf_counter() - t0) / len(sources)

        writer = cohort.SubjectWriter(sources, 0, None, out)
        t0 = time.perf_counter()
        rows = list(cohort.generate_subjects(list(range(args.n)), writer, args.workers))
        t_syn = time.perf_counter() - t0
        t0 = time.perf_counter()
        import csv

        journal = journal_path(out, (0, 1))
        journal.parent.mkdir()
        with open(journal, "w", newline="") as fh:
            csv.writer(fh).writerows(journal_record(r) for r in rows)
        summary = cohort.finish_cohort(out, sources, shard=(0, 1), n=args.n)
        t_fin = time.perf_counter() - t0
        nbytes = sum(p.stat().st_size for p in out.glob("syn_*.nii.gz"))

    rate = args.n / t_syn
    per_subject = nbytes / args.n
    rows_tab = [
        [f"synthesize + write {args.n} subjects, {args.workers} workers", t_syn, f"{rate:.1f} subjects/s"],
        [f"prepare {len(sources)} sources (read, crop, SDTs; once per run)", t_prep, "-"],
        ["manifest + summary + figures", t_fin, "-"],
        ["baseline: write one source's ED+ES label maps", t_base, f"{1 / t_base:.1f} subjects/s (1 process)"],
    ]
    tab = table(["step", "seconds", "rate"], rows_tab)
    paper_s = PAPER_N / rate + t_prep + t_fin * PAPER_N / args.n
    ok = rate >= BUDGET_PER_S
    body = f"""## Synthetic mask cohort (`bench_synthesize_masks`)

{environment()}

{tab}

Sources: the {len(sources)} ACDC training subjects; slice thickness = each source's spacing; seed 0.
Disk: {per_subject / 1024:.1f} KiB per subject (ED + ES `.nii.gz`, cropped around the heart), so
{per_subject * PAPER_N / 2**20:.0f} MiB for the paper's {PAPER_N} subjects (estimate from this run).
Estimated wall time for N = {PAPER_N}: {paper_s / 60:.1f} min (prep + synthesis + finish, linear extrapolation).
EF chi-square p (7 bins) on these {args.n}: {summary["chi2_p_uniform"]:.3f}.

Throughput {rate:.1f} subjects/s -> {verdict(ok, f">= {BUDGET_PER_S:.0f} subjects/s on 2 CPU cores, writing included")}
"""
    print(body)
    if args.write:
        write_section(NAME, body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
