"""Freed memory kept for reuse (autograd.tensor.memory): never changed by an import, turned on by
training (nn.fit, or keep_freed_memory_for_training) unless the environment variable or fit's
argument says no, given back by release_freed_memory."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from autograd import keep_freed_memory
from autograd.tensor import memory

ROOT = Path(__file__).resolve().parents[3]

# In a fresh process, make and free 8 arrays of 16 MiB a few times (as a training step does
# with its activations) and print whether glassgrad keeps freed memory, the page faults of a
# round (the kernel zeroing fresh pages) and how much the resident size fell when
# release_freed_memory() ran after the last round. First, by the argument: "import" does nothing
# more than import autograd and nn; "call" calls keep_freed_memory(); "train" calls
# keep_freed_memory_for_training(); "fit" and "fit-off" train a tiny model with nn.fit, the
# second with keep_freed_memory=False.
PROBE = textwrap.dedent("""
    import os, resource, sys
    import numpy as np
    import autograd, nn
    from autograd.tensor import memory

    mode = sys.argv[1]
    if mode == "call":
        autograd.keep_freed_memory()
    elif mode == "train":
        memory.keep_freed_memory_for_training()
    elif mode.startswith("fit"):
        model = nn.Sequential(nn.Dense(1, 1, rng=0))
        nn.fit(model, np.ones((4, 1)), np.ones((4, 1)), "mse",
               nn.SGD(model.parameters(), lr=0.1), verbose=0, keep_freed_memory=mode == "fit")
    counts = []
    for _ in range(4):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        arrays = [np.ones(4 << 20, dtype=np.float32) for _ in range(8)]
        del arrays
        counts.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)

    def resident():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    kept = resident()
    released = autograd.release_freed_memory()
    print(memory.keeping, min(counts[1:]), released, (kept - resident()) >> 20)
""")


def _glibc() -> bool:
    try:
        return os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc")
    except (AttributeError, ValueError, OSError):
        return False


def _probe(mode: str, keep_variable: str | None) -> tuple[str, int, str, int]:
    env = {k: v for k, v in os.environ.items()  # glibc's own settings would blur the difference
           if not k.startswith("MALLOC_") and k not in ("GLIBC_TUNABLES", memory.ENV_VAR)}
    env.update(PYTHONPATH=str(ROOT), NUMPY_MADVISE_HUGEPAGE="0")  # count 4 KiB pages
    if keep_variable is not None:
        env[memory.ENV_VAR] = keep_variable
    result = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True,
                            env=env, check=True, timeout=120)
    keeping, faults, released, fell_mib = result.stdout.split()
    return keeping, int(faults), released, int(fell_mib)


@pytest.mark.skipif(not _glibc() or not os.path.exists("/proc/self/statm"),
                    reason="freed memory is kept by glibc's malloc only")
def test_training_keeps_freed_memory_an_import_does_not_and_it_is_given_back_on_request():
    # in child processes: the setting lasts for the whole process
    keeping, faults_by_glibc, _, _ = _probe("import", None)
    assert keeping == "False"  # importing autograd and nn changes nothing process-wide
    keeping, faults_kept, released, fell_mib = _probe("train", None)
    assert keeping == "True"
    assert faults_kept * 20 < faults_by_glibc  # 128 MiB given back and faulted in each round
    assert released == "True" and fell_mib >= 64  # the kept 128 MiB went back to the system
    assert _probe("train", "0")[0] == "False"  # the variable says no
    keeping, faults_called, _, _ = _probe("call", "0")  # the variable off, then called by hand
    assert keeping == "True" and faults_called * 20 < faults_by_glibc
    assert _probe("fit", None)[0] == "True" and _probe("fit-off", None)[0] == "False"


@pytest.mark.parametrize("setting, kept", [("1", True), (" Yes", True), ("ON", True), ("", True),
                                           ("0", False), ("false", False), ("Off ", False)])
def test_the_variable_turns_keeping_on_or_off(monkeypatch, setting, kept):
    calls = []
    monkeypatch.setattr(memory, "keep_freed_memory", lambda: calls.append(1))
    monkeypatch.setenv(memory.ENV_VAR, setting)
    memory.keep_freed_memory_for_training()
    assert calls == ([1] if kept else [])


def test_an_unknown_setting_of_the_variable_warns_and_leaves_malloc_alone(monkeypatch):
    calls = []
    monkeypatch.setattr(memory, "keep_freed_memory", lambda: calls.append(1))
    monkeypatch.setenv(memory.ENV_VAR, "maybe")
    with pytest.warns(UserWarning, match="GLASSGRAD_KEEP_FREED_MEMORY='maybe': expected 0"):
        memory.keep_freed_memory_for_training()
    assert calls == []


def test_without_a_loadable_glibc_nothing_changes(monkeypatch):
    def no_library(name):
        raise OSError("no C library here")

    monkeypatch.setattr(memory.ctypes, "CDLL", no_library)
    assert memory.keep_freed_memory() is False
    assert memory.release_freed_memory() is False


@pytest.mark.parametrize("limit, error", [(-1, ValueError), (1.5, TypeError), (True, TypeError),
                                          ("1GB", TypeError)])
def test_keep_freed_memory_rejects_a_limit_that_is_not_a_byte_count(limit, error):
    with pytest.raises(error, match="keep_freed_memory: limit must be"):
        keep_freed_memory(limit)
