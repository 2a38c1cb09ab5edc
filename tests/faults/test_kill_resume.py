"""Kill -9 at seeded random points, then the same command again: ``synthesize-masks`` and ``synthesize-images``
finish with the bytes of an uninterrupted run (no ``.part-*`` file left), and the segmentation bundle's
``train.json`` resumes from its last checkpoint to the same epoch and iteration count.

Each command runs as ``python -m ...`` in its own session and the whole process group is killed (the pool
workers of ``--workers 2`` with it). A kill point is a sign of progress in OUT (a journal line, a finished
subject, a checkpoint) or a random delay after one; the points come from ``random.Random`` with a fixed seed.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from cardio_monai.cli import main
from cardio_monai.synthesis.cohort import synthesize_cohort
from cardio_monai.synthesis.cohort_journal import JOURNAL_DIR
from cardio_monai.utils import resume_path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "segmentation"))
from seg_tiny import TINY

REPO = Path(__file__).resolve().parents[2]
SEG_CONFIGS = REPO / "bundles" / "cardiac_lv_segmentation" / "configs"
SEED = 19
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
N_MASKS = 40  # subjects of the killed synthesize-masks run
N_IMAGES = 24  # subjects of the killed synthesize-images run
EPOCHS = 10  # of the killed training
# The segmentation bundle's tiny CPU profile (tests/segmentation/seg_tiny.py), for EPOCHS epochs.
SEG_TINY = {**TINY, "max_epochs": EPOCHS}


@pytest.fixture(scope="module")
def phantoms(tmp_path_factory) -> Path:
    sys.path.insert(0, str(REPO / "tests" / "regression"))
    from sfera_tiny import write_phantoms

    return write_phantoms(tmp_path_factory.mktemp("kill_phantoms"), n=6)


# --- helpers ----------------------------------------------------------------------------------------


def _cli(*args: str) -> int:
    """The CLI in this process (``cli.main``, as ``__main__`` calls it), on one torch thread as the killed
    subprocesses run (float32 convolutions round differently on other thread counts); its exit code."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            return main(list(args))
    finally:
        torch.set_num_threads(threads)


def _start(args: list[str], cwd: Path, log: Path) -> subprocess.Popen:
    with open(log, "w") as fh:
        return subprocess.Popen(args, cwd=cwd, env=ENV, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)


def _start_cli(*args: str, log: Path) -> subprocess.Popen:
    return _start([sys.executable, "-m", "cardio_monai", *args], REPO, log)


def _kill_when(proc: subprocess.Popen, ready: Callable[[], bool], delay_s: float = 0.0, timeout_s: float = 300.0):
    """SIGKILL the process group of ``proc`` ``delay_s`` after ``ready()`` first holds; fail if the process
    ended by itself first (then the kill point tested nothing)."""
    deadline = time.monotonic() + timeout_s
    try:
        while not ready():
            assert proc.poll() is None, f"exited {proc.returncode} before the kill point"
            assert time.monotonic() < deadline, "no progress before the timeout"
            time.sleep(0.002)
        time.sleep(delay_s)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, f"exited {proc.returncode} before the kill landed"


def _lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.is_file() else 0


def _parts(out: Path) -> list[Path]:
    return sorted(out.rglob(".part-*")) if out.exists() else []


def _tree(out: Path) -> dict[str, bytes | list[bytes]]:
    """Every file under OUT by relative path; a journal as its sorted lines (workers append in any order)."""
    files = {}
    for p in sorted(out.rglob("*")):
        if p.is_file():
            data = p.read_bytes()
            files[str(p.relative_to(out))] = sorted(data.splitlines()) if p.parent.name == JOURNAL_DIR else data
    return files


def _assert_same_outputs(out: Path, ref: Path) -> None:
    assert not _parts(out), "temporaries left behind"
    got, want = _tree(out), _tree(ref)
    assert sorted(got) == sorted(want)
    assert [name for name in want if got[name] != want[name]] == []


# --- synthesize-masks -------------------------------------------------------------------------------


def _mask_args(src: Path, out: Path) -> list[str]:
    return ["synthesize-masks", str(src), "--out", str(out), "--n", str(N_MASKS), "--seed", "7"]


@pytest.fixture(scope="module")
def mask_reference(phantoms, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("masks_ref") / "cohort"
    assert _cli(*_mask_args(phantoms, out)) == 0
    return out


@pytest.mark.slow  # two cold starts of the CLI: 15-35 s on 2 busy cores
def test_synthesize_masks_killed_twice_resumes_byte_identical(phantoms, mask_reference, tmp_path):
    rng = random.Random(f"{SEED}-masks")
    out = tmp_path / "cohort"
    journal = out / JOURNAL_DIR / "shard-0-of-1.csv"
    # 1: two pool workers, killed with their parent once k subjects are in the journal
    k = rng.randint(1, N_MASKS // 2)
    proc = _start_cli(*_mask_args(phantoms, out), "--workers", "2", log=tmp_path / "kill1.log")
    _kill_when(proc, lambda: _lines(journal) >= k)
    assert not (out / "manifest.csv").exists()  # killed before the end (the journal may already be full)
    # 2: the rerun, killed at a random delay after its first change to OUT (a new subject, a temporary made
    # or the last run's swept)
    start, parts = _lines(journal), _parts(out)
    proc = _start_cli(*_mask_args(phantoms, out), log=tmp_path / "kill2.log")
    _kill_when(proc, lambda: _lines(journal) > start or _parts(out) != parts, rng.uniform(0.0, 1.5))
    # 3: the rerun to the end
    assert _cli(*_mask_args(phantoms, out)) == 0
    _assert_same_outputs(out, mask_reference)


@pytest.mark.parametrize("cut", ["line_end", "cr_lf", "random"])
def test_synthesize_masks_torn_journal_line_resumes_byte_identical(cut, phantoms, mask_reference, tmp_path):
    """A kill (or a full disk) during the journal's last write leaves a prefix of its last line, which can
    still parse: without its line end, or with a number cut short."""
    out = tmp_path / "cohort"
    shutil.copytree(mask_reference, out)
    journal = out / JOURNAL_DIR / "shard-0-of-1.csv"
    data = journal.read_bytes()
    last = data.rstrip(b"\r\n").rfind(b"\n") + 1  # where the last line starts
    drop = {"line_end": 1, "cr_lf": 2, "random": random.Random(f"{SEED}-torn").randint(3, len(data) - last - 1)}
    journal.write_bytes(data[: len(data) - drop[cut]])
    (out / "manifest.csv").unlink()  # a killed run had not written it yet
    assert _cli(*_mask_args(phantoms, out)) == 0
    _assert_same_outputs(out, mask_reference)


# --- synthesize-images ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_gaugan(tmp_path_factory) -> Path:
    """The GauGAN bundle with a tiny, untrained generator (64 px at 3 mm), as tests/synthesis builds it."""
    sys.path.insert(0, str(REPO / "tests" / "synthesis"))
    from gaugan_tiny import write_tiny_gaugan

    return write_tiny_gaugan(tmp_path_factory.mktemp("kill_gaugan"))


@pytest.fixture(scope="module")
def image_inputs(phantoms, tiny_gaugan, tmp_path_factory) -> tuple[Path, Path]:
    """A mask cohort and the uninterrupted synthesize-images run on it (OUT two levels below the masks'
    parent, as in the test, so the manifests' relative label paths are the same)."""
    root = tmp_path_factory.mktemp("images")
    masks = root / "masks"
    synthesize_cohort(phantoms, masks, N_IMAGES, seed=2)
    ref = root / "ref" / "images"
    assert _cli("synthesize-images", str(masks), "--out", str(ref), "--bundle", str(tiny_gaugan)) == 0
    return masks, ref


@pytest.mark.slow  # two cold starts of the CLI: 15-35 s on 2 busy cores
def test_synthesize_images_killed_twice_resumes_byte_identical(image_inputs, tiny_gaugan):
    masks, ref = image_inputs
    rng = random.Random(f"{SEED}-images")
    out = masks.parent / "killed" / "images"
    args = ["synthesize-images", str(masks), "--out", str(out), "--bundle", str(tiny_gaugan)]
    out.parent.mkdir()

    def finished() -> int:
        return len(list(out.glob("[!.]*_ES.nii.gz"))) if out.exists() else 0  # not a .part-* file

    # 1: once k subjects have both stacks
    k = rng.randint(1, N_IMAGES // 2)
    _kill_when(_start_cli(*args, log=out.parent / "kill1.log"), lambda: finished() >= k)
    assert not (out / "manifest.csv").exists()  # killed before the end
    # 2: the rerun, killed at a random delay after its first change to OUT
    start, parts = finished(), _parts(out)
    proc = _start_cli(*args, log=out.parent / "kill2.log")
    _kill_when(proc, lambda: finished() > start or _parts(out) != parts, rng.uniform(0.0, 1.0))
    # 3: the rerun to the end
    assert _cli(*args) == 0
    _assert_same_outputs(out, ref)


# --- training (the segmentation bundle's train.json: MONAI CheckpointSaver / CheckpointLoader) -------


def _train_cmd(root: Path, data: Path) -> list[str]:
    cmd = [sys.executable, "-m", "monai.bundle", "run", "--config_file", str([str(SEG_CONFIGS / "train.json")])]
    cmd += ["--meta_file", str(SEG_CONFIGS / "metadata.json"), "--bundle_root", str(root), "--dataset_dir", str(data)]
    return cmd + [x for k, v in SEG_TINY.items() for x in (f"--{k}", str(v))]


@pytest.fixture(scope="module")
def training(phantoms, tmp_path_factory) -> dict:
    """An uninterrupted training (run alongside) and one killed after a seeded epoch's checkpoint, then rerun."""
    rng = random.Random(f"{SEED}-train")
    k, delay = rng.randint(1, EPOCHS - 4), rng.uniform(0.0, 0.3)
    ref, out = tmp_path_factory.mktemp("train_ref"), tmp_path_factory.mktemp("train_killed")
    reference = _start(_train_cmd(ref, phantoms), ref, ref / "train.log")
    try:
        victim = _start(_train_cmd(out, phantoms), out, out / "train.log")
        _kill_when(victim, lambda: (out / "models" / f"resume_checkpoint_epoch={k}.pt").is_file(), delay)
        assert not (out / "models" / "model.pt").exists()
        resumed = subprocess.run(
            _train_cmd(out, phantoms), cwd=out, env=ENV, capture_output=True, text=True, timeout=600
        )
    finally:
        reference.wait(timeout=600)
    assert reference.returncode == 0, (ref / "train.log").read_text()[-3000:]
    return {"ref": ref / "models", "out": out / "models", "k": k, "resumed": resumed}


def _checkpoint(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=True)


@pytest.mark.slow
def test_training_resumes_from_its_last_checkpoint_after_kill(training):
    resumed = training["resumed"]
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    log = resumed.stdout + resumed.stderr
    restored = re.findall(r"Restored all variables from .*resume_checkpoint_epoch=(\d+)\.pt", log)
    assert len(restored) == 1 and int(restored[0]) >= training["k"], log[-3000:]
    ref, out = training["ref"], training["out"]
    final = f"resume_checkpoint_epoch={EPOCHS}.pt"
    # the same number of epochs and iterations as the uninterrupted run: none repeated, none skipped
    trainer = _checkpoint(out / final)["trainer"]
    assert trainer == _checkpoint(ref / final)["trainer"]
    assert trainer["iteration"] == EPOCHS * trainer["epoch_length"]
    want = _checkpoint(ref / "model.pt")
    got = _checkpoint(out / "model.pt")
    assert {k: v.shape for k, v in got.items()} == {k: v.shape for k, v in want.items()}
    # no partial file: every file is a complete checkpoint; besides the reference's files only the killed run's
    # checkpoints up to the one the rerun resumed from (the new CheckpointSaver does not know them)
    names = {p.name for p in out.iterdir()}
    left = names - {p.name for p in ref.iterdir()}
    assert all(re.fullmatch(r"resume_checkpoint_epoch=(\d+)\.pt", n) for n in left), left
    assert all(int(n.split("=")[1][:-3]) <= int(restored[0]) for n in left), left
    assert all(zipfile.is_zipfile(p) for p in out.iterdir())


@pytest.mark.slow
def test_training_resume_gives_the_uninterrupted_weights(training):
    assert training["resumed"].returncode == 0, training["resumed"].stderr[-3000:]
    want, got = _checkpoint(training["ref"] / "model.pt"), _checkpoint(training["out"] / "model.pt")
    assert [k for k in want if not torch.equal(got[k], want[k])] == []


@pytest.mark.slow
def test_resume_path_passes_over_a_checkpoint_cut_short(training, tmp_path):
    data = (training["ref"] / f"resume_checkpoint_epoch={EPOCHS}.pt").read_bytes()
    torn = data[: random.Random(f"{SEED}-ckpt").randint(1, len(data) - 1)]
    (tmp_path / f"resume_checkpoint_epoch={EPOCHS + 1}.pt").write_bytes(torn)
    assert resume_path(tmp_path) == ""  # the only file is torn: train from the start
    (tmp_path / f"resume_checkpoint_epoch={EPOCHS}.pt").write_bytes(data)
    assert resume_path(tmp_path).endswith(f"resume_checkpoint_epoch={EPOCHS}.pt")
