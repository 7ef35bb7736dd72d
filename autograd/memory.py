"""Keep freed memory for reuse, so that a training step does not wait for the kernel to zero pages.

NumPy takes each array's memory from the C library's ``malloc``. On Linux, glibc's ``malloc``
gives large free blocks back to the operating system: blocks above the mmap threshold are
unmapped when freed, and the top of its heap is trimmed once more than the trim threshold of it
is free. glibc adapts both: when an unmapped block is freed, the mmap threshold rises to its size
(up to 32 MiB) and the trim threshold to twice that. A training step makes the same large arrays
every time and frees them all at its end; when that is more than glibc keeps, the next step asks
for the memory again and the kernel hands out fresh pages, zeroing every one: a page fault per
4 KiB page, or per 2 MiB huge page. The MNIST CNN at batch 128 pays about 10,000 page faults per
step for this, 13-16% of its time here. Whether a step faults depends on the sizes and order of
its arrays: ``benchmarks/tensor_engine.py`` counts the faults per step.

:func:`keep_freed_memory` asks glibc to keep freed blocks in its heap for the next allocation
instead. The price is memory: between steps the process stays at its peak size instead of
shrinking. The setting belongs to the whole process (every library in it uses the same
``malloc``), so glassgrad never makes it by itself: call it once, for instance before training.
"""

from __future__ import annotations

import ctypes
import numbers
import os

__all__ = ["keep_freed_memory"]

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
    is set.

    >>> keep_freed_memory(limit=-1)
    Traceback (most recent call last):
    ...
    ValueError: keep_freed_memory: limit must be a number of bytes >= 0, got -1
    """
    if isinstance(limit, bool) or not isinstance(limit, numbers.Integral):
        raise TypeError(f"keep_freed_memory: limit must be an int (bytes), got "
                        f"{type(limit).__name__} {limit!r}")
    if limit < 0:
        raise ValueError(f"keep_freed_memory: limit must be a number of bytes >= 0, got {limit}")
    libc = _glibc()
    if libc is None:
        return False
    trim = int(limit) if limit <= _INT_MAX else -1  # -1: the largest value, never trim
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, LARGEST_HEAP_BLOCK)
                and libc.mallopt(_M_TRIM_THRESHOLD, trim))


def _glibc() -> ctypes.CDLL | None:
    """The running C library when it is glibc, else None."""
    try:
        version = os.confstr("CS_GNU_LIBC_VERSION")
    except (AttributeError, ValueError, OSError):  # not a POSIX system, or not glibc
        return None
    if not version or not version.startswith("glibc"):
        return None
    return ctypes.CDLL(None)
