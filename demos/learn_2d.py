"""Lesson 5, frameworks: learn a 2-D function with Dense layers and nn.fit (the Keras live demo).

The data are samples of f(x1, x2) = sin(pi x1) cos(pi x2 / 2). They are split three ways:
  training data    the network learns from it (the gradient steps);
  validation data  we compare design choices on it (here: how wide and deep the network is);
  test data        used once, at the very end, for the final figure: data no choice has seen.

    python demos/learn_2d.py [--quick] [--out out]
"""

# %%
from __future__ import annotations

import numpy as np
from _common import demo_args, plt, save

import nn


def f(x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
    return np.sin(np.pi * x1) * np.cos(np.pi * x2 / 2)


def build(hidden: list[int], seed: int) -> nn.Sequential:
    """Dense layers with tanh activations: 2 -> hidden... -> 1."""
    layers: list[nn.Module] = []
    sizes = [2, *hidden]
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers += [nn.Dense(n_in, n_out, rng=seed + k), nn.Tanh()]
    layers.append(nn.Dense(sizes[-1], 1, rng=seed + len(hidden)))
    return nn.Sequential(*layers)


# %% [markdown]
# ## Data: training, validation and test

# %%
def main(argv: list[str] | None = None) -> dict[str, float]:
    args = demo_args(__doc__.splitlines()[0], argv)
    x, y = nn.data.make_function_2d(800 if args.quick else 4000, f=f, noise=0.02, rng=0)
    x, y = x.astype(np.float32), y.astype(np.float32)
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = nn.data.train_val_test_split(
        x, y, (0.7, 0.15, 0.15), rng=0)
    print(f"{len(x_train)} training, {len(x_val)} validation, {len(x_test)} test samples")

    # %% Design choices, compared on the validation data
    candidates = {"1 x 16": [16], "2 x 32": [32, 32], "3 x 64": [64, 64, 64]}
    epochs = 4 if args.quick else 60
    histories, models = {}, {}
    for name, hidden in candidates.items():
        model = build(hidden, seed=1)
        history = nn.fit(model, x_train, y_train, loss="mse",
                         optimizer=nn.Adam(model.parameters(), lr=3e-3), epochs=epochs,
                         batch_size=32, validation_data=(x_val, y_val), verbose=0, rng=0,
                         callbacks=[nn.EarlyStopping("val_loss", patience=10,
                                                     restore_best_weights=True)])
        histories[name], models[name] = history, model
        print(f"  {name:7s} ({model.num_parameters():5d} parameters): "
              f"{len(history.history['loss'])} epochs, best validation loss "
              f"{min(history.history['val_loss']):.5f}")
    # EarlyStopping restored each network's weights from its best epoch on the validation data
    best = min(histories, key=lambda name: min(histories[name].history["val_loss"]))
    print(f"chosen on the validation data: {best}")

    fig, ax = plt.subplots(figsize=(6.5, 4.5), layout="constrained")
    for (name, history), colour in zip(histories.items(), ("C0", "C1", "C2")):
        ax.plot(history.history["loss"], color=colour, label=f"{name} training")
        ax.plot(history.history["val_loss"], "--", color=colour, label=f"{name} validation")
    ax.set(title="learning curves", xlabel="epoch", ylabel="mean squared error", yscale="log")
    ax.legend(fontsize=8, ncols=2)
    save(fig, args.out, "learn_2d_curves.png")

    # %% The final figure: the chosen network on unseen test data
    test = nn.evaluate(models[best], x_test, y_test, loss="mse")
    print(f"test loss of the chosen network: {test['loss']:.5f} (on {len(x_test)} unseen samples)")
    grid = np.linspace(-1, 1, 101, dtype=np.float32)
    g1, g2 = np.meshgrid(grid, grid)
    points = np.stack([g1.ravel(), g2.ravel()], axis=1)
    true = f(g1, g2)
    learned = nn.predict(models[best], points).reshape(g1.shape)
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2), layout="constrained")
    extent = (-1, 1, -1, 1)
    for ax, image, title, cmap in ((axes[0], true, "true f(x1, x2)", "coolwarm"),
                                   (axes[1], learned, f"learned by the {best} network",
                                    "coolwarm"),
                                   (axes[2], np.abs(learned - true), "|error|", "magma")):
        shown = ax.imshow(image, origin="lower", extent=extent, cmap=cmap,
                          vmin=None if cmap == "magma" else -1, vmax=None if cmap == "magma" else 1)
        fig.colorbar(shown, ax=ax)
        ax.set(title=title, xlabel="x1", ylabel="x2")
    axes[2].scatter(x_test[:, 0], x_test[:, 1], s=3, color="cyan", label="test samples")
    axes[2].legend(loc="upper right", fontsize=8)
    fig.suptitle(f"test loss {test['loss']:.5f} on unseen data")
    save(fig, args.out, "learn_2d_heatmaps.png")
    return {"best": best, "test_loss": test["loss"]}


if __name__ == "__main__":
    main()
