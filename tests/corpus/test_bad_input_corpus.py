"""The bad-input contract on every CLI command and every case of the corpus: exit 0 or 2, never a
traceback; on 2 one ``error:`` line with the expected words and no output; the inputs unchanged and
nothing written outside OUT; ``--skip_bad`` turns a study's problem into a warning row."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest
from bad_input_corpus import CASES, COMMANDS, Case

from cardio_monai.cli import main

# cases whose problem lies in one study's files: --skip_bad gives that study a warning row
PER_STUDY = {
    *(name for name in CASES if name.startswith(("pixdim", "dicom_"))),
    "header_claims_gigabytes",
    "ed_es_swapped",
    "empty_lv_at_es",
    "constant_image",
    "identical_ed_es",
    "manifest_esv_above_edv",
    "manifest_negative_esv",
}
OUTPUTS = {
    "volumes": "volumes.csv",
    "predict": "predictions.csv",
    "merge": "merged.csv",
    "synthesize-masks": "masks",
    "synthesize-images": "images",
    "evaluate": "evaluation",
    "finetune": "bundle",
}


def _argv(command: str, case: Case, out: Path) -> list[str]:
    inp = str(case.input)
    first = {"evaluate": [inp, inp], "synthesize-masks": [inp, "--n", "2"], "finetune": [inp, "--epochs", "1"]}
    return [command, *first.get(command, [inp]), "--out", str(out), *case.argv.get(command, [])]


def _snapshot(root: Path, skip: Path) -> dict[str, str]:
    """relative path -> content digest of every regular file under root (special files by name only)."""
    files = {}
    for p in sorted(root.rglob("*")):
        if p == skip or skip in p.parents or p.is_dir():
            continue
        files[str(p.relative_to(root))] = hashlib.md5(p.read_bytes()).hexdigest() if p.is_file() else "special"
    return files


def _run(capsys, argv: list[str]) -> tuple[int, list[str]]:
    capsys.readouterr()
    code = main(argv)
    return code, [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_contract(name, command, tmp_path, capsys):
    root = tmp_path / "root"
    root.mkdir()
    case = CASES[name](root)
    out_dir = tmp_path / "out"
    out = Path(case.out.get(command, out_dir / OUTPUTS[command]))
    before = _snapshot(tmp_path, out_dir)
    code, err = _run(capsys, _argv(command, case, out))
    assert code in (0, 2), (code, err)
    assert not any("Traceback" in ln for ln in err), err
    if command in case.errors:
        assert code == 2, f"{name}: {command} should refuse it: {err}"
    if code == 2:
        errors = [ln for ln in err if ln.startswith("error: ")]
        assert len(errors) == 1 and len([ln for ln in err if not ln.startswith("warning: ")]) == 1, err
        assert case.errors.get(command, "").lower() in errors[0].lower(), (case.errors.get(command), errors[0])
        if out_dir in out.parents or out == out_dir:
            assert not out.exists(), f"partial output {out}"
    else:
        assert out.exists(), f"{command} exited 0 without writing {out}"
    assert _snapshot(tmp_path, out_dir) == before, "an input was changed or a file written outside OUT"
    if name in PER_STUDY and command in ("volumes", "predict") and code == 2:
        code, err = _run(capsys, [*_argv(command, case, out), "--skip_bad"])
        assert code == 0, err
        rows = list(csv.DictReader(open(out, newline="")))
        assert rows and all(r.get("warning") for r in rows), rows
    if name == "manifest_bom_formula_subject" and command == "volumes":
        assert code == 0 and open(out).read().splitlines()[1].startswith("'=HYPERLINK"), open(out).read()
