"""The MONAI model zoo's checks on every bundle under ``bundles/`` (a new bundle is checked as soon as it exists).

Per bundle: ``configs/metadata.json`` names MONAI's schema and passes ``verify_metadata`` against the copy in
``../shared/schemas`` (read in place, offline); its ``version`` is in its ``changelog``; ``verify_net_in_out``
on ``network_def``; ``ckpt_export`` of the shipped weights to TorchScript, loaded back and equal to the eager
network within 1e-5; ``configs/inference.json`` has the zoo's inference properties (``check_properties``) and a
neutral default ``dataset_dir`` that runs; ``docs/data_license.txt``; ``eval_metrics`` equal to the figures of
the results file and the model card; every config JSON 4-space indented; no file but the weights over 1 MB.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from monai.bundle import ConfigParser, ConfigWorkflow

REPO = Path(__file__).resolve().parents[1]
SCHEMA_URL = "https://github.com/Project-MONAI/MONAI-extra-test-data/releases/download/0.8.1/meta_schema_20240725.json"
BUNDLES = sorted(p.parents[1] for p in (REPO / "bundles").glob("*/configs/metadata.json"))
TOLERANCE = 1e-5  # TorchScript against eager, relative to the output's largest magnitude

# Where each bundle's eval_metrics come from: results file (in the bundle) and, per metric, its JSON path
# and the factor from that file's unit to the metric's (a new bundle with eval_metrics must be added here).
EVAL_SOURCES: dict[str, tuple[str, dict[str, tuple[tuple[str, ...], float]]]] = {
    "cardiac_sfera_regression": (
        "docs/results/rsp_fold0/metrics.json",
        {
            f"fold0_20_subjects_{q.lower()}_{stat}{'' if stat == 'pearson_r' else '_' + unit}": (
                (q, stat, "value"),
                1.0,
            )
            for q, unit in (("EDV", "ml"), ("ESV", "ml"), ("EF", "pct"))
            for stat in ("rmse", "mae", "bias", "pearson_r")
        },
    ),
    "cardiac_lv_segmentation": (
        "docs/results/cv5/metrics.json",
        {
            f"cv5_{q.lower()}_{stat}{'' if stat == 'pearson_r' else '_' + unit}": ((q, stat, "value"), 1.0)
            for q, unit in (("EDV", "ml"), ("ESV", "ml"), ("EF", "pct"))
            for stat in ("rmse", "mae", "bias", "pearson_r")
        },
    ),
    "cardiac_gaugan_synthesis": (
        "docs/results/fold0/metrics.json",
        {
            "fold0_heldout_dice_real_lv": (("dice_real", "LV"), 1.0),
            "fold0_heldout_dice_real_myocardium": (("dice_real", "myocardium"), 1.0),
            "fold0_heldout_dice_synthetic_lv": (("dice_synthetic", "LV"), 1.0),
            "fold0_heldout_dice_synthetic_myocardium": (("dice_synthetic", "myocardium"), 1.0),
            "fold0_heldout_dice_ratio_lv": (("dice_ratio", "LV"), 1.0),
            "fold0_heldout_dice_ratio_myocardium": (("dice_ratio", "myocardium"), 1.0),
            "fold0_heldout_contrast_real": (("contrast_blood_myocardium", "real"), 1.0),
            "fold0_heldout_contrast_synthetic": (("contrast_blood_myocardium", "synthetic"), 1.0),
            "fold0_heldout_contrast_relative_difference_pct": (
                ("contrast_blood_myocardium", "relative_difference"),
                100.0,
            ),
            "fold0_heldout_background_change_real": (("background_ed_es_abs_difference", "real"), 1.0),
            "fold0_heldout_background_change_synthetic": (("background_ed_es_abs_difference", "synthetic"), 1.0),
            "fold0_heldout_two_sample_auc": (("two_sample_test", "auc"), 1.0),
            "fold0_heldout_two_sample_auc_ci_low": (("two_sample_test", "ci_low"), 1.0),
            "fold0_heldout_two_sample_auc_ci_high": (("two_sample_test", "ci_high"), 1.0),
            "fold0_heldout_two_sample_control_auc": (("two_sample_test", "control", "auc"), 1.0),
        },
    ),
}


@pytest.fixture(params=BUNDLES, ids=[b.name for b in BUNDLES])
def bundle(request) -> Path:
    return request.param


def _meta(bundle: Path) -> dict:
    return json.loads((bundle / "configs" / "metadata.json").read_text())


def _bundle_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "monai.bundle", *args], capture_output=True, text=True, cwd=cwd)


def _inference_parser(bundle: Path) -> ConfigParser:
    parser = ConfigParser()
    parser.read_config(str(bundle / "configs" / "inference.json"))
    parser.read_meta(str(bundle / "configs" / "metadata.json"))
    parser["bundle_root"] = str(bundle)
    parser["device"] = "$torch.device('cpu')"
    return parser


def _example_input(meta: dict, seed: int, any_size: int = 4) -> torch.Tensor:
    """A random batch of 2 shaped and valued as ``network_data_format.inputs.image`` says (``*``: ``any_size``);
    for a one-hot input, a random label map (one channel set per pixel)."""
    spec = meta["network_data_format"]["inputs"]["image"]
    shape = [2, spec["num_channels"], *(any_size if s == "*" else int(s) for s in spec["spatial_shape"])]
    low, high = spec["value_range"]
    g = torch.Generator().manual_seed(seed)
    if spec.get("format") == "onehot":
        label = torch.randint(0, shape[1], [shape[0], *shape[2:]], generator=g)
        return torch.nn.functional.one_hot(label, shape[1]).movedim(-1, 1).to(torch.float32)
    return low + (high - low) * torch.rand(shape, generator=g)


def test_the_bundles_are_found():
    assert {"cardiac_sfera_regression", "cardiac_gaugan_synthesis", "cardiac_lv_segmentation"} <= {
        b.name for b in BUNDLES
    }


def test_metadata_names_monai_schema_and_verifies_offline(bundle, monai_schema):
    assert _meta(bundle)["schema"] == SCHEMA_URL
    proc = _bundle_cli(
        "verify_metadata",
        "--meta_file",
        str(bundle / "configs" / "metadata.json"),
        "--filepath",
        str(monai_schema),
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "metadata is verified with no error" in proc.stderr + proc.stdout


def test_version_is_in_the_changelog_and_packages_are_named(bundle):
    meta = _meta(bundle)
    assert meta["version"] in meta["changelog"]
    assert meta["required_packages_version"].get("cardio-monai")
    io = meta["network_data_format"]
    for spec in [*io["inputs"].values(), *io["outputs"].values()]:
        assert all(isinstance(v, int | float) for v in spec["value_range"]), spec["value_range"]


def test_configs_are_4_space_json(bundle):
    for path in sorted((bundle / "configs").glob("*.json")):
        text = path.read_text()
        assert text == json.dumps(json.loads(text), indent=4, ensure_ascii=False) + "\n", f"{path.name}: not 4-space"


def test_no_file_outside_models_exceeds_the_zoo_limit(bundle):
    big = [p for p in bundle.rglob("*") if p.is_file() and not {"models", "eval"} & set(p.relative_to(bundle).parts)]
    big = [str(p.relative_to(bundle)) for p in big if p.stat().st_size > 2**20]
    assert not big, f"over the model zoo's 1 MB pre-commit limit: {big}"


def test_data_license_is_present(bundle):
    text = (bundle / "docs" / "data_license.txt").read_text()
    assert len(text.split()) > 20


def test_eval_metrics_equal_the_results_file_and_the_model_card(bundle):
    meta = _meta(bundle)
    metrics = meta.get("eval_metrics", {})
    assert metrics, "eval_metrics missing"
    assert bundle.name in EVAL_SOURCES, f"name the results file of {bundle.name}'s eval_metrics in EVAL_SOURCES"
    source, paths = EVAL_SOURCES[bundle.name]
    assert set(metrics) == set(paths)
    results = json.loads((bundle / source).read_text())
    card = (bundle / "docs" / "README.md").read_text()
    for key, value in metrics.items():
        path, factor = paths[key]
        figure = results
        for part in path:
            figure = figure[part]
        decimals = len(str(value).partition(".")[2])
        assert abs(value - factor * figure) <= 0.5 * 10**-decimals + 1e-9, (key, value, figure)
        assert str(value) in card, f"{key} = {value} is not in docs/README.md"


def test_verify_net_in_out(bundle):
    proc = _bundle_cli(
        "verify_net_in_out",
        "network_def",
        *("--meta_file", "configs/metadata.json", "--config_file", "configs/inference.json"),
        *("--bundle_root", ".", "--device", "cpu", "--any", "4"),
        cwd=bundle,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "data shape of network is verified with no error" in proc.stderr + proc.stdout


def test_torchscript_export_loads_and_matches_eager(bundle, tmp_path):
    ts = tmp_path / "model.ts"
    proc = _bundle_cli(
        "ckpt_export",
        "network_def",
        *("--filepath", str(ts), "--ckpt_file", "models/model.pt"),
        *("--meta_file", "configs/metadata.json", "--config_file", "configs/inference.json", "--bundle_root", "."),
        cwd=bundle,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    scripted = torch.jit.load(str(ts), map_location="cpu")
    eager = _inference_parser(bundle).get_parsed_content("network_def")
    eager.load_state_dict(torch.load(bundle / "models" / "model.pt", map_location="cpu", weights_only=True))
    eager.eval()
    meta = _meta(bundle)
    for seed in range(3):  # several inputs: other label maps, other slice counts where the shape has a "*"
        x = _example_input(meta, seed, any_size=4 + seed)
        with torch.no_grad():
            expected, got = eager(x), scripted(x)
        assert bool(torch.isfinite(expected).all())
        scale = max(1.0, float(expected.abs().max()))
        torch.testing.assert_close(got, expected, atol=TOLERANCE * scale, rtol=0)


def test_inference_config_has_the_zoo_properties_and_a_neutral_default_input(bundle):
    wf = ConfigWorkflow(
        config_file=str(bundle / "configs" / "inference.json"),
        meta_file=str(bundle / "configs" / "metadata.json"),
        workflow_type="infer",
        bundle_root=str(bundle),
    )
    wf.initialize()
    assert not wf.check_properties(), "required inference properties are missing"
    dataset_dir = Path(wf.dataset_dir).resolve()
    assert dataset_dir.is_dir(), f"default dataset_dir {dataset_dir} does not exist"
    assert not dataset_dir.is_relative_to(REPO.parent / "shared"), "default dataset_dir points at ../shared"
    assert dataset_dir.is_relative_to(REPO / "cardio_monai"), "default input is not shipped with the package"


def test_default_input_runs(bundle, tmp_path):
    out = tmp_path / "out"
    logging = bundle / "configs" / "logging.conf"
    wf = ConfigWorkflow(
        config_file=str(bundle / "configs" / "inference.json"),
        meta_file=str(bundle / "configs" / "metadata.json"),
        logging_file=str(logging) if logging.is_file() else None,
        workflow_type="infer",
        bundle_root=str(bundle),
        output_dir=str(out),
        device="$torch.device('cpu')",
    )
    wf.initialize()
    wf.run()
    wf.finalize()
    written = [p for p in out.rglob("*") if p.is_file()]
    assert written, "the default input wrote nothing"
