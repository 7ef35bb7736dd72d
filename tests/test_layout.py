"""The house: importing loads no drawing, plotting, progress or export library and changes nothing
process-wide; the layers keep their public faces; the import contracts hold (import-linter)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import os, sys, threading, warnings
import numpy as np

def state():
    return (np.geterr(), np.get_printoptions(), sys.getrecursionlimit(), sys.getswitchinterval(),
            list(warnings.filters), dict(os.environ), threading.stack_size(), sys.flags)

before = state()
import autograd, nn
from autograd import Tensor, Value
from autograd.tensor import memory
assert state() == before, "importing changed a process-wide setting"
loaded = sorted(m for m in ("graphviz", "matplotlib", "tqdm", "hypothesis", "torch", "onnx",
                            "onnxruntime") if m in sys.modules)
print(loaded, memory.keeping)
(Value(2.0) * 3).backward()  # the engines work without the drawing code
(Tensor([1.0], requires_grad=True) * 2).sum().backward()
print(sorted(m for m in ("graphviz", "autograd.see.viz") if m in sys.modules))
autograd.draw  # the first use of a drawing name loads it
print(sorted(m for m in ("graphviz", "autograd.see.viz") if m in sys.modules))
"""


def test_import_loads_no_drawing_plotting_or_progress_library_and_changes_nothing() -> None:
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                            cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "[] False", "[]", "['autograd.see.viz', 'graphviz']"]


def test_public_names_stay_at_autograd_and_the_network_functions_live_in_nn_functional() -> None:
    import autograd
    import nn
    from autograd import see, tensor

    for name in ("Value", "Tensor", "draw", "walk", "walk_forward", "save_html", "gradcheck",
                 "backward_steps", "Step", "to_dot", "forward_frames", "backward_frames",
                 "save_frames", "gradcheck_graph", "no_grad", "detect_anomaly", "where"):
        assert name in autograd.__all__ and getattr(autograd, name) is not None
    assert autograd.walk is see.walk and autograd.Tensor is tensor.Tensor
    assert set(see.__all__) <= set(dir(autograd))
    for name in ("conv2d", "max_pool2d", "log_softmax", "softmax", "dropout", "cross_entropy"):
        assert callable(getattr(nn.functional, name))
    for name in ("jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"):
        assert callable(getattr(autograd.functional, name))
    assert callable(autograd.grad) and callable(autograd.gradgradcheck)
    with pytest.raises(AttributeError, match="module 'autograd' has no attribute 'nope'"):
        autograd.nope  # noqa: B018


def test_the_op_table_is_applied_through_the_registered_node_kinds() -> None:
    from autograd import Tensor
    from autograd.ops import _APPLY, KINDS, get_op, list_builtin_ops, register_kind

    assert set(_APPLY) == set(KINDS) == {"scalar", "tensor"}
    with pytest.raises(ValueError, match="register_kind: kind must be one of"):
        register_kind("complex", lambda op, args, ctx: None, complex)
    builtin = {op.name for op in list_builtin_ops("tensor")}
    assert {"conv2d", "max_pool2d", "log_softmax", "matmul"} <= builtin
    y = get_op("mul", "tensor")(Tensor([1.0, 2.0], requires_grad=True), 3.0)
    assert y.tolist() == [3.0, 6.0] and y._op.name == "mul"


@pytest.mark.skipif(shutil.which("lint-imports", path=str(Path(sys.executable).parent)) is None,
                    reason="import-linter is not installed (make lint installs it)")
def test_the_import_contracts_hold() -> None:
    command = str(Path(sys.executable).parent / "lint-imports")
    result = subprocess.run([command, "--no-cache"], capture_output=True, text=True, cwd=ROOT,
                            timeout=300)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "6 kept, 0 broken" in result.stdout
