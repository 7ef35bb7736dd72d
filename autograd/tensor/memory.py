"""Keep freed memory for reuse, so that a training step does not wait for the kernel to zero pages.

NumPy takes each array's memory from the C library's ``malloc``. On Linux, glibc's ``malloc``
gives large free blocks back to the operating system: blocks above the mmap threshold are
unmapped when freed, and the top of its heap is trimmed once more than the trim threshold of it
is free. glibc adapts both: when an unmapped block is freed, the mmap threshold rises to its size
(up to 32 MiB) and the trim threshold to twice that. A training step makes the same large arrays
every time and frees them all at its end; when that is more than glibc keeps, the next step asks
for the memory again and the kernel hands out fresh pages, zeroing every one: a page fault per
4 KiB page, or per 2 MiB huge page. The MNIST CNN at batch 128 paid about 10,000 page faults per
step for this, the 8x8 CNN of the benchmark about 800 (a third of its step time here). Whether a
step faults depends on the sizes and order of its arrays: ``benchmarks/tensor_engine.py`` counts
the faults per step.

:func:`keep_freed_memory` asks glibc to keep freed blocks in its heap for the next allocation
instead, as PyTorch's CUDA allocator keeps freed GPU memory. The price is memory: between steps
the process stays at its peak size instead of shrinking; :func:`release_freed_memory` gives the
kept memory back when you are done (like ``torch.cuda.empty_cache()``). The setting belongs to
the whole process (every library in it uses the same ``malloc``), so importing glassgrad never
changes it: training turns it on. ``nn.fit`` calls :func:`keep_freed_memory_for_training`
(unless ``fit(..., keep_freed_memory=False)``), and so do the tensor and MNIST benchmarks
(unless ``--malloc-defaults``); the environment variable ``GLASSGRAD_KEEP_FREED_MEMORY=0`` turns
it off for all of them. Without glibc (macOS, Windows, Alpine's musl) nothing changes.
"""

from __future__ import annotations

import ctypes
import numbers
import os
import warnings
from typing import Any

__all__ = [
    "ENV_VAR", "keep_freed_memory", "keep_freed_memory_for_training", "keeping",
    "release_freed_memory",
]

ENV_VAR = "GLASSGRAD_KEEP_FREED_MEMORY"
"""Set it to 0 (or false, no, off) to keep training from changing glibc's malloc settings (1, the
default: training keeps freed memory)."""

keeping = False
"""Whether glibc keeps freed memory for reuse because glassgrad asked (training, or a call)."""

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameters, from glibc's malloc.h
LARGEST_HEAP_BLOCK = 32 << 20
"""The mmap threshold set: blocks up to this size come from the heap. Every glibc accepts it
(older ones refuse more on 64-bit systems); larger arrays are still unmapped when freed."""
_INT_MAX = 2**31 - 1  # mallopt takes a C int


def keep_freed_memory(limit: int = 1 << 30) -> bool:
    """Make glibc keep up to ``limit`` bytes of freed memory for reuse, rather than giving it back
    to the operating system (see the module's docstring for why this speeds up training).

    Blocks up to :data:`LARGEST_HEAP_BLOCK` then come from the heap, and the heap's free top is
    given back only when it exceeds ``limit`` (a limit above 2 GiB - 1, the largest C int, means
    never). The process then stays at its peak size between steps. Returns True when glibc took
    the settings; False where there is no glibc (macOS, Windows, musl) or glibc refused them, and
    nothing changed. There is no undo: glibc's adaptive defaults cannot be restored once a value
    is set. Training calls it with the default limit (see
    :func:`keep_freed_memory_for_training`); call it again to change the limit.

    >>> keep_freed_memory(limit=-1)
    Traceback (most recent call last):
    ...
    ValueError: keep_freed_memory: limit must be a number of bytes >= 0, got -1
    """
    global keeping
    if isinstance(limit, bool) or not isinstance(limit, numbers.Integral):
        raise TypeError(f"keep_freed_memory: limit must be an int (bytes), got "
                        f"{type(limit).__name__} {limit!r}")
    if limit < 0:
        raise ValueError(f"keep_freed_memory: limit must be a number of bytes >= 0, got {limit}")
    mallopt = _glibc_function("mallopt")
    if mallopt is None:
        return False
    trim = int(limit) if limit <= _INT_MAX else -1  # -1: the largest value, never trim
    took = bool(mallopt(_M_MMAP_THRESHOLD, LARGEST_HEAP_BLOCK) and mallopt(_M_TRIM_THRESHOLD, trim))
    keeping = keeping or took
    return took


def release_freed_memory() -> bool:
    """Give the freed memory that glibc keeps back to the operating system now (``malloc_trim``),
    for instance after training; later allocations will fault pages in again. Returns True when
    some memory went back; False when none did, or without glibc.

    >>> import numpy as np
    >>> activations = np.ones(2 << 20); del activations  # 16 MiB made and freed: kept for reuse
    >>> went_back = release_freed_memory()  # True on glibc: the 16 MiB went back to the system
    """
    malloc_trim = _glibc_function("malloc_trim")
    return bool(malloc_trim is not None and malloc_trim(0))


_OFF, _ON = ("0", "false", "no", "off"), ("1", "true", "yes", "on", "")


def keep_freed_memory_for_training() -> bool:
    """What ``nn.fit`` and the benchmarks call before training: :func:`keep_freed_memory` with
    its default limit, unless :data:`ENV_VAR` says 0 (or false, no, off). A value it does not
    know leaves glibc's settings alone, with a warning. Returns whether freed memory is kept."""
    setting = os.environ.get(ENV_VAR, "1").strip().lower()
    if setting in _ON:
        return keep_freed_memory() or keeping
    if setting not in _OFF:
        warnings.warn(f"{ENV_VAR}={os.environ[ENV_VAR]!r}: expected 0 (leave glibc's malloc "
                      "settings alone) or 1 (keep freed memory for reuse while training, the "
                      "default); leaving glibc's settings alone", stacklevel=2)
    return keeping


def _glibc_function(name: str) -> Any:
    """A function of the running C library when that is glibc (and it can be loaded), else
    None."""
    try:
        version = os.confstr("CS_GNU_LIBC_VERSION")
        if not version or not version.startswith("glibc"):
            return None
        return getattr(ctypes.CDLL(None), name)
    except (AttributeError, ValueError, OSError):  # not POSIX, not glibc, or not loadable
        return None
