"""Start-up of ``python -m cardio_monai predict`` on one study (the shipped sample), cold processes, against
the imports it cannot avoid measured in the same run: a bare ``python -c pass``, ``import torch`` (the
baseline), ``import monai`` (which imports every MONAI submodule and so every optional package it finds).

Each row is the best of ``--repeats`` fresh processes (wall, imports included). Budget (issue #19): predict
on one study <= 3 s wall on 2 cores.

Run ``python benchmarks/bench_startup.py [--write] [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import best_cold_wall, report, table, verdict

NAME = "bench_startup"
BUDGET_S = 3.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite this section of docs/benchmarks.md")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "p.csv")
        runs = [
            ("python -c pass", [py, "-c", "pass"]),
            ("import torch (baseline)", [py, "-c", "import torch"]),
            ("import torch, monai", [py, "-c", "import torch, monai"]),
            ("import cardio_monai.cli (the CLI before a command)", [py, "-c", "import cardio_monai.cli"]),
            ("predict --readers sfera, the sample", [py, "-m", "cardio_monai", "predict", "--readers", "sfera",
                                                     "--out", out]),
            ("predict (both readers), the sample", [py, "-m", "cardio_monai", "predict", "--out", out]),
        ]  # fmt: skip
        walls = {name: best_cold_wall(cmd, args.repeats, tmp) for name, cmd in runs}
    base = walls["import torch (baseline)"]
    tab = table(["cold process", "wall s", "ratio to import torch"], [[n, w, w / base] for n, w in walls.items()])
    cold = walls["predict (both readers), the sample"]
    monai_share = walls["import torch, monai"] / cold
    summary = (
        f"predict on the sample from a cold start: {cold:.1f} s, of which importing torch and MONAI alone takes "
        f"{walls['import torch, monai']:.1f} s ({100 * monai_share:.0f} %). "
        + verdict(cold <= BUDGET_S, f"<= {BUDGET_S:.0f} s wall for predict on one study")
    )
    report(NAME, "Cold start of predict on one study", tab, summary, args.write)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
