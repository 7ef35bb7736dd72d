"""Lesson 6, deep learning examples: a convolutional network learns to read MNIST digits.

The architecture is Keras' mnist_cnn example: two 3x3 convolutions (32 and 64 filters, ReLU),
2x2 max-pooling, dropout 0.25, a dense layer of 128 ReLU units, dropout 0.5 and 10 outputs,
trained with Adam on the cross-entropy of the softmax, on minibatches of 32, with a learning
rate that falls from 1e-3 to 0 along half a cosine over the whole run (nn.CosineDecay, one value
per step) and the pixels standardized to mean 0, deviation 1. 1,199,882 parameters, 60,000
training images: computationally expensive to train, so the time of every epoch is printed.
At the end, one training step of the trained model on one minibatch of 8 digits is written as
an HTML player (mnist_cnn_player.html): its forward pass, the loss and the backward pass,
tensor by tensor, each layer a box.

    python demos/mnist_cnn.py [--quick] [--out out] [--data DIR] [--epochs N] [--download]

--data is where the four MNIST .gz files are (default ~/.cache/glassgrad/mnist); --download
fetches missing ones (checksums verified). --quick trains on 1,500 images for a few seconds.
MNIST: Yann LeCun and Corinna Cortes, CC BY-SA 3.0.
"""

# %%
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from _common import demo_args, plt, save

import nn
from autograd import Tensor, record_scopes, save_html

PLAYER_BATCH = 8  # the minibatch the player shows: 8 digits keep its shapes and page small


def build_model(seed: int = 0, size: int = 28, filters: tuple[int, int] = (32, 64),
                hidden: int = 128, classes: int = 10) -> nn.Sequential:
    """Keras' mnist_cnn for (1, size, size) images; smaller ``filters``/``hidden`` shrink it.

    Each 3x3 convolution trims 2 pixels and the pooling halves what is left, so the dense layer
    sees ``filters[1] * ((size - 4) // 2) ** 2`` numbers (9,216 for MNIST).
    """
    flat = filters[1] * ((size - 4) // 2) ** 2
    return nn.Sequential(
        nn.Conv2D(1, filters[0], 3, rng=seed), nn.ReLU(),
        nn.Conv2D(filters[0], filters[1], 3, rng=seed + 1), nn.ReLU(),
        nn.MaxPool2D(2), nn.Dropout(0.25, rng=seed + 2), nn.Flatten(),
        nn.Dense(flat, hidden, rng=seed + 3), nn.ReLU(), nn.Dropout(0.5, rng=seed + 4),
        nn.Dense(hidden, classes, rng=seed + 5),
    )


def data_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--data DIR``: where the four MNIST .gz files are."""
    parser.add_argument("--data", type=Path, default=Path.home() / ".cache" / "glassgrad" / "mnist",
                        help="directory of the four MNIST .gz files (default: %(default)s)")


def has_mnist(directory: Path) -> bool:
    """Whether ``directory`` holds the four MNIST .gz files (checked by name only)."""
    return all((directory / name).is_file() for name in nn.datasets.MNIST_FILES)


def mnist_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--data DIR`` (where the four MNIST .gz files are) and ``--download``."""
    data_option(parser)
    parser.add_argument("--download", action="store_true",
                        help="fetch missing files from a public mirror (checksums verified)")


def options(parser: argparse.ArgumentParser) -> None:
    """This lesson's options: MNIST's two and ``--epochs``."""
    mnist_options(parser)
    parser.add_argument("--epochs", type=int, default=None, help="default: 2 (1 with --quick)")


def load_standardized(args: argparse.Namespace, program: str = "mnist_cnn"
                      ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """MNIST from ``args.data`` (missing files fetched with ``args.download``), the pixels
    standardized to mean 0 and deviation 1 with the training set's figures. Missing files end
    the program with a message that says where to put them."""
    try:
        (x_train, y_train), (x_test, y_test) = nn.datasets.load_mnist(args.data,
                                                                      download=args.download)
    except (FileNotFoundError, ConnectionError) as error:
        raise SystemExit(f"{program}: {error}\n(run with --download to fetch them, or "
                         "--data DIR to point at a folder that has them)") from None
    mean, std = np.float32(0.1307), np.float32(0.3081)  # the training pixels' mean, deviation
    return ((x_train - mean) / std, y_train), ((x_test - mean) / std, y_test)


def step_graph(model: nn.Sequential, images: np.ndarray, labels: np.ndarray
               ) -> tuple[Tensor, dict[int, tuple]]:
    """One training step's graph: the forward pass in training mode (dropout on, as ``nn.fit``
    trains) and the cross-entropy loss ``L``, with the scopes it was made in (each layer's nodes).
    The model's mode is left as it was."""
    was_training = model.training
    model.train()
    with record_scopes() as scopes:
        loss = nn.cross_entropy(model(Tensor(images, label="x")), labels)
    model.train(was_training)
    loss.label = "L"
    return loss, scopes


def save_player(model: nn.Sequential, images: np.ndarray, labels: np.ndarray,
                path: Path) -> Path:
    """Write the HTML player of one training step of ``model`` on one minibatch: the forward
    pass (:func:`step_graph`), the loss and the backward pass, each layer's nodes in a box named
    as in ``model.state_dict()`` (``0``, ``0.weight``). The graph is laid out top to bottom: a
    CNN's graph is a long chain, and its ranks stacked fit a wide window better than side by
    side. The model's gradients are left as they were."""
    loss, scopes = step_graph(model, images, labels)
    return save_html(loss, path, scopes=scopes, names=model, fmt=".3f", rankdir="TB",
                     title=f"Keras' MNIST CNN: one training step on {len(images)} digits, L = "
                           "cross-entropy (dropout on)")


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    matrix = np.zeros((10, 10), dtype=np.int64)
    np.add.at(matrix, (labels, predicted), 1)
    return matrix


# %%
def main(argv: list[str] | None = None) -> dict[str, float]:
    args = demo_args(__doc__.splitlines()[0], argv, options)
    (x_train, y_train), (x_test, y_test) = load_standardized(args)
    if args.quick:
        x_train, y_train = x_train[:1500], y_train[:1500]
        x_test, y_test = x_test[:300], y_test[:300]
    epochs = args.epochs or (1 if args.quick else 2)
    print(f"{len(x_train)} training images, {len(x_test)} test images, {epochs} epoch(s)")

    model = build_model()
    model.summary(input_shape=(1, 28, 28))
    train_size = len(x_train) - round(0.1 * len(x_train))  # after the validation split
    steps = epochs * -(-train_size // 32)  # minibatches of 32 in the whole run
    schedule = nn.CosineDecay(1e-3, decay_steps=steps)  # 1e-3 down to 0, step by step
    history = nn.fit(model, x_train, y_train, loss="cross_entropy",
                     optimizer=nn.Adam(model.parameters(), lr=schedule), epochs=epochs,
                     batch_size=32, validation_split=0.1, metrics=["accuracy"], verbose=1, rng=0)
    for epoch, seconds in zip(history.epoch, history.times):
        print(f"epoch {epoch + 1}: {seconds:.1f} s")
    t0 = time.perf_counter()
    test = nn.evaluate(model, x_test, y_test, loss="cross_entropy", metrics=["accuracy"])
    logits = nn.predict(model, x_test)
    predicted = logits.argmax(axis=1)
    print(f"test accuracy {test['accuracy']:.2%}, test loss {test['loss']:.4f} "
          f"({time.perf_counter() - t0:.1f} s to evaluate)")

    # %% Learning curves
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
    epochs_axis = np.arange(1, len(history.epoch) + 1)
    for key, style in (("loss", "o-"), ("val_loss", "s--")):
        loss_ax.plot(epochs_axis, history.history[key], style, label=key)
    for key, style in (("accuracy", "o-"), ("val_accuracy", "s--")):
        acc_ax.plot(epochs_axis, history.history[key], style, label=key)
    loss_ax.set(title="cross-entropy", xlabel="epoch", ylabel="loss")
    acc_ax.set(title="accuracy", xlabel="epoch", ylabel="fraction correct")
    loss_ax.legend()
    acc_ax.legend()
    save(fig, args.out, "mnist_curves.png")

    # %% Confusion matrix on the test set
    matrix = confusion_matrix(y_test, predicted)
    fig, ax = plt.subplots(figsize=(5.5, 5), layout="constrained")
    shown = ax.imshow(matrix, cmap="Blues")
    for i in range(10):
        for j in range(10):
            ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=7,
                    color="white" if matrix[i, j] > matrix.max() / 2 else "black")
    ax.set(title=f"confusion matrix (test accuracy {test['accuracy']:.2%})",
           xlabel="predicted digit", ylabel="true digit", xticks=range(10), yticks=range(10))
    fig.colorbar(shown, ax=ax, shrink=0.8)
    save(fig, args.out, "mnist_confusion.png")

    # %% The 32 kernels the first convolution learned
    kernels = model[0].weight.data[:, 0]
    fig, axes = plt.subplots(4, 8, figsize=(8, 4.3), layout="constrained")
    for k, ax in enumerate(axes.flat):
        ax.imshow(kernels[k], cmap="gray")
        ax.set(xticks=[], yticks=[])
    fig.suptitle("first-layer 3x3 kernels")
    save(fig, args.out, "mnist_kernels.png")

    # %% Misclassified test digits
    wrong = np.flatnonzero(predicted != y_test)[:24]
    fig, axes = plt.subplots(3, 8, figsize=(9, 4), layout="constrained")
    for ax in axes.flat:
        ax.axis("off")
    for ax, k in zip(axes.flat, wrong):
        ax.imshow(x_test[k, 0], cmap="gray_r")
        ax.set_title(f"{y_test[k]} read as {predicted[k]}", fontsize=8)
    fig.suptitle(f"misclassified test digits ({(predicted != y_test).sum()} of {len(y_test)})")
    save(fig, args.out, "mnist_misclassified.png")

    # %% One training step on one minibatch, played: the layers as boxes
    page = save_player(model, x_train[:PLAYER_BATCH], y_train[:PLAYER_BATCH],
                       args.out / "mnist_cnn_player.html")
    print(f"wrote {page}: one training step on {PLAYER_BATCH} digits; click a layer's box to "
          "open it")
    return {"accuracy": test["accuracy"], "seconds": float(sum(history.times))}


if __name__ == "__main__":
    main()
