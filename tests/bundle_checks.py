"""The model zoo's offline checks of a bundle (``monai.bundle verify_metadata`` and ``verify_net_in_out``),
shared by the tests of both bundles."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO / "bundles" / "schema" / "meta_schema_regression.json"


def _bundle_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "monai.bundle", *args], capture_output=True, text=True, cwd=REPO)


def assert_metadata_verified(configs: Path) -> None:
    """``metadata.json`` of ``configs`` passes ``verify_metadata`` against the schema in the repo (offline)."""
    proc = _bundle_cli("verify_metadata", "--meta_file", str(configs / "metadata.json"), "--filepath", str(SCHEMA))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "metadata is verified with no error" in proc.stderr + proc.stdout


def assert_net_in_out_verified(configs: Path, *extra: str) -> None:
    """``network_def`` of ``configs/inference.json`` maps the metadata's input shape to its output shape."""
    proc = _bundle_cli(
        "verify_net_in_out",
        "network_def",
        *("--meta_file", str(configs / "metadata.json"), "--config_file", str(configs / "inference.json")),
        *("--device", "cpu", *extra),
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "data shape of network is verified with no error" in proc.stderr + proc.stdout
