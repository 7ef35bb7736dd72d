"""Learning-rate schedules: a learning rate for every optimizer step, with Keras' formulas.

The argument names are Keras' but shorter (``initial_lr`` for ``initial_learning_rate``), and
the checks are stricter: ``decay_steps`` is an int >= 1, ``alpha`` is in [0, 1], and a warm-up
without a ``warmup_target`` to climb to is an error rather than silently skipped.

Pass a schedule where an optimizer takes ``lr``; at its k-th :meth:`~nn.Optimizer.step` (k from
0, counted in ``optimizer.iterations``) the optimizer uses ``schedule(k)``. Early steps can be
large; later ones shrink so that training settles into a minimum instead of bouncing around it.

>>> from autograd import Value
>>> from nn import SGD
>>> schedule = CosineDecay(0.1, decay_steps=4)
>>> [round(schedule(k), 4) for k in range(6)]   # half a cosine from 0.1 down to 0, then 0
[0.1, 0.0854, 0.05, 0.0146, 0.0, 0.0]
>>> w = Value(1.0)
>>> opt = SGD([w], lr=schedule)
>>> for _ in range(2):
...     opt.zero_grad(); loss = w * w; loss.backward(); opt.step()
>>> opt.iterations, round(opt.current_lr, 4)
(2, 0.05)
"""

from __future__ import annotations

import math

from ._checks import count, number

__all__ = ["CosineDecay", "ExponentialDecay", "LearningRateSchedule"]


class LearningRateSchedule:
    """Base class: ``schedule(step) -> learning rate`` for step = 0, 1, 2, ...

    Subclass it and define ``__call__``; any callable of the step works with the optimizers too.
    """

    def __call__(self, step: int) -> float:
        raise NotImplementedError(f"{type(self).__name__} defines no __call__(step)")


class ExponentialDecay(LearningRateSchedule):
    """lr(step) = initial_lr * decay_rate ** (step / decay_steps)  (Keras' ExponentialDecay).

    With ``staircase=True`` the exponent is rounded down: the rate drops once every
    ``decay_steps`` steps (e.g. once an epoch) instead of a little at every step.

    >>> schedule = ExponentialDecay(1e-3, decay_steps=100, decay_rate=0.5, staircase=True)
    >>> schedule(0), schedule(99), schedule(100), schedule(250)
    (0.001, 0.001, 0.0005, 0.00025)
    """

    def __init__(self, initial_lr: float, decay_steps: int, decay_rate: float,
                 staircase: bool = False) -> None:
        self.initial_lr = number("ExponentialDecay", "initial_lr", initial_lr, low_open=True)
        self.decay_steps = count("ExponentialDecay", "decay_steps", decay_steps)
        self.decay_rate = number("ExponentialDecay", "decay_rate", decay_rate, low_open=True)
        self.staircase = bool(staircase)

    def __call__(self, step: int) -> float:
        exponent = step / self.decay_steps
        if self.staircase:
            exponent = math.floor(exponent)
        try:
            return self.initial_lr * self.decay_rate ** exponent
        except OverflowError:  # decay_rate > 1 for very many steps: the optimizer reports it
            return math.inf

    def __repr__(self) -> str:
        return (f"ExponentialDecay(initial_lr={self.initial_lr}, decay_steps={self.decay_steps}, "
                f"decay_rate={self.decay_rate}, staircase={self.staircase})")


class CosineDecay(LearningRateSchedule):
    """Half a cosine from ``initial_lr`` down to ``alpha * initial_lr`` (Keras' CosineDecay).

    After an optional linear warm-up of ``warmup_steps`` steps from ``initial_lr`` up to
    ``warmup_target``, the rate follows, with peak = warmup_target (or initial_lr) and
    t = min(step - warmup_steps, decay_steps) / decay_steps:

        lr = peak * (alpha + (1 - alpha) * (1 + cos(pi * t)) / 2)

    so it starts flat, falls fastest halfway and flattens out again at ``alpha * peak``.

    >>> schedule = CosineDecay(0.0, decay_steps=2, warmup_steps=2, warmup_target=1e-3)
    >>> [round(schedule(k), 6) for k in range(5)]   # up in 2 steps, down in 2
    [0.0, 0.0005, 0.001, 0.0005, 0.0]
    """

    def __init__(self, initial_lr: float, decay_steps: int, alpha: float = 0.0,
                 warmup_steps: int = 0, warmup_target: float | None = None) -> None:
        owner = "CosineDecay"
        self.initial_lr = number(owner, "initial_lr", initial_lr)
        self.decay_steps = count(owner, "decay_steps", decay_steps)
        self.alpha = number(owner, "alpha", alpha, high=1.0)  # the final fraction of the rate
        self.warmup_steps = count(owner, "warmup_steps", warmup_steps, minimum=0)
        self.warmup_target = (None if warmup_target is None
                              else number(owner, "warmup_target", warmup_target, low_open=True))
        if self.warmup_steps and self.warmup_target is None:
            raise ValueError(f"{owner}: warmup_steps={warmup_steps} needs a warmup_target (the "
                             "rate to climb to)")
        if self.initial_lr == 0 and self.warmup_target is None:
            raise ValueError(f"{owner}: initial_lr is 0 and there is no warmup_target: every "
                             "step would have rate 0")

    def __call__(self, step: int) -> float:
        peak = self.initial_lr if self.warmup_target is None else self.warmup_target
        if step < self.warmup_steps:
            return self.initial_lr + (peak - self.initial_lr) * step / self.warmup_steps
        t = min(step - self.warmup_steps, self.decay_steps) / self.decay_steps
        return peak * (self.alpha + (1.0 - self.alpha) * 0.5 * (1.0 + math.cos(math.pi * t)))

    def __repr__(self) -> str:
        warmup = f", warmup_steps={self.warmup_steps}" if self.warmup_steps else ""
        if self.warmup_target is not None:
            warmup += f", warmup_target={self.warmup_target}"
        return (f"CosineDecay(initial_lr={self.initial_lr}, decay_steps={self.decay_steps}, "
                f"alpha={self.alpha}{warmup})")
