"""The outlook: a variational autoencoder (VAE) draws MNIST digits from a 2-D latent plane.

An encoder maps an image x to a Gaussian q(z | x) = N(mu(x), diag(exp(logvar(x)))) over a
2-D latent z; a decoder maps z back to the probabilities p(x | z) of the 784 pixels being on.
The loss of an image, averaged over the batch, has two terms:

    reconstruction = -sum_pixels [x log x_hat + (1 - x) log(1 - x_hat)]   (binary cross-entropy)
    KL             = -1/2 sum_latent (1 + logvar - mu^2 - exp(logvar))   (KL(q(z|x) || N(0, I)))

The reparameterisation trick z = mu + exp(logvar / 2) * eps, with eps ~ N(0, 1) drawn by numpy
(a constant of the graph), makes the sample a differentiable function of mu and logvar.
Architecture and pictures follow Keras' VAE example: Dense(512) ReLU layers, a 2-D latent,
Adam; the test digits' latent means coloured by class, and digits decoded on a 20 x 20 grid.

    python demos/vae.py [--quick] [--out out] [--data DIR] [--download] [--epochs N] [--seed S]

--quick needs no MNIST: it learns 12x12 pen strokes of 6 directions (nn.data.make_strokes), in
a few seconds. Without it, --data is where the four MNIST .gz files are (default
~/.cache/glassgrad/mnist). MNIST: Yann LeCun and Corinna Cortes, CC BY-SA 3.0.
"""

# %%
from __future__ import annotations

import argparse
import time
from statistics import NormalDist

import numpy as np
from _common import demo_args, plt, save
from matplotlib.ticker import MaxNLocator
from mnist_cnn import mnist_options

import nn
from autograd import Tensor, no_grad


def options(parser: argparse.ArgumentParser) -> None:
    """This lesson's options: MNIST's two, ``--epochs`` and ``--seed``."""
    mnist_options(parser)
    parser.add_argument("--epochs", type=int, default=None, help="default: 20; 40 with --quick")
    parser.add_argument("--seed", type=int, default=0, help="weights, batches and noise")


def load_pixels(args: argparse.Namespace, program: str) -> tuple[tuple[np.ndarray, ...], ...]:
    """MNIST as (N, 784) float32 pixels in [0, 1] with int64 labels, training then test set.
    Missing files end the program with a message that says where to put them."""
    try:
        (x_train, y_train), (x_test, y_test) = nn.datasets.load_mnist(args.data,
                                                                      download=args.download)
    except (FileNotFoundError, ConnectionError) as error:
        raise SystemExit(f"{program}: {error}\n(run with --download to fetch them, or "
                         "--data DIR to point at a folder that has them; --quick needs "
                         "neither)") from None
    return (x_train.reshape(len(x_train), -1), y_train), (x_test.reshape(len(x_test), -1), y_test)


def load_strokes(seed: int, n_train: int = 5000, n_test: int = 1000
                 ) -> tuple[tuple[np.ndarray, ...], ...]:
    """12x12 pen strokes of 6 directions, flattened to (N, 144), for --quick: no files needed."""
    x, y = nn.data.make_strokes(n_train + n_test, classes=6, size=12, noise=0.05, rng=seed)
    x = x.reshape(len(x), -1)
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])


# %% The model
class VAE(nn.Module):
    """Encoder: Dense + ReLU, then two Dense heads for mu and logvar. Decoder: Dense + ReLU,
    Dense, giving a logit l per pixel, then Sigmoid: p = sigmoid(l), the pixel's probability of
    being on. The loss reads the logits (see reconstruction_loss)."""

    def __init__(self, pixels: int, hidden: int = 512, latent: int = 2, seed: int = 0) -> None:
        self.encoder = nn.Sequential(nn.Dense(pixels, hidden, rng=seed), nn.ReLU())
        self.mean = nn.Dense(hidden, latent, rng=seed + 1)
        self.log_var = nn.Dense(hidden, latent, rng=seed + 2)
        self.decoder = nn.Sequential(nn.Dense(latent, hidden, rng=seed + 3), nn.ReLU(),
                                     nn.Dense(hidden, pixels, rng=seed + 4))
        self.to_pixels = nn.Sigmoid()

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """The mean and the log-variance of q(z | x), each (batch, latent)."""
        h = self.encoder(x)
        return self.mean(h), self.log_var(h)

    def decode(self, z: Tensor) -> Tensor:
        """The pixels' probabilities p = sigmoid(l(z)), each (batch, pixels)."""
        return self.to_pixels(self.decoder(z))

    def forward(self, x: Tensor, eps: np.ndarray) -> tuple[Tensor, Tensor, Tensor]:
        """(logits of x_hat, mu, logvar) with z = mu + exp(logvar / 2) * eps: the
        reparameterisation trick. ``eps`` is a numpy array, a constant: the gradient flows
        through mu and logvar."""
        mu, logvar = self.encode(x)
        z = mu + (0.5 * logvar).exp() * eps
        return self.decoder(z), mu, logvar


def reconstruction_loss(logits: Tensor, x: np.ndarray) -> Tensor:
    """Binary cross-entropy of p = sigmoid(logits) against the pixels x, summed over the pixels
    and averaged over the batch; from the logits, as log p = -softplus(-l) and log(1 - p) =
    -softplus(l), so no log(0) and no 1/p: in float32 a pixel's p can fall below 1e-38, where
    the gradient 1/p of log p overflows (a first MNIST run of this lesson ended in NaN so)."""
    return nn.binary_cross_entropy(logits, x, from_logits=True, reduction="sum") / len(x)


def kl_divergence(mu: Tensor, logvar: Tensor) -> Tensor:
    """KL(N(mu, exp(logvar)) || N(0, 1)) = -1/2 sum(1 + logvar - mu^2 - exp(logvar)), summed
    over the latent dimensions and averaged over the batch."""
    return -0.5 * (1 + logvar - mu * mu - logvar.exp()).sum() / mu.shape[0]


# %% Training: a loop of our own with nn.Adam
def train(model: VAE, x: np.ndarray, epochs: int, batch_size: int, lr: float,
          seed: int) -> dict[str, list[float]]:
    """Adam on reconstruction + KL; returns each epoch's mean of both terms and its time."""
    optimizer = nn.Adam(model.parameters(), lr=lr)
    noise = np.random.default_rng(seed)
    history: dict[str, list[float]] = {"reconstruction": [], "kl": [], "seconds": []}
    print(f"{'epoch':>5} {'reconstruction':>15} {'KL':>7} {'loss':>8} {'seconds':>8}")
    for epoch in range(epochs):
        start, sums, count = time.perf_counter(), np.zeros(2), 0
        order = np.random.default_rng([seed, epoch])
        for xb, _ in nn.data.batches(x, np.zeros(len(x)), batch_size, rng=order):
            eps = noise.standard_normal((len(xb), model.mean.out_features)).astype(np.float32)
            logits, mu, logvar = model(Tensor(xb), eps)
            rec, kl = reconstruction_loss(logits, xb), kl_divergence(mu, logvar)
            loss = rec + kl
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            sums += (rec.item() * len(xb), kl.item() * len(xb))
            count += len(xb)
        rec_mean, kl_mean = sums / count
        history["reconstruction"].append(rec_mean)
        history["kl"].append(kl_mean)
        history["seconds"].append(time.perf_counter() - start)
        print(f"{epoch + 1:5d} {rec_mean:15.2f} {kl_mean:7.2f} {rec_mean + kl_mean:8.2f} "
              f"{history['seconds'][-1]:8.1f}")
    return history


def latent_means(model: VAE, x: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """mu(x) for every image: where the encoder puts it in the latent plane."""
    with no_grad():
        return np.concatenate([model.encode(Tensor(x[i:i + batch_size]))[0].numpy()
                               for i in range(0, len(x), batch_size)])


def decode_grid(model: VAE, n: int = 20, side: int = 28) -> tuple[np.ndarray, np.ndarray]:
    """Decode z on an n x n grid at the normal distribution's quantiles 5%...95% (Keras' VAE
    example): equal steps of probability under the prior N(0, I). Returns the
    (n * side, n * side) picture, z2 growing upwards, and the grid's coordinates."""
    quantiles = np.array([NormalDist().inv_cdf(p) for p in np.linspace(0.05, 0.95, n)])
    z1, z2 = np.meshgrid(quantiles, quantiles[::-1])  # top row: the largest z2
    z = np.stack([z1.ravel(), z2.ravel()], axis=1).astype(np.float32)
    with no_grad():
        images = model.decode(Tensor(z)).numpy().reshape(n, n, side, side)
    return images.transpose(0, 2, 1, 3).reshape(n * side, n * side), quantiles


# %% The lesson
def main(argv: list[str] | None = None) -> dict[str, float]:
    args = demo_args(__doc__.splitlines()[0], argv, options)
    if args.quick:
        (x_train, _), (x_test, y_test) = load_strokes(args.seed)
        what, side, hidden, labels = "12x12 pen strokes", 12, 128, [
            f"{30 * k}°" for k in range(6)]
    else:
        (x_train, _), (x_test, y_test) = load_pixels(args, "vae")
        what, side, hidden, labels = "MNIST", 28, 512, [str(k) for k in range(10)]
    epochs = args.epochs or (40 if args.quick else 20)
    model = VAE(x_train.shape[1], hidden=hidden, seed=args.seed)
    print(f"{what}: {len(x_train)} training and {len(x_test)} test images; a VAE of "
          f"{model.num_parameters():,} parameters, {epochs} epochs of Adam (lr 1e-3, batch 128)")
    history = train(model, x_train, epochs, batch_size=128, lr=1e-3, seed=args.seed)
    with no_grad():
        logits, mu, logvar = model(Tensor(x_test), np.zeros((len(x_test), 2), np.float32))
        test_rec = reconstruction_loss(logits, x_test).item()
        test_kl = kl_divergence(mu, logvar).item()
    print(f"test set (z = mu): reconstruction {test_rec:.2f}, KL {test_kl:.2f}; "
          f"{sum(history['seconds']):.1f} s of training")

    # %% The latent means of the test images, coloured by class
    means = latent_means(model, x_test)
    fig, ax = plt.subplots(figsize=(7, 6), layout="constrained")
    colours = plt.get_cmap("tab10")
    for k, label in enumerate(labels):
        pick = y_test == k
        ax.scatter(means[pick, 0], means[pick, 1], s=3, color=colours(k), alpha=0.6, label=label)
    ax.legend(markerscale=4, title="class", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set(title=f"latent means mu(x) of the {len(x_test)} test images ({what})",
           xlabel="z[0]", ylabel="z[1]")
    save(fig, args.out, "vae_latent.png")

    # %% Digits decoded across the latent plane
    picture, quantiles = decode_grid(model, 20, side)
    fig, ax = plt.subplots(figsize=(8, 8), layout="constrained")
    span = [quantiles[0], quantiles[-1]]
    half = (quantiles[1] - quantiles[0]) / 2
    ax.imshow(picture, cmap="gray_r", extent=[span[0] - half, span[1] + half,
                                              span[0] - half, span[1] + half])
    ax.set(title="decoder(z) on a 20 x 20 grid at the 5%...95% quantiles of N(0, 1)",
           xlabel="z[0]", ylabel="z[1]")
    save(fig, args.out, "vae_manifold.png")

    # %% The two terms of the loss, epoch by epoch
    fig, ax = plt.subplots(figsize=(7, 3.8), layout="constrained")
    epoch_axis = np.arange(1, epochs + 1)
    ax.plot(epoch_axis, history["reconstruction"], "o-", label="reconstruction (BCE, sum)")
    ax.set(xlabel="epoch", ylabel="reconstruction, nats per image",
           title="the two terms of the VAE's loss (means over each epoch)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    right = ax.twinx()
    right.plot(epoch_axis, history["kl"], "s--", color="tab:orange", label="KL")
    right.set_ylabel("KL, nats per image")
    fig.legend(loc="upper center", bbox_to_anchor=(0.5, 0.88))
    save(fig, args.out, "vae_losses.png")
    return {"reconstruction": history["reconstruction"][-1], "kl": history["kl"][-1],
            "test_reconstruction": test_rec, "test_kl": test_kl,
            "seconds": sum(history["seconds"])}


if __name__ == "__main__":
    main()
