"""Checkpoints: loading weights safely (``torch.load(weights_only=True)``, one-line errors naming the file),
finding the newest resume checkpoint, and the random state a resumed training run needs."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from cardio_monai.errors import InputError


def _read_state(path: Path, what: str, hint: str) -> dict:
    """The state dict in ``path``, read with ``weights_only=True``; :class:`InputError` for a missing file,
    one that is not a readable checkpoint (pickled objects are refused, never executed) or not a dict."""
    import torch

    if not path.is_file():
        raise InputError(path, f"no such checkpoint; {hint}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises several types for truncated or foreign files
        raise InputError(path, f"not a readable checkpoint ({type(err).__name__})") from None
    if not isinstance(state, dict):
        raise InputError(path, f"not a state dict of {what}")
    return state


def _load_strict(module, state: dict, path: Path, what: str):
    try:
        module.load_state_dict(state)
    except (RuntimeError, TypeError, AttributeError) as err:
        lines = str(err).strip().splitlines()
        detail = lines[1].strip() if len(lines) > 1 else lines[0]
        raise InputError(path, f"does not fit {what} (a checkpoint of another architecture): {detail}") from None
    return module


def load_weights(module, path: str | Path, what: str = "the network", hint: str = "pass --bundle"):
    """Load the state dict at ``path`` into ``module`` (a ``torch.nn.Module``) and return it.

    Raises:
        InputError: a missing file, one that is not a readable weights-only checkpoint (pickled objects
            are refused, never executed), or one whose tensors do not fit ``module``.
    """
    path = Path(path)
    return _load_strict(module, _read_state(path, what, hint), path, what)


def load_weights_widened(module, path: str | Path, what: str = "the network", hint: str = "pass --bundle"):
    """Load the state dict at ``path`` into ``module`` whose input layers take more channels than the
    checkpoint's (a generator given extra condition channels): a tensor that differs from the module's
    only in a smaller dimension 1 fills that dimension's leading entries, the added ones start at zero
    (so the widened network first computes what the checkpoint did). Every other tensor must fit exactly
    (strict). Returns ``module``.

    Raises:
        InputError: as :func:`load_weights`, or a tensor that cannot be widened.
    """
    import torch

    path = Path(path)
    state = _read_state(path, what, hint)
    target = module.state_dict()
    for name, value in state.items():
        want = target.get(name)
        if want is None or value.shape == want.shape:
            continue
        if (
            value.dim() < 2
            or value.shape[:1] != want.shape[:1]
            or value.shape[2:] != want.shape[2:]
            or value.shape[1] > want.shape[1]
        ):
            raise InputError(path, f"{name}: {tuple(value.shape)} cannot be widened to {tuple(want.shape)} of {what}")
        wide = torch.zeros_like(want)
        wide[:, : value.shape[1]] = value
        state[name] = wide
    return _load_strict(module, state, path, what)


def resume_path(ckpt_dir: str | Path, prefix: str = "resume") -> str:
    """The newest complete ``{prefix}_checkpoint_epoch=N.pt`` that MONAI's ``CheckpointSaver`` left in
    ``ckpt_dir``, or ``""`` when there is none (a fresh run). A file cut short by a kill while it was written
    is passed over (the configs keep two checkpoints, ``n_saved: 2``, so an older complete one remains)."""
    found = sorted(Path(ckpt_dir).glob(f"{prefix}_checkpoint_epoch=*.pt"), key=lambda p: int(p.stem.split("=")[-1]))
    complete = [p for p in found if zipfile.is_zipfile(p)]  # a save cut short by a kill has no zip directory
    return str(complete[-1]) if complete else ""


def _randomised(obj: Any, seen: set[int]) -> list[Any]:
    """The MONAI ``Randomizable`` objects in ``obj`` and, recursively, in its ``transforms`` and attributes (a
    dictionary transform draws from the array transform it holds, e.g. ``RandSpatialCropd.cropper``)."""
    from monai.transforms import Randomizable

    if id(obj) in seen:
        return []
    seen.add(id(obj))
    found = [obj] if isinstance(obj, Randomizable) else []
    children = [*(getattr(obj, "transforms", None) or ()), *getattr(obj, "__dict__", {}).values()]
    for child in children:
        if isinstance(child, Randomizable) or hasattr(child, "transforms"):
            found += _randomised(child, seen)
    return found


def _numpy_state(state: tuple) -> dict[str, Any]:
    import torch

    _, keys, pos, has_gauss, gauss = state
    return {"keys": torch.as_tensor(keys.astype("int64")), "pos": int(pos), "has_gauss": int(has_gauss),
            "gauss": float(gauss)}  # fmt: skip


def _numpy_tuple(state: dict[str, Any]) -> tuple:
    return ("MT19937", state["keys"].numpy().astype("uint32"), state["pos"], state["has_gauss"], state["gauss"])


class RandomState:
    """The random state of a training run as an entry of its resume checkpoint: torch's, numpy's and Python's
    global generators and the generator (``R``) of every randomised MONAI transform in ``transforms``, so that
    a run resumed after a kill shuffles and augments as the uninterrupted run would have (bit-identical
    weights on CPU). Stored as tensors and plain numbers: the checkpoint still loads with
    ``weights_only=True``."""

    def __init__(self, transforms: Any = None):
        self.transforms = [] if transforms is None else _randomised(transforms, set())

    def state_dict(self) -> dict[str, Any]:
        import random

        import numpy as np
        import torch

        version, internal, gauss_next = random.getstate()
        return {
            "torch": torch.get_rng_state(),
            "numpy": _numpy_state(np.random.get_state()),  # noqa: NPY002 (the global generator MONAI seeds)
            "python": {
                "version": version,
                "internal": torch.as_tensor(internal, dtype=torch.int64),
                "gauss_next": gauss_next,
            },  # fmt: skip
            "transforms": [_numpy_state(t.R.get_state()) for t in self.transforms],
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        import random

        import numpy as np
        import torch

        if len(state["transforms"]) != len(self.transforms):
            raise ValueError(
                f"the checkpoint holds the state of {len(state['transforms'])} random transforms, "
                f"the run has {len(self.transforms)}"
            )
        torch.set_rng_state(state["torch"])
        np.random.set_state(_numpy_tuple(state["numpy"]))  # noqa: NPY002
        py = state["python"]
        random.setstate((py["version"], tuple(int(v) for v in py["internal"]), py["gauss_next"]))
        for transform, saved in zip(self.transforms, state["transforms"]):
            transform.R.set_state(_numpy_tuple(saved))
