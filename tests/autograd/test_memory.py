"""autograd.keep_freed_memory: freed arrays are reused instead of faulted in again."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from autograd import keep_freed_memory

ROOT = Path(__file__).resolve().parents[2]

# Make and free 8 arrays of 16 MiB a few times (as a training step does with its activations)
# and count the page faults of one round: the kernel zeroing fresh pages.
PROBE = textwrap.dedent("""
    import resource, sys
    import numpy as np
    from autograd import keep_freed_memory

    def faults_per_round():
        counts = []
        for _ in range(4):
            before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            arrays = [np.ones(4 << 20, dtype=np.float32) for _ in range(8)]
            del arrays
            counts.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
        return min(counts[1:])

    before = faults_per_round()
    kept = keep_freed_memory()
    print(before, kept, faults_per_round())
""")


def _glibc() -> bool:
    try:
        return os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc")
    except (AttributeError, ValueError, OSError):
        return False


@pytest.mark.skipif(not _glibc(), reason="keep_freed_memory changes glibc's malloc only")
def test_keep_freed_memory_stops_the_page_faults_of_repeated_large_arrays():
    # in a child process: the setting lasts for the whole process, and the test session's
    # allocator should stay as it is
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                            env=env, check=True, timeout=120)
    before, kept, after = result.stdout.split()
    assert kept == "True"
    assert int(before) > 1000  # 128 MiB handed back and faulted in again each round
    assert int(after) < 100


@pytest.mark.parametrize("limit, error", [(-1, ValueError), (1.5, TypeError), (True, TypeError),
                                          ("1GB", TypeError)])
def test_keep_freed_memory_rejects_a_limit_that_is_not_a_byte_count(limit, error):
    with pytest.raises(error, match="keep_freed_memory: limit must be"):
        keep_freed_memory(limit)
