"""When you outgrow glassgrad: hand the model to PyTorch, train it on two processes, bring it back.

glassgrad keeps its state as PyTorch does (a state_dict with PyTorch's names and layouts), so a
model moves between the two without conversion of its numbers. The lesson has five stages:

1. train Keras' MNIST CNN (lesson 6) for a while in glassgrad with nn.fit and Adam;
2. export it with nn.export.to_torch and check that PyTorch computes the same function;
3. continue training with torch.nn.parallel.DistributedDataParallel (DDP) on 2 CPU processes
   (the gloo backend, started by torch.multiprocessing.spawn); every global batch is split
   between the processes, and DDP averages their gradients, so each step is the full-batch step:
   checked on the first step against one process that sees the whole batch;
4. plot the loss across the hand-over;
5. import the result with nn.export.from_torch and evaluate it in glassgrad and in PyTorch.

    python demos/graduate.py [--quick] [--out out] [--data DIR] [--download] [--epochs N]
                             [--ddp-epochs N] [--batch-size B] [--lr LR] [--seed S]

--quick needs no MNIST: a smaller CNN learns the direction of pen strokes in 12x12 images
(nn.data.make_strokes), in well under a minute. Without it, --data is where the four MNIST .gz
files are (default ~/.cache/glassgrad/mnist). Needs PyTorch (make crosscheck installs it).
"""

# %%
from __future__ import annotations

import argparse
import copy
import os
import socket
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from _common import demo_args, plt, save
from mnist_cnn import build_model, load_standardized, mnist_options

import nn

try:
    import torch
    import torch.distributed as dist
    import torch.multiprocessing as mp
    import torch.nn.functional as F
    from torch.nn.parallel import DistributedDataParallel
except ImportError:  # the lesson says so in main()
    torch = None

WORLD_SIZE = 2  # processes; on this machine, one per CPU core


def options(parser: argparse.ArgumentParser) -> None:
    """This lesson's options: MNIST's, the length of each phase, the batch, the rate, the seed."""
    mnist_options(parser)
    parser.add_argument("--epochs", type=int, default=None,
                        help="glassgrad epochs before the hand-over (default: 1; 3 with --quick)")
    parser.add_argument("--ddp-epochs", type=int, default=None,
                        help="epochs in PyTorch DDP after it (default: 1; 3 with --quick)")
    parser.add_argument("--batch-size", type=int, default=64,
                        help="the global batch; each of the 2 processes takes half (default: 64)")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam's learning rate, both phases")
    parser.add_argument("--seed", type=int, default=0, help="weights, batches and dropout")


@dataclass(frozen=True)
class Plan:
    """What every DDP process is told: where to meet, how long to train, where to report."""

    port: int
    epochs: int
    batch_size: int
    lr: float
    seed: int
    result: Path


def free_port() -> int:
    """A TCP port no one listens on now: the one the system picks for a socket bound to port 0."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def torch_predict(model: torch.nn.Module, x: np.ndarray, batch_size: int = 500) -> np.ndarray:
    """The PyTorch model's outputs for ``x``, batch by batch, in eval mode without a graph."""
    model.eval()
    with torch.no_grad():
        return np.concatenate([model(torch.from_numpy(x[i:i + batch_size])).numpy()
                               for i in range(0, len(x), batch_size)])


def largest_difference(a: list[torch.Tensor], b: list[torch.Tensor]) -> float:
    """max |a_i - b_i| over every element of two lists of like-shaped tensors."""
    return max(float((p.detach() - q.detach()).abs().max()) for p, q in zip(a, b))


# %% The DDP processes
def ddp_worker(rank: int, plan: Plan, model: torch.nn.Module, x: torch.Tensor,
               y: torch.Tensor) -> None:
    """One of the processes that torch.multiprocessing.spawn starts (it passes ``rank``).

    It joins the group (gloo, on 127.0.0.1:plan.port), trains its own copy of ``model`` and
    leaves the group even when training fails. The tensors handed to spawned processes live in
    shared memory (both processes see the parent's very numbers), so each process trains a deep
    copy: otherwise both optimizers would step the same weights.
    """
    torch.set_num_threads(1)  # two processes on two cores: one thread each
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(plan.port)
    dist.init_process_group("gloo", rank=rank, world_size=WORLD_SIZE)
    try:
        train_ddp(rank, plan, copy.deepcopy(model), x.numpy(), y.numpy())
    finally:
        dist.destroy_process_group()


def train_ddp(rank: int, plan: Plan, model: torch.nn.Module, x: np.ndarray,
              y: np.ndarray) -> None:
    """Train with DDP; rank 0 prints the progress and saves the weights and the losses.

    Both processes draw the same global batches (the same seed), and rank r takes rows
    r, r + 2, r + 4 ... of each. The last incomplete batch of an epoch is dropped, so the two
    halves are always the same size and their mean losses average to the batch's.
    """
    torch.manual_seed(plan.seed + rank)  # each process its own dropout masks
    reference = copy.deepcopy(model) if rank == 0 else None  # one process, the whole batch
    ddp = DistributedDataParallel(model)  # broadcasts rank 0's weights, hooks the gradients
    optimizer = torch.optim.Adam(ddp.parameters(), lr=plan.lr)
    losses: list[float] = []
    check: dict[str, float] = {}
    steps = plan.epochs * (len(x) // plan.batch_size)
    start = time.perf_counter()
    for epoch in range(plan.epochs):
        order = np.random.default_rng([plan.seed, epoch])  # the same in both processes
        for xb, yb in nn.data.batches(x, y, plan.batch_size, rng=order, drop_last=True):
            mine = slice(rank, None, WORLD_SIZE)
            x_mine, y_mine = torch.from_numpy(xb[mine]), torch.from_numpy(yb[mine])
            first = not losses
            if first:  # the check step: dropout off, so both sides compute one function
                ddp.eval()
                if reference is not None:
                    check = reference_step(reference, plan.lr, xb, yb)
            optimizer.zero_grad()
            loss = F.cross_entropy(ddp(x_mine), y_mine)
            loss.backward()  # DDP all-reduces here: every process gets the mean gradient
            if first and reference is not None:
                check["gradient"] = largest_difference(
                    [p.grad for p in ddp.module.parameters()],
                    [p.grad for p in reference.parameters()])
            optimizer.step()
            if first:
                ddp.train()
                if reference is not None:
                    check["weights"] = largest_difference(list(ddp.module.parameters()),
                                                          list(reference.parameters()))
            batch_loss = loss.detach().clone()
            dist.all_reduce(batch_loss)  # the sum of the two halves' mean losses
            losses.append(batch_loss.item() / WORLD_SIZE)
            if rank == 0 and (len(losses) % max(1, steps // 5) == 0 or len(losses) == steps):
                print(f"   DDP step {len(losses):4d}/{steps}: global batch loss "
                      f"{losses[-1]:.4f} ({time.perf_counter() - start:.1f} s)", flush=True)
    if rank == 0:
        torch.save({"state_dict": ddp.module.state_dict(), "losses": losses, "check": check,
                    "seconds": time.perf_counter() - start}, plan.result)


def reference_step(reference: torch.nn.Module, lr: float, xb: np.ndarray,
                   yb: np.ndarray) -> dict[str, float]:
    """One Adam step of a plain model on the whole batch, for rank 0's check; returns its loss."""
    reference.eval()
    optimizer = torch.optim.Adam(reference.parameters(), lr=lr)
    loss = F.cross_entropy(reference(torch.from_numpy(xb)), torch.from_numpy(yb))
    loss.backward()
    optimizer.step()
    return {"full batch loss": loss.item()}


# %% The lesson
def load_data(args: argparse.Namespace) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...],
                                                 nn.Sequential, str]:
    """The training and test sets, the model and a name for the data."""
    if args.quick:
        x, y = nn.data.make_strokes(6000, classes=6, size=12, noise=0.15, rng=args.seed)
        model = build_model(args.seed, size=12, filters=(8, 16), hidden=32, classes=6)
        return (x[:5000], y[:5000]), (x[5000:], y[5000:]), model, "12x12 pen strokes, 6 directions"
    train, test = load_standardized(args, "graduate")
    return train, test, build_model(args.seed), "MNIST"


def say(text: str) -> None:
    """Print a paragraph of the lesson, wrapped and indented under its stage's title."""
    print(textwrap.fill(text, 96, initial_indent="   ", subsequent_indent="   "))


def main(argv: list[str] | None = None) -> dict[str, float]:
    args = demo_args(__doc__.splitlines()[0], argv, options)
    if torch is None:
        raise SystemExit("graduate: this lesson needs PyTorch (pip install torch, or make "
                         "crosscheck)")
    if args.batch_size < WORLD_SIZE or args.batch_size % WORLD_SIZE:
        raise SystemExit(f"graduate: --batch-size must be a multiple of {WORLD_SIZE} (each "
                         f"process takes half), got {args.batch_size}")
    from nn.export import from_torch, to_torch

    epochs = args.epochs or (3 if args.quick else 1)
    ddp_epochs = args.ddp_epochs or (3 if args.quick else 1)
    (x_train, y_train), (x_test, y_test), model, what = load_data(args)
    print(f"Data: {what}; {len(x_train)} training and {len(x_test)} test images.")

    # %% 1. glassgrad
    print(f"\n1. glassgrad trains the CNN ({model.num_parameters():,} parameters) with nn.fit.")
    say(f"Adam with lr {args.lr:g}, batches of {args.batch_size}, {epochs} epoch(s); a "
        "LambdaCallback records every batch's loss.")
    losses: list[float] = []
    record = nn.LambdaCallback(on_train_batch_end=lambda batch, logs: losses.append(logs["loss"]))
    history = nn.fit(model, x_train, y_train, "cross_entropy", nn.Adam(model.parameters(),
                     lr=args.lr), epochs=epochs, batch_size=args.batch_size, callbacks=[record],
                     verbose=0, rng=args.seed)
    seconds = sum(history.times)
    before = nn.evaluate(model, x_test, y_test, "cross_entropy", metrics=["accuracy"])
    say(f"{len(losses)} steps in {seconds:.1f} s ({1000 * seconds / len(losses):.0f} ms a "
        f"step); the last batch's loss {losses[-1]:.4f}; test accuracy {before['accuracy']:.2%}.")

    # %% 2. export
    print("\n2. nn.export.to_torch(model) hands the network to PyTorch.")
    say("It builds the same network from torch.nn layers and loads model.state_dict() into it: "
        "the names (0.weight, 7.bias ...) and the layouts (a Dense weight is (out, in), as "
        "torch.nn.Linear's) are already PyTorch's, so no number is rearranged.")
    torch_model = to_torch(model)
    sample = x_test[:256]
    gap = np.abs(torch_predict(torch_model, sample) - nn.predict(model, sample)).max()
    say(f"The same function: on {len(sample)} test images the outputs differ by at most "
        f"{gap:.1e}.")

    # %% 3. DDP
    plan = Plan(port=free_port(), epochs=ddp_epochs, batch_size=args.batch_size, lr=args.lr,
                seed=args.seed, result=args.out / "graduate_ddp.pt")
    print(f"\n3. PyTorch continues with DistributedDataParallel (DDP) on {WORLD_SIZE} processes.")
    say(f"torch.multiprocessing.spawn starts them; they meet with the gloo backend on "
        f"127.0.0.1:{plan.port} and use one thread each. Every process holds a whole copy of the "
        f"model. Both draw the same global batches of {args.batch_size} from one seed, and "
        f"process r takes rows r, r + {WORLD_SIZE} ... ({args.batch_size // WORLD_SIZE} images).")
    say(f"During backward(), DDP all-reduces the gradients: it sums them across the processes "
        f"and divides by {WORLD_SIZE}. Each process then holds the mean of the half-batch "
        "gradients, which is the gradient of the mean loss on the whole batch. So every "
        "optimizer step is the step one process would take on the whole batch, and the copies "
        "stay identical.")
    say("The optimizer is Adam with the same lr, but a new one: the running averages of "
        "glassgrad's Adam (m and v) do not carry over, so Adam starts again with its first, "
        "largest steps.")
    start = time.perf_counter()
    mp.spawn(ddp_worker, args=(plan, torch_model, torch.from_numpy(x_train),
                               torch.from_numpy(y_train)), nprocs=WORLD_SIZE, join=True)
    result = torch.load(plan.result, weights_only=True)
    ddp_losses, check = result["losses"], result["check"]
    say(f"{len(ddp_losses)} DDP steps in {result['seconds']:.1f} s "
        f"({1000 * result['seconds'] / len(ddp_losses):.0f} ms a step; "
        f"{time.perf_counter() - start:.1f} s with starting the processes).")
    say(f"The check, on the first DDP step, with dropout off on both sides: rank 0 also took one "
        f"step on the whole batch with a plain copy of the model. The gradients differ by at "
        f"most {check['gradient']:.1e}, the weights after the Adam step by {check['weights']:.1e}"
        f": float32 rounding. (Adam's first step is about lr * g / |g|, nearly blind to the "
        f"gradient's scale: the gradients are the sharper check.) Rank 0 saved the weights of "
        f"ddp.module (the model inside DDP's wrapper) and the losses in {plan.result}.")

    # %% 4. the loss across the hand-over
    print("\n4. The loss curve, continued across the hand-over:")
    plot_losses(losses, ddp_losses, args.out, what)

    # %% 5. back to glassgrad
    torch_model.load_state_dict(result["state_dict"])  # ddp_model.module's trained weights
    back = from_torch(torch_model)
    after = nn.evaluate(back, x_test, y_test, "cross_entropy", metrics=["accuracy"])
    torch_logits = torch_predict(torch_model, x_test)
    torch_accuracy = nn.accuracy(torch_logits, y_test)
    same = int((torch_logits.argmax(1) == nn.predict(back, x_test).argmax(1)).sum())
    print("\n5. nn.export.from_torch(model) brings the trained network back to glassgrad.")
    say(f"Test accuracy: {after['accuracy']:.2%} in glassgrad (nn.evaluate), {torch_accuracy:.2%} "
        f"in PyTorch; the two agree on {same} of {len(x_test)} predictions. Before the "
        f"hand-over: {before['accuracy']:.2%}.")
    return {"accuracy": after["accuracy"], "torch_accuracy": torch_accuracy,
            "before": before["accuracy"], "gradient_gap": check["gradient"],
            "weight_gap": check["weights"]}


def plot_losses(losses: list[float], ddp_losses: list[float], out: Path, what: str) -> Path:
    """Every step's batch loss, glassgrad's then DDP's, with a running mean and the hand-over."""
    fig, ax = plt.subplots(figsize=(9, 4.2), layout="constrained")
    window = max(5, (len(losses) + len(ddp_losses)) // 40)
    steps = np.arange(1, len(losses) + len(ddp_losses) + 1)
    for part, label, colour in ((slice(0, len(losses)), "glassgrad, nn.fit", "tab:blue"),
                                (slice(len(losses), None), "PyTorch DDP, 2 processes",
                                 "tab:orange")):
        values = np.asarray((losses + ddp_losses)[part])
        ax.plot(steps[part], values, color=colour, alpha=0.25, lw=0.8)
        if len(values) >= window:
            mean = np.convolve(values, np.ones(window) / window, mode="valid")
            ax.plot(steps[part][window - 1:], mean, color=colour, lw=2,
                    label=f"{label} (mean of {window} steps)")
    ax.axvline(len(losses) + 0.5, color="black", ls="--", lw=1)
    ax.annotate("hand-over:\nnn.export.to_torch", xy=(len(losses) + 0.5, 0.97),
                xycoords=("data", "axes fraction"), xytext=(6, 0), textcoords="offset points",
                va="top", fontsize=9)
    ax.set_yscale("log")
    ax.set(title=f"Training loss across the hand-over ({what})", xlabel="step (global batch)",
           ylabel="cross-entropy of the batch")
    ax.legend(loc="lower left")
    return save(fig, out, "graduate_loss.png")


if __name__ == "__main__":  # spawned processes import this file again: they must not run main
    main()
