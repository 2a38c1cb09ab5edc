"""The inner-validation figures of every RSP of an inner study, and the one chosen (lowest inner EF RMSE): the
rule of scripts/finetune_recipes.sh and scripts/sso_epochs_inner.sh, written before their runs.

Reads OUT_DIR/inner/fold0/compare_rsp_*/experiments.json (cardio_monai.evaluation.experiments); writes
OUT_DIR/inner_summary.md|json and OUT_DIR/chosen.txt (the chosen RSP's folder name). Each compare's SSO is
listed once when all compares start from the same SSO, else once per compare (`sso of rsp_...`).

    python scripts/inner_summary.py OUT_DIR
"""

import json
import sys
from pathlib import Path


def main(out: str) -> str:
    out_dir = Path(out)
    tables = {
        cmp.name.removeprefix("compare_"): json.loads((cmp / "experiments.json").read_text())["experiments"]
        for cmp in sorted((out_dir / "inner" / "fold0").glob("compare_rsp_*"))
    }
    if not tables:
        raise SystemExit(f"error: {out_dir}/inner/fold0: no compare_rsp_* folder")
    recipes = {name: t["RSP"]["all"] for name, t in tables.items()}
    ssos = {name: t["SSO"]["all"] for name, t in tables.items()}
    one_sso = all(s == next(iter(ssos.values())) for s in ssos.values())
    rows = dict(recipes)
    rows["rso"] = next(iter(tables.values()))["RSO"]["all"]
    rows.update({"sso": next(iter(ssos.values()))} if one_sso else {f"sso of {n}": s for n, s in ssos.items()})
    chosen = min(recipes, key=lambda k: recipes[k]["EF"]["rmse"]["value"])
    lines = [
        "| inner validation (fold 0 of fold 0's 80) | EDV RMSE (ml) | ESV RMSE (ml) | EF RMSE (%) |",
        "|---|---|---|---|",
    ]
    for name, r in rows.items():
        lines.append(" | ".join([f"| {name}", *(f"{r[q]['rmse']['value']:.2f}" for q in ("EDV", "ESV", "EF"))]) + " |")
    (out_dir / "inner_summary.md").write_text("\n".join(lines) + f"\n\nchosen (lowest inner EF RMSE): {chosen}\n")
    summary = {"experiments": rows, "chosen": chosen}
    (out_dir / "inner_summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    (out_dir / "chosen.txt").write_text(chosen + "\n")
    print("\n".join(lines), "\nchosen:", chosen)
    return chosen


if __name__ == "__main__":
    main(sys.argv[1])
