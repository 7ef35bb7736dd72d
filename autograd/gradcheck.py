"""gradcheck and gradgradcheck: compare the engine's derivatives with central finite differences.

For every input element x_i, the numerical derivative is

    (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)

computed in float64, and it must agree with backpropagation within ``atol + rtol * |numeric|``
(PyTorch's defaults: eps 1e-6, atol 1e-5, rtol 1e-3). For an output with several elements the
whole Jacobian is compared, one backward pass per output element.

:func:`gradgradcheck` does the same one level up: the first derivatives ``g(x) = v^T df/dx``
(for a fixed random ``v``) are differentiated by the recorded backward pass
(``grad(..., create_graph=True)``) and by central differences of ``g`` itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import engine
from .modes import no_grad

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck", "jacobians", "second_jacobians"]


class GradcheckError(RuntimeError):
    """Backpropagation and finite differences disagree; the message is a table of the worst."""


def _flat(x: Any) -> np.ndarray:
    return np.array(x, dtype=np.float64).reshape(-1)


def _set(node: Any, index: int, value: float) -> None:
    if isinstance(node.data, np.ndarray):
        node.data.flat[index] = value
    else:
        node.data = float(value)


def _central_differences(x: Any, evaluate: Callable[[], np.ndarray], eps: float) -> np.ndarray:
    """The columns ``(evaluate() at x + eps e_j - at x - eps e_j) / (2 eps)``, one per element
    of the input ``x`` (changed in place and put back)."""
    original = _flat(x.data)
    columns = []
    for j in range(original.size):
        _set(x, j, original[j] + eps)
        plus = evaluate()
        _set(x, j, original[j] - eps)
        minus = evaluate()
        _set(x, j, original[j])
        columns.append((plus - minus) / (2.0 * eps))
    if not columns:  # an empty input: no columns (and no rows to size them from without one)
        return np.zeros((evaluate().size, 0))
    return np.stack(columns, axis=1)


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
    with no_grad():
        for i in checked:
            numeric.append(_central_differences(inputs[i], lambda: _flat(fn(*inputs).data), eps))
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
    return _compare("gradcheck", "gradient", ("input", "out", "elem"),
                    jacobians(fn, inputs, eps).items(), eps, atol, rtol, raise_exception)


def _compare(name: str, what: str, columns: tuple[str, str, str], pairs: Any, eps: float,
             atol: float, rtol: float, raise_exception: bool) -> bool:
    """Compare (analytic, numeric) matrices, keyed by input; report the worst disagreements."""
    rows, total = [], 0
    for i, (analytic, numeric) in pairs:
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
    a, b, c = columns
    lines = [f"{name}: {len(rows)} of {total} {what} entries disagree "
             f"(eps={eps:g}, atol={atol:g}, rtol={rtol:g}); the worst:",
             f"{a:>6} {b:>5} {c:>5} {'analytic':>14} {'numeric':>14} {'error':>11}"]
    for error, i, k, j, x, n in rows[:10]:
        lines.append(f"{i:>6} {k:>5} {j:>5} {x:>14.6g} {n:>14.6g} {error:>11.3g}")
    raise GradcheckError("\n".join(lines))


def _first_derivatives(fn: Callable[..., Any], inputs: Sequence[Any], checked: list[int],
                       seed: Any, create_graph: bool) -> list[Any]:
    """``v^T df/dx`` for each checked input (None where f does not depend on it)."""
    out = fn(*inputs)
    return list(engine.grad(out, [inputs[i] for i in checked], grad_outputs=seed,
                            create_graph=create_graph, allow_unused=True))


def second_jacobians(fn: Callable[..., Any], inputs: Sequence[Any], eps: float = 1e-6,
                     seed: Any = None) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """{input position: (analytic, numeric)} Jacobians of the first derivatives with respect to
    that input, each shaped (number of gradient entries, n_in): row k is the derivative of the
    k-th entry of ``g = v^T df/dx`` (all checked inputs' gradients, flattened and joined).
    ``seed`` is ``v`` (default: a fixed random one, 1 for a Value)."""
    checked = _check_inputs(inputs)
    wanted = [inputs[i] for i in checked]
    with no_grad():
        out = fn(*inputs)
    if seed is None and isinstance(out.data, np.ndarray):
        seed = np.random.default_rng(0).uniform(0.5, 1.5, out.data.shape)
    firsts = _first_derivatives(fn, inputs, checked, seed, create_graph=True)
    sizes = [_flat(inputs[i].data).size for i in checked]
    analytic = [np.zeros((sum(sizes), n)) for n in sizes]
    row = 0
    for g, size in zip(firsts, sizes):
        for k in range(size):
            if g is not None and getattr(g, "requires_grad", True):
                onehot = None
                if isinstance(g.data, np.ndarray):
                    onehot = np.zeros(g.data.shape)
                    onehot.flat[k] = 1.0
                seconds = engine.grad(g, wanted, grad_outputs=onehot, allow_unused=True)
                for a, s in zip(analytic, seconds):
                    if s is not None:
                        a[row] = _flat(s.data)
            row += 1
    numeric = [_central_differences(inputs[i], lambda: _joined(
        _first_derivatives(fn, inputs, checked, seed, False), sizes), eps) for i in checked]
    return {i: (a, n) for i, a, n in zip(checked, analytic, numeric)}


def _joined(grads: list[Any], sizes: list[int]) -> np.ndarray:
    return np.concatenate([np.zeros(n) if g is None else _flat(g.data)
                           for g, n in zip(grads, sizes)])


def gradgradcheck(fn: Callable[..., Any], *inputs: Any, grad_outputs: Any = None,
                  eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  raise_exception: bool = True) -> bool:
    """Check the second derivatives of ``fn(*inputs)`` against finite differences of its first
    derivatives.

    The first derivatives ``g(x) = v^T df/dx`` (``v``: ``grad_outputs``, default a fixed random
    seed; 1 for a Value) are taken with ``grad(..., create_graph=True)``, and the recorded
    backward pass is differentiated again, one entry of ``g`` at a time. Each row is compared
    with ``(g(x + eps e_j) - g(x - eps e_j)) / (2 eps)``, where ``g`` is computed on data.
    Arguments and tolerances as in :func:`gradcheck`; the report lists the worst entries as
    (wrt input, gradient entry, input element).

    >>> from autograd import Value
    >>> gradgradcheck(lambda a, b: (a * b).tanh() + a ** 3, Value(0.3), Value(-1.2))
    True
    """
    pairs = second_jacobians(fn, inputs, eps, grad_outputs).items()
    return _compare("gradgradcheck", "second-derivative", ("wrt", "grad", "elem"), pairs, eps,
                    atol, rtol, raise_exception)
