"""Giving freed heap memory back to the operating system between the studies of a long run.

glibc's ``malloc`` keeps the memory of freed blocks in its heap for reuse; a run over studies of many
image sizes (each with its own temporary arrays of a few to a few tens of MB) leaves the heap fragmented,
and the resident memory of ``predict`` then climbs with every new size it meets (measured: 788 MB after
25 ACDC studies, 1,054 MB after 100, flat after that when the same studies come again; 578-589 MB with
large blocks served by ``mmap`` instead). ``malloc_trim`` returns the free pages of the heap, so the
resident memory follows what is in use. Elsewhere than glibc (macOS, musl) it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim`` or None where the C library has none."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        trim = libc.malloc_trim
    except (OSError, AttributeError, TypeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def release_free_memory() -> bool:
    """Hand the heap's free pages back to the OS (glibc ``malloc_trim(0)``, about a millisecond); True
    when some memory was released, False when none was or the C library cannot."""
    trim = _malloc_trim()
    return bool(trim(0)) if trim is not None else False
