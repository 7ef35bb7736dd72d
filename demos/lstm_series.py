"""Recurrent networks on a time series: an LSTM against a Dense model, one month ahead.

A time series is learned as a table of windows: the last W values are the input, the next value
is the target. A Dense model reads the window as W separate numbers. An LSTM reads it as a
sequence, one value at a time, carrying a state (h, c) from step to step:

    i = sigmoid(W_ii x_t + W_hi h + b_i)      input gate
    f = sigmoid(W_if x_t + W_hf h + b_f)      forget gate
    g = tanh(W_ig x_t + W_hg h + b_g)         candidate
    o = sigmoid(W_io x_t + W_ho h + b_o)      output gate
    c <- f * c + i * g;   h <- o * tanh(c)

and a Dense head maps its last h to the prediction. Both models train with nn.fit and Adam on
the mean squared error.

Two series:

1. airline passengers, 144 monthly totals 1949-1960 (Box & Jenkins' series G, in thousands). Its
   trend and its growing seasonal swing make it a multiplicative series, so the models learn the
   month-to-month change of its logarithm, standardized; a prediction is turned back into
   passengers as the last month's total times e^(predicted change). The last 3 years are the
   test set.
2. a noisy sine wave, 400 steps of sin(2 pi t / 25) + 0.1 * noise; the last quarter is the test.

Both models train on the windows before the test part, the latest fifth of them held out to
stop training when it stops improving (nn.EarlyStopping, best weights restored), and predict
one step ahead from the true past. The score is the test root mean squared
error (RMSE), in passengers (thousands) or in the sine's units.

    python demos/lstm_series.py [--quick] [--out out] [--epochs N] [--seed S]
"""

# %%
from __future__ import annotations

import argparse
from dataclasses import dataclass

import numpy as np
from _common import demo_args, plt, save

import nn

# International airline passengers, thousands a month (Box, Jenkins and Reinsel, series G;
# R's AirPassengers): 144 values, sum 40363.
AIRLINE = np.array([
    112, 118, 132, 129, 121, 135, 148, 148, 136, 119, 104, 118,  # 1949
    115, 126, 141, 135, 125, 149, 170, 170, 158, 133, 114, 140,  # 1950
    145, 150, 178, 163, 172, 178, 199, 199, 184, 162, 146, 166,  # 1951
    171, 180, 193, 181, 183, 218, 230, 242, 209, 191, 172, 194,  # 1952
    196, 196, 236, 235, 229, 243, 264, 272, 237, 211, 180, 201,  # 1953
    204, 188, 235, 227, 234, 264, 302, 293, 259, 229, 203, 229,  # 1954
    242, 233, 267, 269, 270, 315, 364, 347, 312, 274, 237, 278,  # 1955
    284, 277, 317, 313, 318, 374, 413, 405, 355, 306, 271, 306,  # 1956
    315, 301, 356, 348, 355, 422, 465, 467, 404, 347, 305, 336,  # 1957
    340, 318, 362, 348, 363, 435, 491, 505, 404, 359, 310, 337,  # 1958
    360, 342, 406, 396, 420, 472, 548, 559, 463, 407, 362, 405,  # 1959
    417, 391, 419, 461, 472, 535, 622, 606, 508, 461, 390, 432,  # 1960
], dtype=np.float64)


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--epochs", type=int, default=None,
                        help="training epochs of each model (default: 300; 60 with --quick)")
    parser.add_argument("--seed", type=int, default=0, help="weights, batches and noise")


# %% Windows
@dataclass
class Series:
    """A series prepared for learning: ``values`` as plotted and scored, ``z`` what the models
    learn (one number per step), and how to turn a predicted z back into a value."""

    name: str
    values: np.ndarray          # (T,) as plotted and scored
    z: np.ndarray               # (T,) the learned signal, standardized with training statistics
    test_start: int             # first index of the test targets
    window: int
    back: object                # (predicted z at t, t) -> predicted value at t
    noise: float = 0.0          # the deviation of the noise added to the series, if known

    def windows(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Inputs (n, window, 1), targets (n, 1) and their indices t, for targets t in
        [start, stop): each input is z[t - window:t]."""
        first = max(start, self.window + 1)  # z_0 is unknown (no earlier month)
        t = np.arange(first, stop)
        x = np.stack([self.z[i - self.window:i] for i in t])[:, :, None]
        return x.astype(np.float32), self.z[t][:, None].astype(np.float32), t


def airline(window: int = 12) -> Series:
    """The airline series as standardized changes of its logarithm: z_t = (log p_t - log p_{t-1}
    - mean) / std, with mean and std from the training months. z_0 is set to 0 (no change known)."""
    log = np.log(AIRLINE)
    change = np.concatenate([[0.0], np.diff(log)])
    test_start = len(AIRLINE) - 36
    mean, std = change[1:test_start].mean(), change[1:test_start].std()
    z = (change - mean) / std
    return Series("airline passengers (thousands)", AIRLINE, z, test_start, window,
                  lambda z_hat, t: AIRLINE[t - 1] * np.exp(z_hat * std + mean))


def sine(rng: np.random.Generator, n: int = 400, window: int = 25) -> Series:
    """sin(2 pi t / 25) + 0.1 * N(0, 1): learned as it is (already centred, of unit scale)."""
    values = np.sin(2 * np.pi * np.arange(n) / 25) + 0.1 * rng.standard_normal(n)
    return Series("noisy sine wave", values, values.copy(), n - n // 4, window,
                  lambda z_hat, t: z_hat, noise=0.1)


# %% The models
class LSTMRegressor(nn.Module):
    """An LSTM over the window (batch first), then a Dense head on its last output h_T."""

    def __init__(self, hidden: int = 32, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.lstm = nn.LSTM(1, hidden, batch_first=True)
        for p in self.lstm.parameters():  # PyTorch's init, drawn from our seed
            p.data[...] = rng.uniform(-1, 1, p.shape) / np.sqrt(hidden)
        self.head = nn.Dense(hidden, 1, rng=seed + 1)

    def forward(self, x: object) -> object:
        output, _ = self.lstm(x)           # (N, window, hidden)
        return self.head(output[:, -1])    # the last step's h


def dense_model(window: int, hidden: int = 32, seed: int = 0) -> nn.Sequential:
    """The window as W numbers: Dense(W, hidden), ReLU, Dense(hidden, 1)."""
    return nn.Sequential(nn.Flatten(), nn.Dense(window, hidden, rng=seed), nn.ReLU(),
                         nn.Dense(hidden, 1, rng=seed + 1))


def fit_and_predict(model: nn.Module, series: Series, epochs: int, seed: int
                    ) -> tuple[np.ndarray, np.ndarray, float]:
    """Train on the training windows, keeping the last fifth of them (the latest in time) to
    validate: training stops when the validation cost has not improved for 30 epochs, and the
    model keeps its best weights. Return every window's index, its prediction (as a value) and
    the test RMSE."""
    x, y, _ = series.windows(0, series.test_start)
    cut = len(x) - len(x) // 5
    stop = nn.EarlyStopping(patience=30, restore_best_weights=True)
    nn.fit(model, x[:cut], y[:cut], "mse", nn.Adam(model.parameters(), lr=3e-3), epochs=epochs,
           batch_size=16, validation_data=(x[cut:], y[cut:]), callbacks=[stop], verbose=0,
           rng=seed)
    x_all, _, t = series.windows(0, len(series.values))
    predicted = series.back(nn.predict(model, x_all)[:, 0].astype(np.float64), t)
    test = t >= series.test_start
    rmse = float(np.sqrt(np.mean((predicted[test] - series.values[t[test]]) ** 2)))
    return t, predicted, rmse


# %% The pictures
def plot_series(results: list[tuple[Series, dict]], out) -> None:
    fig, axes = plt.subplots(len(results), 1, figsize=(10, 3.4 * len(results)),
                             layout="constrained")
    for ax, (series, models) in zip(np.atleast_1d(axes), results):
        ax.plot(series.values, color="black", lw=1.2, label="series")
        ax.axvspan(series.test_start - 0.5, len(series.values) - 0.5, color="0.92")
        for (label, (t, predicted, rmse)), colour in zip(models.items(),
                                                         ("tab:red", "tab:blue")):
            ax.plot(t, predicted, color=colour, lw=1, alpha=0.9,
                    label=f"{label} (test RMSE {rmse:.3g})")
        ax.set(title=f"{series.name}: one step ahead; the test part is shaded",
               xlabel="month" if "airline" in series.name else "step")
        ax.legend(loc="upper left", fontsize=9)
    save(fig, out, "lstm_series.png")


def plot_rmse(results: list[tuple[Series, dict]], out) -> None:
    fig, axes = plt.subplots(1, len(results), figsize=(4 * len(results), 3.2),
                             layout="constrained")
    for ax, (series, models) in zip(np.atleast_1d(axes), results):
        labels = list(models)
        values = [models[k][2] for k in labels]
        bars = ax.bar(labels, values, color=["tab:red", "tab:blue"])
        ax.bar_label(bars, fmt="%.3g")
        title = series.name
        if series.noise:  # no model can predict the noise: its deviation is the floor
            ax.axhline(series.noise, color="black", ls=":", lw=1.2)
            title += f"\n(dotted: the noise's deviation, {series.noise:g})"
        ax.margins(y=0.15)
        ax.set(title=title, ylabel="test RMSE")
    save(fig, out, "lstm_series_rmse.png")


# %% The lesson
def main(argv: list[str] | None = None) -> dict[str, float]:
    args = demo_args(__doc__.splitlines()[0], argv, options)
    epochs = args.epochs or (60 if args.quick else 300)
    rng = np.random.default_rng(args.seed)
    results, scores = [], {}
    for series in (airline(), sine(rng)):
        n_train = len(series.windows(0, series.test_start)[2])
        print(f"\n{series.name}: windows of {series.window}, {n_train} for training, "
              f"{len(series.values) - series.test_start} test targets, {epochs} epochs")
        models = {}
        for label, model in (("LSTM(1, 32) + Dense", LSTMRegressor(32, args.seed)),
                             ("Dense(W, 32) + Dense", dense_model(series.window, 32, args.seed))):
            models[label] = fit_and_predict(model, series, epochs, args.seed)
            print(f"   {label:22s} test RMSE {models[label][2]:.4g}")
            scores[f"{series.name.split()[0]} {label.split('(')[0]}"] = models[label][2]
        results.append((series, models))
    print("\nPictures:")
    plot_series(results, args.out)
    plot_rmse(results, args.out)
    return scores


if __name__ == "__main__":
    main()
