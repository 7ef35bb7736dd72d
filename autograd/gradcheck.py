"""gradcheck: compare the engine's gradients with central finite differences.

For every input element x_i, the numerical derivative is

    (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)

computed in float64, and it must agree with backpropagation within ``atol + rtol * |numeric|``
(PyTorch's defaults: eps 1e-6, atol 1e-5, rtol 1e-3). For an output with several elements the
whole Jacobian is compared, one backward pass per output element.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import engine

__all__ = ["GradcheckError", "gradcheck", "jacobians"]


class GradcheckError(RuntimeError):
    """Backpropagation and finite differences disagree; the message is a table of the worst."""


def _flat(x: Any) -> np.ndarray:
    return np.array(x, dtype=np.float64).reshape(-1)


def _set(node: Any, index: int, value: float) -> None:
    if isinstance(node.data, np.ndarray):
        node.data.flat[index] = value
    else:
        node.data = float(value)


def _check_inputs(inputs: Sequence[Any]) -> list[int]:
    """Positions of the inputs whose gradients are checked; a clear error for bad inputs."""
    checked = []
    for i, x in enumerate(inputs):
        if not hasattr(x, "_prev") or not hasattr(x, "data"):
            raise TypeError(f"gradcheck: input {i} must be a Value or a Tensor, got "
                            f"{type(x).__name__}")
        data = x.data
        if isinstance(data, np.ndarray) and data.dtype != np.float64:
            raise TypeError(f"gradcheck: input {i} is {data.dtype}; finite differences need "
                            "float64 inputs (e.g. Tensor(x, dtype='float64', requires_grad=True))")
        if getattr(x, "requires_grad", True):
            checked.append(i)
    if not checked:
        raise ValueError("gradcheck: no input requires a gradient (set requires_grad=True)")
    return checked


def jacobians(fn: Callable[..., Any], inputs: Sequence[Any], eps: float = 1e-6,
              ) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """{input position: (analytic, numeric)} Jacobians, each shaped (n_out, n_in).

    Only inputs that require a gradient are included.
    """
    checked = _check_inputs(inputs)
    out = fn(*inputs)
    n_out = _flat(out.data).size
    analytic = [np.zeros((n_out, _flat(inputs[i].data).size)) for i in checked]
    for k in range(n_out):
        for i in checked:
            inputs[i]._reset_grad()
        out = fn(*inputs)
        seed = None
        if isinstance(out.data, np.ndarray):
            seed = np.zeros(out.data.shape, dtype=out.data.dtype)
            seed.flat[k] = 1.0
        engine.backward(out, seed)
        for a, i in zip(analytic, checked):
            grad = inputs[i].grad
            a[k] = 0.0 if grad is None else _flat(grad)
    numeric = []
    with engine.no_grad():
        for i in checked:
            x = inputs[i]
            original = _flat(x.data)
            jac = np.zeros((n_out, original.size))
            for j in range(original.size):
                _set(x, j, original[j] + eps)
                plus = _flat(fn(*inputs).data)
                _set(x, j, original[j] - eps)
                minus = _flat(fn(*inputs).data)
                _set(x, j, original[j])
                jac[:, j] = (plus - minus) / (2.0 * eps)
            numeric.append(jac)
    for i in checked:
        inputs[i]._reset_grad()
    return {i: (a, n) for i, a, n in zip(checked, analytic, numeric)}


def gradcheck(fn: Callable[..., Any], *inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """Check the gradients of ``fn(*inputs)`` against central finite differences.

    Args:
        fn: builds the output from the inputs (Values or float64 Tensors); it is called again for
            every perturbed input, so it must not depend on state it changes.
        inputs: the leaves to differentiate with respect to (Tensors with ``requires_grad``).
        eps, atol, rtol: step and tolerances; agreement means
            ``|analytic - numeric| <= atol + rtol * |numeric|`` for every entry.
        raise_exception: raise :class:`GradcheckError` on disagreement (else return False).

    Returns:
        True when every entry agrees. Input gradients are left reset.

    >>> from autograd import Value
    >>> gradcheck(lambda a, b: (a * b + a).tanh(), Value(0.3), Value(-1.2))
    True
    >>> gradcheck(lambda a: a * Value(a.data), Value(1.5))  # a constant copy loses a term
    Traceback (most recent call last):
    ...
    autograd.gradcheck.GradcheckError: gradcheck: 1 of 1 gradient entries disagree ...
    """
    rows, total = [], 0
    for i, (analytic, numeric) in jacobians(fn, inputs, eps).items():
        error = np.abs(analytic - numeric)
        bad = error > atol + rtol * np.abs(numeric)
        total += analytic.size
        for k, j in zip(*np.nonzero(bad)):
            rows.append((error[k, j], i, k, j, analytic[k, j], numeric[k, j]))
    if not rows:
        return True
    if not raise_exception:
        return False
    rows.sort(reverse=True)
    lines = [f"gradcheck: {len(rows)} of {total} gradient entries disagree "
             f"(eps={eps:g}, atol={atol:g}, rtol={rtol:g}); the worst:",
             f"{'input':>6} {'out':>5} {'elem':>5} {'analytic':>14} {'numeric':>14} {'error':>11}"]
    for error, i, k, j, a, n in rows[:10]:
        lines.append(f"{i:>6} {k:>5} {j:>5} {a:>14.6g} {n:>14.6g} {error:>11.3g}")
    raise GradcheckError("\n".join(lines))
