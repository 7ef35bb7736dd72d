"""Tensor engine benchmark: float32 training steps, glassgrad against PyTorch CPU in one run.

One step is forward + cross-entropy loss + backward + an SGD update of every parameter, on a
fixed random batch, with 2 threads for both libraries (BLAS for numpy, intra-op for torch). The
models are the same on both sides, written with Tensor ops and ``nn.functional`` here and with
``torch.nn`` there:

- ``mlp``: MLP 784-128-64-10 (ReLU) at batch 128;
- ``cnn8``: the Keras mnist_cnn model (conv 32 3x3, conv 64 3x3, max-pool 2, dense 128,
  dense 10; ReLU) on 1x8x8 inputs at batch 64;
- ``cnn28``: the same model on 1x28x28 inputs (MNIST) at batch 128;
- ``hvp``: not a training step but a Hessian-vector product of the MLP's cross-entropy loss with
  respect to all its parameters, at batch 128: ``autograd.functional.hvp`` against
  ``torch.autograd.functional.hvp`` (the backward pass recorded, then differentiated again);
- ``lstm``: an LSTM (8 inputs, 64 hidden) over sequences of 50 steps at batch 64, a dense head
  on the last step's output, MSE loss: ``nn.LSTM`` (one input projection and one recurrence op)
  and ``linear`` against ``torch.nn.LSTM`` and ``torch.nn.Linear``;
- ``convT``: a decoder, dense 32 -> 64x7x7, transposed conv 64 -> 32 (3x3, stride 2, padding 1,
  output_padding 1; ReLU) to 14x14, transposed conv 32 -> 1 (the same) to 28x28, with a mean
  squared error against random 28x28 images at batch 128; written with each library's
  functional API (``F.linear``, ``F.conv_transpose2d``) on both sides.

The two libraries alternate step by step (so both see the same machine state) and the medians
of the step times are compared. Needs torch (``make bench`` installs it, or
``.venv/bin/pip install -e '.[bench]'``), except with ``--only glassgrad``.

    python benchmarks/tensor_engine.py [--repeats 50] [--models mlp cnn8 cnn28 hvp lstm convT]
                                       [--threads 2]
                                       [--idle-threads spin|sleep] [--malloc-defaults]
                                       [--only glassgrad|pytorch] [--batch-size N]

The two libraries slow each other down when they alternate: by default their idle worker threads
spin for a while (waiting for the next job) and take a core during the other's step.
``--idle-threads sleep`` makes them sleep at once; both regimes are reported in
docs/benchmarks.md. As ``nn.fit`` does, the benchmark makes the process's ``malloc`` (shared by
both libraries) keep freed arrays for reuse instead of faulting in fresh pages at every step
(``autograd.tensor.memory``); ``--malloc-defaults`` leaves glibc's own settings instead.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

try:
    import resource  # page fault counts (POSIX)
except ImportError:  # Windows
    resource = None


def _option_from_argv(name: str, default: str) -> str:
    """``--name value`` or ``--name=value`` from the command line, before argparse runs."""
    for k, arg in enumerate(sys.argv):
        if arg == name and k + 1 < len(sys.argv):
            return sys.argv[k + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return default


# BLAS reads its thread count when numpy is first imported, so set it before that.
_THREADS = int(_option_from_argv("--threads", "2"))
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = str(_THREADS)
# --idle-threads sleep: after its work, each library's worker threads sleep at once instead of
# spinning (OpenBLAS's until its thread timeout, libgomp's 300,000 spins), so that neither takes a
# core away from the other library's step while the two alternate. Read at import, like above.
if _option_from_argv("--idle-threads", "spin") == "sleep":
    os.environ["OPENBLAS_THREAD_TIMEOUT"] = "4"
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from autograd import Tensor, no_grad
from autograd.functional import hvp
from autograd.tensor import memory
from nn import LSTM
from nn import functional as F

LR = 0.01


# ---- glassgrad models -------------------------------------------------------------------------

def _uniform(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int) -> Tensor:
    bound = 1.0 / np.sqrt(fan_in)  # PyTorch's default init range for Linear and Conv2d
    return Tensor(rng.uniform(-bound, bound, shape).astype(np.float32), requires_grad=True)


def glass_mlp(rng: np.random.Generator) -> tuple[list[Tensor], object]:
    sizes = [784, 128, 64, 10]
    params = []
    for nin, nout in zip(sizes[:-1], sizes[1:]):
        params += [_uniform(rng, (nout, nin), nin), _uniform(rng, (nout,), nin)]

    return params, lambda x: mlp_forward(params, x)


def mlp_forward(params: Any, x: Any, linear: Callable[..., Any] = F.linear) -> Any:
    """The MLP on glassgrad Tensors, or on torch tensors with ``torch.nn.functional.linear``:
    ``linear(x, w, b) = x @ w.T + b`` with weights laid out (out, in), as ``nn.Dense`` and
    ``torch.nn.Linear`` hold them and use them."""
    for k in range(0, len(params), 2):
        x = linear(x, params[k], params[k + 1])
        if k < len(params) - 2:
            x = x.relu()
    return x


def glass_cnn(rng: np.random.Generator, side: int) -> tuple[list[Tensor], object]:
    flat = 64 * ((side - 4) // 2) ** 2
    params = [_uniform(rng, (32, 1, 3, 3), 9), _uniform(rng, (32,), 9),
              _uniform(rng, (64, 32, 3, 3), 288), _uniform(rng, (64,), 288),
              _uniform(rng, (128, flat), flat), _uniform(rng, (128,), flat),
              _uniform(rng, (10, 128), 128), _uniform(rng, (10,), 128)]
    w1, b1, w2, b2, w3, b3, w4, b4 = params

    def forward(x: Tensor) -> Tensor:
        x = F.conv2d(x, w1, b1).relu()
        x = F.conv2d(x, w2, b2).relu()
        x = F.max_pool2d(x, 2).flatten(1)
        x = F.linear(x, w3, b3).relu()  # as nn.Dense: weights (out, in)
        return F.linear(x, w4, b4)

    return params, forward


def glass_lstm(rng: np.random.Generator) -> tuple[list[Tensor], object]:
    lstm = LSTM(8, 64, rng=rng)  # PyTorch's init: U(-1/sqrt(64), 1/sqrt(64))
    w, b = _uniform(rng, (1, 64), 64), _uniform(rng, (1,), 64)

    def forward(x: Tensor) -> Tensor:
        output, _ = lstm(x)  # x (steps, batch, 8), as torch.nn.LSTM's default
        return F.linear(output[-1], w, b)

    return [*lstm.parameters(), w, b], forward


def decoder_params(rng: np.random.Generator) -> list[Tensor]:
    """The decoder's weights, PyTorch's layouts: Linear (out, in), ConvTranspose2d (in, out,
    kh, kw), whose fan_in PyTorch counts as out * kh * kw."""
    return [_uniform(rng, (3136, 32), 32), _uniform(rng, (3136,), 32),
            _uniform(rng, (64, 32, 3, 3), 288), _uniform(rng, (32,), 288),
            _uniform(rng, (32, 1, 3, 3), 9), _uniform(rng, (1,), 9)]


def decoder_forward(params: Any, z: Any, F: Any = F) -> Any:
    """The decoder on glassgrad Tensors, or on torch tensors with ``torch.nn.functional``."""
    w1, b1, w2, b2, w3, b3 = params
    x = F.linear(z, w1, b1).reshape(-1, 64, 7, 7)
    x = F.conv_transpose2d(x, w2, b2, stride=2, padding=1, output_padding=1).relu()
    return F.conv_transpose2d(x, w3, b3, stride=2, padding=1, output_padding=1)


def glass_step(params: list[Tensor], forward: object, x: np.ndarray, y: np.ndarray) -> float:
    out = forward(Tensor(x))
    if y.dtype.kind == "f":  # a regression (the LSTM, the decoder): mean squared error
        loss = F.mse_loss(out, y)
    else:
        loss = -F.log_softmax(out)[np.arange(len(y)), y].mean()
    loss.backward()
    with no_grad():
        for p in params:
            p.data -= LR * p.grad
            p.grad = None
    return loss.item()


def glass_hvp(params: list[Tensor], vector: tuple[Tensor, ...], x: np.ndarray,
              y: np.ndarray) -> float:
    def loss(*ps: Tensor) -> Tensor:
        return -F.log_softmax(mlp_forward(ps, Tensor(x)))[np.arange(len(y)), y].mean()

    _, products = hvp(loss, tuple(params), vector)
    return float(products[0].data[0, 0])


# ---- the same models in PyTorch ---------------------------------------------------------------

class TorchLSTM:
    """torch.nn.LSTM and a Linear head on the last step's output (a callable model)."""

    def __init__(self, torch: object) -> None:
        self.lstm, self.head = torch.nn.LSTM(8, 64), torch.nn.Linear(64, 1)

    def parameters(self) -> list:
        return [*self.lstm.parameters(), *self.head.parameters()]

    def __call__(self, x: object) -> object:
        output, _ = self.lstm(x)
        return self.head(output[-1])


def torch_model(torch: object, name: str, side: int) -> object:
    nn = torch.nn
    if name == "lstm":
        return TorchLSTM(torch)
    if name == "mlp":
        return nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                             nn.Linear(64, 10))
    flat = 64 * ((side - 4) // 2) ** 2
    return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(flat, 128), nn.ReLU(),
                         nn.Linear(128, 10))


def torch_hvp(torch: object, params: tuple, vector: tuple, x: object, y: object) -> float:
    def loss(*ps: object) -> object:
        return torch.nn.functional.cross_entropy(
            mlp_forward(ps, x, torch.nn.functional.linear), y)

    _, products = torch.autograd.functional.hvp(loss, params, vector)
    return float(products[0][0, 0])


def torch_decoder_step(torch: object, params: tuple, x: object, y: object) -> float:
    loss = torch.nn.functional.mse_loss(decoder_forward(params, x, torch.nn.functional), y)
    loss.backward()
    with torch.no_grad():
        for p in params:
            p -= LR * p.grad
            p.grad = None
    return loss.item()


def torch_step(torch: object, model: object, opt: object, x: object, y: object) -> float:
    opt.zero_grad(set_to_none=True)
    out = model(x)
    if y.dtype.is_floating_point:
        loss = torch.nn.functional.mse_loss(out, y)
    else:
        loss = torch.nn.functional.cross_entropy(out, y)
    loss.backward()
    opt.step()
    return loss.item()


# ---- the run ----------------------------------------------------------------------------------

CASES = {  # name: (batch, input shape, description)
    "mlp": (128, (784,), "MLP 784-128-64-10, batch 128"),
    "cnn8": (64, (1, 8, 8), "mnist_cnn on 8x8, batch 64"),
    "cnn28": (128, (1, 28, 28), "mnist_cnn on 28x28, batch 128"),
    "hvp": (128, (784,), "hvp of the MLP loss, batch 128"),
    "lstm": (64, (50, 8), "LSTM 8-64, 50 steps, batch 64"),
    "convT": (128, (32,), "decoder 7x7 -> 28x28, batch 128"),
}


def run_case(torch: object | None, name: str, repeats: int, batch: int | None = None,
             only: str | None = None) -> dict[str, tuple[float, float]]:
    """Alternate glassgrad's steps with PyTorch's (or time ``only`` one of them; glassgrad alone
    when ``torch`` is None); per library, the median step time (s) and the mean number of page
    faults per step (the kernel mapping in fresh memory)."""
    default_batch, shape, _ = CASES[name]
    batch = batch or default_batch
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, *shape)).astype(np.float32)
    y = rng.integers(0, 10, batch)
    if name == "convT":
        y = rng.standard_normal((batch, 1, 28, 28)).astype(np.float32)
        params = decoder_params(rng)
        steps = {"glassgrad": lambda: glass_step(params, lambda z: decoder_forward(params, z),
                                                 x, y)}
        if torch is not None:
            tp = tuple(torch.tensor(p.data, requires_grad=True) for p in params)
            tx, ty = torch.from_numpy(x), torch.from_numpy(y)
            steps["pytorch"] = lambda: torch_decoder_step(torch, tp, tx, ty)
        return _time_steps({only: steps[only]} if only else steps, repeats)
    if name == "lstm":  # time first, (50, batch, 8); a regression target per sequence
        x = np.ascontiguousarray(x.transpose(1, 0, 2))
        y = rng.standard_normal((batch, 1)).astype(np.float32)
        params, forward = glass_lstm(rng)
    elif name in ("mlp", "hvp"):
        params, forward = glass_mlp(rng)
    else:
        params, forward = glass_cnn(rng, shape[-1])
    if name == "hvp":
        vector = tuple(Tensor(rng.standard_normal(p.shape).astype(np.float32)) for p in params)
        steps = {"glassgrad": lambda: glass_hvp(params, vector, x, y)}
        if torch is not None:
            tp = tuple(torch.from_numpy(p.data.copy()) for p in params)
            tv = tuple(torch.from_numpy(v.data) for v in vector)
            tx, ty = torch.from_numpy(x), torch.from_numpy(y)
            steps["pytorch"] = lambda: torch_hvp(torch, tp, tv, tx, ty)
        return _time_steps({only: steps[only]} if only else steps, repeats)
    steps = {"glassgrad": lambda: glass_step(params, forward, x, y)}
    if torch is not None:
        model = torch_model(torch, name, shape[-1])
        opt = torch.optim.SGD(model.parameters(), lr=LR)
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)
        steps["pytorch"] = lambda: torch_step(torch, model, opt, tx, ty)
    return _time_steps({only: steps[only]} if only else steps, repeats)


def _time_steps(steps: dict[str, Callable[[], float]], repeats: int,
                ) -> dict[str, tuple[float, float]]:
    libraries = list(steps)
    warmup = max(3, repeats // 10)
    times: dict[str, list[float]] = {lib: [] for lib in libraries}
    faults = dict.fromkeys(libraries, 0)
    for k in range(warmup + repeats):
        for lib in libraries:
            f0, t0 = _page_faults(), time.perf_counter()
            steps[lib]()
            t1, f1 = time.perf_counter(), _page_faults()
            if k >= warmup:
                times[lib].append(t1 - t0)
                faults[lib] += f1 - f0
    return {lib: (statistics.median(times[lib]), faults[lib] / repeats) for lib in libraries}


def _page_faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt if resource else 0


def _faults(per_step: float) -> str:
    return f"{per_step:5.0f} faults" if resource else "faults n/a"  # no getrusage on Windows


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=_positive, default=50,
                        help="timed steps of each library per model (default: %(default)s)")
    parser.add_argument("--models", nargs="+", choices=list(CASES), default=list(CASES),
                        help="mlp (MLP 784-128-64-10), cnn8 (mnist_cnn on 8x8), cnn28 (on "
                             "28x28), hvp (a Hessian-vector product of the MLP's loss), lstm "
                             "(LSTM 8-64 over 50 steps and a dense head), convT (a decoder of "
                             "transposed convolutions); default: all six")
    parser.add_argument("--threads", type=_positive, default=2,
                        help="BLAS and PyTorch threads (default: %(default)s)")
    parser.add_argument("--idle-threads", choices=["spin", "sleep"], default="spin",
                        help="spin: the libraries' defaults; sleep: idle worker threads sleep at "
                             "once (OPENBLAS_THREAD_TIMEOUT=4, OMP_WAIT_POLICY=PASSIVE)")
    parser.add_argument("--malloc-defaults", action="store_true",
                        help="leave glibc's malloc settings alone: freed arrays go back to the "
                             "system and the next step faults them in again; by default they "
                             "are kept for reuse as nn.fit does (for both libraries: they share "
                             "the process's malloc; GLASSGRAD_KEEP_FREED_MEMORY=0 also says no)")
    parser.add_argument("--only", choices=["glassgrad", "pytorch"], default=None,
                        help="time one library alone (no alternation, no ratio)")
    parser.add_argument("--batch-size", type=_positive, default=None,
                        help="instead of each model's own (128, 64, 128, 128, 64)")
    args = parser.parse_args()
    torch = None
    if args.only != "glassgrad":
        try:
            import torch
        except ImportError:
            sys.exit("this benchmark compares against PyTorch: `make bench` installs it (or "
                     ".venv/bin/pip install -e '.[bench]'); --only glassgrad times glassgrad alone")
        torch.set_num_threads(args.threads)
        torch.manual_seed(0)
    if not args.malloc_defaults:
        memory.keep_freed_memory_for_training()  # as nn.fit does
    kept = ", freed memory kept" if memory.keeping else ", malloc's own settings"
    how = f"{args.only} alone" if args.only else "alternating"
    versions = f"numpy {np.__version__}" + (f", torch {torch.__version__}" if torch else "")
    print(f"float32 training step (forward + backward + SGD), {args.threads} threads, idle "
          f"threads {args.idle_threads}{kept}, median of {args.repeats} {how} steps (and page "
          f"faults per step); {versions}")
    for name in args.models:
        result = run_case(torch, name, args.repeats, args.batch_size, args.only)
        line = "   ".join(f"{lib} {ms * 1e3:8.2f} ms ({_faults(faults)})"
                           for lib, (ms, faults) in result.items())
        if len(result) == 2:
            line += f"   ratio {result['glassgrad'][0] / result['pytorch'][0]:5.2f}x"
        title = CASES[name][2]
        if args.batch_size:
            title = title.rsplit(", batch", 1)[0] + f", batch {args.batch_size}"
        print(f"  {title:32s} {line}")


if __name__ == "__main__":
    main()
