"""The torch device a command runs on."""

from __future__ import annotations

import torch

from cardio_monai.errors import InputError


def resolve_device(device: str | None) -> torch.device:
    """``cpu``, ``cuda`` or ``cuda:N``; None picks CUDA when available.

    Raises:
        InputError: (``--device``) CUDA asked for on a machine without it, or not a device name.
    """
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    name = str(device)
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise InputError("--device", f"{name}: no CUDA device on this machine; use --device cpu")
    try:
        return torch.device(name)
    except RuntimeError:
        raise InputError("--device", f"{name!r} is not a device (cpu, cuda, cuda:N)") from None
