"""Keras' mnist_cnn trained with glassgrad's nn.fit and with PyTorch, in one run.

The model (1,199,882 parameters):

    Conv2D(1, 32, 3) ReLU  Conv2D(32, 64, 3) ReLU  MaxPool2D(2)  Dropout(0.25)  Flatten
    Dense(9216, 128) ReLU  Dropout(0.5)  Dense(128, 10)          loss: softmax cross-entropy

Both are trained with Adam (PyTorch's rule in both) whose learning rate follows one schedule step
by step: by default a linear warm-up from 0 to 2e-3 over the first 0.2 epochs, then
``nn.CosineDecay`` down to 0 over the rest of the 5 epochs (``--schedule step`` multiplies the
rate by ``--lr-decay`` after every epoch instead), on minibatches of 64 random samples without
replacement, on standardized pixels ((x - 0.1307) / 0.3081),
starting from the same initial weights (glassgrad's Glorot-uniform draw, copied into PyTorch).
The two alternate epoch by epoch, so both see the same load on a shared machine (the load
average is printed with each epoch). After each epoch the script prints the epoch's training
time, the training loss and the test accuracy of each, then a summary: the time to reach 99.0%
and 99.2% test accuracy and the time ratio. PyTorch runs with
``torch.set_num_threads(2)``; numpy uses its BLAS's threads.

Run on demand (it takes a while), e.g.:

    .venv/bin/python benchmarks/mnist_cnn.py              # 5 epochs, about 20 minutes
    python benchmarks/mnist_cnn.py --epochs 4 --batch-size 32 --lr 1e-3 --warmup-epochs 0
    .venv/bin/python benchmarks/mnist_cnn.py --epochs 1 --limit 2000 --only glassgrad   # quick

The data are the four canonical MNIST ``.gz`` files (``--data``, default ``../shared/data/mnist``
next to the repository); nothing is downloaded.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import nn
from autograd.tensor import keep_freed_memory_for_training

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DATA = os.path.normpath(os.path.join(REPO, "..", "shared", "data", "mnist"))
TARGETS = (0.990, 0.992)


def build_model(init: str = "glorot_uniform") -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2D(1, 32, 3, init=init), nn.ReLU(), nn.Conv2D(32, 64, 3, init=init), nn.ReLU(),
        nn.MaxPool2D(2), nn.Dropout(0.25), nn.Flatten(), nn.Dense(9216, 128, init=init),
        nn.ReLU(), nn.Dropout(0.5), nn.Dense(128, 10, init=init))


def accuracy_glassgrad(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    return nn.evaluate(model, x, y, "cross_entropy", metrics=["accuracy"],
                       batch_size=500)["accuracy"]


class GlassgradRun:
    """Trains the glassgrad model one epoch at a time with nn.fit."""

    name = "glassgrad"

    def __init__(self, model: nn.Sequential, data: tuple, batch_size: int,
                 schedule: nn.LearningRateSchedule, seed: int, progress: bool) -> None:
        self.model, self.data, self.batch_size, self.progress = model, data, batch_size, progress
        self.optimizer = nn.Adam(model.parameters(), lr=schedule)
        self.rng = np.random.default_rng(seed)

    def epoch(self, number: int) -> dict:
        (x_train, y_train), (x_test, y_test) = self.data
        history = nn.fit(self.model, x_train, y_train, "cross_entropy", self.optimizer, epochs=1,
                         batch_size=self.batch_size, verbose=1 if self.progress else 0,
                         rng=self.rng, keep_freed_memory=False)  # main() decided it
        start = time.perf_counter()
        acc = nn.evaluate(self.model, x_test, y_test, "cross_entropy", metrics=["accuracy"],
                          batch_size=500)["accuracy"]
        return {"epoch": number, "train_s": history.times[0], "eval_s": time.perf_counter() - start,
                "loss": history.history["loss"][0], "test_acc": acc}


def torch_model(model: nn.Sequential):
    """The same architecture in PyTorch, with the glassgrad model's current weights."""
    import torch

    t = torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3), torch.nn.ReLU(), torch.nn.Conv2d(32, 64, 3), torch.nn.ReLU(),
        torch.nn.MaxPool2d(2), torch.nn.Dropout(0.25), torch.nn.Flatten(),
        torch.nn.Linear(9216, 128), torch.nn.ReLU(), torch.nn.Dropout(0.5),
        torch.nn.Linear(128, 10))
    # Same names and layouts (Linear's weight is (out, in), as Dense's): the state loads as it is.
    t.load_state_dict({name: torch.from_numpy(array) for name, array in model.state_dict().items()})
    return t


class TorchRun:
    """The same model, data order policy and optimizer in PyTorch, one epoch at a time."""

    name = "pytorch"

    def __init__(self, model: nn.Sequential, data: tuple, batch_size: int,
                 schedule: nn.LearningRateSchedule, seed: int) -> None:
        import torch

        torch.set_num_threads(2)
        torch.manual_seed(seed)
        self.torch = torch
        (x_train, y_train), (x_test, y_test) = data
        self.xt, self.yt = torch.from_numpy(x_train), torch.from_numpy(y_train)
        self.xv, self.yv = torch.from_numpy(x_test), torch.from_numpy(y_test)
        self.net = torch_model(model)
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=schedule(0))
        self.schedule, self.steps = schedule, 0
        self.batch_size = batch_size
        self.rng = np.random.default_rng(seed)

    def epoch(self, number: int) -> dict:
        torch, net, xt, yt, bs = self.torch, self.net, self.xt, self.yt, self.batch_size
        start = time.perf_counter()
        net.train()
        order = torch.from_numpy(self.rng.permutation(len(xt)))
        total, seen = 0.0, 0
        for i in range(0, len(xt), bs):
            idx = order[i:i + bs]
            self.optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(net(xt[idx]), yt[idx])
            loss.backward()
            for group in self.optimizer.param_groups:  # the same rate as glassgrad's step
                group["lr"] = self.schedule(self.steps)
            self.optimizer.step()
            self.steps += 1
            total += loss.item() * len(idx)
            seen += len(idx)
        train_s = time.perf_counter() - start
        start = time.perf_counter()
        net.eval()
        with torch.no_grad():
            hits = sum(int((net(self.xv[i:i + 500]).argmax(1) == self.yv[i:i + 500]).sum())
                       for i in range(0, len(self.xv), 500))
        return {"epoch": number, "train_s": train_s, "eval_s": time.perf_counter() - start,
                "loss": total / seen, "test_acc": hits / len(self.xv)}


def report(name: str, row: dict) -> None:
    print(f"{name:>9} epoch {row['epoch']}: train {row['train_s']:7.1f} s  loss "
          f"{row['loss']:.4f}  test accuracy {100 * row['test_acc']:.2f}%  "
          f"(eval {row['eval_s']:.1f} s; load average {row['load']:.1f})", flush=True)


def time_to(rows: list[dict], target: float) -> str:
    elapsed = 0.0
    for row in rows:
        elapsed += row["train_s"]
        if row["test_acc"] >= target:
            return f"{elapsed:7.1f} s (epoch {row['epoch']})"
    return "    not reached"


def summary(results: dict[str, list[dict]]) -> None:
    print("\nsummary (training time only; evaluation excluded)")
    for name, rows in results.items():
        per_epoch = np.mean([r["train_s"] for r in rows])
        accs = " ".join(f"{100 * r['test_acc']:.2f}" for r in rows)
        print(f"{name:>9}: {per_epoch:7.1f} s/epoch; test accuracy per epoch (%): {accs}")
        for target in TARGETS:
            print(f"{'':>11}time to {100 * target:.1f}%: {time_to(rows, target)}")
    if len(results) == 2:
        ours, theirs = (np.mean([r["train_s"] for r in rows]) for rows in results.values())
        print(f"glassgrad / pytorch time per epoch: {ours / theirs:.2f}x")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=DEFAULT_DATA, help="directory of the MNIST .gz files")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--limit", type=int, default=None, help="train on the first N samples")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-3, help="the initial learning rate")
    parser.add_argument("--schedule", choices=["cosine", "step"], default="cosine",
                        help="cosine: nn.CosineDecay from --lr to 0 over the whole run, step by "
                             "step; step: multiply by --lr-decay after every epoch")
    parser.add_argument("--warmup-epochs", type=float, default=0.2,
                        help="with --schedule cosine: climb linearly from 0 to --lr over this many "
                             "epochs first")
    parser.add_argument("--lr-decay", type=float, default=0.3,
                        help="with --schedule step: the factor applied after every epoch")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--init", choices=["glorot_uniform", "he_uniform"],
                        default="glorot_uniform", help="initial weights of both models")
    parser.add_argument("--no-standardize", dest="standardize", action="store_false",
                        help="keep pixels in [0, 1] instead of shifting and scaling them to mean "
                             "0, deviation 1 (as PyTorch's MNIST example does: "
                             "(x - 0.1307) / 0.3081)")
    parser.add_argument("--only", choices=["glassgrad", "pytorch"], default=None)
    parser.add_argument("--progress", action="store_true", help="tqdm bars for glassgrad")
    parser.add_argument("--malloc-defaults", action="store_true",
                        help="leave glibc's malloc settings alone; by default freed memory is "
                             "kept for reuse as nn.fit does, for both libraries (they share the "
                             "process's malloc)")
    args = parser.parse_args(argv)
    if not args.malloc_defaults:
        keep_freed_memory_for_training()  # before either library trains, as nn.fit would

    if not os.path.isdir(args.data):
        parser.error(f"no MNIST directory at {args.data}; pass --data")
    (x_train, y_train), test = nn.datasets.load_mnist(args.data)
    if args.limit:
        x_train, y_train = x_train[:args.limit], y_train[:args.limit]
    if args.standardize:  # the training set's pixel mean and standard deviation
        x_train = (x_train - np.float32(0.1307)) / np.float32(0.3081)
        test = ((test[0] - np.float32(0.1307)) / np.float32(0.3081), test[1])
    data = ((x_train, y_train), test)
    steps_per_epoch = -(-len(x_train) // args.batch_size)
    if args.schedule == "cosine":
        warmup = round(args.warmup_epochs * steps_per_epoch)
        decay = max(1, args.epochs * steps_per_epoch - warmup)
        schedule = (nn.CosineDecay(0.0, decay, warmup_steps=warmup, warmup_target=args.lr)
                    if warmup else nn.CosineDecay(args.lr, decay_steps=decay))
        described = (f"lr from 0 up to {args.lr} in {args.warmup_epochs} epochs, then cosine "
                     f"decay to 0 by the end of epoch {args.epochs}" if warmup else
                     f"cosine decay from {args.lr} to 0 over {args.epochs} epochs")
    else:
        schedule = nn.ExponentialDecay(args.lr, steps_per_epoch, args.lr_decay, staircase=True)
        described = f"lr {args.lr}, x{args.lr_decay} per epoch"
    print(f"MNIST: {len(x_train)} training, {len(test[0])} test images; epochs {args.epochs}, "
          f"batch {args.batch_size}, Adam {described}, "
          f"{args.init} init, seed {args.seed}, standardized {args.standardize}; "
          f"numpy {np.__version__}, python {platform.python_version()}, {os.cpu_count()} CPUs",
          flush=True)

    np.random.seed(args.seed)
    model = build_model(args.init)
    runs: list = []
    if args.only != "glassgrad":
        try:
            import torch
        except ImportError:
            print("pytorch: not installed, skipped")
        else:
            print(f"pytorch {torch.__version__}, 2 threads", flush=True)
            runs.append(TorchRun(model, data, args.batch_size, schedule, args.seed))
    if args.only != "pytorch":  # after TorchRun has copied the initial weights
        runs.insert(0, GlassgradRun(model, data, args.batch_size, schedule, args.seed,
                                    args.progress))
    results: dict[str, list[dict]] = {run.name: [] for run in runs}
    for epoch in range(1, args.epochs + 1):  # alternate, so both see the same machine load
        for run in runs:
            load = os.getloadavg()[0]
            row = run.epoch(epoch)
            row["load"] = (load + os.getloadavg()[0]) / 2
            results[run.name].append(row)
            report(run.name, row)
    summary(results)


if __name__ == "__main__":
    main()
