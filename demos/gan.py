"""The outlook: generative adversarial networks (GANs), on eight Gaussians and on MNIST digits.

A generator G turns noise z ~ N(0, I) into samples; a discriminator D learns to tell them from
real data, and G learns to fool it. Each round takes a step for D, then one for G:

    D: minimise BCE(D(x_real), 1) + BCE(D(G(z)), 0)      (D outputs a logit)
    G: minimise BCE(D(G(z)), 1)                          (the "non-saturating" loss)

With --gp, D becomes a critic of a Wasserstein GAN with a gradient penalty (WGAN-GP,
Gulrajani et al. 2017), which takes 5 steps per step of G:

    critic: minimise mean D(G(z)) - mean D(x_real) + lambda * mean (||grad_x D(x_hat)||_2 - 1)^2
    G:      minimise -mean D(G(z))

on random interpolates x_hat = alpha x_real + (1 - alpha) G(z), alpha ~ U(0, 1). The penalty
holds a gradient, so it is computed with autograd.grad(..., create_graph=True): its own gradient
with respect to the critic's weights then flows through that backward pass.

The lesson has two parts:

1. the ring: eight Gaussians on a circle of radius 2 (deviation 0.05); small MLPs; panels of
   the real (green) and generated (purple) points over D's opinion of the plane, in the style of
   GAN Lab, at several moments of training; and how many of the 8 modes the samples cover;
2. the images: an MLP GAN on MNIST; a grid of samples from the same fixed noise after each
   epoch, as one picture and as an animated GIF.

    python demos/gan.py [--quick] [--out out] [--gp] [--only ring|images] [--data DIR]
                        [--download] [--steps N] [--epochs N] [--seed S]

--quick needs no MNIST: the images are 12x12 pen strokes of 6 directions (nn.data.make_strokes),
and the whole lesson takes about 15 s. Without it, --data is where the four MNIST .gz files
are (default ~/.cache/glassgrad/mnist). MNIST: Yann LeCun and Corinna Cortes, CC BY-SA 3.0.
"""

# %%
from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from _common import demo_args, plt, save
from matplotlib import animation
from mnist_cnn import mnist_options
from vae import load_pixels, load_strokes

import nn
from autograd import Tensor, grad, no_grad

SLOPE = 0.2  # the leaky ReLU's slope for x < 0
RADIUS, MODES, STD = 2.0, 8, 0.05  # the ring of Gaussians


def options(parser: argparse.ArgumentParser) -> None:
    """This lesson's options: the loss, the parts, MNIST's two, the lengths and the seed."""
    parser.add_argument("--gp", action="store_true",
                        help="a Wasserstein critic with a gradient penalty (WGAN-GP)")
    parser.add_argument("--only", choices=["ring", "images"], default=None,
                        help="run one part of the lesson (default: both)")
    mnist_options(parser)
    parser.add_argument("--steps", type=int, default=None,
                        help="generator steps on the ring (default: 3000; 1500 with --quick)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs of the image GAN (default: 20; 30 with --quick)")
    parser.add_argument("--seed", type=int, default=0, help="weights, noise and batches")


# %% The networks
def leaky_relu() -> nn.Module:
    """The activation of every network here: nn.LeakyReLU(0.2), x if x > 0 else 0.2 * x."""
    return nn.LeakyReLU(SLOPE)


def mlp(sizes: list[int], activation: Callable[[], nn.Module], seed: int,
        last: nn.Module | None = None) -> nn.Sequential:
    """Dense layers of the given sizes with ``activation`` between them and ``last`` (if any)
    after the final one."""
    layers: list[nn.Module] = []
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Dense(n_in, n_out, rng=seed + k))
        if k < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers, *([last] if last is not None else []))


# %% The losses
def gradient_penalty(critic: nn.Module, real: np.ndarray, fake: np.ndarray, alpha: np.ndarray,
                     weight: float = 10.0) -> Tensor:
    """lambda * mean over the batch of (||grad_x D(x_hat)||_2 - 1)^2 at the interpolates
    x_hat = alpha * real + (1 - alpha) * fake (``alpha`` is (batch, 1), constants).

    grad(..., create_graph=True) records the backward pass of D as a graph, so the penalty is a
    function of D's weights that backward() differentiates, through D's backward pass.
    """
    x_hat = Tensor(alpha * real + (1 - alpha) * fake, requires_grad=True)
    (slope,) = grad(critic(x_hat).sum(), x_hat, create_graph=True)  # row i: dD(x_hat_i)/dx_hat_i
    norm = ((slope * slope).sum(axis=1) + 1e-12).sqrt()  # + 1e-12: sqrt's slope is finite at 0
    return weight * ((norm - 1) ** 2).mean()


def bce(logits: Tensor, label: float) -> Tensor:
    """The binary cross-entropy of logits against one label for the whole batch."""
    return nn.binary_cross_entropy(logits, np.full(logits.shape, label, logits.dtype),
                                   from_logits=True)


@dataclass
class GAN:
    """A generator, its critic (or discriminator), their optimizers and the kind of loss."""

    gen: nn.Sequential
    critic: nn.Sequential
    latent: int
    gp: bool
    lr: float

    def __post_init__(self) -> None:
        betas = (0.5, 0.9) if self.gp else (0.5, 0.999)  # the papers' choices
        self.opt_gen = nn.Adam(self.gen.parameters(), lr=self.lr, betas=betas)
        self.opt_critic = nn.Adam(self.critic.parameters(), lr=self.lr, betas=betas)
        self.critic_steps = 5 if self.gp else 1

    def noise(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.standard_normal((n, self.latent)).astype(np.float32)

    def sample(self, z: np.ndarray) -> np.ndarray:
        with no_grad():
            return self.gen(Tensor(z)).numpy()

    def critic_step(self, real: np.ndarray, rng: np.random.Generator) -> float:
        """One step of D on a batch of real samples and as many generated ones."""
        fake = self.sample(self.noise(rng, len(real)))  # numbers: no gradient into G here
        on_real, on_fake = self.critic(Tensor(real)), self.critic(Tensor(fake))
        if self.gp:
            alpha = rng.uniform(size=(len(real), 1)).astype(np.float32)
            loss = on_fake.mean() - on_real.mean() + gradient_penalty(self.critic, real, fake,
                                                                      alpha)
        else:
            loss = bce(on_real, 1.0) + bce(on_fake, 0.0)
        self.opt_critic.zero_grad()
        loss.backward()
        self.opt_critic.step()
        return loss.item()

    def gen_step(self, n: int, rng: np.random.Generator) -> float:
        """One step of G: its samples should make D say "real" (a large critic value)."""
        verdict = self.critic(self.gen(Tensor(self.noise(rng, n))))
        loss = -verdict.mean() if self.gp else bce(verdict, 1.0)
        self.opt_gen.zero_grad()  # the backward pass also filled D's gradients: zeroed before use
        loss.backward()
        self.opt_gen.step()
        return loss.item()

    def round(self, batches: Iterator[np.ndarray], rng: np.random.Generator) -> tuple[float, ...]:
        """critic_steps steps of D, one of G; returns D's last loss and G's."""
        for _ in range(self.critic_steps):
            real = next(batches)
            critic_loss = self.critic_step(real, rng)
        return critic_loss, self.gen_step(len(real), rng)

    def opinion(self, x: np.ndarray) -> np.ndarray:
        """D's verdict on points: the probability of "real", or the critic's value (WGAN)."""
        with no_grad():
            out = self.critic(Tensor(x)).numpy()[:, 0]
        return out if self.gp else 1 / (1 + np.exp(-out))


# %% Part 1: eight Gaussians on a ring
def ring_centres() -> np.ndarray:
    angles = 2 * np.pi * np.arange(MODES) / MODES
    return RADIUS * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def sample_ring(rng: np.random.Generator, n: int) -> np.ndarray:
    """n points, each from one of the 8 Gaussians, chosen with equal chance."""
    centres = ring_centres()[rng.integers(0, MODES, n)]
    return (centres + STD * rng.standard_normal((n, 2))).astype(np.float32)


def count_modes(x: np.ndarray, share: float = 0.01) -> tuple[int, float]:
    """(modes covered, fraction of good samples): a sample is good when it lies within 3
    deviations of a centre; a mode is covered when it holds at least ``share`` of the samples."""
    near = np.linalg.norm(x[:, None] - ring_centres()[None], axis=2) < 3 * STD  # (n, modes)
    return int((near.sum(axis=0) >= share * len(x)).sum()), float(near.any(axis=1).mean())


def ring_lesson(args: argparse.Namespace) -> dict[str, float]:
    steps = args.steps or (1500 if args.quick else 3000)
    rng = np.random.default_rng(args.seed)
    hidden = 64 if args.quick else 128
    gan = GAN(gen=mlp([2, hidden, hidden, 2], nn.ReLU, args.seed),
              critic=mlp([2, hidden, hidden, 1], leaky_relu, args.seed + 10),
              latent=2, gp=args.gp, lr=3e-4 if args.gp else 1e-3)

    def real_batches() -> Iterator[np.ndarray]:
        while True:
            yield sample_ring(rng, 256)

    batches = real_batches()
    shown = np.linspace(0, 1, 5) ** 2 * steps  # more pictures early, when most happens
    moments = sorted({int(round(s)) for s in shown})
    z_fixed = gan.noise(np.random.default_rng(args.seed + 1), 1000)
    real_fixed = sample_ring(np.random.default_rng(args.seed + 2), 1000)
    snaps, start = [], time.perf_counter()
    print(f"1. The ring: {MODES} Gaussians of deviation {STD} on a circle of radius {RADIUS}; "
          f"G 2-{hidden}-{hidden}-2 (ReLU), D 2-{hidden}-{hidden}-1 (leaky ReLU); {steps} steps "
          f"of G, {gan.critic_steps} of D per step")
    for step in range(steps + 1):
        if step in moments:
            fake = gan.sample(z_fixed)
            covered, good = count_modes(fake)
            snaps.append((step, fake, covered, good, *opinion_map(gan)))
            print(f"   step {step:5d}: {covered} of {MODES} modes covered, {good:.0%} of the "
                  f"samples within 3 deviations of a centre ({time.perf_counter() - start:.1f} s)")
        if step < steps:
            gan.round(batches, rng)
    plot_ring(snaps, real_fixed, args.gp, args.out)
    return {"modes": snaps[-1][2], "good": snaps[-1][3]}


def opinion_map(gan: GAN, lim: float = 3.0, n: int = 120) -> tuple[np.ndarray, np.ndarray]:
    """D's verdict on an n x n grid over [-lim, lim]^2 (rows: y from top to bottom)."""
    ys, xs = np.mgrid[lim:-lim:n * 1j, -lim:lim:n * 1j]
    values = gan.opinion(np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32))
    return values.reshape(n, n), np.array([-lim, lim, -lim, lim])


def plot_ring(snaps: list[tuple], real: np.ndarray, gp: bool, out: Path) -> Path:
    fig, axes = plt.subplots(1, len(snaps), figsize=(3.2 * len(snaps), 3.6), layout="constrained")
    for ax, (step, fake, covered, good, heat, extent) in zip(axes, snaps):
        if gp:  # a critic's values have no fixed scale: centre and scale them per panel
            heat = heat - np.median(heat)
            heat = 0.5 + 0.5 * heat / (np.abs(heat).max() + 1e-12)
        ax.imshow(heat, extent=extent, cmap="PRGn", vmin=0, vmax=1, alpha=0.55)
        ax.scatter(real[:, 0], real[:, 1], s=3, color="#1b7837", label="real")
        ax.scatter(fake[:, 0], fake[:, 1], s=3, color="#762a83", alpha=0.6, label="generated")
        ax.set(xlim=extent[:2], ylim=extent[2:], xticks=[], yticks=[], aspect="equal")
        ax.set_title(f"step {step}: {covered}/{MODES} modes, {good:.0%} near", fontsize=10)
    axes[0].legend(loc="lower left", fontsize=8, markerscale=3)
    verdict = ("critic value, scaled per panel: green high (real), purple low" if gp else
               "D(x) = P(real): green 1, purple 0")
    fig.suptitle(f"{'WGAN-GP' if gp else 'GAN'} on eight Gaussians; background: {verdict}")
    return save(fig, out, f"gan_ring{'_gp' if gp else ''}.png")


# %% Part 2: an MLP GAN on images
def image_lesson(args: argparse.Namespace) -> dict[str, float]:
    if args.quick:
        (x, _), _ = load_strokes(args.seed)
        what, side, latent, sizes = "12x12 pen strokes", 12, 16, (128, 256)
    else:
        (x, _), _ = load_pixels(args, "gan")
        what, side, latent, sizes = "MNIST", 28, 64, (256, 512)
    x = 2 * x - 1  # pixels in [-1, 1], as G's tanh makes them
    epochs = args.epochs or (30 if args.quick else 20)
    rng = np.random.default_rng(args.seed)
    gan = GAN(gen=mlp([latent, *sizes, side * side], leaky_relu, args.seed, nn.Tanh()),
              critic=mlp([side * side, *sizes[::-1], 1], leaky_relu, args.seed + 10),
              latent=latent, gp=args.gp, lr=2e-4)
    batch_size = 64 if args.quick else 128
    rounds = len(x) // batch_size // gan.critic_steps  # an epoch: D sees every image once

    def real_batches() -> Iterator[np.ndarray]:
        epoch = 0
        while True:
            order = np.random.default_rng([args.seed, epoch])
            for xb, _ in nn.data.batches(x, np.zeros(len(x)), batch_size, rng=order,
                                         drop_last=True):
                yield xb
            epoch += 1

    batches = real_batches()
    z_fixed = gan.noise(np.random.default_rng(args.seed + 1), 64)
    grids = [sample_grid(gan, z_fixed, side)]
    print(f"\n2. {what}: {len(x)} images; G {latent}-{sizes[0]}-{sizes[1]}-{side * side} "
          f"(leaky ReLU, tanh), D {side * side}-{sizes[1]}-{sizes[0]}-1 (leaky ReLU); "
          f"{rounds} rounds an epoch, batches of {batch_size}, Adam lr {gan.lr:g}")
    print(f"   {'epoch':>5} {'critic' if gan.gp else 'D loss':>8} {'G loss':>8} {'seconds':>8}")
    seconds = []
    for epoch in range(epochs):
        start, losses = time.perf_counter(), []
        for _ in range(rounds):
            losses.append(gan.round(batches, rng))
        seconds.append(time.perf_counter() - start)
        critic_loss, gen_loss = np.mean(losses, axis=0)
        print(f"   {epoch + 1:5d} {critic_loss:8.3f} {gen_loss:8.3f} {seconds[-1]:8.1f}")
        grids.append(sample_grid(gan, z_fixed, side))
    suffix = "_gp" if args.gp else ""
    plot_grids(grids, what, args.out, f"gan_samples{suffix}.png")
    animate_grids(grids, args.out, f"gan_samples{suffix}.gif")
    return {"seconds": float(sum(seconds))}


def sample_grid(gan: GAN, z: np.ndarray, side: int) -> np.ndarray:
    """G(z) for 64 noise vectors as one 8 x 8 picture of digits, pixels in [0, 1]."""
    images = (gan.sample(z).reshape(8, 8, side, side) + 1) / 2
    padded = np.pad(images, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=0.25)  # grey lines
    return padded.transpose(0, 2, 1, 3).reshape(8 * (side + 2), 8 * (side + 2))


def plot_grids(grids: list[np.ndarray], what: str, out: Path, name: str) -> Path:
    """Up to six of the epochs' grids side by side: the same noise, decoded as G learns."""
    picks = sorted({round(k) for k in np.geomspace(1, len(grids), 6) - 1})
    if len(grids) - 1 not in picks:
        picks.append(len(grids) - 1)
    fig, axes = plt.subplots(1, len(picks), figsize=(2.6 * len(picks), 2.9),
                             layout="constrained")
    for ax, k in zip(axes, picks):
        ax.imshow(grids[k], cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        ax.set(xticks=[], yticks=[], title="before training" if k == 0 else f"epoch {k}")
    fig.suptitle(f"G(z) for the same 64 noise vectors z ({what})")
    return save(fig, out, name)


def animate_grids(grids: list[np.ndarray], out: Path, name: str) -> Path:
    """Every epoch's grid, one frame each (matplotlib's PillowWriter)."""
    fig, ax = plt.subplots(figsize=(4, 4.3), layout="constrained")
    shown = ax.imshow(grids[0], cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    ax.set(xticks=[], yticks=[])

    def draw(k: int) -> tuple:
        shown.set_data(grids[k])
        ax.set_title("before training" if k == 0 else f"epoch {k}")
        return (shown,)

    movie = animation.FuncAnimation(fig, draw, frames=len(grids))
    path = out / name
    movie.save(path, writer=animation.PillowWriter(fps=2))
    plt.close(fig)
    print(f"  wrote {path}")
    return path


# %% The lesson
def main(argv: list[str] | None = None) -> dict[str, float]:
    args = demo_args(__doc__.splitlines()[0], argv, options)
    results: dict[str, float] = {}
    if args.only in (None, "ring"):
        results.update(ring_lesson(args))
    if args.only in (None, "images"):
        results.update(image_lesson(args))
    return results


if __name__ == "__main__":
    main()
