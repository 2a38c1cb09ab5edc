"""Reading the studies of a ``predict`` run ahead of the readers: in ``workers`` processes (MONAI's
``DataLoader``) while the main process runs the networks, one study at a time, so memory stays flat
however many studies there are (at most ``2 * workers`` read studies wait in the queue).

A study that cannot be read arrives as its :class:`~cardio_monai.errors.InputError` (``--skip_bad`` turns
it into a warning row); any other exception is a defect and stops the run.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from monai.data import DataLoader
from torch.utils.data import Dataset

from cardio_monai.errors import InputError, input_error_in
from cardio_monai.io import StudyRecord, StudySource


class StudyReads(Dataset):
    """Item ``i``: (i, the label-free record of study ``i``, None) or (i, None, the reason it cannot be read)."""

    def __init__(self, studies: Sequence[StudySource]):
        self.studies = list(studies)

    def __len__(self) -> int:
        return len(self.studies)

    def __getitem__(self, i: int) -> tuple[int, StudyRecord | None, InputError | None]:
        try:
            return i, self.studies[i].read(with_labels=False), None
        except (InputError, RuntimeError) as wrapped:
            err = input_error_in(wrapped)
            if err is None:
                raise
            return i, None, err


def _as_is(item):
    return item


def read_ahead(
    studies: Sequence[StudySource], workers: int = 0
) -> Iterator[tuple[StudySource, StudyRecord | None, InputError | None]]:
    """(study, record, error) for each of ``studies`` in order, read by ``workers`` processes (0: here)."""
    reads = StudyReads(studies)
    loader = DataLoader(
        reads, batch_size=None, shuffle=False, num_workers=workers, collate_fn=_as_is,
        prefetch_factor=2 if workers else None, persistent_workers=False,
    )  # fmt: skip
    for i, record, err in loader:
        yield reads.studies[i], record, err
