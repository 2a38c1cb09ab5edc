"""Read time of a 240-file Sunnybrook DICOM cine: ``read_dicom_cine`` against a bare pydicom loop.

Run ``python benchmarks/bench_read_dicom.py [--write] [--repeats N]``; ``--write`` rewrites this
script's section of ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pydicom
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import DATA, median, report, table, time_once, verdict

from cardio_monai.io import read_dicom_cine
from cardio_monai.io.dicom import dicom_files

NAME = "bench_read_dicom"
FOLDER = DATA / Path("sunnybrook/dicoms/SCD0000101")
MAX_RATIO = 1.5


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite this section of docs/benchmarks.md")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--folder", type=Path, default=FOLDER)
    args = parser.parse_args()
    torch.set_num_threads(2)

    files = dicom_files(args.folder)

    def reader():
        return read_dicom_cine(args.folder)

    def baseline():
        return [pydicom.dcmread(f).pixel_array for f in files]

    record, _ = reader()  # warm-up (file cache, imports)
    baseline()
    t_reader, t_base = [], []
    for _ in range(args.repeats):  # alternate so drift hits both alike
        t_reader.append(time_once(reader))
        t_base.append(time_once(baseline))
    m_reader, m_base = median(t_reader), median(t_base)
    ratio = m_reader / m_base
    rows = [
        ["`read_dicom_cine(folder)`", m_reader, min(t_reader), max(t_reader)],
        ["baseline `[pydicom.dcmread(f).pixel_array for f in files]`", m_base, min(t_base), max(t_base)],
    ]
    tab = table(["", "median s", "min s", "max s"], rows)
    summary = (
        f"Study `{args.folder.name}`: {len(files)} files -> frames {tuple(record.frames.shape)} (T, Z, H, W); "
        f"{args.repeats} alternating repeats after one warm-up each.\n\n"
        f"Ratio reader / baseline (medians): **{ratio:.2f}** -> {verdict(ratio <= MAX_RATIO, f'<= {MAX_RATIO}')}"
    )
    report(NAME, "Reading a DICOM cine", tab, summary, args.write)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
