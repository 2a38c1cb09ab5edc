"""The real frames behind a synthetic subject, for background-preserving synthesis.

Every subject of a ``synthesize-masks`` cohort comes from a real source subject (``source_subject`` of its
``manifest.csv``), and its label maps lie on a crop of that subject's grid (the affine says where). A
background-preserving generator keeps the source's real ED and ES frames outside the painted region, so
``synthesize-images`` needs them: :class:`SourceFrames` finds the sources (the folder the cohort was made
from, as its ``run.json`` records, or one given), reads each once and hands out its ED/ES frames and label
maps on a synthetic subject's grid.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from cardio_monai.errors import InputError
from cardio_monai.io import StudySource, find_studies
from cardio_monai.utils import progress

RUN_FILE = "run.json"  # written by synthesize-masks: {"input": the source folder, ...}
_GRID_TOLERANCE_PX = 1e-3


def cohort_sources(mask_dir: str | Path, sources: str | Path | None = None) -> Path:
    """The folder of the real subjects a mask cohort was made from: ``sources`` when given, else the
    ``input`` recorded in ``MASK_DIR/run.json`` (a relative one is taken from ``MASK_DIR``).

    Raises:
        InputError: no ``run.json`` (nor ``sources``), or a folder that does not exist.
    """
    if sources is not None:
        path = Path(sources)
    else:
        run = Path(mask_dir) / RUN_FILE
        try:
            path = Path(mask_dir) / json.loads(run.read_text())["input"]  # a relative input: beside the cohort
        except (OSError, ValueError, KeyError, TypeError):
            raise InputError(
                run, "no readable source folder ('input'); pass --sources, the folder of the real subjects"
            ) from None
    if not path.exists():
        raise InputError(path, "the mask cohort's source subjects are not there; pass --sources")
    return path


class SourceFrames:
    """The real ED/ES frames and label maps of a cohort's source subjects on its subjects' grids.

    Args:
        path: the folder (any INPUT form with ED/ES labels) holding the source subjects.
        subjects: the source subjects the cohort needs; each must be in ``path`` (checked at once, so a
            run that cannot finish writes nothing).
        cache: sources kept in memory (the most recently used; a cohort sorted by source reads each once).

    Raises:
        InputError: a source subject that ``path`` does not hold.
    """

    def __init__(self, path: str | Path, subjects: Sequence[str], cache: int = 4) -> None:
        self.path = Path(path)
        found = {s.subject: s for s in find_studies(self.path)}
        missing = sorted(set(subjects) - set(found))
        if missing:
            more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
            raise InputError(self.path, f"no source subject {', '.join(missing[:3])}{more} of the mask cohort")
        self.sources: dict[str, StudySource] = {name: found[name] for name in sorted(set(subjects))}
        self._read: OrderedDict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = OrderedDict()
        self.cache = int(cache)

    def check(self) -> None:
        """Read every source once (a corrupt or unlabelled one raises before anything is written)."""
        for subject in progress(list(self.sources), desc="sources"):
            self._record(subject)

    def _record(self, subject: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(frames (2, Z, H, W) float32 ED/ES, labels (2, Z, H, W) uint8, affine (4, 4)) of a source, read once."""
        if subject in self._read:
            self._read.move_to_end(subject)
        else:
            source = self.sources[subject]
            record = source.read(with_labels=True)
            where = record.source or source.path
            if record.ed is None or record.es is None or not {record.ed, record.es} <= set(record.labels):
                raise InputError(where, f"source {subject}: no ED and ES frames with label maps")
            frames = np.stack([record.frames[record.ed], record.frames[record.es]]).astype(np.float32)
            labels = np.stack([record.labels[record.ed], record.labels[record.es]]).astype(np.uint8)
            self._read[subject] = (frames, labels, np.asarray(record.affine, dtype=np.float64))
            while len(self._read) > self.cache:
                self._read.popitem(last=False)
        return self._read[subject]

    def frames(
        self, subject: str, affine: np.ndarray, shape: Sequence[int], where: str | Path
    ) -> tuple[np.ndarray, np.ndarray]:
        """The source's ED/ES frames (2, Z, h, w) float32 and label maps (2, Z, h, w) uint8 on the grid of
        a synthetic subject's label maps (``affine``, ``shape`` (Z, h, w)); ``where`` names that file in errors.

        Raises:
            InputError: the grid is not a crop of the source's (another subject, another geometry).
        """
        frames, labels, src_affine = self._record(subject)
        z, h, w = (int(s) for s in shape)
        offset = np.linalg.solve(src_affine, np.asarray(affine, dtype=np.float64))  # synthetic voxel -> source voxel
        r0, c0, k0 = (float(v) for v in offset[:3, 3])
        start = np.round([r0, c0, k0]).astype(int)
        same_axes = np.allclose(offset[:3, :3], np.eye(3), atol=_GRID_TOLERANCE_PX)
        on_grid = np.allclose([r0, c0, k0], start, atol=_GRID_TOLERANCE_PX)
        inside = start.min() >= 0 and start[0] + h <= frames.shape[2] and start[1] + w <= frames.shape[3]
        if not (same_axes and on_grid and inside and start[2] == 0 and z == frames.shape[1]):
            raise InputError(where, f"its grid is not a crop of source {subject}'s (another geometry)")
        window = (slice(None), slice(None), slice(start[0], start[0] + h), slice(start[1], start[1] + w))
        return frames[window], labels[window]
