"""Preprocessing time of one study already in memory (read excluded): ``preprocess_record`` in
inference mode and with labels, over ACDC subjects and the Sunnybrook studies, against a plain
``np.percentile`` + ``np.clip`` normalisation of the same (2, Z, H, W) ED/ES array.

Run ``python benchmarks/bench_preprocess.py [--write] [--subjects N] [--repeats N]``; ``--write``
rewrites this script's section of ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import DATA, median, report, table, time_once, verdict

from cardio_monai.io import find_studies
from cardio_monai.transforms import preprocess_record

NAME = "bench_preprocess"
ACDC = DATA / Path("acdc/training")
SUNNYBROOK = DATA / Path("sunnybrook")
BUDGET_S = 0.2


def plain_normalise(x: np.ndarray) -> np.ndarray:
    """The cheapest step for scale: [3, 97] % -> [0, 1], clipped."""
    lo, hi = np.percentile(x, [3, 97])
    return np.clip((x - lo) / max(hi - lo, 1e-8), 0.0, 1.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite this section of docs/benchmarks.md")
    parser.add_argument("--subjects", type=int, default=10, help="ACDC subjects (spread over the 100)")
    parser.add_argument("--repeats", type=int, default=5, help="timed calls per study and mode (median kept)")
    args = parser.parse_args()
    torch.set_num_threads(2)

    acdc = find_studies(ACDC)
    step = max(1, len(acdc) // args.subjects)
    sources = acdc[::step][: args.subjects] + find_studies(SUNNYBROOK)
    records = [s.read(with_labels=True) for s in sources]  # read excluded from the timings

    modes = ("inference", "use_labels=True", "baseline percentile+clip")
    per_study: dict[str, list[float]] = {m: [] for m in modes}
    for r in records:
        ed_es = np.stack([r.frames[r.ed], r.frames[r.es]])  # the same (2, Z, H, W) array
        fns = {
            "inference": lambda r=r: preprocess_record(r),
            "use_labels=True": lambda r=r: preprocess_record(r, use_labels=True),
            "baseline percentile+clip": lambda a=ed_es: plain_normalise(a),
        }
        for fn in fns.values():  # warm-up
            fn()
        times = {m: [] for m in fns}
        for _ in range(args.repeats):  # alternate the modes
            for m, fn in fns.items():
                times[m].append(time_once(fn))
        for m in fns:
            per_study[m].append(median(times[m]))

    rows = []
    for m, ts in per_study.items():
        rows.append(
            [
                f"`{m}`" if m != "baseline percentile+clip" else "baseline `np.percentile` + `np.clip`",
                float(np.median(ts)),
                float(np.max(ts)),
            ]
        )
    tab = table(["mode", "median s / study", "max s / study"], rows)
    worst = max(max(per_study["inference"]), max(per_study["use_labels=True"]))
    ok = worst < BUDGET_S
    names = ", ".join(s.subject for s in sources)
    zs = [r.frames.shape[1] for r in records]
    slowest = sources[int(np.argmax(np.maximum(per_study["inference"], per_study["use_labels=True"])))].subject
    summary = (
        f"{len(records)} studies ({names}); {min(zs)}-{max(zs)} slices. "
        f"Per study the median of {args.repeats} alternating calls after one warm-up; the table gives "
        f"the median and max of those over studies.\n\n"
        f"Slowest study: {slowest}, {worst:.4f} s -> {verdict(ok, f'< {BUDGET_S} s per study on 2 CPU cores')}"
    )
    report(NAME, "Preprocessing one study", tab, summary, args.write)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
