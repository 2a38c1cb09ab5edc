"""The installable package: a wheel of ``cardio_monai`` carries its bundles and sample data and works outside
any checkout.

The slow test builds the wheel from the package's sources only, installs it with ``--no-deps`` into a fresh
venv whose one link to this environment is a ``.pth`` naming its site-packages for the dependencies (torch,
MONAI: nothing is downloaded, and the venv's own site-packages comes first, so ``cardio_monai`` is the
wheel's), then from a folder outside the repository runs ``python -m cardio_monai predict`` and
``python -m monai.bundle run`` on the bundles the wheel carries, and checks the numbers against this
checkout's ``predict``.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

from cardio_monai.readers import predict_studies
from cardio_monai.regression.predict import predict_studies as sfera_predict_studies
from cardio_monai.utils.bundle import CHECKOUT_BUNDLES, bundles_dir, default_bundle

REPO = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "cardio_monai", "bundles")
SFERA, GAUGAN, SEG = "cardiac_sfera_regression", "cardiac_gaugan_synthesis", "cardiac_lv_segmentation"


def _pyproject() -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        tomllib = pytest.importorskip("tomli")
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def test_package_list_names_every_subpackage_and_maps_the_bundles():
    setuptools = _pyproject()["tool"]["setuptools"]
    found = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "cardio_monai").rglob("__init__.py")} | {
        "cardio_monai.bundles"
    }
    assert set(setuptools["packages"]) == found
    assert setuptools["package-dir"] == {"cardio_monai.bundles": "bundles"}
    assert (REPO / "bundles" / "__init__.py").is_file()


def test_bundles_are_found_through_the_package():
    assert bundles_dir().resolve() == CHECKOUT_BUNDLES  # in a checkout: its bundles/ (editable or not)
    assert (default_bundle(SFERA) / "configs" / "inference.json").is_file()
    listed = subprocess.run(
        [sys.executable, "-m", "cardio_monai.bundles"], capture_output=True, text=True, check=True, cwd=REPO
    ).stdout.split()
    assert [Path(p).name for p in listed] == [GAUGAN, SEG, SFERA]


def test_required_packages_name_this_version():
    version = _pyproject()["project"]["version"]
    for meta in sorted(CHECKOUT_BUNDLES.glob("*/configs/metadata.json")):
        assert json.loads(meta.read_text())["required_packages_version"]["cardio-monai"] == version, meta


def _run(args: list[str], cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP"}}
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{' '.join(args)}\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory) -> Path:
    """A fresh venv with the wheel of this checkout installed and this environment's dependencies reused."""
    root = tmp_path_factory.mktemp("wheel")
    src = root / "src"
    src.mkdir()
    for name in SOURCES:  # the package's sources only: no build/ or egg-info of earlier builds
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "eval"))
        else:
            shutil.copy2(REPO / name, src / name)
    # the build backend is this environment's setuptools (torch 2.13 requires setuptools>=77.0.3, the
    # version pyproject's build-system names), so nothing is downloaded
    pip = [sys.executable, "-m", "pip"]
    _run([*pip, "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index", str(src), "-w", "dist"], root)
    (wheel,) = (root / "dist").glob("cardio_monai-*.whl")
    venv = root / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], root)
    python = venv / "bin" / "python"
    _run([*pip, "--python", str(python), "install", "-q", "--no-deps", "--no-index", str(wheel)], root)
    purelib = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], root).strip()
    (Path(purelib) / "_deps_from_test_env.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return venv


@pytest.mark.slow
def test_wheel_predicts_and_runs_its_bundles_outside_the_checkout(wheel_venv, tmp_path):
    python = str(wheel_venv / "bin" / "python")
    work = tmp_path / "elsewhere"
    work.mkdir()
    where = _run([python, "-c", "import cardio_monai; print(cardio_monai.__file__)"], work).strip()
    assert Path(where).is_relative_to(wheel_venv), f"cardio_monai imported from {where}, not the wheel"
    sfera, gaugan, seg = _run([python, "-m", "cardio_monai.bundles", SFERA, GAUGAN, SEG], work).split()
    assert all(Path(b).is_relative_to(wheel_venv) for b in (sfera, gaugan, seg))

    both, sfera_only = tmp_path / "checkout.csv", tmp_path / "checkout_sfera.csv"
    predict_studies(None, both)  # this checkout's predict on the shipped sample, both readers
    sfera_predict_studies(None, sfera_only)  # and SFERA alone, as its bundle's inference.json writes it
    expected = sfera_only.read_text()

    _run([python, "-m", "cardio_monai", "predict", "--out", "p.csv"], work)
    assert (work / "p.csv").read_text() == both.read_text()

    bundle_run = [python, "-m", "monai.bundle", "run", "--config_file"]
    _run([*bundle_run, f"{sfera}/configs/inference.json", "--bundle_root", sfera, "--output_dir", "sfera"], work)
    assert (work / "sfera" / "predictions.csv").read_text() == expected

    _run([*bundle_run, f"{gaugan}/configs/inference.json", "--bundle_root", gaugan, "--output_dir", "gan"], work)
    masks = sorted(p.name for p in (Path(where).parent / "data" / "sample_masks").glob("*.nii.gz"))
    assert masks and sorted(p.name for p in (work / "gan").glob("*.nii.gz")) == masks
    assert (work / "gan" / "manifest.csv").is_file()

    _run([*bundle_run, f"{seg}/configs/inference.json", "--bundle_root", seg, "--output_dir", "seg"], work)
    assert sorted(p.name for p in (work / "seg").glob("*.nii.gz")) == [
        "SC-HF-I-1_ED_seg.nii.gz",
        "SC-HF-I-1_ES_seg.nii.gz",
    ]
    assert (work / "seg" / "predictions.csv").read_text().startswith("subject,EDV_ml,ESV_ml,EF_pct")
    assert not list(Path(sfera).parent.glob("*/eval")), "a bundle run wrote into site-packages"
