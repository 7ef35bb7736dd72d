"""autograd.keep_freed_memory: freed arrays are reused instead of faulted in again."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from autograd import keep_freed_memory

ROOT = Path(__file__).resolve().parents[2]

# In a fresh process, make and free 8 arrays of 16 MiB a few times (as a training step does
# with its activations) and print the page faults of a round, the kernel zeroing fresh pages:
# with keep_freed_memory() called first when the argument is "keep".
PROBE = textwrap.dedent("""
    import resource, sys
    import numpy as np
    from autograd import keep_freed_memory

    kept = keep_freed_memory() if sys.argv[1] == "keep" else None
    counts = []
    for _ in range(4):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        arrays = [np.ones(4 << 20, dtype=np.float32) for _ in range(8)]
        del arrays
        counts.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    print(kept, min(counts[1:]))
""")


def _glibc() -> bool:
    try:
        return os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc")
    except (AttributeError, ValueError, OSError):
        return False


def _probe(mode: str) -> tuple[str, int]:
    env = {k: v for k, v in os.environ.items()  # glibc's own settings would blur the difference
           if not k.startswith("MALLOC_") and k != "GLIBC_TUNABLES"}
    env.update(PYTHONPATH=str(ROOT), NUMPY_MADVISE_HUGEPAGE="0")  # count 4 KiB pages
    result = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True,
                            env=env, check=True, timeout=120)
    kept, faults = result.stdout.split()
    return kept, int(faults)


@pytest.mark.skipif(not _glibc(), reason="keep_freed_memory changes glibc's malloc only")
def test_keep_freed_memory_stops_the_page_faults_of_repeated_large_arrays():
    # in child processes: the setting lasts for the whole process, and the test session's
    # allocator should stay as it is
    _, faults_by_default = _probe("default")
    kept, faults_kept = _probe("keep")
    assert kept == "True"
    assert faults_kept * 20 < faults_by_default  # 128 MiB given back and faulted in each round


@pytest.mark.parametrize("limit, error", [(-1, ValueError), (1.5, TypeError), (True, TypeError),
                                          ("1GB", TypeError)])
def test_keep_freed_memory_rejects_a_limit_that_is_not_a_byte_count(limit, error):
    with pytest.raises(error, match="keep_freed_memory: limit must be"):
        keep_freed_memory(limit)
