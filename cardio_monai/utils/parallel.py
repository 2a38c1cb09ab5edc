"""Splitting work: shards of a job (``--shard I/K``) and the cap on worker processes (``--workers``)."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import TypeVar

from cardio_monai.errors import ParameterError

T = TypeVar("T")


def max_workers() -> int:
    """The most worker processes a run may ask for: twice the CPU cores (at least 4)."""
    return max(4, 2 * (os.cpu_count() or 1))


def check_workers(workers: object) -> int:
    """``workers`` as an int in [0, :func:`max_workers`] (0: the main process does the work).

    Raises:
        ParameterError: (``workers``) not an integer, negative or above the cap.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
        raise ParameterError("workers", f"{workers!r} is not a whole number >= 0")
    if workers > max_workers():
        raise ParameterError("workers", f"{workers!r} is more than {max_workers()} (twice the CPU cores)")
    return workers


def parse_shard(spec: str | None) -> tuple[int, int]:
    """``"I/K"`` -> (I, K) with 0 <= I < K; None -> (0, 1).

    Raises:
        ParameterError: (``shard``) not of that form.
    """
    if spec is None:
        return 0, 1
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(spec))
    if not m or not int(m.group(1)) < int(m.group(2)):
        raise ParameterError("shard", f"{spec!r} is not I/K with 0 <= I < K (e.g. 0/4)")
    return int(m.group(1)), int(m.group(2))


def shard_items(items: Sequence[T], spec: str | None) -> list[T]:
    """Items k = I mod K of ``items`` for shard ``"I/K"`` (all for None): the K shards are disjoint and
    together hold every item."""
    i, k = parse_shard(spec)
    return list(items[i::k])
