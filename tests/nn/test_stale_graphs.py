"""A graph built before an optimizer step (or a weight load, or a restore of the best weights)
refuses backward(), as PyTorch does, instead of giving the gradient at the old weights."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd import Tensor
from nn import SGD, Adam, Dense, EarlyStopping, ReLU, Sequential

STALE = r"backward: 'Dense\.(weight|bias)' of shape .* has been modified in place since"


def _model_and_loss() -> tuple[Sequential, Tensor]:
    model = Sequential(Dense(3, 4, rng=0), ReLU(), Dense(4, 1, rng=1))
    x = Tensor(np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32))
    return model, nn.mse(model(x), np.ones((5, 1), np.float32))


@pytest.mark.parametrize("make", [lambda ps: SGD(ps, lr=0.1, momentum=0.9),
                                  lambda ps: Adam(ps, lr=0.01)])
def test_backward_after_an_optimizer_step_is_an_error(make) -> None:
    model, loss = _model_and_loss()
    optimizer = make(model.parameters())
    loss.backward()
    optimizer.step()
    assert all(p._version == 1 for p in model.parameters())
    with pytest.raises(RuntimeError, match=STALE) as info:
        loss.backward()  # the old graph: its weights have moved
    assert "Run the forward pass again" in str(info.value)
    optimizer.zero_grad()
    fresh = nn.mse(model(Tensor(np.ones((5, 3), np.float32))), np.ones((5, 1), np.float32))
    fresh.backward()  # a new forward pass gives a graph of the new weights
    optimizer.step()


def test_backward_after_load_weights_is_an_error(tmp_path) -> None:
    model, loss = _model_and_loss()
    path = tmp_path / "weights.npz"
    model.save_weights(path)
    model.load_weights(path)
    with pytest.raises(RuntimeError, match=STALE):
        loss.backward()


def test_backward_after_early_stopping_restored_the_best_weights_is_an_error() -> None:
    model, loss = _model_and_loss()
    stop = EarlyStopping(monitor="loss", restore_best_weights=True)
    stop.set_context(model, {}, None, None)
    stop.on_train_begin()
    stop.on_epoch_end(0, {"loss": 1.0})
    stop.on_train_end()
    with pytest.raises(RuntimeError, match=STALE):
        loss.backward()


def test_fit_trains_with_versioned_parameters() -> None:
    x, y = nn.data.make_line(32, rng=0)
    model = Sequential(Dense(1, 4, rng=0), ReLU(), Dense(4, 1, rng=1))
    history = nn.fit(model, x, y, "mse", SGD(model.parameters(), lr=0.05), epochs=3,
                     batch_size=8, verbose=0, rng=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert all(p._version == 3 * 4 for p in model.parameters())  # one step per minibatch
