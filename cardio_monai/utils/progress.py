"""Progress bars for long work (tqdm on stderr), shown only when there is enough to wait for."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm.auto import tqdm

from cardio_monai.constants import PROGRESS_MIN_SUBJECTS

T = TypeVar("T")


def progress(items: Iterable[T], total: int | None = None, desc: str = "", unit: str = "subject") -> Iterator[T]:
    """Iterate with a tqdm bar when there are more than ``PROGRESS_MIN_SUBJECTS`` items."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    if total is not None and total <= PROGRESS_MIN_SUBJECTS:
        yield from items
        return
    # disable=None: no bar when stderr is not a terminal (a log or a pipe keeps one line per message)
    yield from tqdm(items, total=total, desc=desc, unit=unit, dynamic_ncols=True, disable=None)
