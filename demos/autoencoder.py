"""Autoencoders: squeeze MNIST through a narrow code and rebuild it; then learn to remove noise.

An autoencoder is two networks trained as one: an encoder maps an image x to a short code
z = e(x), a decoder maps the code back to an image x' = d(z), and the cost is how far x' is
from x. No labels are used: the image is its own target. The code is narrower than the image
(32 numbers for 784 pixels), so the network must find what the digits have in common.

Pixels lie in [0, 1], so the cost is the binary cross-entropy of each pixel, averaged:

    L = -1/P sum_p [x_p log x'_p + (1 - x_p) log(1 - x'_p)],   x' = sigmoid(logits)

The lesson trains three models with nn.fit and Adam:

1. dense: 784 -> 32 (ReLU) -> 784, Keras' first autoencoder;
2. convolutional: Conv2D and MaxPool2D down to 8 x 7 x 7, then Conv2DTranspose (a learned
   up-sampling) and UpSampling2D (nearest neighbour) back up to 1 x 28 x 28;
3. denoising: the convolutional model again, given x + 0.5 * noise (clipped to [0, 1]) and asked
   for the clean x.

    python demos/autoencoder.py [--quick] [--out out] [--data DIR] [--download] [--epochs N]

--quick needs no MNIST: 12 x 12 images of pen strokes (nn.data.make_strokes), a few seconds.
"""

# %%
from __future__ import annotations

import argparse
import time

import numpy as np
from _common import demo_args, plt, save
from mnist_cnn import mnist_options

import nn

NOISE_FACTOR = 0.5


def options(parser: argparse.ArgumentParser) -> None:
    """This lesson's options: MNIST's two, the epochs of the dense model and of the others."""
    mnist_options(parser)
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs of the dense model (default: 50; 30 with --quick); the "
                             "convolutional ones train a tenth as many, at least 2 (8 with "
                             "--quick)")
    parser.add_argument("--seed", type=int, default=0, help="weights, batches and noise")


def load_images(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray, str]:
    """Training and test images (N, 1, S, S) in [0, 1] and a name for them."""
    if args.quick:
        x, _ = nn.data.make_strokes(3000, classes=6, size=12, noise=0.05, rng=args.seed)
        return x[:2500], x[2500:], "12x12 pen strokes"
    try:
        (x_train, _), (x_test, _) = nn.datasets.load_mnist(args.data, download=args.download)
    except (FileNotFoundError, ConnectionError) as error:
        raise SystemExit(f"autoencoder: {error}\n(run with --download to fetch them, or --data "
                         "DIR to point at a folder that has them)") from None
    return x_train, x_test, "MNIST"


# %% The models
def dense_autoencoder(pixels: int, code: int = 32, seed: int = 0) -> nn.Sequential:
    """x (N, pixels) -> code (ReLU) -> logits (N, pixels); sigmoid(logits) is the image."""
    return nn.Sequential(nn.Dense(pixels, code, rng=seed), nn.ReLU(),
                         nn.Dense(code, pixels, rng=seed + 1))


def conv_autoencoder(seed: int = 0) -> nn.Sequential:
    """x (N, 1, S, S) -> code (N, 8, S/4, S/4) -> logits (N, 1, S, S), S a multiple of 4.

    Down: two 3x3 convolutions (padding 1 keeps the size), each followed by a 2x2 max-pool.
    Up: a transposed convolution with stride 2 doubles the size with learned weights
    (output size (H - 1) * 2 - 2 * 1 + 3 + 1 = 2H), nearest-neighbour up-sampling doubles it
    again by repeating pixels, and a last convolution mixes the result into one channel.
    """
    return nn.Sequential(
        nn.Conv2D(1, 16, 3, padding=1, rng=seed), nn.ReLU(), nn.MaxPool2D(2),
        nn.Conv2D(16, 8, 3, padding=1, rng=seed + 1), nn.ReLU(), nn.MaxPool2D(2),
        nn.Conv2DTranspose(8, 16, 3, stride=2, padding=1, output_padding=1, rng=seed + 2),
        nn.ReLU(), nn.UpSampling2D(2),
        nn.Conv2D(16, 1, 3, padding=1, rng=seed + 3))


def add_noise(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """x + NOISE_FACTOR * N(0, 1), clipped back to [0, 1] (Keras' denoising example)."""
    noisy = x + NOISE_FACTOR * rng.standard_normal(x.shape).astype(x.dtype)
    return np.clip(noisy, 0.0, 1.0)


def train(model: nn.Module, x: np.ndarray, target: np.ndarray, val: tuple[np.ndarray, np.ndarray],
          epochs: int, batch_size: int, seed: int) -> tuple[list[float], float]:
    """nn.fit with Adam (lr 1e-3) on the per-pixel binary cross-entropy of the logits; returns
    the validation cost after each epoch and the training time in seconds."""
    optimizer = nn.Adam(model.parameters(), lr=1e-3)
    start = time.perf_counter()
    history = nn.fit(model, x, target, "binary_cross_entropy_with_logits", optimizer,
                     epochs=epochs, batch_size=batch_size, validation_data=val, verbose=0,
                     rng=seed)
    return history.history["val_loss"], time.perf_counter() - start


def reconstruct(model: nn.Module, x: np.ndarray) -> np.ndarray:
    """The model's images: the sigmoid of its logits, in evaluation mode."""
    return 1.0 / (1.0 + np.exp(-nn.predict(model, x)))


# %% The pictures
def image_rows(rows: list[tuple[str, np.ndarray]], out, name: str, title: str) -> None:
    """One row of images per (label, images (n, S*S or 1,S,S)) pair, n images a row."""
    n = len(rows[0][1])
    fig, axes = plt.subplots(len(rows), n, figsize=(1.1 * n, 1.25 * len(rows)))
    for r, (label, images) in enumerate(rows):
        side = int(round(np.sqrt(images[0].size)))
        for c in range(n):
            ax = axes[r, c]
            ax.imshow(images[c].reshape(side, side), cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    fig.suptitle(title)
    save(fig, out, name)


def curves(results: dict[str, list[float]], out, what: str) -> None:
    """Validation cost per epoch of each model, with the 0.10 line the dense model must reach."""
    fig, ax = plt.subplots(figsize=(6.5, 3.6), layout="constrained")
    for label, values in results.items():
        ax.plot(np.arange(1, len(values) + 1), values, marker="o", ms=3, label=label)
    ax.axhline(0.10, color="gray", ls=":", lw=1)
    ax.set(title=f"Validation cost ({what})", xlabel="epoch",
           ylabel="binary cross-entropy per pixel")
    ax.legend()
    save(fig, out, "autoencoder_curves.png")


# %% The lesson
def main(argv: list[str] | None = None) -> dict[str, float]:
    args = demo_args(__doc__.splitlines()[0], argv, options)
    x_train, x_test, what = load_images(args)
    side = x_train.shape[-1]
    pixels = side * side
    epochs = args.epochs or (30 if args.quick else 50)
    conv_epochs = 8 if args.quick else max(2, epochs // 10)
    rng = np.random.default_rng(args.seed)
    print(f"{what}: {len(x_train)} training and {len(x_test)} test images of {side}x{side}.")

    print(f"\n1. Dense autoencoder {pixels} -> 32 -> {pixels}, {epochs} epochs, batches of 256.")
    flat_train, flat_test = x_train.reshape(-1, pixels), x_test.reshape(-1, pixels)
    dense = dense_autoencoder(pixels, seed=args.seed)
    dense_curve, dense_time = train(dense, flat_train, flat_train, (flat_test, flat_test), epochs,
                                    256, args.seed)
    print(f"   validation cost {dense_curve[-1]:.4f} per pixel after {epochs} epochs "
          f"({dense_time:.1f} s); the code is {pixels / 32:.1f}x smaller than the image.")

    print(f"\n2. Convolutional autoencoder, {conv_epochs} epochs, batches of 128.")
    conv = conv_autoencoder(args.seed)
    conv.summary(input_shape=(1, side, side))
    conv_curve, conv_time = train(conv, x_train, x_train, (x_test, x_test), conv_epochs, 128,
                                  args.seed)
    print(f"   validation cost {conv_curve[-1]:.4f} per pixel ({conv_time:.1f} s).")

    print(f"\n3. Denoising: the same network, given x + {NOISE_FACTOR} * noise, learns x.")
    noisy_train, noisy_test = add_noise(x_train, rng), add_noise(x_test, rng)
    denoiser = conv_autoencoder(args.seed)
    denoise_curve, denoise_time = train(denoiser, noisy_train, x_train, (noisy_test, x_test),
                                        conv_epochs, 128, args.seed)
    print(f"   validation cost {denoise_curve[-1]:.4f} per pixel against the clean images "
          f"({denoise_time:.1f} s).")

    print("\nPictures:")
    shown = x_test[:10]
    image_rows([("original", shown), ("dense", reconstruct(dense, flat_test[:10])),
                ("conv", reconstruct(conv, shown))], args.out, "autoencoder.png",
               "Test images and their reconstructions")
    image_rows([("noisy", noisy_test[:10]), ("denoised", reconstruct(denoiser, noisy_test[:10])),
                ("original", shown)], args.out, "autoencoder_denoise.png",
               f"Denoising (noise factor {NOISE_FACTOR})")
    curves({"dense 784-32-784".replace("784", str(pixels)): dense_curve,
            "convolutional": conv_curve, "denoising (vs clean)": denoise_curve}, args.out, what)
    return {"dense": dense_curve[-1], "conv": conv_curve[-1], "denoise": denoise_curve[-1],
            "dense_seconds": dense_time}


if __name__ == "__main__":
    main()
