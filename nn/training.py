"""A Keras-like training loop for Tensor models: fit, evaluate, predict, History.

One epoch of :func:`fit` is the course's minibatch SGD: the training samples are shuffled, cut into
minibatches of ``batch_size`` (random samples without replacement, :func:`nn.data.batches`), and
for each minibatch

    pred = model(x_batch);  L = loss(pred, y_batch);  L.backward();  optimizer.step()

``fit`` is for models whose parameters are Tensors (``nn.Dense``, ``nn.Conv2D``,
``nn.Sequential``...). A scalar model on Values (``nn.MLP``) is trained with the plain loop above,
written out (see ``nn``'s module docstring): ``fit`` says so with a TypeError.

>>> import numpy as np
>>> from nn import Adam, Dense, Sequential, data
>>> np.random.seed(0)
>>> x, y = data.make_line(64, rng=0)
>>> model = Sequential(Dense(1, 1))
>>> history = fit(model, x, y, "mse", Adam(model.parameters(), lr=0.1), epochs=30,
...               batch_size=16, validation_split=0.25, verbose=0, rng=0)
>>> sorted(history.history), len(history.epoch)
(['loss', 'val_loss'], 30)
>>> history.history["loss"][-1] < 0.05 < history.history["loss"][0]
True
"""

from __future__ import annotations

import contextlib
import math
import numbers
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from autograd import Tensor, Value, no_grad
from autograd.tensor import keep_freed_memory_for_training

from . import functional, losses
from ._checks import count, generator
from .callbacks import Callback
from .data import batches
from .history import History
from .module import Module
from .sample_weights import check_takes_reduction, class_weights, sample_weights, weighted_loss

__all__ = ["History", "evaluate", "fit", "predict"]

LossFn = Callable[[Tensor, Any], Tensor]
_LOSSES: dict[str, LossFn] = {
    "mse": losses.mse,
    "cross_entropy": losses.cross_entropy,
    "binary_cross_entropy": losses.binary_cross_entropy,
    "binary_cross_entropy_with_logits": functional.binary_cross_entropy_with_logits,
    "hinge": losses.hinge,
}
_SCORE_LOSSES = ("binary_cross_entropy_with_logits", "hinge")  # outputs are scores, not probs


def _loss_fn(loss: str | LossFn) -> tuple[LossFn, str]:
    if isinstance(loss, str):
        if loss not in _LOSSES:
            raise ValueError(f"unknown loss {loss!r}; the names are {', '.join(_LOSSES)} (or pass "
                             "a function (pred, target) -> Tensor)")
        return _LOSSES[loss], loss
    if not callable(loss):
        raise TypeError(f"loss must be a name or a function (pred, target) -> Tensor, got "
                        f"{type(loss).__name__}")
    return loss, getattr(loss, "__name__", "loss")


def accuracy(pred: np.ndarray, target: np.ndarray, threshold: float = 0.5) -> float:
    """The fraction of samples classified right.

    With several outputs per sample (N, C), the predicted class is the argmax, compared with
    integer labels (or the argmax of one-hot rows). With one output (N,) or (N, 1), the
    prediction is positive when above ``threshold``: 0.5 for probabilities; :func:`fit` uses 0
    for scores when the loss works on them (hinge, binary cross-entropy with logits). A positive
    label is 1; a negative one is 0 or -1.

    >>> accuracy(np.array([[2.0, 1.0], [0.0, 3.0]]), np.array([0, 0]))
    0.5
    >>> accuracy(np.array([0.9, 0.2, 0.6]), np.array([1, 0, 0]))
    0.6666666666666666
    """
    pred, target = np.asarray(pred), np.asarray(target)
    if pred.ndim >= 2 and pred.shape[-1] > 1:
        labels = target.argmax(axis=-1) if target.shape == pred.shape else target
        hits = pred.argmax(axis=-1) == labels.reshape(pred.shape[:-1])
    else:
        hits = (pred.reshape(-1) > threshold) == (target.reshape(-1) > 0)
    return float(np.mean(hits))


def _metric_fns(metrics: Sequence[Any], loss_name: str) -> list[tuple[str, Callable]]:
    if isinstance(metrics, str) or callable(metrics):
        metrics = [metrics]
    out = []
    threshold = 0.0 if loss_name in _SCORE_LOSSES else 0.5
    for m in metrics:
        if m in ("accuracy", "acc"):
            out.append(("accuracy", lambda p, t: accuracy(p, t, threshold)))
        elif isinstance(m, str):
            raise ValueError(f"unknown metric {m!r}; the named metric is 'accuracy' (or pass a "
                             "function (pred ndarray, target ndarray) -> float)")
        elif callable(m):
            name = base = getattr(m, "__name__", "metric")
            taken = {n for n, _ in out}
            k = 2
            while name in taken:  # two lambdas: "<lambda>", "<lambda>_2"
                name, k = f"{base}_{k}", k + 1
            out.append((name, m))
        else:
            raise TypeError(f"a metric must be a name or a function, got {type(m).__name__}")
    return out


# ---- checks ----------------------------------------------------------------------------------

def _tensor_model(owner: str, model: Any) -> np.dtype:
    """Check ``model`` is a Module with Tensor parameters; return their (common) float dtype."""
    if not isinstance(model, Module):
        raise TypeError(f"{owner}: model must be an nn.Module, got {type(model).__name__}")
    params = model.parameters()
    if any(isinstance(p, Value) for p in params):
        raise TypeError(f"{owner}: {type(model).__name__} has Value parameters (a scalar, "
                        f"micrograd-style model); {owner} works with Tensor models (nn.Dense, "
                        "nn.Conv2D, nn.Sequential ...). Train a Value model with a plain loop: "
                        "loss = nn.mse([model(x) for x in xs], ys); optimizer.zero_grad(); "
                        "loss.backward(); optimizer.step()")
    dtypes = {p.data.dtype for p in params}
    return dtypes.pop() if len(dtypes) == 1 else np.dtype(np.float32)


def _inputs(owner: str, x: Any, dtype: np.dtype) -> np.ndarray:
    x = np.asarray(x.data if isinstance(x, Tensor) else x)
    if x.ndim == 0:
        raise ValueError(f"{owner}: x must be an array of samples, not a scalar")
    if len(x) == 0:
        raise ValueError(f"{owner}: no samples")
    if x.dtype.kind not in "biuf":
        raise TypeError(f"{owner}: x must hold numbers, got dtype {x.dtype}")
    # float64 data meets float32 weights: compute in the weights' dtype
    return x.astype(dtype) if x.dtype != dtype else x


def _arrays(owner: str, x: Any, y: Any, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    x = _inputs(owner, x, dtype)
    y = np.asarray(y.data if isinstance(y, Tensor) else y)
    if y.ndim == 0:
        raise ValueError(f"{owner}: y must be an array of samples, not a scalar")
    if len(x) != len(y):
        raise ValueError(f"{owner}: x has {len(x)} samples but y has {len(y)}")
    if y.dtype.kind == "f" and y.dtype != dtype:
        y = y.astype(dtype)
    return x, y


@contextlib.contextmanager
def _mode(model: Module, training: bool) -> Iterator[None]:
    """Set train/eval mode for the block, then give every module back its previous mode."""
    before = [(m, m.training) for m in model.modules()]
    model.train(training)
    try:
        yield
    finally:
        for m, mode in before:
            m.training = mode


# ---- evaluate and predict --------------------------------------------------------------------

def predict(model: Module, x: Any, batch_size: int = 256) -> np.ndarray:
    """The model's outputs for ``x``, batch by batch, in evaluation mode and under no_grad.

    Returns one numpy array (the batches' outputs concatenated); the model's train/eval modes
    are restored afterwards.
    """
    dtype = _tensor_model("predict", model)
    x = _inputs("predict", x, dtype)
    batch_size = count("predict", "batch_size", batch_size)
    outs = []
    with _mode(model, False), no_grad():
        for start in range(0, len(x), batch_size):
            out = model(Tensor(x[start:start + batch_size]))
            outs.append(out.data if isinstance(out, Tensor) else np.asarray(out))
    return np.concatenate(outs)


def evaluate(model: Module, x: Any, y: Any, loss: str | LossFn,
             metrics: Sequence[Any] | None = (),
             batch_size: int = 256, verbose: int = 0) -> dict[str, float]:
    """The loss and metrics on ``(x, y)``, in evaluation mode and under no_grad.

    Each batch's loss and metrics are weighted by its size, so for a "mean" loss the result is
    the mean over all samples. Returns ``{"loss": ..., "accuracy": ..., ...}``; ``verbose=1``
    also prints it. The model's train/eval modes are restored afterwards.
    """
    dtype = _tensor_model("evaluate", model)
    x, y = _arrays("evaluate", x, y, dtype)
    loss_fn, loss_name = _loss_fn(loss)
    batch_size = count("evaluate", "batch_size", batch_size)
    result = _evaluate(model, x, y, loss_fn, _metric_fns(metrics or (), loss_name), batch_size)
    if verbose:
        print(_format(result))
    return result


def _evaluate(model: Module, x: np.ndarray, y: np.ndarray, loss_fn: LossFn,
              metric_fns: list[tuple[str, Callable]], batch_size: int) -> dict[str, float]:
    totals = dict.fromkeys(["loss", *(name for name, _ in metric_fns)], 0.0)
    with _mode(model, False), no_grad():
        for start in range(0, len(x), batch_size):
            xb, yb = x[start:start + batch_size], y[start:start + batch_size]
            pred = model(Tensor(xb))
            totals["loss"] += float(loss_fn(pred, yb).item()) * len(xb)
            for name, fn in metric_fns:
                totals[name] += float(fn(pred.data, yb)) * len(xb)
    return {k: v / len(x) for k, v in totals.items()}


def _format(logs: dict[str, float]) -> str:
    return " - ".join(f"{k}: {v:.4f}" for k, v in logs.items())


# ---- fit -------------------------------------------------------------------------------------

def _validation(x: np.ndarray, y: np.ndarray, w: np.ndarray | None, split: Any, data: Any,
                gen: np.random.Generator, dtype: np.dtype) -> tuple[Any, ...]:
    """The training arrays x, y, w (sample weights or None) and the validation pair (or None);
    the validation samples' weights are dropped."""
    if data is not None:
        if split:
            raise ValueError("fit: pass validation_split or validation_data, not both")
        if not isinstance(data, tuple | list) or len(data) != 2:
            raise ValueError("fit: validation_data must be a pair (x_val, y_val)")
        return x, y, w, _arrays("fit (validation_data)", data[0], data[1], dtype)
    if isinstance(split, bool) or not isinstance(split, numbers.Real) or not 0 <= split < 1:
        raise ValueError(f"fit: validation_split must be a number in [0, 1), got {split!r}")
    if not split:
        return x, y, w, None
    n_val = round(split * len(x))
    if n_val < 1 or n_val >= len(x):
        raise ValueError(f"fit: validation_split={split} of {len(x)} samples leaves "
                         f"{n_val} for validation and {len(x) - n_val} for training; both "
                         "need at least one")
    order = gen.permutation(len(x))  # shuffle first: sorted data must not end up in one side
    val, train = order[:n_val], order[n_val:]
    return x[train], y[train], None if w is None else w[train], (x[val], y[val])


def fit(model: Module, x: Any, y: Any, loss: str | LossFn, optimizer: Any, epochs: int = 1,
        batch_size: int = 32, validation_split: float = 0.0, validation_data: Any = None,
        shuffle: bool = True, metrics: Sequence[Any] | None = (),
        callbacks: Sequence[Callback] | None = (), verbose: int = 1, rng: Any = None,
        keep_freed_memory: bool = True, initial_epoch: int = 0, sample_weight: Any = None,
        class_weight: Mapping[int, float] | None = None) -> History:
    """Train a Tensor model with minibatches; return the :class:`History`.

    Args:
        model: an ``nn.Module`` whose parameters are Tensors (a Value model is a TypeError).
        x, y: inputs and targets, the same number of samples along the first axis. Inputs are
            cast to the parameters' dtype (float32 by default); so are floating targets.
        loss: a function ``(pred, target) -> one-element Tensor`` or a name: "mse",
            "cross_entropy", "binary_cross_entropy", "binary_cross_entropy_with_logits", "hinge".
            With sample or class weights the function must also take ``reduction="none"`` and
            then return the per-sample losses (as :mod:`nn.losses` do).
        optimizer: an ``nn.SGD``/``nn.Adam`` (anything with ``zero_grad()`` and ``step()``) over
            the model's parameters.
        epochs: the number of the last epoch, counted from 1: epochs ``initial_epoch`` to
            ``epochs - 1`` run, as in Keras (none when ``initial_epoch >= epochs``).
        batch_size: samples per minibatch (the last one of an epoch may be smaller).
        validation_split: the fraction of samples held out for validation, drawn at random
            (after shuffling, so sorted data is split fairly, unlike Keras which takes the tail).
        validation_data: ``(x_val, y_val)`` instead of a split.
        shuffle: draw each epoch's minibatches at random (without replacement); else in order.
        metrics: names ("accuracy") or functions ``(pred ndarray, target ndarray) -> float``.
        callbacks: :class:`nn.Callback` objects (EarlyStopping, TerminateOnNaN, your own).
        verbose: 0 silent; 1 a progress bar per epoch with the running loss (a printed line per
            epoch when tqdm is not installed); 2 one printed line per epoch.
        rng: None (numpy's global seed decides), an int seed or a numpy Generator, for the split
            and the minibatches.
        keep_freed_memory: let glibc keep the memory of the arrays a step frees, so the next
            step reuses it instead of waiting for the kernel to hand out and zero fresh pages
            (the MNIST CNN at batch 128 took about 10,000 such page faults a step). The setting
            belongs to the whole process, which then stays at its peak memory; it stays on
            after fit, and ``autograd.release_freed_memory()`` gives the memory back. False, or
            the environment variable ``GLASSGRAD_KEEP_FREED_MEMORY=0``, leaves glibc's settings
            alone; without glibc it changes nothing (see ``autograd.tensor.memory``).
        initial_epoch: the epoch to start from (from 0), to resume a run: callbacks, the
            progress text and ``History.epoch`` see the true epoch numbers.
        sample_weight: one weight >= 0 per sample, an array (N,). A batch's training loss is
            Keras' "sum_over_batch_size": ``sum_i w_i * l_i / batch_size``, with l_i the
            per-sample loss (the loss with ``reduction="none"``, averaged over any other axes).
            Weights go with their samples through shuffling and the split; validation samples
            lose theirs (the validation loss stays unweighted).
        class_weight: ``{class index: weight}``, turned into per-sample weights from ``y``
            (integer labels, the argmax of one-hot or probability rows, or a 0/1 column for a
            binary problem), multiplied with ``sample_weight`` when both are given. Every class
            of the training samples must have a weight. The metrics stay unweighted, as Keras'
            ``metrics``.

    Returns:
        A :class:`History` with ``history["loss"]``, ``history["val_loss"]`` (with validation),
        each metric and its ``"val_"`` twin, one float per epoch.

    The model trains in training mode (dropout on); validation runs in evaluation mode under
    ``no_grad``; afterwards every module gets back the mode it had. ``fit`` sets
    ``model.stop_training = False`` first; a callback that sets it to True stops training after
    the current batch (the epoch's validation and ``on_epoch_end`` still run). Each epoch is
    recorded in the History after the callbacks' ``on_epoch_end``, so keys they add to the logs
    (``"lr"``) are recorded too.

    >>> import numpy as np
    >>> from nn import SGD, Dense, Sequential
    >>> x, y = np.array([[0.0], [1.0], [2.0]]), np.array([[0.0], [1.0], [0.0]])
    >>> model = Sequential(Dense(1, 1, rng=0))
    >>> h = fit(model, x, y, "mse", SGD(model.parameters(), lr=0.1), epochs=3, initial_epoch=1,
    ...         sample_weight=[1.0, 1.0, 0.0], verbose=0)   # the third sample does not count
    >>> h.epoch
    [1, 2]
    """
    dtype = _tensor_model("fit", model)
    if not model.parameters():
        raise ValueError(f"fit: {type(model).__name__} has no parameters to train (a Tensor kept "
                         "in an attribute is a parameter only when it is an nn.Parameter: "
                         "self.w = nn.Parameter(array))")
    if not (callable(getattr(optimizer, "step", None))
            and callable(getattr(optimizer, "zero_grad", None))):
        raise TypeError(f"fit: optimizer must have step() and zero_grad() (nn.SGD, nn.Adam), "
                        f"got {type(optimizer).__name__}")
    owned = {id(p) for p in getattr(optimizer, "params", ())}
    if owned and not any(id(p) in owned for p in model.parameters()):
        raise ValueError("fit: the optimizer holds none of the model's parameters (was it made "
                         "for another model? pass model.parameters())")
    epochs = count("fit", "epochs", epochs)
    initial_epoch = count("fit", "initial_epoch", initial_epoch, minimum=0)
    batch_size = count("fit", "batch_size", batch_size)
    metrics, callbacks = metrics or (), callbacks or ()  # None as in Keras: none
    for i, cb in enumerate(callbacks):
        if not isinstance(cb, Callback):
            raise TypeError(f"fit: callback {i} must be an nn.Callback, got {type(cb).__name__}")
    loss_fn, loss_name = _loss_fn(loss)
    metric_fns = _metric_fns(metrics, loss_name)
    gen = generator("fit", rng)
    x, y = _arrays("fit", x, y, dtype)
    weights = None if sample_weight is None else sample_weights(sample_weight, len(x))
    x, y, weights, val = _validation(x, y, weights, validation_split, validation_data, gen,
                                     dtype)
    if class_weight is not None:
        by_class = class_weights(class_weight, y)
        weights = by_class if weights is None else weights * by_class
    if weights is not None:
        check_takes_reduction(loss_fn, loss_name)
        weights = weights.astype(dtype)
    if keep_freed_memory:
        keep_freed_memory_for_training()

    steps = math.ceil(len(x) / batch_size)
    params = {"epochs": epochs, "batch_size": batch_size, "steps": steps, "samples": len(x),
              "validation_samples": 0 if val is None else len(val[0]),
              "metrics": ["loss", *(n for n, _ in metric_fns)], "verbose": verbose}
    history = History(model, params)
    for cb in callbacks:
        cb.set_context(model, params, history, optimizer)
    model.stop_training = False
    logs: dict[str, float] = {}
    with _mode(model, True):
        for cb in callbacks:
            cb.on_train_begin(logs)
        for epoch in range(initial_epoch, epochs):
            start = time.perf_counter()
            for cb in callbacks:
                cb.on_epoch_begin(epoch, logs)
            progress = _tqdm_class() if verbose == 1 else None
            bar = None
            if progress is not None:
                bar = progress(total=steps, desc=f"Epoch {epoch + 1}/{epochs}", unit="batch")
            try:
                logs = _train_epoch(model, (x, y, weights), loss_fn, optimizer, metric_fns,
                                    callbacks, batch_size, shuffle, gen, bar)
                if val is not None:
                    scores = _evaluate(model, val[0], val[1], loss_fn, metric_fns,
                                       max(batch_size, 256))
                    logs.update({f"val_{n}": v for n, v in scores.items()})
                if bar is not None:  # the finished bar shows the epoch's means
                    bar.set_postfix_str(_format(logs), refresh=True)
            finally:
                if bar is not None:
                    bar.close()
            seconds = time.perf_counter() - start
            for cb in callbacks:
                cb.on_epoch_end(epoch, logs)
            history._record(epoch, logs, seconds)  # last, as Keras' History: keys added count
            if verbose == 2 or (verbose and progress is None):
                print(f"Epoch {epoch + 1}/{epochs} - {seconds:.1f}s - {_format(logs)}")
            if model.stop_training:
                break
        for cb in callbacks:
            cb.on_train_end(logs)
    return history


def _tqdm_class() -> Any:
    """tqdm's progress bar, imported when fit first shows one; None without tqdm (an optional
    extra): fit then prints one line per epoch."""
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - depends on the environment
        return None
    return tqdm


def _train_epoch(model: Module, data: tuple[np.ndarray, np.ndarray, np.ndarray | None],
                 loss_fn: LossFn, optimizer: Any, metric_fns: list[tuple[str, Callable]],
                 callbacks: Sequence[Callback], batch_size: int, shuffle: bool,
                 gen: np.random.Generator, bar: Any) -> dict[str, float]:
    """One pass over the training samples ``data = (x, y, sample weights or None)``; returns the
    epoch's size-weighted mean logs."""
    x, y, w = data
    totals = dict.fromkeys(["loss", *(n for n, _ in metric_fns)], 0.0)
    seen = 0
    for i, (xb, index) in enumerate(batches(x, np.arange(len(x)), batch_size, shuffle=shuffle,
                                            rng=gen)):
        yb = y[index]
        for cb in callbacks:
            cb.on_train_batch_begin(i, {"size": len(xb)})
        model.zero_grad()
        optimizer.zero_grad()
        pred = model(Tensor(xb))
        loss = loss_fn(pred, yb) if w is None else weighted_loss(loss_fn, pred, yb, w[index])
        if not isinstance(loss, Tensor) or loss.size != 1:
            raise TypeError(f"fit: the loss must return a one-element Tensor, got "
                            f"{type(loss).__name__} {getattr(loss, 'shape', '')}")
        loss.backward()
        optimizer.step()
        batch_logs = {"loss": float(loss.item())}
        for name, fn in metric_fns:
            batch_logs[name] = float(fn(pred.data, yb))
        seen += len(xb)
        for k, v in batch_logs.items():
            totals[k] += v * len(xb)
        for cb in callbacks:
            cb.on_train_batch_end(i, batch_logs)
        if bar is not None:
            bar.update(1)
            bar.set_postfix(loss=f"{totals['loss'] / seen:.4f}", refresh=False)
        if model.stop_training:
            break
    return {k: v / seen for k, v in totals.items()}


# ---- sample and class weights ----------------------------------------------------------------
