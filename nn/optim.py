"""Optimizers: SGD (with momentum) and Adam, for Value and array (Tensor) parameters alike.

An optimizer holds a list of parameters and, at each :meth:`Optimizer.step`, moves every parameter
against its gradient. Two kinds of parameter are told apart by their ``data``:

- a Python float (an :class:`autograd.Value`): ``grad`` is a float, ``data`` is replaced;
- a floating numpy array (an ``autograd.Tensor``, or any object with array ``data``): ``grad`` is
  an array of the same shape or None (then the parameter is skipped, as in PyTorch), and ``data``
  is updated in place, keeping its dtype, so every view of it sees the new values. A Tensor is
  updated with its in-place method ``sub_`` under ``no_grad()``, which counts the change in its
  version counter: a graph built before the step then refuses ``backward()``, as in PyTorch.

The update rules are PyTorch's, so the numbers agree with ``torch.optim`` step by step.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from autograd import Tensor, no_grad

from ._checks import number
from .module import Module

__all__ = ["SGD", "Adam", "Optimizer"]


def _learning_rate(owner: str, lr: Any) -> float | Callable[[int], float]:
    """A fixed rate (a number >= 0) or a schedule: any callable step -> rate (nn.CosineDecay...)."""
    return lr if callable(lr) else number(owner, "lr", lr)


class Optimizer:
    """Base class: keeps the parameter list, tells the kinds apart, resets gradients.

    ``lr`` is a number or a schedule (``nn.CosineDecay``, ``nn.ExponentialDecay``, any callable
    ``step -> rate``); ``iterations`` counts the steps taken (a step counts once it has started),
    and ``current_lr`` is the rate the next step will use.

    Args:
        params: the parameters to train, e.g. ``model.parameters()``.
    """

    lr: float | Callable[[int], float]

    def __init__(self, params: Iterable[Any]) -> None:
        owner = type(self).__name__
        self.iterations = 0
        if isinstance(params, Module):
            raise TypeError(f"{owner}: pass model.parameters(), not the model itself")
        try:
            self.params = list(params)
        except TypeError:
            raise TypeError(f"{owner}: params must be an iterable of parameters, got "
                            f"{type(params).__name__}") from None
        if not self.params:
            raise ValueError(f"{owner}: got an empty parameter list (does the model hold its "
                             "weights as nn.Parameter? a plain Tensor in an attribute is not a "
                             "parameter)")
        self._is_array: list[bool] = []
        seen: set[int] = set()
        for i, p in enumerate(self.params):
            if id(p) in seen:
                raise ValueError(f"{owner}: parameter {i} appears more than once in params")
            seen.add(id(p))
            data = getattr(p, "data", None)
            if isinstance(data, float):
                self._is_array.append(False)
            elif isinstance(data, np.ndarray) and np.issubdtype(data.dtype, np.floating):
                self._is_array.append(True)
            else:
                raise TypeError(f"{owner}: parameter {i} must have float data (a Value) or "
                                f"floating-point array data (a Tensor), got "
                                f"{type(p).__name__} with data of type {type(data).__name__}")

    @property
    def current_lr(self) -> float:
        """The learning rate of the next step: ``lr``, or ``lr(iterations)`` for a schedule."""
        if not callable(self.lr):
            return self.lr
        rate = self.lr(self.iterations)
        if not isinstance(rate, numbers.Real) or not math.isfinite(rate) or rate < 0:
            raise ValueError(f"{type(self).__name__}: the learning-rate schedule returned "
                             f"{rate!r} at step {self.iterations}; expected a number >= 0")
        return float(rate)

    def _next_lr(self) -> float:
        """The rate for the step being taken now; counts the step."""
        rate = self.current_lr
        self.iterations += 1
        return rate

    def zero_grad(self) -> None:
        """Reset every gradient: 0.0 for a Value, None for an array parameter."""
        for p, is_array in zip(self.params, self._is_array):
            p.grad = None if is_array else 0.0

    def step(self) -> None:
        """Update every parameter from its gradient (defined by each optimizer)."""
        raise NotImplementedError(f"{type(self).__name__} defines no step()")

    def _grad(self, i: int, p: Any) -> np.ndarray | None:
        """The gradient of array parameter ``i``, checked against its shape; None to skip."""
        g = p.grad
        if g is None:
            return None
        g = np.asarray(g)
        if g.shape != p.data.shape:
            raise ValueError(f"{type(self).__name__}: parameter {i} has data of shape "
                             f"{p.data.shape} but a gradient of shape {g.shape}")
        return g


def _subtract(p: Any, update: np.ndarray, scale: float = 1.0) -> None:
    """``p.data -= scale * update`` in place: through ``sub_`` for a Tensor (its version counter
    notes the change), directly for another object with array data."""
    if isinstance(p, Tensor):
        p.sub_(update, alpha=scale)
    elif scale == 1.0:
        p.data -= update
    else:
        p.data -= scale * update


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum and L2 weight decay.

    For each parameter p with gradient g (PyTorch's rule, dampening 0):

        g <- g + weight_decay * p
        v <- momentum * v + g          (v starts at 0; skipped when momentum == 0)
        p <- p - lr * v

    Args:
        params: the parameters to train.
        lr: the learning rate (step size) eps of ``theta' = theta - eps * grad L``, or a
            schedule giving it for each step (``nn.CosineDecay``...).
        momentum: how much of the previous update is kept, in [0, 1).
        weight_decay: L2 penalty coefficient added to the gradient.

    >>> from autograd import Value
    >>> w = Value(1.0)
    >>> opt = SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.zero_grad(); loss = w * w; loss.backward(); opt.step()
    >>> round(w.data, 4)   # 1 - 0.1*2 = 0.8, then v = 0.9*2 + 1.6 = 3.4: 0.8 - 0.34
    0.46
    """

    def __init__(self, params: Iterable[Any], lr: float | Callable[[int], float],
                 momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        self.lr = _learning_rate("SGD", lr)
        self.momentum = number("SGD", "momentum", momentum, 0.0, 1.0, high_open=True)
        self.weight_decay = number("SGD", "weight_decay", weight_decay)
        super().__init__(params)
        self._velocity: list[Any] = [None] * len(self.params)

    def step(self) -> None:
        with no_grad():
            self._step()

    def _step(self) -> None:
        lr, mu, wd, velocity = self._next_lr(), self.momentum, self.weight_decay, self._velocity
        for i, (p, is_array) in enumerate(zip(self.params, self._is_array)):
            if not is_array:
                g = p.grad + wd * p.data if wd else p.grad
                if mu:
                    g = velocity[i] = mu * velocity[i] + g if velocity[i] is not None else g
                p.data -= lr * g
                continue
            g = self._grad(i, p)
            if g is None:
                continue
            if wd:
                g = g + wd * p.data
            if mu:
                if velocity[i] is None:
                    velocity[i] = np.array(g, dtype=p.data.dtype)
                else:
                    velocity[i] *= mu
                    velocity[i] += g
                g = velocity[i]
            _subtract(p, g, lr)

    def __repr__(self) -> str:
        return (f"SGD(lr={self.lr}, momentum={self.momentum}, weight_decay={self.weight_decay}, "
                f"params={len(self.params)})")


class Adam(Optimizer):
    """Adam: steps scaled by running averages of the gradient and of its square.

    For each parameter p with gradient g, at its t-th update (PyTorch's rule, L2 weight decay):

        g <- g + weight_decay * p
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g**2
        p <- p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    Args:
        params: the parameters to train.
        lr: the learning rate, or a schedule giving it for each step (``nn.CosineDecay``...).
        betas: decay rates (beta1, beta2) of the two averages, each in [0, 1).
        eps: added to the denominator to avoid dividing by zero.
        weight_decay: L2 penalty coefficient added to the gradient.

    >>> from autograd import Value
    >>> w = Value(1.0)
    >>> opt = Adam([w], lr=0.1)
    >>> loss = w * w; loss.backward(); opt.step()
    >>> round(w.data, 6)   # the first Adam step moves by lr (times g/|g|)
    0.9
    """

    def __init__(self, params: Iterable[Any], lr: float | Callable[[int], float] = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        self.lr = _learning_rate("Adam", lr)
        if not isinstance(betas, tuple | list) or len(betas) != 2:
            raise ValueError(f"Adam: betas must be a pair (beta1, beta2), got {betas!r:.60}")
        b1, b2 = betas
        self.betas = (number("Adam", "betas[0]", b1, 0.0, 1.0, high_open=True),
                      number("Adam", "betas[1]", b2, 0.0, 1.0, high_open=True))
        self.eps = number("Adam", "eps", eps)
        self.weight_decay = number("Adam", "weight_decay", weight_decay)
        super().__init__(params)
        n = len(self.params)
        self._t = [0] * n
        self._m: list[Any] = [0.0] * n
        self._v: list[Any] = [0.0] * n
        self._scratch: dict[np.dtype, np.ndarray] = {}

    def step(self) -> None:
        with no_grad():
            self._step()

    def _step(self) -> None:
        lr, (b1, b2), eps, wd = self._next_lr(), self.betas, self.eps, self.weight_decay
        for i, (p, is_array) in enumerate(zip(self.params, self._is_array)):
            g = self._grad(i, p) if is_array else p.grad
            if g is None:
                continue
            if wd:
                g = g + wd * p.data
            t = self._t[i] = self._t[i] + 1
            step_size = lr / (1.0 - b1 ** t)
            root_bc2 = math.sqrt(1.0 - b2 ** t)
            if not is_array:
                m = self._m[i] = b1 * self._m[i] + (1.0 - b1) * g
                v = self._v[i] = b2 * self._v[i] + (1.0 - b2) * g * g
                p.data -= step_size * m / (math.sqrt(v) / root_bc2 + eps)
                continue
            if t == 1:
                self._m[i] = np.zeros_like(p.data)
                self._v[i] = np.zeros_like(p.data)
            m, v = self._m[i], self._v[i]
            scratch = self._scratch_for(p.data)  # in place: no temporary arrays per step
            m *= b1
            m += np.multiply(g, 1.0 - b1, out=scratch)
            v *= b2
            np.square(g, out=scratch)
            scratch *= 1.0 - b2
            v += scratch
            denominator = np.sqrt(v, out=scratch)
            denominator /= root_bc2
            denominator += eps
            update = np.divide(m, denominator, out=scratch)
            update *= step_size
            _subtract(p, update)

    def _scratch_for(self, data: np.ndarray) -> np.ndarray:
        """A work array of ``data``'s shape and dtype, shared by all parameters of that dtype."""
        buffer = self._scratch.get(data.dtype)
        if buffer is None or buffer.size < data.size:
            buffer = self._scratch[data.dtype] = np.empty(data.size, dtype=data.dtype)
        return buffer[:data.size].reshape(data.shape)

    def __repr__(self) -> str:
        return (f"Adam(lr={self.lr}, betas={self.betas}, eps={self.eps}, "
                f"weight_decay={self.weight_decay}, params={len(self.params)})")
