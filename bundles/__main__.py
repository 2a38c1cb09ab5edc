"""``python -m cardio_monai.bundles [NAME ...]``: the folder of each bundle that comes with the package.

Without NAME, every bundle's folder; e.g. ``python -m monai.bundle run --config_file B/configs/inference.json
--bundle_root B`` with ``B=$(python -m cardio_monai.bundles cardiac_sfera_regression)``.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    shipped = sorted(p.parents[1].name for p in HERE.glob("*/configs/metadata.json"))
    unknown = [name for name in argv if name not in shipped]
    if unknown:
        print(f"error: no bundle {', '.join(unknown)} (shipped: {', '.join(shipped)})", file=sys.stderr)
        return 2
    for name in argv or shipped:
        print(HERE / name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
