"""The inner-validation figures of the segmentation reader's variants, and the one chosen (lowest inner EF RMSE
of the segmentation reader): the rule of scripts/segmentation_inner.sh and scripts/segmentation_synthetic_inner.sh,
written before their runs.

Reads OUT_DIR/<PREFIX><value>/fold0/eval/metrics.json and dice.csv (scripts/segmentation_cv.sh), the values
sorted as numbers (names after them); writes OUT_DIR/inner_summary.md|json and OUT_DIR/chosen.txt (the chosen value).

    python scripts/segmentation_summary.py OUT_DIR PREFIX [COLUMN_NAME]
"""

import json
import sys
from pathlib import Path

from cardio_monai.segmentation.evaluate import summarise_dice


def _figure(metrics: dict, quantity: str, kind: str = "rmse") -> float:
    return metrics[quantity][kind]["value"]


def _order(value: str) -> tuple:
    """Numbers in numeric order, then names (network configs) in alphabetical order."""
    try:
        return (0, float(value), "")
    except ValueError:
        return (1, 0.0, value)


def main(out: str, prefix: str, column: str = "variant") -> str:
    out_dir = Path(out)
    files = sorted(out_dir.glob(f"{prefix}*/fold0/eval/metrics.json"), key=lambda f: _order(f.parts[-4][len(prefix) :]))
    if not files:
        raise SystemExit(f"error: {out_dir}: no {prefix}*/fold0/eval/metrics.json")
    rows = {f.parts[-4][len(prefix) :]: json.loads(f.read_text()) for f in files}
    lines = [
        f"| {column} | EDV RMSE (ml) | ESV RMSE (ml) | ESV bias (ml) | EF RMSE (%) | LV Dice ED | LV Dice ES |",
        "|---|---|---|---|---|---|---|",
    ]
    for value, m in rows.items():
        dice = summarise_dice([out_dir / f"{prefix}{value}" / "fold0" / "eval" / "dice.csv"])
        cells = [_figure(m, "EDV"), _figure(m, "ESV"), _figure(m, "ESV", "bias"), _figure(m, "EF")]
        lines.append(
            f"| {value} | "
            + " | ".join(f"{c:.2f}" for c in cells)
            + f" | {dice['LV_ED']['mean']:.4f} | {dice['LV_ES']['mean']:.4f} |"
        )
    chosen = min(rows, key=lambda v: _figure(rows[v], "EF"))
    (out_dir / "inner_summary.md").write_text("\n".join(lines) + f"\n\nchosen (lowest inner EF RMSE): {chosen}\n")
    key = {"w": "weights"}.get(prefix, "variants")
    (out_dir / "inner_summary.json").write_text(json.dumps({key: rows, "chosen": chosen}, indent=2) + "\n")
    (out_dir / "chosen.txt").write_text(chosen + "\n")
    print("\n".join(lines), "\nchosen:", chosen)
    return chosen


if __name__ == "__main__":
    main(*sys.argv[1:4])
