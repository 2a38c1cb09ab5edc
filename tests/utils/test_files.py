"""Atomic writing: the target appears whole or not at all, with an ordinary file mode."""

from __future__ import annotations

import os

import pytest

from cardio_monai.utils.files import atomic_path, write_csv


def test_written_file_gets_the_mode_of_a_plain_open(tmp_path):
    umask = os.umask(0o022)
    try:
        path = write_csv(tmp_path / "a.csv", [{"x": 1.0}], ["x"])
        plain = tmp_path / "plain.txt"
        plain.write_text("x\n")
    finally:
        os.umask(umask)
    assert path.read_text().splitlines() == ["x", "1.00"]
    assert path.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777 == 0o644


def test_failed_write_leaves_neither_target_nor_temporary(tmp_path):
    target = tmp_path / "sub" / "out.json"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("writer failed")
    assert not target.exists() and list(target.parent.iterdir()) == []
