"""Loading weights safely: ``torch.load(weights_only=True)`` and one-line errors naming the file."""

from __future__ import annotations

from pathlib import Path

from cardio_monai.errors import InputError


def load_weights(module, path: str | Path, what: str = "the network", hint: str = "pass --bundle"):
    """Load the state dict at ``path`` into ``module`` (a ``torch.nn.Module``) and return it.

    Raises:
        InputError: a missing file, one that is not a readable weights-only checkpoint (pickled objects
            are refused, never executed), or one whose tensors do not fit ``module``.
    """
    import torch

    path = Path(path)
    if not path.is_file():
        raise InputError(path, f"no such checkpoint; {hint}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises several types for truncated or foreign files
        raise InputError(path, f"not a readable checkpoint ({type(err).__name__})") from None
    if not isinstance(state, dict):
        raise InputError(path, f"not a state dict of {what}")
    try:
        module.load_state_dict(state)
    except (RuntimeError, TypeError, AttributeError) as err:
        lines = str(err).strip().splitlines()
        detail = lines[1].strip() if len(lines) > 1 else lines[0]
        raise InputError(path, f"does not fit {what} (a checkpoint of another architecture): {detail}") from None
    return module


def resume_path(ckpt_dir: str | Path, prefix: str = "resume") -> str:
    """The newest ``{prefix}_checkpoint_epoch=N.pt`` that MONAI's ``CheckpointSaver`` left in ``ckpt_dir``,
    or ``""`` when there is none (a fresh run)."""
    found = sorted(Path(ckpt_dir).glob(f"{prefix}_checkpoint_epoch=*.pt"), key=lambda p: int(p.stem.split("=")[-1]))
    return str(found[-1]) if found else ""
